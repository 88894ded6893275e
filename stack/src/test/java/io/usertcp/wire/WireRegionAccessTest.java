package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ReadOnlyBufferException;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The views' fixed-header accessors ({@link WireRegion}) give the same fields on every kind of
 * buffer, whether they go straight to the memory of a direct buffer or through the
 * {@code ByteBuf}'s checked accessors; writes land on the same bytes; read-only buffers stay
 * read-only; and a view used after its buffer was released fails (tests run with assertions on)
 * instead of reading memory the pool has handed on.
 */
class WireRegionAccessTest {
    /** An odd offset, so that direct reads are unaligned too. */
    private static final int AT = 3;
    private static final int REGION = 40;

    enum Kind {
        HEAP(b -> Unpooled.wrappedBuffer(b)),
        DIRECT(b -> Unpooled.directBuffer(b.length).writeBytes(b)),
        POOLED_DIRECT(b -> PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b)),
        POOLED_DIRECT_SLICE(b -> {
            ByteBuf big = PooledByteBufAllocator.DEFAULT.directBuffer(b.length + 9);
            big.writeZero(9).writeBytes(b);
            return big.slice(9, b.length);
        });

        final Function<byte[], ByteBuf> make;

        Kind(Function<byte[], ByteBuf> make) {
            this.make = make;
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyFixedFieldReadsAsFromTheBytes(Kind kind) {
        SplittableRandom random = new SplittableRandom(kind.ordinal());
        for (int round = 0; round < 200; round++) {
            byte[] bytes = new byte[AT + REGION];
            random.nextBytes(bytes);
            ByteBuf buf = kind.make.apply(bytes);
            try {
                TcpSegmentView tcp = new TcpSegmentView().wrap(buf, AT, REGION);
                assertEquals(u16(bytes, AT), tcp.sourcePort());
                assertEquals(u16(bytes, AT + 2), tcp.destinationPort());
                assertEquals(i32(bytes, AT + 4), tcp.seq());
                assertEquals(i32(bytes, AT + 8), tcp.ack());
                assertEquals((bytes[AT + 12] & 0xFF) >>> 4 << 2, tcp.headerLength());
                assertEquals(bytes[AT + 13] & 0xFF, tcp.flags());
                assertEquals(u16(bytes, AT + 14), tcp.window());
                assertEquals(u16(bytes, AT + 16), tcp.checksum());
                assertEquals(u16(bytes, AT + 18), tcp.urgentPointer());
                Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, AT, REGION);
                assertEquals((bytes[AT] & 0xFF) >>> 4, ip.version());
                assertEquals(bytes[AT + 1] & 0xFF, ip.tos());
                assertEquals(u16(bytes, AT + 2), ip.totalLength());
                assertEquals(u16(bytes, AT + 4), ip.identification());
                assertEquals(bytes[AT + 8] & 0xFF, ip.ttl());
                assertEquals(i32(bytes, AT + 12), ip.sourceAddress());
                assertEquals(i32(bytes, AT + 16), ip.destinationAddress());
                Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(buf, AT, REGION);
                assertEquals(bytes[AT] & 0xFF, icmp.type());
                assertEquals(u16(bytes, AT + 2), icmp.checksum());
            } finally {
                buf.release();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void writesLandOnTheSameBytesAsOnAHeapBuffer(Kind kind) {
        ByteBuf expected = Unpooled.wrappedBuffer(new byte[AT + REGION]);
        ByteBuf actual = kind.make.apply(new byte[AT + REGION]);
        try {
            for (ByteBuf buf : new ByteBuf[] {expected, actual}) {
                TcpSegmentView tcp = new TcpSegmentView().wrap(buf, AT, REGION);
                tcp.setSourcePort(0xBEEF);
                tcp.setDestinationPort(443);
                tcp.setSeq(0x89ABCDEF);
                tcp.setAck(-2);
                tcp.setHeaderLength(32, 0);
                tcp.setFlags(TcpFlags.ACK | TcpFlags.PSH);
                tcp.setWindow(0xFFFF);
                tcp.setUrgentPointer(0x0102);
            }
            assertArrayEquals(bytes(expected), bytes(actual));
        } finally {
            expected.release();
            actual.release();
        }
    }

    @Test
    void aReadOnlyDirectBufferStaysReadOnly() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(REGION).writeZero(REGION);
        try {
            TcpSegmentView tcp = new TcpSegmentView().wrap(buf.asReadOnly(), 0, REGION);
            assertEquals(0, tcp.seq());
            assertThrows(ReadOnlyBufferException.class, () -> tcp.setSeq(1));
            assertEquals(0, buf.getInt(4));
        } finally {
            buf.release();
        }
    }

    @Test
    void aViewUsedAfterItsBufferWasReleasedFails() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(REGION).writeZero(REGION);
        TcpSegmentView tcp = new TcpSegmentView().wrap(buf, 0, REGION);
        buf.release();
        assertFalse(buf.refCnt() > 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, tcp::seq);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void aRegionShorterThanTheFixedHeaderAtTheBufferEndKeepsTheCheckedAccessors() {
        // 12 bytes at the end of the buffer: direct access would read past it; the checked accessors refuse.
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16, 16).writeZero(16);
        try {
            TcpSegmentView tcp = new TcpSegmentView().wrap(buf, 4, 12);
            assertEquals(DropReason.TCP_TRUNCATED, tcp.check());
            assertEquals(0, tcp.ack());
            assertThrows(IndexOutOfBoundsException.class, tcp::window);
        } finally {
            buf.release();
        }
    }

    /**
     * The aligned-timestamp fast path of {@link TcpSegmentView#check()} (Linux's
     * tcp_parse_aligned_timestamp()) reports what the option walk reports, and a 32-byte header
     * with another layout still takes the walk.
     */
    @Test
    void alignedTimestampsParseAsTheOptionWalkDoes() {
        byte[] aligned = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, (byte) 0x99, (byte) 0x88, 0x77, 0x66};
        byte[] timestampsFirst = {8, 10, 0x11, 0x22, 0x33, 0x44, (byte) 0x99, (byte) 0x88, 0x77, 0x66, 1, 1};
        byte[] sackAndMss = {1, 1, 4, 2, 2, 4, 0x05, (byte) 0xB4, 1, 3, 3, 7};
        for (byte[] options : new byte[][] {aligned, timestampsFirst, sackAndMss}) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(32 + 5).writeZero(32 + 5);
            try {
                TcpSegmentView tcp = checkedWithOptions(buf, 37, options);
                ParsedTcpOptions walked = new ParsedTcpOptions();
                assertNull(TcpOptionParser.parse(buf, 20, 32, walked));
                ParsedTcpOptions fast = tcp.options();
                assertEquals(walked.hasTimestamps(), fast.hasTimestamps());
                assertEquals(walked.tsVal(), fast.tsVal());
                assertEquals(walked.tsEcr(), fast.tsEcr());
                assertEquals(walked.hasMss(), fast.hasMss());
                assertEquals(walked.sackPermitted(), fast.sackPermitted());
                assertEquals(walked.hasWindowScale(), fast.hasWindowScale());
            } finally {
                buf.release();
            }
        }
        ParsedTcpOptions expected = new ParsedTcpOptions();
        expected.onTimestamps(0x11223344, 0x99887766);
        TcpSegmentView tcp = checkedWithOptions(Unpooled.wrappedBuffer(new byte[32]), 32, aligned);
        assertEquals(expected.tsVal(), tcp.options().tsVal());
        assertEquals(expected.tsEcr(), tcp.options().tsEcr());
    }

    /** A segment of {@code length} bytes at the start of {@code buf} with a 32-byte header holding {@code options}, checked. */
    private static TcpSegmentView checkedWithOptions(ByteBuf buf, int length, byte[] options) {
        TcpSegmentView tcp = new TcpSegmentView().wrap(buf, 0, length);
        tcp.setSourcePort(1);
        tcp.setDestinationPort(2);
        tcp.setHeaderLength(32, 0);
        buf.setBytes(20, options);
        assertNull(tcp.check());
        return tcp;
    }

    private static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    private static int i32(byte[] b, int i) {
        return (u16(b, i) << 16) | u16(b, i + 2);
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.capacity()];
        buf.getBytes(0, b);
        return b;
    }
}
