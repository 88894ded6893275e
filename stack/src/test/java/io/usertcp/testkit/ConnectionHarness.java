package io.usertcp.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.core.RandomSource;
import io.usertcp.link.Link;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.IsnGenerator;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.TcpdumpFormatter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One stack under test (at {@link #LOCAL}) and a scripted peer (at {@link #REMOTE}) on a virtual
 * clock, in the style of smoltcp's socket tests (DESIGN.md §9.2): the test plays the peer's
 * segments with {@link #receive}, checks what the stack answers with {@link #expectSent()}, and
 * moves time with {@link #advance}.
 *
 * <p>Fixtures bring a connection into each state by real segments ({@link #synSent()},
 * {@link #established()}, {@link #finWait1()}, ...). Our ISS is fixed at {@link #LOCAL_ISS}, the
 * peer's at {@link #REMOTE_ISS}; by default neither side uses options, so the stack's MSS is 536
 * and windows are unscaled.
 */
public final class ConnectionHarness implements AutoCloseable {
    public static final Ipv4Address LOCAL = Ipv4Address.of("198.18.0.1");
    public static final Ipv4Address REMOTE = Ipv4Address.of("198.18.0.2");
    public static final int LOCAL_ISS = 1_000_000;
    public static final int REMOTE_ISS = 5_000_000;
    /** Our port for active opens; the port we listen on for passive ones. */
    public static final int CLIENT_PORT = 40000;
    public static final int SERVER_PORT = 80;
    /** The peer's port for passive opens; the port it listens on for active ones. */
    public static final int PEER_CLIENT_PORT = 50000;
    public static final int PEER_SERVER_PORT = 5000;
    public static final int PEER_WINDOW = 65535;

    public final VirtualClock clock = new VirtualClock();
    public final TcpStack stack;
    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private final Link link = new Link() {
        @Override
        public ByteBuf receive() {
            return null;
        }

        @Override
        public void transmit(ByteBuf packet) {
            sent.addLast(packet);
        }

        @Override
        public int mtu() {
            return 1500;
        }
    };
    /** Ports of the connection the fixtures made; segments from the peer default to them. */
    private int localPort = CLIENT_PORT;
    private int remotePort = PEER_SERVER_PORT;
    private TcpListener listener;
    private Sent lastSyn;
    /** Sees each packet handed to the stack (e.g. {@link ByteBufLedger#record}, to check it gets released). */
    private Consumer<ByteBuf> incoming = packet -> { };

    public ConnectionHarness() {
        this(TcpConfig.linux());
    }

    public ConnectionHarness(TcpConfig tcp) {
        this(tcp, c -> c);
    }

    public ConnectionHarness(TcpConfig tcp, Function<StackConfig, StackConfig> customize) {
        // After the test's own changes, so its observer is wrapped rather than replacing the check.
        this.stack = new TcpStack(TimerExpiryCheck.install(customize.apply(StackConfig.of(LOCAL, RandomSource.seeded(42)).withTcp(tcp)
                .withIsn(IsnGenerator.fixed(LOCAL_ISS)).withAllocator(PooledByteBufAllocator.DEFAULT)
                .withObserver(ConnectionObserver.NONE))));
    }

    public long now() {
        return clock.nowNanos();
    }

    // ------------------------------------------------------------------------------------
    // The peer's segments
    // ------------------------------------------------------------------------------------

    /** A segment from the peer on the current connection's ports: ACK flag, window 65535, no options. */
    public Segment segment() {
        return new Segment(remotePort, localPort);
    }

    /** Delivers a segment from the peer to the stack. */
    public void receive(Segment s) {
        deliver(Unpooled.wrappedBuffer(bytes(s)));
    }

    /**
     * Delivers a segment from the peer in a packet buffer of {@code packetBufferBytes}, as a TUN
     * link hands them over (MTU + 1): what the stack keeps of it pins that whole buffer.
     */
    public void receiveInPacketBuffer(Segment s, int packetBufferBytes) {
        byte[] bytes = bytes(s);
        deliver(Unpooled.directBuffer(packetBufferBytes, packetBufferBytes).writeBytes(bytes));
    }

    private byte[] bytes(Segment s) {
        TcpHeader header = s.header();
        Ipv4Header plain = Ipv4Header.of(REMOTE, LOCAL, Ipv4PacketView.PROTOCOL_TCP, header.headerLength() + s.payload.length,
                TestPackets.DEFAULT_TTL, TestPackets.DEFAULT_IP_ID);
        Ipv4Header ip = new Ipv4Header(s.ecn, plain.totalLength(), plain.identification(), plain.flags(), plain.fragmentOffset(),
                plain.ttl(), plain.protocol(), 0, REMOTE, LOCAL, null);
        return TestPackets.tcp(ip, header, s.payload);
    }

    /**
     * Shows every packet delivered to the stack from now on to {@code tap} before the stack takes
     * ownership, e.g. {@link ByteBufLedger#record} to check that the stack releases each.
     */
    public void tapIncoming(Consumer<ByteBuf> tap) {
        this.incoming = tap;
    }

    private void deliver(ByteBuf packet) {
        incoming.accept(packet);
        stack.receive(now(), packet);
    }

    /**
     * Delivers an ICMP error from {@code router} that quotes {@code quoted}, a segment the stack
     * sent: its IPv4 header and the first 8 bytes of TCP, as RFC 792 requires.
     */
    public void receiveIcmp(Ipv4Address router, int type, int code, int restOfHeader, Sent quoted) {
        byte[] offending = TestPackets.tcp(quoted.ip(), quoted.tcp(), quoted.payload());
        byte[] quote = java.util.Arrays.copyOf(offending, quoted.ip().headerLength() + 8);
        deliver(Unpooled.wrappedBuffer(TestPackets.icmp(router, LOCAL, type, code, restOfHeader, quote)));
    }

    /** A peer segment under construction; by default ACK, window 65535, no options, no payload. */
    public static final class Segment {
        private int sourcePort;
        private int destinationPort;
        private int seq;
        private int ack;
        private int flags = TcpFlags.ACK;
        private int window = PEER_WINDOW;
        private TcpOptions options = TcpOptions.NONE;
        private byte[] payload = new byte[0];
        private int ecn;

        Segment(int sourcePort, int destinationPort) {
            this.sourcePort = sourcePort;
            this.destinationPort = destinationPort;
        }

        public Segment ports(int source, int destination) {
            sourcePort = source;
            destinationPort = destination;
            return this;
        }

        public Segment seq(int v) {
            seq = v;
            return this;
        }

        public Segment ack(int v) {
            ack = v;
            return this;
        }

        /** Sets the flags exactly (replacing the default ACK). */
        public Segment flags(int v) {
            flags = v;
            return this;
        }

        public Segment window(int v) {
            window = v;
            return this;
        }

        public Segment options(TcpOption... v) {
            options = TcpOptions.of(v);
            return this;
        }

        /** The ECN field of the IP header (RFC 3168 §5: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE); Not-ECT by default. */
        public Segment ecn(int codepoint) {
            ecn = codepoint;
            return this;
        }

        public Segment payload(String text) {
            payload = text.getBytes(StandardCharsets.US_ASCII);
            return this;
        }

        public Segment payload(byte[] bytes) {
            payload = bytes.clone();
            return this;
        }

        TcpHeader header() {
            return TcpHeader.of(sourcePort, destinationPort, seq, ack, flags, window, options);
        }
    }

    // ------------------------------------------------------------------------------------
    // What the stack sent
    // ------------------------------------------------------------------------------------

    /** One segment the stack sent, decoded into values. */
    public record Sent(Ipv4Header ip, TcpHeader tcp, byte[] payload, String line) {
        public int flags() {
            return tcp.flags();
        }

        public int seq() {
            return tcp.seq();
        }

        public int ack() {
            return tcp.ack();
        }

        public int window() {
            return tcp.window();
        }

        public boolean has(int flag) {
            return tcp.hasFlag(flag);
        }

        /** The ECN field of the IP header (RFC 3168 §5). */
        public int ecn() {
            return ip.tos() & 0b11;
        }

        public String text() {
            return new String(payload, StandardCharsets.US_ASCII);
        }

        /** Asserts the flags are exactly {@code flags}, with the whole line in the message. */
        public Sent assertFlags(int expected) {
            assertEquals(TcpFlags.format(expected), TcpFlags.format(tcp.flags()), line);
            return this;
        }

        public Sent assertSeqAck(int expectedSeq, int expectedAck) {
            assertEquals(Integer.toUnsignedLong(expectedSeq), Integer.toUnsignedLong(tcp.seq()), "seq of " + line);
            assertEquals(Integer.toUnsignedLong(expectedAck), Integer.toUnsignedLong(tcp.ack()), "ack of " + line);
            return this;
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public String toString() {
            return line;
        }
    }

    /** Collects what the stack wants to send now and returns all of it, in order. */
    public List<Sent> drain() {
        stack.pollTransmit(now(), link);
        List<Sent> out = new ArrayList<>();
        ByteBuf p;
        while ((p = sent.pollFirst()) != null) {
            out.add(decode(p));
        }
        return out;
    }

    /** The next segment the stack sends; fails when it sends nothing. */
    public Sent expectSent() {
        stack.pollTransmit(now(), link);
        ByteBuf p = sent.pollFirst();
        if (p == null) {
            fail("expected the stack to send a segment, it sent nothing");
        }
        return decode(p);
    }

    /** Fails if the stack sends anything. */
    public void expectNothingSent() {
        List<Sent> out = drain();
        if (!out.isEmpty()) {
            fail("expected silence, the stack sent:\n" + out);
        }
    }

    private static Sent decode(ByteBuf p) {
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(p, p.readerIndex(), p.readableBytes());
            assertEquals(null, ip.check(), "the stack sent a malformed IPv4 packet");
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            assertEquals(null, tcp.check(), "the stack sent a malformed TCP segment");
            if (!ip.headerChecksumValid() || !tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress())) {
                fail("the stack sent a segment with a bad checksum: " + TcpdumpFormatter.format(p));
            }
            byte[] payload = new byte[tcp.payloadLength()];
            p.getBytes(tcp.payloadOffset(), payload);
            return new Sent(Ipv4Header.parse(ip), TcpHeader.parse(tcp), payload, TcpdumpFormatter.format(p));
        } finally {
            p.release();
        }
    }

    // ------------------------------------------------------------------------------------
    // Time
    // ------------------------------------------------------------------------------------

    /** Moves time forward, firing every timer at its deadline; what the stack sends is kept for {@link #expectSent()}. */
    public void advance(long nanos) {
        long target = now() + nanos;
        while (stack.nextDeadlineNanos() <= target) {
            clock.setNanos(Math.max(now(), stack.nextDeadlineNanos()));
            stack.onTimeout(now());
            stack.pollTransmit(now(), link);
        }
        clock.setNanos(target);
    }

    // ------------------------------------------------------------------------------------
    // Fixtures: one per state, each reached by real segments
    // ------------------------------------------------------------------------------------

    /** LISTEN on {@link #SERVER_PORT}; segments default to the peer's client port. */
    public TcpListener listen() {
        listener = stack.listen(now(), SERVER_PORT, 16);
        localPort = SERVER_PORT;
        remotePort = PEER_CLIENT_PORT;
        return listener;
    }

    public TcpListener listener() {
        return listener;
    }

    /** SYN-SENT: an active OPEN; the SYN has been sent and checked. */
    public TcpConnection synSent() {
        localPort = CLIENT_PORT;
        remotePort = PEER_SERVER_PORT;
        TcpConnection c = stack.connect(now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
        lastSyn = expectSent().assertFlags(TcpFlags.SYN).assertSeqAck(LOCAL_ISS, 0);
        assertEquals(TcpState.SYN_SENT, c.state());
        return c;
    }

    /** Reads what {@code c} holds for the application (up to 4096 bytes) as US-ASCII text. */
    public String readText(TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(4096);
        try {
            c.read(now(), dst);
            return dst.toString(StandardCharsets.US_ASCII);
        } finally {
            dst.release();
        }
    }

    /** The SYN that {@link #synSent()} checked, to quote in an ICMP error or to compare. */
    public Sent lastSyn() {
        return lastSyn;
    }

    /** SYN-RECEIVED by a passive OPEN: the peer's SYN arrived and our SYN-ACK went out. */
    public TcpConnection synReceivedPassive() {
        listen();
        receive(segment().flags(TcpFlags.SYN).seq(REMOTE_ISS));
        expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        TcpConnection c = onlyConnection();
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        return c;
    }

    /** SYN-RECEIVED by simultaneous open: our SYN crossed the peer's SYN. */
    public TcpConnection synReceivedSimultaneous() {
        TcpConnection c = synSent();
        receive(segment().flags(TcpFlags.SYN).seq(REMOTE_ISS));
        expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        return c;
    }

    /** ESTABLISHED by an active OPEN: SYN, SYN-ACK, ACK. SND.NXT = LOCAL_ISS+1, RCV.NXT = REMOTE_ISS+1. */
    public TcpConnection established() {
        TcpConnection c = synSent();
        receive(segment().flags(TcpFlags.SYN | TcpFlags.ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
        expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }

    /** ESTABLISHED by a passive OPEN, accepted from the listener. */
    public TcpConnection establishedPassive() {
        synReceivedPassive();
        receive(segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
        expectNothingSent();
        TcpConnection c = listener.accept();
        assertNotNull(c, "the handshake should have completed");
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }

    /** FIN-WAIT-1: established, then CLOSE; our FIN (seq LOCAL_ISS+1) is out, unacknowledged. */
    public TcpConnection finWait1() {
        TcpConnection c = established();
        c.close(now());
        expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        return c;
    }

    /** FIN-WAIT-2: our FIN acknowledged. */
    public TcpConnection finWait2() {
        TcpConnection c = finWait1();
        receive(segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
        expectNothingSent();
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        return c;
    }

    /** CLOSING: our FIN crossed the peer's FIN (which does not acknowledge ours). */
    public TcpConnection closing() {
        TcpConnection c = finWait1();
        receive(segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
        expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(TcpState.CLOSING, c.state());
        return c;
    }

    /** TIME-WAIT via FIN-WAIT-2: the peer's FIN arrived and was acknowledged. */
    public TcpConnection timeWait() {
        TcpConnection c = finWait2();
        receive(segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
        expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(1, stack.timeWaitCount());
        return c;
    }

    /** CLOSE-WAIT: the peer's FIN arrived first. */
    public TcpConnection closeWait() {
        TcpConnection c = established();
        receive(segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
        expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
        assertEquals(TcpState.CLOSE_WAIT, c.state());
        return c;
    }

    /** LAST-ACK: CLOSE in CLOSE-WAIT; our FIN is out. */
    public TcpConnection lastAck() {
        TcpConnection c = closeWait();
        c.close(now());
        expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
        assertEquals(TcpState.LAST_ACK, c.state());
        return c;
    }

    /** The single connection the listener holds, half-open or not yet accepted. */
    public TcpConnection onlyConnection() {
        assertEquals(1, stack.connectionCount(), "connections in the table");
        List<TcpConnection> pending = listener.pendingConnections();
        assertEquals(1, pending.size(), "connections pending on the listener");
        return pending.get(0);
    }

    @Override
    public void close() {
        stack.close(now());
        ByteBuf p;
        while ((p = sent.pollFirst()) != null) {
            p.release();
        }
    }
}
