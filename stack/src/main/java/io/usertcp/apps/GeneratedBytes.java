package io.usertcp.apps;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A reproducible byte stream without a period worth the name: byte {@code i} is byte {@code i % 8}
 * (little-endian) of SplitMix64's output for word {@code i / 8}. Servers send it, tests compute the
 * same bytes (or their SHA-256) independently of any transfer, so that a lost, duplicated or
 * reordered segment changes the digest. Fast enough (about a gigabyte per second) not to disturb a
 * throughput measurement much.
 */
public final class GeneratedBytes {
    private GeneratedBytes() {}

    /** SplitMix64 (Steele, Lea, Flood 2014) of {@code index}: a bijective mix of a counter. */
    static long word(long index) {
        long z = index * 0x9E3779B97F4A7C15L + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The byte at {@code position} of the stream. */
    public static byte at(long position) {
        return (byte) (word(position >>> 3) >>> ((position & 7) * 8));
    }

    /**
     * Writes stream bytes {@code [position, position + length)} into {@code dst[offset..]}.
     *
     * @throws IndexOutOfBoundsException when the range does not fit in {@code dst}
     */
    public static void fill(long position, byte[] dst, int offset, int length) {
        if (position < 0) {
            throw new IllegalArgumentException("position: " + position + " (expected: >= 0)");
        }
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        int i = 0;
        while (i < length && ((position + i) & 7) != 0) {
            dst[offset + i] = at(position + i);
            i++;
        }
        long wordIndex = (position + i) >>> 3;
        for (; i + 8 <= length; i += 8) {
            long w = word(wordIndex++);
            int o = offset + i;
            dst[o] = (byte) w;
            dst[o + 1] = (byte) (w >>> 8);
            dst[o + 2] = (byte) (w >>> 16);
            dst[o + 3] = (byte) (w >>> 24);
            dst[o + 4] = (byte) (w >>> 32);
            dst[o + 5] = (byte) (w >>> 40);
            dst[o + 6] = (byte) (w >>> 48);
            dst[o + 7] = (byte) (w >>> 56);
        }
        for (; i < length; i++) {
            dst[offset + i] = at(position + i);
        }
    }

    /** The SHA-256 of stream bytes {@code [0, length)}. */
    public static byte[] sha256(long length) {
        MessageDigest digest = newSha256();
        byte[] chunk = new byte[64 * 1024];
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(chunk.length, length - done);
            fill(done, chunk, 0, n);
            digest.update(chunk, 0, n);
            done += n;
        }
        return digest.digest();
    }

    /** A SHA-256 {@link MessageDigest}, which every Java runtime has. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }
}
