package io.usertcp.tcp.cc;

/**
 * The congestion window of one connection (RFC 5681 §2: cwnd and ssthresh, in bytes), moved by the
 * events the TCP sender reports. One instance per connection; not thread-safe.
 *
 * <p>How the sender uses it:
 * <ul>
 *   <li>It never has more than {@code min(cwndBytes(), peer window)} bytes in flight (RFC 5681 §3.1),
 *       plus whatever its own recovery algorithm adds during fast recovery (below).</li>
 *   <li>{@link #onAck} for every ACK that advances SND.UNA. Calls between {@link #onLossDetected}
 *       and {@link #onRecoveryEnd} are ignored, so the sender need not filter them.</li>
 *   <li>{@link #onLossDetected} when it enters fast recovery (third duplicate ACK, or RFC 6675 loss
 *       by SACK); a second call before {@link #onRecoveryEnd} is ignored (one reduction per
 *       window, RFC 6582 §3.2 step 2). On return {@code cwndBytes() == ssthreshBytes()}. A SACK
 *       sender sends while RFC 6675 pipe is below cwnd; a non-SACK NewReno sender adds its own
 *       inflation on top (RFC 6582 §3.2 steps 2-4: 3·SMSS plus one SMSS per further duplicate ACK,
 *       deflated by partial ACKs), which it keeps itself and drops at the full ACK.</li>
 *   <li>{@link #onRecoveryEnd} at the full ACK (SND.UNA reaches the recover point).</li>
 *   <li>{@link #onRetransmitTimeout} when the retransmission timer fires with data outstanding;
 *       repeated timeouts without an ACK of new data in between keep ssthresh (RFC 5681 §3.1).</li>
 *   <li>{@link #onIdle} every time it is about to send new data while nothing is in flight.</li>
 * </ul>
 *
 * <p>All byte counts are {@code long}; {@link #cwndBytes()} and {@link #ssthreshBytes()} never exceed
 * {@link #MAX_WINDOW_BYTES}, so they fit an {@code int}. Arguments out of range (negative bytes or
 * durations) are programming errors and throw {@link IllegalArgumentException}.
 */
public interface CongestionControl {

    /**
     * Upper bound of cwnd and ssthresh, and the "arbitrarily high" initial ssthresh (RFC 5681 §3.1;
     * Linux TCP_INFINITE_SSTHRESH). Larger than any TCP window (65535 &lt;&lt; 14).
     */
    long MAX_WINDOW_BYTES = Integer.MAX_VALUE;

    /** The congestion window, bytes: at least one SMSS. */
    long cwndBytes();

    /** The slow-start threshold, bytes: {@link #MAX_WINDOW_BYTES} until the first congestion signal. */
    long ssthreshBytes();

    /** The sender maximum segment size the controller counts in, bytes. */
    int smssBytes();

    /** True while cwnd is below ssthresh (RFC 5681 §3.1: slow start). */
    default boolean inSlowStart() {
        return cwndBytes() < ssthreshBytes();
    }

    /** True between {@link #onLossDetected} and {@link #onRecoveryEnd} or {@link #onRetransmitTimeout}. */
    boolean inRecovery();

    /**
     * An ACK advanced SND.UNA. Grows cwnd by slow start or congestion avoidance; ignored during
     * fast recovery.
     *
     * <p>cwnd grows only while it limits the sender (RFC 9438 §5.8, RFC 7661; Linux
     * {@code tcp_is_cwnd_limited}): when {@code flightSizeBytes + SMSS > cwnd}, that is, the sender
     * could not have sent another full segment. An application- or receiver-limited sender does not
     * inflate a window it never tests.
     *
     * @param nowNanos        the time the ACK arrived
     * @param ackedBytes      how far SND.UNA advanced, bytes (0 is allowed and does nothing)
     * @param flightSizeBytes bytes in flight when the ACK arrived, before it removed anything:
     *                        SND.NXT − SND.UNA as they were (or RFC 6675 pipe before this ACK)
     * @param srttNanos       the smoothed RTT (RFC 6298), 0 before the first sample
     */
    void onAck(long nowNanos, long ackedBytes, long flightSizeBytes, long srttNanos);

    /**
     * An ACK's RTT sample, from the newest segment it delivered (Linux's ack_sample for
     * pkts_acked()), before {@link #onAck} for the same ACK: CUBIC's HyStart reads it. By default
     * nothing.
     */
    default void onAckRttSample(long nowNanos, long rttNanos, int sndUna, int sndNxt, long srttNanos) {
    }

    /**
     * Loss detected by duplicate ACKs or SACK: enter fast recovery and reduce ssthresh and cwnd
     * (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.2, RFC 9438 §4.6). Ignored while already in recovery.
     *
     * @param flightSizeBytes bytes outstanding when the loss was detected (RFC 5681 FlightSize)
     */
    void onLossDetected(long nowNanos, long flightSizeBytes);

    /**
     * Fast recovery ended with a full ACK: cwnd = ssthresh (RFC 6582 §3.2 step 3, option 2) and
     * congestion avoidance begins. Ignored when not in recovery.
     */
    void onRecoveryEnd(long nowNanos);

    /**
     * An ACK echoed a congestion mark (RFC 3168 §6.1.2: ECE): reduce ssthresh and cwnd as for a
     * loss, but without fast recovery (nothing was lost), as Linux tcp_enter_cwr() takes ssthresh
     * from the algorithm's {@code ssthresh()}. The sender calls it at most once per window of data
     * and never during recovery. The default reduces as {@link #onLossDetected} and ends recovery
     * at once ({@link #onRecoveryEnd}: cwnd = ssthresh). Ignored while in recovery.
     *
     * @param flightSizeBytes bytes outstanding when the echo arrived (RFC 5681 FlightSize)
     */
    default void onEcnEcho(long nowNanos, long flightSizeBytes) {
        if (inRecovery()) {
            return;
        }
        onLossDetected(nowNanos, flightSizeBytes);
        onRecoveryEnd(nowNanos);
    }

    /**
     * Loss detected as for {@link #onLossDetected}, in a window whose cwnd {@link #onEcnEcho}
     * already reduced: enter fast recovery without reducing again (RFC 3168 §6.1.2: no more than
     * one reaction per window; Linux tcp_enter_recovery() skips tcp_init_cwnd_reduction() while in
     * CWR). The default, for a controller that keeps no such distinction, reduces as
     * {@link #onLossDetected} with the current cwnd as the flight size.
     */
    default void onLossInReducedWindow(long nowNanos) {
        onLossDetected(nowNanos, cwndBytes());
    }

    /**
     * A window reduction turned out spurious (RFC 2883 D-SACKs, RFC 5682 F-RTO, RFC 3522 Eifel) and
     * is undone, as Linux tcp_undo_cwnd_reduction(): cwnd = max(cwnd, {@code priorCwndBytes})
     * (tcp_reno_undo_cwnd(), which CUBIC uses too), ssthresh = max(ssthresh, {@code
     * priorSsthreshBytes}); recovery or the timeout episode is over. The default does nothing.
     */
    default void onUndo(long nowNanos, long priorCwndBytes, long priorSsthreshBytes) {
    }

    /**
     * The retransmission timer expired: cwnd = the loss window, 1·SMSS (RFC 5681 §3.1, eq. 4), and
     * ssthresh is reduced unless this is a repeated timeout with no new data acknowledged since the
     * last one (RFC 5681 §3.1, implementation note). Ends fast recovery if it was in progress.
     *
     * @param flightSizeBytes bytes outstanding when the timer fired (RFC 5681 FlightSize)
     */
    void onRetransmitTimeout(long nowNanos, long flightSizeBytes);

    /**
     * The sender is about to send new data with nothing in flight. If nothing was sent for longer
     * than the RTO, cwnd restarts from the restart window min(IW, cwnd) (RFC 5681 §4.1, when the
     * config enables slow start after idle). CUBIC also keeps the idle time out of its curve
     * (RFC 9438 §4.2, §5.8).
     *
     * @param idleNanos time since the sender last sent data (Linux: now − lsndtime)
     * @param rtoNanos  the current retransmission timeout
     */
    void onIdle(long nowNanos, long idleNanos, long rtoNanos);

    /**
     * {@link #onIdle}'s first half alone, at Linux's moment for it: data goes out with nothing in
     * flight (tcp_event_data_sent(): CA_EVENT_TX_START), so CUBIC keeps the idle time out of its
     * curve; cwnd stays.
     */
    default void onTransmitStart(long nowNanos, long idleNanos) {
        onIdle(nowNanos, idleNanos, Long.MAX_VALUE);
    }

    /**
     * {@link #onIdle}'s second half alone, at Linux's moments for it (tcp_slow_start_after_idle_check():
     * a write that starts a new skb, and a window update with data queued, each with nothing in
     * flight): cwnd restarts from the restart window if nothing was sent for longer than the RTO.
     */
    void restartIfIdle(long nowNanos, long idleNanos, long rtoNanos);

    /**
     * The SYN or SYN-ACK of this connection was retransmitted: if no data has been sent yet, the
     * initial window becomes one segment (RFC 5681 §3.1, RFC 6928 §2: "MUST be one segment"). Linux
     * applies this only after more than one retransmission; the sender decides when to call it.
     */
    void onHandshakeRetransmitted();

    /**
     * The sender MSS changed (negotiation done, path MTU changed). Before any other event the
     * initial window is recomputed for the new SMSS; afterwards cwnd keeps its byte value but stays
     * at least one SMSS, and ssthresh at least two.
     *
     * @param smssBytes 1..65535
     */
    void setMss(int smssBytes);

    /** The algorithm's name, as {@link CongestionAlgorithm#byName} knows it: "newreno", "cubic". */
    String name();

    /**
     * The RFC 6928 initial window for {@code segments} segments of {@code smssBytes}:
     * min(N·SMSS, max(2·SMSS, N·1460)); for N = 10 that is RFC 6928 §2's
     * min(10·SMSS, max(2·SMSS, 14600)). The byte cap scales with N (1460 bytes per segment), so
     * other values keep the same shape.
     */
    static long initialWindowBytes(int segments, int smssBytes) {
        long n = segments;
        long smss = smssBytes;
        return Math.min(n * smss, Math.max(2 * smss, n * 1460));
    }

    /**
     * Creates the algorithm named {@code name} ({@link CongestionAlgorithm#byName}) with the other
     * settings of {@code config}.
     *
     * @throws IllegalArgumentException for an unknown name or an MSS out of range
     */
    static CongestionControl create(String name, int smssBytes, CongestionConfig config) {
        return CongestionAlgorithm.byName(name).create(smssBytes, config);
    }
}
