package io.usertcp.tcp.receive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.core.MemoryBudget;
import org.junit.jupiter.api.Test;

/**
 * The receive buffer charges what it really holds (Linux's truesize accounting): full-sized
 * segments stay zero-copy slices of their packet buffers; small ones are copied into compact
 * chunks, so a flood of 1-byte segments in 1536-byte packet buffers holds about what it buffers,
 * not 1,500 times more (the remote memory exhaustion of issue "Hardening against hostile peers").
 */
class ReceiveBufferTest {
    private static final int PACKET_BUFFER = 1536;

    /** A packet buffer as the TUN link hands them over, with {@code payload} at offset 40. */
    private static ByteBuf packet(byte[] payload) {
        ByteBuf p = PooledByteBufAllocator.DEFAULT.directBuffer(PACKET_BUFFER, PACKET_BUFFER);
        p.writeZero(40).writeBytes(payload);
        return p;
    }

    @Test
    void fullSizedSegment_keptAsASliceOfItsPacket_chargedThePacketBuffer() {
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        ByteBuf p = packet(new byte[1448]);
        try {
            b.append(p, 40, 1448);
            assertEquals(2, p.refCnt(), "a retained slice, no copy");
            assertEquals(ReceiveBuffer.trueSize(p), b.chargedBytes());
        } finally {
            p.release();
            b.release();
        }
        assertEquals(0, b.chargedBytes());
    }

    @Test
    void oneByteSegments_copiedIntoCompactChunks_chargeAboutWhatIsBuffered() {
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        int segments = 20_000;
        for (int i = 0; i < segments; i++) {
            ByteBuf p = packet(new byte[] {(byte) i});
            try {
                b.append(p, 40, 1);
                assertEquals(1, p.refCnt(), "the packet buffer is not kept");
            } finally {
                p.release();
            }
        }
        assertEquals(segments, b.size());
        // Slices would pin 20,000 x 1536 B = 30 MB; compact chunks hold 5 x 4 KiB.
        assertTrue(b.chargedBytes() <= segments + ReceiveBuffer.COMPACT_CHUNK_BYTES,
                "charged " + b.chargedBytes() + " B for " + segments + " B buffered");
        ByteBuf out = Unpooled.buffer(segments);
        try {
            assertEquals(segments, b.read(out));
            byte[] expected = new byte[segments];
            for (int i = 0; i < segments; i++) {
                expected[i] = (byte) i;
            }
            assertArrayEquals(expected, ByteBufUtil.getBytes(out), "bytes in order, none lost");
        } finally {
            out.release();
        }
        assertEquals(0, b.chargedBytes(), "every chunk released once read");
    }

    @Test
    void smallAndLargeSegmentsInterleaved_readBackInOrder_chargeReturnsToZero() {
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        byte[] all = new byte[5 * (1448 + 3)];
        int at = 0;
        for (int i = 0; i < 5; i++) {
            byte[] big = new byte[1448];
            java.util.Arrays.fill(big, (byte) (10 + i));
            byte[] small = {(byte) i, (byte) (i + 1), (byte) (i + 2)};
            for (byte[] payload : new byte[][] {big, small}) {
                ByteBuf p = packet(payload);
                b.append(p, 40, payload.length);
                p.release();
                System.arraycopy(payload, 0, all, at, payload.length);
                at += payload.length;
            }
        }
        assertTrue(b.chargedBytes() <= 2L * b.size() + ReceiveBuffer.COMPACT_CHUNK_BYTES * 5L);
        ByteBuf out = Unpooled.buffer(all.length);
        try {
            b.read(out);
            assertArrayEquals(all, ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
        assertEquals(0, b.chargedBytes());
        b.release();
    }
}
