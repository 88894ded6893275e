package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.wire.InternetChecksum;
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
 * {@link InternetChecksum}: the RFC 1071 sum and the finished checksum over a 40-byte region (a
 * bare IPv4 + TCP header) and a 1460-byte one (a full Ethernet-MSS payload), in direct and heap
 * buffers; and, as the comparison point, the RFC 1624 incremental update a stack uses instead of a
 * full recompute when it rewrites one field (the TTL/protocol word or a port is 16 bits, an
 * address or sequence number 32).
 *
 * <p>Every benchmark method is {@code DONT_INLINE}: the stack calls these from a method compiled
 * on its own, not from inside a hot loop. Inlined into JMH's measurement loop, C2 compiled the word
 * loop of {@code sum} as an inner loop and it ran 1.5-2x slower than the same sum reached through
 * {@code PacketDecoder} (measured; see benchmarks/README.md). The price is one call, a couple
 * of ns.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumBenchmark {

    /** A region of {@link #size} deterministic bytes; the only state with parameters. */
    @State(Scope.Thread)
    public static class Region {
        @Param({"40", "1460"})
        public int size;

        @Param({"DIRECT", "HEAP"})
        public BufferKind buffer;

        ByteBuf buf;

        @Setup(Level.Trial)
        public void setUp() {
            buf = buffer.allocate(size);
            for (int i = 0; i < size; i++) {
                // Any fixed pattern will do: the sum's cost does not depend on the values.
                buf.writeByte(i * 31 + 7);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            buf.release();
        }
    }

    /**
     * Inputs of an incremental update, taken from the golden ACK the parse benchmark uses (IPv4
     * header checksum 0x7622 with TTL 64 / protocol 6; TCP checksum 0x5d17 with seq 0xc29647af).
     * Fields, not constants, so the JIT cannot fold the arithmetic away.
     */
    @State(Scope.Thread)
    public static class Update {
        int ipChecksum = 0x7622;
        int ttlProtocol = 0x4006;
        int decrementedTtlProtocol = 0x3f06;
        int tcpChecksum = 0x5d17;
        int oldSeq = 0xc29647af;
        int newSeq = 0xc29647b5;
    }

    /** The unfolded RFC 1071 sum alone (what a caller adds a pseudo-header sum to). */
    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public long sum(Region region) {
        return InternetChecksum.sum(region.buf, 0, region.size);
    }

    /** The checksum field value: sum, fold, complement. */
    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int compute(Region region) {
        return InternetChecksum.compute(region.buf, 0, region.size);
    }

    /** RFC 1624 eqn. 3 for one 16-bit word: the IPv4 header checksum after a TTL decrement. */
    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int update16(Update update) {
        return InternetChecksum.update16(update.ipChecksum, update.ttlProtocol, update.decrementedTtlProtocol);
    }

    /** RFC 1624 eqn. 3 for a 32-bit field (for example a rewritten sequence number). */
    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public int update32(Update update) {
        return InternetChecksum.update32(update.tcpChecksum, update.oldSeq, update.newSeq);
    }
}
