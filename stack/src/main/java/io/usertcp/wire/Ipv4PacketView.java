package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight over an IPv4 datagram in a {@link ByteBuf} (RFC 791 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |Version|  IHL  |  DSCP     |ECN|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options                    |    Padding    |
 * </pre>
 *
 * <p>Use: {@link #wrap}, then {@link #check()}; when it returns {@code null} every accessor is
 * safe. {@link #check()} validates structure only; the header checksum is verified separately by
 * {@link #headerChecksumValid()} so that a link with checksum offload can skip it. The view borrows
 * the buffer (never retains or releases it) and never moves its indices. Reusable: wrap again for
 * the next packet.
 */
public final class Ipv4PacketView extends WireRegion {
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;
    /** Flag bits as they sit in the 3-bit flags field. */
    public static final int FLAG_RESERVED = 0b100;
    public static final int FLAG_DONT_FRAGMENT = 0b010;
    public static final int FLAG_MORE_FRAGMENTS = 0b001;

    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;

    /** A view bound to nothing yet: {@code wrap} it. */
    public Ipv4PacketView() {
        super(MIN_HEADER_LENGTH);
    }

    /**
     * Points the view at {@code length} bytes of {@code buf} starting at absolute {@code offset}.
     *
     * @param buf borrowed: the caller keeps ownership and must keep it alive while the view is used
     * @return this view
     */
    public Ipv4PacketView wrap(ByteBuf buf, int offset, int length) {
        bind(buf, offset, length);
        return this;
    }

    /**
     * Validates the structure: enough bytes, version 4, IHL ≥ 5, header and total length within the
     * bytes received, well-formed options. Does not verify the checksum or judge addresses.
     *
     * @return {@code null} when the datagram is well formed, otherwise why it must be dropped
     */
    public DropReason check() {
        if (length < MIN_HEADER_LENGTH) {
            return DropReason.IPV4_TRUNCATED;
        }
        if (version() != 4) {
            return DropReason.IPV4_BAD_VERSION;
        }
        int headerLength = headerLength();
        if (headerLength < MIN_HEADER_LENGTH) {
            return DropReason.IPV4_BAD_HEADER_LENGTH;
        }
        if (headerLength > length) {
            return DropReason.IPV4_HEADER_OVERRUN;
        }
        int totalLength = totalLength();
        // Bytes past total length (link-layer padding) are allowed and ignored (RFC 1122 §3.3.2).
        if (totalLength < headerLength || totalLength > length) {
            return DropReason.IPV4_BAD_TOTAL_LENGTH;
        }
        return checkOptions(offset + MIN_HEADER_LENGTH, offset + headerLength);
    }

    /** RFC 791 §3.1: single-byte End and NOP, otherwise type, length ≥ 2, data; none may overrun. */
    private DropReason checkOptions(int from, int to) {
        int i = from;
        while (i < to) {
            int type = buf.getUnsignedByte(i);
            if (type == OPTION_END) {
                return null;
            }
            if (type == OPTION_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= to) {
                return DropReason.IPV4_BAD_OPTION;
            }
            int optionLength = buf.getUnsignedByte(i + 1);
            if (optionLength < 2 || i + optionLength > to) {
                return DropReason.IPV4_BAD_OPTION;
            }
            i += optionLength;
        }
        return null;
    }

    /** Whether the header checksum verifies (RFC 1071; RFC 1122 §3.2.1.2). */
    public boolean headerChecksumValid() {
        return InternetChecksum.verifies(InternetChecksum.sum(buf, offset, headerLength()));
    }

    /** Computes and stores the header checksum over the current header bytes. */
    public void fillHeaderChecksum() {
        setHeaderChecksum(0);
        setHeaderChecksum(InternetChecksum.compute(buf, offset, headerLength()));
    }

    // ---- accessors (safe after check() returned null) ----




    public int version() {
        return u8(0) >>> 4;
    }

    public int headerLength() {
        return (u8(0) & 0x0F) * 4;
    }

    /** The 8-bit type-of-service byte: DSCP (6 bits) and ECN (2 bits). */
    public int tos() {
        return u8(1);
    }

    public int dscp() {
        return tos() >>> 2;
    }

    /** The ECN codepoint (RFC 3168 §5): 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE. */
    public int ecn() {
        return tos() & 0b11;
    }

    public int totalLength() {
        return u16(2);
    }

    public int identification() {
        return u16(4);
    }

    /** The 3-bit flags field: {@link #FLAG_RESERVED}, {@link #FLAG_DONT_FRAGMENT}, {@link #FLAG_MORE_FRAGMENTS}. */
    public int flags() {
        return u8(6) >>> 5;
    }

    public boolean dontFragment() {
        return (flags() & FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments() {
        return (flags() & FLAG_MORE_FRAGMENTS) != 0;
    }

    /** The fragment offset in units of 8 bytes. */
    public int fragmentOffset() {
        return u16(6) & 0x1FFF;
    }

    /** Whether this datagram is a fragment: more fragments follow, or it does not start at 0. */
    public boolean isFragment() {
        return (u16(6) & 0x3FFF) != 0;
    }

    public int ttl() {
        return u8(8);
    }

    public int protocol() {
        return u8(9);
    }

    public int headerChecksum() {
        return u16(10);
    }

    public int sourceAddress() {
        return i32(12);
    }

    public int destinationAddress() {
        return i32(16);
    }

    /** Absolute offset of the options (there may be none). */
    public int optionsOffset() {
        return offset + MIN_HEADER_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** Absolute offset of the upper-layer payload. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    /** Length of the upper-layer payload, by the total length field. */
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    // ---- setters, for building datagrams; the region must be writable ----

    public void setVersionAndHeaderLength(int headerLength) {
        if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH || headerLength % 4 != 0) {
            throw new IllegalArgumentException("headerLength: " + headerLength + " (expected: 20..60, a multiple of 4)");
        }
        put8(0, (4 << 4) | (headerLength / 4));
    }

    public void setTos(int tos) {
        put8(1, Fields.checkUnsigned("tos", tos, 8));
    }

    public void setTotalLength(int totalLength) {
        put16(2, Fields.checkUnsigned("totalLength", totalLength, 16));
    }

    public void setIdentification(int identification) {
        put16(4, Fields.checkUnsigned("identification", identification, 16));
    }

    public void setFlagsAndFragmentOffset(int flags, int fragmentOffset) {
        Fields.checkUnsigned("flags", flags, 3);
        Fields.checkUnsigned("fragmentOffset", fragmentOffset, 13);
        put16(6, (flags << 13) | fragmentOffset);
    }

    public void setTtl(int ttl) {
        put8(8, Fields.checkUnsigned("ttl", ttl, 8));
    }

    public void setProtocol(int protocol) {
        put8(9, Fields.checkUnsigned("protocol", protocol, 8));
    }

    public void setHeaderChecksum(int checksum) {
        put16(10, Fields.checkUnsigned("checksum", checksum, 16));
    }

    public void setSourceAddress(int address) {
        put32(12, address);
    }

    public void setDestinationAddress(int address) {
        put32(16, address);
    }
}
