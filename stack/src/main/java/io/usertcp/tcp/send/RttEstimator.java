package io.usertcp.tcp.send;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;

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
    private final long slopNanos;
    private final TcpProfile profile;
    private long srttNanos;
    private long rttvarNanos;
    /** The RTO before backoff: RFC 6298 §2.1 until a sample, then §2.3. */
    private long baseRtoNanos;
    private long rtoNanos;
    private int backoffs;
    /** The smallest RTT sample (Linux tcp_min_rtt(), without its 5-minute window), 0 before any. */
    private long minRttNanos;

    RttEstimator(TcpConfig config) {
        this.minNanos = config.rtoMinNanos();
        this.maxNanos = config.rtoMaxNanos();
        this.slopNanos = config.rtoSlopNanos();
        this.profile = config.profile();
        this.baseRtoNanos = config.rtoInitialNanos(); // RFC 6298 §2.1
        this.rtoNanos = baseRtoNanos;
    }

    /** Feeds one RTT measurement. */
    void sample(long rttNanos) {
        if (rttNanos < 0) {
            return;
        }
        minRttNanos = minRttNanos == 0 ? Math.max(1, rttNanos) : Math.min(minRttNanos, Math.max(1, rttNanos));
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
        baseRtoNanos = clamp(srttNanos + Math.max(1, K * rttvarNanos));
        rtoNanos = baseRtoNanos;
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
            baseRtoNanos = clamp(HANDSHAKE_FALLBACK_NANOS);
            rtoNanos = baseRtoNanos;
        }
    }

    /**
     * RFC 6298 §5.5: backs the RTO off after a retransmission timeout, up to the maximum: doubling
     * it, or as the profile says (FreeBSD adds its rexmit_slop to each backed-off value).
     */
    void backOff() {
        backoffs++;
        rtoNanos = profile.backedOffRto(baseRtoNanos, backoffs, slopNanos, minNanos, maxNanos);
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

    long minRttNanos() {
        return minRttNanos;
    }

    long rttvarNanos() {
        return rttvarNanos;
    }

    int backoffs() {
        return backoffs;
    }
}
