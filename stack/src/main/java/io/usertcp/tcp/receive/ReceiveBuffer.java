package io.usertcp.tcp.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.ByteQuota;
import io.usertcp.core.MemoryBudget;
import java.util.ArrayDeque;
import java.util.List;

/**
 * In-order bytes received and not yet read by the application, charged by the memory they really
 * hold (Linux charges each skb's truesize against the receive buffer).
 *
 * <p>A segment keeps its packet buffer alive for as long as its bytes wait here. For full-sized
 * segments that costs little, and they are kept as retained slices (no copy). A segment whose
 * packet buffer is more than twice its payload would pin mostly waste, and a peer sending 1-byte
 * segments into a closed window could make a 128 KiB buffer hold hundreds of megabytes: such
 * payloads are copied into compact chunks, filled one after another (Linux tcp_collapse does the
 * same afterwards). So what is held stays within about twice the bytes buffered plus one chunk.
 *
 * <p>Ownership: holds retained slices of inbound packets ({@link #append}) and compact chunks it
 * allocated; the application takes bytes out either as a new buffer it owns
 * ({@link #read(ByteBufAllocator, int)}) or by copy ({@link #read(ByteBuf)}). {@link #release()}
 * frees everything.
 */
final class ReceiveBuffer {
    /** Compact chunks hold this many bytes of small segments (collapsing makes them no larger than their data). */
    static final int COMPACT_CHUNK_BYTES = 4096;

    /** Room for one chunk to start with (ArrayDeque's default is 16: 84 bytes on every idle connection); it grows as data waits. */
    private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>(1);
    private final ByteBufAllocator allocator;
    private final MemoryBudget budget;
    /** Bytes held against SO_SNDBUF / SO_RCVBUF. */
    private final ByteQuota quota;
    /** The memory the chunks really hold: their packet buffers' capacities, or the compact chunks'. */
    private long chargedBytes;
    /** The last chunk, when it is a compact one with room for more small payloads; else null. */
    private ByteBuf compactTail;

    ReceiveBuffer(int capacityBytes, ByteBufAllocator allocator, MemoryBudget budget) {
        this.quota = new ByteQuota(capacityBytes);
        this.allocator = allocator;
        this.budget = budget;
    }

    /** Charges (or, negative, gives back) memory here and in the stack-wide budget. */
    private void charge(long bytes) {
        chargedBytes += bytes;
        budget.charge(bytes);
    }

    /** Changes the capacity (SO_SNDBUF / SO_RCVBUF); bytes already held stay, even above a smaller one. */
    void setCapacity(int capacityBytes) {
        quota.setCapacity(capacityBytes);
    }

    int size() {
        return quota.size();
    }

    int capacity() {
        return quota.capacity();
    }

    /** Free space, which bounds the window we advertise. */
    int space() {
        return quota.space();
    }

    /** The memory the buffered bytes really hold (Linux sk_rmem_alloc). */
    long chargedBytes() {
        return chargedBytes;
    }

    /**
     * The memory a buffer keeps alive: the capacity of the buffer it was sliced from (or its own).
     * A slice of a pooled packet buffer pins that whole buffer.
     */
    static int trueSize(ByteBuf buf) {
        ByteBuf root = buf;
        ByteBuf parent;
        while ((parent = root.unwrap()) != null) {
            root = parent;
        }
        return root.capacity();
    }

    /**
     * Queues {@code length} bytes of {@code packet} at {@code offset}: as a retained slice, or
     * copied into a compact chunk when the packet buffer is more than twice the payload.
     *
     * @param packet borrowed: the caller still releases the packet
     */
    void append(ByteBuf packet, int offset, int length) {
        if (length <= 0) {
            return;
        }
        int trueSize = trueSize(packet);
        if (trueSize <= 2 * length) {
            chunks.addLast(packet.retainedSlice(offset, length));
            charge(trueSize);
            compactTail = null;
        } else {
            appendCompact(packet, offset, length);
        }
        quota.add(length);
    }

    private void appendCompact(ByteBuf packet, int offset, int length) {
        appendCompact(packet, offset, length, -1);
    }

    /**
     * Copies into compact chunks of {@link #COMPACT_CHUNK_BYTES}; while collapsing, {@code toCopy} (the
     * bytes still to be copied, these included) keeps new chunks no larger than what will fill them.
     *
     * @param packet borrowed: its bytes are copied, the caller keeps and releases it
     */
    private void appendCompact(ByteBuf packet, int offset, int length, int toCopy) {
        int at = offset;
        int left = length;
        while (left > 0) {
            if (compactTail == null || !compactTail.isWritable()) {
                int capacity = toCopy < 0 ? COMPACT_CHUNK_BYTES : Math.min(COMPACT_CHUNK_BYTES, toCopy);
                compactTail = allocator.buffer(capacity, capacity);
                chunks.addLast(compactTail);
                charge(compactTail.capacity());
            }
            int n = Math.min(left, compactTail.writableBytes());
            compactTail.writeBytes(packet, at, n);
            at += n;
            left -= n;
            if (toCopy >= 0) {
                toCopy -= n;
            }
        }
    }

    /**
     * Queues a buffer whose ownership moves here (a slice released by reassembly).
     *
     * @param owned ownership moves in
     */
    void appendOwned(ByteBuf owned) {
        if (owned.isReadable()) {
            quota.add(owned.readableBytes());
            charge(trueSize(owned));
            chunks.addLast(owned);
            compactTail = null;
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
                releaseHead();
            }
        }
        quota.remove(total);
        return total;
    }

    /**
     * Moves up to {@code maxBytes} bytes out as buffers the caller then owns, without copying: whole
     * chunks, or a retained slice of the part of a chunk that is taken (a compact chunk still being
     * filled stays, with its taken part sliced off). The caller copies them where it likes, on its
     * own thread (as Linux's recvmsg() copies in the reader's context), and releases them.
     *
     * @param out receives the buffers, in stream order
     * @return the bytes moved
     */
    int take(int maxBytes, List<ByteBuf> out) {
        int total = 0;
        while (total < maxBytes && !chunks.isEmpty()) {
            ByteBuf head = chunks.peekFirst();
            int n = Math.min(head.readableBytes(), maxBytes - total);
            if (n == head.readableBytes() && head != compactTail) {
                chunks.pollFirst();
                charge(-trueSize(head));
                out.add(head); // the whole chunk, and its ownership
            } else {
                out.add(head.readRetainedSlice(n));
                if (!head.isReadable()) {
                    releaseHead(); // a compact chunk read to its end: it stops being the one filled
                }
            }
            total += n;
        }
        quota.remove(total);
        return total;
    }

    /**
     * Takes up to {@code maxBytes} bytes as one buffer.
     *
     * @return a buffer the caller owns and must release, or {@code null} when nothing is buffered
     */
    ByteBuf read(ByteBufAllocator allocator, int maxBytes) {
        if (quota.size() == 0 || maxBytes <= 0) {
            return null;
        }
        ByteBuf out = allocator.buffer(Math.min(maxBytes, quota.size()));
        read(out);
        return out;
    }

    private void releaseHead() {
        ByteBuf head = chunks.pollFirst();
        charge(-trueSize(head));
        if (head == compactTail) {
            compactTail = null;
        }
        head.release();
    }

    /**
     * Linux tcp_collapse(): copies the queued bytes into full compact chunks, in order, and frees the
     * buffers they sat in (packet slices, partly filled or partly read chunks); only chunks that are
     * already full and unread stay. Called when the queue holds more memory than the receive buffer
     * allows, which only wasteful segment sizes cause (small ones between full-sized ones each start a
     * chunk); the data is unchanged, and afterwards it holds at most one chunk more than its bytes.
     *
     * @return the memory freed
     */
    long collapse() {
        long before = chargedBytes;
        int n = chunks.size();
        int toCopy = 0;
        for (ByteBuf c : chunks) {
            toCopy += trueSize(c) != c.readableBytes() ? c.readableBytes() : 0;
        }
        compactTail = null;
        for (int i = 0; i < n; i++) {
            ByteBuf c = chunks.pollFirst();
            int length = c.readableBytes();
            if (trueSize(c) != length) {
                appendCompact(c, c.readerIndex(), length, toCopy); // chunks no larger than what is left to copy
                toCopy -= length;
                charge(-trueSize(c));
                c.release();
            } else {
                chunks.addLast(c);
                compactTail = null;
            }
        }
        return before - chargedBytes;
    }

    void release() {
        while (!chunks.isEmpty()) {
            releaseHead();
        }
        quota.clear();
    }
}
