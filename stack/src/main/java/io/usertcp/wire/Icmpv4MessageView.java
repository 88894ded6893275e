package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight over an ICMPv4 message (RFC 792): type, code, checksum, four bytes of
 * "rest of header" (identifier and sequence number for echo), then the body. For error messages
 * (destination unreachable, time exceeded, ...) the body quotes the offending datagram's IP header
 * and at least its first 8 payload bytes, which name the TCP connection.
 *
 * <p>The view borrows the buffer and never moves its indices.
 */
public final class Icmpv4MessageView extends WireRegion {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;
    /** Destination unreachable codes (RFC 792, RFC 1191). */
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** Bytes an error must quote to name a TCP connection: a minimal IP header and the 8 bytes holding ports and seq. */
    public static final int MIN_QUOTE_LENGTH = Ipv4PacketView.MIN_HEADER_LENGTH + 8;

    /** A view bound to nothing yet: {@code wrap} it. */
    public Icmpv4MessageView() {
        super(HEADER_LENGTH);
    }

    /**
     * Points the view at {@code length} bytes of {@code buf} from absolute {@code offset}.
     *
     * @param buf borrowed: the caller keeps ownership
     * @return this view
     */
    public Icmpv4MessageView wrap(ByteBuf buf, int offset, int length) {
        bind(buf, offset, length);
        return this;
    }

    /** Points the view at the payload of an IPv4 datagram that passed its own check. */
    public Icmpv4MessageView wrap(Ipv4PacketView ip) {
        return wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
    }

    /** @return {@code null} when there is a whole ICMP header, otherwise {@link DropReason#ICMP_TRUNCATED} */
    public DropReason check() {
        return length < HEADER_LENGTH ? DropReason.ICMP_TRUNCATED : null;
    }

    /**
     * For an error message ({@link #isError()}): whether the body quotes enough of the offending
     * datagram to name a connection, that is a whole IPv4 header (version 4, IHL ≥ 5) and the 8
     * bytes after it (RFC 792; RFC 1122 §3.2.2). The quote's own total length and checksum are not
     * judged: a quote is cut short by design.
     *
     * @return {@code null} when the quote is usable, otherwise {@link DropReason#ICMP_BAD_QUOTE}
     */
    public DropReason checkQuote() {
        if (bodyLength() < MIN_QUOTE_LENGTH) {
            return DropReason.ICMP_BAD_QUOTE;
        }
        int versionAndIhl = buf.getUnsignedByte(bodyOffset());
        int quotedHeaderLength = (versionAndIhl & 0x0F) * 4;
        if (versionAndIhl >>> 4 != 4 || quotedHeaderLength < Ipv4PacketView.MIN_HEADER_LENGTH
                || quotedHeaderLength + 8 > bodyLength()) {
            return DropReason.ICMP_BAD_QUOTE;
        }
        return null;
    }

    /** Whether the checksum over the whole message verifies (RFC 792). */
    public boolean checksumValid() {
        return InternetChecksum.verifies(InternetChecksum.sum(buf, offset, length));
    }

    /** Computes and stores the checksum over the message now in the buffer. */
    public void fillChecksum() {
        setChecksum(0);
        setChecksum(InternetChecksum.compute(buf, offset, length));
    }

    /** Whether this type carries a quote of an offending datagram. */
    public boolean isError() {
        return isErrorType(type());
    }

    /** Whether ICMP type {@code type} carries a quote of an offending datagram (RFC 792). */
    public static boolean isErrorType(int type) {
        return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM
                || type == 4 /* source quench, deprecated by RFC 6633 */;
    }




    public int type() {
        return u8(0);
    }

    public int code() {
        return u8(1);
    }

    public int checksum() {
        return u16(2);
    }

    /** The four bytes after the checksum, as one int. */
    public int restOfHeader() {
        return i32(4);
    }

    /** Echo identifier (echo request and reply). */
    public int identifier() {
        return u16(4);
    }

    /** Echo sequence number (echo request and reply). */
    public int sequenceNumber() {
        return u16(6);
    }

    /** Next-hop MTU of a "fragmentation needed" message (RFC 1191 §4). */
    public int nextHopMtu() {
        return u16(6);
    }

    // ---- the quoted datagram of an error message; valid once checkQuote() returned null ----

    private int quotedHeaderLength() {
        return (buf.getUnsignedByte(bodyOffset()) & 0x0F) * 4;
    }

    /** The protocol of the quoted datagram ({@link Ipv4PacketView#PROTOCOL_TCP} for TCP). */
    public int quotedProtocol() {
        return buf.getUnsignedByte(bodyOffset() + 9);
    }

    /** The quoted datagram's source address: ours, when it was our segment. */
    public int quotedSourceAddress() {
        return buf.getInt(bodyOffset() + 12);
    }

    /** The quoted datagram's destination address. */
    public int quotedDestinationAddress() {
        return buf.getInt(bodyOffset() + 16);
    }

    /** For a quoted TCP segment: its source port (the first 8 bytes of the transport header are always quoted). */
    public int quotedSourcePort() {
        return buf.getUnsignedShort(bodyOffset() + quotedHeaderLength());
    }

    /** For a quoted TCP segment: its destination port. */
    public int quotedDestinationPort() {
        return buf.getUnsignedShort(bodyOffset() + quotedHeaderLength() + 2);
    }

    /** For a quoted TCP segment: its sequence number. */
    public int quotedTcpSeq() {
        return buf.getInt(bodyOffset() + quotedHeaderLength() + 4);
    }

    public int bodyOffset() {
        return offset + HEADER_LENGTH;
    }

    public int bodyLength() {
        return length - HEADER_LENGTH;
    }

    public void setType(int type) {
        put8(0, Fields.checkUnsigned("type", type, 8));
    }

    public void setCode(int code) {
        put8(1, Fields.checkUnsigned("code", code, 8));
    }

    public void setChecksum(int checksum) {
        put16(2, Fields.checkUnsigned("checksum", checksum, 16));
    }

    public void setRestOfHeader(int value) {
        put32(4, value);
    }
}
