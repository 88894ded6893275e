package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * An out-of-order 1460-byte segment into reassembly: the segment at RCV.NXT was lost, and the ones
 * after it keep arriving, as after a single loss in a bulk transfer.
 *
 * <p>One op: the next segment beyond the hole arrives ({@code TcpStack.receive}: decode and
 * checksum, lookup, segment arrival, a retained slice into the reassembly queue, appended after
 * what is already held) and {@code pollTransmit} sends the duplicate ACK it causes at once (RFC 5681
 * §4.2), with SACK blocks describing what is held (RFC 2018 §4; SACK and timestamps are negotiated,
 * so 3 blocks fit). The connection is set up as in {@link InOrderSegmentBenchmark}.
 *
 * <p><b>Reset:</b> after {@link #depth} segments are held, the op that would add the next one
 * first fills the hole instead: the missing segment arrives, the stack moves everything held into
 * the receive buffer and ACKs, and the application reads it all ({@code depth + 1} × 1460 bytes),
 * so the next cycle starts with an empty queue and a new hole at the new RCV.NXT. That reset is
 * inside the figure, amortized over {@code depth} ops; with the default depth 32 a JFR profile
 * attributes the share given in benchmarks/README.md to it. Each op therefore finds on average
 * {@code depth / 2} ranges already held (the queue's insertion and SACK generation walk them).
 * {@code depth} × 1460 bytes stay well inside the 128 KiB receive window, so nothing is trimmed.
 *
 * <p>Setup checks one full cycle by decoding what the stack sends (every duplicate ACK acknowledges
 * the hole and carries SACK blocks, the hole-filling ACK acknowledges everything); teardown checks
 * from the counters that every held segment was counted as queued out of order
 * ({@code TcpExtTCPOFOQueue}), one ACK went out per segment, nothing was dropped and no timer fired.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ReassemblyBenchmark {
    static final int PAYLOAD = InOrderSegmentBenchmark.PAYLOAD;
    static final int STACK_PORT = 5003;
    static final int PEER_PORT = 40003;
    static final long SEGMENT_INTERVAL_NANOS = InOrderSegmentBenchmark.SEGMENT_INTERVAL_NANOS;

    /** Segments held behind the hole before it is filled. */
    @Param({"32"})
    public int depth = 32;

    /** {@code verify} or {@code offload}: as in {@link InOrderSegmentBenchmark#checksums}. */
    @Param({"verify", "offload"})
    public String checksums = "verify";

    private ScriptedPeer peer;
    private TcpConnection connection;
    /** [0] fills the hole; [1..depth] arrive beyond it. */
    private PeerSegment[] segments;
    private ByteBuf applicationBuffer;
    /** RCV.NXT: the first byte of the hole. */
    private int holeSeq;
    private int held;
    private long[] countersAfterSetup;
    private long ops;
    private long resets;
    private long outOfOrder;
    private long acksSeen;

    @Setup(Level.Trial)
    public void setUp() {
        peer = new ScriptedPeer(TcpConfig.linux(), InOrderSegmentBenchmark.MTU, "offload".equals(checksums));
        connection = peer.accept(peer.stack.listen(peer.now(), STACK_PORT, 16), ScriptedPeer.PEER_ADDRESS.bits(),
                PEER_PORT, 1460, 7, true);
        holeSeq = ScriptedPeer.PEER_ISS + 1;
        segments = new PeerSegment[depth + 1];
        for (int i = 0; i <= depth; i++) {
            segments[i] = new PeerSegment(ScriptedPeer.segment(ScriptedPeer.PEER_ADDRESS.bits(), PEER_PORT, STACK_PORT,
                    holeSeq + i * PAYLOAD, ScriptedPeer.STACK_ISS + 1, TcpFlags.ACK, 65535,
                    ScriptedPeer.timestamps(peer.peerTsVal(), 1), PAYLOAD));
        }
        applicationBuffer = Unpooled.buffer((depth + 1) * PAYLOAD, (depth + 1) * PAYLOAD);
        checkOneCycle();
        outOfOrder = 0; // teardown counts from here, as the stack's counters do
        countersAfterSetup = peer.counters();
    }

    /** One cycle by hand: every out-of-order segment gets a duplicate ACK with SACK, the fill gets the full ACK. */
    private void checkOneCycle() {
        int hole = holeSeq;
        for (int i = 1; i <= depth; i++) {
            deliverBeyondHole();
            List<ScriptedPeer.Sent> sent = peer.transmitAndDecode();
            ScriptedPeer.expect(sent.size() == 1 && sent.get(0).tcp().ack() == hole && hasSack(sent.get(0)),
                    "segment " + i + " beyond the hole: expected one duplicate ACK of " + Integer.toUnsignedString(hole)
                            + " with SACK, the stack sent " + sent);
        }
        int read = fillHoleAndRead();
        List<ScriptedPeer.Sent> sent = peer.transmitAndDecode();
        ScriptedPeer.expect(read == (depth + 1) * PAYLOAD, "the application read " + read + " bytes");
        ScriptedPeer.expect(sent.size() == 1 && sent.get(0).tcp().ack() == holeSeq && !hasSack(sent.get(0)),
                "the hole filled: expected one ACK of " + Integer.toUnsignedString(holeSeq) + ", the stack sent " + sent);
        peer.expectNoDrops();
    }

    private static boolean hasSack(ScriptedPeer.Sent sent) {
        return sent.tcp().options().list().stream().anyMatch(o -> o instanceof TcpOption.Sack);
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int outOfOrderSegment() {
        if (held == depth) {
            reset();
        }
        deliverBeyondHole();
        int acks = peer.transmitAndDiscard();
        ops++;
        acksSeen += acks;
        return acks;
    }

    /** Empties the queue (its own method, so that a profile can tell its share of the time). */
    private void reset() {
        resets++;
        fillHoleAndRead();
        acksSeen += peer.transmitAndDiscard();
    }

    /** The next segment after those held: seq = hole + (held + 1) × 1460. */
    private void deliverBeyondHole() {
        held++;
        deliver(segments[held], holeSeq + held * PAYLOAD);
        outOfOrder++;
    }

    /** The missing segment arrives; the application reads everything delivered; a new hole opens at RCV.NXT. */
    private int fillHoleAndRead() {
        deliver(segments[0], holeSeq);
        holeSeq += (held + 1) * PAYLOAD;
        held = 0;
        applicationBuffer.clear();
        return connection.read(peer.now(), applicationBuffer);
    }

    private void deliver(PeerSegment segment, int seq) {
        peer.advance(SEGMENT_INTERVAL_NANOS);
        segment.setSeq(seq);
        segment.setTsVal(peer.peerTsVal());
        peer.deliver(segment.lend());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpInSegs) == ops + resets,
                    "TcpInSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpInSegs) + " (expected: " + (ops + resets) + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpExtTCPOFOQueue) == outOfOrder,
                    "TcpExtTCPOFOQueue grew by " + peer.delta(countersAfterSetup, Counter.TcpExtTCPOFOQueue)
                            + " (expected: every segment beyond the hole held, " + outOfOrder + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpOutSegs) == ops + resets && acksSeen == ops + resets,
                    "TcpOutSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpOutSegs) + ", the peer got " + acksSeen
                            + " (expected: one ACK per segment, " + (ops + resets) + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpExtTCPOFODrop) == 0, "out-of-order drops");
            ScriptedPeer.expect(peer.timeoutsFired() == 0, "a timer fired");
            ScriptedPeer.expect(connection.state() == TcpState.ESTABLISHED, "connection " + connection);
            peer.expectNoDrops();
        } finally {
            connection.abort(peer.now());
            peer.close();
            for (PeerSegment s : segments) {
                s.close();
            }
            applicationBuffer.release();
        }
    }
}
