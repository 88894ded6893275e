package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * A fuzz input laid into a {@link ByteBuf} the way packets arrive: at a non-zero, odd offset (so
 * nothing may assume alignment), with the buffer's capacity ending exactly where the input ends (so
 * any read past the region throws), and with the reader index at the input's first byte.
 *
 * <p>{@link #assertUntouched()} checks what a borrowed buffer must still be after a parser had it
 * (DESIGN.md §3, §5): same reader and writer index, same bytes, still one reference. Closing
 * releases the buffer; use try-with-resources.
 */
final class FuzzRegion implements AutoCloseable {
    /** Odd on purpose: the checksum reads 8 bytes at a time and must not depend on alignment. */
    static final int OFFSET = 3;

    private final ByteBuf buf;
    private final byte[] before;

    private FuzzRegion(ByteBuf buf) {
        this.buf = buf;
        this.before = ByteBufUtil.getBytes(buf, 0, buf.capacity());
    }

    /** Copies {@code data} behind {@link #OFFSET} bytes of 0xEE into a buffer of exactly that size. */
    static FuzzRegion of(byte[] data) {
        int capacity = OFFSET + data.length;
        ByteBuf buf = Unpooled.buffer(capacity, capacity);
        buf.writeBytes(new byte[] {(byte) 0xEE, (byte) 0xEE, (byte) 0xEE});
        buf.writeBytes(data);
        buf.readerIndex(OFFSET);
        return new FuzzRegion(buf);
    }

    /** The buffer; borrowed from this region. */
    ByteBuf buf() {
        return buf;
    }

    int offset() {
        return OFFSET;
    }

    int length() {
        return buf.capacity() - OFFSET;
    }

    /** The buffer's indices, bytes and reference count are as they were when the region was made. */
    void assertUntouched() {
        assertEquals(OFFSET, buf.readerIndex(), "reader index moved");
        assertEquals(buf.capacity(), buf.writerIndex(), "writer index moved");
        assertEquals(1, buf.refCnt(), "reference count changed");
        assertArrayEquals(before, ByteBufUtil.getBytes(buf, 0, buf.capacity()), "bytes changed");
    }

    @Override
    public void close() {
        buf.release();
    }
}
