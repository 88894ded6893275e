package io.usertcp.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ConnectionObserver} that remembers every state change (with its cause and time) and
 * every timer expiry, for tests that check transitions. Install it through a harness's
 * {@code customize} function: {@code new ConnectionHarness(tcp, c -> c.withObserver(recorder))}.
 */
public final class TransitionRecorder implements ConnectionObserver {

    /** One state change as the stack reported it. */
    public record Transition(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        @Override
        public String toString() {
            return id + " " + from.rfcName() + " -> " + to.rfcName() + " (" + cause + ")";
        }
    }

    /** One timer expiry. */
    public record TimerEvent(long nowNanos, ConnectionId id, TcpTimer timer) {}

    private final List<Transition> transitions = new ArrayList<>();
    private final List<TimerEvent> timers = new ArrayList<>();

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        transitions.add(new Transition(nowNanos, id, from, to, cause));
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        timers.add(new TimerEvent(nowNanos, id, timer));
    }

    /** Every transition so far, oldest first (a copy). */
    public List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    public List<TimerEvent> timers() {
        return List.copyOf(timers);
    }

    /** Forgets what was recorded, typically after a fixture brought a connection into its state. */
    public void clear() {
        transitions.clear();
        timers.clear();
    }

    /**
     * Asserts that exactly one transition was recorded since the last {@link #clear()}, from
     * {@code from} to {@code to} with exactly {@code cause}, and returns it.
     */
    public Transition expectOnly(TcpState from, TcpState to, String cause) {
        if (transitions.size() != 1) {
            fail("expected exactly one transition " + from.rfcName() + " -> " + to.rfcName() + " (" + cause
                    + "), recorded: " + transitions);
        }
        Transition t = transitions.get(0);
        assertEquals(from, t.from(), "from-state of " + t);
        assertEquals(to, t.to(), "to-state of " + t);
        assertEquals(cause, t.cause(), "cause of " + t);
        return t;
    }

    /** Asserts that nothing changed state since the last {@link #clear()}. */
    public void expectNone() {
        if (!transitions.isEmpty()) {
            fail("expected no state change, recorded: " + transitions);
        }
    }
}
