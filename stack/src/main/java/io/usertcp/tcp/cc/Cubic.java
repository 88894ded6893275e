package io.usertcp.tcp.cc;

/**
 * CUBIC (RFC 9438). In congestion avoidance the window follows W_cubic(t) = C·(t − K)³ + W_max
 * (§4.2, Figure 1), with t the seconds since the congestion-avoidance epoch began and windows in
 * segments; it never falls behind the Reno-friendly estimate W_est (§4.3). After a loss
 * ssthresh = cwnd = β·FlightSize (§4.6), W_max remembers the window before the cut, lowered further
 * by fast convergence when the window had not regained the previous W_max (§4.7).
 *
 * <p>Slow start is RFC 5681's, with RFC 3465 L = 2·SMSS or as Linux's tcp_slow_start()
 * ({@link CongestionConfig#linuxSlowStart()}), which §4.10 allows. With Linux's slow start it
 * also runs Linux's HyStart ({@link HyStart}: ACK train and delay, from each ACK's RTT sample),
 * which ends slow start before the first loss; RFC 9406's HyStart++, which §4.10 says SHOULD be
 * used, adds a conservative slow start that Linux does not run and neither do we. Undo of a
 * spurious reduction (§4.9) is {@link CongestionControl#onUndo}.
 *
 * <p>Arithmetic is in {@code double} segments, as the RFC writes it; cwnd stays in whole bytes with
 * the fractions carried from ACK to ACK so that many small increments are not lost to rounding.
 */
final class Cubic extends LossBasedCongestionControl {
    /** §5.1: C SHOULD be 0.4 (segments per second³). */
    static final double C = 0.4;
    /** §4.6: β_cubic SHOULD be 0.7. */
    static final double BETA = 0.7;
    /** §4.3: α_cubic = 3·(1 − β)/(1 + β), about 0.529, the additive increase that matches Reno's rate. */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    private static final double NANOS_PER_SECOND = 1e9;

    /** W_max in segments; 0 while undefined (start, after a timeout). */
    private double wMaxSegments;
    /** cwnd_prior in segments: cwnd when ssthresh was last set; 0 while undefined. */
    private double cwndPriorSegments;
    private boolean epochStarted;
    /** t_epoch: when the current congestion-avoidance stage began. */
    private long epochStartNanos;
    private double kSeconds;
    private double wEstSegments;
    private double alpha = ALPHA;
    /** Fraction of a byte of growth not yet added to cwnd. */
    private double carryBytes;
    /** Linux's HyStart, with {@link CongestionConfig#linuxSlowStart()}. */
    private final HyStart hyStart = new HyStart();

    Cubic(int smssBytes, CongestionConfig config) {
        super(smssBytes, config);
    }

    @Override
    public String name() {
        return CongestionAlgorithm.CUBIC.algorithmName();
    }

    @Override
    void congestionAvoidance(long nowNanos, long ackedBytes, long srttNanos) {
        double cwndSegments = (double) cwnd / smss;
        if (!epochStarted) {
            startEpoch(nowNanos, cwndSegments);
        }
        double tSeconds = Math.max(0L, nowNanos - epochStartNanos) / NANOS_PER_SECOND;
        double rttSeconds = srttNanos / NANOS_PER_SECOND;
        double segmentsAcked = (double) ackedBytes / smss;

        // §4.3 Figure 4: W_est += α_cubic · segments_acked / cwnd; α becomes 1 once W_est ≥ cwnd_prior
        wEstSegments += alpha * segmentsAcked / cwndSegments;
        if (wEstSegments >= cwndPriorSegments) {
            alpha = 1.0;
        }
        double next;
        if (wCubic(tSeconds) < wEstSegments) {
            next = Math.max(cwndSegments, wEstSegments); // §4.3: Reno-friendly region, cwnd = W_est
        } else {
            // §4.2: target = W_cubic(t + RTT) bounded to [cwnd, 1.5·cwnd];
            // §4.4/§4.5: cwnd += (target − cwnd)/cwnd per segment acknowledged (Linux counts
            // acked segments, so delayed ACKs do not slow the curve)
            double target = Math.min(Math.max(wCubic(tSeconds + rttSeconds), cwndSegments), 1.5 * cwndSegments);
            next = cwndSegments + (target - cwndSegments) / cwndSegments * segmentsAcked;
        }
        growTo(next * smss);
    }

    /** W_cubic(t) of Figure 1, in segments. */
    private double wCubic(double tSeconds) {
        double d = tSeconds - kSeconds;
        return C * d * d * d + wMaxSegments;
    }

    /** §4.2: a new congestion-avoidance stage begins with this ACK. */
    private void startEpoch(long nowNanos, double cwndSegments) {
        epochStarted = true;
        epochStartNanos = nowNanos;
        if (wMaxSegments > cwndSegments) {
            kSeconds = Math.cbrt((wMaxSegments - cwndSegments) / C); // Figure 2
        } else {
            // §4.8 (after a timeout), §4.10 (slow start ended without loss): K = 0, W_max = cwnd_epoch
            wMaxSegments = cwndSegments;
            kSeconds = 0;
        }
        if (cwndPriorSegments <= 0) {
            cwndPriorSegments = cwndSegments; // §4.10: cwnd_prior = cwnd when there was no loss
        }
        wEstSegments = cwndSegments; // §4.3: W_est = cwnd_epoch
        alpha = wEstSegments >= cwndPriorSegments ? 1.0 : ALPHA;
        carryBytes = 0;
    }

    private void growTo(double exactBytes) {
        double withCarry = exactBytes + carryBytes;
        if (Double.isNaN(withCarry)) {
            return; // cannot happen (cwnd ≥ 1 SMSS, t finite); never let it become a window
        }
        if (withCarry >= MAX_WINDOW_BYTES) {
            cwnd = MAX_WINDOW_BYTES;
            carryBytes = 0;
            return;
        }
        long whole = (long) Math.floor(withCarry);
        if (whole <= cwnd) {
            carryBytes = Math.max(0, withCarry - cwnd);
            return;
        }
        carryBytes = withCarry - whole;
        cwnd = whole;
    }

    @Override
    void reduceOnLoss(long nowNanos, long flightSizeBytes) {
        double cwndSegments = (double) cwnd / smss;
        // §4.7 fast convergence, before the reduction
        if (config.cubicFastConvergence() && cwndSegments < wMaxSegments) {
            wMaxSegments = cwndSegments * (1 + BETA) / 2;
        } else {
            wMaxSegments = cwndSegments;
        }
        cwndPriorSegments = cwndSegments;
        // §4.6 Figure 5: ssthresh = max(flight_size · β, 2); cwnd = max(ssthresh, 2)
        ssthresh = ssthreshAtLeastTwoSegments(beta(flightSizeBytes));
        cwnd = ssthresh;
        endEpoch();
    }

    /**
     * Linux cubictcp_acked(): HyStart's sample (not in the second after congestion avoidance
     * began, when delays still show the recovery); it may end slow start, ssthresh = cwnd.
     */
    @Override
    public void onAckRttSample(long nowNanos, long rttNanos, int sndUna, int sndNxt, long srttNanos) {
        if (!config.linuxSlowStart() || inRecovery() || epochStarted && nowNanos - epochStartNanos < 1_000_000_000L) {
            return;
        }
        if (cwnd >= ssthresh) {
            hyStart.exitsSlowStart(nowNanos, rttNanos, sndUna, sndNxt, 0, 0); // keeps the minimum RTT
            return;
        }
        long pacing = srttNanos > 0 ? 2 * cwnd * 1_000_000_000L / srttNanos : 0; // tcp_update_pacing_rate(): 200 % in slow start
        if (hyStart.exitsSlowStart(nowNanos, rttNanos, sndUna, sndNxt, cwnd / smss, pacing)) {
            ssthresh = cwnd;
        }
    }

    @Override
    void reduceOnTimeout(long nowNanos, long flightSizeBytes, boolean firstTimeout) {
        hyStart.reset(); // Linux bictcp_reset() and bictcp_hystart_reset() on entering TCP_CA_Loss
        if (firstTimeout) {
            // §4.8: cwnd as Reno (the caller sets 1·SMSS), ssthresh with β_cubic as in §4.6
            cwndPriorSegments = (double) cwnd / smss;
            ssthresh = ssthreshAtLeastTwoSegments(beta(flightSizeBytes));
        }
        // §4.8: the next congestion-avoidance stage starts with K = 0 and W_max = its cwnd_epoch
        // (Linux bictcp_reset on entering TCP_CA_Loss)
        wMaxSegments = 0;
        endEpoch();
    }

    @Override
    void idled(long nowNanos, long idleNanos) {
        // §4.2, §5.8: t must not include application-limited periods; Linux CA_EVENT_TX_START
        // shifts the epoch by the idle time, never past now
        if (epochStarted && idleNanos > 0) {
            epochStartNanos = idleNanos >= nowNanos - epochStartNanos ? nowNanos : epochStartNanos + idleNanos;
        }
    }

    @Override
    void restarted(long nowNanos) {
        endEpoch(); // slow start again; congestion avoidance after it is a new stage
    }

    private void endEpoch() {
        epochStarted = false;
        carryBytes = 0;
    }

    /** flight · 0.7 in exact integer arithmetic, for any non-negative long. */
    private static long beta(long bytes) {
        return bytes / 10 * 7 + bytes % 10 * 7 / 10;
    }

    /** W_max in segments (0 while undefined), for tests and diagnostics. */
    double wMaxSegments() {
        return wMaxSegments;
    }

    /** K of the current epoch in seconds, for tests and diagnostics. */
    double kSeconds() {
        return kSeconds;
    }
}
