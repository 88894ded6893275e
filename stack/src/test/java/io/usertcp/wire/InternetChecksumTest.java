package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Internet checksum (RFC 1071), the pseudo-header (RFC 9293 §3.1) and incremental update
 * (RFC 1624), checked against RFC examples and a naive byte-by-byte reference written here.
 */
class InternetChecksumTest {

    /**
     * The reference: RFC 1071 §1 literally. Pairs of bytes form 16-bit words, an odd last byte is
     * padded with zero on the right, and every carry is folded back at once.
     */
    private static int naiveFoldedSum(byte[] bytes, int offset, int length) {
        int sum = 0;
        for (int i = 0; i < length; i += 2) {
            int high = bytes[offset + i] & 0xFF;
            int low = i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }

    /** Runs {@code body} on a heap buffer over {@code bytes} and releases it. */
    private static <T> T withBuffer(byte[] bytes, java.util.function.Function<ByteBuf, T> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return body.apply(buf);
        } finally {
            buf.release();
        }
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    @Test
    void sum_rfc1071Section3Example_foldsToDdf2() {
        // RFC 1071 §3 "Numerical Examples": 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        byte[] example = bytes(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
        long sum = withBuffer(example, buf -> InternetChecksum.sum(buf, 0, example.length));
        assertEquals(0xddf2, InternetChecksum.fold(sum));
        assertEquals(0x220d, InternetChecksum.finish(sum));
        assertEquals(0x220d, (int) withBuffer(example, buf -> InternetChecksum.compute(buf, 0, example.length)));
    }

    @Test
    void sum_oddLength_padsLastByteOnTheRight() {
        // RFC 1071 §1: an odd byte count is summed as if a zero byte followed.
        byte[] odd = bytes(0x12, 0x34, 0x56);
        long sum = withBuffer(odd, buf -> InternetChecksum.sum(buf, 0, odd.length));
        assertEquals(0x1234 + 0x5600, InternetChecksum.fold(sum));
        assertEquals(0xab00, InternetChecksum.fold(withBuffer(bytes(0xab), buf -> InternetChecksum.sum(buf, 0, 1))));
    }

    @Test
    void sum_emptyRegion_isZero() {
        assertEquals(0L, (long) withBuffer(bytes(1, 2, 3), buf -> InternetChecksum.sum(buf, 1, 0)));
        assertEquals(0xFFFF, (int) withBuffer(bytes(1, 2, 3), buf -> InternetChecksum.compute(buf, 1, 0)));
    }

    @Test
    void sum_everyLengthAndAlignment_matchesNaiveReference() {
        // The fast path reads 8, 4, 2 and 1 bytes at a time: every length 0..64 at every alignment
        // 0..7 exercises each tail combination; bytes around the region are random and must not count.
        SplittableRandom random = new SplittableRandom(1071);
        for (int length = 0; length <= 64; length++) {
            for (int alignment = 0; alignment <= 7; alignment++) {
                byte[] bytes = new byte[alignment + length + 11];
                random.nextBytes(bytes);
                int len = length;
                int at = alignment;
                int fast = InternetChecksum.fold(withBuffer(bytes, buf -> InternetChecksum.sum(buf, at, len)));
                assertEquals(naiveFoldedSum(bytes, at, len), fast, "length " + length + ", alignment " + alignment);
            }
        }
    }

    @Test
    void sum_allOnesMaximalDatagram_doesNotOverflow() {
        // 65535 bytes of 0xFF: the largest IPv4 datagram with the largest words.
        byte[] bytes = new byte[65_535];
        Arrays.fill(bytes, (byte) 0xFF);
        int fast = InternetChecksum.fold(withBuffer(bytes, buf -> InternetChecksum.sum(buf, 0, bytes.length)));
        assertEquals(naiveFoldedSum(bytes, 0, bytes.length), fast);
    }

    @Test
    void sum_largeRandomBuffer_matchesNaiveReference() {
        byte[] bytes = new byte[1 << 20];
        new SplittableRandom(99).nextBytes(bytes);
        int fast = InternetChecksum.fold(withBuffer(bytes, buf -> InternetChecksum.sum(buf, 3, bytes.length - 3)));
        assertEquals(naiveFoldedSum(bytes, 3, bytes.length - 3), fast);
    }

    @Test
    void fold_keepsValueModulo0xFFFF_withEndAroundCarry() {
        assertEquals(0, InternetChecksum.fold(0));
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF));
        assertEquals(1, InternetChecksum.fold(0x10000));
        assertEquals(0xFFFF, InternetChecksum.fold(0x1FFFE));
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 100_000; i++) {
            long x = random.nextLong(1, Long.MAX_VALUE);
            long residue = x % 0xFFFF;
            // A non-zero one's-complement sum folds into 1..0xFFFF, congruent modulo 2^16 - 1.
            assertEquals(residue == 0 ? 0xFFFF : residue, InternetChecksum.fold(x), () -> Long.toHexString(x));
        }
    }

    @Test
    void finish_isComplementOfFoldedSum() {
        assertEquals(0xFFFF, InternetChecksum.finish(0));
        assertEquals(0x0000, InternetChecksum.finish(0xFFFF));
        assertEquals(0xEDCB, InternetChecksum.finish(0x1234));
    }

    @Test
    void verifies_regionHoldingItsOwnChecksum_isTrue_andAnySingleBitFlipIsCaught() {
        byte[] header = new byte[20];
        new SplittableRandom(3).nextBytes(header);
        header[10] = 0;
        header[11] = 0;
        int checksum = withBuffer(header, buf -> InternetChecksum.compute(buf, 0, header.length));
        header[10] = (byte) (checksum >>> 8);
        header[11] = (byte) checksum;
        // RFC 1071 §1 (3): summing the region including the checksum gives all ones.
        assertTrue(InternetChecksum.verifies(withBuffer(header, buf -> InternetChecksum.sum(buf, 0, header.length))));
        for (int bit = 0; bit < header.length * 8; bit++) {
            header[bit / 8] ^= (byte) (1 << (bit % 8));
            assertFalse(InternetChecksum.verifies(withBuffer(header, buf -> InternetChecksum.sum(buf, 0, header.length))),
                    "bit " + bit);
            header[bit / 8] ^= (byte) (1 << (bit % 8));
        }
    }

    @Test
    void verifies_wikipediaIpv4HeaderExample() {
        // A widely quoted IPv4 header whose checksum is b861.
        byte[] header = bytes(0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7);
        assertTrue(InternetChecksum.verifies(withBuffer(header, buf -> InternetChecksum.sum(buf, 0, 20))));
        header[10] = 0;
        header[11] = 0;
        assertEquals(0xb861, (int) withBuffer(header, buf -> InternetChecksum.compute(buf, 0, 20)));
    }

    @Test
    void pseudoHeaderSum_matchesSumOfTheTwelveBytes() {
        // RFC 9293 §3.1: source, destination, zero, PTCL, TCP length, as 12 bytes.
        SplittableRandom random = new SplittableRandom(793);
        for (int i = 0; i < 10_000; i++) {
            int source = i == 0 ? 0xFFFF_FFFF : random.nextInt();
            int destination = i == 0 ? 0x8000_0001 : random.nextInt();
            int protocol = random.nextInt(256);
            int length = random.nextInt(65_536);
            byte[] pseudo = new byte[12];
            putInt(pseudo, 0, source);
            putInt(pseudo, 4, destination);
            pseudo[9] = (byte) protocol;
            pseudo[10] = (byte) (length >>> 8);
            pseudo[11] = (byte) length;
            assertEquals(naiveFoldedSum(pseudo, 0, 12),
                    InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(source, destination, protocol, length)));
        }
    }

    @Test
    void update16_rfc1624Section4Example_givesPlusZero() {
        // RFC 1624 §4: the other header words sum to 0xCD7A, m = 0x5555 becomes m' = 0x3285.
        // Recomputation gives HC' = ~(0xCD7A + 0x3285) = 0x0000; eqn. 3 must agree (eqn. 2 gave 0xFFFF).
        byte[] header = bytes(0xcd, 0x7a, 0x55, 0x55, 0x00, 0x00);
        int hc = withBuffer(header, buf -> InternetChecksum.compute(buf, 0, header.length));
        assertEquals(0xDD2F, hc);
        header[2] = 0x32;
        header[3] = (byte) 0x85;
        assertEquals(0x0000, (int) withBuffer(header, buf -> InternetChecksum.compute(buf, 0, header.length)));
        assertEquals(0x0000, InternetChecksum.update16(0xDD2F, 0x5555, 0x3285));
    }

    @Test
    void update16_randomChanges_equalFullRecomputation() {
        SplittableRandom random = new SplittableRandom(1624);
        for (int i = 0; i < 20_000; i++) {
            byte[] region = new byte[2 * (2 + random.nextInt(30))];
            random.nextBytes(region);
            int oldChecksum = checksumOf(region);
            int at = 2 * random.nextInt(region.length / 2);
            int oldWord = getShort(region, at);
            int newWord = random.nextInt(3) == 0 ? edgeWord(random) : random.nextInt(65_536);
            putShort(region, at, newWord);
            assertEquals(checksumOf(region), InternetChecksum.update16(oldChecksum, oldWord, newWord),
                    "word at " + at + ": " + oldWord + " -> " + newWord);
        }
    }

    @Test
    void update32_randomChanges_equalFullRecomputation() {
        // An address or sequence number rewritten in place, as a NAT or a retransmission would.
        SplittableRandom random = new SplittableRandom(3232);
        for (int i = 0; i < 20_000; i++) {
            byte[] region = new byte[4 * (2 + random.nextInt(15))];
            random.nextBytes(region);
            int oldChecksum = checksumOf(region);
            int at = 4 * random.nextInt(region.length / 4);
            int oldValue = getInt(region, at);
            int newValue = random.nextInt(4) == 0 ? edgeWord(random) << 16 | edgeWord(random) : random.nextInt();
            putInt(region, at, newValue);
            assertEquals(checksumOf(region), InternetChecksum.update32(oldChecksum, oldValue, newValue),
                    "value at " + at + ": " + Integer.toHexString(oldValue) + " -> " + Integer.toHexString(newValue));
        }
    }

    @Test
    void update_noChange_keepsChecksum() {
        assertEquals(0x1234, InternetChecksum.update16(0x1234, 0xABCD, 0xABCD));
        assertEquals(0x1234, InternetChecksum.update32(0x1234, 0xDEAD_BEEF, 0xDEAD_BEEF));
    }

    private static int edgeWord(SplittableRandom random) {
        int[] edges = {0x0000, 0xFFFF, 0x0001, 0xFFFE, 0x8000, 0x7FFF};
        return edges[random.nextInt(edges.length)];
    }

    private static int checksumOf(byte[] region) {
        return ~naiveFoldedSum(region, 0, region.length) & 0xFFFF;
    }

    private static int getShort(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    private static int getInt(byte[] b, int at) {
        return (getShort(b, at) << 16) | getShort(b, at + 2);
    }

    private static void putShort(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    private static void putInt(byte[] b, int at, int value) {
        putShort(b, at, value >>> 16);
        putShort(b, at + 2, value);
    }
}
