package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** usertcp stats --interval: each counter's increment and rate, in nstat's three columns. */
class StatsRatesTest {

    @Test
    void incrementsAndRates_gaugesAsTheyAre_unchangedLeftOut() {
        Map<String, long[]> before = new LinkedHashMap<>(Map.of("TcpInSegs", new long[] {100}, "TcpOutSegs", new long[] {50},
                "TcpCurrEstab", new long[] {2}));
        Map<String, long[]> now = new LinkedHashMap<>();
        now.put("TcpInSegs", new long[] {300});
        now.put("TcpOutSegs", new long[] {50});
        now.put("TcpCurrEstab", new long[] {3});
        now.put("TcpActiveOpens", new long[] {1}); // new since the last read
        String lines = StatsCommand.rateLines(before, now, 0.5, false);
        assertEquals(String.format("%-36s %14d %14.1f%n", "TcpInSegs", 200, 400.0)
                + String.format("%-36s %14d %14.1f%n", "TcpCurrEstab", 3, 0.0)
                + String.format("%-36s %14d %14.1f%n", "TcpActiveOpens", 1, 2.0), lines);
        assertEquals(4, StatsCommand.rateLines(before, now, 0.5, true).lines().count(), "-z keeps the unchanged one");
    }

    @Test
    void perShard_anIncrementAndRatePerShard_aRowWhenAnyShardChanged() {
        Map<String, long[]> before = new LinkedHashMap<>(Map.of("TcpInSegs", new long[] {100, 10}, "TcpOutSegs", new long[] {5, 5}));
        Map<String, long[]> now = new LinkedHashMap<>();
        now.put("TcpInSegs", new long[] {100, 30});
        now.put("TcpOutSegs", new long[] {5, 5});
        assertEquals(String.format("%-36s %14d %14.1f %14d %14.1f%n", "TcpInSegs", 0, 0.0, 20, 40.0),
                StatsCommand.rateLines(before, now, 0.5, false));
        assertEquals(String.format("%-36s %14s %14s %14s %14s%n", "#counter", "shard:0", "shard:0/s", "shard:1", "shard:1/s"),
                StatsCommand.shardHeading(2, true));
        now.put("TcpOutSegs", new long[] {0, 0});
        assertEquals(String.format("%-36s %14d %14d%n", "TcpInSegs", 100, 30), StatsCommand.absoluteLines(now, false),
                "a counter 0 on every shard is left out");
    }
}
