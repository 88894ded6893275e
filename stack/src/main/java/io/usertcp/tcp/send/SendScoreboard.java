package io.usertcp.tcp.send;

import io.usertcp.wire.SeqNum;

/**
 * The sender's SACK scoreboard (RFC 6675 §3): which ranges of the send sequence space above SND.UNA
 * the peer reported holding out of order (RFC 2018). Kept as at most {@link #MAX_RANGES} disjoint,
 * sorted, half-open ranges {@code [start, end)}; everything else between SND.UNA and SND.NXT is a
 * hole. Allocation-free; owned by one connection's {@link LossRecovery}.
 *
 * <p>Blocks from the wire are untrusted: each is clipped to (SND.UNA, SND.NXT], and blocks that are
 * empty, inverted or entirely acknowledged (a D-SACK, RFC 2883) are ignored. When the table is full,
 * the highest range is given up: that only makes the sender retransmit something the peer holds.
 */
final class SendScoreboard {
    /** Ranges kept; a peer reports at most 4 per ACK (RFC 2018 §3), so 64 covers 16 ACKs of new holes. */
    static final int MAX_RANGES = 64;

    /**
     * Ranges in order, the first {@link #count} valid: empty until the first SACK block, then grown
     * by doubling up to {@link #MAX_RANGES}: a connection without holes holds none (a full table is 512 bytes).
     */
    private int[] starts = EMPTY;
    private int[] ends = EMPTY;
    private int count;
    private static final int[] EMPTY = new int[0];

    void clear() {
        count = 0;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Disjoint SACKed ranges held. */
    int rangeCount() {
        return count;
    }

    /** Bytes SACKed above SND.UNA. */
    long sackedBytes() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += SeqNum.diff(ends[i], starts[i]);
        }
        return sum;
    }

    /** The end of the highest SACKed range ("the highest octet covered by any received SACK", plus one). */
    int highestSackedEnd(int otherwise) {
        return count == 0 ? otherwise : ends[count - 1];
    }

    /**
     * Records the block {@code [left, right)} from an ACK whose SND.UNA is {@code una}, with
     * {@code nxt} the highest sequence number sent.
     *
     * @return bytes not SACKed before (0 for a duplicate, stale or invalid block)
     */
    int add(int left, int right, int una, int nxt) {
        if (!SeqNum.lt(left, right)) {
            // Inverted or empty: rejected before clipping, because sequence comparison is not transitive across
            // half the space — LEFT may compare below SND.UNA and RIGHT inside the window while LEFT > RIGHT.
            return 0;
        }
        int l = SeqNum.max(left, una);
        int r = SeqNum.lt(right, nxt) ? right : nxt;
        if (!SeqNum.lt(l, r) || SeqNum.diff(r, l) > SeqNum.diff(nxt, una)) {
            return 0;
        }
        // The ranges that overlap or touch [l, r) are merged into one.
        int first = 0;
        while (first < count && SeqNum.lt(ends[first], l)) {
            first++;
        }
        int last = first;
        long covered = 0;
        int mergedStart = l;
        int mergedEnd = r;
        while (last < count && SeqNum.le(starts[last], r)) {
            covered += overlap(starts[last], ends[last], l, r);
            mergedStart = SeqNum.min(mergedStart, starts[last]);
            mergedEnd = SeqNum.max(mergedEnd, ends[last]);
            last++;
        }
        int merged = last - first;
        if (merged == 0 && count == MAX_RANGES) {
            if (first == count) {
                return 0; // above everything held and no room: forget it
            }
            count--; // give up the highest range to keep the lower, more useful one
        }
        int added = SeqNum.diff(r, l) - (int) covered;
        replace(first, merged, mergedStart, mergedEnd);
        return added;
    }

    /** SND.UNA moved to {@code una}: forgets what it acknowledged. */
    void advance(int una) {
        int drop = 0;
        while (drop < count && SeqNum.le(ends[drop], una)) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(starts, drop, starts, 0, count - drop);
            System.arraycopy(ends, drop, ends, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && SeqNum.lt(starts[0], una)) {
            starts[0] = una;
        }
    }

    /** Whether {@code seq} lies in a SACKed range. */
    boolean isSacked(int seq) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.lt(seq, starts[i])) {
                return false;
            }
            if (SeqNum.lt(seq, ends[i])) {
                return true;
            }
        }
        return false;
    }

    /** The first sequence number at or after {@code from} that is not SACKed. */
    int nextUnsacked(int from) {
        int seq = from;
        for (int i = 0; i < count; i++) {
            if (SeqNum.lt(seq, starts[i])) {
                return seq;
            }
            if (SeqNum.lt(seq, ends[i])) {
                seq = ends[i];
            }
        }
        return seq;
    }

    /** Where the hole containing the unSACKed {@code seq} ends: the next SACKed range, or {@code limit}. */
    int holeEnd(int seq, int limit) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.gt(starts[i], seq)) {
                return SeqNum.lt(starts[i], limit) ? starts[i] : limit;
            }
        }
        return limit;
    }

    /**
     * RFC 6675 §4 IsLost, as a boundary: every unSACKed octet below the returned sequence number is
     * lost, because at least {@code dupThresh} discontiguous SACKed ranges, or more than
     * {@code (dupThresh - 1) · smss} SACKed bytes, lie above it. Returns {@code una} when nothing is.
     */
    int lostBoundary(int una, int smss, int dupThresh) {
        long above = 0;
        for (int i = count - 1; i >= 0; i--) {
            above += SeqNum.diff(ends[i], starts[i]);
            if (count - i >= dupThresh || above > (long) (dupThresh - 1) * smss) {
                return starts[i];
            }
        }
        return una;
    }

    /**
     * RFC 6675 §4 SetPipe over {@code [una, nxt)}: each unSACKed octet counts once if it is not lost
     * (below {@code lostEnd}), and once more if it was retransmitted (below {@code highRxt}).
     */
    long pipe(int una, int nxt, int lostEnd, int highRxt) {
        long pipe = 0;
        int seq = una; // ranges never start below SND.UNA: advance() trims them
        for (int i = 0; i <= count && SeqNum.lt(seq, nxt); i++) {
            int holeEnd = i < count ? SeqNum.min(starts[i], nxt) : nxt;
            if (SeqNum.lt(seq, holeEnd)) {
                long length = SeqNum.diff(holeEnd, seq);
                pipe += length - overlap(seq, holeEnd, una, lostEnd) + overlap(seq, holeEnd, una, highRxt);
            }
            if (i < count) {
                seq = SeqNum.max(seq, ends[i]);
            }
        }
        return pipe;
    }

    private void replace(int first, int merged, int start, int end) {
        int shift = 1 - merged; // one range takes the place of `merged` ranges
        if (count + shift > starts.length) {
            int n = Math.min(MAX_RANGES, Math.max(4, starts.length * 2));
            starts = java.util.Arrays.copyOf(starts, n);
            ends = java.util.Arrays.copyOf(ends, n);
        }
        if (shift != 0) {
            int tail = count - (first + merged);
            System.arraycopy(starts, first + merged, starts, first + merged + shift, tail);
            System.arraycopy(ends, first + merged, ends, first + merged + shift, tail);
            count += shift;
        }
        starts[first] = start;
        ends[first] = end;
    }

    /** Bytes of {@code [a, b)} inside {@code [lo, hi)}. */
    private static long overlap(int a, int b, int lo, int hi) {
        int l = SeqNum.max(a, lo);
        int h = SeqNum.lt(b, hi) ? b : hi;
        return SeqNum.lt(l, h) ? SeqNum.diff(h, l) : 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SendScoreboard[");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : " ").append(Integer.toUnsignedString(starts[i])).append('-')
                    .append(Integer.toUnsignedString(ends[i]));
        }
        return sb.append(']').toString();
    }
}
