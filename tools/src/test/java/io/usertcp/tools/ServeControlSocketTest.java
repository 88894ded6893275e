package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.SsRow;
import io.usertcp.tun.ExecResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * usertcp ss and stats read a running usertcp serve over its control socket, and say which
 * behaviour profile the stack runs.
 */
@Tag("tun")
@Timeout(60)
class ServeControlSocketTest {

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("bash", "bash");
    }

    @Test
    void ssAndStats_readARunningServe_thenServeStopsAndCleansUp(@TempDir Path dir) throws Exception {
        CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> UsertcpMain.commandLine().execute(
                "serve", "--app", "echo", "--duration", "8", "--quiet", "--no-color", "--control-dir", dir.toString()));
        Path socket = awaitSocket(dir, serve);
        Map<String, String> info = ControlClient.info(socket);
        String namespace = info.get("namespace");
        assertTrue(namespace.startsWith("usertcp-serve-"), info.toString());
        assertEquals("linux", info.get("profile"), "the default profile, as the stack reports it: " + info);

        List<SsRow> listening = awaitListener(socket, serve);
        assertTrue(listening.contains(new SsRow("LISTEN", 0, 256, "0.0.0.0:7", "*:*", "", "", "", "", "", "")), listening.toString());

        // a kernel client in the serve's namespace: bash's /dev/tcp, echo and read back
        ExecResult echo = exec(namespace, "bash", "-c", "exec 3<>/dev/tcp/198.18.0.2/7; echo hello >&3; head -1 <&3");
        assertEquals("hello", echo.output().strip(), echo.describe());

        Map<String, Long> stats = ControlClient.stats(socket);
        assertEquals(1L, stats.get("TcpPassiveOpens"), stats.toString());
        assertTrue(stats.get("TcpInSegs") >= 4, stats.toString());

        Printed ss = printed("ss", "--control-dir", dir.toString());
        assertEquals(UsertcpMain.EXIT_OK, ss.exit(), ss.text());
        assertTrue(ss.text().contains("# " + namespace), ss.text());
        assertTrue(ss.text().contains(", profile linux)\n"), ss.text());
        assertTrue(ss.text().contains("State") && ss.text().contains("0.0.0.0:7"), ss.text());

        assertEquals(UsertcpMain.EXIT_OK, serve.get(30, TimeUnit.SECONDS));
        assertTrue(ControlClient.discover(dir).isEmpty(), "the control socket is deleted when serve stops");
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void serveWithProfileFreebsd_runsTheFreebsdProfile_asInfoSsAndStatsReport(@TempDir Path dir) throws Exception {
        CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> UsertcpMain.commandLine().execute(
                "serve", "--app", "discard", "--profile", "freebsd", "--duration", "5", "--quiet", "--no-color",
                "--control-dir", dir.toString()));
        Path socket = awaitSocket(dir, serve);
        Map<String, String> info = ControlClient.info(socket);
        // read from the running stack (TcpStack.profile()), not from serve's command line
        assertEquals(TcpProfile.freebsd().name(), info.get("profile"), info.toString());
        String header = "# " + info.get("namespace") + " (pid " + info.get("pid") + ", discard on port 9, stack 198.18.0.2,"
                + " profile freebsd)";

        Printed ss = printed("ss", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, ss.exit(), ss.text());
        assertEquals(header, ss.text().lines().findFirst().orElse(""), ss.text());
        Printed stats = printed("stats", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, stats.exit(), stats.text());
        List<String> lines = stats.text().lines().toList();
        assertEquals(header, lines.get(0), stats.text());
        // the counters below it keep their shape: a name and a number; zeros only with -z (nstat -z)
        lines.subList(1, lines.size()).forEach(l -> assertTrue(l.matches("\\S+\\s+\\d+"), l));
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("TcpExtTCPFastOpenActive ")), stats.text());
        Printed zeros = printed("stats", "-z", "--socket", socket.toString());
        assertTrue(zeros.text().lines().anyMatch(l -> l.matches("TcpExtTCPFastOpenActive\\s+0")), zeros.text());
        assertTrue(zeros.text().lines().count() > lines.size(), zeros.text());
        // rate mode: two intervals, each a header and nstat's three columns (name, increment, rate)
        Printed rates = printed("stats", "--interval", "0.2", "--count", "2", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, rates.exit(), rates.text());
        assertEquals(2, rates.text().lines().filter(l -> l.equals(header)).count(), "two intervals: " + rates.text());
        rates.text().lines().filter(l -> !l.startsWith("# ")).forEach(l -> assertTrue(l.matches("\\S+\\s+-?\\d+\\s+-?\\d+\\.\\d"), l));

        // Issue 17: the same, machine-readable: an array with one object per stack
        Printed ssJson = printed("ss", "--json", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, ssJson.exit(), ssJson.text());
        List<?> stacks = (List<?>) io.usertcp.tools.bench.MiniJson.parse(ssJson.text());
        Map<?, ?> stack = (Map<?, ?>) stacks.get(0);
        assertEquals(List.of(info.get("namespace"), "freebsd"), List.of(stack.get("namespace"), stack.get("profile")), ssJson.text());
        Map<?, ?> listener = (Map<?, ?>) ((List<?>) stack.get("connections")).get(0);
        assertEquals(List.of("LISTEN", "0.0.0.0:9"), List.of(listener.get("state"), listener.get("local")), ssJson.text());
        Printed statsJson = printed("stats", "--json", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, statsJson.exit(), statsJson.text());
        Map<?, ?> counters = (Map<?, ?>) ((Map<?, ?>) ((List<?>) io.usertcp.tools.bench.MiniJson.parse(statsJson.text())).get(0))
                .get("counters");
        assertTrue(counters.containsKey("TcpCurrEstab") && counters.containsKey("UsertcpReceiveMemoryBytes"), statsJson.text());

        assertEquals(UsertcpMain.EXIT_OK, serve.get(30, TimeUnit.SECONDS));
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    private record Printed(int exit, String text) {}

    /** Runs a usertcp command in this JVM; what it printed on standard output. */
    private static Printed printed(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = UsertcpMain.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Printed(exit, out.toString(StandardCharsets.UTF_8));
    }

    // Linux parity: the receive buffer grows with the transfer (tcp_rcv_space_adjust()), and ss shows it as ss -m's rb.
    @Test
    void bulkTransferFromTheKernel_receiveBufferAutotuningVisibleInSs_andTheWindowGrowsInThePcap(@TempDir Path dir)
            throws Exception {
        ToolsTunSupport.requireCommand("tcpdump", "tcpdump");
        Path pcap = dir.resolve("autotuning.pcap");
        Path control = dir.resolve("control");
        CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> UsertcpMain.commandLine().execute(
                "serve", "--app", "discard", "--duration", "6", "--quiet", "--no-color", "--control-dir", control.toString(),
                "--pcap", pcap.toString()));
        Path socket = awaitSocket(control, serve);
        String namespace = ControlClient.info(socket).get("namespace");
        awaitListener(socket, serve);
        // A kernel client in the namespace sends 64 MiB to the discard server.
        Process sender = new ProcessBuilder("ip", "netns", "exec", namespace, "bash", "-c",
                "exec 3<>/dev/tcp/198.18.0.2/9; head -c 67108864 /dev/zero >&3; exec 3>&-")
                .redirectErrorStream(true).start();
        long largest = 0;
        int samples = 0;
        String kernelSs = null;
        String ourSs = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        while (!sender.waitFor(5, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
            for (SsRow row : ControlClient.ss(socket)) {
                if (row.state().equals("ESTAB") && row.buffers().startsWith("rb")) {
                    largest = Math.max(largest, Long.parseLong(row.buffers().substring(2, row.buffers().indexOf(' '))));
                    samples++;
                }
            }
            if (samples > 0 && ourSs == null) {
                // Both sides of the transfer as ss -tanoi prints them: the kernel's client, and our server.
                kernelSs = exec(namespace, "ss", "-tanoi").output();
                ourSs = printed("ss", "-tanoi", "--socket", socket.toString()).text();
            }
        }
        assertTrue(sender.waitFor(10, TimeUnit.SECONDS), "the kernel sender finished");
        assertEquals(0, sender.exitValue(), new String(sender.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertTrue(samples > 0, "ss showed the connection during the transfer");
        assertTrue(largest > 131072, "the receive buffer grew past tcp_rmem[1] during the transfer: rb" + largest
                + " (" + samples + " samples)");
        assertEquals(UsertcpMain.EXIT_OK, serve.get(30, TimeUnit.SECONDS));
        sameSsFormat(kernelSs, ourSs);

        // The capture, read back by tcpdump: our ACKs' window field grows from the handshake's.
        List<Long> windows = PcapChecks.tcpdump(pcap).stream()
                .filter(l -> l.contains("198.18.0.2.9 > ") && l.contains(" win "))
                .map(l -> Long.parseLong(l.replaceAll(".* win (\\d+).*", "$1")))
                .toList();
        assertTrue(windows.size() > 10, "our ACKs are in the capture: " + windows.size());
        long firstAfterHandshake = windows.get(1);
        assertTrue(windows.stream().mapToLong(Long::longValue).max().orElse(0) > 2 * firstAfterHandshake,
                "the advertised window grew: first " + firstAfterHandshake + ", largest "
                        + windows.stream().mapToLong(Long::longValue).max().orElse(0));
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    /**
     * #17: usertcp ss -tanoi parses with the same parser as real ss -tanoi: the kernel's sending
     * socket and our receiving one each give a socket line and a TCP_INFO line whose common keys hold
     * numbers, and each side shows the counters of its direction.
     */
    private static void sameSsFormat(String kernelSs, String ourSs) {
        assertNotNull(ourSs, "ss ran during the transfer");
        SsOutput.Socket kernel = SsOutput.parse(kernelSs).stream()
                .filter(s -> s.state().equals("ESTAB") && s.peer().equals("198.18.0.2:9")).findFirst()
                .orElseThrow(() -> new AssertionError("the kernel's client in ss -tanoi:\n" + kernelSs));
        List<SsOutput.Socket> ours = SsOutput.parse(ourSs.lines().filter(l -> !l.startsWith("# ")).collect(
                java.util.stream.Collectors.joining("\n")));
        SsOutput.Socket server = ours.stream().filter(s -> s.state().equals("ESTAB") && s.local().equals("198.18.0.2:9"))
                .findFirst().orElseThrow(() -> new AssertionError("our server in usertcp ss -tanoi:\n" + ourSs));
        assertTrue(ours.stream().anyMatch(s -> s.state().equals("LISTEN") && s.local().equals("0.0.0.0:9")), ourSs);
        for (String key : List.of("rto", "mss", "rcvmss", "advmss", "cwnd", "segs_out", "segs_in")) {
            assertTrue(kernel.info().containsKey(key), key + " in the kernel's line: " + kernel.info());
            assertTrue(server.info().containsKey(key), key + " in our line: " + server.info() + "\n" + ourSs);
            assertTrue(SsOutput.number(server.info().get(key)) > 0, key);
        }
        // rtt, and send (which ss computes from it), only while tcpi_rtt is above 0, as ss prints them: the kernel
        // times its sender's segments in microseconds; our receiver's one sample may be its handshake's, from a
        // timestamp echo in whole milliseconds (0 on this path)
        assertTrue(SsOutput.number(kernel.info().get("rtt")) > 0 && SsOutput.number(kernel.info().get("send")) > 0, kernel.info().toString());
        assertEquals(server.info().containsKey("rtt"), server.info().containsKey("send"), server.info().toString());
        assertTrue(kernel.flags().contains("ts") && server.flags().contains("ts"), "timestamps on both: " + server.flags());
        assertTrue(SsOutput.number(kernel.info().get("bytes_sent")) > 0, "the kernel sends: " + kernel.info());
        assertTrue(SsOutput.number(server.info().get("bytes_received")) > 0, "we receive: " + server.info());
        assertTrue(SsOutput.number(server.info().get("data_segs_in")) > 0, "we receive: " + server.info());
        assertEquals(SsOutput.number(kernel.info().get("wscale").split(",")[0]),
                SsOutput.number(server.info().get("wscale").split(",")[1]), "the kernel's send shift is our receive shift");
    }

    private static Path awaitSocket(Path dir, CompletableFuture<Integer> serve) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<Path> found = ControlClient.discover(dir);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            try {
                // waiting on serve itself: it must not end before its socket appears
                throw new AssertionError("serve ended with " + serve.get(50, TimeUnit.MILLISECONDS) + " before its control socket appeared");
            } catch (java.util.concurrent.TimeoutException stillServing) {
                // not yet: look again
            }
        }
        throw new AssertionError("no control socket in " + dir + " within 20 s");
    }

    /** The control socket opens with the stack, a moment before the echo server listens. */
    private static List<SsRow> awaitListener(Path socket, CompletableFuture<Integer> serve) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<SsRow> rows = ControlClient.ss(socket);
        while (rows.isEmpty() && System.nanoTime() < deadline) {
            try {
                throw new AssertionError("serve ended with " + serve.get(20, TimeUnit.MILLISECONDS));
            } catch (java.util.concurrent.TimeoutException stillServing) {
                rows = ControlClient.ss(socket);
            }
        }
        return rows;
    }

    private static ExecResult exec(String namespace, String... command) throws Exception {
        List<String> line = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + line);
        }
        return new ExecResult(line, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), false);
    }
}
