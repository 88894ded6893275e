package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.PcapChecks.Seg;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp connect} on a TUN device and addresses of the user's choosing, with {@code --pcap}:
 * our stack is the client of a kernel echo server; the file holds the whole connection and the
 * output draws its ladder.
 */
@Tag("tun")
@Timeout(60)
class ConnectCommandTest {
    private static final String KERNEL = "198.18.9.1";
    private static final String STACK = "198.18.9.2";

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
    }

    @Test
    void connect_onNamedDeviceAndAddresses_echoes_writesPcapWithTheWholeConnection_drawsItsLadder(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("connect.pcap");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = UsertcpMain.commandLine().execute("connect", KERNEL, "7", "--kernel-listen", "echo", "--no-color",
                    "--dev", "usertcp.c-1", "--kernel-addr", KERNEL, "--stack-addr", STACK, "--prefix-length", "28",
                    "--send", "hello over cx", "--pcap", file.toString());
        } finally {
            System.setOut(saved);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(UsertcpMain.EXIT_OK, exit, printed);
        assertTrue(printed.contains("on TUN device usertcp.c-1, profile linux)"), printed);
        assertTrue(printed.contains("hello over cx"), "the echo: " + printed);
        // the ladder module's diagram: our stack is the initiator, drawn on the left
        assertTrue(printed.contains("connection 1 of 1: " + STACK + ":"), printed);
        assertTrue(printed.contains("> " + KERNEL + ":7"), printed);
        assertTrue(printed.contains("SYN-SENT |"), printed);
        assertTrue(printed.contains("pcap: "), printed);

        List<Seg> segs = PcapChecks.readWithPcap4j(file);
        List<Seg> conn = PcapChecks.assertOpenedAndClosed(segs, STACK, KERNEL, 7);
        assertTrue(conn.stream().anyMatch(s -> s.from(KERNEL) && s.payloadLength() == "hello over cx\n".length()),
                "the echo in the file: " + conn);
        assertTrue(printed.contains("pcap: " + segs.size() + " segments written to " + file), printed);
        List<String> lines = PcapChecks.tcpdump(file);
        assertEquals(segs.size(), lines.size());
        assertTrue(lines.get(0).contains(" IP " + STACK + "."), lines.get(0));
        assertTrue(lines.get(0).contains(" > " + KERNEL + ".7: Flags [S],"), lines.get(0));
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void connect_withProfileFreebsd_runsThatProfile_andStillEchoes() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = UsertcpMain.commandLine().execute("connect", "198.18.0.1", "7", "--kernel-listen", "echo", "--no-color",
                    "--profile", "freebsd", "--send", "hello from freebsd");
        } finally {
            System.setOut(saved);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(UsertcpMain.EXIT_OK, exit, printed);
        // the title names the profile the stack reports (TcpStack.profile()), not the option's text
        assertTrue(printed.contains("(198.18.0.2 on TUN device utcp0, profile freebsd)"), printed);
        assertTrue(printed.contains("hello from freebsd"), "the echo: " + printed);
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void connectRefused_exitsOne_andThePcapIsStillComplete(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("refused.pcap");
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = UsertcpMain.commandLine().execute("connect", "198.18.0.1", "9", "--no-color", "--pcap", file.toString());
        } finally {
            System.setOut(saved);
        }
        assertEquals(UsertcpMain.EXIT_FAILED, exit, out.toString(StandardCharsets.UTF_8));
        // nothing listens on port 9: the kernel answers our SYN with RST,ACK (RFC 9293 §3.10.7.1)
        List<Seg> segs = PcapChecks.readWithPcap4j(file);
        assertEquals(List.of("S", "R."), segs.stream().map(Seg::flags).toList(), segs.toString());
        assertTrue(segs.get(0).from("198.18.0.2") && segs.get(1).from("198.18.0.1"), segs.toString());
        ToolsTunSupport.assertNoNamespaceLeft();
    }
}
