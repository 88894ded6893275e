package io.usertcp.runtime.jfr;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.HashMap;
import java.util.Map;
import jdk.jfr.EventType;

/**
 * Turns what a stack reports into JDK Flight Recorder events ({@link StateChangeEvent},
 * {@link RetransmissionEvent}, {@link TimerEvent}, {@link DropEvent}). While no recording enables
 * an event, its call costs one flag check. A retransmission is a segment that carries sequence
 * space below the highest this observer saw the connection send; it keeps that number per
 * connection while retransmissions are recorded, and forgets it when the connection closes.
 * Called on the stack thread, as every {@link ConnectionObserver}.
 */
public final class JfrObserver implements ConnectionObserver {
    private static final EventType STATE = EventType.getEventType(StateChangeEvent.class);
    private static final EventType RETRANSMISSION = EventType.getEventType(RetransmissionEvent.class);
    private static final EventType TIMER = EventType.getEventType(TimerEvent.class);
    private static final EventType DROP = EventType.getEventType(DropEvent.class);

    /** The end of the highest sequence space each connection sent (SND.MAX), from its local end's view. */
    private final Map<ConnectionId, Integer> sendMax = new HashMap<>();
    private final TcpSegmentView segment = new TcpSegmentView();

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        if (!RETRANSMISSION.isEnabled()) {
            if (!sendMax.isEmpty()) {
                sendMax.clear(); // a later recording starts afresh rather than from stale numbers
            }
            return;
        }
        TcpSegmentView seg = segment.wrap(packet);
        int length = seg.segmentLength();
        if (length == 0) {
            return; // pure ACKs, window probes and keepalives take no sequence space
        }
        ConnectionId id = new ConnectionId(packet.sourceAddress(), seg.sourcePort(), packet.destinationAddress(),
                seg.destinationPort());
        int end = seg.seq() + length;
        Integer max = sendMax.get(id);
        if (max != null && SeqNum.lt(seg.seq(), max)) {
            RetransmissionEvent e = new RetransmissionEvent();
            e.connection = name(id);
            e.sequence = Integer.toUnsignedLong(seg.seq());
            e.length = length;
            e.flags = TcpFlags.format(seg.flags());
            e.commit();
        }
        if (max == null || SeqNum.gt(end, max)) {
            sendMax.put(id, end);
        }
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        if (to == TcpState.CLOSED || to == TcpState.TIME_WAIT) {
            sendMax.remove(id);
        }
        if (STATE.isEnabled()) {
            StateChangeEvent e = new StateChangeEvent();
            e.connection = name(id);
            e.from = from.rfcName();
            e.to = to.rfcName();
            e.cause = cause;
            e.commit();
        }
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        if (TIMER.isEnabled()) {
            TimerEvent e = new TimerEvent();
            e.connection = name(id);
            e.timer = timer.name();
            e.commit();
        }
    }

    @Override
    public void dropped(DropReason reason) {
        if (DROP.isEnabled()) {
            DropEvent e = new DropEvent();
            e.reason = reason.name();
            e.commit();
        }
    }

    private static String name(ConnectionId id) {
        return Ipv4Address.format(id.localAddress()) + ":" + id.localPort() + " "
                + Ipv4Address.format(id.remoteAddress()) + ":" + id.remotePort();
    }
}
