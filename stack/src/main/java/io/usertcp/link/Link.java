package io.usertcp.link;

import io.netty.buffer.ByteBuf;

/**
 * Where IPv4 datagrams come from and go to: a TUN device, an in-memory wire, a simulated lossy
 * network. The boundary of the stack (DESIGN.md §1, suffix {@code *Link}).
 */
public interface Link {

    /**
     * The next datagram that arrived, or {@code null} when none is waiting.
     *
     * @return a buffer the caller owns and must release (the stack's {@code receive} does)
     */
    ByteBuf receive();

    /**
     * Sends one datagram.
     *
     * @param packet ownership moves to the link, which releases it when done, dropped or not
     */
    void transmit(ByteBuf packet);

    /** The largest datagram the link carries, in bytes. */
    int mtu();
}
