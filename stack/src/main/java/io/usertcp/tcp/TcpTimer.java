package io.usertcp.tcp;

/**
 * The per-connection timers, as indices into a table of deadlines (DESIGN.md §2): arming is one
 * array write, and the earliest deadline is what the driver waits for. TIME-WAIT is kept by the
 * compact {@link TimeWaitTable}, not by a connection, but has its entry here for observers.
 */
public enum TcpTimer {
    /** RFC 6298: retransmission of SYN, SYN-ACK, data and FIN. */
    RETRANSMIT,
    /** RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: the delayed ACK. */
    DELAYED_ACK,
    /** RFC 9293 §3.8.6.1: zero-window probes. */
    PERSIST,
    /** RFC 1122 §4.2.3.6: keep-alive probes on an idle connection. */
    KEEPALIVE,
    /** Linux {@code tcp_fin_timeout}: an orphaned FIN-WAIT-2 connection is reclaimed. */
    FIN_WAIT_2,
    /** RFC 9293 §3.6.1: 2 MSL in TIME-WAIT. */
    TIME_WAIT,
    /** RFC 5482 / RFC 9293 §3.8.3: the connection is aborted when data stays unacknowledged this long. */
    USER_TIMEOUT,
    /** RFC 8985 §6.3: RACK's reordering timer (Linux ICSK_TIME_REO_TIMEOUT). */
    REORDER,
    /** RFC 8985 §7.2: the tail loss probe (Linux ICSK_TIME_LOSS_PROBE); it stands in for RETRANSMIT while armed. */
    LOSS_PROBE;

    static final TcpTimer[] VALUES = values();

    /** The value of a deadline that is not armed. */
    public static final long DISARMED = Long.MAX_VALUE;
}
