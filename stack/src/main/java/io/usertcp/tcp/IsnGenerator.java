package io.usertcp.tcp;

/**
 * Chooses initial sequence numbers (RFC 9293 §3.4.1). Injected, so tests can fix them.
 */
public interface IsnGenerator {

    /**
     * The ISN for a connection identified by its four-tuple, at monotonic time {@code nowNanos}.
     * Addresses are the {@code int} form of IPv4 addresses.
     */
    int isn(long nowNanos, int localAddress, int localPort, int remoteAddress, int remotePort);

    /**
     * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a
     * timer ticking every 4 µs and F is SipHash-2-4 keyed with a per-stack random 128-bit secret.
     * Sequence numbers of successive incarnations of one four-tuple thus increase with time, as
     * RFC 9293 §3.4.1 asks, while off-path attackers cannot predict them.
     *
     * @param k0 first half of the secret key; @param k1 second half (from the stack's RandomSource)
     */
    static IsnGenerator rfc6528(long k0, long k1) {
        SipHash hash = new SipHash(k0, k1);
        return (now, la, lp, ra, rp) -> {
            int m = (int) (now / 4_000L); // the 4 µs clock of RFC 6528 §3 (RFC 793's), wrapping every ~4.77 h
            long f = hash.hash((Integer.toUnsignedLong(la) << 32) | Integer.toUnsignedLong(ra), ((long) lp << 16) | rp);
            return m + (int) f;
        };
    }

    /** Always the same ISN: for tests that write expected sequence numbers by hand. */
    static IsnGenerator fixed(int isn) {
        return (now, la, lp, ra, rp) -> isn;
    }
}
