package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An exact leak check for one run of a test: an allocator that records every buffer it hands out,
 * plus any other buffer given to {@link #record}, and {@link #assertAllReleased()}, which fails
 * unless each of them is released (reference count 0).
 *
 * <p>Netty's paranoid leak detector finds a buffer that became garbage unreleased, some time after
 * the fact, and records a stack trace at every access, which makes a fuzz input ten times slower.
 * The ledger instead checks each buffer when the run is over (every connection closed, the stack
 * closed), so it catches what paranoid catches (a tracked buffer never released), at once and
 * pinned to the run that leaked it, and more: a buffer still referenced but never released, and
 * the unpooled heap buffers Netty does not track at all (the packets fed to the stack, the data
 * handed to SEND). It gives no access records: replay the input with paranoid detection for those.
 *
 * <p>Pooled buffers are recycled once released, so one object may be recorded twice; its count is
 * then that of its latest allocation, which a correct run has released too. Not thread-safe: for
 * one stack thread.
 */
public final class ByteBufLedger implements ByteBufAllocator {
    private final ByteBufAllocator delegate;
    private final List<ByteBuf> buffers = new ArrayList<>();

    /** @param delegate the allocator that really allocates (e.g. {@code PooledByteBufAllocator.DEFAULT}) */
    public ByteBufLedger(ByteBufAllocator delegate) {
        this.delegate = delegate;
    }

    /**
     * Adds a buffer not allocated here that must be released by the end of the run.
     *
     * @param buf borrowed: recorded, not retained
     * @return {@code buf}
     */
    public <T extends ByteBuf> T record(T buf) {
        buffers.add(buf);
        return buf;
    }

    /** Buffers recorded so far. */
    public int recorded() {
        return buffers.size();
    }

    /** Fails with every buffer still unreleased, by the order it was recorded in, then forgets them all. */
    public void assertAllReleased() {
        List<String> unreleased = new ArrayList<>();
        for (int i = 0; i < buffers.size(); i++) {
            ByteBuf b = buffers.get(i);
            if (b.refCnt() != 0) {
                unreleased.add("#" + i + " of " + buffers.size() + ": refCnt " + b.refCnt() + ", " + b);
            }
        }
        buffers.clear();
        if (!unreleased.isEmpty()) {
            throw new AssertionError(unreleased.size() + " ByteBuf(s) not released:\n" + String.join("\n", unreleased));
        }
    }

    @Override
    public ByteBuf buffer() {
        return record(delegate.buffer());
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        return record(delegate.buffer(initialCapacity));
    }

    @Override
    public ByteBuf buffer(int initialCapacity, int maxCapacity) {
        return record(delegate.buffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf ioBuffer() {
        return record(delegate.ioBuffer());
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity) {
        return record(delegate.ioBuffer(initialCapacity));
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
        return record(delegate.ioBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf heapBuffer() {
        return record(delegate.heapBuffer());
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity) {
        return record(delegate.heapBuffer(initialCapacity));
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
        return record(delegate.heapBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf directBuffer() {
        return record(delegate.directBuffer());
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity) {
        return record(delegate.directBuffer(initialCapacity));
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
        return record(delegate.directBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public CompositeByteBuf compositeBuffer() {
        return record(delegate.compositeBuffer());
    }

    @Override
    public CompositeByteBuf compositeBuffer(int maxNumComponents) {
        return record(delegate.compositeBuffer(maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer() {
        return record(delegate.compositeHeapBuffer());
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return record(delegate.compositeHeapBuffer(maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer() {
        return record(delegate.compositeDirectBuffer());
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return record(delegate.compositeDirectBuffer(maxNumComponents));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return delegate.isDirectBufferPooled();
    }

    @Override
    public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
        return delegate.calculateNewCapacity(minNewCapacity, maxCapacity);
    }
}
