package io.usertcp.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.InternetChecksum;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.function.Consumer;

/**
 * What a device (or Linux's software GSO) does with a TCP super-segment written with checksum and
 * segmentation offload, done in software: Linux {@code tcp_gso_segment()} and
 * {@code inet_gso_segment()}. Each segment gets a copy of the IPv4 and TCP headers with the IP
 * total length and identification (counting up from the super-segment's) and the sequence number
 * adjusted; CWR stays on the first segment only, PSH and FIN on the last only; both checksums are
 * computed whole. A packet with a partial checksum and no segment size just has its checksum
 * completed.
 *
 * <p>For in-memory links and simulations that stand in for an offloading device, and as the
 * definition the TSO tests check our sender against. Pure: no state, the allocator injected.
 */
public final class SoftwareSegmentation {
    private SoftwareSegmentation() {
    }

    /**
     * Cuts {@code packet} into segments of {@code segmentSize} payload bytes (the last may be
     * shorter), each a new buffer handed to {@code out}, which owns it.
     *
     * @param packet      an IPv4 TCP segment whose checksum field holds the pseudo-header sum;
     *                    borrowed: the caller keeps ownership and releases it
     * @param segmentSize payload bytes per segment; 0, or at least the payload, gives one segment
     * @return the number of segments handed out
     */
    public static int segment(ByteBuf packet, int segmentSize, ByteBufAllocator allocator, Consumer<ByteBuf> out) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        int ipHeader = ip.headerLength();
        int headers = ipHeader + tcp.headerLength();
        int payload = packet.readableBytes() - headers;
        int size = segmentSize <= 0 || segmentSize >= payload ? Math.max(payload, 1) : segmentSize;
        int flags = tcp.flags();
        int seq = tcp.seq();
        int id = ip.identification();
        int source = ip.sourceAddress();
        int destination = ip.destinationAddress();
        int count = 0;
        for (int at = 0; at < payload || (at == 0 && payload == 0); at += size) {
            int length = Math.min(size, payload - at);
            boolean first = at == 0;
            boolean last = at + length >= payload;
            ByteBuf s = allocator.buffer(headers + length);
            s.writeBytes(packet, packet.readerIndex(), headers);
            s.writeBytes(packet, packet.readerIndex() + headers + at, length);
            Ipv4PacketView sip = new Ipv4PacketView().wrap(s, 0, headers + length);
            sip.setTotalLength(headers + length);
            sip.setIdentification((id + count) & 0xFFFF);
            sip.fillHeaderChecksum();
            TcpSegmentView st = new TcpSegmentView().wrap(s, ipHeader, headers - ipHeader + length);
            st.setSeq(seq + at);
            int f = flags;
            if (!first) {
                f &= ~TcpFlags.CWR;
            }
            if (!last) {
                f &= ~(TcpFlags.PSH | TcpFlags.FIN);
            }
            st.setFlags(f);
            st.fillChecksum(source, destination);
            out.accept(s);
            count++;
            if (payload == 0) {
                break;
            }
        }
        return count;
    }

    /**
     * Whether a segment's checksum field holds the pseudo-header sum the offloading sender leaves there.
     *
     * @param packet borrowed; its indices do not move
     */
    public static boolean holdsPseudoHeaderSum(ByteBuf packet) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        int expected = InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(ip.sourceAddress(), ip.destinationAddress(),
                Ipv4PacketView.PROTOCOL_TCP, packet.readableBytes() - ip.headerLength()));
        return tcp.checksum() == expected;
    }
}
