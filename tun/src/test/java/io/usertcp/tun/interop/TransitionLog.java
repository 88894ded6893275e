package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Our stack's state changes, recorded on the stack thread and waited for on the test thread, so a
 * test can wait for "this connection entered TIME-WAIT" without polling.
 */
final class TransitionLog implements ConnectionObserver {
    /** One state change. */
    record Transition(ConnectionId id, TcpState from, TcpState to, String cause) {}

    private final List<Transition> transitions = new ArrayList<>();

    @Override
    public synchronized void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        transitions.add(new Transition(id, from, to, cause));
        notifyAll();
    }

    /** The states {@code id} went through, starting with the first state it left. */
    synchronized List<TcpState> path(ConnectionId id) {
        List<TcpState> path = new ArrayList<>();
        for (Transition t : transitions) {
            if (t.id.equals(id)) {
                if (path.isEmpty()) {
                    path.add(t.from);
                }
                path.add(t.to);
            }
        }
        return path;
    }

    /** Every connection's path (listeners included), in the order they first changed state. */
    synchronized java.util.Map<ConnectionId, List<String>> paths() {
        java.util.Map<ConnectionId, List<String>> out = new java.util.LinkedHashMap<>();
        for (Transition t : transitions) {
            List<String> path = out.computeIfAbsent(t.id, k -> new ArrayList<>(List.of(t.from.name())));
            path.add(t.to.name() + " (" + t.cause + ")");
        }
        return out;
    }

    /** Waits until {@code id} has entered {@code state}. */
    void awaitState(ConnectionId id, TcpState state, Duration timeout) {
        await(t -> t.id.equals(id) && t.to == state, timeout, () -> id + " entered " + state + "; its path: " + path(id));
    }

    private synchronized void await(Predicate<Transition> wanted, Duration timeout, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (transitions.stream().noneMatch(wanted)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("not within " + timeout.toMillis() + " ms: " + what.get());
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting until " + what.get());
            }
        }
    }
}
