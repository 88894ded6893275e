package io.usertcp.tcp.cc;

/**
 * What NewReno and CUBIC share: the window variables, the initial and restart windows, slow start,
 * the recovery and timeout bookkeeping, and argument checks. Subclasses supply congestion
 * avoidance and the reductions.
 */
abstract class LossBasedCongestionControl implements CongestionControl {
    /**
     * RFC 3465 §2.2-2.3 limit L on the growth per ACK in slow start: 2·SMSS, so an ACK covering two
     * segments (a delayed ACK) still grows cwnd by two and slow start doubles cwnd per RTT.
     * RFC 5681 §3.1 allows up to SMSS; Linux uses no limit but caps the growth at ssthresh.
     */
    static final int SLOW_START_LIMIT_SEGMENTS = 2;

    final CongestionConfig config;
    int smss;
    long cwnd;
    long ssthresh = MAX_WINDOW_BYTES;
    private boolean inRecovery;
    /** A retransmission timeout happened and no new data has been acknowledged since. */
    private boolean afterTimeout;
    /** Any ACK, loss or timeout has been seen; until then cwnd is the initial window. */
    private boolean started;
    private boolean handshakeRetransmitted;

    LossBasedCongestionControl(int smssBytes, CongestionConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: null (expected: a CongestionConfig)");
        }
        this.config = config;
        this.smss = checkMss(smssBytes);
        this.cwnd = initialWindow();
    }

    @Override
    public final long cwndBytes() {
        return cwnd;
    }

    @Override
    public final long ssthreshBytes() {
        return ssthresh;
    }

    @Override
    public final int smssBytes() {
        return smss;
    }

    @Override
    public final boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public final void onAck(long nowNanos, long ackedBytes, long flightSizeBytes, long srttNanos) {
        nonNegative("ackedBytes", ackedBytes);
        nonNegative("flightSizeBytes", flightSizeBytes);
        nonNegative("srttNanos", srttNanos);
        if (inRecovery || ackedBytes == 0) {
            return; // RFC 6582 §3.2: during recovery the sender's recovery algorithm sets the pace
        }
        started = true;
        afterTimeout = false; // new data got through: a later timeout is a new episode
        if (!cwndLimited(flightSizeBytes)) {
            return; // RFC 9438 §5.8, RFC 7661: no growth while the application or receiver limits us
        }
        long acked = Math.min(ackedBytes, MAX_WINDOW_BYTES);
        if (cwnd < ssthresh) {
            // RFC 5681 §3.1 eq. 2 with RFC 3465 §2.2 L = 2·SMSS, or Linux tcp_slow_start(): all that was acked;
            // capped at ssthresh either way
            long growth = config.linuxSlowStart() ? acked : Math.min(acked, (long) SLOW_START_LIMIT_SEGMENTS * smss);
            cwnd = Math.min(cwnd + growth, ssthresh);
        } else {
            congestionAvoidance(nowNanos, acked, srttNanos);
        }
    }

    /** The sender could not have sent another full-sized segment: cwnd is what held it back. */
    private boolean cwndLimited(long flightSizeBytes) {
        if (config.linuxSlowStart() && cwnd < ssthresh) {
            // Linux tcp_is_cwnd_limited(): "if in slow start, ensure cwnd grows to twice what was ACKed"
            return cwnd < 2 * flightSizeBytes;
        }
        return flightSizeBytes >= cwnd - smss + 1;
    }

    @Override
    public final void onLossDetected(long nowNanos, long flightSizeBytes) {
        nonNegative("flightSizeBytes", flightSizeBytes);
        if (inRecovery) {
            return; // RFC 6582 §3.2 step 2: one reduction per window of data
        }
        started = true;
        inRecovery = true;
        afterTimeout = false;
        reduceOnLoss(nowNanos, Math.min(flightSizeBytes, MAX_WINDOW_BYTES));
    }

    @Override
    public final void onLossInReducedWindow(long nowNanos) {
        if (inRecovery) {
            return;
        }
        started = true;
        inRecovery = true; // cwnd and ssthresh stay as the ECN reduction set them
        afterTimeout = false;
    }

    @Override
    public final void onRecoveryEnd(long nowNanos) {
        if (!inRecovery) {
            return;
        }
        inRecovery = false;
        cwnd = ssthresh; // RFC 6582 §3.2 step 3, option (2): deflate to ssthresh
    }

    @Override
    public final void onRetransmitTimeout(long nowNanos, long flightSizeBytes) {
        nonNegative("flightSizeBytes", flightSizeBytes);
        started = true;
        inRecovery = false;
        boolean firstTimeout = !afterTimeout;
        afterTimeout = true;
        reduceOnTimeout(nowNanos, Math.min(flightSizeBytes, MAX_WINDOW_BYTES), firstTimeout);
        cwnd = smss; // RFC 5681 §3.1: cwnd = LW = 1 full-sized segment
    }

    @Override
    public final void onUndo(long nowNanos, long priorCwndBytes, long priorSsthreshBytes) {
        nonNegative("priorCwndBytes", priorCwndBytes);
        nonNegative("priorSsthreshBytes", priorSsthreshBytes);
        inRecovery = false;
        afterTimeout = false;
        // Linux tcp_undo_cwnd_reduction(): undo_cwnd (tcp_reno_undo_cwnd()) and the saved ssthresh, if higher
        cwnd = Math.min(MAX_WINDOW_BYTES, Math.max(cwnd, priorCwndBytes));
        ssthresh = Math.min(MAX_WINDOW_BYTES, Math.max(ssthresh, priorSsthreshBytes));
    }

    @Override
    public final void onIdle(long nowNanos, long idleNanos, long rtoNanos) {
        onTransmitStart(nowNanos, idleNanos);
        restartIfIdle(nowNanos, idleNanos, rtoNanos);
    }

    @Override
    public final void onTransmitStart(long nowNanos, long idleNanos) {
        nonNegative("idleNanos", idleNanos);
        idled(nowNanos, idleNanos);
    }

    @Override
    public final void restartIfIdle(long nowNanos, long idleNanos, long rtoNanos) {
        nonNegative("idleNanos", idleNanos);
        nonNegative("rtoNanos", rtoNanos);
        if (config.slowStartAfterIdle() && idleNanos > rtoNanos) {
            // RFC 2861 §3 (Linux tcp_cwnd_restart): remember 3/4 of the window in ssthresh so slow
            // start climbs back to it quickly; RFC 5681 §4.1 leaves ssthresh alone otherwise.
            if (!inRecovery) {
                ssthresh = Math.max(ssthresh, (cwnd >> 1) + (cwnd >> 2));
            }
            // RFC 5681 §4.1: cwnd = RW = min(IW, cwnd)
            cwnd = Math.min(normalInitialWindow(), cwnd);
            restarted(nowNanos);
        }
    }

    @Override
    public final void onHandshakeRetransmitted() {
        handshakeRetransmitted = true;
        if (!started) {
            cwnd = initialWindow();
        }
    }

    @Override
    public final void setMss(int smssBytes) {
        smss = checkMss(smssBytes);
        if (!started) {
            cwnd = initialWindow();
        } else {
            cwnd = Math.max(cwnd, smss);
        }
        ssthresh = Math.max(ssthresh, 2L * smss);
    }

    /** Grows cwnd in congestion avoidance (cwnd ≥ ssthresh); acked ≤ MAX_WINDOW_BYTES. */
    abstract void congestionAvoidance(long nowNanos, long ackedBytes, long srttNanos);

    /** Sets ssthresh and cwnd on entering fast recovery. */
    abstract void reduceOnLoss(long nowNanos, long flightSizeBytes);

    /** Sets ssthresh (when {@code firstTimeout}) and any private state; the caller then sets cwnd = 1·SMSS. */
    abstract void reduceOnTimeout(long nowNanos, long flightSizeBytes, boolean firstTimeout);

    /** The sender resumes after {@code idleNanos} with nothing in flight. */
    void idled(long nowNanos, long idleNanos) {
    }

    /** cwnd was just set to the restart window. */
    void restarted(long nowNanos) {
    }

    /** max(2·SMSS, bytes) capped at MAX_WINDOW_BYTES: RFC 5681 §3.1's floor for ssthresh. */
    final long ssthreshAtLeastTwoSegments(long bytes) {
        return Math.min(MAX_WINDOW_BYTES, Math.max(bytes, 2L * smss));
    }

    final long initialWindow() {
        // RFC 5681 §3.1 / RFC 6928 §2: after a lost SYN or SYN-ACK the initial window is one segment
        return handshakeRetransmitted ? smss : normalInitialWindow();
    }

    private long normalInitialWindow() {
        return CongestionControl.initialWindowBytes(config.initialWindowSegments(), smss);
    }

    private static int checkMss(int smssBytes) {
        if (smssBytes < 1 || smssBytes > 65535) {
            throw new IllegalArgumentException("smssBytes: " + smssBytes + " (expected: 1..65535)");
        }
        return smssBytes;
    }

    static void nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
    }

    @Override
    public String toString() {
        return name() + "[cwnd=" + cwnd + " ssthresh=" + ssthresh + " smss=" + smss
                + (inRecovery ? " recovery" : "") + "]";
    }
}
