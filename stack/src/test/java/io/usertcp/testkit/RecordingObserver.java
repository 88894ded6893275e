package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.TcpdumpFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A {@link ConnectionObserver} that records everything it is told, for assertions: state changes
 * (id, from, to, cause), TCP segments in and out as decoded headers and tcpdump lines, and timer
 * expiries. One instance may observe several stacks (pass it to both of {@link TwoStacks}'s
 * stacks): every event says which address it happened at, so queries filter by stack.
 *
 * <p>The observer copies what it keeps; it holds no buffer. Not thread-safe (stack thread only).
 */
public final class RecordingObserver implements ConnectionObserver {

    /** A connection changed state. */
    public record StateChange(long nanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        /** {@code FIN-WAIT-1 -> TIME-WAIT}. */
        public String transition() {
            return from.rfcName() + " -> " + to.rfcName();
        }

        @Override
        public String toString() {
            return id + " " + transition() + " (" + cause + ")";
        }
    }

    /**
     * A TCP segment the stack at {@code at} received ({@code outbound == false}) or sent.
     *
     * @param at the address of the stack that saw it: the destination of an inbound segment, the
     *           source of an outbound one
     */
    public record Segment(long nanos, boolean outbound, Ipv4Address at, Ipv4Address source, Ipv4Address destination,
                          TcpHeader tcp, int payloadLength, String line) {
        public int flags() {
            return tcp.flags();
        }

        /** The flags in tcpdump's notation: {@code S}, {@code S.}, {@code F.}, {@code R}, ... */
        public String flagString() {
            return TcpFlags.format(tcp.flags());
        }

        public int seq() {
            return tcp.seq();
        }

        public int ack() {
            return tcp.ack();
        }

        public boolean has(int flag) {
            return tcp.hasFlag(flag);
        }

        @Override
        public String toString() {
            return (outbound ? "out " : "in  ") + line;
        }
    }

    /** A connection timer expired. */
    public record TimerEvent(long nanos, ConnectionId id, TcpTimer timer) {
        @Override
        public String toString() {
            return id + " timer " + timer;
        }
    }

    private final List<Object> events = new ArrayList<>();

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        events.add(segment(nowNanos, false, packet));
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        events.add(segment(nowNanos, true, packet));
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        events.add(new StateChange(nowNanos, id, from, to, cause));
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        events.add(new TimerEvent(nowNanos, id, timer));
    }

    private static Segment segment(long nowNanos, boolean outbound, Ipv4PacketView ip) {
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        Ipv4Address source = new Ipv4Address(ip.sourceAddress());
        Ipv4Address destination = new Ipv4Address(ip.destinationAddress());
        return new Segment(nowNanos, outbound, outbound ? source : destination, source, destination,
                TcpHeader.parse(tcp), tcp.payloadLength(), TcpdumpFormatter.format(ip.buffer(), ip.offset(), ip.length()));
    }

    // ------------------------------------------------------------------------------------
    // Queries
    // ------------------------------------------------------------------------------------

    /** Forgets everything recorded so far. */
    public void clear() {
        events.clear();
    }

    /** Every event recorded ({@link StateChange}, {@link Segment}, {@link TimerEvent}), in the order they happened. */
    public List<Object> events() {
        return List.copyOf(events);
    }

    public List<StateChange> stateChanges() {
        return ofType(StateChange.class, e -> true);
    }

    /** State changes of one connection (or TIME-WAIT entry), in order. */
    public List<StateChange> stateChanges(ConnectionId id) {
        return ofType(StateChange.class, e -> e.id().equals(id));
    }

    /** State changes at one stack, in order. */
    public List<StateChange> stateChangesAt(Ipv4Address stack) {
        return ofType(StateChange.class, e -> e.id().localAddress() == stack.bits());
    }

    /** {@code ["SYN-SENT -> ESTABLISHED", ...]} for one connection. */
    public List<String> transitions(ConnectionId id) {
        return stateChanges(id).stream().map(StateChange::transition).toList();
    }

    /** The causes of one connection's state changes, in order. */
    public List<String> causes(ConnectionId id) {
        return stateChanges(id).stream().map(StateChange::cause).toList();
    }

    public List<Segment> segments() {
        return ofType(Segment.class, e -> true);
    }

    /** Segments the stack at {@code stack} sent, in order. */
    public List<Segment> sentBy(Ipv4Address stack) {
        return ofType(Segment.class, e -> e.outbound() && e.at().equals(stack));
    }

    /** Segments the stack at {@code stack} received (that passed the IP and TCP checks), in order. */
    public List<Segment> receivedBy(Ipv4Address stack) {
        return ofType(Segment.class, e -> !e.outbound() && e.at().equals(stack));
    }

    /** The flags ({@code S}, {@code S.}, ...) of what {@code stack} sent, in order. */
    public List<String> flagsSentBy(Ipv4Address stack) {
        return sentBy(stack).stream().map(Segment::flagString).toList();
    }

    public List<TimerEvent> timers() {
        return ofType(TimerEvent.class, e -> true);
    }

    /** Timer expiries of one connection, in order. */
    public List<TimerEvent> timers(ConnectionId id) {
        return ofType(TimerEvent.class, e -> e.id().equals(id));
    }

    /** Everything, one line per event, with times relative to {@link VirtualClock#START_NANOS}, for messages. */
    public String timeline() {
        StringBuilder sb = new StringBuilder();
        for (Object e : events) {
            long nanos = e instanceof StateChange s ? s.nanos() : e instanceof Segment g ? g.nanos() : ((TimerEvent) e).nanos();
            sb.append(String.format("%12.6f %s%n", (nanos - VirtualClock.START_NANOS) / 1e9, e));
        }
        return sb.toString();
    }

    private <T> List<T> ofType(Class<T> type, Predicate<T> filter) {
        List<T> out = new ArrayList<>();
        for (Object e : events) {
            if (type.isInstance(e) && filter.test(type.cast(e))) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------
    // Helpers for drop predicates (TwoStacks.dropAtoB / dropBtoA)
    // ------------------------------------------------------------------------------------

    /**
     * The TCP header of an IPv4 packet on the wire, or null if it is not a well-formed TCP segment.
     *
     * @param packet borrowed; not modified
     */
    public static TcpHeader tcpHeader(ByteBuf packet) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (ip.check() != null || ip.protocol() != Ipv4PacketView.PROTOCOL_TCP) {
            return null;
        }
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        return tcp.check() != null ? null : TcpHeader.parse(tcp);
    }

    /** The TCP payload length of a packet on the wire, or -1 if it is not TCP. @param packet borrowed */
    public static int tcpPayloadLength(ByteBuf packet) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (ip.check() != null || ip.protocol() != Ipv4PacketView.PROTOCOL_TCP) {
            return -1;
        }
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        return tcp.check() != null ? -1 : tcp.payloadLength();
    }

    /** The destination address of an IPv4 packet on the wire. @param packet borrowed */
    public static int destinationAddress(ByteBuf packet) {
        return new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes()).destinationAddress();
    }
}
