package io.usertcp.tcp.send;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The send buffer against a plain byte-array model: what {@code copy} returns at any offset after
 * any mix of appends (of any chunk size) and acknowledgments, including the sender's usual forward
 * walk, retransmissions from further back and copies across chunk boundaries.
 */
class SendBufferTest {

    @Test
    void copy_matchesAByteArrayModel_overRandomAppendsCopiesAndAcks() {
        Random random = new Random(42);
        SendBuffer buffer = new SendBuffer(1 << 20);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        int acknowledged = 0;
        int next = 0; // the sender's forward cursor, as an offset from SND.UNA
        try {
            for (int step = 0; step < 5000; step++) {
                int op = random.nextInt(10);
                if (op < 3) {
                    byte[] chunk = new byte[1 + random.nextInt(random.nextBoolean() ? 40 : 3000)];
                    random.nextBytes(chunk);
                    ByteBuf src = Unpooled.wrappedBuffer(chunk);
                    try {
                        int n = buffer.append(src);
                        written.write(chunk, 0, n);
                    } finally {
                        src.release();
                    }
                } else if (op < 8) {
                    // Mostly the next segment forwards; sometimes a retransmission from an earlier offset.
                    int size = buffer.size();
                    if (size == 0) {
                        continue;
                    }
                    int offset = op == 7 ? random.nextInt(size) : Math.min(next, size - 1);
                    int length = Math.min(1 + random.nextInt(1460), size - offset);
                    checkCopy(buffer, written.toByteArray(), acknowledged, offset, length);
                    next = offset + length;
                } else {
                    int bytes = random.nextInt(buffer.size() + 1);
                    buffer.acknowledge(bytes);
                    acknowledged += bytes;
                    next = Math.max(0, next - bytes);
                }
                assertEquals(written.size() - acknowledged, buffer.size());
            }
        } finally {
            buffer.release();
        }
        assertEquals(0, buffer.size());
    }

    private static void checkCopy(SendBuffer buffer, byte[] all, int acknowledged, int offset, int length) {
        ByteBuf dst = Unpooled.buffer(length + 4);
        try {
            buffer.copy(offset, length, dst, 2);
            byte[] got = new byte[length];
            dst.getBytes(2, got);
            byte[] expected = Arrays.copyOfRange(all, acknowledged + offset, acknowledged + offset + length);
            assertArrayEquals(expected, got, "copy " + offset + "+" + length);
        } finally {
            dst.release();
        }
    }

    @Test
    void copy_beyondWhatIsHeld_isAProgrammingError() {
        SendBuffer buffer = new SendBuffer(1024);
        ByteBuf src = Unpooled.wrappedBuffer(new byte[10]);
        ByteBuf dst = Unpooled.buffer(16);
        try {
            buffer.append(src);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> buffer.copy(5, 6, dst, 0));
            assertEquals("copy 5+6 of 10 buffered bytes", e.getMessage());
        } finally {
            buffer.release();
            src.release();
            dst.release();
        }
    }
}
