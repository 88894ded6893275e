package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import io.usertcp.link.LinkOffloads;

/**
 * A link layer between a {@link WaitableLink} and the stack that changes only what it overrides
 * (typically {@link #receive()}: dropping, marking or delaying datagrams on their way in); every
 * other call goes to the wrapped link as it is. Threads and ownership are the wrapped link's.
 */
public abstract class ForwardingLink implements WaitableLink {
    /** The link this one wraps. */
    protected final WaitableLink inner;

    protected ForwardingLink(WaitableLink inner) {
        if (inner == null) {
            throw new IllegalArgumentException("inner: null (expected: the link to wrap)");
        }
        this.inner = inner;
    }

    /** @return a buffer the caller owns, or {@code null} */
    @Override
    public ByteBuf receive() {
        return inner.receive();
    }

    /** @param packet ownership moves to the wrapped link */
    @Override
    public void transmit(ByteBuf packet) {
        inner.transmit(packet);
    }

    /** @param packet ownership moves to the wrapped link */
    @Override
    public void transmit(ByteBuf packet, int segmentSize) {
        inner.transmit(packet, segmentSize);
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    /**
     * The wrapped link's: with {@link LinkOffloads#virtioHeader()}, what {@link #receive()} passes
     * on starts with the virtio-net header, so a layer that looks into datagrams must skip it (or
     * wrap a link without offloads).
     */
    @Override
    public LinkOffloads offloads() {
        return inner.offloads();
    }

    @Override
    public boolean awaitReadable(long timeoutNanos) {
        return inner.awaitReadable(timeoutNanos);
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }
}
