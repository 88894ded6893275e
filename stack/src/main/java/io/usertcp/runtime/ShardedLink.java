package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.Shard;
import io.usertcp.link.LinkOffloads;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.VirtioNetHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One shard's link: its own queue of a multi-queue TUN device (IFF_MULTI_QUEUE), plus an inbox of
 * datagrams that arrived on another shard's queue but belong to this one. Every datagram read from
 * the queue goes to the shard {@link Shard#of} names for its flow (for an ICMP error, the flow it
 * quotes); datagrams that name none (malformed, not TCP, an echo request) stay where they arrived,
 * to be judged there. What a shard sends goes out on its own queue, which is also what teaches
 * Linux's TUN to put the flow's next packets on that queue (tun_flow_update()), so handing over is
 * the exception.
 *
 * <p>Threads: each shard's runner thread calls {@link #receive()}, {@link #transmit} and
 * {@link #awaitReadable}; other shards' threads hand datagrams over ({@link #handOver}), which wakes
 * this one. The inbox is bounded ({@value #INBOX_LIMIT} datagrams); beyond, a handed-over datagram
 * is dropped and counted, as a full device queue drops.
 */
public final class ShardedLink implements WaitableLink {
    /** The most datagrams waiting in one shard's inbox. */
    public static final int INBOX_LIMIT = 4096;
    private static final int ICMP_HEADER = 8;

    private final WaitableLink queue;
    private final Shard shard;
    private final ShardedLink[] group;
    private final ConcurrentLinkedQueue<ByteBuf> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboxSize = new AtomicInteger();
    private final AtomicLong handedIn = new AtomicLong();
    private final AtomicLong inboxDrops = new AtomicLong();
    private final int skip;

    private ShardedLink(WaitableLink queue, Shard shard, ShardedLink[] group) {
        this.queue = queue;
        this.shard = shard;
        this.group = group;
        this.skip = queue.offloads().virtioHeader() ? VirtioNetHeader.LENGTH : 0;
    }

    /**
     * The links of one sharded stack, shard {@code i} on {@code queues.get(i)}.
     *
     * @param queues one per shard: the queues of one multi-queue device (ownership stays with the caller)
     */
    public static List<ShardedLink> group(List<? extends WaitableLink> queues) {
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("queues: none (expected: one per shard)");
        }
        ShardedLink[] group = new ShardedLink[queues.size()];
        List<ShardedLink> links = new ArrayList<>();
        for (int i = 0; i < group.length; i++) {
            group[i] = new ShardedLink(queues.get(i), new Shard(i, group.length), group);
            links.add(group[i]);
        }
        return List.copyOf(links);
    }

    /** The shard this link serves. */
    public Shard shard() {
        return shard;
    }

    /**
     * The next datagram of this shard: first what other shards handed over, then the queue's, handing
     * over each one that belongs elsewhere.
     *
     * @return a buffer the caller owns, or {@code null}
     */
    @Override
    public ByteBuf receive() {
        ByteBuf p = inbox.poll();
        if (p != null) {
            inboxSize.decrementAndGet();
            return p;
        }
        while ((p = queue.receive()) != null) {
            int owner = owner(p, skip, group.length, shard.index());
            if (owner == shard.index()) {
                return p;
            }
            group[owner].handOver(p);
        }
        return null;
    }

    /** From another shard's thread: a datagram of this shard's flow; ownership moves in. */
    void handOver(ByteBuf p) {
        if (inboxSize.incrementAndGet() > INBOX_LIMIT) {
            inboxSize.decrementAndGet();
            inboxDrops.incrementAndGet();
            p.release();
            return;
        }
        inbox.add(p);
        handedIn.incrementAndGet();
        queue.wakeup();
    }

    /**
     * The shard a datagram belongs to: its TCP flow's, seen from our side (destination local); an
     * ICMP error's quoted TCP segment's (which we sent: source local); else {@code here}.
     *
     * @param p borrowed; its indices do not move
     */
    static int owner(ByteBuf p, int skip, int shards, int here) {
        int at = p.readerIndex() + skip;
        int length = p.readableBytes() - skip;
        int ihl = RawDatagram.ipv4HeaderLength(p, at, length);
        if (shards == 1 || ihl < 0) {
            return here;
        }
        int tcp = RawDatagram.tcpHeader(p, at, length);
        if (tcp >= 0) {
            return Shard.of(RawDatagram.destination(p, at), p.getUnsignedShort(tcp + 2), RawDatagram.source(p, at),
                    p.getUnsignedShort(tcp), shards);
        }
        if (p.getUnsignedByte(at + 9) != RawDatagram.PROTOCOL_ICMP || length < ihl + ICMP_HEADER
                || !Icmpv4MessageView.isErrorType(p.getUnsignedByte(at + ihl))) {
            return here;
        }
        // RFC 792: the error quotes the IP header and 8 bytes of the datagram we sent, our side as its source.
        int quoted = at + ihl + ICMP_HEADER;
        int quotedTcp = RawDatagram.tcpHeader(p, quoted, length - ihl - ICMP_HEADER);
        if (quotedTcp < 0) {
            return here;
        }
        return Shard.of(RawDatagram.source(p, quoted), p.getUnsignedShort(quotedTcp), RawDatagram.destination(p, quoted),
                p.getUnsignedShort(quotedTcp + 2), shards);
    }

    @Override
    public boolean awaitReadable(long timeoutNanos) {
        if (inboxSize.get() > 0) {
            return true;
        }
        return queue.awaitReadable(timeoutNanos) || inboxSize.get() > 0;
    }

    @Override
    public void wakeup() {
        queue.wakeup();
    }

    /** @param packet ownership moves to the queue */
    @Override
    public void transmit(ByteBuf packet) {
        queue.transmit(packet);
    }

    /** @param packet ownership moves to the queue */
    @Override
    public void transmit(ByteBuf packet, int segmentSize) {
        queue.transmit(packet, segmentSize);
    }

    @Override
    public int mtu() {
        return queue.mtu();
    }

    @Override
    public LinkOffloads offloads() {
        return queue.offloads();
    }

    /** Datagrams other shards handed to this one so far. */
    public long handedIn() {
        return handedIn.get();
    }

    /** Handed-over datagrams dropped because the inbox was full. */
    public long inboxDrops() {
        return inboxDrops.get();
    }

    /** Releases what waits in the inbox (after the runner stopped). */
    public void clear() {
        ByteBuf p;
        while ((p = inbox.poll()) != null) {
            inboxSize.decrementAndGet();
            p.release();
        }
    }
}
