package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Keeps what our stack did, as {@link StackEvent}s, and tells live listeners as it happens.
 *
 * <p>Recording runs on the stack thread (keep listeners quick: printing a line is fine), or on
 * each shard's thread when the stack has several, so it keeps no state between calls outside the
 * lock; reading is thread-safe from any thread. The number of events kept is bounded ({@link #MAX_EVENTS}); past
 * it, new events still reach the listeners but are not kept.
 */
public final class EventRecorder implements ConnectionObserver {
    /** Events kept at most: bounds memory when a long {@code serve} sees many connections. */
    public static final int MAX_EVENTS = 200_000;

    private final List<StackEvent> events = new ArrayList<>();
    private final List<Consumer<StackEvent>> listeners = new CopyOnWriteArrayList<>();
    private final boolean recordSegments;
    private long dropped;

    /** @param recordSegments whether to keep segments too (states and timers are always kept) */
    public EventRecorder(boolean recordSegments) {
        this.recordSegments = recordSegments;
    }

    /** Calls {@code listener} on the stack thread for every event from now on. */
    public void addListener(Consumer<StackEvent> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<StackEvent> listener) {
        listeners.remove(listener);
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        segment(nowNanos, packet, false);
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        segment(nowNanos, packet, true);
    }

    private void segment(long nowNanos, Ipv4PacketView packet, boolean outbound) {
        if (!recordSegments && listeners.isEmpty()) {
            return;
        }
        TcpSegmentView tcp = new TcpSegmentView().wrap(packet); // one per call: shards record from their own threads
        if (tcp.check() != null) {
            return; // only well-formed segments reach observers; be safe anyway
        }
        TcpHeader header = TcpHeader.parse(tcp);
        ConnectionId id = outbound
                ? new ConnectionId(packet.sourceAddress(), header.sourcePort(), packet.destinationAddress(), header.destinationPort())
                : new ConnectionId(packet.destinationAddress(), header.destinationPort(), packet.sourceAddress(), header.sourcePort());
        StackEvent.Segment event = new StackEvent.Segment(nowNanos, id, outbound, header, tcp.payloadLength());
        publish(event, recordSegments);
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        publish(new StackEvent.StateChange(nowNanos, id, from, to, cause), true);
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        publish(new StackEvent.TimerFired(nowNanos, id, timer), true);
    }

    private void publish(StackEvent event, boolean keep) {
        if (keep) {
            synchronized (events) {
                if (events.size() < MAX_EVENTS) {
                    events.add(event);
                } else {
                    dropped++;
                }
                events.notifyAll();
            }
        }
        for (Consumer<StackEvent> listener : listeners) {
            listener.accept(event);
        }
    }

    /** Every event kept so far, oldest first (a copy). */
    public List<StackEvent> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The events of one connection, oldest first. */
    public List<StackEvent> eventsFor(ConnectionId id) {
        return events().stream().filter(e -> e.id().equals(id)).toList();
    }

    /** The states one connection went through, in order, starting with the first state it left. */
    public List<TcpState> statesOf(ConnectionId id) {
        List<TcpState> states = new ArrayList<>();
        for (StackEvent e : eventsFor(id)) {
            if (e instanceof StackEvent.StateChange sc) {
                if (states.isEmpty()) {
                    states.add(sc.from());
                }
                states.add(sc.to());
            }
        }
        return states;
    }

    /** The last state our stack reported for {@code id}, or {@code null} when it never reported one. */
    public TcpState lastState(ConnectionId id) {
        List<TcpState> states = statesOf(id);
        return states.isEmpty() ? null : states.get(states.size() - 1);
    }

    /** Connections (not listeners) in the order they first appeared. */
    public List<ConnectionId> connections() {
        Set<ConnectionId> ids = new LinkedHashSet<>();
        for (StackEvent e : events()) {
            if (e.id().remotePort() != 0) {
                ids.add(e.id());
            }
        }
        return List.copyOf(ids);
    }

    /** Events that could not be kept because {@link #MAX_EVENTS} was reached. */
    public long droppedEvents() {
        synchronized (events) {
            return dropped;
        }
    }

    /**
     * Waits until some kept event matches {@code wanted}, at most {@code timeoutMillis}.
     *
     * @return the first matching event, or {@code null} when none came in time
     */
    public StackEvent await(Predicate<StackEvent> wanted, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (events) {
            while (true) {
                for (StackEvent e : events) {
                    if (wanted.test(e)) {
                        return e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                events.wait(Math.max(1, left / 1_000_000L));
            }
        }
    }

    /** Waits until connection {@code id} reaches {@code state}; see {@link #await}. */
    public boolean awaitState(ConnectionId id, TcpState state, long timeoutMillis) throws InterruptedException {
        return awaitState(id, state, Long.MIN_VALUE, timeoutMillis);
    }

    /**
     * Waits until connection {@code id} reaches {@code state} at {@code sinceNanos} or later (stack
     * clock; {@link Long#MIN_VALUE}: ever): a four-tuple used again (a TIME-WAIT entry taken over) has
     * the old incarnation's states before that.
     */
    public boolean awaitState(ConnectionId id, TcpState state, long sinceNanos, long timeoutMillis) throws InterruptedException {
        return await(e -> e instanceof StackEvent.StateChange sc && sc.id().equals(id) && sc.to() == state
                && (sinceNanos == Long.MIN_VALUE || sc.nanos() - sinceNanos >= 0), timeoutMillis) != null;
    }
}
