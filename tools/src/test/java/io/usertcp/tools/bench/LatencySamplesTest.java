package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Percentiles by nearest rank over a bounded, seeded reservoir. */
class LatencySamplesTest {

    @Test
    void percentiles_ofOneToHundred_areNearestRank() {
        LatencySamples s = new LatencySamples(1000, 1);
        for (long v = 100; v >= 1; v--) { // recorded out of order: sorted() must sort
            s.add(v);
        }
        LatencySamples.Sorted sorted = s.sorted();
        assertEquals(50, sorted.percentile(50));
        assertEquals(99, sorted.percentile(99));
        assertEquals(100, sorted.percentile(100));
        assertEquals(1, sorted.percentile(0.5));
        assertEquals(100, s.count());
        assertEquals(100, s.keptCount());
    }

    @Test
    void nearestRank_roundsUp_onSmallSamples() {
        LatencySamples s = new LatencySamples(10, 1);
        s.add(10);
        s.add(20);
        s.add(30);
        // rank = ceil(0.5 * 3) = 2; ceil(0.99 * 3) = 3
        assertEquals(20, s.sorted().percentile(50));
        assertEquals(30, s.sorted().percentile(99));
    }

    @Test
    void pastCapacity_keepsABoundedUniformSample() {
        LatencySamples s = new LatencySamples(10_000, 42);
        for (long v = 0; v < 1_000_000; v++) {
            s.add(v);
        }
        assertEquals(1_000_000, s.count());
        assertEquals(10_000, s.keptCount());
        LatencySamples.Sorted sorted = s.sorted();
        // a uniform sample of 0..999999: its median is near 500000 and its p99 near 990000
        assertTrue(Math.abs(sorted.percentile(50) - 500_000) < 20_000, "p50 " + sorted.percentile(50));
        assertTrue(Math.abs(sorted.percentile(99) - 990_000) < 5_000, "p99 " + sorted.percentile(99));
    }

    @Test
    void sameSeedAndInput_giveTheSamePercentiles() {
        LatencySamples a = new LatencySamples(100, 7);
        LatencySamples b = new LatencySamples(100, 7);
        for (long v = 0; v < 10_000; v++) {
            a.add(v * 13 % 10_007);
            b.add(v * 13 % 10_007);
        }
        assertEquals(a.sorted().percentile(50), b.sorted().percentile(50));
        assertEquals(a.sorted().percentile(99), b.sorted().percentile(99));
    }

    @Test
    void misuse_isRefusedWithAMessage() {
        LatencySamples s = new LatencySamples(4, 1);
        assertThrows(IllegalArgumentException.class, () -> s.add(-1));
        IllegalStateException empty = assertThrows(IllegalStateException.class, () -> s.sorted().percentile(50));
        assertTrue(empty.getMessage().contains("no samples"));
        s.add(1);
        assertThrows(IllegalArgumentException.class, () -> s.sorted().percentile(0));
        assertThrows(IllegalArgumentException.class, () -> s.sorted().percentile(100.5));
        assertThrows(IllegalArgumentException.class, () -> new LatencySamples(0, 1));
    }
}
