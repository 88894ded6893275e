package io.usertcp.tcp;

/**
 * SYN cookies (RFC 4987 §3.6): when the SYN queue is full the listener keeps no state and encodes
 * what it must remember into its ISN, which the client's final ACK echoes back.
 *
 * <p>Layout, as in Linux's {@code secure_tcp_syn_cookie}:
 * <pre>
 *   ISN = H1(tuple) + client ISN + (minute counter &lt;&lt; 24) + ((H2(tuple, counter) + MSS index) mod 2^24)
 * </pre>
 * H1 and H2 are SipHash-2-4 under the stack's secret. A cookie is valid for at most
 * {@link #MAX_AGE_MINUTES} minutes. Only four MSS values can be encoded; window scale and
 * SACK-permitted, which RFC 4987 notes are otherwise lost, travel in the low six bits of our
 * timestamp when the client uses timestamps (Linux's cookie_init_timestamp).
 */
final class SynCookies {
    /** Linux msstab: the MSS values a cookie can carry. */
    static final int[] MSS_TABLE = {536, 1300, 1440, 1460};
    static final int MAX_AGE_MINUTES = 2;
    private static final long MINUTE_NANOS = 60_000_000_000L;
    /** Linux TCP_SYNCOOKIE_VALID: the longest a cookie can stay valid. */
    static final long VALID_NANOS = MAX_AGE_MINUTES * MINUTE_NANOS;
    private static final int COUNTER_SHIFT = 24;
    private static final int COOKIE_MASK = (1 << COUNTER_SHIFT) - 1;
    private static final long SALT_H1 = 0x636f6f6b69653101L;
    private static final long SALT_H2 = 0x636f6f6b69653202L;
    /** Timestamp low bits: 4 bits of window shift (15 = none), 1 bit SACK-permitted, 1 bit ECN (Linux TS_OPT_ECN). */
    static final int TS_OPTION_BITS = 6;
    private static final int TS_NO_WSCALE = 0xF;

    private final SipHash hash;

    SynCookies(SipHash hash) {
        this.hash = hash;
    }

    /** The index of the largest table MSS not above the peer's. */
    static int mssIndex(int peerMss) {
        for (int i = MSS_TABLE.length - 1; i > 0; i--) {
            if (MSS_TABLE[i] <= peerMss) {
                return i;
            }
        }
        return 0;
    }

    int encode(long nowNanos, int la, int lp, int ra, int rp, int clientIsn, int mssIndex) {
        int counter = minutes(nowNanos);
        return h1(la, lp, ra, rp) + clientIsn + (counter << COUNTER_SHIFT)
                + ((h2(la, lp, ra, rp, counter) + mssIndex) & COOKIE_MASK);
    }

    /** @return the MSS index the cookie carries, or -1 when it is forged or {@link #MAX_AGE_MINUTES} minute ticks old */
    int decode(long nowNanos, int la, int lp, int ra, int rp, int clientIsn, int cookie) {
        int counter = minutes(nowNanos);
        int value = cookie - h1(la, lp, ra, rp) - clientIsn;
        int age = (counter - (value >>> COUNTER_SHIFT)) & 0xFF;
        // Linux check_tcp_syn_cookie: "diff >= MAX_SYNCOOKIE_AGE" fails, so a cookie lives at most 2 minutes
        // (counter ages 0 and 1), less when the minute turns just after it was made.
        if (age >= MAX_AGE_MINUTES) {
            return -1;
        }
        int index = (value - h2(la, lp, ra, rp, counter - age)) & COOKIE_MASK;
        return index < MSS_TABLE.length ? index : -1;
    }

    /** Our TSval for a cookie SYN-ACK: the clock with its low bits replaced by the options. */
    static int encodeTimestamp(int tsNow, int windowShift, boolean sackPermitted) {
        return encodeTimestamp(tsNow, windowShift, sackPermitted, false);
    }

    /** {@link #encodeTimestamp(int, int, boolean)} with the ECN bit: the SYN asked for ECN and we accepted (Linux cookie_init_timestamp). */
    static int encodeTimestamp(int tsNow, int windowShift, boolean sackPermitted, boolean ecn) {
        int options = (windowShift < 0 ? TS_NO_WSCALE : windowShift) | (sackPermitted ? 1 << 4 : 0) | (ecn ? 1 << 5 : 0);
        int ts = (tsNow & ~((1 << TS_OPTION_BITS) - 1)) | options;
        return ts - tsNow > 0 ? ts - (1 << TS_OPTION_BITS) : ts; // never ahead of the clock
    }

    /** The window shift the timestamp echo carries, or -1 for none. */
    static int windowShiftOf(int tsEcr) {
        int shift = tsEcr & 0xF;
        return shift == TS_NO_WSCALE ? -1 : shift;
    }

    static boolean sackPermittedOf(int tsEcr) {
        return (tsEcr & (1 << 4)) != 0;
    }

    /** Whether the cookie SYN,ACK agreed to ECN (Linux cookie_ecn_ok(): TS_OPT_ECN in the echoed timestamp). */
    static boolean ecnOf(int tsEcr) {
        return (tsEcr & (1 << 5)) != 0;
    }

    private int h1(int la, int lp, int ra, int rp) {
        return (int) hash.hash(tupleAddresses(la, ra), tuplePorts(lp, rp), SALT_H1);
    }

    private int h2(int la, int lp, int ra, int rp, int counter) {
        return (int) hash.hash(tupleAddresses(la, ra), tuplePorts(lp, rp), SALT_H2 + counter);
    }

    private static long tupleAddresses(int la, int ra) {
        return ((long) la << 32) | Integer.toUnsignedLong(ra);
    }

    private static long tuplePorts(int lp, int rp) {
        return ((long) lp << 16) | rp;
    }

    private static int minutes(long nowNanos) {
        return (int) (nowNanos / MINUTE_NANOS);
    }
}
