package io.usertcp.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * What every view shares: the borrowed buffer and the region of it the view reads, and the
 * accessors of the region's fixed header. A view never retains or releases the buffer and never
 * moves its indices.
 *
 * <p><b>Direct access to the fixed header.</b> Every field of a fixed header (20 bytes of IPv4 or
 * TCP, 8 of ICMP) is read and written through {@link #u8}, {@link #u16}, {@link #i32} and their
 * setters. When the buffer has a memory address (the pooled direct buffers a TUN link reads into
 * and the stack writes) and the whole fixed header lies within its capacity, these go straight to
 * that memory. Going through {@code ByteBuf.getInt} instead costs a bounds check and a reference
 * count check on every field (Netty's {@code AbstractByteBuf.checkIndex} and
 * {@code ensureAccessible}), about a quarter of the CPU time of an in-order segment with its ACK
 * (benchmarks/README.md). Both checks are made here once per region instead: {@link #bind}
 * checks the bounds, and the caller's ownership rule (the buffer is alive and not resized while
 * the view is bound) stands in for the reference count, which assertions check on every access
 * (tests run with {@code -ea}, so a view used after its buffer was released fails there). Heap
 * buffers, buffers without an address and regions shorter than the fixed header use the
 * {@code ByteBuf} accessors, as does everything when {@code -Dusertcp.wire.directAccess=false}.
 * Fields are big-endian (network order) either way.
 */
abstract class WireRegion {
    /** Off with {@code -Dusertcp.wire.directAccess=false}: every field through the {@code ByteBuf}'s checked accessors. */
    private static final boolean DIRECT_ACCESS = Boolean.parseBoolean(System.getProperty("usertcp.wire.directAccess", "true"))
            && PlatformDependent.hasUnsafe();
    private static final boolean NATIVE_BIG_ENDIAN = PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;

    /** Bytes of the fixed header, the extent {@link #u8} and the other accessors stay within. */
    private final int fixedLength;

    /** The buffer being viewed; borrowed. */
    protected ByteBuf buf;
    /** Absolute offset of the region. */
    protected int offset;
    /** Length of the region in bytes. */
    protected int length;
    /** The memory address of the region's first byte when the fixed header is read directly, else 0. */
    private long address;
    /** {@link #address} when the buffer may also be written directly (it is not read-only), else 0. */
    private long writeAddress;

    /** @param fixedLength the fixed header's length: every accessor's {@code at + width} is at most this */
    WireRegion(int fixedLength) {
        this.fixedLength = fixedLength;
    }

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
        this.address = DIRECT_ACCESS && buf.hasMemoryAddress() && fixedLength <= buf.capacity() - offset
                ? buf.memoryAddress() + offset : 0;
        // A read-only buffer's setters throw ReadOnlyBufferException: writes to it keep going through them.
        this.writeAddress = buf.isReadOnly() ? 0 : address;
    }

    /** Assertions' check that direct access is still sound: the buffer is alive and has not moved. */
    private boolean stillBound() {
        if (buf.refCnt() <= 0) {
            throw new IllegalStateException("view used after its buffer was released");
        }
        if (buf.memoryAddress() + offset != address) {
            throw new IllegalStateException("view used after its buffer was resized");
        }
        return true;
    }

    /** The unsigned byte at {@code at} from the region's start ({@code at < fixedLength}). */
    protected final int u8(int at) {
        if (address != 0) {
            assert stillBound();
            return PlatformDependent.getByte(address + at) & 0xFF;
        }
        return buf.getUnsignedByte(offset + at);
    }

    /** The unsigned big-endian 16-bit field at {@code at} ({@code at + 2 <= fixedLength}). */
    protected final int u16(int at) {
        if (address != 0) {
            assert stillBound();
            short v = PlatformDependent.getShort(address + at);
            return (NATIVE_BIG_ENDIAN ? v : Short.reverseBytes(v)) & 0xFFFF;
        }
        return buf.getUnsignedShort(offset + at);
    }

    /** The big-endian 32-bit field at {@code at} ({@code at + 4 <= fixedLength}). */
    protected final int i32(int at) {
        if (address != 0) {
            assert stillBound();
            int v = PlatformDependent.getInt(address + at);
            return NATIVE_BIG_ENDIAN ? v : Integer.reverseBytes(v);
        }
        return buf.getInt(offset + at);
    }

    /** Stores the low 8 bits of {@code value} at {@code at} ({@code at < fixedLength}). */
    protected final void put8(int at, int value) {
        if (writeAddress != 0) {
            assert stillBound();
            PlatformDependent.putByte(writeAddress + at, (byte) value);
        } else {
            buf.setByte(offset + at, value);
        }
    }

    /** Stores the low 16 bits of {@code value}, big-endian, at {@code at} ({@code at + 2 <= fixedLength}). */
    protected final void put16(int at, int value) {
        if (writeAddress != 0) {
            assert stillBound();
            short v = (short) value;
            PlatformDependent.putShort(writeAddress + at, NATIVE_BIG_ENDIAN ? v : Short.reverseBytes(v));
        } else {
            buf.setShort(offset + at, value);
        }
    }

    /** Stores {@code value}, big-endian, at {@code at} ({@code at + 4 <= fixedLength}). */
    protected final void put32(int at, int value) {
        if (writeAddress != 0) {
            assert stillBound();
            PlatformDependent.putInt(writeAddress + at, NATIVE_BIG_ENDIAN ? value : Integer.reverseBytes(value));
        } else {
            buf.setInt(offset + at, value);
        }
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
