package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * What every view shares: the borrowed buffer and the region of it the view reads. A view never
 * retains or releases the buffer and never moves its indices.
 */
abstract class WireRegion {
    /** The buffer being viewed; borrowed. */
    protected ByteBuf buf;
    /** Absolute offset of the region. */
    protected int offset;
    /** Length of the region in bytes. */
    protected int length;

    /**
     * Points the view at {@code length} bytes of {@code buf} from absolute {@code offset}.
     *
     * @param buf borrowed: the caller keeps ownership and must keep it alive while the view is used
     * @throws IllegalArgumentException when the region is not within the buffer's capacity
     */
    final void bind(ByteBuf buf, int offset, int length) {
        // Written so that offset + length cannot overflow.
        if (offset < 0 || length < 0 || offset > buf.capacity() || length > buf.capacity() - offset) {
            throw new IllegalArgumentException("region: offset " + offset + ", length " + length
                    + " (expected: within the buffer's capacity " + buf.capacity() + ")");
        }
        this.buf = buf;
        this.offset = offset;
        this.length = length;
    }

    /** The buffer this view reads; borrowed. */
    public final ByteBuf buffer() {
        return buf;
    }

    /** Absolute offset of the region in the buffer. */
    public final int offset() {
        return offset;
    }

    /** Bytes in the region. */
    public final int length() {
        return length;
    }
}
