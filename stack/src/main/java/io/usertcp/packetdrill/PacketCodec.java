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
