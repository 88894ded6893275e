package io.usertcp.tcp.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.MemoryBudget;
import io.usertcp.wire.SeqNum;
import java.util.ArrayList;

/**
 * Out-of-order data waiting for the hole before it (RFC 9293 §3.10.7.4, seventh: segments "may be
 * held for later processing"). Keeps non-overlapping ranges sorted by sequence number: what
 * arrives is trimmed against what is already held, so duplicates and overlaps cost nothing twice.
 * A FIN that arrives after a hole is remembered and delivered only after the data before it.
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
    /** One held range [seq, seq + data.readableBytes()). */
    private static final class Range {
        int seq;
        ByteBuf data;

        Range(int seq, ByteBuf data) {
            this.seq = seq;
            this.data = data;
        }

        int end() {
            return seq + data.readableBytes();
        }
    }

    private final ArrayList<Range> ranges = new ArrayList<>();
    private final int maxRanges;
    /** Where exact copies of small held segments come from. */
    private final ByteBufAllocator allocator;
    private final MemoryBudget budget;
    private long chargedBytes;
    private int heldBytes;
    private boolean finHeld;
    private boolean duplicateFound;
    private int duplicateLeft;
    private int duplicateRight;
    private int finSeq;
    /** Edges of recently received out-of-order data, most recent first, for SACK (RFC 2018 §4). */
    private final int[] recentLeft = new int[4];
    private final int[] recentRight = new int[4];
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
        return ranges.isEmpty() && !finHeld;
    }

    int heldBytes() {
        return heldBytes;
    }

    int rangeCount() {
        return ranges.size();
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
        int i = 0;
        while (SeqNum.lt(start, end)) {
            // skip ranges entirely before start
            while (i < ranges.size() && SeqNum.le(ranges.get(i).end(), start)) {
                i++;
            }
            int gapEnd = end;
            if (i < ranges.size()) {
                Range r = ranges.get(i);
                if (SeqNum.le(r.seq, start)) {
                    if (!duplicateFound) {
                        // Already held: a duplicate, which the next ACK reports in a D-SACK block (RFC 2883 §4).
                        duplicateFound = true;
                        duplicateLeft = start;
                        duplicateRight = SeqNum.min(end, r.end());
                    }
                    start = r.end(); // covered: move past this range
                    i++;
                    continue;
                }
                gapEnd = SeqNum.min(end, r.seq);
            }
            int n = SeqNum.diff(gapEnd, start);
            ranges.add(i, new Range(start, hold(packet, offset + SeqNum.diff(start, seq), n)));
            heldBytes += n;
            added = true;
            i++;
            start = gapEnd;
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
        return held;
    }

    /** The memory the held ranges really hold. */
    long chargedBytes() {
        return chargedBytes;
    }

    private void forget(Range r) {
        heldBytes -= r.data.readableBytes();
        charge(-ReceiveBuffer.trueSize(r.data));
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
        while (chargedBytes > chargedLimit && !ranges.isEmpty()) {
            dropHighest();
            pruned = true;
        }
        if (pruned) {
            recentCount = 0; // what is held changed under the reported blocks
        }
        return pruned;
    }

    private void dropHighest() {
        Range r = ranges.remove(ranges.size() - 1);
        forget(r);
        r.data.release();
        if (finHeld && SeqNum.ge(finSeq, r.seq)) {
            finHeld = false; // the data before it is gone; the FIN will come again
        }
    }

    /** Drops the highest ranges while there are too many (each pins a packet buffer). */
    private void prune() {
        while (ranges.size() > maxRanges) {
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
        while (!ranges.isEmpty()) {
            Range r = ranges.get(0);
            if (SeqNum.le(r.end(), rcvNxt)) {
                ranges.remove(0);
                forget(r);
                r.data.release();
                continue;
            }
            if (SeqNum.gt(r.seq, rcvNxt)) {
                return null;
            }
            ranges.remove(0);
            int skip = SeqNum.diff(rcvNxt, r.seq);
            forget(r);
            r.data.skipBytes(skip);
            return r.data;
        }
        return null;
    }

    /** Whether a held FIN is now in order at {@code rcvNxt}; clears it when so. */
    boolean takeFinAt(int rcvNxt) {
        if (finHeld && finSeq == rcvNxt && ranges.isEmpty()) {
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
            int block = blockContaining(recentLeft[k], recentRight[k]);
            if (block < 0) {
                continue;
            }
            int l = blockStart(block);
            int r = blockEnd(block);
            if (!alreadyListed(left, from, count, l)) {
                left[count] = l;
                right[count] = r;
                count++;
            }
        }
        for (int b = 0; b < ranges.size() && count < max; b = nextBlock(b)) {
            int l = blockStart(b);
            if (!alreadyListed(left, from, count, l)) {
                left[count] = l;
                right[count] = blockEnd(b);
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

    /** Index of the first range of the contiguous block that overlaps [l, r), or -1. */
    private int blockContaining(int l, int r) {
        for (int i = 0; i < ranges.size(); i++) {
            Range x = ranges.get(i);
            if (SeqNum.lt(x.seq, r) && SeqNum.gt(x.end(), l)) {
                while (i > 0 && ranges.get(i - 1).end() == ranges.get(i).seq) {
                    i--;
                }
                return i;
            }
        }
        return -1;
    }

    private int blockStart(int firstRange) {
        return ranges.get(firstRange).seq;
    }

    private int blockEnd(int firstRange) {
        int i = firstRange;
        while (i + 1 < ranges.size() && ranges.get(i).end() == ranges.get(i + 1).seq) {
            i++;
        }
        return ranges.get(i).end();
    }

    private int nextBlock(int firstRange) {
        int i = firstRange;
        while (i + 1 < ranges.size() && ranges.get(i).end() == ranges.get(i + 1).seq) {
            i++;
        }
        return i + 1;
    }

    private void remember(int l, int r) {
        int keep = Math.min(recentCount, recentLeft.length - 1);
        System.arraycopy(recentLeft, 0, recentLeft, 1, keep);
        System.arraycopy(recentRight, 0, recentRight, 1, keep);
        recentLeft[0] = l;
        recentRight[0] = r;
        recentCount = keep + 1;
    }

    void release() {
        for (Range r : ranges) {
            r.data.release();
        }
        ranges.clear();
        heldBytes = 0;
        budget.charge(-chargedBytes);
        chargedBytes = 0;
        finHeld = false;
        recentCount = 0;
    }
}
