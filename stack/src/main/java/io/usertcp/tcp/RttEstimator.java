package io.usertcp.tcp;

/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples (§2.2, §2.3), bounds
 * (§2.4, §2.5), and exponential backoff (§5.5). Karn's algorithm (§3) is the caller's part: it
 * never feeds a sample from a retransmitted segment unless the sample comes from a timestamp echo
 * (RFC 7323 §4), which is unambiguous.
 */
final class RttEstimator {
    private static final int ALPHA_SHIFT = 3; // alpha = 1/8
    private static final int BETA_SHIFT = 2;  // beta = 1/4
    private static final int K = 4;
    /** RFC 6298 §5.7 (Linux TCP_TIMEOUT_FALLBACK): the RTO when the handshake gave no sample. */
    static final long HANDSHAKE_FALLBACK_NANOS = 3_000_000_000L;

    private final long minNanos;
    private final long maxNanos;
    private long srttNanos;
    private long rttvarNanos;
    private long rtoNanos;
    private int backoffs;

    RttEstimator(TcpConfig config) {
        this.minNanos = config.rtoMinNanos();
        this.maxNanos = config.rtoMaxNanos();
        this.rtoNanos = config.rtoInitialNanos(); // RFC 6298 §2.1
    }

    /** Feeds one RTT measurement. */
    void sample(long rttNanos) {
        if (rttNanos < 0) {
            return;
        }
        if (srttNanos == 0) {
            // RFC 6298 §2.2: first measurement
            srttNanos = Math.max(1, rttNanos);
            rttvarNanos = rttNanos / 2;
        } else {
            // RFC 6298 §2.3: RTTVAR first, with the old SRTT
            long delta = Math.abs(srttNanos - rttNanos);
            rttvarNanos += (delta - rttvarNanos) >> BETA_SHIFT;
            srttNanos += (rttNanos - srttNanos) >> ALPHA_SHIFT;
        }
        backoffs = 0; // RFC 6298 §5.7: a new sample after backoff recomputes the RTO
        rtoNanos = clamp(srttNanos + Math.max(1, K * rttvarNanos));
    }

    /**
     * The handshake completed without an RTT sample (its SYN or SYN-ACK was retransmitted, so Karn
     * rules the sample out; or a SYN cookie): RFC 6298 §5.7 says data starts with a 3 s RTO, not the
     * backed-off one nor the initial 1 s. Linux tcp_init_metrics does the same. A later sample
     * recomputes the RTO as usual.
     */
    void handshakeWithoutSample() {
        if (srttNanos == 0) {
            backoffs = 0;
            rtoNanos = clamp(HANDSHAKE_FALLBACK_NANOS);
        }
    }

    /** RFC 6298 §5.5: doubles the RTO after a retransmission timeout, up to the maximum. */
    void backOff() {
        backoffs++;
        rtoNanos = clamp(rtoNanos > maxNanos / 2 ? maxNanos : rtoNanos * 2);
    }

    private long clamp(long rto) {
        return Math.min(maxNanos, Math.max(minNanos, rto));
    }

    long rtoNanos() {
        return rtoNanos;
    }

    /** Smoothed RTT, 0 before the first sample. */
    long srttNanos() {
        return srttNanos;
    }

    long rttvarNanos() {
        return rttvarNanos;
    }

    int backoffs() {
        return backoffs;
    }
}
