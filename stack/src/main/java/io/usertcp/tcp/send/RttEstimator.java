package io.usertcp.tcp.send;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.wire.SeqNum;

/**
 * The retransmission timeout: SRTT and RTTVAR from RTT samples, bounds, and exponential backoff
 * (RFC 6298 §5.5). Karn's algorithm (§3) is the caller's part: it never feeds a sample from a
 * retransmitted segment unless the sample comes from a timestamp echo (RFC 7323 §4), which is
 * unambiguous.
 *
 * <p>Two estimators, by profile:
 * <ul>
 * <li>rfc and freebsd: RFC 6298 §2.2, §2.3: RTO = max(RTO.min, SRTT + 4·RTTVAR).
 * <li>linux: tcp_rtt_estimator() and __tcp_set_rto(): RTO = SRTT + RTTVAR', where RTTVAR' (Linux
 *     rttvar_us, four times a mean deviation) is at least RTO.min and follows the largest deviation
 *     seen in each round trip (mdev_max_us, reset once SND.UNA passes the SND.NXT of the round's
 *     start, rtt_seq), decaying by a quarter of the gap per round; a falling RTT moves the deviation
 *     with a gain of 1/32, not 1/4 ("similar to one of Eifel findings"). So RTO.min is added to
 *     SRTT rather than being a floor: a 10 ms path gets 210 ms, not 200; the first sample R gives
 *     R + max(2R, RTO.min).
 * </ul>
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
    /** linux: tcp_rtt_estimator()'s state: srtt_us (eight times SRTT), then mdev_us, mdev_max_us, rttvar_us (four times a deviation). */
    private final boolean linux;
    private long srtt8Nanos;
    private long mdev4Nanos;
    private long mdevMax4Nanos;
    private long rttvar4Nanos;
    /** linux: rtt_seq, the SND.NXT at which the current round of deviations started. */
    private int rttSeq;

    RttEstimator(TcpConfig config) {
        this.minNanos = config.rtoMinNanos();
        this.maxNanos = config.rtoMaxNanos();
        this.slopNanos = config.rtoSlopNanos();
        this.profile = config.profile();
        this.linux = profile.linuxRttEstimator();
        this.baseRtoNanos = config.rtoInitialNanos(); // RFC 6298 §2.1
        this.rtoNanos = baseRtoNanos;
    }

    /**
     * Feeds one RTT measurement, taken on an ACK that moved SND.UNA to {@code sndUna} while
     * {@code sndNxt} was the next sequence number to send.
     */
    void sample(long rttNanos, int sndUna, int sndNxt) {
        if (rttNanos < 0) {
            return;
        }
        minRttNanos = minRttNanos == 0 ? Math.max(1, rttNanos) : Math.min(minRttNanos, Math.max(1, rttNanos));
        if (linux) {
            linuxSample(rttNanos, sndUna, sndNxt);
        } else if (srttNanos == 0) {
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
        baseRtoNanos = linux
                ? Math.min(maxNanos, (srtt8Nanos >> 3) + rttvar4Nanos) // __tcp_set_rto(), tcp_bound_rto()
                : clamp(srttNanos + Math.max(1, K * rttvarNanos));
        rtoNanos = baseRtoNanos;
    }

    /**
     * Linux tcp_rtt_estimator(), in nanoseconds and with its fixed point: SRTT kept eight times over
     * (srtt_us, at least 1), the deviations four times over.
     */
    private void linuxSample(long m, int sndUna, int sndNxt) {
        if (srtt8Nanos == 0) {
            srtt8Nanos = Math.max(1, m << 3);
            mdev4Nanos = m << 1; // "make sure rto = 3*rtt"
            rttvar4Nanos = Math.max(mdev4Nanos, minNanos);
            mdevMax4Nanos = rttvar4Nanos;
            rttSeq = sndNxt;
        } else {
            long err = m - (srtt8Nanos >> 3);
            srtt8Nanos = Math.max(1, srtt8Nanos + err); // SRTT += err / 8
            if (err < 0) {
                err = -err - (mdev4Nanos >> 2);
                if (err > 0) {
                    err >>= 3; // the RTT fell: a finer gain, so the RTO neither grows nor drops too fast
                }
            } else {
                err -= mdev4Nanos >> 2;
            }
            mdev4Nanos += err; // mdev = 3/4 mdev + 1/4 |err|
            if (mdev4Nanos > mdevMax4Nanos) {
                mdevMax4Nanos = mdev4Nanos;
                rttvar4Nanos = Math.max(rttvar4Nanos, mdevMax4Nanos);
            }
            if (SeqNum.gt(sndUna, rttSeq)) { // a round trip is over: RTTVAR decays toward its largest deviation
                if (mdevMax4Nanos < rttvar4Nanos) {
                    rttvar4Nanos -= (rttvar4Nanos - mdevMax4Nanos) >> 2;
                }
                rttSeq = sndNxt;
                mdevMax4Nanos = minNanos;
            }
        }
        srttNanos = Math.max(1, srtt8Nanos >> 3);
        rttvarNanos = Math.max(0, mdev4Nanos) / K; // tcpi_rttvar = mdev_us >> 2
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

    /** RTTVAR: RFC 6298's, or (linux) the mean deviation, mdev_us / 4, as tcp_get_info() reports tcpi_rttvar. */
    long rttvarNanos() {
        return rttvarNanos;
    }

    int backoffs() {
        return backoffs;
    }
}
