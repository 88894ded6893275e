package io.usertcp.tools.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpState;
import io.usertcp.tools.PcapChecks;
import io.usertcp.tools.ToolsTunSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** usertcp demo against the real kernel: it finishes by itself, shows both sides, and leaves nothing behind. */
@Tag("tun")
@Timeout(90)
class DemoTest {

    @BeforeAll
    static void needTunAndCurl() {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("curl", "curl");
    }

    @Test
    void demo_servesCurlAndJavaClients_showsBothSidesClose_drawsLadders_writesPcap_deletesNamespace(
            @TempDir Path control, @TempDir Path files) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        long start = System.nanoTime();
        Demo.Result result;
        Path pcap = files.resolve("demo.pcap");
        try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
            result = Demo.run(new Demo.Options(true, 0, control, List.of(new LadderLogSink()), pcap), new Narrator(out, false));
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        String output = text.toString(StandardCharsets.UTF_8);

        assertTrue(result.ok(), () -> result.problems() + "\n" + output);
        assertTrue(seconds < 20, "took " + seconds + " s");
        assertTrue(result.namespaceDeleted());
        assertFalse(Files.exists(Path.of("/run/netns", result.namespace())));
        ToolsTunSupport.assertNoNamespaceLeft();
        try (var left = Files.list(control)) {
            assertEquals(0, left.count(), "the control socket is deleted at the end");
        }

        assertEquals(3, result.connections().size(), output);
        Demo.ConnectionSummary curl = result.connections().get(0);
        Demo.ConnectionSummary connectionClose = result.connections().get(1);
        Demo.ConnectionSummary echo = result.connections().get(2);
        // curl and the echo client close first: passive close on our side, TIME-WAIT on the kernel's (RFC 9293 §3.6)
        for (Demo.ConnectionSummary passive : List.of(curl, echo)) {
            assertEquals("kernel", passive.closedFirstBy(), passive.toString());
            assertEquals(List.of(TcpState.LISTEN, TcpState.SYN_RECEIVED, TcpState.ESTABLISHED, TcpState.CLOSE_WAIT,
                    TcpState.LAST_ACK, TcpState.CLOSED), passive.ourStates(), passive.toString());
            assertEquals("TIME-WAIT", passive.kernelStates().get(passive.kernelStates().size() - 1), passive.toString());
        }
        // 'Connection: close': our server closes first and keeps TIME-WAIT; the kernel passes CLOSE-WAIT
        assertEquals("ours", connectionClose.closedFirstBy());
        assertTrue(connectionClose.ourStates().contains(TcpState.FIN_WAIT_1), connectionClose.toString());
        assertEquals(TcpState.TIME_WAIT, connectionClose.ourStates().get(connectionClose.ourStates().size() - 1));
        assertTrue(connectionClose.kernelStates().contains("CLOSE-WAIT"), connectionClose.toString());
        assertEquals(KernelWatcher.GONE, connectionClose.kernelStates().get(connectionClose.kernelStates().size() - 1));

        assertTrue(output.contains("on the other end of it (profile linux)"), "the default profile is named: " + output);
        assertTrue(output.contains("usertcp HttpServer"), "curl's page is shown");
        assertTrue(output.contains("echoed   hello, userspace TCP"), "the echo is shown");
        assertTrue(output.contains("TIME-WAIT"), "the tables show TIME-WAIT");

        // a ladder per connection, drawn by the ladder module: the kernel initiates, our side from our stack
        for (int i = 1; i <= 3; i++) {
            assertTrue(output.contains("connection " + i + " of 3: 198.18.0.1:"), "ladder " + i + ":\n" + output);
        }
        assertTrue(output.contains("states of 198.18.0.2:80 from its stack, of 198.18.0.1:"), output);
        assertTrue(output.contains("|----"), "arrows: " + output);
        assertTrue(output.contains("| LAST-ACK"), "our LAST-ACK beside an arrow: " + output);

        // every segment in a pcap that pcap4j and tcpdump read: three handshakes, our stack serving each
        List<PcapChecks.Seg> segs = PcapChecks.readWithPcap4j(pcap);
        PcapChecks.assertOpenedAndClosed(segs, "198.18.0.1", "198.18.0.2", 80);
        PcapChecks.assertOpenedAndClosed(segs, "198.18.0.1", "198.18.0.2", 7);
        assertEquals(3, segs.stream().filter(s -> s.syn() && !s.ack()).count(), segs.toString());
        assertEquals(segs.size(), PcapChecks.tcpdump(pcap).size());
        assertTrue(output.contains("pcap: " + segs.size() + " segments written to " + pcap), output);
    }
}
