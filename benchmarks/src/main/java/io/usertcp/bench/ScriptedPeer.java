package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.link.InMemoryLink;
import io.usertcp.link.Link;
import io.usertcp.link.LinkOffloads;
import io.usertcp.link.SoftwareSegmentation;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.IsnGenerator;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real {@link TcpStack} under test at {@link #STACK_ADDRESS} and a scripted peer at
 * {@link #PEER_ADDRESS} (both in 198.18.0.0/15), joined by an {@link InMemoryLink} pair, on a
 * virtual clock: the stack-level benchmarks' fixture. The peer is not a second stack: it builds
 * its segments from the wire layer's value records ({@link #segment}) and throws away (releasing)
 * whatever the stack sends, so that a benchmark measures one stack and nothing else.
 *
 * <p>Everything is deterministic: seeded randomness, a fixed ISS ({@link #STACK_ISS}) and the
 * peer's fixed ISS ({@link #PEER_ISS}). Setup helpers ({@link #accept}, {@link #connect}) bring a
 * connection to ESTABLISHED by a real handshake and check every answer, so a benchmark can never
 * start from a state it did not mean. Nothing here does I/O.
 *
 * <p>Ownership: packets built by {@link #segment} belong to the caller; {@link #deliver} hands one
 * to the stack, which releases it. {@link #close()} closes the stack (releasing what it holds) and
 * everything still queued on the link.
 */
final class ScriptedPeer implements AutoCloseable {
    static final Ipv4Address STACK_ADDRESS = Ipv4Address.of("198.18.0.2");
    static final Ipv4Address PEER_ADDRESS = Ipv4Address.of("198.18.0.1");
    static final int STACK_ISS = 1_000_000;
    static final int PEER_ISS = 5_000_000;
    /** The peer's timestamp clock at virtual time 0 (any value; RFC 7323 clocks start anywhere). */
    static final int PEER_TS_BASE = 700_000;
    private static final long SEED = 42;
    /** Draws of {@link #untrackedDirectBuffer}: at 1 in 128 tracked, 16 leave a 10^-34 chance of failing. */
    private static final int UNTRACKED_ATTEMPTS = 16;
    private static final long MILLISECOND = 1_000_000L;

    final TcpStack stack;
    private final InMemoryLink stackEnd;
    /** Where the stack transmits: its end of the wire, with checksum offload when asked for. */
    private final Link stackLink;
    private final InMemoryLink peerEnd;
    private final Ipv4PacketView ipView = new Ipv4PacketView();
    private final TcpSegmentView tcpView = new TcpSegmentView();
    private long nowNanos;
    private long timeouts;

    /**
     * @param mtu the link MTU and the stack's: it sets the MSS the stack announces (MTU - 40)
     */
    ScriptedPeer(TcpConfig tcp, int mtu) {
        this(tcp, mtu, false);
    }

    /**
     * @param checksumOffload the trust-link path, as on a TUN link with the virtio-net offloads:
     *                        inbound checksums are not verified (the header vouched for them) and
     *                        outbound TCP checksums are left to the link (the pseudo-header sum only)
     */
    ScriptedPeer(TcpConfig tcp, int mtu, boolean checksumOffload) {
        InMemoryLink[] pair = InMemoryLink.pair(mtu);
        this.stackEnd = pair[0];
        this.peerEnd = pair[1];
        this.stackLink = checksumOffload ? new ChecksumOffloadLink(stackEnd) : stackEnd;
        this.stack = new TcpStack(StackConfig.of(STACK_ADDRESS, RandomSource.seeded(SEED)).withTcp(tcp).withMtu(mtu)
                .withIsn(IsnGenerator.fixed(STACK_ISS)).withAllocator(PooledByteBufAllocator.DEFAULT)
                .withObserver(ConnectionObserver.NONE)
                .withChecksumPolicy(checksumOffload ? ChecksumPolicy.TRUST_LINK : ChecksumPolicy.VERIFY));
    }

    /** A wire end that takes segments with their checksum left to it, and passes them on as they are (the peer never checks). */
    private record ChecksumOffloadLink(InMemoryLink end) implements Link {
        @Override public ByteBuf receive() { return end.receive(); }
        @Override public void transmit(ByteBuf packet) { end.transmit(packet); }
        @Override public void transmit(ByteBuf packet, int segmentSize) { end.transmit(packet); }
        @Override public int mtu() { return end.mtu(); }
        @Override public LinkOffloads offloads() { return new LinkOffloads(false, true, 0); }
    }

    long now() {
        return nowNanos;
    }

    /**
     * Moves virtual time forward and fires the stack's timers if one is due. Benchmarks keep
     * timers from firing (their deadlines lie far beyond the steps they take) and check
     * {@link #timeoutsFired()} in teardown.
     */
    void advance(long nanos) {
        nowNanos += nanos;
        if (stack.nextDeadlineNanos() <= nowNanos) {
            timeouts++;
            stack.onTimeout(nowNanos);
        }
    }

    long timeoutsFired() {
        return timeouts;
    }

    /** The peer's RFC 7323 timestamp clock: milliseconds of virtual time from {@link #PEER_TS_BASE}. */
    int peerTsVal() {
        return PEER_TS_BASE + (int) (nowNanos / MILLISECOND);
    }

    /** The stack's timestamp clock given the value it sent at {@code sentAtNanos}: a millisecond clock with an offset. */
    static int stackTsAt(int tsValSent, long sentAtNanos, long atNanos) {
        return tsValSent + (int) (atNanos / MILLISECOND - sentAtNanos / MILLISECOND);
    }

    StackStats stats() {
        return stack.stats();
    }

    // ------------------------------------------------------------------------------------
    // Packets
    // ------------------------------------------------------------------------------------

    /**
     * A peer datagram with both checksums filled: {@code payloadLength} bytes of a fixed pattern
     * after the headers, in a pooled direct buffer as a TUN read delivers it (DESIGN.md §6).
     *
     * @return a new buffer owned by the caller
     */
    static ByteBuf segment(int peerAddress, int peerPort, int stackPort, int seq, int ack, int flags, int window,
                           TcpOptions options, int payloadLength) {
        TcpHeader tcp = TcpHeader.of(peerPort, stackPort, seq, ack, flags, window, options);
        Ipv4Header ip = Ipv4Header.of(new Ipv4Address(peerAddress), STACK_ADDRESS, Ipv4PacketView.PROTOCOL_TCP,
                tcp.headerLength() + payloadLength, 64, 0);
        int total = ip.totalLength();
        ByteBuf packet = untrackedDirectBuffer(total);
        packet.writerIndex(total);
        Ipv4PacketView ipView = new Ipv4PacketView().wrap(packet, 0, total);
        int ipHeader = ip.emit(ipView);
        TcpSegmentView tcpView = new TcpSegmentView().wrap(packet, ipHeader, total - ipHeader);
        int tcpHeader = tcp.emit(tcpView);
        for (int i = 0; i < payloadLength; i++) {
            packet.setByte(ipHeader + tcpHeader + i, 'a' + i % 26);
        }
        tcpView.fillChecksum(peerAddress, STACK_ADDRESS.bits());
        return packet;
    }

    /**
     * A pooled direct buffer that Netty's leak detector did not pick for tracking. At its default
     * level (SIMPLE) Netty wraps about 1 in 128 new buffers in a leak-aware wrapper, whose
     * {@code retainedSlice} allocates; the stack meets that on 1 in 128 fresh packets, but a
     * benchmark reuses its few packets for millions of ops, so one tracked packet would turn a rare
     * cost into a constant one (seen: 24 B/op or 137 B/op from run to run). Buffers picked for
     * tracking are released and drawn again, a bounded number of times; at the ADVANCED and
     * PARANOID levels (the tests) every buffer is tracked, and the last one is returned as is.
     *
     * @return a new buffer of exactly {@code capacity} bytes, owned by the caller
     */
    static ByteBuf untrackedDirectBuffer(int capacity) {
        for (int attempt = 1; ; attempt++) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
            // A leak-aware wrapper answers unwrap() with the buffer it tracks; a plain pooled buffer with null.
            if (buf.unwrap() == null || attempt == UNTRACKED_ATTEMPTS) {
                return buf;
            }
            buf.release();
        }
    }

    /** The options of a Linux SYN: {@code mss, sackOK, TS, nop, wscale} (the order does not matter to the stack). */
    static TcpOptions linuxSynOptions(int mss, int windowShift, int tsVal) {
        return TcpOptions.of(new TcpOption.Mss(mss), new TcpOption.SackPermitted(),
                new TcpOption.Timestamps(tsVal, 0), new TcpOption.Nop(), new TcpOption.WindowScale(windowShift));
    }

    /** {@code nop,nop,TS}: what Linux puts on every segment of a connection with timestamps. */
    static TcpOptions timestamps(int tsVal, int tsEcr) {
        return TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(tsVal, tsEcr));
    }

    /**
     * Hands a datagram to the stack at the current virtual time.
     *
     * @param packet ownership moves to the stack
     */
    void deliver(ByteBuf packet) {
        stack.receive(nowNanos, packet);
    }

    /**
     * Lets the stack send what it owes and drops all of it at the peer.
     *
     * @return the number of datagrams the peer received
     */
    int transmitAndDiscard() {
        stack.pollTransmit(nowNanos, stackLink);
        int received = 0;
        ByteBuf packet;
        while ((packet = peerEnd.receive()) != null) {
            packet.release();
            received++;
        }
        return received;
    }

    /** What the stack sent, decoded (setup only: this allocates). */
    record Sent(Ipv4Header ip, TcpHeader tcp, int payloadLength) { }

    /** Lets the stack send what it owes and decodes all of it (setup and checks only). */
    List<Sent> transmitAndDecode() {
        stack.pollTransmit(nowNanos, stackLink);
        List<Sent> out = new ArrayList<>();
        ByteBuf packet;
        while ((packet = peerEnd.receive()) != null) {
            try {
                ipView.wrap(packet, packet.readerIndex(), packet.readableBytes());
                tcpView.wrap(ipView);
                boolean checksum = stackLink == stackEnd
                        ? tcpView.checksumValid(ipView.sourceAddress(), ipView.destinationAddress())
                        : SoftwareSegmentation.holdsPseudoHeaderSum(packet); // left to the link, as the offload asks
                expect(ipView.check() == null && tcpView.check() == null && checksum, "the stack sent a malformed segment");
                out.add(new Sent(Ipv4Header.parse(ipView), TcpHeader.parse(tcpView), tcpView.payloadLength()));
            } finally {
                packet.release();
            }
        }
        return out;
    }

    /** The one segment the stack sends now; fails unless it sends exactly one. */
    Sent expectOne(String what) {
        List<Sent> sent = transmitAndDecode();
        expect(sent.size() == 1, what + ": the stack sent " + sent.size() + " segments (expected: 1): " + sent);
        return sent.get(0);
    }

    // ------------------------------------------------------------------------------------
    // Handshakes (setup): each step checked
    // ------------------------------------------------------------------------------------

    /**
     * A passive open by a Linux-like peer at {@code peerAddress:peerPort}: SYN with
     * {@code mss, sackOK, TS, wscale}, the stack's SYN-ACK, the peer's ACK; then accepted.
     *
     * @param timestamps whether the peer offers timestamps (then the final ACK carries them)
     * @return the accepted connection, ESTABLISHED
     */
    TcpConnection accept(TcpListener listener, int peerAddress, int peerPort, int peerMss, int peerWindowShift,
                         boolean timestamps) {
        TcpOptions synOptions = timestamps ? linuxSynOptions(peerMss, peerWindowShift, peerTsVal())
                : TcpOptions.of(new TcpOption.Mss(peerMss), new TcpOption.SackPermitted(),
                        new TcpOption.Nop(), new TcpOption.WindowScale(peerWindowShift));
        deliver(segment(peerAddress, peerPort, listener.port(), PEER_ISS, 0, TcpFlags.SYN, 65535, synOptions, 0));
        Sent synAck = expectOne("SYN-ACK");
        expect(synAck.tcp().flags() == (TcpFlags.SYN | TcpFlags.ACK) && synAck.tcp().ack() == PEER_ISS + 1,
                "expected SYN-ACK acknowledging the SYN, got " + synAck.tcp());
        TcpOptions ackOptions = timestamps ? timestamps(peerTsVal(), tsValOf(synAck)) : TcpOptions.NONE;
        deliver(segment(peerAddress, peerPort, listener.port(), PEER_ISS + 1, synAck.tcp().seq() + 1, TcpFlags.ACK,
                65535, ackOptions, 0));
        TcpConnection c = listener.accept();
        expect(c != null && c.state() == TcpState.ESTABLISHED, "the handshake did not complete: " + c);
        return c;
    }

    /**
     * An active open to a Linux-like peer: the stack's SYN, the peer's SYN-ACK with
     * {@code mss, sackOK, TS, wscale}, the stack's ACK.
     *
     * @return the connection, ESTABLISHED, and the TSval of the stack's SYN (for {@link #stackTsAt})
     */
    TcpConnection connect(int localPort, int peerPort, int peerMss, int peerWindowShift, int[] synTsVal) {
        TcpConnection c = stack.connect(nowNanos, localPort, PEER_ADDRESS.bits(), peerPort);
        Sent syn = expectOne("SYN");
        expect(syn.tcp().flags() == TcpFlags.SYN, "expected SYN, got " + syn.tcp());
        synTsVal[0] = tsValOf(syn);
        deliver(segment(PEER_ADDRESS.bits(), peerPort, localPort, PEER_ISS, syn.tcp().seq() + 1,
                TcpFlags.SYN | TcpFlags.ACK, 65535, linuxSynOptions(peerMss, peerWindowShift, peerTsVal()), 0));
        Sent ack = expectOne("ACK of SYN-ACK");
        expect(ack.tcp().flags() == TcpFlags.ACK && ack.tcp().ack() == PEER_ISS + 1, "expected ACK, got " + ack.tcp());
        expect(c.state() == TcpState.ESTABLISHED, "the handshake did not complete: " + c);
        return c;
    }

    private static int tsValOf(Sent sent) {
        for (TcpOption o : sent.tcp().options().list()) {
            if (o instanceof TcpOption.Timestamps ts) {
                return ts.tsVal();
            }
        }
        throw new IllegalStateException("no timestamps on " + sent.tcp() + " (expected: timestamps negotiated)");
    }

    // ------------------------------------------------------------------------------------
    // Checks: a benchmark must measure the path it names, never a drop
    // ------------------------------------------------------------------------------------

    /** A copy of the counters, to compare against after a run. */
    long[] counters() {
        long[] values = new long[Counter.values().length];
        for (Counter c : Counter.values()) {
            values[c.ordinal()] = stack.stats().get(c);
        }
        return values;
    }

    /** How much {@code counter} grew since {@code before} ({@link #counters()}). */
    long delta(long[] before, Counter counter) {
        return stack.stats().get(counter) - before[counter.ordinal()];
    }

    /** Fails when the stack dropped any packet for any reason. */
    void expectNoDrops() {
        for (Map.Entry<DropReason, Long> e : stack.stats().dropCounts().entrySet()) {
            expect(e.getValue() == 0, "the stack dropped " + e.getValue() + " packets: " + e.getKey());
        }
    }

    /** Fails with {@code message} unless {@code condition}: the benchmark is not measuring what it says. */
    static void expect(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("benchmark setup: " + message);
        }
    }

    @Override
    public void close() {
        stack.close(nowNanos);
        stackEnd.clear();
        peerEnd.clear();
    }
}
