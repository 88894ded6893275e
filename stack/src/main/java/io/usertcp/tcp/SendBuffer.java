package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * Bytes the application has written and the peer has not yet acknowledged, from SND.UNA onwards
 * (SYN and FIN take sequence numbers but no bytes here).
 *
 * <p>Ownership: the buffer holds retained slices of what the application passed to
 * {@link #append}; it releases each as the peer acknowledges its bytes, and everything on
 * {@link #release()}. Data is copied only once, into the outgoing packet.
 */
final class SendBuffer {
    private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
    private int capacityBytes;
    private int sizeBytes;

    SendBuffer(int capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** Changes the capacity (SO_SNDBUF / SO_RCVBUF); bytes already held stay, even above a smaller one. */
    void setCapacity(int capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** Bytes held: sent-but-unacknowledged plus not yet sent. */
    int size() {
        return sizeBytes;
    }

    int capacity() {
        return capacityBytes;
    }

    /** Room left for the application. */
    int space() {
        return Math.max(0, capacityBytes - sizeBytes);
    }

    /**
     * Takes up to {@link #space()} readable bytes of {@code src} as a retained slice, advancing its
     * reader index.
     *
     * @param src borrowed: the caller still owns and releases it
     * @return the number of bytes taken
     */
    int append(ByteBuf src) {
        int n = Math.min(src.readableBytes(), space());
        if (n > 0) {
            chunks.addLast(src.readRetainedSlice(n));
            sizeBytes += n;
        }
        return n;
    }

    /**
     * Copies {@code length} bytes starting {@code offset} bytes after SND.UNA's first data byte into
     * {@code dst} at {@code dstIndex}.
     *
     * @param dst borrowed, written with absolute sets
     */
    void copy(int offset, int length, ByteBuf dst, int dstIndex) {
        if (offset < 0 || length < 0 || offset + length > sizeBytes) {
            throw new IllegalStateException("copy " + offset + "+" + length + " of " + sizeBytes + " buffered bytes");
        }
        int skip = offset;
        int left = length;
        int to = dstIndex;
        for (ByteBuf chunk : chunks) {
            int readable = chunk.readableBytes();
            if (skip >= readable) {
                skip -= readable;
                continue;
            }
            int n = Math.min(readable - skip, left);
            dst.setBytes(to, chunk, chunk.readerIndex() + skip, n);
            to += n;
            left -= n;
            skip = 0;
            if (left == 0) {
                return;
            }
        }
    }

    /** Drops the first {@code bytes} bytes, acknowledged by the peer, releasing emptied chunks. */
    void acknowledge(int bytes) {
        int left = Math.min(bytes, sizeBytes);
        sizeBytes -= left;
        while (left > 0) {
            ByteBuf head = chunks.peekFirst();
            int readable = head.readableBytes();
            if (readable <= left) {
                chunks.pollFirst().release();
                left -= readable;
            } else {
                head.skipBytes(left);
                left = 0;
            }
        }
    }

    /** Releases everything held. */
    void release() {
        ByteBuf chunk;
        while ((chunk = chunks.pollFirst()) != null) {
            chunk.release();
        }
        sizeBytes = 0;
    }
}
