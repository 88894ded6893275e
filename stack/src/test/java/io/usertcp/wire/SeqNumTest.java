package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial number arithmetic),
 * including every comparison across the wrap from 0xFFFFFFFF to 0.
 */
class SeqNumTest {
    private static final int BEFORE_WRAP = 0xFFFF_FFF0;
    private static final int AFTER_WRAP = 0x10;
    private static final long HALF_SPACE = 1L << 31;

    @Test
    void comparisons_withoutWrap_followNumericOrder() {
        assertTrue(SeqNum.lt(1, 2));
        assertFalse(SeqNum.lt(2, 1));
        assertFalse(SeqNum.lt(5, 5));
        assertTrue(SeqNum.le(5, 5));
        assertTrue(SeqNum.le(4, 5));
        assertFalse(SeqNum.le(6, 5));
        assertTrue(SeqNum.gt(2, 1));
        assertFalse(SeqNum.gt(5, 5));
        assertTrue(SeqNum.ge(5, 5));
        assertFalse(SeqNum.ge(4, 5));
    }

    @Test
    void comparisons_acrossWrap_putTheLargeNumberFirst() {
        // RFC 9293 §3.4: the space wraps, so 0xFFFFFFF0 comes before 0x10.
        assertTrue(SeqNum.lt(BEFORE_WRAP, AFTER_WRAP));
        assertTrue(SeqNum.le(BEFORE_WRAP, AFTER_WRAP));
        assertFalse(SeqNum.gt(BEFORE_WRAP, AFTER_WRAP));
        assertFalse(SeqNum.ge(BEFORE_WRAP, AFTER_WRAP));
        assertTrue(SeqNum.gt(AFTER_WRAP, BEFORE_WRAP));
        assertTrue(SeqNum.ge(AFTER_WRAP, BEFORE_WRAP));
        assertTrue(SeqNum.lt(0xFFFF_FFFF, 0));
        assertTrue(SeqNum.gt(0, 0xFFFF_FFFF));
    }

    @Test
    void comparisons_acrossSignBit_treatIntAsUnsigned() {
        // 0x7FFFFFFF and 0x80000000 are neighbours, whatever Java's sign says.
        assertTrue(SeqNum.lt(Integer.MAX_VALUE, Integer.MIN_VALUE));
        assertTrue(SeqNum.gt(Integer.MIN_VALUE, Integer.MAX_VALUE));
    }

    @Test
    void comparisons_atLargestUnambiguousDistance_stillOrder() {
        int a = 0x1234_5678;
        int b = a + (int) (HALF_SPACE - 1);
        assertTrue(SeqNum.lt(a, b));
        assertTrue(SeqNum.gt(b, a));
    }

    @Test
    void comparisons_randomPairs_matchRfc1982Definition() {
        SplittableRandom random = new SplittableRandom(1982);
        for (int i = 0; i < 100_000; i++) {
            int a = random.nextInt();
            int b = random.nextInt();
            if (Integer.toUnsignedLong(a - b) == HALF_SPACE) {
                continue; // undefined in RFC 1982 §3.2
            }
            boolean less = rfc1982Less(a, b);
            assertEquals(less, SeqNum.lt(a, b), () -> hex(a) + " < " + hex(b));
            assertEquals(rfc1982Less(b, a), SeqNum.gt(a, b), () -> hex(a) + " > " + hex(b));
            assertEquals(less || a == b, SeqNum.le(a, b));
            assertEquals(!less, SeqNum.ge(a, b));
        }
    }

    /** RFC 1982 §3.2, written with unsigned longs: i1 < i2 iff they differ by less than 2^31 going up from i1. */
    private static boolean rfc1982Less(int i1, int i2) {
        long u1 = Integer.toUnsignedLong(i1);
        long u2 = Integer.toUnsignedLong(i2);
        return (u1 < u2 && u2 - u1 < HALF_SPACE) || (u1 > u2 && u1 - u2 > HALF_SPACE);
    }

    @Test
    void add_wrapsModulo2To32() {
        assertEquals(0, SeqNum.add(0xFFFF_FFFF, 1));
        assertEquals(AFTER_WRAP, SeqNum.add(BEFORE_WRAP, 0x20));
        assertEquals(0xFFFF_FFFF, SeqNum.add(0, -1));
        assertEquals(BEFORE_WRAP, SeqNum.add(AFTER_WRAP, -0x20));
    }

    @Test
    void diff_isSignedDistanceAcrossWrap() {
        assertEquals(0x20, SeqNum.diff(AFTER_WRAP, BEFORE_WRAP));
        assertEquals(-0x20, SeqNum.diff(BEFORE_WRAP, AFTER_WRAP));
        assertEquals(0, SeqNum.diff(7, 7));
    }

    @Test
    void addThenDiff_roundTrips() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int seq = random.nextInt();
            int n = random.nextInt(-(1 << 30), 1 << 30);
            assertEquals(n, SeqNum.diff(SeqNum.add(seq, n), seq));
        }
    }

    @Test
    void maxAndMin_acrossWrap_pickByOrderNotByValue() {
        assertEquals(AFTER_WRAP, SeqNum.max(BEFORE_WRAP, AFTER_WRAP));
        assertEquals(AFTER_WRAP, SeqNum.max(AFTER_WRAP, BEFORE_WRAP));
        assertEquals(BEFORE_WRAP, SeqNum.min(BEFORE_WRAP, AFTER_WRAP));
        assertEquals(BEFORE_WRAP, SeqNum.min(AFTER_WRAP, BEFORE_WRAP));
        assertEquals(42, SeqNum.max(42, 42));
        assertEquals(42, SeqNum.min(42, 42));
    }

    @Test
    void inWindow_emptyWindow_containsNothing() {
        // RFC 9293 §3.10.7.4: with a zero receive window no sequence number is acceptable.
        SplittableRandom random = new SplittableRandom(0);
        for (int i = 0; i < 1000; i++) {
            int start = random.nextInt();
            assertFalse(SeqNum.inWindow(start, start, 0));
            assertFalse(SeqNum.inWindow(start - 1, start, 0));
            assertFalse(SeqNum.inWindow(random.nextInt(), start, 0));
        }
    }

    @Test
    void inWindow_halfOpen_containsStartButNotEnd() {
        assertTrue(SeqNum.inWindow(100, 100, 10));
        assertTrue(SeqNum.inWindow(109, 100, 10));
        assertFalse(SeqNum.inWindow(110, 100, 10));
        assertFalse(SeqNum.inWindow(99, 100, 10));
        assertTrue(SeqNum.inWindow(100, 100, 1));
        assertFalse(SeqNum.inWindow(101, 100, 1));
    }

    @Test
    void inWindow_acrossWrap_containsBothSides() {
        assertTrue(SeqNum.inWindow(BEFORE_WRAP, BEFORE_WRAP, 0x20));
        assertTrue(SeqNum.inWindow(0xFFFF_FFFF, BEFORE_WRAP, 0x20));
        assertTrue(SeqNum.inWindow(0, BEFORE_WRAP, 0x20));
        assertTrue(SeqNum.inWindow(AFTER_WRAP - 1, BEFORE_WRAP, 0x20));
        assertFalse(SeqNum.inWindow(AFTER_WRAP, BEFORE_WRAP, 0x20));
        assertFalse(SeqNum.inWindow(BEFORE_WRAP - 1, BEFORE_WRAP, 0x20));
    }

    @Test
    void inWindow_sizeTwoTo31_coversHalfTheSpace() {
        for (int start : new int[] {0, BEFORE_WRAP, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x1234_5678}) {
            assertTrue(SeqNum.inWindow(start, start, HALF_SPACE));
            assertTrue(SeqNum.inWindow(start + (int) (HALF_SPACE - 1), start, HALF_SPACE));
            assertFalse(SeqNum.inWindow(start + (int) HALF_SPACE, start, HALF_SPACE));
            assertFalse(SeqNum.inWindow(start - 1, start, HALF_SPACE));
        }
    }

    @Test
    void between_isInclusiveAtBothEnds() {
        assertTrue(SeqNum.between(10, 10, 20));
        assertTrue(SeqNum.between(10, 20, 20));
        assertTrue(SeqNum.between(10, 15, 20));
        assertFalse(SeqNum.between(10, 9, 20));
        assertFalse(SeqNum.between(10, 21, 20));
        assertTrue(SeqNum.between(7, 7, 7));
        assertFalse(SeqNum.between(7, 8, 7));
    }

    @Test
    void between_acrossWrap_walksForwardFromA() {
        assertTrue(SeqNum.between(BEFORE_WRAP, 0, AFTER_WRAP));
        assertTrue(SeqNum.between(BEFORE_WRAP, 0xFFFF_FFFF, AFTER_WRAP));
        assertFalse(SeqNum.between(BEFORE_WRAP, AFTER_WRAP + 1, AFTER_WRAP));
        assertFalse(SeqNum.between(BEFORE_WRAP, BEFORE_WRAP - 1, AFTER_WRAP));
        // From 10 forward to 0 the walk passes through the whole top of the space.
        assertTrue(SeqNum.between(10, 0xFFFF_FFFF, 0));
        assertFalse(SeqNum.between(10, 5, 0));
    }

    @Test
    void unsigned_givesTheValueForPrinting() {
        assertEquals(4_294_967_295L, SeqNum.unsigned(-1));
        assertEquals(2_147_483_648L, SeqNum.unsigned(Integer.MIN_VALUE));
        assertEquals(5L, SeqNum.unsigned(5));
    }

    private static String hex(int value) {
        return "0x" + Integer.toHexString(value);
    }
}
