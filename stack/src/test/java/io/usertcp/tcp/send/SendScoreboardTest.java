package io.usertcp.tcp.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.wire.SeqNum;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of the sender's SACK scoreboard (RFC 6675 §3, RFC 2018): recording and merging
 * blocks, clipping and rejecting untrusted ones, sequence-number wrap-around, the fixed capacity,
 * forgetting what SND.UNA passes, the holes, RFC 6675 IsLost as a boundary and SetPipe — checked
 * on worked examples, then against a naive one-flag-per-byte model over random operations.
 */
class SendScoreboardTest {
    /** SND.UNA and SND.NXT of the worked examples: ten 1000-byte segments S1..S10 = [1000, 11000). */
    private static final int UNA = 1000;
    private static final int NXT = 11_000;
    private static final int SMSS = 1000;
    private static final int DUP_THRESH = LossRecovery.DUP_THRESH;

    private static SendScoreboard withBlocks(int... edges) {
        SendScoreboard b = new SendScoreboard();
        for (int i = 0; i < edges.length; i += 2) {
            b.add(edges[i], edges[i + 1], UNA, NXT);
        }
        return b;
    }

    // ------------------------------------------------------------------------------------------
    // Recording blocks (RFC 6675 §3 Update(), RFC 2018 §4)
    // ------------------------------------------------------------------------------------------

    @Test
    void add_oneBlock_recordedHalfOpen_returnsTheNewBytes() {
        SendScoreboard b = new SendScoreboard();
        assertTrue(b.isEmpty());
        assertEquals(1000, b.add(3000, 4000, UNA, NXT));
        assertEquals(1, b.rangeCount());
        assertEquals(1000, b.sackedBytes());
        assertFalse(b.isSacked(2999));
        assertTrue(b.isSacked(3000));
        assertTrue(b.isSacked(3999));
        assertFalse(b.isSacked(4000), "RFC 2018 §3: the right edge is the byte after the block");
        assertEquals(4000, b.highestSackedEnd(UNA));
        assertEquals("SendScoreboard[3000-4000]", b.toString());
    }

    @Test
    void add_repeatedOrOverlappingBlock_countsOnlyBytesNotSackedBefore() {
        SendScoreboard b = withBlocks(3000, 4000);
        assertEquals(0, b.add(3000, 4000, UNA, NXT), "the same block again (RFC 6675 §2: not a new SACK)");
        assertEquals(0, b.add(3200, 3800, UNA, NXT), "inside what is held");
        assertEquals(500, b.add(3500, 4500, UNA, NXT));
        assertEquals(500, b.add(2500, 3100, UNA, NXT));
        assertEquals("SendScoreboard[2500-4500]", b.toString());
        assertEquals(2000, b.sackedBytes());
    }

    @Test
    void add_touchingBlocks_mergeIntoOneRange() {
        SendScoreboard b = withBlocks(3000, 4000);
        assertEquals(1000, b.add(4000, 5000, UNA, NXT));
        assertEquals(1000, b.add(2000, 3000, UNA, NXT));
        assertEquals(1, b.rangeCount());
        assertEquals("SendScoreboard[2000-5000]", b.toString());
        assertEquals(3000, b.sackedBytes());
    }

    @Test
    void add_blockBridgingRanges_mergesThemAndCountsOnlyTheGaps() {
        SendScoreboard b = withBlocks(2000, 2500, 3000, 3500, 4000, 4500, 8000, 9000);
        assertEquals(4, b.rangeCount());
        // [1500, 5000) covers three ranges (1500 bytes) and their gaps: 3500 − 1500 = 2000 new bytes.
        assertEquals(2000, b.add(1500, 5000, UNA, NXT));
        assertEquals("SendScoreboard[1500-5000 8000-9000]", b.toString());
        assertEquals(4500, b.sackedBytes());
        // [5000, 8000) touches both remaining ranges: one range is left.
        assertEquals(3000, b.add(5000, 8000, UNA, NXT));
        assertEquals("SendScoreboard[1500-9000]", b.toString());
        assertEquals(7500, b.sackedBytes());
    }

    @Test
    void add_blocksInAnyOrder_keptSortedAndDisjoint() {
        SendScoreboard b = withBlocks(7000, 8000, 3000, 4000, 5000, 6000, 9000, 9500);
        assertEquals("SendScoreboard[3000-4000 5000-6000 7000-8000 9000-9500]", b.toString());
        assertEquals(9500, b.highestSackedEnd(UNA));
        assertEquals(3500, b.sackedBytes());
    }

    // ------------------------------------------------------------------------------------------
    // Untrusted blocks: clipped to (SND.UNA, SND.NXT], or ignored
    // ------------------------------------------------------------------------------------------

    @Test
    void add_blockReachingBelowUnaOrAboveNxt_clipped() {
        SendScoreboard b = new SendScoreboard();
        assertEquals(500, b.add(500, 1500, UNA, NXT));
        assertEquals(500, b.add(10_500, 12_000, UNA, NXT));
        assertEquals("SendScoreboard[1000-1500 10500-11000]", b.toString());
        assertEquals(11_000, b.highestSackedEnd(UNA));
    }

    // RFC 2883 §4: a D-SACK block reports a duplicate of data already acknowledged; it says nothing about what is held
    // above SND.UNA and leaves the scoreboard alone.
    @Test
    void add_dsackBelowUna_ignored() {
        SendScoreboard b = new SendScoreboard();
        assertEquals(0, b.add(200, 800, UNA, NXT));
        assertEquals(0, b.add(500, 1000, UNA, NXT));
        assertTrue(b.isEmpty());
        assertEquals(0, b.sackedBytes());
        assertEquals(UNA, b.highestSackedEnd(UNA));
    }

    @Test
    void add_emptyInvertedOrUnsentBlocks_ignored() {
        SendScoreboard b = new SendScoreboard();
        assertEquals(0, b.add(3000, 3000, UNA, NXT), "empty");
        assertEquals(0, b.add(4000, 3000, UNA, NXT), "inverted");
        assertEquals(0, b.add(NXT, NXT + 500, UNA, NXT), "nothing of it was sent");
        assertEquals(0, b.add(UNA - (1 << 30), UNA - (1 << 30) + 100, UNA, NXT), "a quarter of the space behind");
        assertEquals(0, b.add(3000, 3000 + 0x9000_0000, UNA, NXT), "longer than half the sequence space");
        assertTrue(b.isEmpty());
    }

    // RFC 2018 §4 / the class contract: an inverted block is ignored even when, compared pairwise in sequence space
    // (RFC 1982 arithmetic is not transitive across half the space), its left edge lies "before" SND.UNA and its
    // right edge inside the window: LEFT = UNA − 2^31 + 16 is after RIGHT = UNA + 50. Clipping it first would turn it
    // into the plausible block [UNA, UNA + 50) (Linux tcp_is_sackblock_valid rejects !after(end, start) first).
    @Test
    void add_invertedBlockStraddlingUnaInModularCompare_ignored() {
        SendScoreboard b = new SendScoreboard();
        int left = UNA - 0x8000_0000 + 16;
        int right = UNA + 50;
        assertTrue(SeqNum.lt(left, UNA) && SeqNum.lt(UNA, right) && SeqNum.gt(left, right), "the premise");
        assertEquals(0, b.add(left, right, UNA, NXT));
        assertTrue(b.isEmpty());
    }

    // ------------------------------------------------------------------------------------------
    // Wrap-around and capacity
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.4 / RFC 1982: sequence numbers are compared modulo 2^32; a window across 2^32 → 0 behaves as any other.
    @Test
    void wrapAround_windowAcrossZero_behavesAsAnyOther() {
        int una = -4096; // 2^32 − 4096
        int nxt = una + 10_000; // 5904
        SendScoreboard b = new SendScoreboard();
        assertEquals(3000, b.add(una + 3000, una + 6000, una, nxt)); // [2^32 − 1096, 1904)
        assertEquals(1000, b.add(una + 8000, una + 9000, una, nxt));
        assertEquals(2, b.rangeCount());
        assertTrue(b.isSacked(-1));
        assertTrue(b.isSacked(0));
        assertFalse(b.isSacked(una + 6000));
        assertEquals(una + 6000, b.nextUnsacked(una + 3000));
        assertEquals(una + 3000, b.holeEnd(una, nxt));
        assertEquals(una + 8000, b.holeEnd(una + 6000, nxt));
        assertEquals(una + 9000, b.highestSackedEnd(una));
        assertEquals(10_000 - 4000, b.pipe(una, nxt, una, una));
        b.advance(una + 5000);
        assertEquals(2000, b.sackedBytes());
        assertEquals(una + 6000, b.nextUnsacked(una + 5000));
        assertEquals("SendScoreboard[904-1904 3904-4904]", b.toString());
    }

    // The table holds MAX_RANGES ranges; past that a new range above all of them is forgotten, and a new lower range
    // displaces the highest (the lower ones matter more to recovery, which works from SND.UNA up). Merges still work.
    @Test
    void overflow_pastMaxRanges_highestRangeGivenUpForALowerOne() {
        int una = 0;
        int nxt = 100_000;
        SendScoreboard b = new SendScoreboard();
        for (int i = 1; i <= SendScoreboard.MAX_RANGES; i++) {
            assertEquals(50, b.add(i * 100, i * 100 + 50, una, nxt));
        }
        int top = SendScoreboard.MAX_RANGES * 100;
        assertEquals(SendScoreboard.MAX_RANGES, b.rangeCount());
        assertEquals(0, b.add(top + 1000, top + 1050, una, nxt), "above everything, no room");
        assertFalse(b.isSacked(top + 1000));
        assertEquals(10, b.add(60, 70, una, nxt), "a lower range displaces the highest");
        assertEquals(SendScoreboard.MAX_RANGES, b.rangeCount());
        assertTrue(b.isSacked(60));
        assertFalse(b.isSacked(top), "the highest range was given up");
        assertEquals(top - 100 + 50, b.highestSackedEnd(una));
        assertEquals(SendScoreboard.MAX_RANGES * 50 - 50 + 10, b.sackedBytes());
        assertEquals(50, b.add(150, 200, una, nxt), "touching [100,150) and [200,250): merged, no room needed");
        assertEquals(SendScoreboard.MAX_RANGES - 1, b.rangeCount());
        assertEquals(SendScoreboard.MAX_RANGES * 50 + 10, b.sackedBytes());
    }

    // ------------------------------------------------------------------------------------------
    // SND.UNA advancing, holes
    // ------------------------------------------------------------------------------------------

    @Test
    void advance_forgetsAcknowledgedRanges_andTrimsTheOneItCuts() {
        SendScoreboard b = withBlocks(3000, 4000, 5000, 6000);
        b.advance(2000);
        assertEquals(2000, b.sackedBytes(), "below every range: nothing changes");
        b.advance(3500);
        assertEquals("SendScoreboard[3500-4000 5000-6000]", b.toString());
        assertEquals(1500, b.sackedBytes());
        b.advance(4500);
        assertEquals("SendScoreboard[5000-6000]", b.toString());
        b.advance(6000);
        assertTrue(b.isEmpty());
        assertEquals(0, b.sackedBytes());
        b.advance(7000);
        assertTrue(b.isEmpty());
    }

    @Test
    void nextUnsacked_andHoleEnd_walkTheHoles() {
        SendScoreboard b = withBlocks(3000, 4000, 5000, 6000);
        assertEquals(1000, b.nextUnsacked(1000));
        assertEquals(4000, b.nextUnsacked(3000));
        assertEquals(4000, b.nextUnsacked(3999));
        assertEquals(4500, b.nextUnsacked(4500));
        assertEquals(6000, b.nextUnsacked(5500));
        assertEquals(8000, b.nextUnsacked(8000));
        assertEquals(3000, b.holeEnd(1000, NXT));
        assertEquals(2000, b.holeEnd(1000, 2000), "capped at the limit");
        assertEquals(5000, b.holeEnd(4000, NXT));
        assertEquals(NXT, b.holeEnd(6000, NXT), "the hole above the highest range ends at the limit");
    }

    // ------------------------------------------------------------------------------------------
    // RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed ranges, or more than (DupThresh − 1)·SMSS SACKed
    // bytes, above it. lostBoundary returns the sequence number below which every unSACKed byte is lost.
    // ------------------------------------------------------------------------------------------

    @Test
    void lostBoundary_nothingSacked_nothingLost() {
        assertEquals(UNA, new SendScoreboard().lostBoundary(UNA, SMSS, DUP_THRESH));
    }

    @Test
    void lostBoundary_twoSmallRanges_notEnough_theThirdMakesEverythingBelowLost() {
        SendScoreboard b = withBlocks(4000, 4100, 5000, 5100);
        assertEquals(UNA, b.lostBoundary(UNA, SMSS, DUP_THRESH), "2 ranges, 200 bytes: S1..S3 not lost");
        b.add(3000, 3100, UNA, NXT);
        // Three discontiguous ranges above every byte below 3000 (only 300 bytes SACKed): [1000, 3000) is lost; the
        // holes [3100, 4000) and [4100, 5000) have only 2 and 1 ranges above them and are not.
        assertEquals(3000, b.lostBoundary(UNA, SMSS, DUP_THRESH));
    }

    @Test
    void lostBoundary_bytes_moreThanTwoSegmentsAbove() {
        // Exactly 2·SMSS SACKed above: not "more than" (DupThresh − 1)·SMSS.
        assertEquals(UNA, withBlocks(3000, 5000).lostBoundary(UNA, SMSS, DUP_THRESH));
        assertEquals(3000, withBlocks(3000, 5001).lostBoundary(UNA, SMSS, DUP_THRESH));
        // [2000, 2100) and [6000, 9000): 3000 bytes above 6000 suffice; the hole [2100, 6000) is lost as well.
        assertEquals(6000, withBlocks(2000, 2100, 6000, 9000).lostBoundary(UNA, SMSS, DUP_THRESH));
    }

    // ------------------------------------------------------------------------------------------
    // RFC 6675 §4 SetPipe: for each unSACKed octet, +1 unless IsLost, +1 if retransmitted (at or below HighRxt).
    // Worked by hand on S1..S10, SMSS 1000, with S3, S5 and S7 SACKed: three ranges, so S1 and S2 are lost.
    // ------------------------------------------------------------------------------------------

    @Test
    void pipe_workedExamples() {
        SendScoreboard b = withBlocks(3000, 4000, 5000, 6000, 7000, 8000);
        int lostEnd = b.lostBoundary(UNA, SMSS, DUP_THRESH);
        assertEquals(3000, lostEnd);
        // Not lost and unSACKed: S4, S6, S8, S9, S10 = 5000; S1 and S2 are lost and not yet retransmitted.
        assertEquals(5000, b.pipe(UNA, NXT, lostEnd, UNA));
        // S1 retransmitted (HighRxt + 1 = 2000): 5000 + 1000. Then S2 too: 7000.
        assertEquals(6000, b.pipe(UNA, NXT, lostEnd, 2000));
        assertEquals(7000, b.pipe(UNA, NXT, lostEnd, 3000));
        // A lost boundary inside a hole: [4000, 4500) lost too, so 500 fewer.
        assertEquals(4500, b.pipe(UNA, NXT, 4500, UNA));
        // Nothing judged lost: every unSACKed byte counts once: 10000 − 3000.
        assertEquals(7000, b.pipe(UNA, NXT, UNA, UNA));
        // After a timeout everything is lost (lostEnd = SND.NXT): pipe counts only retransmissions, S1 here.
        assertEquals(0, b.pipe(UNA, NXT, NXT, UNA));
        assertEquals(1000, b.pipe(UNA, NXT, NXT, 2000));
        // Nothing SACKed, nothing lost: pipe = FlightSize.
        assertEquals(10_000, new SendScoreboard().pipe(UNA, NXT, UNA, UNA));
    }

    // ------------------------------------------------------------------------------------------
    // Property: the scoreboard against a naive model, one flag per byte
    // ------------------------------------------------------------------------------------------

    /** The model: a flag per byte offset from {@code base}; SND.UNA and SND.NXT as offsets. */
    private static final class Model {
        final int base;
        final boolean[] sacked = new boolean[1 << 16];
        int una;
        int nxt;

        Model(int base) {
            this.base = base;
        }

        int seq(int offset) {
            return base + offset;
        }

        /** What the class contract says of a block: inverted, empty or outside (una, nxt] parts ignored. */
        int add(int left, int right) {
            if (!SeqNum.lt(left, right)) {
                return 0;
            }
            int l = SeqNum.max(left, seq(una));
            int r = SeqNum.min(right, seq(nxt));
            if (!SeqNum.lt(l, r)) {
                return 0;
            }
            int from = l - base;
            int to = r - base;
            if (from < una || to > nxt) {
                return 0; // what is left after clipping spans more than the flight: garbage
            }
            int added = 0;
            for (int o = from; o < to; o++) {
                added += sacked[o] ? 0 : 1;
                sacked[o] = true;
            }
            return added;
        }

        void advance(int newUna) {
            for (int o = una; o < newUna; o++) {
                sacked[o] = false;
            }
            una = newUna;
        }

        int sackedBytes() {
            int n = 0;
            for (int o = una; o < nxt; o++) {
                n += sacked[o] ? 1 : 0;
            }
            return n;
        }

        int runs() {
            int n = 0;
            for (int o = una; o < nxt; o++) {
                if (sacked[o] && (o == una || !sacked[o - 1])) {
                    n++;
                }
            }
            return n;
        }

        /** RFC 6675 IsLost for the unSACKed byte at offset {@code o}, literally. */
        boolean isLost(int o, int smss) {
            int runsAbove = 0;
            int bytesAbove = 0;
            for (int p = o + 1; p < nxt; p++) {
                if (sacked[p]) {
                    bytesAbove++;
                    if (!sacked[p - 1]) {
                        runsAbove++;
                    }
                }
            }
            return runsAbove >= DUP_THRESH || bytesAbove > (DUP_THRESH - 1) * smss;
        }

        /** RFC 6675 SetPipe, literally, with offsets {@code lostEnd} and {@code highRxt}. */
        long pipe(int lostEnd, int highRxt) {
            long pipe = 0;
            for (int o = una; o < nxt; o++) {
                if (!sacked[o]) {
                    pipe += (o >= lostEnd ? 1 : 0) + (o < highRxt ? 1 : 0);
                }
            }
            return pipe;
        }
    }

    // Random sends, SACK blocks (valid, overlapping, D-SACK, clipped, inverted, hostile) and cumulative ACKs with a
    // fixed seed; after each step every query of the scoreboard agrees with the byte-per-flag model. The flight stays
    // at most 120 bytes, so the model never needs more than 60 ranges (below MAX_RANGES). Bases put the window across
    // 0 and across 2^31.
    @Test
    void property_agreesWithANaiveByteModel() {
        Random random = new Random(20261121L);
        int smss = 10;
        for (int base : new int[] {0, -60, Integer.MAX_VALUE - 50, 123_456_789}) {
            SendScoreboard b = new SendScoreboard();
            Model m = new Model(base);
            for (int step = 0; step < 2500; step++) {
                int op = random.nextInt(10);
                if (op < 2) {
                    m.nxt = Math.min(m.nxt + random.nextInt(12), m.una + 120);
                } else if (op < 8) {
                    int left;
                    int right;
                    if (random.nextInt(20) == 0) {
                        left = random.nextInt();
                        right = random.nextBoolean() ? random.nextInt() : left + random.nextInt(60);
                    } else {
                        left = m.seq(m.una - 10 + random.nextInt(m.nxt - m.una + 20));
                        right = left + random.nextInt(45) - 5;
                    }
                    int expected = m.add(left, right);
                    assertEquals(expected, b.add(left, right, m.seq(m.una), m.seq(m.nxt)),
                            "add " + Integer.toUnsignedString(left) + "-" + Integer.toUnsignedString(right) + " to " + b);
                } else {
                    int newUna = m.una + random.nextInt(m.nxt - m.una + 1);
                    m.advance(newUna);
                    b.advance(m.seq(newUna));
                }
                check(b, m, smss, random, "base " + base + " step " + step);
            }
        }
    }

    private static void check(SendScoreboard b, Model m, int smss, Random random, String where) {
        String ctx = where + " una+" + m.una + " nxt+" + m.nxt + " " + b;
        assertEquals(m.sackedBytes(), b.sackedBytes(), ctx);
        assertEquals(m.runs(), b.rangeCount(), ctx);
        assertEquals(m.runs() == 0, b.isEmpty(), ctx);
        int highest = m.una;
        for (int o = m.una; o < m.nxt; o++) {
            assertEquals(m.sacked[o], b.isSacked(m.seq(o)), ctx + " isSacked +" + o);
            if (m.sacked[o]) {
                highest = o + 1;
            }
        }
        assertEquals(m.seq(highest), b.highestSackedEnd(m.seq(m.una)), ctx);
        int boundary = b.lostBoundary(m.seq(m.una), smss, DUP_THRESH);
        for (int o = m.una; o <= m.nxt; o++) {
            int next = o;
            while (next < m.nxt && m.sacked[next]) {
                next++;
            }
            assertEquals(m.seq(next), b.nextUnsacked(m.seq(o)), ctx + " nextUnsacked +" + o);
            if (o < m.nxt && !m.sacked[o]) {
                int end = o;
                while (end < m.nxt && !m.sacked[end]) {
                    end++;
                }
                assertEquals(m.seq(end), b.holeEnd(m.seq(o), m.seq(m.nxt)), ctx + " holeEnd +" + o);
                assertEquals(m.isLost(o, smss), SeqNum.lt(m.seq(o), boundary), ctx + " IsLost +" + o);
            }
        }
        int lostEnd = m.una + random.nextInt(m.nxt - m.una + 1);
        int highRxt = m.una + random.nextInt(m.nxt - m.una + 1);
        assertEquals(m.pipe(lostEnd, highRxt), b.pipe(m.seq(m.una), m.seq(m.nxt), m.seq(lostEnd), m.seq(highRxt)),
                ctx + " pipe lostEnd+" + lostEnd + " highRxt+" + highRxt);
    }
}
