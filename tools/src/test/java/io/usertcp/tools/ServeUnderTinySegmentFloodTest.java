package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.control.SsRow;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18's "show it works": {@code usertcp serve --app echo} in a JVM whose direct memory is capped
 * at 192 MB, under the tiny-segment attack ({@link TinySegmentAttacker}: connections that send one
 * byte per write and never read, so the echo server stalls and its receive buffers fill with tiny
 * segments). Each such segment used to pin a whole 1,536-byte packet buffer: two or three attackers
 * exhausted that memory and killed the stack thread. Now the stack keeps serving (a fresh client's
 * 1 MiB echo comes back intact while the attackers hold on), the memory received data holds stays
 * within the attacked receive buffers, and nothing ran out of memory.
 */
@Tag("tun")
@Timeout(120)
class ServeUnderTinySegmentFloodTest {
    private static final int ATTACKERS = 4;
    private static final int FLOOD_SECONDS = 10;
    /**
     * What one admitted segment may charge beyond the buffer: a frame of the TUN link with the
     * virtio-net offloads, header and a 64 KB super-segment, whose read buffer a slice keeps
     * (smaller frames are copied into buffers of their size, and compact copies come in 4 KB chunks).
     */
    private static final long ONE_SEGMENT_SLACK = io.usertcp.wire.VirtioNetHeader.LENGTH + io.usertcp.tun.TunLink.MAX_MTU;

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
    }

    @Test
    void echoServeWith192MbOfDirectMemory_underTinySegmentFlood_keepsServingWithinItsBuffers(@TempDir Path dir) throws Exception {
        Path control = dir.resolve("control");
        List<String> command = new ArrayList<>(ChildUsertcp.javaCommand("-XX:MaxDirectMemorySize=192m"));
        command.addAll(List.of("serve", "--app", "echo", "--duration", "90", "--quiet", "--no-color",
                "--control-dir", control.toString()));
        ChildUsertcp serve = ChildUsertcp.start(dir, "serve", command);
        Process attacker = null;
        try {
            Path socket = awaitSocket(control, serve);
            String namespace = ControlClient.info(socket).get("namespace");
            List<String> attack = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                    TinySegmentAttacker.class.getName(), "198.18.0.2", "7", Integer.toString(ATTACKERS), Integer.toString(FLOOD_SECONDS)));
            attacker = new ProcessBuilder(attack).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(attacker.getInputStream(), StandardCharsets.UTF_8));
            String stalled = out.readLine();
            String echoed = out.readLine();
            assertTrue(stalled != null && stalled.startsWith("stalled written="), "attacker: " + stalled + " / " + echoed);
            assertEquals("echo ok", echoed, "a fresh client's 1 MiB echo while the attackers hold on");

            Map<String, Long> stats = ControlClient.stats(socket);
            long held = stats.get(ControlServer.RECEIVE_MEMORY);
            // The attacked receive buffers as they are now: autotuning (tcp_rcv_space_adjust()) grew them while the echo
            // server still read, up to tcp_rmem[2]; Linux charges its skbs' true size against the same grown sk_rcvbuf.
            // Each attacked connection as ss shows it: rb its receive buffer now (autotuning, tcp_rcv_space_adjust(),
            // grew it while the echo server still read, up to tcp_rmem[2]), r the memory its received data holds.
            List<long[]> attacked = new ArrayList<>();
            for (SsRow row : ControlClient.ss(socket)) {
                if (row.state().equals("ESTAB") && row.buffers().startsWith("rb")) {
                    attacked.add(memory(row.buffers()));
                }
            }
            assertEquals(ATTACKERS, attacked.size(), "the attackers' connections, and no other");
            TcpConfig linux = TcpConfig.linux();
            long segments = stats.get("TcpInSegs");
            System.out.printf("serve with 192 MB of direct memory: %s one-byte writes, %d segments received; received data"
                    + " holds %d B; per connection (receive buffer/held): %s; slices of packet buffers would pin %d B%n",
                    stalled.substring("stalled written=".length()), segments, held,
                    attacked.stream().map(m -> m[0] + "/" + m[1]).toList(), segments * 1536);
            long buffers = 0;
            for (long[] m : attacked) {
                assertTrue(m[0] <= linux.receiveBufferMaxBytes(), "within tcp_rmem[2]: " + m[0]);
                // Linux's bound (tcp_try_rmem_schedule(), tcp_can_ingest()): a segment is admitted while the memory held
                // is within the buffer, then charged; past it, collapse, then refuse. So one admitted segment's true size
                // of slack: with the TUN offloads, up to a super-segment holding the link's 64 KB read buffer.
                assertTrue(m[1] <= m[0] + ONE_SEGMENT_SLACK, m[1] + " B held by a receive buffer of " + m[0]);
                buffers += m[0];
            }
            assertTrue(held <= buffers + ATTACKERS * ONE_SEGMENT_SLACK, held + " B held by received data, stack-wide");
            assertTrue(held >= buffers / 4, held + " B: the attack filled the buffers");
            assertEquals(0L, stats.get("UsertcpNoMemDrops"), "no packet was dropped for want of memory: " + stats);
            assertEquals(0L, stats.get("UsertcpStackFaults"), "no fault: " + stats);
            assertEquals("alive", ControlClient.info(socket).get(ControlServer.HEALTH));

            attacker.getOutputStream().close(); // the attacker lets go
            assertTrue(attacker.waitFor(20, TimeUnit.SECONDS), "the attacker ends when told");
            serve.interrupt();
            assertEquals(ChildUsertcp.EXIT_SIGINT, serve.awaitExit(30), serve.describe());
        } finally {
            if (attacker != null) {
                attacker.destroyForcibly();
            }
            serve.close();
            // DESIGN.md §10: deleted even on failure (a killed child leaves its namespace)
            try (var entries = java.nio.file.Files.list(Path.of("/run/netns"))) {
                for (String ns : entries.map(p -> p.getFileName().toString()).filter(n -> n.contains("-p" + serve.pid() + "-n")).toList()) {
                    new ProcessBuilder("ip", "netns", "delete", ns).start().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** {rb, r} of ss's buffers column ({@code rb131072 tb87040 r4096}; r is absent when nothing is held). */
    private static long[] memory(String buffers) {
        long rb = 0;
        long r = 0;
        for (String part : buffers.split(" ")) {
            if (part.startsWith("rb")) {
                rb = Long.parseLong(part.substring(2));
            } else if (part.startsWith("r")) {
                r = Long.parseLong(part.substring(1));
            }
        }
        return new long[] {rb, r};
    }

    private static Path awaitSocket(Path dir, ChildUsertcp serve) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<Path> found = ControlClient.discover(dir);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            // waiting on serve itself: it must not end before its socket appears
            assertTrue(!serve.exitsWithin(TimeUnit.MILLISECONDS.toNanos(50)), "serve ended before its control socket appeared: "
                    + serve.describe());
        }
        throw new AssertionError("no control socket within 30 s: " + serve.describe());
    }
}
