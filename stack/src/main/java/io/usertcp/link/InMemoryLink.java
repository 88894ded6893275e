package io.usertcp.link;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * One end of an in-memory wire: what one end transmits, the other end receives, in order, with
 * nothing lost. Make a connected pair with {@link #pair(int)}. Bounded: packets past
 * {@code capacity} are dropped (and released), like a full device queue.
 */
public final class InMemoryLink implements Link {
    /** Queue bound per direction. */
    public static final int DEFAULT_CAPACITY = 100_000;

    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private final int mtu;
    private final int capacity;
    private InMemoryLink peer;
    private long transmitted;
    private long dropped;

    private InMemoryLink(int mtu, int capacity) {
        this.mtu = mtu;
        this.capacity = capacity;
    }

    /** Two connected ends. */
    public static InMemoryLink[] pair(int mtu) {
        InMemoryLink a = new InMemoryLink(mtu, DEFAULT_CAPACITY);
        InMemoryLink b = new InMemoryLink(mtu, DEFAULT_CAPACITY);
        a.peer = b;
        b.peer = a;
        return new InMemoryLink[] {a, b};
    }

    @Override
    public ByteBuf receive() {
        return inbound.pollFirst();
    }

    @Override
    public void transmit(ByteBuf packet) {
        transmitted++;
        if (packet.readableBytes() > mtu || peer.inbound.size() >= peer.capacity) {
            dropped++;
            packet.release();
            return;
        }
        peer.inbound.addLast(packet);
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** Packets waiting to be received at this end. */
    public int pending() {
        return inbound.size();
    }

    public long transmitted() {
        return transmitted;
    }

    public long dropped() {
        return dropped;
    }

    /** Releases everything still queued at this end. */
    public void clear() {
        ByteBuf b;
        while ((b = inbound.pollFirst()) != null) {
            b.release();
        }
    }
}
