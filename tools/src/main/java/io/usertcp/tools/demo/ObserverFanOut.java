package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One {@link ConnectionObserver} that passes every call on to several: the event recorder, a pcap
 * tap, a ladder printer. Observers may be added while the stack runs; each sees the calls made
 * after it was added, in the order of the list. Called on the stack thread.
 */
public final class ObserverFanOut implements ConnectionObserver {
    private final List<ConnectionObserver> observers = new CopyOnWriteArrayList<>();

    public ObserverFanOut(ConnectionObserver... observers) {
        this.observers.addAll(List.of(observers));
    }

    /** Adds an observer (a pcap tap, say); it sees what happens from now on. */
    public ObserverFanOut add(ConnectionObserver observer) {
        observers.add(observer);
        return this;
    }

    public void remove(ConnectionObserver observer) {
        observers.remove(observer);
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

    @Override
    public void dropped(DropReason reason) {
        for (ConnectionObserver o : observers) {
            o.dropped(reason);
        }
    }
}
