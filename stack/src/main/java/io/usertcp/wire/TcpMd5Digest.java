package io.usertcp.wire;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The TCP MD5 signature of RFC 2385 §2.0, as Linux computes it (tcp_v4_md5_hash_skb(),
 * tcp_v4_md5_hash_headers(), tcp_md5_hash_skb_data(), tcp_md5_hash_key()): MD5 over
 * <ol>
 *   <li>the IPv4 pseudo-header: source address, destination address, a zero byte, protocol 6, and
 *       the TCP length (header, options and data);</li>
 *   <li>the 20-byte TCP header without its options, its checksum taken as zero;</li>
 *   <li>the segment's data;</li>
 *   <li>the key.</li>
 * </ol>
 * The options, the digest's own place among them included, are not covered (RFC 2385 §2.0), so a
 * digest is written after the rest of the segment and before the checksum.
 *
 * <p>One instance per stack thread: it reuses one {@link MessageDigest} and one scratch array, so
 * signing or verifying a segment allocates nothing. Not thread-safe. Buffers are borrowed.
 */
public final class TcpMd5Digest {
    /** Pseudo-header (12 bytes) and the fixed TCP header (20). */
    private static final int HEADERS_LENGTH = 12 + TcpSegmentView.MIN_HEADER_LENGTH;
    private static final int SCRATCH_LENGTH = 2048;

    private final MessageDigest md5;
    private final byte[] scratch = new byte[SCRATCH_LENGTH];
    private final byte[] computed = new byte[TcpOptionKind.MD5_DIGEST_LENGTH];

    public TcpMd5Digest() {
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide MD5 (MessageDigest's Javadoc).
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }

    /**
     * Computes the signature of the segment of {@code tcpLength} bytes at {@code tcpOffset} of
     * {@code buf} (header, options, data) and writes its 16 bytes at {@code digestOffset}, which
     * must lie in the options of that segment.
     *
     * @param buf borrowed; only the digest's bytes are written
     */
    public void sign(ByteBuf buf, int tcpOffset, int tcpLength, int sourceAddress, int destinationAddress, byte[] key,
                     int digestOffset) {
        digest(buf, tcpOffset, tcpLength, sourceAddress, destinationAddress, key);
        buf.setBytes(digestOffset, computed);
    }

    /**
     * Whether the 16 bytes at {@code digestOffset} are the segment's signature under {@code key}
     * (Linux tcp_inbound_md5_hash(): the digest computed again and compared). The comparison takes
     * the same time wherever the bytes differ.
     *
     * @param buf borrowed; not modified
     */
    public boolean verify(ByteBuf buf, int tcpOffset, int tcpLength, int sourceAddress, int destinationAddress, byte[] key,
                          int digestOffset) {
        digest(buf, tcpOffset, tcpLength, sourceAddress, destinationAddress, key);
        int diff = 0;
        for (int i = 0; i < computed.length; i++) {
            diff |= computed[i] ^ buf.getByte(digestOffset + i);
        }
        return diff == 0;
    }

    /** The last digest computed, copied (for tests and tools). */
    public byte[] lastDigest() {
        return computed.clone();
    }

    /** RFC 2385 §2.0, steps 1 to 4, into {@link #computed}. */
    private void digest(ByteBuf buf, int tcpOffset, int tcpLength, int sourceAddress, int destinationAddress, byte[] key) {
        byte[] h = scratch;
        putInt(h, 0, sourceAddress);
        putInt(h, 4, destinationAddress);
        h[8] = 0;
        h[9] = (byte) Ipv4PacketView.PROTOCOL_TCP;
        h[10] = (byte) (tcpLength >>> 8);
        h[11] = (byte) tcpLength;
        buf.getBytes(tcpOffset, h, 12, TcpSegmentView.MIN_HEADER_LENGTH);
        h[12 + 16] = 0; // the checksum, taken as zero (RFC 2385 §2.0 step 2)
        h[12 + 17] = 0;
        md5.update(h, 0, HEADERS_LENGTH);
        int headerLength = (buf.getUnsignedByte(tcpOffset + 12) >>> 4) * 4;
        int at = tcpOffset + headerLength;
        int left = tcpLength - headerLength;
        if (buf.hasArray()) {
            md5.update(buf.array(), buf.arrayOffset() + at, left);
        } else {
            while (left > 0) {
                int n = Math.min(left, SCRATCH_LENGTH);
                buf.getBytes(at, h, 0, n);
                md5.update(h, 0, n);
                at += n;
                left -= n;
            }
        }
        md5.update(key);
        try {
            md5.digest(computed, 0, computed.length);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("MD5 digest into 16 bytes", e); // cannot happen: 16 is MD5's length
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
