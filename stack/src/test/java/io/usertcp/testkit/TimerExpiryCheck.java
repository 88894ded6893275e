package io.usertcp.testkit;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * An invariant the harnesses check on every stack they build (issue 18): no connection's timers
 * expire more than {@link #DEFAULT_MAX_PER_SECOND} times in one second of virtual time. A bug that
 * re-arms a timer at (or just after) the time it fired, or an option that should have been refused
 * (a keep-alive of 1 ns once gave a million expiries in 1 ms), fails the test at the expiry that
 * crosses the bound, with the connection, the second and the timers that fired, instead of spinning.
 *
 * <p>Why 1000: the fastest legitimate timers are the delayed ACK (Linux's least is 40 ms), the loss
 * probe (10 ms at least) and the retransmission timer (RTO min 200 ms, backed off), keep-alive
 * (1 s at least since the API enforces Linux's bounds); together well under 200 a second. Linux
 * itself cannot fire one timer more often than HZ (1000) times a second.
 *
 * <p>It wraps the observer a test configured, which still sees every event. Stack thread only, as
 * observers are.
 */
public final class TimerExpiryCheck implements ConnectionObserver {
    /** The bound the harnesses use: expiries per connection per second of virtual time. */
    public static final int DEFAULT_MAX_PER_SECOND = 1000;
    private static final long SECOND_NANOS = 1_000_000_000L;

    private final ConnectionObserver inner;
    private final int maxPerSecond;
    private final Map<ConnectionId, Window> windows = new HashMap<>();
    private long maxSeen;

    private static final class Window {
        long second = Long.MIN_VALUE;
        int count;
        final Map<TcpTimer, Integer> byTimer = new EnumMap<>(TcpTimer.class);
    }

    public TimerExpiryCheck(ConnectionObserver inner, int maxPerSecond) {
        if (maxPerSecond < 1) {
            throw new IllegalArgumentException("maxPerSecond: " + maxPerSecond + " (expected: >= 1)");
        }
        this.inner = inner;
        this.maxPerSecond = maxPerSecond;
    }

    /** {@code config} with its observer wrapped in a check with the default bound. */
    public static StackConfig install(StackConfig config) {
        if (config.observer() instanceof TimerExpiryCheck) {
            return config;
        }
        return config.withObserver(new TimerExpiryCheck(config.observer(), DEFAULT_MAX_PER_SECOND));
    }

    /** The check installed on {@code config}, or null. */
    public static TimerExpiryCheck of(StackConfig config) {
        return config.observer() instanceof TimerExpiryCheck check ? check : null;
    }

    /** The most expiries any connection had in one virtual second so far. */
    public long maxSeenPerSecond() {
        return maxSeen;
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        Window w = windows.computeIfAbsent(id, k -> new Window());
        long second = Math.floorDiv(nowNanos, SECOND_NANOS);
        if (second != w.second) {
            w.second = second;
            w.count = 0;
            w.byTimer.clear();
        }
        w.count++;
        w.byTimer.merge(timer, 1, Integer::sum);
        maxSeen = Math.max(maxSeen, w.count);
        if (w.count > maxPerSecond) {
            throw new AssertionError("timer storm: connection " + id + " had " + w.count + " timer expiries in virtual second "
                    + second + " (bound: " + maxPerSecond + " per connection per second), by timer " + w.byTimer
                    + "; the last, " + timer + ", at " + nowNanos + " ns");
        }
        inner.timerExpired(nowNanos, id, timer);
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        inner.segmentIn(nowNanos, packet);
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        inner.segmentOut(nowNanos, packet);
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        if (to == TcpState.CLOSED) {
            windows.remove(id); // the next incarnation of the tuple starts afresh; churn tests stay small
        }
        inner.stateChanged(nowNanos, id, from, to, cause);
    }

    @Override
    public void dropped(DropReason reason) {
        inner.dropped(reason);
    }
}
