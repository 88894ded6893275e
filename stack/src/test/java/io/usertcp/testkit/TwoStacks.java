package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.link.InMemoryLink;
import io.usertcp.link.Link;
import io.usertcp.link.LinkOffloads;
import io.usertcp.link.SoftwareSegmentation;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpdumpFormatter;
import io.usertcp.wire.VirtioNetHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Two stacks, A at 198.18.0.1 and B at 198.18.0.2, joined by an in-memory wire and driven on one
 * virtual clock. {@link #settle()} moves packets until both are quiet; {@link #advance(long)} moves
 * time, firing every timer in order. Packets can be dropped per direction to inject loss, and every
 * packet delivered or dropped is traced in tcpdump notation for failure messages.
 *
 * <p>Every loop is bounded: a run that does not settle within {@link #MAX_STEPS} deliveries is a
 * livelock and fails.
 */
public final class TwoStacks implements AutoCloseable {
    public static final Ipv4Address A = Ipv4Address.of("198.18.0.1");
    public static final Ipv4Address B = Ipv4Address.of("198.18.0.2");
    public static final int MAX_STEPS = 5_000_000;

    public final VirtualClock clock = new VirtualClock();
    public final TcpStack a;
    public final TcpStack b;
    private final InMemoryLink linkA;
    private final InMemoryLink linkB;
    private final List<String> trace = new ArrayList<>();
    private final boolean tracing;
    private Predicate<ByteBuf> dropAtoB = p -> false;
    private Predicate<ByteBuf> dropBtoA = p -> false;
    private long steps;
    private Offload offloadFromA = Offload.NONE;
    /** A's frames to B in {@link Offload#WHOLE} mode: a wire that takes 64 KB datagrams behind their header. */
    private final InMemoryLink[] framesAtoB = InMemoryLink.pair(VirtioNetHeader.LENGTH + 65535);
    private long superSegmentsFromA;

    /**
     * What A's link does with checksum and segmentation offload (TSO), as a TUN device with the
     * virtio-net header would: A sends super-segments with partial checksums, and B receives them
     * cut into segments ({@link #SEGMENTED}, as a forwarding kernel delivers them to a peer
     * elsewhere), or whole behind a virtio-net header ({@link #WHOLE}, as the local kernel's TCP
     * takes them, and as our TUN link hands the kernel's to the stack).
     */
    public enum Offload { NONE, SEGMENTED, WHOLE }

    /** Gives A's link checksum and segmentation offload, B receiving as {@code mode} says. */
    public void offloadFromA(Offload mode) {
        this.offloadFromA = mode;
    }

    /** Super-segments (more than one segment each) A handed its offloading link. */
    public long superSegmentsFromA() {
        return superSegmentsFromA;
    }

    /** A's link as the offload mode makes it. */
    private Link outOfA() {
        return offloadFromA == Offload.NONE ? linkA : offloadingA;
    }

    /** A's link with checksum and segmentation offload (reads {@link #linkA} when called, after construction). */
    private final Link offloadingA = new Link() {
            @Override public ByteBuf receive() { return linkA.receive(); }
            @Override public int mtu() { return linkA.mtu(); }
            @Override public LinkOffloads offloads() { return new LinkOffloads(false, true, 65535); }

            @Override
            public void transmit(ByteBuf packet) {
                if (offloadFromA == Offload.WHOLE) {
                    framesAtoB[0].transmit(frame(packet, 0, 0));
                } else {
                    linkA.transmit(packet);
                }
            }

            @Override
            public void transmit(ByteBuf packet, int segmentSize) {
                int headers = 20 + ((packet.getByte(packet.readerIndex() + 32) >> 4) & 0x0F) * 4;
                boolean gso = segmentSize > 0 && packet.readableBytes() - headers > segmentSize;
                superSegmentsFromA += gso ? 1 : 0;
                if (!SoftwareSegmentation.holdsPseudoHeaderSum(packet)) {
                    packet.release();
                    throw new AssertionError("an offloaded segment without the pseudo-header sum in its checksum field");
                }
                if (offloadFromA == Offload.WHOLE) {
                    framesAtoB[0].transmit(frame(packet, VirtioNetHeader.FLAG_NEEDS_CSUM, gso ? segmentSize : 0));
                    return;
                }
                try {
                    SoftwareSegmentation.segment(packet, gso ? segmentSize : 0, PooledByteBufAllocator.DEFAULT, linkA::transmit);
                } finally {
                    packet.release();
                }
            }
        };

    /** {@code packet} behind a virtio-net header; releases it. */
    private static ByteBuf frame(ByteBuf packet, int flags, int segmentSize) {
        ByteBuf frame = PooledByteBufAllocator.DEFAULT.buffer(VirtioNetHeader.LENGTH + packet.readableBytes());
        VirtioNetHeader.write(frame, 0, flags, segmentSize > 0 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_NONE, 0,
                segmentSize, flags == 0 ? 0 : 20, flags == 0 ? 0 : VirtioNetHeader.TCP_CHECKSUM_OFFSET);
        frame.writerIndex(VirtioNetHeader.LENGTH);
        frame.writeBytes(packet);
        packet.release();
        return frame;
    }

    /** Both stacks with {@code tcp}, seeded randomness, tracing on. */
    public TwoStacks(TcpConfig tcp) {
        this(tcp, 1, c -> c, true);
    }

    /**
     * @param customize changes each stack's configuration (A's, then B's) before it is built
     * @param tracing   keep a tcpdump-style trace of every packet (costly for long simulations)
     */
    public TwoStacks(TcpConfig tcp, long seed, Function<StackConfig, StackConfig> customize, boolean tracing) {
        InMemoryLink[] pair = InMemoryLink.pair(1500);
        this.linkA = pair[0];
        this.linkB = pair[1];
        this.tracing = tracing;
        // The timer-storm invariant wraps whatever observer the test set (TimerExpiryCheck).
        this.a = new TcpStack(TimerExpiryCheck.install(customize.apply(config(A, tcp, seed))));
        this.b = new TcpStack(TimerExpiryCheck.install(customize.apply(config(B, tcp, seed + 1))));
    }

    private static StackConfig config(Ipv4Address address, TcpConfig tcp, long seed) {
        return StackConfig.of(address, RandomSource.seeded(seed)).withTcp(tcp)
                .withAllocator(PooledByteBufAllocator.DEFAULT).withObserver(ConnectionObserver.NONE);
    }

    public long now() {
        return clock.nowNanos();
    }

    /** Drops packets from A to B for which {@code drop} is true (it must not release them). */
    public void dropAtoB(Predicate<ByteBuf> drop) {
        this.dropAtoB = drop;
    }

    public void dropBtoA(Predicate<ByteBuf> drop) {
        this.dropBtoA = drop;
    }

    /** Moves packets both ways until neither stack has anything to send. */
    public void settle() {
        while (true) {
            long now = clock.nowNanos();
            int moved = a.pollTransmit(now, outOfA()) + b.pollTransmit(now, linkB);
            moved += deliver(linkB, b, dropAtoB, "A>B", false);
            moved += deliver(framesAtoB[1], b, dropAtoB, "A>B", true);
            moved += deliver(linkA, a, dropBtoA, "B>A", false);
            if (moved == 0) {
                return;
            }
        }
    }

    private int deliver(InMemoryLink at, TcpStack to, Predicate<ByteBuf> drop, String direction, boolean frames) {
        int n = 0;
        ByteBuf p;
        while ((p = at.receive()) != null) {
            if (++steps > MAX_STEPS) {
                p.release();
                throw new AssertionError("no quiescence after " + MAX_STEPS + " packets: livelock?\n" + lastTrace(40));
            }
            n++;
            ByteBuf datagram = frames ? p.slice(p.readerIndex() + VirtioNetHeader.LENGTH, p.readableBytes() - VirtioNetHeader.LENGTH) : p;
            boolean dropped = drop.test(datagram);
            if (tracing) {
                trace.add(String.format("%10.6f %s%s %s", (clock.nowNanos() - VirtualClock.START_NANOS) / 1e9, direction,
                        dropped ? " DROPPED" : "", TcpdumpFormatter.format(datagram)));
            }
            if (dropped) {
                p.release();
            } else if (frames) {
                to.receiveFrame(clock.nowNanos(), p);
            } else {
                to.receive(clock.nowNanos(), p);
            }
        }
        return n;
    }

    /** Settles, then moves time forward by {@code nanos}, firing each timer at its own deadline. */
    public void advance(long nanos) {
        long target = clock.nowNanos() + nanos;
        settle();
        while (true) {
            long next = Math.min(a.nextDeadlineNanos(), b.nextDeadlineNanos());
            if (next > target) {
                break;
            }
            clock.setNanos(Math.max(clock.nowNanos(), next));
            a.onTimeout(clock.nowNanos());
            b.onTimeout(clock.nowNanos());
            settle();
        }
        clock.setNanos(target);
        settle();
    }

    /**
     * Advances from deadline to deadline until {@code condition} holds, at most {@code maxNanos}.
     *
     * @return whether the condition became true
     */
    public boolean runUntil(BooleanSupplier condition, long maxNanos) {
        long limit = clock.nowNanos() + maxNanos;
        settle();
        while (!condition.getAsBoolean()) {
            long next = Math.min(a.nextDeadlineNanos(), b.nextDeadlineNanos());
            if (next > limit) {
                clock.setNanos(limit);
                return condition.getAsBoolean();
            }
            clock.setNanos(Math.max(clock.nowNanos(), next));
            a.onTimeout(clock.nowNanos());
            b.onTimeout(clock.nowNanos());
            settle();
        }
        return true;
    }

    /**
     * Sends {@code data} from {@code sender} to {@code receiver}: each round writes what the send
     * buffer takes (at most {@code writeBytes}), moves a millisecond of virtual time forward and
     * reads, until everything has arrived or {@code maxRounds} rounds have passed.
     *
     * @param sink gets each read's bytes in a borrowed buffer, valid during the call
     * @return the bytes the receiver read
     */
    public long transfer(TcpConnection sender, TcpConnection receiver, byte[] data, int writeBytes, int maxRounds,
                         Consumer<ByteBuf> sink) {
        int sent = 0;
        long received = 0;
        ByteBuf dst = PooledByteBufAllocator.DEFAULT.buffer(1 << 20);
        try {
            for (int round = 0; received < data.length && round < maxRounds; round++) {
                if (sent < data.length) {
                    ByteBuf src = io.netty.buffer.Unpooled.wrappedBuffer(data, sent, Math.min(data.length - sent, writeBytes));
                    sent += sender.send(now(), src);
                    src.release();
                }
                advance(VirtualClock.millis(1));
                dst.clear();
                received += receiver.read(now(), dst);
                sink.accept(dst);
            }
        } finally {
            dst.release();
        }
        return received;
    }

    /** The last {@code n} trace lines, for assertion messages. */
    public String lastTrace(int n) {
        return String.join("\n", trace.subList(Math.max(0, trace.size() - n), trace.size()));
    }

    public List<String> trace() {
        return List.copyOf(trace);
    }

    @Override
    public void close() {
        a.close(clock.nowNanos());
        b.close(clock.nowNanos());
        linkA.clear();
        linkB.clear();
        framesAtoB[1].clear();
    }
}
