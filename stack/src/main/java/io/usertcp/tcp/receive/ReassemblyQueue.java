package io.usertcp.tcp.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.MemoryBudget;
import io.usertcp.wire.SeqNum;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * Out-of-order data waiting for the hole before it (RFC 9293 §3.10.7.4, seventh: segments "may be
 * held for later processing"). Keeps blocks, the contiguous runs a SACK block reports, sorted by
 * sequence number and never touching; each block keeps its ranges (the segments' bytes) in order.
 * What arrives is trimmed against what is already held, so duplicates and overlaps cost nothing
 * twice. A FIN that arrives after a hole is remembered and delivered only after the data before it.
 *
 * <p>Cost: a segment that extends the highest block (nearly every segment behind a hole), taking
 * the next range in order, and the SACK blocks of an ACK cost the same however much is held: they
 * work on the ends of the blocks and their deques, and the block count is the number of holes
 * (Linux keeps its out-of-order queue in an rbtree with a pointer to its last skb for the same
 * reason, tcp_data_queue_ofo()). Only a segment that lands between blocks walks the blocks.
 *
 * <p>Bounded: the caller trims every segment to the receive window before offering it, so held
 * bytes never exceed the window; and at most {@code maxRanges} ranges are kept, because each pins
 * a whole packet buffer — past that, the highest ranges are dropped first (Linux prunes its
 * out-of-order queue from the end too), and the peer will send them again.
 *
 * <p>Also the source of the SACK blocks a receiver reports (RFC 2018 §4): the first block
 * contains the most recently received segment, the others the most recently reported blocks.
 *
 * <p>Ownership: holds retained slices of inbound packets; {@link #pollInOrder} hands them to the
 * caller (who then owns them), {@link #release()} frees what remains.
 */
final class ReassemblyQueue {
    /**
     * A contiguous run [seq, end) of held bytes: its ranges, in order, without gaps. The queue owns
     * every range (a retained slice or an exact copy, see {@link #hold}) until it releases it or hands
     * it out from {@link #pollInOrder}.
     */
    private static final class Block {
        int seq;
        int end;
        final ArrayDeque<ByteBuf> ranges = new ArrayDeque<>(8);

        /** @param first ownership moves in */
        Block(int seq, ByteBuf first) {
            this.seq = seq;
            this.end = seq + first.readableBytes();
            ranges.add(first);
        }
    }

    /** Sorted by sequence number; no two overlap or touch (touching blocks are merged). */
    private final ArrayList<Block> blocks = new ArrayList<>();
    private final int maxRanges;
    /** Where exact copies of small held segments come from. */
    private final ByteBufAllocator allocator;
    private final MemoryBudget budget;
    private int rangeCount;
    private long chargedBytes;
    private int heldBytes;
    private boolean finHeld;
    private boolean duplicateFound;
    private int duplicateLeft;
    private int duplicateRight;
    private int finSeq;
    /**
     * Edges of recently received out-of-order data, most recent first, for SACK (RFC 2018 §4); made
     * with the first such data (every connection has a queue, few ever hold anything).
     */
    private static final int RECENT = 4;
    private int[] recentLeft;
    private int[] recentRight;
    private int recentCount;

    ReassemblyQueue(int maxRanges, ByteBufAllocator allocator, MemoryBudget budget) {
        this.allocator = allocator;
        this.budget = budget;
        this.maxRanges = maxRanges;
    }

    /** Whether the last {@link #offer} brought bytes already held; then they start at {@link #duplicateLeft}. */
    boolean duplicateFound() {
        return duplicateFound;
    }

    /** The first duplicate part of the last offer: [duplicateLeft, duplicateRight). */
    int duplicateLeft() {
        return duplicateLeft;
    }

    int duplicateRight() {
        return duplicateRight;
    }

    boolean isEmpty() {
        return blocks.isEmpty() && !finHeld;
    }

    int heldBytes() {
        return heldBytes;
    }

    /** Held ranges: each pins (part of) one packet buffer. */
    int rangeCount() {
        return rangeCount;
    }

    /** Contiguous runs held: the holes behind RCV.NXT and between them. */
    int blockCount() {
        return blocks.size();
    }

    /**
     * Holds {@code length} bytes at {@code seq} (beyond {@code rcvNxt}), trimming what is already
     * held. {@code fin} marks a FIN right after the data.
     *
     * @param packet borrowed: retained slices are kept
     * @return whether anything new was held
     */
    boolean offer(int rcvNxt, int seq, ByteBuf packet, int offset, int length, boolean fin) {
        boolean added = false;
        duplicateFound = false;
        if (fin && !finHeld) {
            finHeld = true;
            finSeq = seq + length;
            added = true;
        }
        int start = seq;
        int end = seq + length;
        if (SeqNum.lt(start, rcvNxt)) {
            start = rcvNxt; // the caller trimmed, but be safe
        }
        // k: the first block that ends at or after start, found from the top, where nearly all arrive
        int k = blocks.size();
        while (k > 0 && SeqNum.ge(blocks.get(k - 1).end, start)) {
            k--;
        }
        while (SeqNum.lt(start, end)) {
            Block b = k < blocks.size() ? blocks.get(k) : null;
            if (b != null && SeqNum.le(b.seq, start)) {
                if (SeqNum.lt(start, b.end)) {
                    if (!duplicateFound) {
                        // Already held: a duplicate, which the next ACK reports in a D-SACK block (RFC 2883 §4).
                        duplicateFound = true;
                        duplicateLeft = start;
                        duplicateRight = SeqNum.min(end, b.end);
                    }
                    start = b.end;
                    continue;
                }
                // start == b.end: the bytes up to the next block (or the end) extend b
                Block next = k + 1 < blocks.size() ? blocks.get(k + 1) : null;
                int gapEnd = next == null ? end : SeqNum.min(end, next.seq);
                b.ranges.addLast(hold(packet, offset + SeqNum.diff(start, seq), SeqNum.diff(gapEnd, start)));
                b.end = gapEnd;
                if (next != null && gapEnd == next.seq) {
                    b.ranges.addAll(next.ranges); // the hole between them is filled: one block
                    b.end = next.end;
                    blocks.remove(k + 1);
                }
                start = gapEnd;
            } else {
                // before block k (or above every block)
                int gapEnd = b == null ? end : SeqNum.min(end, b.seq);
                ByteBuf range = hold(packet, offset + SeqNum.diff(start, seq), SeqNum.diff(gapEnd, start));
                if (b != null && gapEnd == b.seq) {
                    b.ranges.addFirst(range);
                    b.seq = start;
                } else {
                    blocks.add(k, new Block(start, range));
                }
                start = gapEnd;
            }
            added = true;
        }
        if (length > 0) {
            remember(seq, seq + length);
        }
        prune();
        return added;
    }

    /**
     * What a range keeps of its packet: a retained slice, or an exact copy when the packet buffer is
     * more than twice the bytes (as the receive buffer does), so that held holes cost what they hold.
     */
    private ByteBuf hold(ByteBuf packet, int offset, int length) {
        int trueSize = ReceiveBuffer.trueSize(packet);
        ByteBuf held;
        if (trueSize <= 2 * length) {
            held = packet.retainedSlice(offset, length);
            charge(trueSize);
        } else {
            held = allocator.buffer(length, length).writeBytes(packet, offset, length);
            charge(held.capacity());
        }
        heldBytes += length;
        rangeCount++;
        return held;
    }

    /** The memory the held ranges really hold. */
    long chargedBytes() {
        return chargedBytes;
    }

    private void forget(ByteBuf range) {
        heldBytes -= range.readableBytes();
        rangeCount--;
        charge(-ReceiveBuffer.trueSize(range));
    }

    private void charge(long bytes) {
        chargedBytes += bytes;
        budget.charge(bytes);
    }

    /**
     * Linux tcp_prune_ofo_queue(): drops the highest ranges until the held memory is at most
     * {@code chargedLimit}; the sender will send them again (their SACK blocks go with them).
     *
     * @return whether anything was dropped
     */
    boolean pruneTo(long chargedLimit) {
        boolean pruned = false;
        while (chargedBytes > chargedLimit && !blocks.isEmpty()) {
            dropHighest();
            pruned = true;
        }
        if (pruned) {
            recentCount = 0; // what is held changed under the reported blocks
        }
        return pruned;
    }

    private void dropHighest() {
        int last = blocks.size() - 1;
        Block b = blocks.get(last);
        ByteBuf range = b.ranges.pollLast();
        b.end -= range.readableBytes();
        if (b.ranges.isEmpty()) {
            blocks.remove(last);
        }
        if (finHeld && SeqNum.ge(finSeq, b.end)) {
            finHeld = false; // the data before it is gone; the FIN will come again
        }
        forget(range);
        range.release();
    }

    /** Drops the highest ranges while there are too many (each pins a packet buffer). */
    private void prune() {
        while (rangeCount > maxRanges) {
            dropHighest();
        }
    }

    /**
     * Takes the next range if it starts at {@code rcvNxt} (ranges that fall entirely before it are
     * released; a range straddling it is trimmed).
     *
     * @return a slice the caller now owns, or null when the hole at {@code rcvNxt} is still open
     */
    ByteBuf pollInOrder(int rcvNxt) {
        while (!blocks.isEmpty()) {
            Block b = blocks.get(0);
            if (SeqNum.gt(b.seq, rcvNxt)) {
                return null;
            }
            ByteBuf range = b.ranges.pollFirst();
            int rangeSeq = b.seq;
            b.seq += range.readableBytes();
            if (b.ranges.isEmpty()) {
                blocks.remove(0); // a short list: the holes
            }
            forget(range);
            if (SeqNum.le(b.seq, rcvNxt)) {
                range.release(); // entirely before RCV.NXT
                continue;
            }
            range.skipBytes(SeqNum.diff(rcvNxt, rangeSeq));
            return range;
        }
        return null;
    }

    /** Whether a held FIN is now in order at {@code rcvNxt}; clears it when so. */
    boolean takeFinAt(int rcvNxt) {
        if (finHeld && finSeq == rcvNxt && blocks.isEmpty()) {
            finHeld = false;
            return true;
        }
        return false;
    }

    /**
     * Fills SACK blocks for an ACK (RFC 2018 §4): the block containing the most recent
     * out-of-order segment first, then other held blocks, most recently changed first.
     *
     * @return the number of blocks written (at most {@code max})
     */
    int sackBlocks(int[] left, int[] right, int max) {
        return sackBlocks(left, right, 0, max);
    }

    /** As {@link #sackBlocks(int[], int[], int)}, writing from index {@code from} on (after a D-SACK block). */
    int sackBlocks(int[] left, int[] right, int from, int max) {
        int count = from;
        for (int k = 0; k < recentCount && count < max; k++) {
            Block b = blockOverlapping(recentLeft[k], recentRight[k]);
            if (b != null && !alreadyListed(left, from, count, b.seq)) {
                left[count] = b.seq;
                right[count] = b.end;
                count++;
            }
        }
        for (int i = 0; i < blocks.size() && count < max; i++) {
            Block b = blocks.get(i);
            if (!alreadyListed(left, from, count, b.seq)) {
                left[count] = b.seq;
                right[count] = b.end;
                count++;
            }
        }
        return count - from;
    }

    private static boolean alreadyListed(int[] left, int from, int count, int l) {
        for (int i = from; i < count; i++) {
            if (left[i] == l) {
                return true;
            }
        }
        return false;
    }

    /** The block that overlaps [l, r), or null; searched from the top, where recent data lands. */
    private Block blockOverlapping(int l, int r) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (SeqNum.lt(b.seq, r) && SeqNum.gt(b.end, l)) {
                return b;
            }
            if (SeqNum.le(b.end, l)) {
                return null; // every block below ends before l too
            }
        }
        return null;
    }

    private void remember(int l, int r) {
        if (recentLeft == null) {
            recentLeft = new int[RECENT];
            recentRight = new int[RECENT];
        }
        int keep = Math.min(recentCount, RECENT - 1);
        System.arraycopy(recentLeft, 0, recentLeft, 1, keep);
        System.arraycopy(recentRight, 0, recentRight, 1, keep);
        recentLeft[0] = l;
        recentRight[0] = r;
        recentCount = keep + 1;
    }

    void release() {
        for (Block b : blocks) {
            for (ByteBuf range : b.ranges) {
                range.release();
            }
        }
        blocks.clear();
        rangeCount = 0;
        heldBytes = 0;
        budget.charge(-chargedBytes);
        chargedBytes = 0;
        finHeld = false;
        recentCount = 0;
    }
}
