package io.usertcp.tcp.receive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.usertcp.core.MemoryBudget;
import io.usertcp.core.RandomSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Out-of-order reassembly: trimming (RFC 9293 §3.10.7.4), held FIN, bounds, SACK blocks (RFC 2018 §4). */
class ReassemblyQueueTest {
    static final int BASE = 0xFFFF_FF00; // close to the wrap, so every comparison must be modular
    /** The stream "abcdefghijklmnopqrstuvwxyz..." starting at BASE. */
    static final byte[] STREAM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".getBytes(StandardCharsets.US_ASCII);

    ReassemblyQueue q;
    ByteBuf packet;

    @BeforeEach
    void setUp() {
        q = new ReassemblyQueue(64, UnpooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        packet = Unpooled.wrappedBuffer(STREAM);
    }

    @AfterEach
    void tearDown() {
        q.release();
        packet.release();
    }

    /** Offers stream bytes [from, to) as one segment. */
    boolean offer(int rcvNxt, int from, int to) {
        return q.offer(rcvNxt, BASE + from, packet, from, to - from, false);
    }

    /** Drains everything in order from {@code rcvNxtOffset}; returns the text and the new offset. */
    String drain(int rcvNxtOffset, int[] newOffset) {
        StringBuilder sb = new StringBuilder();
        int rcvNxt = BASE + rcvNxtOffset;
        ByteBuf b;
        while ((b = q.pollInOrder(rcvNxt)) != null) {
            sb.append(b.toString(StandardCharsets.US_ASCII));
            rcvNxt += b.readableBytes();
            b.release();
        }
        newOffset[0] = rcvNxt - BASE;
        return sb.toString();
    }

    @Test
    void holeFilledLater_deliversEverythingInOrder() {
        assertTrue(offer(BASE, 10, 20));
        assertNull(q.pollInOrder(BASE), "the hole [0,10) is still open");
        int[] at = new int[1];
        assertEquals("", drain(0, at));
        // the application's in-order data covers [0,10); what was held follows
        assertEquals("klmnopqrst", drain(10, at));
        assertEquals(20, at[0]);
        assertTrue(q.isEmpty());
    }

    @Test
    void overlapsAndDuplicates_areTrimmed_soNoByteIsHeldTwice() {
        offer(BASE, 10, 20);
        offer(BASE, 15, 30); // overlaps the end
        offer(BASE, 5, 12);  // overlaps the start
        offer(BASE, 10, 20); // exact duplicate
        offer(BASE, 12, 14); // inside
        assertEquals(25, q.heldBytes(), "[5,30) held once");
        int[] at = new int[1];
        assertEquals(new String(STREAM, 5, 25, StandardCharsets.US_ASCII), drain(5, at));
    }

    @Test
    void rangeStraddlingRcvNxt_isTrimmedWhenPolled() {
        offer(BASE, 10, 20);
        int[] at = new int[1];
        assertEquals("opqrst", drain(14, at), "bytes before RCV.NXT are not delivered again");
    }

    @Test
    void finAfterAHole_isDeliveredOnlyAfterTheDataBeforeIt() {
        assertTrue(q.offer(BASE, BASE + 10, packet, 10, 5, true));
        assertFalse(q.takeFinAt(BASE + 15), "data [10,15) not delivered yet");
        int[] at = new int[1];
        drain(10, at);
        assertTrue(q.takeFinAt(BASE + 15));
        assertTrue(q.isEmpty());
    }

    @Test
    void tooManyRanges_dropsTheHighestFirst() {
        ReassemblyQueue small = new ReassemblyQueue(3, UnpooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        try {
            for (int i = 0; i < 5; i++) {
                small.offer(BASE, BASE + 2 + 4 * i, packet, 2 + 4 * i, 1, false); // five separate 1-byte ranges
            }
            assertEquals(3, small.rangeCount());
            int[] left = new int[4];
            int[] right = new int[4];
            int n = small.sackBlocks(left, right, 4);
            List<Integer> lefts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                lefts.add(left[i] - BASE);
            }
            lefts.sort(null);
            assertEquals(List.of(2, 6, 10), lefts, "the lowest three are kept");
        } finally {
            small.release();
        }
    }

    @Test
    void sackBlocks_firstIsTheMostRecentSegmentsBlock_rfc2018() {
        offer(BASE, 10, 15);
        offer(BASE, 30, 35);
        offer(BASE, 20, 25);
        int[] left = new int[3];
        int[] right = new int[3];
        assertEquals(3, q.sackBlocks(left, right, 3));
        assertEquals(List.of(20, 25), List.of(left[0] - BASE, right[0] - BASE), "most recent first");
        assertEquals(List.of(30, 35), List.of(left[1] - BASE, right[1] - BASE));
        assertEquals(List.of(10, 15), List.of(left[2] - BASE, right[2] - BASE));
        offer(BASE, 15, 20); // joins [10,15) and [20,25) into one block
        assertEquals(2, q.sackBlocks(left, right, 3));
        assertEquals(List.of(10, 25), List.of(left[0] - BASE, right[0] - BASE), "the block containing the new segment");
    }

    @Test
    void randomArrivalOrder_withDuplicates_reassemblesTheStreamExactly() {
        RandomSource random = RandomSource.seeded(11);
        for (int round = 0; round < 200; round++) {
            ReassemblyQueue r = new ReassemblyQueue(1000, UnpooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
            try {
                List<int[]> pieces = new ArrayList<>();
                for (int from = 0; from < STREAM.length; ) {
                    int to = Math.min(STREAM.length, from + 1 + random.nextInt(7));
                    pieces.add(new int[] {from, to});
                    from = to;
                }
                List<int[]> shuffled = new ArrayList<>(pieces);
                shuffled.addAll(pieces.subList(0, pieces.size() / 3)); // duplicates
                for (int i = shuffled.size() - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int[] t = shuffled.get(i);
                    shuffled.set(i, shuffled.get(j));
                    shuffled.set(j, t);
                }
                StringBuilder out = new StringBuilder();
                int rcvNxt = BASE;
                for (int[] p : shuffled) {
                    int seq = BASE + p[0];
                    int end = BASE + p[1];
                    if (io.usertcp.wire.SeqNum.le(end, rcvNxt)) {
                        continue; // entirely old: the state machine's trimming drops it
                    }
                    r.offer(rcvNxt, seq, packet, p[0], p[1] - p[0], false);
                    ByteBuf b;
                    while ((b = r.pollInOrder(rcvNxt)) != null) {
                        out.append(b.toString(StandardCharsets.US_ASCII));
                        rcvNxt += b.readableBytes();
                        b.release();
                    }
                }
                assertEquals(new String(STREAM, StandardCharsets.US_ASCII), out.toString(), "round " + round);
                assertTrue(r.isEmpty());
            } finally {
                r.release();
            }
        }
        assertTrue(Arrays.equals(STREAM, STREAM));
    }

    @Test
    void sackBlocks_areExactlyTheHeldRuns_andBlocksMergeWhenAHoleBetweenThemFills() {
        RandomSource random = RandomSource.seeded(29);
        for (int round = 0; round < 200; round++) {
            ReassemblyQueue r = new ReassemblyQueue(1000, UnpooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
            try {
                boolean[] held = new boolean[STREAM.length];
                int rcvNxt = 0;
                for (int step = 0; step < 40; step++) {
                    int from = rcvNxt + 1 + random.nextInt(STREAM.length - rcvNxt - 1);
                    int to = Math.min(STREAM.length, from + 1 + random.nextInt(6));
                    r.offer(BASE + rcvNxt, BASE + from, packet, from, to - from, false);
                    Arrays.fill(held, from, to, true);
                    List<List<Integer>> expected = new ArrayList<>();
                    int bytes = 0;
                    for (int i = rcvNxt; i < STREAM.length; i++) {
                        if (held[i]) {
                            bytes++;
                            if (i == rcvNxt || !held[i - 1]) {
                                expected.add(new ArrayList<>(List.of(i, i + 1)));
                            } else {
                                expected.get(expected.size() - 1).set(1, i + 1);
                            }
                        }
                    }
                    assertEquals(bytes, r.heldBytes(), "round " + round + " step " + step);
                    assertEquals(expected.size(), r.blockCount(), "round " + round + " step " + step);
                    int[] left = new int[64];
                    int[] right = new int[64];
                    int n = r.sackBlocks(left, right, 64);
                    List<List<Integer>> reported = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        reported.add(List.of(left[i] - BASE, right[i] - BASE));
                    }
                    assertTrue(reported.get(0).get(0) <= from && to <= reported.get(0).get(1),
                            "the first block holds the newest segment (RFC 2018 §4): " + reported + " " + from + "-" + to);
                    reported.sort((a, b) -> Integer.compare(a.get(0), b.get(0)));
                    assertEquals(expected, reported, "round " + round + " step " + step);
                }
            } finally {
                r.release();
            }
        }
    }
}
