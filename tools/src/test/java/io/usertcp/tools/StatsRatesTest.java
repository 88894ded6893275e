package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** usertcp stats --interval: each counter's increment and rate, in nstat's three columns. */
class StatsRatesTest {

    @Test
    void incrementsAndRates_gaugesAsTheyAre_unchangedLeftOut() {
        Map<String, Long> before = new LinkedHashMap<>(Map.of("TcpInSegs", 100L, "TcpOutSegs", 50L, "TcpCurrEstab", 2L));
        Map<String, Long> now = new LinkedHashMap<>();
        now.put("TcpInSegs", 300L);
        now.put("TcpOutSegs", 50L);
        now.put("TcpCurrEstab", 3L);
        now.put("TcpActiveOpens", 1L); // new since the last read
        String lines = StatsCommand.rateLines(before, now, 0.5, false);
        assertEquals(String.format("%-36s %14d %14.1f%n", "TcpInSegs", 200, 400.0)
                + String.format("%-36s %14d %14.1f%n", "TcpCurrEstab", 3, 0.0)
                + String.format("%-36s %14d %14.1f%n", "TcpActiveOpens", 1, 2.0), lines);
        assertEquals(4, StatsCommand.rateLines(before, now, 0.5, true).lines().count(), "-z keeps the unchanged one");
    }
}
