package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.testkit.ConnectionHarness;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DESIGN.md §9.2 sanity check: each harness fixture is reached by real segments and leaves the
 * connection in the state, and with the sequence variables, that the segments imply.
 */
class StateFixturesTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                fixture("SYN-SENT", ConnectionHarness::synSent, TcpState.SYN_SENT, 1, 0),
                fixture("SYN-RECEIVED (passive)", ConnectionHarness::synReceivedPassive, TcpState.SYN_RECEIVED, 1, 0),
                fixture("SYN-RECEIVED (simultaneous)", ConnectionHarness::synReceivedSimultaneous, TcpState.SYN_RECEIVED, 1, 0),
                fixture("ESTABLISHED", ConnectionHarness::established, TcpState.ESTABLISHED, 0, 0),
                fixture("ESTABLISHED (passive)", ConnectionHarness::establishedPassive, TcpState.ESTABLISHED, 0, 0),
                fixture("FIN-WAIT-1", ConnectionHarness::finWait1, TcpState.FIN_WAIT_1, 1, 0),
                fixture("FIN-WAIT-2", ConnectionHarness::finWait2, TcpState.FIN_WAIT_2, 0, 0),
                fixture("CLOSING", ConnectionHarness::closing, TcpState.CLOSING, 1, 0),
                fixture("CLOSE-WAIT", ConnectionHarness::closeWait, TcpState.CLOSE_WAIT, 0, 0),
                fixture("LAST-ACK", ConnectionHarness::lastAck, TcpState.LAST_ACK, 1, 0));
    }

    private static Arguments fixture(String name, Function<ConnectionHarness, TcpConnection> make, TcpState state,
                                     int inFlight, int recvQ) {
        return Arguments.of(name, make, state, inFlight, recvQ);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureReachesItsStateWithConsistentVariables(String name, Function<ConnectionHarness, TcpConnection> make,
                                                        TcpState state, int inFlight, int recvQ) {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = make.apply(h);
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(state, s.state(), name);
            assertEquals(inFlight, s.inFlightBytes(), name + ": SND.NXT - SND.UNA");
            assertEquals(recvQ, s.receiveQueueBytes(), name);
            // No options on either SYN: MSS falls back to RFC 9293's 536 and no window scaling applies.
            assertEquals(536, s.mss(), name);
            assertEquals(0, s.sendWindowShift(), name);
            assertEquals(false, s.timestamps(), name);
            h.expectNothingSent();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureRetransmitTimerArmedExactlyWhenSomethingIsInFlight(String name, Function<ConnectionHarness, TcpConnection> make,
                                                                   TcpState state, int inFlight, int recvQ) {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = make.apply(h);
            assertEquals(inFlight > 0, c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT), name);
        }
    }

    @org.junit.jupiter.api.Test
    void timeWaitFixture_leavesACompactEntryAndNoConnection() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.timeWait();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(1, h.stack.timeWaitCount());
            ConnectionSnapshot tw = h.stack.snapshot(h.now()).get(0);
            assertEquals(TcpState.TIME_WAIT, tw.state());
            assertEquals(60_000_000_000L, tw.timersLeftNanos().get(TcpTimer.TIME_WAIT));
        }
    }
}
