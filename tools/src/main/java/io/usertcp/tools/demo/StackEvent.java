package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;

/**
 * One thing our stack did to one connection, copied out of a {@link io.usertcp.tcp.ConnectionObserver}
 * call so that it can be kept and printed later (views are only valid during the call). Every
 * event carries the connection's four-tuple as our stack sees it (local = our address) and the
 * stack clock's time.
 */
public sealed interface StackEvent permits StackEvent.StateChange, StackEvent.Segment, StackEvent.TimerFired {

    /** The stack clock ({@code System.nanoTime}) when it happened. */
    long nanos();

    /** The connection, local = our side; a listener has remote address and port 0. */
    ConnectionId id();

    /** A state change and why, in the stack's words ("rcv SYN,ACK", "user CLOSE"). */
    record StateChange(long nanos, ConnectionId id, TcpState from, TcpState to, String cause) implements StackEvent {}

    /**
     * A segment through our stack.
     *
     * @param outbound     sent by our stack (true) or received from the kernel (false)
     * @param header       the TCP header, options included
     * @param payloadBytes bytes of data it carried
     */
    record Segment(long nanos, ConnectionId id, boolean outbound, TcpHeader header, int payloadBytes) implements StackEvent {
        public boolean has(int flag) {
            return (header.flags() & flag) == flag;
        }

        /** tcpdump's notation: {@code S}, {@code S.}, {@code F.}, {@code R}. */
        public String flags() {
            return TcpFlags.format(header.flags());
        }
    }

    /** A timer of the connection expired (RETRANSMIT, KEEPALIVE, FIN_WAIT_2, TIME_WAIT, ...). */
    record TimerFired(long nanos, ConnectionId id, TcpTimer timer) implements StackEvent {}
}
