package io.usertcp.tools.ladder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tools.pcap.CapturedPacket;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a ladder diagram needs of one TCP segment.
 *
 * @param timeNanos     when it was seen (epoch nanoseconds for captures, the stack clock for live recordings)
 * @param payloadLength bytes of data (from the IPv4 total length, so a capture cut at a snap length still counts them)
 */
public record TcpSegment(long timeNanos, Endpoint source, Endpoint destination, int seq, int ack, int flags,
                         int payloadLength, int window) {

    public boolean has(int flag) {
        return (flags & flag) == flag;
    }

    /** SEG.LEN of RFC 9293: data plus one for SYN and one for FIN. */
    public int sequenceLength() {
        return payloadLength + (has(TcpFlags.SYN) ? 1 : 0) + (has(TcpFlags.FIN) ? 1 : 0);
    }

    /** The first sequence number after this segment: SEG.SEQ + SEG.LEN. */
    public int end() {
        return SeqNum.add(seq, sequenceLength());
    }

    /**
     * Decodes an IPv4 datagram; null when it is not a TCP segment a diagram can show (another
     * protocol, a fragment, a malformed header). Checksums are not verified: captures taken on the
     * sending host carry partial checksums when the NIC offloads them.
     *
     * @param ipv4           the captured bytes, possibly cut short at a snap length
     * @param originalLength the datagram's length on the wire
     */
    public static TcpSegment decode(long timeNanos, byte[] ipv4, int originalLength) {
        // A capture cut at a snap length keeps the headers: pad the rest so that the views accept it.
        byte[] bytes = originalLength > ipv4.length ? Arrays.copyOf(ipv4, originalLength) : ipv4;
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
            if (ip.check() != null || ip.protocol() != Ipv4PacketView.PROTOCOL_TCP || ip.isFragment()) {
                return null;
            }
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            if (tcp.check() != null) {
                return null;
            }
            return new TcpSegment(timeNanos, new Endpoint(ip.sourceAddress(), tcp.sourcePort()),
                    new Endpoint(ip.destinationAddress(), tcp.destinationPort()), tcp.seq(), tcp.ack(), tcp.flags(),
                    tcp.payloadLength(), tcp.window());
        } finally {
            buf.release();
        }
    }

    /** The TCP segments of a capture, in file order. */
    public static List<TcpSegment> fromCapture(List<CapturedPacket> packets) {
        List<TcpSegment> out = new ArrayList<>(packets.size());
        for (CapturedPacket p : packets) {
            TcpSegment s = decode(p.epochNanos(), p.ipv4(), p.originalLength());
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** {@code 198.18.0.1:40001 > 198.18.0.2:5000 [S] seq 1 ack 0 len 0}, for messages. */
    @Override
    public String toString() {
        return source + " > " + destination + " [" + TcpFlags.format(flags) + "] seq " + SeqNum.unsigned(seq)
                + " ack " + SeqNum.unsigned(ack) + " len " + payloadLength;
    }
}
