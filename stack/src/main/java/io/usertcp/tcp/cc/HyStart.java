package io.usertcp.tcp.cc;

/**
 * Hybrid slow start as Linux's CUBIC runs it (tcp_cubic.c: hystart_update(), cubictcp_acked(),
 * bictcp_hystart_reset(); hystart=1, hystart_detect=3, hystart_low_window=16,
 * hystart_ack_delta_us=2000), which ends slow start before the first loss by setting ssthresh to
 * cwnd when either signal fires once cwnd is at least 16 segments:
 * <ul>
 * <li><b>ACK train</b>: ACKs that come within 2 ms of each other have kept arriving for longer
 * than half the minimum RTT (plus the time a GSO packet takes at the pacing rate): a window's
 * worth of data is already in flight;
 * <li><b>delay</b>: the smallest of the round's first eight RTT samples exceeds the minimum RTT by
 * an eighth of it, clamped to 4..16 ms: a queue is building.
 * </ul>
 * A round ends when SND.UNA passes what SND.NXT was when it began. This is Linux's HyStart, not
 * RFC 9406's HyStart++ (which adds conservative slow start), as Linux runs it.
 *
 * <p>Pure state on the connection's thread; times are the injected clock's nanoseconds.
 */
final class HyStart {
    static final int LOW_WINDOW_SEGMENTS = 16;
    static final long ACK_DELTA_NANOS = 2_000_000L;
    static final int MIN_SAMPLES = 8;
    static final long DELAY_MIN_NANOS = 4_000_000L;
    static final long DELAY_MAX_NANOS = 16_000_000L;
    /** sk_gso_max_size: the largest GSO packet, for the pacing delay of an ACK train. */
    private static final long GSO_MAX_BYTES = 65536;

    /** Slow start was ended (Linux ca->found); until the next reset. */
    private boolean found;
    private boolean roundStarted;
    private int roundEnd;
    private long roundStartNanos;
    private long lastAckNanos;
    /** The smallest RTT sample of this round (Linux curr_rtt). */
    private long roundMinRttNanos;
    private int samples;
    /** The smallest RTT sample ever (Linux delay_min; reset with the rest after a timeout). */
    private long minRttNanos;

    /** Linux bictcp_reset() at a timeout: HyStart starts over. */
    void reset() {
        found = false;
        roundStarted = false;
        minRttNanos = 0;
    }

    private void newRound(long nowNanos, int sndNxt) {
        roundStarted = true;
        roundEnd = sndNxt;
        roundStartNanos = nowNanos;
        lastAckNanos = nowNanos;
        roundMinRttNanos = Long.MAX_VALUE;
        samples = 0;
    }

    /**
     * An ACK's RTT sample (the newest segment it delivered): whether slow start should end now,
     * with ssthresh set to cwnd. Only while in slow start with at least 16 segments of cwnd.
     *
     * @param pacingBytesPerSecond Linux's pacing rate in slow start (twice cwnd per SRTT)
     */
    boolean exitsSlowStart(long nowNanos, long rttNanos, int sndUna, int sndNxt, long cwndSegments, long pacingBytesPerSecond) {
        long delay = Math.max(1, rttNanos);
        if (minRttNanos == 0 || delay < minRttNanos) {
            minRttNanos = delay;
        }
        if (found || cwndSegments < LOW_WINDOW_SEGMENTS) {
            return false;
        }
        if (!roundStarted || sndUna - roundEnd > 0) {
            newRound(nowNanos, sndNxt);
        }
        // ACK train
        if (nowNanos - lastAckNanos <= ACK_DELTA_NANOS) {
            lastAckNanos = nowNanos;
            long ackDelay = pacingBytesPerSecond <= 0 ? 0
                    : Math.min(1_000_000L, GSO_MAX_BYTES * 4 * 1_000_000_000L / pacingBytesPerSecond);
            long threshold = (minRttNanos + ackDelay) >> 1; // no pacing qdisc: half (SK_PACING_NONE)
            if (nowNanos - roundStartNanos > threshold) {
                found = true;
                return true;
            }
        }
        // delay
        roundMinRttNanos = Math.min(roundMinRttNanos, delay);
        if (samples < MIN_SAMPLES) {
            samples++;
        } else if (roundMinRttNanos > minRttNanos + Math.max(DELAY_MIN_NANOS, Math.min(DELAY_MAX_NANOS, minRttNanos >> 3))) {
            found = true;
            return true;
        }
        return false;
    }
}
