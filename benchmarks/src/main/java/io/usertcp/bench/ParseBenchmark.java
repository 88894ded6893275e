package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Inbound parse of one established-connection segment with the Linux timestamps option
 * ({@link TimestampedSegment}), bare (52 bytes) and with a 1460-byte payload, in a direct buffer
 * as the TUN link delivers it:
 * <ul>
 *   <li>{@link #decodeVerify}: {@link PacketDecoder} with {@link ChecksumPolicy#VERIFY} (IPv4
 *       header and TCP checksums summed);</li>
 *   <li>{@link #decodeTrustLink}: the same with {@link ChecksumPolicy#TRUST_LINK};</li>
 *   <li>{@link #viewsOnly}: just {@link Ipv4PacketView#check()} and {@link TcpSegmentView#check()},
 *       without the decoder's address and fragment policy.</li>
 * </ul>
 * Each then reads the fields the TCP input path reads (ports, seq, ack, flags, window, TSval), so
 * the three differ only in the checks made. Benchmark methods are {@code DONT_INLINE} for the
 * reason given on {@link ChecksumBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ParseBenchmark {

    /** TCP payload bytes after the 52 bytes of headers: a bare ACK, or a full Ethernet-MSS segment. */
    @Param({"0", "1460"})
    public int payload;

    private ByteBuf packet;
    private PacketDecoder verifying;
    private PacketDecoder trustingLink;
    private final Ipv4PacketView ip = new Ipv4PacketView();
    private final TcpSegmentView tcp = new TcpSegmentView();

    @Setup(Level.Trial)
    public void setUp() {
        packet = TimestampedSegment.build(BufferKind.DIRECT, payload);
        verifying = new PacketDecoder(ParseBenchmark::isLocal, ChecksumPolicy.VERIFY);
        trustingLink = new PacketDecoder(ParseBenchmark::isLocal, ChecksumPolicy.TRUST_LINK);
        // Measure the accept path, not an early drop: every variant must accept the packet.
        expectAccepted("VERIFY", verifying.decode(packet));
        expectAccepted("TRUST_LINK", trustingLink.decode(packet));
        expectAccepted("views", checkViews());
        if (!tcp.options().hasTimestamps()) {
            throw new IllegalStateException("benchmark packet: no timestamps option parsed");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        packet.release();
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public void decodeVerify(Blackhole bh) {
        bh.consume(verifying.decode(packet));
        readTcpInputFields(verifying.tcp(), bh);
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public void decodeTrustLink(Blackhole bh) {
        bh.consume(trustingLink.decode(packet));
        readTcpInputFields(trustingLink.tcp(), bh);
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public void viewsOnly(Blackhole bh) {
        bh.consume(checkViews());
        readTcpInputFields(tcp, bh);
    }

    private DropReason checkViews() {
        DropReason reason = ip.wrap(packet, packet.readerIndex(), packet.readableBytes()).check();
        if (reason != null) {
            return reason;
        }
        return tcp.wrap(ip).check();
    }

    /** What RFC 9293 §3.10.7.4 segment processing reads first, plus the timestamp for PAWS and RTT. */
    private static void readTcpInputFields(TcpSegmentView segment, Blackhole bh) {
        bh.consume(segment.sourcePort());
        bh.consume(segment.destinationPort());
        bh.consume(segment.seq());
        bh.consume(segment.ack());
        bh.consume(segment.flags());
        bh.consume(segment.window());
        bh.consume(segment.options().tsVal());
    }

    private static boolean isLocal(int address) {
        return address == TimestampedSegment.SERVER_ADDRESS;
    }

    private static void expectAccepted(String variant, DropReason reason) {
        if (reason != null) {
            throw new IllegalStateException("benchmark packet dropped by " + variant + ": " + reason
                    + " (expected: accepted)");
        }
    }
}
