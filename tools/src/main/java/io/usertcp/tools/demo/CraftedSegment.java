package io.usertcp.tools.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpSegmentView;

/**
 * An IPv4 packet carrying one TCP segment that a scenario builds itself, flags and all (a SYN+FIN,
 * which no socket API sends): DF, TTL 64, no payload, both checksums filled.
 */
final class CraftedSegment {
    private CraftedSegment() {}

    /**
     * @return a new buffer the caller owns (and hands to the stack or the link, which take it)
     */
    static ByteBuf packet(ByteBufAllocator allocator, Ipv4Address source, Ipv4Address destination, TcpHeader header) {
        Ipv4Header ip = Ipv4Header.of(source, destination, Ipv4PacketView.PROTOCOL_TCP, header.headerLength(), 64, 0);
        ByteBuf buf = allocator.buffer(ip.totalLength());
        try {
            buf.writeZero(ip.totalLength());
            int ipHeader = ip.emit(new Ipv4PacketView().wrap(buf, 0, ip.totalLength()));
            TcpSegmentView seg = new TcpSegmentView().wrap(buf, ipHeader, header.headerLength());
            header.emit(seg);
            seg.fillChecksum(source.bits(), destination.bits());
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }
}
