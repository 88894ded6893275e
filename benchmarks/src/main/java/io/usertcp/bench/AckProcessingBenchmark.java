package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.cc.CongestionConfig;
import io.usertcp.wire.TcpFlags;
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
 * ACK processing on a sender with 64 KB in flight: one pure ACK from the peer advancing SND.UNA by
 * one MSS, in the steady state of a bulk transfer.
 *
 * <p>One op: the ACK arrives ({@code TcpStack.receive}: decode and checksum, lookup, RFC 9293
 * §3.10.7.4 fifth check: SND.UNA advances, the acknowledged chunk of the send buffer is released, an
 * RTT sample from the timestamp echo (RFC 7323 §4.1), the retransmission timer re-armed (RFC 6298
 * §5.3), the send window updated, congestion control told); the application refills by writing
 * one MSS ({@code TcpConnection.send}, a retained slice); {@code pollTransmit} sends that MSS as
 * one data segment (one copy into the packet, checksum). So the figure is ACK in, data segment out:
 * the sender's whole per-ACK cost, with 46 segments of 1448 bytes (66 608 bytes, at least 64 KiB)
 * outstanding when each ACK arrives.
 *
 * <p>The connection is an active open to a Linux-like peer (MSS 1460, window scale 7, SACK,
 * timestamps: SMSS 1448). The peer's window (65535 &lt;&lt; 7) never limits, and the congestion
 * window starts at 64 segments ({@code CongestionConfig.withInitialWindowSegments(64)}), more than
 * the 46 in flight, so neither limits the refill whatever the congestion controller does with the
 * ACKs; the application, writing one MSS per ACK, keeps the amount in flight constant
 * ({@link #inFlightBytes} changes the amount, the initial window and send buffer following it). Each ACK
 * echoes the stack's timestamp clock 1 ms in the past (an RTT sample of 1 ms); virtual time moves
 * 12 µs per ACK, so the retransmission timer (re-armed on every ACK) never fires.
 *
 * <p>Setup checks that the 46 segments went out full-sized and that one ACK produces one MSS
 * segment; teardown checks from the counters that every op received one segment and sent one,
 * with no retransmission, drop or timer, and that 46 × 1448 bytes are still in flight.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class AckProcessingBenchmark {
    static final int STACK_PORT = 40002;
    static final int PEER_PORT = 5002;
    static final long ACK_INTERVAL_NANOS = 12_000;
    static final long RTT_NANOS = 1_000_000;

    /**
     * Bytes to keep in flight, rounded up to whole segments: 64 KiB by default. Larger values
     * show how the per-ACK cost grows with the amount outstanding (benchmarks/README.md).
     */
    @Param({"65536"})
    public int inFlightBytes = 65536;

    /**
     * {@code verify}: checksums computed and verified in software, as on a plain TUN link;
     * {@code offload}: the trust-link path of a TUN link with the virtio-net offloads (inbound
     * checksums vouched for by the header, outbound ones left to the kernel).
     */
    @Param({"verify", "offload"})
    public String checksums = "verify";

    private ScriptedPeer peer;
    private TcpConnection connection;
    private PeerSegment ack;
    private ByteBuf applicationData;
    private int mss;
    private int segmentsInFlight;
    private int nextAck;
    private int synTsVal;
    private long synNanos;
    private long[] countersAfterSetup;
    private long acks;
    private long segmentsSent;

    @Setup(Level.Trial)
    public void setUp() {
        // The initial window covers the whole flight (at least 64 segments), and the send buffer holds it twice.
        int initialWindow = Math.min(1024, Math.max(64, inFlightBytes / 1400 + 2));
        TcpConfig tcp = TcpConfig.linux().toBuilder()
                .sendBufferBytes(Math.max(TcpConfig.linux().sendBufferBytes(), 2 * inFlightBytes))
                .congestion(CongestionConfig.linux().withInitialWindowSegments(initialWindow)).build();
        peer = new ScriptedPeer(tcp, 1500, "offload".equals(checksums));
        int[] tsVal = new int[1];
        synNanos = peer.now();
        connection = peer.connect(STACK_PORT, PEER_PORT, 1460, 7, tsVal);
        synTsVal = tsVal[0];
        mss = connection.mss();
        segmentsInFlight = (inFlightBytes + mss - 1) / mss;
        nextAck = ScriptedPeer.STACK_ISS + 1;
        ack = new PeerSegment(ScriptedPeer.segment(ScriptedPeer.PEER_ADDRESS.bits(), PEER_PORT, STACK_PORT,
                ScriptedPeer.PEER_ISS + 1, nextAck, TcpFlags.ACK, 65535, ScriptedPeer.timestamps(peer.peerTsVal(), synTsVal), 0));
        peer.deliver(ack.lend()); // the window update that opens the scaled window (a SYN's window is never scaled)
        applicationData = ScriptedPeer.untrackedDirectBuffer(mss); // sliced every op: see untrackedDirectBuffer
        for (int i = 0; i < mss; i++) {
            applicationData.writeByte('a' + i % 26);
        }
        fillTheWindow();
        checkOneAck();
        countersAfterSetup = peer.counters();
    }

    /** The first flight: 46 full-sized segments, all sent at once. */
    private void fillTheWindow() {
        for (int i = 0; i < segmentsInFlight; i++) {
            write();
        }
        List<ScriptedPeer.Sent> sent = peer.transmitAndDecode();
        ScriptedPeer.expect(sent.size() == segmentsInFlight, "the stack sent " + sent.size() + " segments of the first flight"
                + " (expected: " + segmentsInFlight + "; cwnd " + connection.congestionControl().cwndBytes() + ")");
        for (ScriptedPeer.Sent s : sent) {
            ScriptedPeer.expect(s.payloadLength() == mss, "a segment of " + s.payloadLength() + " bytes (expected: " + mss + ")");
        }
    }

    private void checkOneAck() {
        receiveAck();
        write();
        List<ScriptedPeer.Sent> sent = peer.transmitAndDecode();
        ScriptedPeer.expect(sent.size() == 1 && sent.get(0).payloadLength() == mss,
                "one ACK should release one full segment, the stack sent " + sent);
        ScriptedPeer.expect(inFlightBytes() == segmentsInFlight * mss, "in flight: " + inFlightBytes());
        peer.expectNoDrops();
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int ackOneMss() {
        receiveAck();
        write();
        int sent = peer.transmitAndDiscard();
        acks++;
        segmentsSent += sent;
        return sent;
    }

    private void receiveAck() {
        peer.advance(ACK_INTERVAL_NANOS);
        nextAck += mss;
        ack.setAck(nextAck);
        ack.setTsVal(peer.peerTsVal());
        ack.setTsEcr(ScriptedPeer.stackTsAt(synTsVal, synNanos, peer.now() - RTT_NANOS));
        peer.deliver(ack.lend());
    }

    private void write() {
        applicationData.readerIndex(0);
        connection.send(peer.now(), applicationData);
    }

    private int inFlightBytes() {
        ConnectionSnapshot s = connection.snapshot(peer.now());
        return s.inFlightBytes();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpInSegs) == acks,
                    "TcpInSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpInSegs) + " (expected: " + acks + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpOutSegs) == acks && segmentsSent == acks,
                    "TcpOutSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpOutSegs) + ", the peer got "
                            + segmentsSent + " (expected: one data segment per ACK, " + acks + ")");
            ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpRetransSegs) == 0, "retransmissions");
            ScriptedPeer.expect(peer.timeoutsFired() == 0, "a timer fired");
            ScriptedPeer.expect(connection.state() == TcpState.ESTABLISHED, "connection " + connection);
            ScriptedPeer.expect(inFlightBytes() == segmentsInFlight * mss && connection.sendQueueBytes() == segmentsInFlight * mss,
                    "in flight " + inFlightBytes() + ", queued " + connection.sendQueueBytes()
                            + " (expected: " + segmentsInFlight * mss + ")");
            peer.expectNoDrops();
        } finally {
            connection.abort(peer.now());
            peer.close();
            ack.close();
            applicationData.release();
        }
    }
}
