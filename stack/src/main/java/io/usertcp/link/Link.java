package io.usertcp.link;

import io.netty.buffer.ByteBuf;

/**
 * Where IPv4 datagrams come from and go to: a TUN device, an in-memory wire, a simulated lossy
 * network. The boundary of the stack (DESIGN.md §1, suffix {@code *Link}).
 */
public interface Link {

    /**
     * The next datagram that arrived, or {@code null} when none is waiting. When
     * {@link #offloads()} says {@link LinkOffloads#virtioHeader()}, the buffer starts with the
     * virtio-net header in front of the datagram.
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

    /** The largest datagram the link carries, in bytes (segmentation offload aside). */
    int mtu();

    /** What the link does beyond carrying datagrams; {@link LinkOffloads#NONE} unless it says more. */
    default LinkOffloads offloads() {
        return LinkOffloads.NONE;
    }

    /**
     * Sends one TCP segment whose checksum the link completes: its checksum field holds the
     * pseudo-header sum, not complemented (the form {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} asks for).
     * With {@code segmentSize > 0} it is a super-segment for the link to cut into segments of that
     * many payload bytes (TSO), each with the headers copied, IP ID counting up, PSH and FIN on
     * the last and CWR on the first only. Only when {@link #offloads()} allows it.
     *
     * @param packet ownership moves to the link, as with {@link #transmit(ByteBuf)}
     * @throws UnsupportedOperationException when the link offers no checksum offload (the packet is released)
     */
    default void transmit(ByteBuf packet, int segmentSize) {
        packet.release();
        throw new UnsupportedOperationException(getClass().getSimpleName() + " offers no checksum or segmentation offload");
    }
}
