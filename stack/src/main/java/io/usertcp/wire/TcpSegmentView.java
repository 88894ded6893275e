package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight over a TCP segment (header and payload) in a {@link ByteBuf} (RFC 9293 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |           Checksum            |         Urgent Pointer        |
 * |                           [Options]                           |
 * </pre>
 *
 * <p>{@link #check()} validates the fixed header and parses the options once into
 * {@link #options()}, a reused {@link ParsedTcpOptions}: no allocation. The checksum is verified
 * separately by {@link #checksumValid} so a link with checksum offload can skip it. The view borrows
 * the buffer and never moves its indices.
 */
public final class TcpSegmentView extends WireRegion {
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    /** A header of 20 bytes and {@code nop,nop,TS}: the fixed 12-byte option block Linux sends on every established segment. */
    private static final int ALIGNED_TIMESTAMP_HEADER_LENGTH = MIN_HEADER_LENGTH + 12;
    /** NOP, NOP, kind 8, length 10 (Linux's TCPOPT_NOP << 24 | TCPOPT_NOP << 16 | TCPOPT_TIMESTAMP << 8 | TCPOLEN_TIMESTAMP). */
    private static final int ALIGNED_TIMESTAMP_PREFIX = (TcpOptionKind.NOP << 24) | (TcpOptionKind.NOP << 16)
            | (TcpOptionKind.TIMESTAMPS << 8) | TcpOptionKind.TIMESTAMPS_LENGTH;

    private final ParsedTcpOptions options = new ParsedTcpOptions();

    /** A view bound to nothing yet: {@code wrap} it. */
    public TcpSegmentView() {
        super(MIN_HEADER_LENGTH);
    }

    /**
     * Points the view at a segment of {@code length} bytes (header and payload) at {@code offset}.
     * Clears the options parsed for the previous segment.
     *
     * @param buf borrowed: the caller keeps ownership
     * @return this view
     */
    public TcpSegmentView wrap(ByteBuf buf, int offset, int length) {
        bind(buf, offset, length);
        options.clear();
        return this;
    }

    /** Points the view at the payload of an IPv4 datagram that passed its own check. */
    public TcpSegmentView wrap(Ipv4PacketView ip) {
        return wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
    }

    /**
     * Validates the header: at least 20 bytes, data offset ≥ 5 and within the segment, non-zero
     * ports, well-formed options (which it parses into {@link #options()}). Does not verify the
     * checksum.
     *
     * @return {@code null} when well formed, otherwise why it must be dropped
     */
    public DropReason check() {
        // Forget what an earlier check() of this region found: the bytes may have changed since.
        options.clear();
        if (length < MIN_HEADER_LENGTH) {
            return DropReason.TCP_TRUNCATED;
        }
        int headerLength = headerLength();
        if (headerLength < MIN_HEADER_LENGTH) {
            return DropReason.TCP_BAD_DATA_OFFSET;
        }
        if (headerLength > length) {
            return DropReason.TCP_HEADER_OVERRUN;
        }
        if (sourcePort() == 0 || destinationPort() == 0) {
            return DropReason.TCP_ZERO_PORT;
        }
        // The header lies within the region (checked above), so its option bytes can be read.
        if (headerLength == ALIGNED_TIMESTAMP_HEADER_LENGTH && buf.getInt(offset + MIN_HEADER_LENGTH) == ALIGNED_TIMESTAMP_PREFIX) {
            // What nearly every segment of an established connection carries: nop,nop,TS and nothing
            // else. Read it as Linux's tcp_fast_parse_options()/tcp_parse_aligned_timestamp() do,
            // without walking the option list; the sink sees what the walk would report.
            options.onNop();
            options.onNop();
            options.onTimestamps(buf.getInt(offset + MIN_HEADER_LENGTH + 4), buf.getInt(offset + MIN_HEADER_LENGTH + 8));
            return null;
        }
        return TcpOptionParser.parse(buf, offset + MIN_HEADER_LENGTH, offset + headerLength, options);
    }

    /**
     * Whether the checksum over the pseudo-header and the whole segment verifies (RFC 9293 §3.1,
     * MUST-3).
     */
    public boolean checksumValid(int sourceAddress, int destinationAddress) {
        long sum = InternetChecksum.pseudoHeaderSum(sourceAddress, destinationAddress, Ipv4PacketView.PROTOCOL_TCP, length)
                + InternetChecksum.sum(buf, offset, length);
        return InternetChecksum.verifies(sum);
    }

    /** Computes and stores the checksum over the pseudo-header, header and payload now in the buffer. */
    public void fillChecksum(int sourceAddress, int destinationAddress) {
        setChecksum(0);
        long sum = InternetChecksum.pseudoHeaderSum(sourceAddress, destinationAddress, Ipv4PacketView.PROTOCOL_TCP, length)
                + InternetChecksum.sum(buf, offset, length);
        setChecksum(InternetChecksum.finish(sum));
    }

    // ---- accessors (safe after check() returned null) ----




    public int sourcePort() {
        return u16(0);
    }

    public int destinationPort() {
        return u16(2);
    }

    public int seq() {
        return i32(4);
    }

    public int ack() {
        return i32(8);
    }

    /** Data offset in bytes. */
    public int headerLength() {
        return (u8(12) >>> 4) * 4;
    }

    /** The four reserved bits (RFC 9293 MUST be zero on send, ignored on receive). */
    public int reserved() {
        return u8(12) & 0x0F;
    }

    /** The control bits as {@link TcpFlags} constants. */
    public int flags() {
        return u8(13);
    }

    public boolean hasFlag(int flag) {
        return (flags() & flag) == flag;
    }

    /** The window field, not scaled. */
    public int window() {
        return u16(14);
    }

    public int checksum() {
        return u16(16);
    }

    public int urgentPointer() {
        return u16(18);
    }

    public int optionsOffset() {
        return offset + MIN_HEADER_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** The options parsed by the last successful {@link #check()}; reused, valid until the next wrap. */
    public ParsedTcpOptions options() {
        return options;
    }

    /** Absolute offset of the payload. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return length - headerLength();
    }

    /** RFC 9293 SEG.LEN: payload octets plus one for SYN and one for FIN. */
    public int segmentLength() {
        int flags = flags();
        return payloadLength() + ((flags & TcpFlags.SYN) != 0 ? 1 : 0) + ((flags & TcpFlags.FIN) != 0 ? 1 : 0);
    }

    // ---- setters, for building segments; the region must be writable ----

    public void setSourcePort(int port) {
        put16(0, Fields.checkUnsigned("sourcePort", port, 16));
    }

    public void setDestinationPort(int port) {
        put16(2, Fields.checkUnsigned("destinationPort", port, 16));
    }

    public void setSeq(int seq) {
        put32(4, seq);
    }

    public void setAck(int ack) {
        put32(8, ack);
    }

    /** Sets the data offset (and the reserved bits) from a header length in bytes. */
    public void setHeaderLength(int headerLength, int reserved) {
        if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH || headerLength % 4 != 0) {
            throw new IllegalArgumentException("headerLength: " + headerLength + " (expected: 20..60, a multiple of 4)");
        }
        put8(12, ((headerLength / 4) << 4) | Fields.checkUnsigned("reserved", reserved, 4));
    }

    public void setFlags(int flags) {
        put8(13, Fields.checkUnsigned("flags", flags, 8));
    }

    public void setWindow(int window) {
        put16(14, Fields.checkUnsigned("window", window, 16));
    }

    public void setChecksum(int checksum) {
        put16(16, Fields.checkUnsigned("checksum", checksum, 16));
    }

    public void setUrgentPointer(int urgentPointer) {
        put16(18, Fields.checkUnsigned("urgentPointer", urgentPointer, 16));
    }
}
