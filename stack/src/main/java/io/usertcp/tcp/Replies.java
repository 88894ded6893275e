package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayDeque;

/**
 * Packets the stack sends without a connection to carry them: RSTs for segments that match no
 * connection (RFC 9293 §3.10.7.1), TIME-WAIT ACKs, SYN-cookie SYN-ACKs, the RST of an aborted
 * connection, ICMP echo replies. They are built at once and queued (bounded) until the driver's
 * next {@code pollTransmit}; past the bound they are dropped and counted, so a flood cannot grow
 * memory.
 */
final class Replies {
    /** At most this many replies wait for pollTransmit. */
    static final int MAX_QUEUED = 4096;

    private final SegmentWriter writer;
    private final ByteBufAllocator allocator;
    private final StackStats stats;
    private final ConnectionObserver observer;
    private final OutSegment s = new OutSegment();
    private final Ipv4PacketView observed = new Ipv4PacketView();
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private long dropped;

    Replies(SegmentWriter writer, ByteBufAllocator allocator, StackStats stats, ConnectionObserver observer) {
        this.writer = writer;
        this.allocator = allocator;
        this.stats = stats;
        this.observer = observer;
    }

    /**
     * RFC 9293 §3.10.7.1, for a segment that reaches no connection: a RST is never answered; if the
     * ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if on, <SEQ=SEG.ACK><CTL=RST>.
     */
    void resetFor(long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        resetFor(nowNanos, ip, seg, null);
    }

    /** As {@link #resetFor(long, Ipv4PacketView, TcpSegmentView)}, signed with {@code md5} when not null (RFC 2385). */
    void resetFor(long nowNanos, Ipv4PacketView ip, TcpSegmentView seg, TcpMd5Key md5) {
        if (seg.hasFlag(TcpFlags.RST)) {
            return;
        }
        s.clear().replyTo(ip.sourceAddress(), seg.sourcePort(), ip.destinationAddress(), seg.destinationPort());
        s.md5Key = md5 == null ? null : md5.keyBytes();
        answer(nowNanos, seg);
    }

    /** The same reply to {@code seg}, on a connection's four-tuple (the segment passed its checks). */
    void resetAnswering(long nowNanos, ConnectionId id, TcpMd5Key md5, TcpSegmentView seg) {
        if (seg.hasFlag(TcpFlags.RST)) {
            return;
        }
        on(id, md5);
        answer(nowNanos, seg);
    }

    private void answer(long nowNanos, TcpSegmentView seg) {
        if (seg.hasFlag(TcpFlags.ACK)) {
            s.seq = seg.ack();
            s.flags = TcpFlags.RST;
        } else {
            s.seq = 0;
            s.ack = seg.seq() + seg.segmentLength();
            s.flags = TcpFlags.RST | TcpFlags.ACK;
        }
        enqueueTcp(nowNanos);
        stats.increment(Counter.TcpOutRsts);
    }

    /** A RST <SEQ=seq><CTL=RST> on a connection's four-tuple (ABORT, or an unacceptable ACK). */
    void reset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq) {
        on(id, md5);
        s.seq = seq;
        s.flags = TcpFlags.RST;
        enqueueTcp(nowNanos);
        stats.increment(Counter.TcpOutRsts);
    }

    /** <SEQ=seq><ACK=ack><CTL=RST,ACK>, window 0, on a connection's four-tuple. */
    void resetAck(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack) {
        on(id, md5);
        s.seq = seq;
        s.ack = ack;
        s.flags = TcpFlags.RST | TcpFlags.ACK;
        enqueueTcp(nowNanos);
        stats.increment(Counter.TcpOutRsts);
    }

    /** The abort RST of a connection: <SEQ=seq><ACK=ack><CTL=RST,ACK>, its window field and timestamps. */
    void abortReset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack, int window, boolean timestamps,
                    int tsVal, int tsEcr) {
        on(id, md5);
        s.seq = seq;
        s.ack = ack;
        s.flags = TcpFlags.RST | TcpFlags.ACK;
        s.window = window;
        if (timestamps) {
            s.timestamps = true;
            s.tsVal = tsVal;
            s.tsEcr = tsEcr;
        }
        enqueueTcp(nowNanos);
        stats.increment(Counter.TcpOutRsts);
    }

    /** Starts a segment on a connection's four-tuple, signed with its TCP MD5 key when it has one (RFC 2385). */
    private void on(ConnectionId id, TcpMd5Key md5) {
        s.clear().from(id);
        s.md5Key = md5 == null ? null : md5.keyBytes();
    }

    /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from a TIME-WAIT entry, signed with the connection's key (Linux tcp_v4_timewait_ack()). */
    void timeWaitAck(long nowNanos, TimeWaitTable.Entry e) {
        s.clear();
        s.sourceAddress = e.localAddress;
        s.sourcePort = e.localPort;
        s.destinationAddress = e.remoteAddress;
        s.destinationPort = e.remotePort;
        s.seq = e.sndNxt;
        s.ack = e.rcvNxt;
        s.flags = TcpFlags.ACK;
        s.window = e.windowField;
        if (e.timestamps) {
            s.timestamps = true;
            s.tsVal = (int) (nowNanos / 1_000_000L) + e.tsOffset;
            s.tsEcr = e.tsRecent;
        }
        s.md5Key = e.md5 == null ? null : e.md5.keyBytes();
        enqueueTcp(nowNanos);
    }

    /** The description to fill for a custom segment (cookie SYN-ACK); then call {@link #enqueueTcp}. */
    OutSegment segment() {
        return s.clear();
    }

    /** Builds the segment described in {@link #segment()} and queues it. */
    void enqueueTcp(long nowNanos) {
        if (queue.size() >= MAX_QUEUED) {
            dropped++;
            return;
        }
        ByteBuf packet = writer.write(s);
        observer.segmentOut(nowNanos, observed.wrap(packet, 0, packet.readableBytes()));
        stats.increment(Counter.TcpOutSegs);
        stats.increment(Counter.IpOutRequests);
        queue.addLast(packet);
    }

    /**
     * RFC 792 echo reply: same identifier, sequence number and data, addresses swapped.
     *
     * @param ip borrowed: the request, which passed its checks
     */
    void echoReply(Ipv4PacketView ip, Icmpv4MessageView request) {
        if (queue.size() >= MAX_QUEUED) {
            dropped++;
            return;
        }
        int icmpLength = request.length();
        int total = Ipv4PacketView.MIN_HEADER_LENGTH + icmpLength;
        ByteBuf packet = allocator.buffer(total);
        packet.writerIndex(total);
        Ipv4PacketView out = new Ipv4PacketView().wrap(packet, 0, total);
        out.setVersionAndHeaderLength(Ipv4PacketView.MIN_HEADER_LENGTH);
        out.setTos(ip.tos());
        out.setTotalLength(total);
        out.setIdentification(ip.identification());
        out.setFlagsAndFragmentOffset(0, 0);
        out.setTtl(SegmentWriter.TTL);
        out.setProtocol(Ipv4PacketView.PROTOCOL_ICMP);
        out.setSourceAddress(ip.destinationAddress());
        out.setDestinationAddress(ip.sourceAddress());
        out.fillHeaderChecksum();
        packet.setBytes(Ipv4PacketView.MIN_HEADER_LENGTH, request.buffer(), request.offset(), icmpLength);
        Icmpv4MessageView reply = new Icmpv4MessageView().wrap(packet, Ipv4PacketView.MIN_HEADER_LENGTH, icmpLength);
        reply.setType(Icmpv4MessageView.TYPE_ECHO_REPLY);
        reply.setCode(0);
        reply.fillChecksum();
        stats.increment(Counter.IcmpOutMsgs);
        stats.increment(Counter.IcmpOutEchoReps);
        stats.increment(Counter.IpOutRequests);
        queue.addLast(packet);
    }

    /** The next queued reply, which the caller now owns, or null. */
    ByteBuf poll() {
        return queue.pollFirst();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Replies dropped because the queue was full. */
    long dropped() {
        return dropped;
    }

    void release() {
        ByteBuf b;
        while ((b = queue.pollFirst()) != null) {
            b.release();
        }
    }
}
