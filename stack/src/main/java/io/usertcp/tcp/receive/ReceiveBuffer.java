package io.usertcp.tcp.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;

/**
 * In-order bytes received and not yet read by the application.
 *
 * <p>Ownership: holds retained slices of inbound packets ({@link #append}); the application takes
 * bytes out either as a new buffer it owns ({@link #read(ByteBufAllocator, int)}) or by copy
 * ({@link #read(ByteBuf)}). {@link #release()} frees everything.
 */
final class ReceiveBuffer {
    private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
    private int capacityBytes;
    private int sizeBytes;

    ReceiveBuffer(int capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** Changes the capacity (SO_SNDBUF / SO_RCVBUF); bytes already held stay, even above a smaller one. */
    void setCapacity(int capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    int size() {
        return sizeBytes;
    }

    int capacity() {
        return capacityBytes;
    }

    /** Free space, which bounds the window we advertise. */
    int space() {
        return Math.max(0, capacityBytes - sizeBytes);
    }

    /**
     * Queues {@code length} bytes of {@code packet} at {@code offset}.
     *
     * @param packet borrowed: a retained slice is kept, the caller still releases the packet
     */
    void append(ByteBuf packet, int offset, int length) {
        if (length > 0) {
            chunks.addLast(packet.retainedSlice(offset, length));
            sizeBytes += length;
        }
    }

    /**
     * Queues a buffer whose ownership moves here (a slice released by reassembly).
     *
     * @param owned ownership moves in
     */
    void appendOwned(ByteBuf owned) {
        if (owned.isReadable()) {
            sizeBytes += owned.readableBytes();
            chunks.addLast(owned);
        } else {
            owned.release();
        }
    }

    /**
     * Copies up to {@code dst.writableBytes()} bytes into {@code dst}, advancing its writer index.
     *
     * @param dst borrowed
     * @return bytes copied
     */
    int read(ByteBuf dst) {
        int total = 0;
        while (dst.isWritable() && !chunks.isEmpty()) {
            ByteBuf head = chunks.peekFirst();
            int n = Math.min(head.readableBytes(), dst.writableBytes());
            dst.writeBytes(head, n);
            total += n;
            if (!head.isReadable()) {
                chunks.pollFirst().release();
            }
        }
        sizeBytes -= total;
        return total;
    }

    /**
     * Takes up to {@code maxBytes} bytes as one buffer.
     *
     * @return a buffer the caller owns and must release, or {@code null} when nothing is buffered
     */
    ByteBuf read(ByteBufAllocator allocator, int maxBytes) {
        if (sizeBytes == 0 || maxBytes <= 0) {
            return null;
        }
        ByteBuf out = allocator.buffer(Math.min(maxBytes, sizeBytes));
        read(out);
        return out;
    }

    void release() {
        ByteBuf chunk;
        while ((chunk = chunks.pollFirst()) != null) {
            chunk.release();
        }
        sizeBytes = 0;
    }
}
