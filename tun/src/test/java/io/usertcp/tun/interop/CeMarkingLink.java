package io.usertcp.tun.interop;

import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.ForwardingLink;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A link layer between the TUN device and our stack that plays a congested ECN router on the way
 * in (RFC 3168 §5: a router marks CE only on ECT packets, in place of dropping them): every
 * {@code interval}-th inbound TCP segment that carries data and is ECT(0) or ECT(1) leaves with CE,
 * at most {@code limit} times; the IPv4 header checksum is recomputed. Everything else passes as
 * it is. Packets are handled on the stack's thread; the count may be read from any thread.
 */
final class CeMarkingLink extends ForwardingLink {
    private final int interval;
    private final int limit;
    private final Ipv4PacketView ip = new Ipv4PacketView();
    private final TcpSegmentView tcp = new TcpSegmentView();
    private final AtomicInteger marked = new AtomicInteger();
    private int ectDataSeen;

    CeMarkingLink(WaitableLink inner, int interval, int limit) {
        super(inner);
        this.interval = interval;
        this.limit = limit;
    }

    /** How many packets left with CE. */
    int marked() {
        return marked.get();
    }

    @Override
    public ByteBuf receive() {
        ByteBuf packet = inner.receive();
        if (packet != null && isEctData(packet) && ++ectDataSeen % interval == 0 && marked.get() < limit) {
            ip.setTos(ip.tos() | 0b11);
            ip.fillHeaderChecksum();
            marked.incrementAndGet();
        }
        return packet;
    }

    private boolean isEctData(ByteBuf packet) {
        ip.wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (ip.check() != null || ip.protocol() != Ipv4PacketView.PROTOCOL_TCP || ip.ecn() == 0 || ip.ecn() == 0b11) {
            return false;
        }
        return tcp.wrap(ip).check() == null && tcp.payloadLength() > 0;
    }
}
