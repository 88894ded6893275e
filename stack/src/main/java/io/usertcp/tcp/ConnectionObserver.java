package io.usertcp.tcp;

import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;

/**
 * Sees what happens to connections: segments in and out, state changes with their cause, timers.
 * Feeds ladder diagrams, pcap taps and traces (DESIGN.md §8). Called on the stack's thread, inside
 * the stack's calls: keep it quick, and copy what you keep, because views are only valid during
 * the call and their buffers are borrowed.
 */
public interface ConnectionObserver {
    /** Observes nothing. */
    ConnectionObserver NONE = new ConnectionObserver() {};

    /** A TCP segment accepted by the IP layer, before the state machine sees it. @param packet borrowed */
    default void segmentIn(long nowNanos, Ipv4PacketView packet) {}

    /** A TCP segment the stack is about to hand to the link. @param packet borrowed */
    default void segmentOut(long nowNanos, Ipv4PacketView packet) {}

    /** A connection changed state; {@code cause} says why in a few words ("rcv SYN,ACK", "user CLOSE"). */
    default void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {}

    /** A timer expired for a connection. */
    default void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {}

    /** The stack dropped a datagram for {@code reason} (also counted in {@code stats}). */
    default void dropped(DropReason reason) {}
}
