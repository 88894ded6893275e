package io.usertcp.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionHandler;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.testkit.TimerExpiryCheck;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A bulk transfer between the two stacks of a {@link SimulatedNetwork}, all in virtual time: one
 * connection from A to a listener on B, {@link Spec#bytesAtoB()} sent by A and
 * {@link Spec#bytesBtoA()} by B at the same time over that one connection, each a deterministic
 * pseudo-random stream drawn from the seed. Each application reads as data arrives (it wakes on
 * every readable, writable, established or closed callback, right after the event that caused
 * it), shuts its sending side down once everything is queued, and closes once it has read the
 * peer's end of stream. The run then continues until TIME-WAIT and every timer are over.
 *
 * <p>What the run produced is a {@link Result}: SHA-256 of each stream as sent and as read, both
 * connections' end states and {@link CloseReason}s, what the stacks' tables still hold, the network
 * counters, both stacks' counters, when each reader read its last byte, the bytes the allocator
 * still holds, and a digest of the whole run ({@link Result#runDigest()}). The caller asserts;
 * the driver only refuses to run forever: a run past its virtual-time or event budget fails with
 * an {@link AssertionError} that shows both connections, the counters and the last packets.
 */
final class BulkTransfer {
    static final long MILLI = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final long MIB = 1L << 20;
    static final int PORT = 5001;
    /** The applications write in chunks of this size and read into a buffer of this size. */
    private static final int CHUNK_BYTES = 64 * 1024;

    /**
     * What to run.
     *
     * @param tcp             both stacks' TCP configuration (congestion control included)
     * @param aToB            faults from A to B
     * @param bToA            faults from B to A
     * @param bottleneck      rate limit and queue on each direction, or null for none
     * @param seed            seeds the stacks (ISNs, ports, IP ids), the network's faults and the data
     * @param bytesAtoB       bytes A sends (0: A only receives)
     * @param bytesBtoA       bytes B sends
     * @param maxVirtualNanos virtual time allowed for the data, the closes and TIME-WAIT together
     * @param maxSteps        network events (deliveries and timer firings) allowed over the run
     * @param pooled          stacks allocate from {@link PooledByteBufAllocator#DEFAULT}, whose
     *                        buffers Netty's leak detector tracks (at paranoid, a stack trace per
     *                        access: slow); otherwise from a fresh unpooled heap allocator that
     *                        counts the bytes it hands out, so {@link Result#bytesLeftAllocated()}
     *                        is exact
     */
    record Spec(TcpConfig tcp, FaultProfile aToB, FaultProfile bToA, Bottleneck bottleneck, long seed,
                long bytesAtoB, long bytesBtoA, long maxVirtualNanos, long maxSteps, boolean pooled) {
        Spec {
            if (tcp == null || aToB == null || bToA == null) {
                throw new IllegalArgumentException("tcp and fault profiles must not be null");
            }
            if (bytesAtoB < 0 || bytesBtoA < 0 || maxVirtualNanos <= 0 || maxSteps <= 0) {
                throw new IllegalArgumentException("bytes " + bytesAtoB + "/" + bytesBtoA + ", budget "
                        + maxVirtualNanos + " ns / " + maxSteps + " steps (expected: bytes >= 0, budgets > 0)");
            }
        }

        /** {@code bytes} each way, the same faults both ways, no bottleneck, counted unpooled buffers. */
        static Spec bothWays(TcpConfig tcp, FaultProfile faults, long seed, long bytes, long maxVirtualNanos, long maxSteps) {
            return new Spec(tcp, faults, faults, null, seed, bytes, bytes, maxVirtualNanos, maxSteps, false);
        }

        Spec withSeed(long s) {
            return new Spec(tcp, aToB, bToA, bottleneck, s, bytesAtoB, bytesBtoA, maxVirtualNanos, maxSteps, pooled);
        }

        Spec withPooledBuffers() {
            return new Spec(tcp, aToB, bToA, bottleneck, seed, bytesAtoB, bytesBtoA, maxVirtualNanos, maxSteps, true);
        }
    }

    /**
     * What a run left behind.
     *
     * @param sentAtoB          SHA-256 of the bytes A queued, hex
     * @param receivedAtoB      SHA-256 of the bytes B read, hex
     * @param receivedBytesAtoB bytes B read
     * @param doneAtoBNanos     virtual time from A's handshake completing to B reading the last
     *                          byte A sent (B sees the end of stream)
     * @param stateA            A's connection at the end (TIME-WAIT or CLOSED for an orderly close)
     * @param reasonA           why it ended
     * @param connectionsLeft   connections still in both stacks' tables at the end
     * @param timeWaitLeft      TIME-WAIT entries left in both stacks at the end
     * @param network           the network's counters at the end
     * @param statsA            A's nstat-style counters
     * @param drops             packets both stacks dropped at input, any {@code DropReason}
     * @param reordered         packets delivered after one sent later in the same direction
     * @param endNanos          virtual time the run ended, from the network's start
     * @param bytesLeftAllocated bytes the counted allocator still held after everything was closed
     *                          (0: no leak), or -1 for pooled buffers (the leak detector checks those)
     * @param runDigest         SHA-256 over every packet's time, direction, fate and length in the
     *                          order the network handled them, the network's own trace hash (which
     *                          covers every packet's bytes and delivery time) and every field above
     */
    record Result(String sentAtoB, String receivedAtoB, long receivedBytesAtoB, long doneAtoBNanos,
                  String sentBtoA, String receivedBtoA, long receivedBytesBtoA, long doneBtoANanos,
                  TcpState stateA, CloseReason reasonA, TcpState stateB, CloseReason reasonB,
                  int connectionsLeft, int timeWaitLeft, NetworkCounters network,
                  Map<String, Long> statsA, Map<String, Long> statsB, long drops, long reordered,
                  long endNanos, long bytesLeftAllocated, String runDigest) {

        /** Goodput from A to B in bits per second of virtual time (handshake excluded). */
        double goodputAtoBBitsPerSecond() {
            return receivedBytesAtoB * 8.0 * SECOND / doneAtoBNanos;
        }

        long retransmitted() {
            return statsA.getOrDefault("TcpRetransSegs", 0L) + statsB.getOrDefault("TcpRetransSegs", 0L);
        }

        /** One line for logs. */
        String summary() {
            return String.format(Locale.ROOT, "A>B %d B in %.3f s (%.2f Mbit/s), B>A %d B in %.3f s, end %.1f s, A %s %s,"
                            + " B %s %s, retransmitted %d, drops %d, reordered %d, %s", receivedBytesAtoB, doneAtoBNanos / 1e9,
                    goodputAtoBBitsPerSecond() / 1e6, receivedBytesBtoA, doneBtoANanos / 1e9, endNanos / 1e9,
                    stateA, reasonA, stateB, reasonB, retransmitted(), drops, reordered, network);
        }
    }

    private final Spec spec;
    private final ByteBufAllocator allocator;
    private final SimulatedNetwork net;
    private final TcpListener listener;
    private final MessageDigest packetDigest = sha256();
    private final ByteBuffer packetRecord = ByteBuffer.allocate(Long.BYTES + 2 + Integer.BYTES);
    /** Per direction, the IP identification of the last packet delivered (-1: none yet). */
    private final int[] lastIpId = {-1, -1};
    private final long deadlineNanos;
    private long reordered;
    private Endpoint a;
    private Endpoint b;
    /** Set by the stacks' callbacks: the applications have something to do. */
    private boolean wake;

    private BulkTransfer(Spec spec) {
        this.spec = spec;
        this.allocator = spec.pooled() ? PooledByteBufAllocator.DEFAULT : new UnpooledByteBufAllocator(false, true);
        this.net = network(spec, allocator);
        this.deadlineNanos = net.nowNanos() + spec.maxVirtualNanos();
        net.setTap(this::recordPacket);
        if (spec.bottleneck() != null) {
            net.setBottleneck(spec.bottleneck());
        }
        this.listener = net.b().listen(net.nowNanos(), PORT, 1);
        listener.setOnAcceptable(() -> wake = true);
    }

    /** Runs {@code spec} to the end (TIME-WAIT over) and returns what happened; the caller asserts on it. */
    static Result run(Spec spec) {
        BulkTransfer t = new BulkTransfer(spec);
        Result r;
        try {
            r = t.run();
        } finally {
            t.release();
        }
        return t.withBytesLeft(r);
    }

    /**
     * Both stacks as {@link SimulatedNetwork#between} builds them (same seeding), with the spec's
     * allocator, per-direction faults and step cap.
     */
    private static SimulatedNetwork network(Spec spec, ByteBufAllocator allocator) {
        RandomSource seeds = RandomSource.seeded(spec.seed());
        // Every run also checks that no connection's timers storm (io.usertcp.testkit.TimerExpiryCheck).
        TcpStack a = new TcpStack(TimerExpiryCheck.install(stackConfig(SimulatedNetwork.ADDRESS_A, spec, allocator, RandomSource.seeded(seeds.nextLong()))));
        TcpStack b = new TcpStack(TimerExpiryCheck.install(stackConfig(SimulatedNetwork.ADDRESS_B, spec, allocator, RandomSource.seeded(seeds.nextLong()))));
        return new SimulatedNetwork(a, b, spec.aToB(), spec.bToA(), RandomSource.seeded(seeds.nextLong()),
                SimulatedNetwork.START_NANOS, SimulatedNetwork.DEFAULT_MTU, spec.maxSteps());
    }

    private static StackConfig stackConfig(Ipv4Address address, Spec spec, ByteBufAllocator allocator, RandomSource random) {
        return new StackConfig(List.of(address), SimulatedNetwork.DEFAULT_MTU, ChecksumPolicy.VERIFY, spec.tcp(),
                allocator, random, null, ConnectionObserver.NONE, 32768, 60999, io.usertcp.core.Shard.ONLY);
    }

    private Result run() {
        TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
        SplittableRandom data = new SplittableRandom(spec.seed() ^ 0x9E3779B97F4A7C15L);
        a = new Endpoint("A", client, new Source(spec.bytesAtoB(), data.split()));
        Source serverData = new Source(spec.bytesBtoA(), data.split());
        while (b == null || !a.finished() || !b.finished()) {
            advance();
            if (b == null) {
                TcpConnection accepted = listener.accept();
                if (accepted != null) {
                    b = new Endpoint("B", accepted, serverData);
                }
            }
            long now = net.nowNanos();
            a.act(now);
            if (b != null) {
                b.act(now);
            }
        }
        // Both applications are done; TIME-WAIT (60 s in Linux's profile) and any retransmission
        // still pending run out in virtual time.
        boolean idle;
        try {
            idle = net.runUntilIdle(deadlineNanos - net.nowNanos());
        } catch (LivelockException e) {
            throw stalled("step budget exhausted after both applications closed (" + firstLine(e) + ")");
        }
        if (!idle) {
            throw stalled("the stacks never went idle after both applications closed");
        }
        return result();
    }

    /** Runs the network until a callback wakes the applications; fails past the budgets. */
    private void advance() {
        wake = false;
        boolean woke;
        try {
            woke = net.runUntil(() -> wake, deadlineNanos - net.nowNanos());
        } catch (LivelockException e) {
            throw stalled("step budget of " + spec.maxSteps() + " events exhausted (" + firstLine(e) + ")");
        }
        if (!woke) {
            throw stalled(net.nextEventNanos() == Long.MAX_VALUE ? "nothing left to happen (no packet, no timer)"
                    : "virtual-time budget of " + spec.maxVirtualNanos() / SECOND + " s exhausted");
        }
    }

    private static String firstLine(RuntimeException e) {
        return e.getMessage().lines().findFirst().orElse("");
    }

    private AssertionError stalled(String why) {
        long now = net.nowNanos();
        StringBuilder sb = new StringBuilder("bulk transfer stalled: ").append(why)
                .append(String.format(Locale.ROOT, " at %.3f s virtual (seed %d)%n", (now - SimulatedNetwork.START_NANOS) / 1e9, spec.seed()));
        sb.append("A ").append(a == null ? "-" : a.describe(now)).append('\n');
        sb.append("B ").append(b == null ? "(not accepted; " + listener + ")" : b.describe(now)).append('\n');
        sb.append("network ").append(net.counters()).append('\n');
        sb.append("stats A ").append(net.a().stats().snapshot()).append('\n');
        sb.append("stats B ").append(net.b().stats().snapshot()).append('\n');
        sb.append("last packets:\n").append(net.recentPackets());
        return new AssertionError(sb.toString());
    }

    private Result result() {
        long drops = 0;
        for (TcpStack s : new TcpStack[] {net.a(), net.b()}) {
            for (long d : s.stats().dropCounts().values()) {
                drops += d;
            }
        }
        NetworkCounters counters = net.counters();
        Map<String, Long> statsA = net.a().stats().snapshot();
        Map<String, Long> statsB = net.b().stats().snapshot();
        long end = net.nowNanos() - SimulatedNetwork.START_NANOS;
        String everything = String.join("|", a.source.hex(), b.sink.hex(), b.source.hex(), a.sink.hex(),
                Long.toString(a.doneNanos), Long.toString(b.doneNanos), String.valueOf(a.c.state()), String.valueOf(b.c.state()),
                String.valueOf(a.c.closeReason()), String.valueOf(b.c.closeReason()), counters.toString(),
                statsA.toString(), statsB.toString(), Long.toString(drops), Long.toString(reordered), Long.toString(end),
                Long.toHexString(net.traceHash()));
        packetDigest.update(everything.getBytes(StandardCharsets.UTF_8));
        return new Result(a.source.hex(), b.sink.hex(), b.sink.bytes, b.doneNanos - a.establishedNanos,
                b.source.hex(), a.sink.hex(), a.sink.bytes, a.doneNanos - a.establishedNanos,
                a.c.state(), a.c.closeReason(), b.c.state(), b.c.closeReason(),
                net.a().connectionCount() + net.b().connectionCount(), net.a().timeWaitCount() + net.b().timeWaitCount(),
                counters, statsA, statsB, drops, reordered, end, -1, HexFormat.of().formatHex(packetDigest.digest()));
    }

    /** The result with what the counted allocator still holds now that everything is closed. */
    private Result withBytesLeft(Result r) {
        if (!(allocator instanceof UnpooledByteBufAllocator counted)) {
            return r;
        }
        long left = counted.metric().usedHeapMemory() + counted.metric().usedDirectMemory();
        return new Result(r.sentAtoB(), r.receivedAtoB(), r.receivedBytesAtoB(), r.doneAtoBNanos(), r.sentBtoA(),
                r.receivedBtoA(), r.receivedBytesBtoA(), r.doneBtoANanos(), r.stateA(), r.reasonA(), r.stateB(),
                r.reasonB(), r.connectionsLeft(), r.timeWaitLeft(), r.network(), r.statsA(), r.statsB(), r.drops(),
                r.reordered(), r.endNanos(), left, r.runDigest());
    }

    /**
     * The tap: feeds every packet's time, direction, fate and length to the run digest, and counts
     * deliveries that overtook an earlier packet (by IP identification, which each stack increments
     * per packet; a duplicate repeats its original's and is not counted).
     */
    private void recordPacket(long nowNanos, Direction direction, PacketFate fate, ByteBuf packet) {
        packetRecord.clear();
        packetRecord.putLong(nowNanos).put((byte) direction.ordinal()).put((byte) fate.ordinal()).putInt(packet.readableBytes());
        packetDigest.update(packetRecord.array(), 0, packetRecord.position());
        if (fate == PacketFate.DELIVERED || fate == PacketFate.DELIVERED_DUPLICATE) {
            int id = packet.getUnsignedShort(packet.readerIndex() + 4);
            int last = lastIpId[direction.ordinal()];
            if (last >= 0 && (short) (id - last) < 0) {
                reordered++;
            } else {
                lastIpId[direction.ordinal()] = id;
            }
        }
    }

    private void release() {
        try {
            listener.close(net.nowNanos());
            for (Endpoint e : new Endpoint[] {a, b}) {
                if (e != null) {
                    e.c.close(net.nowNanos()); // frees whatever the connection still holds
                    e.source.release();
                }
            }
        } finally {
            net.close();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** One side's application: writes its stream, reads the peer's, closes at the end. */
    private final class Endpoint implements ConnectionHandler {
        final String name;
        final TcpConnection c;
        final Source source;
        final Sink sink = new Sink();
        final ByteBuf readBuffer = Unpooled.wrappedBuffer(new byte[CHUNK_BYTES]);
        boolean shutDown;
        boolean closeCalled;
        long establishedNanos = -1;
        /** When the peer's end of stream was read (every byte before it read), absolute virtual time. */
        long doneNanos = -1;

        Endpoint(String name, TcpConnection c, Source source) {
            this.name = name;
            this.c = c;
            this.source = source;
            c.setHandler(this);
            if (c.state().isSynchronized()) {
                establishedNanos = net.nowNanos();
            }
        }

        boolean finished() {
            return closeCalled;
        }

        /** One wake-up: read everything readable, queue what fits, shut down and close when due. */
        void act(long now) {
            if (closeCalled) {
                return;
            }
            if (establishedNanos < 0 && c.state().isSynchronized()) {
                establishedNanos = now;
            }
            read(now);
            if (c.isClosed() && c.closeReason() != CloseReason.NORMAL) {
                throw stalled(name + "'s connection ended with " + c.closeReason() + " before the application closed it");
            }
            write(now);
            if (doneNanos >= 0 && shutDown) {
                c.close(now); // every byte read and our FIN queued: the orderly close
                closeCalled = true;
            }
        }

        private void read(long now) {
            while (doneNanos < 0) {
                readBuffer.clear();
                int n = c.read(now, readBuffer);
                if (n < 0) {
                    doneNanos = now;
                } else if (n == 0) {
                    return;
                } else {
                    sink.accept(readBuffer.array(), n);
                }
            }
        }

        private void write(long now) {
            if (shutDown || !c.state().canSend()) {
                return;
            }
            while ((source.remaining() > 0 || source.pending()) && c.sendSpace() > 0) {
                ByteBuf chunk = source.next();
                c.send(now, chunk);
                if (chunk.isReadable()) {
                    return; // the send buffer is full: onWritable wakes us
                }
            }
            if (source.remaining() == 0 && !source.pending()) {
                c.shutdownOutput(now); // half close: our FIN follows the data; we keep reading
                shutDown = true;
            }
        }

        String describe(long now) {
            return name + " queued " + (source.total - source.remaining() - source.pendingBytes()) + "/" + source.total
                    + " B, read " + sink.bytes + " B" + (doneNanos >= 0 ? " + EOF" : "") + (shutDown ? ", shut down" : "")
                    + (closeCalled ? ", closed" : "") + ": " + c.snapshot(now);
        }

        @Override
        public void onEstablished(TcpConnection connection, long nowNanos) {
            wake = true;
        }

        @Override
        public void onReadable(TcpConnection connection, long nowNanos) {
            wake = true;
        }

        @Override
        public void onWritable(TcpConnection connection, long nowNanos) {
            wake = true;
        }

        @Override
        public void onClosed(TcpConnection connection, CloseReason reason, long nowNanos) {
            wake = true;
        }
    }

    /**
     * A deterministic pseudo-random stream, handed out in chunks, hashed as generated. Each chunk is
     * a fresh buffer: {@link TcpConnection#send} keeps a retained slice of what it takes (no copy),
     * so the bytes of a buffer once passed to it must never be overwritten.
     */
    static final class Source {
        final long total;
        private final SplittableRandom random;
        private final MessageDigest digest = sha256();
        private ByteBuf chunk = Unpooled.EMPTY_BUFFER;
        private long generated;
        private String hex;

        Source(long total, SplittableRandom random) {
            this.total = total;
            this.random = random;
        }

        long remaining() {
            return total - generated;
        }

        boolean pending() {
            return chunk.isReadable();
        }

        int pendingBytes() {
            return chunk.readableBytes();
        }

        /** The chunk still being sent, or the next one; its reader index marks what is left of it. */
        ByteBuf next() {
            if (chunk.isReadable()) {
                return chunk;
            }
            chunk.release();
            int n = (int) Math.min(CHUNK_BYTES, remaining());
            byte[] bytes = new byte[n];
            for (int i = 0; i < n; i += 8) {
                long r = random.nextLong();
                for (int k = 0; k < 8 && i + k < n; k++) {
                    bytes[i + k] = (byte) (r >>> (8 * k));
                }
            }
            digest.update(bytes, 0, n);
            generated += n;
            // The application's memory, not the stack's: an unpooled heap buffer over the array.
            chunk = Unpooled.wrappedBuffer(bytes);
            return chunk;
        }

        void release() {
            chunk.release();
            chunk = Unpooled.EMPTY_BUFFER;
        }

        /** The hex SHA-256 of everything generated; ends the hashing (call once the stream is complete). */
        String hex() {
            if (hex == null) {
                hex = HexFormat.of().formatHex(digest.digest());
            }
            return hex;
        }
    }

    /** Hashes what a reader reads. */
    static final class Sink {
        private final MessageDigest digest = sha256();
        private String hex;
        long bytes;

        void accept(byte[] data, int length) {
            digest.update(data, 0, length);
            bytes += length;
        }

        /** The hex SHA-256 of everything read; ends the hashing (call once the stream is complete). */
        String hex() {
            if (hex == null) {
                hex = HexFormat.of().formatHex(digest.digest());
            }
            return hex;
        }
    }
}
