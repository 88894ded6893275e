package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Where a benchmark's bytes live. A TUN read lands in direct memory (DESIGN.md §6), tests and
 * tools mostly use heap buffers; Netty reads the two through different code, so both are measured.
 */
public enum BufferKind {
    /** Off-heap memory, as the TUN link reads into. */
    DIRECT,
    /** A {@code byte[]}-backed buffer. */
    HEAP;

    /**
     * A new unpooled buffer of exactly {@code capacity} bytes.
     *
     * @return owned by the caller, who releases it
     */
    public ByteBuf allocate(int capacity) {
        return this == DIRECT ? Unpooled.directBuffer(capacity, capacity) : Unpooled.buffer(capacity, capacity);
    }
}
