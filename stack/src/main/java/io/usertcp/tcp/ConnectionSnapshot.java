package io.usertcp.tcp;

import java.util.Map;
import java.util.Objects;

/**
 * One connection at one moment, for an {@code ss}-like table (DESIGN.md §8). A value: safe to
 * keep, compare and print.
 *
 * @param timersLeftNanos armed timers and the time left until each fires
 * @param inFlightBytes   SND.NXT - SND.UNA, sequence space (SYN and FIN count one)
 * @param congestionAlgorithm the congestion control in use ("cubic", "newreno"), empty for TIME-WAIT
 * @param cwndBytes       the congestion window (RFC 5681 cwnd)
 * @param ssthreshBytes   the slow-start threshold; {@link io.usertcp.tcp.cc.CongestionControl#MAX_WINDOW_BYTES}
 *                        until the first congestion signal
 * @param closeReason     null while open
 * @param ecn             RFC 3168 ECN is in use on the connection (Linux TCP_ECN_OK; ss {@code ecn})
 * @param ecnSeen         an ECT or CE data segment has arrived (Linux TCP_ECN_SEEN; ss {@code ecnseen})
 * @param receiveBufferBytes SO_RCVBUF now, as autotuning grew it (Linux sk_rcvbuf; ss -m {@code rb})
 * @param sendBufferBytes SO_SNDBUF now (Linux sk_sndbuf; ss -m {@code tb})
 * @param receiveMemoryBytes the memory received data holds, in order and out of order, by true size
 *                        (Linux sk_rmem_alloc; ss -m {@code r})
 */
public record ConnectionSnapshot(ConnectionId id, TcpState state, int receiveQueueBytes, int sendQueueBytes,
                                 Map<TcpTimer, Long> timersLeftNanos, long srttNanos, long rttvarNanos,
                                 long rtoNanos, int mss, long sendWindowBytes, long receiveWindowBytes,
                                 int retransmits, int inFlightBytes, int sendWindowShift, int receiveWindowShift,
                                 boolean sack, boolean timestamps, String congestionAlgorithm,
                                 long cwndBytes, long ssthreshBytes, CloseReason closeReason, boolean ecn,
                                 boolean ecnSeen, int receiveBufferBytes, int sendBufferBytes, long receiveMemoryBytes) {
    public ConnectionSnapshot {
        timersLeftNanos = Map.copyOf(timersLeftNanos);
        Objects.requireNonNull(congestionAlgorithm, "congestionAlgorithm");
    }

    /** A snapshot without the memory received data holds. */
    public ConnectionSnapshot(ConnectionId id, TcpState state, int receiveQueueBytes, int sendQueueBytes,
                              Map<TcpTimer, Long> timersLeftNanos, long srttNanos, long rttvarNanos,
                              long rtoNanos, int mss, long sendWindowBytes, long receiveWindowBytes,
                              int retransmits, int inFlightBytes, int sendWindowShift, int receiveWindowShift,
                              boolean sack, boolean timestamps, String congestionAlgorithm,
                              long cwndBytes, long ssthreshBytes, CloseReason closeReason, boolean ecn,
                              boolean ecnSeen, int receiveBufferBytes, int sendBufferBytes) {
        this(id, state, receiveQueueBytes, sendQueueBytes, timersLeftNanos, srttNanos, rttvarNanos, rtoNanos, mss,
                sendWindowBytes, receiveWindowBytes, retransmits, inFlightBytes, sendWindowShift, receiveWindowShift, sack,
                timestamps, congestionAlgorithm, cwndBytes, ssthreshBytes, closeReason, ecn, ecnSeen, receiveBufferBytes,
                sendBufferBytes, 0);
    }

    /** A snapshot of a connection without ECN. */
    public ConnectionSnapshot(ConnectionId id, TcpState state, int receiveQueueBytes, int sendQueueBytes,
                              Map<TcpTimer, Long> timersLeftNanos, long srttNanos, long rttvarNanos,
                              long rtoNanos, int mss, long sendWindowBytes, long receiveWindowBytes,
                              int retransmits, int inFlightBytes, int sendWindowShift, int receiveWindowShift,
                              boolean sack, boolean timestamps, String congestionAlgorithm,
                              long cwndBytes, long ssthreshBytes, CloseReason closeReason) {
        this(id, state, receiveQueueBytes, sendQueueBytes, timersLeftNanos, srttNanos, rttvarNanos, rtoNanos, mss,
                sendWindowBytes, receiveWindowBytes, retransmits, inFlightBytes, sendWindowShift, receiveWindowShift, sack,
                timestamps, congestionAlgorithm, cwndBytes, ssthreshBytes, closeReason, false, false, 0, 0, 0);
    }

    /** A TIME-WAIT entry, which keeps only what it needs to answer a retransmitted FIN. */
    static ConnectionSnapshot timeWait(ConnectionId id, long leftNanos) {
        return new ConnectionSnapshot(id, TcpState.TIME_WAIT, 0, 0, Map.of(TcpTimer.TIME_WAIT, leftNanos),
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, "", 0, 0, CloseReason.NORMAL);
    }
}
