package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The checksum's fast paths (heap array, native memory, composite) agree with an RFC 1071 reference
 * on every kind of buffer, at every length and alignment; bad regions still fail loudly.
 */
class InternetChecksumBufferKindsTest {

    enum Kind {
        HEAP(b -> Unpooled.wrappedBuffer(b)),
        HEAP_SLICE(b -> {
            ByteBuf big = Unpooled.buffer(b.length + 7);
            big.writeZero(3).writeBytes(b).writeZero(4);
            ByteBuf slice = big.slice(3, b.length);
            return slice;
        }),
        DIRECT(b -> Unpooled.directBuffer(b.length).writeBytes(b)),
        DIRECT_SLICE(b -> {
            ByteBuf big = Unpooled.directBuffer(b.length + 5);
            big.writeZero(5).writeBytes(b);
            return big.slice(5, b.length);
        }),
        POOLED_DIRECT(b -> PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b)),
        COMPOSITE(b -> {
            CompositeByteBuf c = Unpooled.compositeBuffer();
            int half = b.length / 2;
            c.addComponent(true, Unpooled.wrappedBuffer(b, 0, half));
            c.addComponent(true, Unpooled.directBuffer(b.length - half).writeBytes(b, half, b.length - half));
            return c;
        });

        final Function<byte[], ByteBuf> make;

        Kind(Function<byte[], ByteBuf> make) {
            this.make = make;
        }
    }

    /** RFC 1071 §1 literally: 16-bit big-endian words, an odd last byte padded with zero. */
    static long reference(byte[] b, int offset, int length) {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += ((b[offset + i] & 0xFF) << 8) | (b[offset + i + 1] & 0xFF);
        }
        if ((length & 1) != 0) {
            sum += (b[offset + length - 1] & 0xFF) << 8;
        }
        return sum;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyLengthAndOffset_matchesTheReference(Kind kind) {
        SplittableRandom random = new SplittableRandom(99);
        byte[] bytes = new byte[1600];
        random.nextBytes(bytes);
        ByteBuf buf = kind.make.apply(bytes);
        try {
            for (int offset = 0; offset < 16; offset++) {
                for (int length = 0; length + offset <= bytes.length; length += 1 + random.nextInt(37)) {
                    assertEquals(InternetChecksum.fold(reference(bytes, offset, length)),
                            InternetChecksum.fold(InternetChecksum.sum(buf, offset, length)),
                            kind + " offset " + offset + " length " + length);
                }
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void regionOutsideTheBuffer_throws() {
        ByteBuf buf = Unpooled.directBuffer(64).writeZero(64);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, 60, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, -1, 8));
        } finally {
            buf.release();
        }
    }

    @Test
    void releasedBuffer_throws() {
        ByteBuf buf = Unpooled.directBuffer(64).writeZero(64);
        buf.release();
        assertThrows(IllegalReferenceCountException.class, () -> InternetChecksum.sum(buf, 0, 64));
    }
}
