package io.usertcp.tcp.send;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.ByteQuota;

/**
 * Bytes the application has written and the peer has not yet acknowledged, from SND.UNA onwards
 * (SYN and FIN take sequence numbers but no bytes here).
 *
 * <p>Ownership: the buffer holds retained slices of what the application passed to
 * {@link #append}; it releases each as the peer acknowledges its bytes, and everything on
 * {@link #release()}. Data is copied only once, into the outgoing packet.
 */
final class SendBuffer {
    private static final ByteBuf[] NONE = {};
    private static final int FIRST_ROOM = 16;
    /**
     * The chunks, oldest first, in a ring that grows by doubling: index access for the cursor below.
     * Empty until the first write (an idle connection holds no array), then {@link #FIRST_ROOM}.
     */
    private ByteBuf[] ring = NONE;
    private int head;
    private int count;
    /** Bytes held against SO_SNDBUF / SO_RCVBUF. */
    private final ByteQuota quota;
    /**
     * Where the last {@link #copy} ended: chunk {@code cursorChunk} (counted from the oldest) starts
     * {@code cursorStart} bytes after SND.UNA. A sender copies segment after segment forwards, so
     * starting there keeps each copy independent of how much is in flight.
     */
    private int cursorChunk;
    private int cursorStart;

    SendBuffer(int capacityBytes) {
        this.quota = new ByteQuota(capacityBytes);
    }

    /** Changes the capacity (SO_SNDBUF / SO_RCVBUF); bytes already held stay, even above a smaller one. */
    void setCapacity(int capacityBytes) {
        quota.setCapacity(capacityBytes);
    }

    /** Bytes held: sent-but-unacknowledged plus not yet sent. */
    int size() {
        return quota.size();
    }

    int capacity() {
        return quota.capacity();
    }

    /** Room left for the application. */
    int space() {
        return quota.space();
    }

    /**
     * Takes up to {@link #space()} readable bytes of {@code src} as a retained slice, advancing its
     * reader index.
     *
     * @param src borrowed: the caller still owns and releases it
     * @return the number of bytes taken
     */
    int append(ByteBuf src) {
        return append(src, space());
    }

    /**
     * Takes up to {@code limit} readable bytes of {@code src}, whatever the capacity says: for a
     * caller that decides the amount itself (Linux's skb accounting, {@link SkbQueue}).
     *
     * @param src borrowed: the caller still owns and releases it
     */
    int append(ByteBuf src, int limit) {
        int n = Math.min(src.readableBytes(), Math.max(0, limit));
        if (n > 0) {
            if (count == ring.length) {
                grow();
            }
            ring[(head + count) & (ring.length - 1)] = src.readRetainedSlice(n);
            count++;
            quota.add(n);
        }
        return n;
    }

    private void grow() {
        ByteBuf[] bigger = new ByteBuf[Math.max(FIRST_ROOM, ring.length * 2)];
        for (int i = 0; i < count; i++) {
            bigger[i] = chunk(i);
        }
        ring = bigger;
        head = 0;
    }

    /** The {@code i}-th chunk from the oldest. */
    private ByteBuf chunk(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    /**
     * Copies {@code length} bytes starting {@code offset} bytes after SND.UNA's first data byte into
     * {@code dst} at {@code dstIndex}.
     *
     * @param dst borrowed, written with absolute sets
     */
    void copy(int offset, int length, ByteBuf dst, int dstIndex) {
        if (offset < 0 || length < 0 || offset + length > quota.size()) {
            throw new IllegalStateException("copy " + offset + "+" + length + " of " + quota.size() + " buffered bytes");
        }
        if (length == 0) {
            return;
        }
        if (offset < cursorStart) {
            cursorChunk = 0; // a retransmission from further back: start from the oldest chunk
            cursorStart = 0;
        }
        int i = cursorChunk;
        int chunkStart = cursorStart;
        while (chunkStart + chunk(i).readableBytes() <= offset) {
            chunkStart += chunk(i).readableBytes();
            i++;
        }
        int left = length;
        int to = dstIndex;
        int skip = offset - chunkStart;
        while (left > 0) {
            ByteBuf c = chunk(i);
            int n = Math.min(c.readableBytes() - skip, left);
            dst.setBytes(to, c, c.readerIndex() + skip, n);
            to += n;
            left -= n;
            if (skip + n == c.readableBytes() && i + 1 < count) {
                chunkStart += c.readableBytes();
                i++;
                skip = 0;
            } else {
                skip += n;
            }
        }
        cursorChunk = i;
        cursorStart = chunkStart;
    }

    /** Drops the first {@code bytes} bytes, acknowledged by the peer, releasing emptied chunks. */
    void acknowledge(int bytes) {
        int left = Math.min(bytes, quota.size());
        int acknowledged = left;
        int removed = 0;
        quota.remove(left);
        while (left > 0) {
            ByteBuf first = ring[head];
            int readable = first.readableBytes();
            if (readable <= left) {
                first.release();
                ring[head] = null;
                head = (head + 1) & (ring.length - 1);
                count--;
                removed++;
                left -= readable;
            } else {
                first.skipBytes(left);
                left = 0;
            }
        }
        // Offsets count from SND.UNA, which moved: the cursor's chunk keeps its place if it is still held.
        if (cursorChunk > removed) {
            cursorChunk -= removed;
            cursorStart -= acknowledged;
        } else {
            cursorChunk = 0;
            cursorStart = 0;
        }
    }

    /** Releases everything held. */
    void release() {
        while (count > 0) {
            ring[head].release();
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            count--;
        }
        quota.clear();
        cursorChunk = 0;
        cursorStart = 0;
    }
}
