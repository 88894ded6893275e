package io.usertcp.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.link.Link;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Two {@link TcpStack}s, A and B, joined by a seeded faulty wire and driven in virtual time
 * (DESIGN.md §9.4). Each direction follows its own {@link FaultProfile}, and may have a
 * {@link Bottleneck} (a rate limit with a drop-tail queue; none by default). Packets in flight wait in
 * an event queue ordered by delivery time (ties by send order); the driver repeatedly takes the
 * earliest of the next delivery and the stacks' {@code nextDeadlineNanos()}, moves time there,
 * processes that one event, and lets both stacks transmit what it caused:
 * <pre>
 *   net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), 80);  // user calls between runs
 *   net.runFor(seconds(2));                                                  // then time moves
 *   net.runUntil(() -&gt; client.isClosed(), seconds(60));
 * </pre>
 *
 * <p>Every random choice (loss, duplication, corruption, delay) comes from the injected
 * {@link RandomSource}, so a seed replays the same run; {@link #traceHash()} fingerprints it.
 * Bounded: more than {@code maxSteps} events in the network's life, or {@link #MAX_STEPS_PER_INSTANT}
 * events without time moving, is a livelock and throws {@link LivelockException}.
 *
 * <p>Ownership: the network owns both stacks ({@link #close()} closes them) and every packet
 * handed to it, which it either delivers (the stack's {@code receive} takes it) or releases.
 * Duplicates share the original's bytes ({@code retainedDuplicate}); a corrupted copy is a fresh
 * copy, so flipping its bit never damages a sibling. One thread drives everything.
 */
public final class SimulatedNetwork implements AutoCloseable {
    /** A's address when built by {@link #between}: 198.18.0.0/15 is set aside for benchmarking. */
    public static final Ipv4Address ADDRESS_A = Ipv4Address.of("198.18.0.1");
    public static final Ipv4Address ADDRESS_B = Ipv4Address.of("198.18.0.2");
    /** Virtual time starts far from zero, so code that mistakes 0 for "unset" shows up. */
    public static final long START_NANOS = 1_000_000_000_000L;
    public static final long DEFAULT_MAX_STEPS = 50_000_000L;
    /** Events processed at one instant before the run is declared a livelock. */
    public static final int MAX_STEPS_PER_INSTANT = 100_000;
    public static final int DEFAULT_MTU = 1500;

    private final TcpStack a;
    private final TcpStack b;
    private final FaultProfile aToB;
    private final FaultProfile bToA;
    private final RandomSource random;
    private final long startNanos;
    private final int mtu;
    private final long maxSteps;
    private final Link endA = new End(Direction.A_TO_B);
    private final Link endB = new End(Direction.B_TO_A);
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>();
    private final RecentPackets recent = new RecentPackets(32);
    private final Ipv4PacketView classifyIp = new Ipv4PacketView();
    private final TcpSegmentView classifyTcp = new TcpSegmentView();
    private PacketTap tap = PacketTap.NONE;
    /** Per direction (by ordinal): the bottleneck, or null for an unlimited wire. */
    private final Bottleneck[] bottlenecks = new Bottleneck[Direction.values().length];
    /** Per direction: when the bottleneck link finishes sending what is queued. */
    private final long[] linkFreeAtNanos = new long[Direction.values().length];
    private long nowNanos;
    private long sendOrder;
    private long traceHash = 0xCBF29CE484222325L;
    private long transmitted;
    private long lost;
    private long tooBig;
    private long queueDrops;
    private long duplicated;
    private long corrupted;
    private long delivered;
    private long steps;
    private long instantNanos = Long.MIN_VALUE;
    private int stepsThisInstant;
    private boolean closed;

    /**
     * @param a       stack A; what it transmits goes to B. The network owns it from now on.
     * @param b       stack B; what it transmits goes to A
     * @param aToB    faults on the way from A to B
     * @param bToA    faults on the way back
     * @param random  every fault decision; seed it to repeat a run
     * @param startNanos the virtual time the run starts at
     * @param mtu     largest datagram carried; larger ones are dropped ({@link PacketFate#TOO_BIG})
     * @param maxSteps events allowed over the network's life before it is called a livelock
     */
    public SimulatedNetwork(TcpStack a, TcpStack b, FaultProfile aToB, FaultProfile bToA, RandomSource random,
                            long startNanos, int mtu, long maxSteps) {
        if (a == null || b == null || a == b || aToB == null || bToA == null || random == null) {
            throw new IllegalArgumentException("stacks, fault profiles and random must be non-null, and the stacks distinct");
        }
        if (mtu < StackConfig.MIN_MTU || maxSteps <= 0) {
            throw new IllegalArgumentException("mtu " + mtu + ", maxSteps " + maxSteps
                    + " (expected: mtu >= " + StackConfig.MIN_MTU + ", maxSteps > 0)");
        }
        this.a = a;
        this.b = b;
        this.aToB = aToB;
        this.bToA = bToA;
        this.random = random;
        this.startNanos = startNanos;
        this.nowNanos = startNanos;
        this.mtu = mtu;
        this.maxSteps = maxSteps;
    }

    /** Both directions with the same faults, starting at {@link #START_NANOS}. */
    public SimulatedNetwork(TcpStack a, TcpStack b, FaultProfile faults, RandomSource random) {
        this(a, b, faults, faults, random, START_NANOS, DEFAULT_MTU, DEFAULT_MAX_STEPS);
    }

    /**
     * Builds A at {@link #ADDRESS_A} and B at {@link #ADDRESS_B} with {@code tcp}, pooled buffers,
     * verified checksums and RFC 6528 ISNs, each stack and the wire seeded from {@code seed}.
     */
    public static SimulatedNetwork between(TcpConfig tcp, FaultProfile faults, long seed) {
        return between(tcp, faults, seed, UnaryOperator.identity());
    }

    /**
     * {@link #between(TcpConfig, FaultProfile, long)}, with {@code customize} applied to each
     * stack's configuration (A's, then B's) before the stack is built: to add an observer, say.
     */
    public static SimulatedNetwork between(TcpConfig tcp, FaultProfile faults, long seed, UnaryOperator<StackConfig> customize) {
        RandomSource seeds = RandomSource.seeded(seed);
        TcpStack a = new TcpStack(customize.apply(stackConfig(ADDRESS_A, tcp, RandomSource.seeded(seeds.nextLong()))));
        TcpStack b = new TcpStack(customize.apply(stackConfig(ADDRESS_B, tcp, RandomSource.seeded(seeds.nextLong()))));
        return new SimulatedNetwork(a, b, faults, RandomSource.seeded(seeds.nextLong()));
    }

    private static StackConfig stackConfig(Ipv4Address address, TcpConfig tcp, RandomSource random) {
        return new StackConfig(List.of(address), DEFAULT_MTU, ChecksumPolicy.VERIFY, tcp, PooledByteBufAllocator.DEFAULT,
                random, null, ConnectionObserver.NONE, 32768, 60999, io.usertcp.core.Shard.ONLY);
    }

    public TcpStack a() {
        return a;
    }

    public TcpStack b() {
        return b;
    }

    /** The current virtual time: pass it to every user call on the stacks. */
    public long nowNanos() {
        return nowNanos;
    }

    /** Sees every packet lost or delivered from now on. */
    public void setTap(PacketTap tap) {
        this.tap = tap == null ? PacketTap.NONE : tap;
    }

    /**
     * Puts {@code bottleneck} on both directions (each with its own queue), or removes it with
     * {@code null}; set it before traffic starts. Without one the wire has unlimited rate.
     */
    public void setBottleneck(Bottleneck bottleneck) {
        setBottleneck(Direction.A_TO_B, bottleneck);
        setBottleneck(Direction.B_TO_A, bottleneck);
    }

    /** Puts {@code bottleneck} on one direction, or removes it with {@code null}. */
    public void setBottleneck(Direction direction, Bottleneck bottleneck) {
        bottlenecks[direction.ordinal()] = bottleneck;
        linkFreeAtNanos[direction.ordinal()] = nowNanos;
    }

    // =====================================================================================
    // Driving
    // =====================================================================================

    /** Processes every event of the next {@code durationNanos}, then sets the clock to its end. */
    public void runFor(long durationNanos) {
        if (durationNanos < 0) {
            throw new IllegalArgumentException("duration: " + durationNanos + " ns (expected: >= 0)");
        }
        run(nowNanos + durationNanos, () -> false);
    }

    /**
     * Processes events until {@code condition} holds (checked after each event) or
     * {@code maxNanos} of virtual time have passed.
     *
     * @return whether the condition holds
     */
    public boolean runUntil(BooleanSupplier condition, long maxNanos) {
        return run(nowNanos + maxNanos, condition);
    }

    /**
     * Runs until nothing is in flight, nothing waits to be sent and neither stack has a timer
     * armed (every connection and TIME-WAIT entry gone, or idle without timers), at most
     * {@code maxNanos}.
     *
     * @return whether the network went idle
     */
    public boolean runUntilIdle(long maxNanos) {
        return runUntil(this::isIdle, maxNanos);
    }

    /** Nothing in flight, nothing to send, no timer armed in either stack. */
    public boolean isIdle() {
        return queue.isEmpty() && !a.hasPendingOutput() && !b.hasPendingOutput()
                && a.nextDeadlineNanos() == Long.MAX_VALUE && b.nextDeadlineNanos() == Long.MAX_VALUE;
    }

    /** Lets both stacks send what user calls or the last event produced. */
    public void flush() {
        checkOpen();
        a.pollTransmit(nowNanos, endA);
        b.pollTransmit(nowNanos, endB);
    }

    private boolean run(long targetNanos, BooleanSupplier condition) {
        flush();
        while (!condition.getAsBoolean()) {
            long next = nextEventNanos();
            if (next > targetNanos) {
                nowNanos = Math.max(nowNanos, targetNanos);
                return condition.getAsBoolean();
            }
            nowNanos = Math.max(nowNanos, next);
            step();
            flush();
        }
        return true;
    }

    /** The earliest of the next delivery and both stacks' next deadline; {@code Long.MAX_VALUE} when none. */
    public long nextEventNanos() {
        long next = queue.isEmpty() ? Long.MAX_VALUE : queue.peek().deliverAtNanos;
        return Math.min(next, Math.min(a.nextDeadlineNanos(), b.nextDeadlineNanos()));
    }

    /** One event at {@link #nowNanos}: a delivery first, else A's timers, else B's. */
    private void step() {
        countStep();
        InFlight head = queue.peek();
        if (head != null && head.deliverAtNanos <= nowNanos) {
            deliver(queue.poll());
        } else if (a.nextDeadlineNanos() <= nowNanos) {
            a.onTimeout(nowNanos);
        } else {
            b.onTimeout(nowNanos);
        }
    }

    private void countStep() {
        if (++steps > maxSteps) {
            throw new LivelockException("no end after " + maxSteps + " events (virtual time "
                    + (nowNanos - startNanos) / 1e9 + " s): livelock?\n" + recent.format());
        }
        if (nowNanos != instantNanos) {
            instantNanos = nowNanos;
            stepsThisInstant = 0;
        }
        if (++stepsThisInstant > MAX_STEPS_PER_INSTANT) {
            throw new LivelockException(MAX_STEPS_PER_INSTANT + " events without virtual time moving (at "
                    + (nowNanos - startNanos) / 1e9 + " s; deadlines A " + a.nextDeadlineNanos() + ", B "
                    + b.nextDeadlineNanos() + "): livelock\n" + recent.format());
        }
    }

    private void deliver(InFlight f) {
        delivered++;
        try {
            tap.packet(nowNanos, f.direction, f.fate, f.packet);
        } catch (RuntimeException | Error e) {
            f.packet.release(); // a failing tap must not leak the packet it was shown
            throw e;
        }
        TcpStack to = f.direction == Direction.A_TO_B ? b : a;
        to.receive(nowNanos, f.packet); // ownership moves to the stack
    }

    // =====================================================================================
    // Transmission: the fault model
    // =====================================================================================

    /** One end of the wire: what a stack transmits here enters the network in one direction. */
    private final class End implements Link {
        private final Direction direction;

        End(Direction direction) {
            this.direction = direction;
        }

        /** Always null: the network delivers straight into the other stack's {@code receive}. */
        @Override
        public ByteBuf receive() {
            return null;
        }

        @Override
        public void transmit(ByteBuf packet) {
            submit(direction, packet);
        }

        @Override
        public int mtu() {
            return mtu;
        }
    }

    /**
     * Decides a packet's fate. Its bytes are copied once, into the ring of recent packets, and
     * everything else (the control-segment test, the trace hash) reads that copy: under Netty's
     * paranoid leak detection every access to a pooled buffer records a stack trace.
     */
    private void submit(Direction direction, ByteBuf packet) {
        transmitted++;
        if (closed) {
            packet.release();
            return;
        }
        FaultProfile faults = direction == Direction.A_TO_B ? aToB : bToA;
        ByteBuf copy = recent.copyOf(packet);
        PacketFate fate;
        if (packet.readableBytes() > mtu) {
            tooBig++;
            fate = PacketFate.TOO_BIG;
        } else if (chance(faults.lossProbability()) && (!faults.lossControlOnly() || isControl(copy))) {
            lost++;
            fate = PacketFate.LOST;
        } else if (!enqueue(direction, packet.readableBytes())) {
            queueDrops++;
            fate = PacketFate.QUEUE_FULL;
        } else {
            fate = PacketFate.DELIVERED;
        }
        hashEvent(direction, fate, copy);
        if (fate != PacketFate.DELIVERED) {
            recent.commit(nowNanos - startNanos, direction, " " + fate.name());
            try {
                tap.packet(nowNanos, direction, fate, packet);
            } finally {
                packet.release();
            }
            return;
        }
        ByteBuf duplicate = chance(faults.duplicateProbability()) ? packet.retainedDuplicate() : null;
        boolean firstCorrupted = schedule(direction, faults, packet, PacketFate.DELIVERED);
        String label = firstCorrupted ? " CORRUPTED" : "";
        if (duplicate != null) {
            duplicated++;
            boolean secondCorrupted = schedule(direction, faults, duplicate, PacketFate.DELIVERED_DUPLICATE);
            label = firstCorrupted ? (secondCorrupted ? " CORRUPTED +DUPLICATE CORRUPTED" : " CORRUPTED +DUPLICATE")
                    : (secondCorrupted ? " +DUPLICATE CORRUPTED" : " +DUPLICATE");
        }
        recent.commit(nowNanos - startNanos, direction, label);
    }

    /**
     * Passes a packet of {@code bytes} through the direction's bottleneck, if it has one: false when
     * the queue ahead of it holds more than the bottleneck's queue (drop-tail), else it takes its
     * turn on the link. No bottleneck: always true, and the packet leaves at once.
     */
    private boolean enqueue(Direction direction, int bytes) {
        int d = direction.ordinal();
        Bottleneck b = bottlenecks[d];
        if (b == null) {
            linkFreeAtNanos[d] = nowNanos;
            return true;
        }
        long waitNanos = Math.max(0, linkFreeAtNanos[d] - nowNanos);
        if (waitNanos > b.queueNanos()) {
            return false;
        }
        linkFreeAtNanos[d] = nowNanos + waitNanos + b.serializationNanos(bytes);
        return true;
    }

    /** Queues one copy, perhaps damaged; returns whether it was. */
    private boolean schedule(Direction direction, FaultProfile faults, ByteBuf packet, PacketFate fate) {
        if (chance(faults.corruptProbability()) && packet.isReadable()) {
            ByteBuf damaged = packet.copy(); // never flip a bit in bytes a duplicate shares
            packet.release();
            packet = damaged;
            int index = random.nextInt(packet.readableBytes());
            int bit = random.nextInt(8);
            packet.setByte(packet.readerIndex() + index, packet.getByte(packet.readerIndex() + index) ^ (1 << bit));
            traceHash = mix(traceHash, ((long) index << 3) | bit);
            fate = PacketFate.DELIVERED_CORRUPTED;
            corrupted++;
        }
        long jitter = faults.jitterNanos() == 0 ? 0 : Long.remainderUnsigned(random.nextLong(), faults.jitterNanos() + 1);
        // The copy leaves the bottleneck (now, without one) and then propagates.
        long deliverAt = linkFreeAtNanos[direction.ordinal()] + faults.delayNanos() + jitter;
        traceHash = mix(traceHash, deliverAt);
        queue.add(new InFlight(deliverAt, sendOrder++, direction, fate, packet));
        return fate == PacketFate.DELIVERED_CORRUPTED;
    }

    /** SYN, FIN or RST set, or no payload: the segments {@link FaultProfile#lossControlOnly()} may lose. */
    private boolean isControl(ByteBuf packet) {
        classifyIp.wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (classifyIp.check() != null || classifyIp.protocol() != Ipv4PacketView.PROTOCOL_TCP) {
            return true;
        }
        classifyTcp.wrap(classifyIp);
        if (classifyTcp.check() != null) {
            return true;
        }
        return (classifyTcp.flags() & (TcpFlags.SYN | TcpFlags.FIN | TcpFlags.RST)) != 0 || classifyTcp.payloadLength() == 0;
    }

    /** True with probability {@code p}; draws nothing when {@code p} is 0. */
    private boolean chance(double p) {
        if (p <= 0) {
            return false;
        }
        return (random.nextLong() >>> 11) * 0x1.0p-53 < p;
    }

    /** One packet waiting for its delivery time. Ordered by time, then by the order it was sent. */
    private static final class InFlight implements Comparable<InFlight> {
        final long deliverAtNanos;
        final long order;
        final Direction direction;
        final PacketFate fate;
        final ByteBuf packet;

        InFlight(long deliverAtNanos, long order, Direction direction, PacketFate fate, ByteBuf packet) {
            this.deliverAtNanos = deliverAtNanos;
            this.order = order;
            this.direction = direction;
            this.fate = fate;
            this.packet = packet;
        }

        @Override
        public int compareTo(InFlight o) {
            int byTime = Long.compare(deliverAtNanos, o.deliverAtNanos);
            return byTime != 0 ? byTime : Long.compare(order, o.order);
        }
    }

    // =====================================================================================
    // Observation
    // =====================================================================================

    /**
     * A fingerprint of the run so far: every loss and delivery with its time, direction, fate and
     * bytes. Two runs with the same seeds and the same user calls give the same value.
     */
    public long traceHash() {
        return traceHash;
    }

    /** @param copy the ring's copy of the packet (an unpooled heap buffer, cheap to read) */
    private void hashEvent(Direction direction, PacketFate fate, ByteBuf copy) {
        long h = mix(traceHash, nowNanos);
        h = mix(h, ((long) direction.ordinal() << 8) | fate.ordinal());
        int i = copy.readerIndex();
        int end = copy.writerIndex();
        for (; i + 8 <= end; i += 8) {
            h = mix(h, copy.getLong(i));
        }
        for (; i < end; i++) {
            h = mix(h, copy.getByte(i));
        }
        traceHash = h;
    }

    private static long mix(long h, long v) {
        h = (h ^ v) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 32);
    }

    public NetworkCounters counters() {
        return new NetworkCounters(transmitted, lost, tooBig, duplicated, corrupted, delivered, queue.size(), steps,
                queueDrops);
    }

    /** Packets in flight now. */
    public int inFlight() {
        return queue.size();
    }

    /** The last packets sent into the network, one tcpdump line each with their fate, oldest first. */
    public String recentPackets() {
        return recent.format();
    }

    /** Releases every packet still in flight and closes both stacks. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        InFlight f;
        while ((f = queue.poll()) != null) {
            f.packet.release();
        }
        a.close(nowNanos);
        b.close(nowNanos);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the simulated network is closed");
        }
    }
}
