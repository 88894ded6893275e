package io.usertcp.tcp;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed hash behind RFC 6528 sequence numbers, SYN
 * cookies and timestamp offsets. Written from the paper's description and checked against its
 * reference test vector. Allocates nothing; keeps its working state in fields, so an instance
 * belongs to one thread (the stack's).
 */
public final class SipHash {
    private final long k0;
    private final long k1;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /** @param k0 the first 64 bits of the 128-bit key (little-endian); @param k1 the second */
    public SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** Hash of one 64-bit word (an 8-byte little-endian message). */
    public long hash8(long m0) {
        init();
        compress(m0);
        compress(8L << 56);
        return finish();
    }

    /** Hash of two 64-bit words (a 16-byte little-endian message). */
    public long hash(long m0, long m1) {
        init();
        compress(m0);
        compress(m1);
        compress(16L << 56); // last block: the message length in the top byte, no tail bytes
        return finish();
    }

    /** Hash of three 64-bit words (a 24-byte little-endian message). */
    public long hash(long m0, long m1, long m2) {
        init();
        compress(m0);
        compress(m1);
        compress(m2);
        compress(24L << 56);
        return finish();
    }

    /** The general form over bytes; used to check the paper's test vector. */
    public long hashBytes(byte[] message) {
        init();
        int whole = message.length & ~7;
        for (int i = 0; i < whole; i += 8) {
            compress(littleEndian(message, i, 8));
        }
        compress(((long) message.length << 56) | littleEndian(message, whole, message.length - whole));
        return finish();
    }

    private void init() {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
    }

    private void compress(long m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    private long finish() {
        v2 ^= 0xFF;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void round() {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    private static long littleEndian(byte[] b, int from, int n) {
        long m = 0;
        for (int i = n - 1; i >= 0; i--) {
            m = (m << 8) | (b[from + i] & 0xFF);
        }
        return m;
    }
}
