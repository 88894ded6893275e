package io.usertcp.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.List;

/** Builds the IPv4 packets of inbound script lines and decodes what the stack sends. */
final class PacketCodec {
    private final Ipv4PacketView ipView = new Ipv4PacketView();
    private final TcpSegmentView tcpView = new TcpSegmentView();

    /**
     * A TCP segment in an IPv4 header (DF, TTL 64), zero payload bytes, both checksums filled.
     *
     * @return a new buffer the caller owns (and hands to the stack, which takes it)
     */
    ByteBuf tcp(ByteBufAllocator allocator, int source, int destination, int tos, int ipId, TcpHeader header,
                int payloadLength) {
        int tcpLength = header.headerLength() + payloadLength;
        Ipv4Header ip = new Ipv4Header(tos, Ipv4PacketView.MIN_HEADER_LENGTH + tcpLength, ipId & 0xFFFF,
                Ipv4PacketView.FLAG_DONT_FRAGMENT, 0, 64, Ipv4PacketView.PROTOCOL_TCP, 0, new Ipv4Address(source),
                new Ipv4Address(destination), null);
        ByteBuf buf = allocator.buffer(ip.totalLength());
        buf.writeZero(ip.totalLength());
        int ipHeader = ip.emit(ipView.wrap(buf, 0, ip.totalLength()));
        TcpSegmentView seg = tcpView.wrap(buf, ipHeader, tcpLength);
        header.emit(seg);
        seg.fillChecksum(source, destination);
        return buf;
    }

    /** ICMP types as packetdrill names them (RFC 792). */
    private static final java.util.Map<String, Integer> ICMP_TYPES = java.util.Map.ofEntries(
            java.util.Map.entry("echo_reply", 0), java.util.Map.entry("unreachable", 3), java.util.Map.entry("source_quench", 4),
            java.util.Map.entry("redirect", 5), java.util.Map.entry("echo_request", 8), java.util.Map.entry("time_exceeded", 11),
            java.util.Map.entry("parameter_problem", 12), java.util.Map.entry("timestamp_request", 13),
            java.util.Map.entry("timestamp_reply", 14), java.util.Map.entry("information_request", 15),
            java.util.Map.entry("information_reply", 16));
    /** Destination-unreachable codes 0..15 in order (RFC 792, RFC 1812 §5.2.7.1). */
    private static final List<String> UNREACHABLE_CODES = List.of("net_unreachable", "host_unreachable",
            "protocol_unreachable", "port_unreachable", "frag_needed", "source_route_failed", "net_unknown", "host_unknown",
            "source_host_isolated", "net_prohibited", "host_prohibited", "net_unreachable_for_tos", "host_unreachable_for_tos",
            "packet_filtered", "precedence_violation", "precedence_cutoff");

    /**
     * An ICMP error from {@code source} to {@code destination} quoting a TCP segment the destination
     * sent ({@code quotedSource:quotedSourcePort} to {@code quotedDestination:quotedDestinationPort},
     * sequence number {@code quotedSeq}): an IPv4 header and the 8 bytes holding ports and sequence
     * number (RFC 792), with the next-hop MTU for frag_needed (RFC 1191), checksums filled.
     *
     * @param code the code's name, or null for 0
     * @return a new buffer the caller owns
     */
    ByteBuf icmp(ByteBufAllocator allocator, int source, int destination, int ipId, String type, String code, int mtu,
                 int quotedSource, int quotedDestination, int quotedSourcePort, int quotedDestinationPort, long quotedSeq) {
        int quoteLength = Ipv4PacketView.MIN_HEADER_LENGTH + 8;
        int icmpLength = io.usertcp.wire.Icmpv4MessageView.HEADER_LENGTH + quoteLength;
        Ipv4Header ip = new Ipv4Header(0, Ipv4PacketView.MIN_HEADER_LENGTH + icmpLength, ipId & 0xFFFF, 0, 0, 64, 1, 0,
                new Ipv4Address(source), new Ipv4Address(destination), null);
        ByteBuf buf = allocator.buffer(ip.totalLength());
        buf.writeZero(ip.totalLength());
        int at = ip.emit(ipView.wrap(buf, 0, ip.totalLength()));
        int quoted = at + io.usertcp.wire.Icmpv4MessageView.HEADER_LENGTH;
        Ipv4Header inner = new Ipv4Header(0, Ipv4PacketView.MIN_HEADER_LENGTH + 20, 0, Ipv4PacketView.FLAG_DONT_FRAGMENT, 0, 64,
                Ipv4PacketView.PROTOCOL_TCP, 0, new Ipv4Address(quotedSource), new Ipv4Address(quotedDestination), null);
        inner.emit(new Ipv4PacketView().wrap(buf, quoted, quoteLength)); // the quote is cut after 8 TCP bytes
        buf.setShort(quoted + 20, quotedSourcePort);
        buf.setShort(quoted + 22, quotedDestinationPort);
        buf.setInt(quoted + 24, (int) quotedSeq);
        io.usertcp.wire.Icmpv4MessageView icmp = new io.usertcp.wire.Icmpv4MessageView().wrap(buf, at, icmpLength);
        icmp.setType(ICMP_TYPES.get(type));
        icmp.setCode(code == null ? 0 : Math.max(0, UNREACHABLE_CODES.indexOf(code)));
        icmp.setRestOfHeader(mtu < 0 ? 0 : mtu & 0xFFFF);
        icmp.fillChecksum();
        return buf;
    }

    /** The wire options for a script's option list (SACK blocks and TS echo already mapped). */
    static TcpOptions options(List<TcpOption> options) {
        return options.isEmpty() ? TcpOptions.NONE : TcpOptions.of(options.toArray(new TcpOption[0]));
    }

    /**
     * Decodes a packet the stack sent.
     *
     * @param packet borrowed; not released here
     * @throws IllegalStateException when the stack sent something that is not a valid IPv4 packet
     */
    LivePacket decode(ByteBuf packet, long timeNanos) {
        return decode(packet, timeNanos, true);
    }

    /**
     * As {@link #decode(ByteBuf, long)}; without {@code verifyTcpChecksum} the TCP checksum is not
     * checked (a packet read from a TUN device with checksum offload carries only its pseudo-header sum).
     */
    LivePacket decode(ByteBuf packet, long timeNanos, boolean verifyTcpChecksum) {
        Ipv4PacketView ip = ipView.wrap(packet, packet.readerIndex(), packet.readableBytes());
        DropReason bad = ip.check();
        if (bad != null) {
            throw new IllegalStateException("the stack sent a malformed IPv4 packet: " + bad);
        }
        if (!ip.headerChecksumValid()) {
            throw new IllegalStateException("the stack sent an IPv4 packet with a bad header checksum");
        }
        if (ip.protocol() != Ipv4PacketView.PROTOCOL_TCP) {
            return new LivePacket(timeNanos, ip.protocol(), ip.tos(), ip.sourceAddress(), ip.destinationAddress(), null,
                    new byte[0], ip.payloadLength());
        }
        TcpSegmentView seg = tcpView.wrap(ip);
        DropReason badTcp = seg.check();
        if (badTcp != null) {
            throw new IllegalStateException("the stack sent a malformed TCP segment: " + badTcp);
        }
        if (verifyTcpChecksum && !seg.checksumValid(ip.sourceAddress(), ip.destinationAddress())) {
            throw new IllegalStateException("the stack sent a TCP segment with a bad checksum");
        }
        byte[] optionBytes = new byte[seg.optionsLength()];
        packet.getBytes(seg.optionsOffset(), optionBytes);
        return new LivePacket(timeNanos, ip.protocol(), ip.tos(), ip.sourceAddress(), ip.destinationAddress(),
                TcpHeader.parse(seg), optionBytes, seg.payloadLength());
    }

    /** Options without NOP and EOL: what the {@code rfc} profile compares. */
    static List<TcpOption> meaningful(List<TcpOption> options) {
        List<TcpOption> out = new ArrayList<>();
        for (TcpOption o : options) {
            if (!(o instanceof TcpOption.Nop) && !(o instanceof TcpOption.Eol)) {
                out.add(o);
            }
        }
        return out;
    }
}
