package io.usertcp.tools.pcap;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.Ipv4PacketView;
import java.util.List;

/**
 * Hands every event to several observers in order, so that one stack can feed a pcap tap, a ladder
 * recorder and a state display at once. Each observer sees the same borrowed view: none may keep
 * or change it.
 */
public final class TeeObserver implements ConnectionObserver {
    private final List<ConnectionObserver> observers;

    private TeeObserver(List<ConnectionObserver> observers) {
        this.observers = observers;
    }

    public static ConnectionObserver of(ConnectionObserver... observers) {
        return new TeeObserver(List.of(observers));
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        for (ConnectionObserver o : observers) {
            o.segmentIn(nowNanos, packet);
        }
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        for (ConnectionObserver o : observers) {
            o.segmentOut(nowNanos, packet);
        }
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        for (ConnectionObserver o : observers) {
            o.stateChanged(nowNanos, id, from, to, cause);
        }
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        for (ConnectionObserver o : observers) {
            o.timerExpired(nowNanos, id, timer);
        }
    }
}
