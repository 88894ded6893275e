package io.usertcp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The injected randomness (DESIGN.md §2): seeded SplitMix64 and bounded draws. */
class RandomSourceTest {

    @Test
    void seeded_isSplitMix64() {
        // Reference outputs of Vigna's splitmix64.c with the state starting at 0.
        RandomSource r = RandomSource.seeded(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    @Test
    void sameSeed_sameSequence_otherSeed_otherSequence() {
        RandomSource a = RandomSource.seeded(42);
        RandomSource b = RandomSource.seeded(42);
        RandomSource c = RandomSource.seeded(43);
        boolean differs = false;
        for (int i = 0; i < 1000; i++) {
            long x = a.nextLong();
            assertEquals(x, b.nextLong());
            differs |= x != c.nextLong();
        }
        assertTrue(differs);
    }

    @Test
    void twoSources_doNotShareState() {
        RandomSource a = RandomSource.seeded(7);
        RandomSource b = RandomSource.seeded(7);
        a.nextLong();
        a.nextLong();
        long third = a.nextLong();
        assertNotEquals(third, b.nextLong());
        b.nextLong();
        assertEquals(third, b.nextLong());
    }

    @Test
    void nextInt_staysWithinItsBound() {
        RandomSource r = RandomSource.seeded(1);
        for (int bound : new int[] {1, 2, 3, 10, 1000, 65536, Integer.MAX_VALUE}) {
            for (int i = 0; i < 10_000; i++) {
                int v = r.nextInt(bound);
                assertTrue(v >= 0 && v < bound, v + " out of [0, " + bound + ")");
            }
        }
        assertEquals(0, r.nextInt(1));
    }

    @Test
    void nextInt_treatsTheLongAsUnsigned() {
        // 2^64 - 1 = 18446744073709551615, whose remainder by 10 is 5 (a signed remainder would give -1).
        RandomSource allOnes = () -> -1L;
        assertEquals(5, allOnes.nextInt(10));
        RandomSource topBit = () -> Long.MIN_VALUE; // 2^63 = 9223372036854775808
        assertEquals(8, topBit.nextInt(10));
    }

    @Test
    void nextInt_coversEveryValueEvenly() {
        RandomSource r = RandomSource.seeded(99);
        int[] counts = new int[10];
        for (int i = 0; i < 100_000; i++) {
            counts[r.nextInt(10)]++;
        }
        for (int c : counts) {
            assertTrue(c > 9_500 && c < 10_500, "bucket with " + c + " of 100000");
        }
    }

    @Test
    void nextInt_nonPositiveBound_isRejectedWithAMessage() {
        RandomSource r = RandomSource.seeded(1);
        assertEquals("bound: 0 (expected: > 0)", assertThrows(IllegalArgumentException.class, () -> r.nextInt(0)).getMessage());
        assertEquals("bound: -5 (expected: > 0)", assertThrows(IllegalArgumentException.class, () -> r.nextInt(-5)).getMessage());
    }
}
