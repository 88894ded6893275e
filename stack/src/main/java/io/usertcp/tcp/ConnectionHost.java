package io.usertcp.tcp;

import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.MemoryBudget;
import io.usertcp.core.StackStats;
import io.usertcp.wire.TcpSegmentView;

/**
 * What a connection needs from the stack that owns it: configuration, the shared writer, and the
 * stack's bookkeeping (output list, timer heap, connection table). Implemented by
 * {@link TcpStack}; a connection never reaches past this interface.
 */
interface ConnectionHost {
    TcpConfig config();

    ConnectionObserver observer();

    StackStats stats();

    ByteBufAllocator allocator();

    /** The stack-wide budget received data is charged against (Linux tcp_mem). */
    MemoryBudget memory();

    /** The MSS we announce: the link MTU minus 40 bytes of IPv4 and TCP headers. */
    int localMss();

    /** Queues the connection for the next {@code pollTransmit}. */
    void wantsOutput(TcpConnection connection);

    /** The connection queued events for its handler: deliver them after the current processing. */
    void eventsPending(TcpConnection connection);

    /** The connection's earliest deadline changed. */
    void timersChanged(TcpConnection connection);

    /**
     * The connection left the connection table: fully closed, or (when {@code timeWait}) handed
     * over to a compact TIME-WAIT entry that will ACK the peer's FIN.
     */
    void detached(TcpConnection connection, long nowNanos, boolean timeWait);

    /** RFC 5961 §7: whether one more challenge ACK fits in this second's budget. */
    boolean challengeAckAllowed(long nowNanos);

    /** The connection released its buffers: the stack need not release them at shutdown. */
    void forget(TcpConnection connection);

    /*
     * The RSTs below are on a connection's four-tuple; md5 is the connection's TCP MD5 key (RFC 2385),
     * which signs them, or null (Linux tcp_v4_send_reset() and tcp_send_active_reset() sign with the
     * socket's key for the peer).
     */

    /** Queues a RST for a connection that is going away (ABORT, timeouts, data after close). */
    void sendReset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq);

    /** Queues <SEQ=seq><ACK=ack><CTL=RST,ACK> with window 0 on a connection's four-tuple. */
    void sendResetAck(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack);

    /**
     * <SEQ=seq><ACK=ack><CTL=RST,ACK> with this window field and, when {@code timestamps}, the
     * timestamps option: the abort RST of the linux and freebsd profiles.
     */
    void sendAbortReset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack, int window, boolean timestamps, int tsVal, int tsEcr);

    /**
     * Queues the RST that answers {@code segment} on the connection's four-tuple (RFC 9293 §3.5.2):
     * <SEQ=SEG.ACK><CTL=RST> if it carries an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
     *
     * @param segment borrowed
     */
    void sendResetAnswering(long nowNanos, ConnectionId id, TcpMd5Key md5, TcpSegmentView segment);

    /** TCP Fast Open's stack-wide state: the mode, the server key, the client's cookie cache. */
    FastOpen fastOpen();

    /** net.ipv4.tcp_ecn now (it changes at run time, as the sysctl does): what a SYN asks for or accepts. */
    TcpConfig.EcnMode ecn();
}
