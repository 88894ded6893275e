package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.ToolsTunSupport;
import io.usertcp.tools.UsertcpMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp bench --quick} against the real kernel, every case: the shape of the table and
 * the JSON, both figures of every row measured and positive, the ratio ours / kernel, and nothing
 * left behind (namespaces, holder processes). Speed is the benchmark's business, not the test's
 * (DESIGN.md §11): no figure is compared with a bound.
 */
@Tag("tun")
@Timeout(240)
class BenchEndToEndTest {
    private static final Set<String> EXPECTED_ROWS = Set.of(
            "link/kernel -> TunLink, MTU 1500, UDP, no TCP", "link/TunLink -> kernel, MTU 1500, UDP, no TCP",
            "bulk/kernel -> usertcp, MTU 1500", "bulk/usertcp -> kernel, MTU 1500",
            "bulk/kernel -> usertcp, MTU 1500, event loop",
            "bulk/kernel -> usertcp, MTU 1500, TUN without offloads", "bulk/usertcp -> kernel, MTU 1500, TUN without offloads",
            "bulk/kernel -> usertcp, MTU 65520", "bulk/usertcp -> kernel, MTU 65520",
            "rr/1-byte round trips", "rr/round-trip latency p50", "rr/round-trip latency p99",
            "rr/1-byte round trips, blocking sockets", "rr/round-trip latency p50, blocking sockets",
            "rr/round-trip latency p99, blocking sockets",
            "rr/1-byte round trips, blocking sockets, busy poll 50 us", "rr/round-trip latency p50, blocking sockets, busy poll 50 us",
            "rr/round-trip latency p99, blocking sockets, busy poll 50 us",
            "connrate/open, 1-byte request, close (server closes first)",
            "connrate/open, 1-byte request, close (server closes first), 2 shards",
            "connrate/open, 1-byte request, close (server closes first), blocking sockets",
            "memory/idle established, 300 connections", "memory/TIME-WAIT, 300 entries",
            "memory/idle established, 600 connections", "memory/TIME-WAIT, 600 entries",
            "loss/kernel -> usertcp, MTU 1500, 1 % loss", "loss/usertcp -> kernel, MTU 1500, 1 % loss");

    @BeforeAll
    static void needTunNftAndEthtool() {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("nft", "nftables");
        ToolsTunSupport.requireCommand("ethtool", "ethtool");
    }

    @Test
    void quick_everyCase_bothFiguresPositive_ratioIsOursOverKernel_nothingLeft(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        BenchCommandTest.Run r = BenchCommandTest.run("--quick", "--json", json.toString());

        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.out() + "\n" + r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(Files.readString(json));
        assertEquals(Boolean.TRUE, root.get("complete"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) root.get("results");
        assertEquals(EXPECTED_ROWS, results.stream().map(m -> m.get("case") + "/" + m.get("name")).collect(Collectors.toSet()));
        assertEquals(EXPECTED_ROWS.size(), results.size(), "one row each");
        for (Map<String, Object> row : results) {
            String what = row.get("case") + "/" + row.get("name") + ": " + row;
            double ours = (Double) row.get("ours");
            double kernel = (Double) row.get("kernel");
            assertTrue(ours > 0 && kernel > 0, what);
            assertEquals(ours / kernel, (Double) row.get("ratio"), ours / kernel * 1e-5, what);
            assertNull(row.get("error"), what);
            assertTrue(r.out().contains((String) row.get("name")), "the table shows " + what);
        }
        memoryRowsCountWhatTheyClaim(results);

        assertTrue(r.err().contains("bulk: start") && r.err().contains("loss: done"), "progress on stderr:\n" + r.err());
        assertTrue(r.out().contains("ratio = usertcp / kernel"), r.out());
        ToolsTunSupport.assertNoNamespaceLeft();
        List<String> holders = ProcessHandle.current().descendants()
                .map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(ConnectionHolder.class.getName())).toList();
        assertTrue(holders.isEmpty(), "connection holders left running: " + holders);
    }

    /** --profile: our side runs it (the kernel baseline does not change); the table and the JSON say which. */
    @Test
    void quick_withProfileFreebsd_measuresBothSides_andSaysWhichProfileOurStackRan(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        BenchCommandTest.Run r = BenchCommandTest.run("--quick", "--cases", "rr", "--profile", "freebsd", "--json", json.toString());

        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.out() + "\n" + r.err());
        assertTrue(r.out().contains("usertcp runs the freebsd profile; every kernel its own defaults but cubic"), r.out());
        assertTrue(r.err().contains("our stack in the freebsd profile"), r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(Files.readString(json));
        assertEquals(Boolean.TRUE, root.get("complete"));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = (Map<String, Object>) root.get("settings");
        assertEquals("freebsd", settings.get("profile"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) root.get("results");
        assertEquals(9, results.size(), results.toString()); // on the event loop, on blocking sockets, with busy poll
        for (Map<String, Object> row : results) {
            assertTrue((Double) row.get("ours") > 0 && (Double) row.get("kernel") > 0, row.toString());
        }
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    /** Each memory row divides by the count it reached, and reached (nearly) the count it names. */
    private static void memoryRowsCountWhatTheyClaim(List<Map<String, Object>> results) {
        for (Map<String, Object> row : results) {
            if (!row.get("case").equals("memory")) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> d = (Map<String, Object>) row.get("details");
            int named = Integer.parseInt(((String) row.get("name")).replaceAll("\\D", ""));
            double ours = (Double) d.get("ours.count");
            double kernel = (Double) d.get("kernel.count");
            assertTrue(ours >= named * 0.9 && ours <= named, row.toString());
            assertTrue(kernel >= named * 0.9 && kernel <= named, row.toString());
        }
    }
}
