package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bench's latency percentiles: every sample counted, each percentile within HdrHistogram's 0.1 %. */
class LatenciesTest {

    @Test
    void percentiles_withinATenthOfAPercentOfTheExactNearestRank() {
        Latencies l = new Latencies();
        SplittableRandom random = new SplittableRandom(7);
        long[] all = new long[2_000_000]; // more than any reservoir kept: nothing is sampled away
        for (int i = 0; i < all.length; i++) {
            all[i] = 20_000 + (long) (random.nextDouble() * random.nextDouble() * 2_000_000); // 20 us .. 2 ms, skewed
            l.add(all[i]);
        }
        Arrays.sort(all);
        assertEquals(all.length, l.count());
        for (double p : new double[] {50, 90, 99, 99.9, 100}) {
            long exact = all[(int) Math.ceil(p / 100 * all.length) - 1];
            long got = l.percentile(p);
            assertTrue(Math.abs(got - exact) <= exact / 1000 + 1, "p" + p + ": " + got + " vs exact " + exact);
        }
        assertTrue(Math.abs(l.max() - all[all.length - 1]) <= all[all.length - 1] / 1000);
    }

    @Test
    void smallCounts_exactNearestRank() {
        Latencies l = new Latencies();
        for (long v : new long[] {100, 200, 300, 400}) {
            l.add(v);
        }
        assertEquals(200, l.percentile(50));
        assertEquals(400, l.percentile(99));
        assertEquals(100, l.percentile(1));
    }

    @Test
    void misuse_refusedWithAClearMessage() {
        Latencies l = new Latencies();
        assertThrows(IllegalStateException.class, () -> l.percentile(50));
        assertThrows(IllegalArgumentException.class, () -> l.add(-1));
        assertThrows(IllegalArgumentException.class, () -> l.percentile(0));
        assertThrows(IllegalArgumentException.class, () -> l.percentile(101));
    }
}
