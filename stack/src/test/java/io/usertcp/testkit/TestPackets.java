package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.InternetChecksum;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpSegmentView;

/**
 * Builds whole IPv4 datagrams carrying TCP or ICMP from the wire layer's value records, with every
 * checksum correct, as plain byte arrays. Tests wrap them with {@code Unpooled.wrappedBuffer} (and
 * release that buffer); a byte array cannot leak, so the builders themselves own nothing.
 *
 * <p>To make a malformed packet, build a correct one, change the bytes, then call
 * {@link #refreshIpv4Checksum} and/or {@link #refreshTcpChecksum} so that the change is the only
 * defect.
 */
public final class TestPackets {
    /** The client side of every test (198.18.0.0/15 is set aside for benchmarking, RFC 2544). */
    public static final Ipv4Address CLIENT = Ipv4Address.of("198.18.0.1");
    /** The stack under test. */
    public static final Ipv4Address SERVER = Ipv4Address.of("198.18.0.2");
    public static final int DEFAULT_TTL = 64;
    public static final int DEFAULT_IP_ID = 0x1234;

    private static final int IPV4_CHECKSUM_OFFSET = 10;
    private static final int TCP_CHECKSUM_OFFSET = 16;

    private TestPackets() {}

    /** A CLIENT → SERVER TCP segment in a plain IPv4 header (DF, TTL 64). */
    public static byte[] tcp(TcpHeader tcp, byte[] payload) {
        return tcp(CLIENT, SERVER, tcp, payload);
    }

    /** A TCP segment in a plain IPv4 header (DF, TTL 64). */
    public static byte[] tcp(Ipv4Address source, Ipv4Address destination, TcpHeader tcp, byte[] payload) {
        Ipv4Header ip = Ipv4Header.of(source, destination, Ipv4PacketView.PROTOCOL_TCP,
                tcp.headerLength() + payload.length, DEFAULT_TTL, DEFAULT_IP_ID);
        return tcp(ip, tcp, payload);
    }

    /**
     * A TCP segment in the given IPv4 header, whose total length must be its own header length plus
     * the TCP header and payload. Both checksums are computed.
     */
    public static byte[] tcp(Ipv4Header ip, TcpHeader tcp, byte[] payload) {
        int expected = ip.headerLength() + tcp.headerLength() + payload.length;
        if (ip.totalLength() != expected) {
            throw new IllegalArgumentException("ip.totalLength: " + ip.totalLength() + " (expected: " + expected + ")");
        }
        byte[] packet = new byte[ip.totalLength()];
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            int ipHeaderLength = ip.emit(new Ipv4PacketView().wrap(buf, 0, packet.length));
            TcpSegmentView segment = new TcpSegmentView().wrap(buf, ipHeaderLength, packet.length - ipHeaderLength);
            int tcpHeaderLength = tcp.emit(segment);
            buf.setBytes(ipHeaderLength + tcpHeaderLength, payload);
            segment.fillChecksum(ip.source().bits(), ip.destination().bits());
        } finally {
            buf.release();
        }
        return packet;
    }

    /** An ICMP message in a plain IPv4 header (no DF, TTL 64), ICMP checksum computed. */
    public static byte[] icmp(Ipv4Address source, Ipv4Address destination, int type, int code, int restOfHeader, byte[] body) {
        Ipv4Header ip = new Ipv4Header(0, Ipv4PacketView.MIN_HEADER_LENGTH + Icmpv4MessageView.HEADER_LENGTH + body.length,
                DEFAULT_IP_ID, 0, 0, DEFAULT_TTL, Ipv4PacketView.PROTOCOL_ICMP, 0, source, destination, null);
        byte[] packet = new byte[ip.totalLength()];
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            int ipHeaderLength = ip.emit(new Ipv4PacketView().wrap(buf, 0, packet.length));
            Icmpv4MessageView message = new Icmpv4MessageView().wrap(buf, ipHeaderLength, packet.length - ipHeaderLength);
            message.setType(type);
            message.setCode(code);
            message.setRestOfHeader(restOfHeader);
            buf.setBytes(message.bodyOffset(), body);
            message.fillChecksum();
        } finally {
            buf.release();
        }
        return packet;
    }

    /** A CLIENT → SERVER echo request (RFC 792) with {@code dataLength} bytes of pattern data. */
    public static byte[] echoRequest(int identifier, int sequence, int dataLength) {
        byte[] data = new byte[dataLength];
        for (int i = 0; i < dataLength; i++) {
            data[i] = (byte) i;
        }
        return icmp(CLIENT, SERVER, Icmpv4MessageView.TYPE_ECHO_REQUEST, 0, (identifier << 16) | sequence, data);
    }

    /**
     * A destination-unreachable error from {@code source} to {@code destination} quoting the first
     * {@code quoteLength} bytes of {@code offending} (RFC 792: at least its IP header and 8 bytes).
     */
    public static byte[] unreachable(Ipv4Address source, Ipv4Address destination, int code, int restOfHeader,
                                     byte[] offending, int quoteLength) {
        byte[] quote = java.util.Arrays.copyOf(offending, quoteLength);
        return icmp(source, destination, Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE, code, restOfHeader, quote);
    }

    /** An IPv4 datagram with an arbitrary payload (no upper-layer checksum is computed). */
    public static byte[] ipv4(Ipv4Header ip, byte[] payload) {
        if (ip.totalLength() != ip.headerLength() + payload.length) {
            throw new IllegalArgumentException("ip.totalLength: " + ip.totalLength()
                    + " (expected: " + (ip.headerLength() + payload.length) + ")");
        }
        byte[] packet = new byte[ip.totalLength()];
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            int ipHeaderLength = ip.emit(new Ipv4PacketView().wrap(buf, 0, packet.length));
            buf.setBytes(ipHeaderLength, payload);
        } finally {
            buf.release();
        }
        return packet;
    }

    /** A CLIENT → SERVER UDP datagram (RFC 768) with checksum 0, "not computed". */
    public static byte[] udp(int sourcePort, int destinationPort, byte[] data) {
        byte[] udp = new byte[8 + data.length];
        putShort(udp, 0, sourcePort);
        putShort(udp, 2, destinationPort);
        putShort(udp, 4, udp.length);
        System.arraycopy(data, 0, udp, 8, data.length);
        Ipv4Header ip = Ipv4Header.of(CLIENT, SERVER, Ipv4PacketView.PROTOCOL_UDP, udp.length, DEFAULT_TTL, DEFAULT_IP_ID);
        return ipv4(ip, udp);
    }

    /**
     * Recomputes the IPv4 header checksum over the IHL the bytes now say, clipped to the array, so
     * that a test's deliberate change is the packet's only defect.
     */
    public static void refreshIpv4Checksum(byte[] packet) {
        int headerLength = Math.min((packet[0] & 0x0F) * 4, packet.length);
        if (headerLength < IPV4_CHECKSUM_OFFSET + 2) {
            return;
        }
        putShort(packet, IPV4_CHECKSUM_OFFSET, 0);
        putShort(packet, IPV4_CHECKSUM_OFFSET, checksum(packet, 0, headerLength, 0));
    }

    /**
     * Recomputes the TCP checksum of a datagram whose IHL and total length are sane, over the
     * pseudo-header and the segment the total length delimits.
     */
    public static void refreshTcpChecksum(byte[] packet) {
        int ipHeaderLength = (packet[0] & 0x0F) * 4;
        int totalLength = ((packet[2] & 0xFF) << 8) | (packet[3] & 0xFF);
        int segmentLength = totalLength - ipHeaderLength;
        int source = getInt(packet, 12);
        int destination = getInt(packet, 16);
        putShort(packet, ipHeaderLength + TCP_CHECKSUM_OFFSET, 0);
        long pseudo = InternetChecksum.pseudoHeaderSum(source, destination, Ipv4PacketView.PROTOCOL_TCP, segmentLength);
        putShort(packet, ipHeaderLength + TCP_CHECKSUM_OFFSET, checksum(packet, ipHeaderLength, segmentLength, pseudo));
    }

    /** Recomputes the ICMP checksum of a datagram whose IHL and total length are sane. */
    public static void refreshIcmpChecksum(byte[] packet) {
        int ipHeaderLength = (packet[0] & 0x0F) * 4;
        int totalLength = ((packet[2] & 0xFF) << 8) | (packet[3] & 0xFF);
        putShort(packet, ipHeaderLength + 2, 0);
        putShort(packet, ipHeaderLength + 2, checksum(packet, ipHeaderLength, totalLength - ipHeaderLength, 0));
    }

    /** Writes a big-endian 16-bit value. */
    public static void putShort(byte[] bytes, int at, int value) {
        bytes[at] = (byte) (value >>> 8);
        bytes[at + 1] = (byte) value;
    }

    /** Writes a big-endian 32-bit value. */
    public static void putInt(byte[] bytes, int at, int value) {
        putShort(bytes, at, value >>> 16);
        putShort(bytes, at + 2, value);
    }

    /** Reads a big-endian 32-bit value. */
    public static int getInt(byte[] bytes, int at) {
        return ((bytes[at] & 0xFF) << 24) | ((bytes[at + 1] & 0xFF) << 16) | ((bytes[at + 2] & 0xFF) << 8) | (bytes[at + 3] & 0xFF);
    }

    private static int checksum(byte[] bytes, int offset, int length, long initialSum) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return InternetChecksum.finish(initialSum + InternetChecksum.sum(buf, offset, length));
        } finally {
            buf.release();
        }
    }
}
