package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * The options of one segment as the stack uses them: mutable, reused, allocation-free. Filled by
 * {@link TcpSegmentView#check()} and valid until the view is wrapped again. When an option
 * appears twice the last one wins (as in Linux's {@code tcp_parse_options}).
 */
public final class ParsedTcpOptions implements TcpOptionSink {
    private static final int ABSENT = -1;

    private int mss = ABSENT;
    private int windowScale = ABSENT;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private int sackBlockCount;
    private final int[] sackEdges = new int[2 * TcpOptionKind.MAX_SACK_BLOCKS];
    private int unknownCount;
    /** TCP Fast Open (RFC 7413 §4.1.1): the cookie's length, 0 for a request, {@link #ABSENT} for none. */
    private int fastOpenLength = ABSENT;
    private boolean fastOpenExperimental;
    private boolean fastOpenMalformed;
    private final byte[] fastOpenCookie = new byte[TcpOptionKind.FAST_OPEN_COOKIE_MAX];
    /** TCP MD5 signature (RFC 2385): the digest's offset in the parsed buffer, {@link #ABSENT} for none. */
    private int md5DigestOffset = ABSENT;
    private int md5Signatures;

    /** Forgets everything, ready for the next segment. */
    public void clear() {
        mss = ABSENT;
        windowScale = ABSENT;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlockCount = 0;
        unknownCount = 0;
        fastOpenLength = ABSENT;
        fastOpenExperimental = false;
        fastOpenMalformed = false;
        md5DigestOffset = ABSENT;
        md5Signatures = 0;
    }

    public boolean hasMss() {
        return mss != ABSENT;
    }

    /** The MSS option's value; only meaningful when {@link #hasMss()}. */
    public int mss() {
        return mss;
    }

    public boolean hasWindowScale() {
        return windowScale != ABSENT;
    }

    /** The shift count as sent (RFC 7323 §2.3 caps its use at 14; that is the TCB's business). */
    public int windowScale() {
        return windowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean hasTimestamps() {
        return timestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    public int sackBlockCount() {
        return sackBlockCount;
    }

    public int sackLeft(int block) {
        return sackEdges[2 * checkBlock(block)];
    }

    public int sackRight(int block) {
        return sackEdges[2 * checkBlock(block) + 1];
    }

    /** How many options of kinds this stack does not interpret were skipped. */
    public int unknownCount() {
        return unknownCount;
    }

    /**
     * Whether the segment carries a usable TCP Fast Open option (RFC 7413 §4.1.1, option 34, or the
     * experimental option 254 with magic 0xF989, RFC 6994): a cookie request (length 0) or a cookie
     * of 4 to 16 bytes. An option of another length is not usable (Linux
     * tcp_parse_fastopen_option(): an odd length is ignored, an even one outside 4..16 makes the
     * cookie invalid); see {@link #fastOpenMalformed()}.
     */
    public boolean hasFastOpen() {
        return fastOpenLength != ABSENT;
    }

    /** The cookie's length: 0 for a cookie request; only meaningful when {@link #hasFastOpen()}. */
    public int fastOpenLength() {
        return fastOpenLength;
    }

    /** Whether the Fast Open option was the experimental one (kind 254, magic 0xF989). */
    public boolean fastOpenExperimental() {
        return fastOpenExperimental;
    }

    /** Whether a Fast Open option of a length no cookie has was seen (and ignored). */
    public boolean fastOpenMalformed() {
        return fastOpenMalformed;
    }

    /** A copy of the cookie ({@link #fastOpenLength()} bytes); empty for a request or none. */
    public byte[] fastOpenCookie() {
        return java.util.Arrays.copyOf(fastOpenCookie, Math.max(0, fastOpenLength));
    }

    /** Whether the cookie equals {@code cookie}, without allocating. */
    public boolean fastOpenCookieEquals(byte[] cookie) {
        if (cookie == null || fastOpenLength != cookie.length) {
            return false;
        }
        int diff = 0;
        for (int i = 0; i < cookie.length; i++) {
            diff |= cookie[i] ^ fastOpenCookie[i]; // constant time: a MAC is being checked
        }
        return diff == 0;
    }

    /** Whether the segment carries a TCP MD5 signature option (RFC 2385 §3.0). */
    public boolean hasMd5Signature() {
        return md5DigestOffset != ABSENT;
    }

    /**
     * Where the last signature's 16-byte digest starts in the buffer the options were parsed from
     * (absolute, as the view's accessors are); only meaningful when {@link #hasMd5Signature()}.
     */
    public int md5DigestOffset() {
        return md5DigestOffset;
    }

    /** How many MD5 signature options the segment carries (Linux tcp_parse_auth_options() refuses two). */
    public int md5SignatureCount() {
        return md5Signatures;
    }

    private int checkBlock(int block) {
        if (block < 0 || block >= sackBlockCount) {
            throw new IndexOutOfBoundsException("SACK block: " + block + " (expected: 0.." + (sackBlockCount - 1) + ")");
        }
        return block;
    }

    @Override
    public void onEol(int offset) {}

    @Override
    public void onNop() {}

    @Override
    public void onMss(int value) {
        mss = value;
    }

    @Override
    public void onWindowScale(int shift) {
        windowScale = shift;
    }

    @Override
    public void onSackPermitted() {
        sackPermitted = true;
    }

    @Override
    public void onSackBlock(int index, int left, int right) {
        if (index == 0) {
            sackBlockCount = 0; // a second SACK option replaces the first
        }
        sackEdges[2 * index] = left;
        sackEdges[2 * index + 1] = right;
        sackBlockCount = index + 1;
    }

    @Override
    public void onTimestamps(int value, int echo) {
        timestamps = true;
        tsVal = value;
        tsEcr = echo;
    }

    @Override
    public void onMd5Signature(ByteBuf buf, int digestOffset) {
        md5DigestOffset = digestOffset;
        md5Signatures++;
    }

    @Override
    public void onUnknown(int kind, ByteBuf buf, int dataOffset, int dataLength) {
        unknownCount++;
        if (kind == TcpOptionKind.FAST_OPEN) {
            fastOpen(buf, dataOffset, dataLength, false);
        } else if (kind == TcpOptionKind.EXPERIMENTAL && dataLength >= 2
                && buf.getUnsignedShort(dataOffset) == TcpOptionKind.FAST_OPEN_MAGIC) {
            fastOpen(buf, dataOffset + 2, dataLength - 2, true);
        }
    }

    /** Linux tcp_parse_fastopen_option(): the last usable option wins; odd lengths are ignored. */
    private void fastOpen(ByteBuf buf, int offset, int length, boolean experimental) {
        if ((length & 1) != 0) {
            fastOpenMalformed = true;
            return;
        }
        if (length != 0 && (length < TcpOptionKind.FAST_OPEN_COOKIE_MIN || length > TcpOptionKind.FAST_OPEN_COOKIE_MAX)) {
            fastOpenMalformed = true;
            fastOpenLength = ABSENT;
            return;
        }
        buf.getBytes(offset, fastOpenCookie, 0, length);
        fastOpenLength = length;
        fastOpenExperimental = experimental;
    }
}
