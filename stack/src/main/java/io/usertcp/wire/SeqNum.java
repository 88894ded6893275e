package io.usertcp.wire;

/**
 * Sequence-number arithmetic modulo 2<sup>32</sup> (RFC 9293 §3.4).
 *
 * <p>Sequence and acknowledgment numbers are Java {@code int}s holding the unsigned 32-bit value.
 * They must never be compared with {@code <} or {@code >}: the space wraps, and "a is before b"
 * means that the signed distance {@code b - a} is positive (RFC 1982 serial arithmetic, as every
 * TCP does it). Two numbers exactly 2<sup>31</sup> apart are ordered arbitrarily; TCP's windows are
 * far smaller than that, so the case never decides anything.
 */
public final class SeqNum {
    private SeqNum() {}

    /** {@code a < b} in sequence space. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** {@code a <= b} in sequence space. */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** {@code a > b} in sequence space. */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** {@code a >= b} in sequence space. */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** {@code seq + n} in sequence space; {@code n} may be negative. */
    public static int add(int seq, int n) {
        return seq + n;
    }

    /** The signed distance {@code a - b}: positive when {@code a} is after {@code b}. */
    public static int diff(int a, int b) {
        return a - b;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return gt(a, b) ? a : b;
    }

    /** The earlier of two sequence numbers. */
    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /**
     * {@code start <= seq < start + size}: whether {@code seq} falls in the window that begins at
     * {@code start} and is {@code size} sequence numbers wide (size taken as unsigned, at most
     * 2<sup>31</sup>). An empty window contains nothing.
     */
    public static boolean inWindow(int seq, int start, long size) {
        return Integer.toUnsignedLong(seq - start) < size;
    }

    /** {@code a <= seq <= b}, inclusive at both ends, walking forward from {@code a}. */
    public static boolean between(int a, int seq, int b) {
        return Integer.toUnsignedLong(seq - a) <= Integer.toUnsignedLong(b - a);
    }

    /** The unsigned value, for printing. */
    public static long unsigned(int seq) {
        return Integer.toUnsignedLong(seq);
    }
}
