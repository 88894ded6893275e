package io.usertcp.testkit;

import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timer-storm invariant (issue 18): bounded expiries per connection per second of virtual time. */
class TimerExpiryCheckTest {
    static final ConnectionId ID = new ConnectionId(0xC6120001, 40000, 0xC6120002, 80);
    static final ConnectionId OTHER = new ConnectionId(0xC6120001, 40001, 0xC6120002, 80);

    @Test
    void aStorm_failsAtTheExpiryThatCrossesTheBound_namingTheConnectionAndTimer() {
        TimerExpiryCheck check = new TimerExpiryCheck(ConnectionObserver.NONE, 1000);
        long t = seconds(5);
        for (int i = 0; i < 1000; i++) {
            check.timerExpired(t + i, ID, TcpTimer.KEEPALIVE); // a keep-alive of 1 ns, as issue 18 found
        }
        AssertionError e = assertThrows(AssertionError.class, () -> check.timerExpired(t + 1000, ID, TcpTimer.KEEPALIVE));
        assertTrue(e.getMessage().startsWith("timer storm: connection " + ID + " had 1001 timer expiries in virtual second 5"
                + " (bound: 1000 per connection per second), by timer {KEEPALIVE=1001}"), e.getMessage());
    }

    @Test
    void theBound_isPerConnectionAndPerVirtualSecond() {
        TimerExpiryCheck check = new TimerExpiryCheck(ConnectionObserver.NONE, 10);
        for (int second = 0; second < 5; second++) {
            for (int i = 0; i < 10; i++) {
                check.timerExpired(seconds(second) + i, ID, TcpTimer.DELAYED_ACK);
                check.timerExpired(seconds(second) + i, OTHER, TcpTimer.RETRANSMIT);
            }
        }
        assertEquals(10, check.maxSeenPerSecond());
        // A new incarnation of the tuple starts afresh.
        check.stateChanged(seconds(4), ID, TcpState.ESTABLISHED, TcpState.CLOSED, "test");
        check.timerExpired(seconds(4) + 11, ID, TcpTimer.RETRANSMIT);
        assertThrows(AssertionError.class, () -> check.timerExpired(seconds(4) + 11, OTHER, TcpTimer.RETRANSMIT));
    }

    @Test
    void theCheck_passesEveryEventOnToTheTestsObserver() {
        List<String> seen = new ArrayList<>();
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux(), c -> c.withObserver(new ConnectionObserver() {
            @Override
            public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
                seen.add(timer.name());
            }
        }))) {
            TimerExpiryCheck check = TimerExpiryCheck.of(h.stack.stackConfig());
            assertNotNull(check, "the harness installs the check");
            TcpConnection c = h.established();
            c.setKeepAlive(h.now(), true, seconds(1), seconds(1), 3);
            h.advance(seconds(1));
            assertEquals(List.of("KEEPALIVE"), seen);
            assertEquals(1, check.maxSeenPerSecond());
        }
    }

    @Test
    void bothHarnesses_installTheCheck_soAStormInThemFails() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            ConnectionObserver observer = h.stack.stackConfig().observer();
            assertThrows(AssertionError.class, () -> {
                for (int i = 0; i <= TimerExpiryCheck.DEFAULT_MAX_PER_SECOND; i++) {
                    observer.timerExpired(h.now(), ID, TcpTimer.RETRANSMIT);
                }
            });
        }
        try (TwoStacks s = new TwoStacks(TcpConfig.linux())) {
            assertNotNull(TimerExpiryCheck.of(s.a.stackConfig()));
            assertNotNull(TimerExpiryCheck.of(s.b.stackConfig()));
        }
    }
}
