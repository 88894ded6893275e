package io.usertcp.tools.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.tools.ToolsTunSupport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pcapng with our side's state on every packet (#17): the handshake-data-close exchange tapped at A,
 * read back by tshark (Wireshark 4), which sees every packet with its comment and raises no expert
 * warning.
 */
class PcapngWriterTest {
    @TempDir
    Path dir;

    @Test
    void tsharkReadsEveryPacketWithOurStateAsItsComment() throws Exception {
        ToolsTunSupport.requireCommand("tshark", "tshark");
        Path file = dir.resolve("a.pcapng");
        long packets;
        try (PcapTap tap = PcapTap.openPcapng(file, TwoStackCaptures.EPOCH_OFFSET_NANOS)) {
            try (TwoStacks net = TwoStackCaptures.twoStacks(tap, ConnectionObserver.NONE)) {
                TwoStackCaptures.handshakeDataClose(net);
            }
            packets = tap.packetCount();
        }
        List<String> lines = tshark("-r", file.toString(), "-T", "fields", "-E", "separator=|", "-e", "tcp.flags.str",
                "-e", "frame.comment");
        assertEquals(packets, lines.size(), String.join("\n", lines));
        assertEquals(List.of(
                "··········S·|ours: CLOSED → SYN-SENT (user OPEN (active))",
                "·······A··S·|ours: SYN-SENT → ESTABLISHED (rcv SYN,ACK)",
                "·······A····|ours: ESTABLISHED"), lines.subList(0, 3));
        assertTrue(lines.stream().anyMatch(l -> l.contains("F|ours: ESTABLISHED → FIN-WAIT-1 (user CLOSE)")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("→ TIME-WAIT")), String.join("\n", lines));
        assertTrue(lines.stream().allMatch(l -> l.contains("|ours: ")), "every packet carries our state: " + lines);
        // Wireshark's expert info: comments (and the chat of SYN and FIN), nothing at warning level or above
        String expert = String.join("\n", tshark("-r", file.toString(), "-q", "-z", "expert,warn"));
        assertTrue(!expert.contains("Warns") && !expert.contains("Errors"), expert);
    }

    private static List<String> tshark(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tshark"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "tshark finished");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
