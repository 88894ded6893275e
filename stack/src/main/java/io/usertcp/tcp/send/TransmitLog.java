package io.usertcp.tcp.send;

import io.usertcp.wire.SeqNum;

/**
 * Every segment in flight, in sequence order, with the time it was last sent and Linux's per-skb
 * marks (struct tcp_skb_cb {@code sacked}): SACKed, lost, retransmitted ever, retransmission in
 * flight. RACK (RFC 8985 §6) judges loss by these send times, PRR and the Linux pipe
 * ({@code tcp_packets_in_flight()}: packets_out − sacked_out − lost_out + retrans_out) count these
 * marks, and the undo logic finds retransmissions here.
 *
 * <p>One entry per segment sent (an entry is split when a SACK block or a retransmission covers
 * only part of it, as Linux tcp_fragment() splits an skb). Kept in parallel arrays between
 * {@code head} and {@code tail}; growing doubles them, which a long-lived connection does once
 * for its largest window, so the steady state allocates nothing. Counts are in packets (one per
 * entry) as Linux keeps them, and in bytes.
 */
final class TransmitLog {
    static final byte SACKED = 1;
    static final byte LOST = 2;
    /** Retransmitted at least once (Linux TCPCB_EVER_RETRANS / TCPCB_RETRANS). */
    static final byte EVER_RETRANS = 4;
    /** A retransmission of it is in flight (Linux TCPCB_SACKED_RETRANS). */
    static final byte RETRANS_OUT = 8;

    // No room until the first segment is sent, then four entries, doubled as the flight grows: a
    // connection that has sent nothing (an idle server's) holds no arrays here, a busy one the room
    // for its largest window.
    private static final int FIRST_ROOM = 4;
    private static final int[] NO_INTS = {};
    private static final long[] NO_LONGS = {};
    private static final byte[] NO_BYTES = {};
    private int[] starts = NO_INTS;
    private int[] ends = NO_INTS;
    private long[] sentNanos = NO_LONGS;
    private byte[] marks = NO_BYTES;
    private int head;
    private int tail;

    int packetsOut;
    int sackedOut;
    int lostOut;
    int retransOut;
    long sackedBytes;
    long lostBytes;
    long retransBytes;

    int size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    /** Index of the first entry, for {@code for (int i = first(); i < end(); i++)}. */
    int first() {
        return head;
    }

    int end() {
        return tail;
    }

    int start(int i) {
        return starts[i];
    }

    int endSeq(int i) {
        return ends[i];
    }

    long sentNanos(int i) {
        return sentNanos[i];
    }

    int marks(int i) {
        return marks[i];
    }

    boolean has(int i, byte mark) {
        return (marks[i] & mark) != 0;
    }

    /** Linux tcp_packets_in_flight(). */
    int inFlightPackets() {
        return packetsOut - sackedOut - lostOut + retransOut;
    }

    /** The same in bytes, {@code outstanding} being SND.NXT − SND.UNA. */
    long inFlightBytes(long outstanding) {
        return outstanding - sackedBytes - lostBytes + retransBytes;
    }

    void clear() {
        head = 0;
        tail = 0;
        packetsOut = sackedOut = lostOut = retransOut = 0;
        sackedBytes = lostBytes = retransBytes = 0;
    }

    /** New data (or our FIN) {@code [start, end)} went out at {@code nowNanos}. */
    void appendSent(int start, int end, long nowNanos) {
        if (!SeqNum.lt(start, end)) {
            return;
        }
        if (tail == starts.length) {
            makeRoom();
        }
        starts[tail] = start;
        ends[tail] = end;
        sentNanos[tail] = nowNanos;
        marks[tail] = 0;
        tail++;
        packetsOut++;
    }

    /** Sets the marks of entry {@code i}, keeping the counts. */
    void setMarks(int i, int newMarks) {
        int old = marks[i];
        long length = SeqNum.diff(ends[i], starts[i]);
        count(old, -1, -length);
        marks[i] = (byte) newMarks;
        count(newMarks, 1, length);
    }

    void mark(int i, byte mark) {
        setMarks(i, marks[i] | mark);
    }

    void unmark(int i, byte mark) {
        setMarks(i, marks[i] & ~mark);
    }

    void setSentNanos(int i, long nowNanos) {
        sentNanos[i] = nowNanos;
    }

    private void count(int m, int packets, long bytes) {
        if ((m & SACKED) != 0) {
            sackedOut += packets;
            sackedBytes += bytes;
        }
        if ((m & LOST) != 0) {
            lostOut += packets;
            lostBytes += bytes;
        }
        if ((m & RETRANS_OUT) != 0) {
            retransOut += packets;
            retransBytes += bytes;
        }
    }

    /**
     * Removes the first entry if it ends by {@code una}, or trims it to start there; returns whether
     * an entry went (the caller reads it first through {@link #first()}).
     */
    boolean removeFirstIfAcked(int una) {
        if (head == tail || SeqNum.lt(una, starts[head])) {
            return false;
        }
        if (SeqNum.le(ends[head], una)) {
            setMarks(head, 0);
            packetsOut--;
            head++;
            if (head == tail) {
                head = tail = 0;
            }
            return true;
        }
        int m = marks[head];
        setMarks(head, 0);
        starts[head] = una; // partly acknowledged (Linux tcp_trim_head())
        setMarks(head, m);
        return false;
    }

    /**
     * Makes {@code seq} an entry boundary if it falls inside one (Linux tcp_fragment()); returns the
     * index of the entry starting at or after {@code seq}.
     */
    int splitAt(int seq) {
        int i = indexOf(seq);
        if (i < tail && SeqNum.gt(seq, starts[i])) {
            if (tail == starts.length) {
                makeRoom();
                i = indexOf(seq);
            }
            System.arraycopy(starts, i + 1, starts, i + 2, tail - i - 1);
            System.arraycopy(ends, i + 1, ends, i + 2, tail - i - 1);
            System.arraycopy(sentNanos, i + 1, sentNanos, i + 2, tail - i - 1);
            System.arraycopy(marks, i + 1, marks, i + 2, tail - i - 1);
            tail++;
            int m = marks[i];
            setMarks(i, 0);
            starts[i + 1] = seq;
            ends[i + 1] = ends[i];
            sentNanos[i + 1] = sentNanos[i];
            marks[i + 1] = 0;
            ends[i] = seq;
            setMarks(i, m);
            setMarks(i + 1, m);
            packetsOut++;
            return i + 1;
        }
        return i;
    }

    /** The index of the entry containing {@code seq}, or of the first entry after it ({@code end()} if none). */
    int indexOf(int seq) {
        int lo = head;
        int hi = tail;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (SeqNum.le(ends[mid], seq)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The first entry at or after {@code from} marked lost and not retransmitted since, or {@code -1}. */
    int firstLostToResend(int from) {
        for (int i = indexOf(from); i < tail; i++) {
            if ((marks[i] & (LOST | RETRANS_OUT | SACKED)) == LOST) {
                return i;
            }
        }
        return -1;
    }

    private void makeRoom() {
        int live = tail - head;
        if (head > 0 && live < starts.length / 2) {
            System.arraycopy(starts, head, starts, 0, live);
            System.arraycopy(ends, head, ends, 0, live);
            System.arraycopy(sentNanos, head, sentNanos, 0, live);
            System.arraycopy(marks, head, marks, 0, live);
        } else {
            int n = Math.max(FIRST_ROOM, starts.length * 2);
            int[] s = new int[n];
            int[] e = new int[n];
            long[] t = new long[n];
            byte[] m = new byte[n];
            System.arraycopy(starts, head, s, 0, live);
            System.arraycopy(ends, head, e, 0, live);
            System.arraycopy(sentNanos, head, t, 0, live);
            System.arraycopy(marks, head, m, 0, live);
            starts = s;
            ends = e;
            sentNanos = t;
            marks = m;
        }
        head = 0;
        tail = live;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TransmitLog[");
        for (int i = head; i < tail && i < head + 16; i++) {
            sb.append(i == head ? "" : " ").append(Integer.toUnsignedString(starts[i])).append('-')
                    .append(Integer.toUnsignedString(ends[i])).append(':').append(marks[i]);
        }
        return sb.append(tail - head > 16 ? " ...]" : "]").toString();
    }
}
