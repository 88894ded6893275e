package io.usertcp.tcp.receive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.core.MemoryBudget;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void collapse_smallSegmentsBetweenFullSizedOnes_eachNoLongerHoldsAChunk() {
        // A 10-byte segment after a 1448-byte one cannot join the chunk before that slice: each starts a 4 KiB chunk of
        // its own, and the full-sized ones pin 1536-byte packet buffers: 3.9 times the data in all. Collapsing packs
        // the lot into full chunks, the last no larger than what it holds.
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        ByteBuf expected = Unpooled.buffer();
        for (int i = 0; i < 50; i++) {
            for (int size : new int[] {1448, 10}) {
                byte[] payload = new byte[size];
                java.util.Arrays.fill(payload, (byte) (i + size));
                expected.writeBytes(payload);
                ByteBuf p = packet(payload);
                b.append(p, 40, size);
                p.release();
            }
        }
        int data = expected.readableBytes();
        assertEquals(50L * (1536 + ReceiveBuffer.COMPACT_CHUNK_BYTES), b.chargedBytes());
        b.collapse();
        assertEquals(data, b.chargedBytes(), "exactly the data");
        ByteBuf out = Unpooled.buffer(data);
        try {
            assertEquals(data, b.read(out));
            assertEquals(expected, out, "the same bytes, in order");
        } finally {
            out.release();
            expected.release();
            b.release();
        }
        assertEquals(0, b.chargedBytes());
    }

    @Test
    void collapse_copiesHalfEmptySlicesIntoCompactChunks_dataUnchanged_memoryNearTheData() {
        // Linux tcp_collapse(): segments of 800 bytes in 1536-byte packet buffers stay slices (more than half full), so
        // they hold 1.9 times their data; collapsing copies them into full 4 KiB chunks and frees the packet buffers.
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        int segments = 100;
        byte[] all = new byte[segments * 800];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 7);
        }
        List<ByteBuf> packets = new ArrayList<>();
        for (int i = 0; i < segments; i++) {
            ByteBuf p = packet(java.util.Arrays.copyOfRange(all, i * 800, (i + 1) * 800));
            b.append(p, 40, 800);
            packets.add(p);
            p.release(); // the link's reference: the buffer keeps its own
        }
        ByteBuf head = Unpooled.buffer(300);
        b.read(head); // a partly read first chunk collapses too
        assertEquals(segments * (long) ReceiveBuffer.trueSize(packets.get(0)), b.chargedBytes());
        long freed = b.collapse();
        assertTrue(packets.stream().allMatch(p -> p.refCnt() == 0), "every packet buffer freed");
        long data = all.length - 300;
        assertEquals(data, b.chargedBytes(), "exactly the data");
        assertEquals(segments * 1536L - b.chargedBytes(), freed);
        ByteBuf rest = Unpooled.buffer(all.length);
        try {
            assertEquals(data, b.read(rest));
            byte[] expected = java.util.Arrays.copyOfRange(all, 300, all.length);
            assertArrayEquals(expected, ByteBufUtil.getBytes(rest), "the same bytes, in order");
            assertArrayEquals(java.util.Arrays.copyOf(all, 300), ByteBufUtil.getBytes(head));
        } finally {
            rest.release();
            head.release();
            b.release();
        }
        assertEquals(0, b.chargedBytes());
    }

    /**
     * take() moves bytes out without a copy, in stream order: whole chunks change hands, a chunk
     * taken in part gives a slice, and a compact chunk still being filled keeps being filled after
     * its first bytes were taken. Mixed full-sized and 1-byte segments, taken in odd amounts.
     */
    @Test
    void take_movesBytesOutWithoutACopy_inStreamOrder_whateverTheChunks() {
        ReceiveBuffer b = new ReceiveBuffer(1 << 20, PooledByteBufAllocator.DEFAULT, MemoryBudget.unlimited());
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        int next = 0;
        try {
            for (int round = 0; round < 50; round++) {
                int length = round % 3 == 0 ? 1448 : 1 + round % 5; // full-sized slices and compact copies
                byte[] payload = new byte[length];
                for (int i = 0; i < length; i++) {
                    payload[i] = (byte) next++;
                }
                expected.writeBytes(payload);
                ByteBuf p = packet(payload);
                try {
                    b.append(p, 40, length);
                } finally {
                    p.release();
                }
                if (round % 4 == 3) {
                    takeInto(b, 1 + 97 * round % 2000, got);
                }
            }
            takeInto(b, Integer.MAX_VALUE, got);
            assertEquals(0, b.size());
            assertEquals(0, b.chargedBytes(), "what was taken is no longer charged here");
            assertArrayEquals(expected.toByteArray(), got.toByteArray());
        } finally {
            b.release();
        }
    }

    /** Takes up to {@code max} bytes, copies them out as the blocking socket does, and releases them. */
    private static void takeInto(ReceiveBuffer b, int max, java.io.ByteArrayOutputStream to) {
        List<ByteBuf> taken = new ArrayList<>();
        int n = b.take(max, taken);
        int sum = 0;
        for (ByteBuf t : taken) {
            sum += t.readableBytes();
            byte[] bytes = new byte[t.readableBytes()];
            t.readBytes(bytes);
            to.writeBytes(bytes);
            t.release();
        }
        assertEquals(n, sum, "the count is what the buffers hold");
        assertTrue(n <= max);
    }
}
