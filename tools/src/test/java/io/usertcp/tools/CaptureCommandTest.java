package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.PcapChecks.Seg;
import io.usertcp.tools.control.CaptureClient;
import io.usertcp.tools.control.CaptureFrames;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.SsRow;
import io.usertcp.tools.pcap.PcapReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp capture} against a running {@code usertcp serve} (its own JVM, as a user starts it,
 * on a TUN device and addresses named on its command line, with {@code --pcap}), with curl in the
 * serve's namespace as the kernel's client. The tests share the serve and run in order; the last
 * stops it with Ctrl-C and checks its pcap file.
 */
@Tag("tun")
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaptureCommandTest {
    private static final String DEVICE = "cap0";
    private static final String KERNEL = "198.18.7.1";
    private static final String STACK = "198.18.7.2";
    private static final Pattern SUMMARY = Pattern.compile(
            "usertcp capture: (\\d+) packets \\((\\d+) bytes; (\\d+) received, (\\d+) sent by the stack\\) written to .*, (\\d+) dropped.*");

    @TempDir
    static Path dir;

    private ChildUsertcp serve;
    private Path socket;
    private String namespace;
    private long startMicros;

    @BeforeAll
    void startServe() throws Exception {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("curl", "curl");
        ToolsTunSupport.requireCommand("tcpdump", "tcpdump");
        startMicros = System.currentTimeMillis() * 1000;
        serve = ChildUsertcp.start(dir, "serve", "serve", "--app", "http", "--duration", "120", "--quiet", "--no-color",
                "--control-dir", dir.resolve("control").toString(), "--dev", DEVICE, "--kernel-addr", KERNEL,
                "--stack-addr", STACK, "--pcap", dir.resolve("serve.pcap").toString());
        await("serve's control socket", 20, () -> !sockets().isEmpty());
        socket = sockets().get(0);
        namespace = ControlClient.info(socket).get("namespace");
        await("serve's listener", 10, () -> ssRows().stream().anyMatch(r -> r.state().equals("LISTEN")));
    }

    @AfterAll
    void stopServe() throws Exception {
        if (serve != null) {
            serve.close();
        }
        if (namespace != null && Files.exists(Path.of("/run/netns", namespace))) {
            new ProcessBuilder("ip", "netns", "delete", namespace).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void serve_runsOnTheNamedDevice_withTheChosenAddresses() throws Exception {
        String addr = exec("ip", "-br", "addr", "show", "dev", DEVICE);
        assertTrue(addr.startsWith(DEVICE) && addr.contains(KERNEL + "/24"), addr);
        Map<String, String> info = ControlClient.info(socket);
        assertEquals(DEVICE, info.get("device"));
        assertEquals(STACK, info.get("stack"));
        assertEquals(KERNEL, info.get("kernel"));
        assertTrue(namespace.startsWith("usertcp-serve-"), namespace);
    }

    @Test
    @Order(2)
    void capture_untilCtrlC_everySegmentSynToFinBothDirections_readByPcap4jAndTcpdump() throws Exception {
        Path file = dir.resolve("x.pcap");
        long before = segmentsSoFar();
        try (ChildUsertcp capture = ChildUsertcp.start(dir, "capture", "capture", "-w", file.toString(), "--socket", socket.toString())) {
            awaitCaptures(1, capture);
            curl("http://" + STACK + "/");
            awaitOnlyListener();
            long expected = segmentsSoFar() - before;
            // the capture writes as it reads: wait until the file holds every segment, then Ctrl-C
            await("all " + expected + " segments in " + file, 10, () -> count(file) == expected);
            capture.interrupt();
            assertEquals(ChildUsertcp.EXIT_SIGINT, capture.awaitExit(10), capture.describe());

            Matcher m = summary(capture.err());
            assertEquals(expected, Long.parseLong(m.group(1)), capture.err());
            List<Seg> segs = PcapChecks.readWithPcap4j(file);
            assertEquals(expected, segs.size());
            assertEquals(segs.stream().mapToLong(Seg::ipLength).sum(), Long.parseLong(m.group(2)), "bytes in the summary");
            assertEquals(segs.stream().filter(s -> s.from(KERNEL)).count(), Long.parseLong(m.group(3)), "received");
            assertEquals(segs.stream().filter(s -> s.from(STACK)).count(), Long.parseLong(m.group(4)), "sent");
            assertEquals(0, Long.parseLong(m.group(5)), "dropped");

            List<Seg> conn = PcapChecks.assertOpenedAndClosed(segs, KERNEL, STACK, 80);
            assertEquals(segs, conn, "nothing but that connection");
            assertTrue(conn.stream().anyMatch(s -> s.from(STACK) && s.payloadLength() > 0), "the page, from our stack");
            // times from the stack clock, mapped to the wall clock: within this test, never going back
            long now = System.currentTimeMillis() * 1000 + 1000;
            for (int i = 0; i < segs.size(); i++) {
                assertTrue(segs.get(i).epochMicros() >= startMicros && segs.get(i).epochMicros() <= now, "time of " + i);
                assertTrue(i == 0 || segs.get(i).epochMicros() >= segs.get(i - 1).epochMicros(), "time of " + i);
            }

            List<String> lines = PcapChecks.tcpdump(file);
            assertEquals(segs.size(), lines.size(), String.join("\n", lines));
            int port = conn.get(0).sourcePort();
            String toUs = KERNEL + "." + port + " > " + STACK + ".80: Flags ";
            String toKernel = STACK + ".80 > " + KERNEL + "." + port + ": Flags ";
            assertTrue(lines.get(0).contains(" IP " + toUs + "[S],"), lines.get(0));
            assertTrue(lines.get(1).contains(" IP " + toKernel + "[S.],"), lines.get(1));
            assertTrue(lines.stream().anyMatch(l -> l.contains(toUs + "[F.]")), "the kernel's FIN");
            assertTrue(lines.stream().anyMatch(l -> l.contains(toKernel + "[F.]")), "our FIN");
            assertTrue(lines.stream().anyMatch(l -> l.contains("HTTP/1.1 200")), "the answer, as tcpdump decodes it");
        }
        awaitCaptures(0, null);
    }

    @Test
    @Order(3)
    void captureToStandardOutput_pipedIntoTcpdump() throws Exception {
        String pipeline = quote(ChildUsertcp.javaCommand()) + " capture -w - --count 3 --socket " + socket
                + " | " + PcapChecks.tcpdumpCommand() + " -n -r -";
        try (ChildUsertcp piped = ChildUsertcp.start(dir, "pipe", List.of("bash", "-o", "pipefail", "-c", pipeline))) {
            awaitCaptures(1, piped);
            curl("http://" + STACK + "/");
            assertEquals(0, piped.awaitExit(15), piped.describe());
            List<String> lines = piped.out().lines().toList();
            assertEquals(3, lines.size(), piped.describe());
            assertTrue(lines.get(0).contains(" > " + STACK + ".80: Flags [S],"), lines.get(0));
            assertTrue(lines.get(1).contains(STACK + ".80 > " + KERNEL + "."), lines.get(1));
            assertTrue(lines.get(1).contains("Flags [S.],"), lines.get(1));
            assertTrue(lines.get(2).contains("Flags [.],"), lines.get(2));
            assertEquals("3", summary(piped.err()).group(1), piped.err());
        }
        awaitOnlyListener();
    }

    @Test
    @Order(4)
    void readersThatVanishOrDoNotRead_neverStallTheStack_dropsAreCounted() throws Exception {
        long before = segmentsSoFar();
        int bytes = 16_000_000; // more than the 8 MiB a stream queues: a reader that does not read loses some
        CaptureClient vanishing = CaptureClient.open(socket);
        try (CaptureClient idle = CaptureClient.open(socket)) {
            awaitCaptures(2, null);
            Process download = new ProcessBuilder("ip", "netns", "exec", namespace, "curl", "-sS", "--max-time", "30",
                    "-o", "/dev/null", "-w", "%{size_download}", "http://" + STACK + "/bytes/" + bytes).start();
            Tally seen = new Tally();
            while (seen.packets < 200) {
                assertTrue(vanishing.poll(1000, seen), "the stream is open");
            }
            vanishing.close(); // mid-download, without a word

            assertTrue(download.waitFor(30, TimeUnit.SECONDS), "the download finished");
            String got = new String(download.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, download.exitValue(), got);
            assertEquals(Integer.toString(bytes), got, "the stack served every byte");
            awaitCaptures(1, null); // the vanished reader's stream noticed and went

            awaitOnlyListener();
            long segments = segmentsSoFar() - before;
            Tally late = new Tally();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (late.packets + late.dropped < segments && System.nanoTime() < deadline) {
                assertTrue(idle.poll(1000, late), "the stream is open");
            }
            assertTrue(late.dropped > 0, "dropped " + late.dropped + " of " + segments);
            assertEquals(segments, late.packets + late.dropped, "each segment delivered or counted as dropped");
        } finally {
            vanishing.close();
        }
        awaitCaptures(0, null);
        curl("http://" + STACK + "/"); // and it still serves
    }

    @Test
    @Order(5)
    void ctrlC_stopsServe_endsItsCaptures_itsPcapIsCompleteWithEveryHandshake_andNothingIsLeft() throws Exception {
        Path last = dir.resolve("last.pcap");
        long segments;
        try (ChildUsertcp capture = ChildUsertcp.start(dir, "last", "capture", "-w", last.toString(), "--socket", socket.toString())) {
            awaitCaptures(1, capture);
            segments = segmentsSoFar();
            serve.interrupt();
            assertEquals(ChildUsertcp.EXIT_SIGINT, serve.awaitExit(30), serve.describe());
            // the capture is told the stack stopped (the end frame), closes its file and says so
            assertEquals(UsertcpMain.EXIT_OK, capture.awaitExit(10), capture.describe());
            assertTrue(capture.err().strip().endsWith("; the stack stopped"), capture.describe());
            assertEquals("0", summary(capture.err()).group(1));
        }
        assertEquals(0, PcapChecks.countWithPcap4j(last), "a valid pcap file, with no segment: none came");
        assertTrue(serve.err().contains("pcap: " + segments + " segments written to"), serve.describe());
        Path file = dir.resolve("serve.pcap");
        PcapReader.Capture ours = PcapReader.read(file);
        assertFalse(ours.cutShort(), "the file ends with a whole record");
        int records = PcapChecks.countWithPcap4j(file);
        assertEquals(ours.packets().size(), records);
        assertEquals(segments, records, "every segment the stack saw, the same count it reported");
        // decoding the first connections is enough to see the handshakes (the download is 16 MB)
        List<Seg> segs = PcapChecks.readWithPcap4j(file, 100);
        PcapChecks.assertOpenedAndClosed(segs, KERNEL, STACK, 80);
        assertTrue(segs.stream().filter(s -> s.syn() && !s.ack()).count() >= 2, "the first curls' SYNs");
        assertFalse(Files.exists(Path.of("/run/netns", namespace)), "namespace " + namespace + " deleted");
        assertTrue(sockets().isEmpty(), "control socket deleted");
    }

    // ------------------------------------------------------------------ helpers

    /** Counts what a raw capture reader receives. */
    private static final class Tally implements CaptureFrames.Receiver {
        long packets;
        long dropped;

        @Override
        public void packet(long epochNanos, boolean outbound, byte[] ipv4) {
            packets++;
        }

        @Override
        public void dropped(long total) {
            dropped = total;
        }

        @Override
        public void ended(long total) {
            dropped = total;
        }
    }

    private static List<Path> sockets() {
        try {
            return ControlClient.discover(dir.resolve("control"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<SsRow> ssRows() {
        try {
            return ControlClient.ss(socket);
        } catch (java.io.IOException e) {
            throw new AssertionError("serve did not answer ss: " + serve.describe(), e);
        }
    }

    /** Segments the stack has received and sent since it started (each one reaches its observers). */
    /**
     * The datagrams our stack took in and handed out so far, which is what a capture records: with
     * the TUN offloads a super-segment is one datagram (IpOutRequests, as Linux counts per skb)
     * and several segments (TcpOutSegs, tcp_skb_pcount); only TCP flows in these tests.
     */
    private long segmentsSoFar() throws Exception {
        Map<String, Long> stats = ControlClient.stats(socket);
        return stats.getOrDefault("TcpInSegs", 0L) + stats.getOrDefault("IpOutRequests", 0L);
    }

    /** Our side of every connection has finished (CLOSED: curl closes first, the kernel keeps TIME-WAIT). */
    private void awaitOnlyListener() throws Exception {
        await("our connections closed", 10, () -> ssRows().stream().allMatch(r -> r.state().equals("LISTEN")));
    }

    private void awaitCaptures(int n, ChildUsertcp child) throws Exception {
        await(n + " capture streams", 20, () -> {
            if (child != null && !child.isAlive()) {
                throw new AssertionError("ended early: " + child.describe());
            }
            try {
                return ControlClient.info(socket).get("captures").equals(Integer.toString(n));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static long count(Path file) {
        try {
            return Files.size(file) < 24 ? -1 : PcapReader.read(file).packets().size();
        } catch (java.io.IOException e) {
            return -1; // not yet written
        }
    }

    private void curl(String url) throws Exception {
        String out = exec("curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", url);
        assertEquals("200", out, "curl " + url);
    }

    private String exec(String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "timed out: " + line);
        assertEquals(0, p.exitValue(), line + ": " + new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8).strip();
    }

    /**
     * The capture's one summary line. In a pipeline, tcpdump shares standard error ("reading from
     * file -"), and the two processes' lines interleave in either order, so the line is looked for
     * among all of them.
     */
    private static Matcher summary(String stderr) {
        List<Matcher> found = stderr.strip().lines().map(SUMMARY::matcher).filter(Matcher::matches).toList();
        assertEquals(1, found.size(), "one summary line: " + stderr);
        return found.get(0);
    }

    private static String quote(List<String> words) {
        return String.join(" ", words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").toList());
    }

    /**
     * Waits for {@code condition}, at most {@code seconds}. The condition lives in another process
     * (serve's control socket, a file it writes), so it is checked again every 20 ms; in between
     * the test blocks on serve's exit, which fails the wait at once if serve dies.
     */
    private void await(String what, long seconds, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + seconds + " s; serve: " + serve.describe());
            }
            if (serve.exitsWithin(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)))) {
                throw new AssertionError("serve ended: " + serve.describe());
            }
        }
    }
}
