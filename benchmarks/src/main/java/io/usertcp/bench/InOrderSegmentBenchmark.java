package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.TcpFlags;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One in-order 1460-byte segment through an ESTABLISHED connection of a real {@code TcpStack},
 * including the ACK it causes (DESIGN.md §11): {@code TcpStack.receive} (decode with checksum
 * verification, connection lookup, RFC 9293 §3.10.7.4 segment arrival, a retained slice into the
 * receive buffer), the application reading the bytes (a copy into its buffer, which keeps the
 * window open), and {@code pollTransmit} writing the ACK.
 *
 * <p><b>Delayed ACK: measured per segment over a pair.</b> The stack ACKs at once when more than
 * one full-sized segment is unacknowledged, i.e. every second 1460-byte segment, and arms the
 * delayed-ACK timer for the first (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2; Linux
 * {@code __tcp_ack_snd_check} does the same). One invocation therefore delivers two consecutive
 * segments, lets the application read both (2920 bytes), then transmits: exactly one ACK,
 * acknowledging both.
 * {@code @OperationsPerInvocation(2)} makes the score the cost <em>per segment</em>, each carrying
 * half an ACK, as in a bulk transfer. The first segment of each pair arms the delayed-ACK timer and
 * the second disarms it, so both timer operations are in the figure; the timer never fires
 * (virtual time moves 12 µs per segment, 1460 bytes at about 1 Gbit/s; the deadline is 40 ms
 * away).
 *
 * <p>The application reads before the stack transmits. Read after the ACK went out, the freed
 * space would make the stack send a second, window-update ACK (its receiver SWS rule advertises
 * every MSS of newly freed space; see benchmarks/README.md), which is not the segment's cost.
 *
 * <p>The segments are two prebuilt datagrams ({@link PeerSegment}: 20 IPv4 + 20 TCP +
 * {@code nop,nop,TS} + 1460 bytes = 1512, the same layout as {@link ParseBenchmark}'s 1460 case)
 * in pooled direct buffers, as the TUN link reads them. Each invocation rewrites their sequence
 * numbers (advancing by 1460 per segment) and the peer's TSval with an RFC 1624 checksum update;
 * that rewrite (a few ns) is inside the figure. The stack's MTU is 1512, so that 1460 bytes plus
 * timestamps is a full-sized segment for the MSS it announces.
 *
 * <p>Setup first lets the connection leave quick ACK mode (its first segments are each ACKed at
 * once, as in Linux), then checks that one pair is accepted and ACKed with the right
 * acknowledgment number; teardown checks, from the stack's counters, that every invocation
 * delivered two segments and sent one ACK, that the application read every byte, that nothing
 * was dropped and no timer fired: the figure cannot come from a drop path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class InOrderSegmentBenchmark {
    static final int PAYLOAD = 1460;
    static final int MTU = 1512;
    static final int STACK_PORT = 5001;
    static final int PEER_PORT = 40001;
    /** 1460 bytes at about 1 Gbit/s: virtual time between two segments. */
    static final long SEGMENT_INTERVAL_NANOS = 12_000;
    /** Bound on the pairs setup spends leaving quick ACK mode (Linux's TCP_MAX_QUICKACKS is 16 segments). */
    static final int QUICK_ACK_PAIRS_MAX = 64;

    /**
     * {@code verify}: checksums computed and verified in software, as on a plain TUN link;
     * {@code offload}: the trust-link path of a TUN link with the virtio-net offloads (inbound
     * checksums vouched for by the header, outbound ones left to the kernel).
     */
    @Param({"verify", "offload"})
    public String checksums = "verify";

    private ScriptedPeer peer;
    private TcpConnection connection;
    private PeerSegment first;
    private PeerSegment second;
    private ByteBuf applicationBuffer;
    /** The sequence number of the next segment; package-private so a test can break the path on purpose. */
    int nextSeq;
    private long[] countersAfterSetup;
    private long pairs;
    private long bytesRead;
    private long acksSeen;

    @Setup(Level.Trial)
    public void setUp() {
        peer = new ScriptedPeer(TcpConfig.linux(), MTU, "offload".equals(checksums));
        connection = peer.accept(peer.stack.listen(peer.now(), STACK_PORT, 16), ScriptedPeer.PEER_ADDRESS.bits(),
                PEER_PORT, 1460, 7, true);
        nextSeq = ScriptedPeer.PEER_ISS + 1;
        first = dataSegment();
        second = dataSegment();
        applicationBuffer = Unpooled.buffer(2 * PAYLOAD, 2 * PAYLOAD);
        leaveQuickAckMode();
        checkOnePair();
        countersAfterSetup = peer.counters();
    }

    /**
     * A new connection ACKs its first segments at once (Linux quick ACK mode, up to 16), so the
     * peer's slow start is not held back; pairs are delivered until one pair gets a single ACK,
     * the steady state of a bulk transfer that is measured.
     */
    private void leaveQuickAckMode() {
        for (int pair = 0; pair < QUICK_ACK_PAIRS_MAX; pair++) {
            deliverPair();
            readAll();
            if (peer.transmitAndDiscard() == 1) {
                return;
            }
        }
        ScriptedPeer.expect(false, "still two ACKs per pair after " + QUICK_ACK_PAIRS_MAX + " pairs");
    }

    private PeerSegment dataSegment() {
        return new PeerSegment(ScriptedPeer.segment(ScriptedPeer.PEER_ADDRESS.bits(), PEER_PORT, STACK_PORT, nextSeq,
                ScriptedPeer.STACK_ISS + 1, TcpFlags.ACK, 65535, ScriptedPeer.timestamps(peer.peerTsVal(), 1), PAYLOAD));
    }

    /** One pair by hand, with the ACK decoded: it must acknowledge both segments. */
    private void checkOnePair() {
        deliverPair();
        int read = readAll();
        List<ScriptedPeer.Sent> sent = peer.transmitAndDecode();
        ScriptedPeer.expect(read == 2 * PAYLOAD, "the application read " + read + " bytes (expected: " + 2 * PAYLOAD + ")");
        ScriptedPeer.expect(sent.size() == 1 && sent.get(0).tcp().flags() == TcpFlags.ACK
                && sent.get(0).tcp().ack() == nextSeq && sent.get(0).payloadLength() == 0,
                "expected one pure ACK of " + Integer.toUnsignedString(nextSeq) + ", the stack sent " + sent);
        peer.expectNoDrops();
    }

    @Benchmark
    @OperationsPerInvocation(2)
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int segmentPairWithAck() {
        deliverPair();
        int read = readAll();
        int acks = peer.transmitAndDiscard();
        pairs++;
        bytesRead += read;
        acksSeen += acks;
        return read + acks;
    }

    private void deliverPair() {
        deliver(first);
        deliver(second);
    }

    private void deliver(PeerSegment segment) {
        peer.advance(SEGMENT_INTERVAL_NANOS);
        segment.setSeq(nextSeq);
        segment.setTsVal(peer.peerTsVal());
        peer.deliver(segment.lend());
        nextSeq += PAYLOAD;
    }

    private int readAll() {
        applicationBuffer.clear();
        return connection.read(peer.now(), applicationBuffer);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpInSegs) == 2 * pairs,
                    "TcpInSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpInSegs) + " (expected: " + 2 * pairs + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpOutSegs) == pairs && acksSeen == pairs,
                    "TcpOutSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpOutSegs) + ", the peer got "
                            + acksSeen + " (expected: one ACK per pair, " + pairs + ")");
            ScriptedPeer.expect(bytesRead == 2L * PAYLOAD * pairs, "the application read " + bytesRead + " bytes");
            ScriptedPeer.expect(peer.timeoutsFired() == 0, "a timer fired");
            ScriptedPeer.expect(connection.state() == TcpState.ESTABLISHED && connection.readableBytes() == 0,
                    "connection " + connection + " with " + connection.readableBytes() + " unread bytes");
            ScriptedPeer.expect(!first.inUseByStack() && !second.inUseByStack(), "the stack still holds a segment");
            peer.expectNoDrops();
        } finally {
            connection.close(peer.now());
            peer.close();
            first.close();
            second.close();
            applicationBuffer.release();
        }
    }
}
