package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.Shard;
import io.usertcp.tools.PcapChecks.Seg;
import io.usertcp.tools.InJvmCommand.Printed;
import io.usertcp.tools.bench.MiniJson;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.SsRow;
import io.usertcp.wire.Ipv4Address;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp serve --shards 2} (its own JVM, as a user starts it): an echo server on both
 * shards of a multi-queue TUN device, with kernel clients whose source ports are chosen so that
 * each shard owns four of the connections ({@link Shard#of}, the one place that decides). Then
 * {@code ss} in all its forms lists every connection with the shard that owns it, {@code stats}
 * shows the sum of the shards' counters and each shard's, and {@code capture} records both shards'
 * segments.
 */
@Tag("tun")
@Timeout(120)
class ServeShardsTest {
    private static final String KERNEL = "198.18.0.1";
    private static final String STACK = "198.18.0.2";
    private static final int PORT = 7;
    private static final int SHARDS = 2;
    private static final int PER_SHARD = 4;
    private static final int CAPTURED = 32;

    @Test
    void serveWithTwoShards_servesOnBoth_ssStatsAndCaptureShowEveryConnectionWithItsShard(@TempDir Path dir) throws Exception {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("tcpdump", "tcpdump"); // and with it libpcap, for capture and pcap4j
        Map<Integer, Integer> owner = sourcePortsOwnedByEachShard();
        Path control = dir.resolve("control");
        List<String> command = new ArrayList<>(ChildUsertcp.javaCommand("-Dio.netty.leakDetection.level=paranoid"));
        command.addAll(List.of("serve", "--app", "echo", "--shards", Integer.toString(SHARDS), "--duration", "100", "--quiet",
                "--no-color", "--control-dir", control.toString()));
        ChildUsertcp serve = ChildUsertcp.start(dir, "serve", command);
        try {
            await(serve, "serve's control socket", () -> !discover(control).isEmpty());
            Path socket = discover(control).get(0);
            Map<String, String> info = ControlClient.info(socket);
            assertEquals("2", info.get("shards"), info.toString());
            // a listener on each shard, as ss shows one LISTEN row per SO_REUSEPORT socket
            await(serve, "a listener on each shard", () -> listenerShards(socket).equals(List.of(0, 1)));

            Path pcap = dir.resolve("shards.pcap");
            try (ChildUsertcp capture = ChildUsertcp.start(dir, "capture", "capture", "-w", pcap.toString(), "--count",
                    Integer.toString(CAPTURED), "--socket", socket.toString())) {
                await(serve, "the capture stream", () -> info(socket).get("captures").equals("1"));
                Process clients = startClients(info.get("namespace"), owner.keySet());
                try {
                    BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                    assertEquals("open " + owner.size(), out.readLine(), () -> "the clients: " + errorOf(clients));

                    ssShowsEachConnectionOnItsShard(socket, owner);
                    statsSumTheShards(socket);
                    assertEquals(UsertcpMain.EXIT_OK, capture.awaitExit(20), capture.describe());
                    captureHoldsBothShardsSegments(pcap, owner);
                } finally {
                    clients.getOutputStream().close(); // they close their connections and exit
                    assertTrue(clients.waitFor(20, TimeUnit.SECONDS), "the clients exit");
                }
                assertEquals(0, clients.exitValue(), () -> "the clients: " + errorOf(clients));
            }
            serve.interrupt();
            assertEquals(ChildUsertcp.EXIT_SIGINT, serve.awaitExit(30), serve.describe());
            assertFalse(serve.err().contains("LEAK"), "no buffer leaked (paranoid leak detection): " + serve.describe());
            assertTrue(discover(control).isEmpty(), "control socket deleted");
        } finally {
            serve.close();
            ToolsTunSupport.deleteNamespacesOf(serve.pid());
        }
        assertTrue(ToolsTunSupport.namespacesOf(serve.pid()).isEmpty(), "serve's namespace deleted");
    }

    /** Source ports from 20000 on (below the kernel's ephemeral range): four each shard owns, alternating. */
    private static Map<Integer, Integer> sourcePortsOwnedByEachShard() {
        int stack = Ipv4Address.of(STACK).bits();
        int kernel = Ipv4Address.of(KERNEL).bits();
        Map<Integer, Integer> owner = new java.util.LinkedHashMap<>();
        int[] taken = new int[SHARDS];
        for (int port = 20_000; owner.size() < SHARDS * PER_SHARD; port++) {
            int shard = Shard.of(stack, PORT, kernel, port, SHARDS); // seen from our side: local is the stack
            if (taken[shard] < PER_SHARD && shard == owner.size() % SHARDS) {
                taken[shard]++;
                owner.put(port, shard);
            }
        }
        return owner;
    }

    private static void ssShowsEachConnectionOnItsShard(Path socket, Map<Integer, Integer> owner) throws Exception {
        // the rows as they cross the control socket
        Map<Integer, Integer> seen = new TreeMap<>();
        for (SsRow r : ControlClient.ss(socket)) {
            if (r.state().equals("ESTAB")) {
                seen.put(peerPort(r.peer()), r.shard());
            }
        }
        assertEquals(new TreeMap<>(owner), seen, "every connection, on the shard that owns its four-tuple");

        // the table: the header says how many shards, a last column says which
        Printed table = InJvmCommand.run("ss", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, table.exit(), table.out());
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(0).endsWith(", 2 shards)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("State") && lines.get(1).endsWith("Shard"), lines.get(1));
        assertEquals(owner, columnShards(lines, "ESTAB"), table.out());
        Printed listening = InJvmCommand.run("ss", "-l", "--socket", socket.toString());
        assertEquals(List.of("0", "1"), listening.out().lines().filter(l -> l.startsWith("LISTEN"))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList(), listening.out());

        // ss's own layout (-tanoi): shard:N ends each socket's TCP_INFO line, and it parses as ss's
        Printed layout = InJvmCommand.run("ss", "-tanoi", "--socket", socket.toString());
        List<SsOutput.Socket> parsed = SsOutput.parse(layout.out().lines().filter(l -> !l.startsWith("# "))
                .collect(Collectors.joining("\n")));
        Map<Integer, Integer> fromLayout = new TreeMap<>();
        for (SsOutput.Socket s : parsed) {
            assertNotNull(s.info().get("shard"), "a shard for " + s.local() + " " + s.peer() + ":\n" + layout.out());
            if (s.state().equals("ESTAB")) {
                assertTrue(s.info().containsKey("rto") && s.info().containsKey("cwnd"), s.info().toString());
                fromLayout.put(peerPort(s.peer()), Integer.parseInt(s.info().get("shard")));
            }
        }
        assertEquals(new TreeMap<>(owner), fromLayout, layout.out());

        // JSON, filtered by state as ss filters: each connection with its shard, the stack with its count
        Printed json = InJvmCommand.run("ss", "--json", "--socket", socket.toString(), "state", "established");
        Map<?, ?> stack = (Map<?, ?>) ((List<?>) MiniJson.parse(json.out())).get(0);
        assertEquals(2.0, stack.get("shards"), json.out());
        Map<Integer, Integer> fromJson = new TreeMap<>();
        for (Object o : (List<?>) stack.get("connections")) {
            Map<?, ?> c = (Map<?, ?>) o;
            assertEquals("ESTAB", c.get("state"), json.out());
            fromJson.put(peerPort((String) c.get("peer")), ((Double) c.get("shard")).intValue());
        }
        assertEquals(new TreeMap<>(owner), fromJson, json.out());
    }

    /** Peer port to the number in the table's last column, for the rows in {@code state}. */
    private static Map<Integer, Integer> columnShards(List<String> lines, String state) {
        Map<Integer, Integer> out = new java.util.LinkedHashMap<>();
        for (String l : lines) {
            if (l.startsWith(state + " ")) {
                String[] f = l.trim().split("\\s+");
                out.put(peerPort(f[4]), Integer.parseInt(f[f.length - 1]));
            }
        }
        return out;
    }

    private static void statsSumTheShards(Path socket) {
        // one answer, both views: the summed counters and each shard's
        Printed json = InJvmCommand.run("stats", "--json", "--per-shard", "-z", "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, json.exit(), json.out());
        Map<?, ?> stack = (Map<?, ?>) ((List<?>) MiniJson.parse(json.out())).get(0);
        Map<?, ?> counters = (Map<?, ?>) stack.get("counters");
        List<?> perShard = (List<?>) stack.get("per_shard");
        assertEquals(SHARDS, perShard.size(), json.out());
        assertTrue(counters.size() > 20, json.out());
        counters.forEach((name, sum) -> assertEquals(sum, perShard.stream().mapToDouble(s -> (Double) ((Map<?, ?>) s).get(name)).sum(),
                "the sum of " + name + " over the shards"));
        for (Object s : perShard) {
            // each shard accepted the connections it owns, and no other
            assertEquals((double) PER_SHARD, ((Map<?, ?>) s).get("TcpPassiveOpens"), json.out());
            assertEquals((double) PER_SHARD, ((Map<?, ?>) s).get("TcpCurrEstab"), json.out());
        }

        // nstat's form: the sum, as one kernel's; --per-shard, a column per shard under a #counter line
        Printed sum = InJvmCommand.run("stats", "--socket", socket.toString());
        List<String> lines = sum.out().lines().toList();
        assertTrue(lines.get(0).endsWith(", 2 shards)"), lines.get(0));
        assertTrue(lines.contains(String.format("%-36s %14d", "TcpPassiveOpens", SHARDS * PER_SHARD)), sum.out());
        assertTrue(lines.contains(String.format("%-36s %14d", "TcpCurrEstab", SHARDS * PER_SHARD)), sum.out());
        Printed each = InJvmCommand.run("stats", "--per-shard", "--socket", socket.toString());
        List<String> eachLines = each.out().lines().toList();
        assertEquals(String.format("%-36s %14s %14s", "#counter", "shard:0", "shard:1"), eachLines.get(1), each.out());
        assertTrue(eachLines.contains(String.format("%-36s %14d %14d", "TcpPassiveOpens", PER_SHARD, PER_SHARD)), each.out());
        eachLines.subList(2, eachLines.size()).forEach(l -> assertTrue(l.matches("\\S+\\s+\\d+\\s+\\d+"), l));

        // rate mode per shard: an increment and a rate for each
        Printed rates = InJvmCommand.run("stats", "--per-shard", "-z", "--interval", "0.2", "--count", "1",
                "--socket", socket.toString());
        assertEquals(UsertcpMain.EXIT_OK, rates.exit(), rates.out());
        List<String> rateLines = rates.out().lines().filter(l -> !l.startsWith("#")).toList();
        assertTrue(rateLines.size() > 20, rates.out());
        rateLines.forEach(l -> assertTrue(l.matches("\\S+(\\s+-?\\d+\\s+-?\\d+\\.\\d){2}"), l));
    }

    /** The first segments the capture took: both shards' flows, and none but ours. */
    private static void captureHoldsBothShardsSegments(Path pcap, Map<Integer, Integer> owner) throws Exception {
        List<Seg> segs = PcapChecks.readWithPcap4j(pcap);
        assertEquals(CAPTURED, segs.size());
        int[] perShard = new int[SHARDS];
        for (Seg s : segs) {
            int kernelPort = s.from(KERNEL) ? s.sourcePort() : s.destinationPort();
            Integer shard = owner.get(kernelPort);
            assertNotNull(shard, "a segment of one of our clients' connections: " + s);
            perShard[shard]++;
        }
        assertTrue(perShard[0] > 0 && perShard[1] > 0, "segments of both shards: " + perShard[0] + ", " + perShard[1]);
        // the clients connect one after the other, alternating shards: the first two handshakes are there whole
        List<Integer> first = owner.keySet().stream().limit(2).toList();
        for (int port : first) {
            assertTrue(segs.stream().anyMatch(s -> s.syn() && !s.ack() && s.sourcePort() == port), "the SYN from " + port);
            assertTrue(segs.stream().anyMatch(s -> s.syn() && s.ack() && s.destinationPort() == port), "our SYN-ACK to " + port);
        }
    }

    private static Process startClients(String namespace, Iterable<Integer> ports) throws IOException {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                BoundClientsMain.class.getName(), STACK, Integer.toString(PORT), KERNEL));
        ports.forEach(p -> line.add(Integer.toString(p)));
        return new ProcessBuilder(line).start();
    }

    private static String errorOf(Process p) {
        try {
            return new String(p.getErrorStream().readNBytes(64 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static int peerPort(String peer) {
        return Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1));
    }

    private static List<Integer> listenerShards(Path socket) {
        try {
            return ControlClient.ss(socket).stream().filter(r -> r.state().equals("LISTEN")).map(SsRow::shard).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError("serve did not answer ss", e);
        }
    }

    private static Map<String, String> info(Path socket) {
        try {
            return ControlClient.info(socket);
        } catch (IOException e) {
            throw new AssertionError("serve did not answer info", e);
        }
    }

    private static List<Path> discover(Path control) {
        try {
            return ControlClient.discover(control);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether {@code condition} holds; when asking fails, serve's output says why if it ended meanwhile. */
    private static boolean holds(ChildUsertcp serve, BooleanSupplier condition) throws Exception {
        try {
            return condition.getAsBoolean();
        } catch (AssertionError e) {
            if (serve.exitsWithin(TimeUnit.SECONDS.toNanos(1))) {
                throw new AssertionError("serve ended: " + serve.describe(), e);
            }
            throw e;
        }
    }

    /**
     * Waits for {@code condition}, at most 20 s. It lives in another process (serve's control
     * socket), so it is checked again every 20 ms; in between the test blocks on serve's exit, which
     * fails the wait at once if serve dies.
     */
    private static void await(ChildUsertcp serve, String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!holds(serve, condition)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within 20 s; serve: " + serve.describe());
            }
            if (serve.exitsWithin(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)))) {
                throw new AssertionError("serve ended: " + serve.describe());
            }
        }
    }
}
