package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL;
import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.PEER_CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.REMOTE;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.ConnectionHarness.SERVER_PORT;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TransitionRecorder;
import io.usertcp.testkit.TransitionRecorder.Transition;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every arc of the connection state diagram of RFC 9293 §3.3.2 (Figure 5), plus the transitions
 * its text adds (RST in each state, ABORT in each state). Each test brings a connection into the
 * arc's start state through real segments, fires the event, and checks the state after, the exact
 * segment sent (flags, SEQ and ACK relative to LOCAL_ISS / REMOTE_ISS), and the transition the
 * {@link ConnectionObserver} saw with its cause.
 *
 * <p>{@code STATE_DIAGRAM_ARCS.md} next to this file lists the arcs with their test methods;
 * {@link #arcTable_listsExactlyTheTestsOfThisClass()} keeps the two in step.
 */
class StateDiagramArcsTest {
    private static final Path ARC_TABLE = Path.of("src/test/java/io/usertcp/tcp/STATE_DIAGRAM_ARCS.md");

    private final TransitionRecorder recorder = new TransitionRecorder();

    private ConnectionHarness harness() {
        return new ConnectionHarness(TcpConfig.linux(), c -> c.withObserver(recorder));
    }

    private static ConnectionId clientId() {
        return new ConnectionId(LOCAL.bits(), ConnectionHarness.CLIENT_PORT, REMOTE.bits(), ConnectionHarness.PEER_SERVER_PORT);
    }

    private static ConnectionId serverId() {
        return new ConnectionId(LOCAL.bits(), SERVER_PORT, REMOTE.bits(), PEER_CLIENT_PORT);
    }

    private static void send(ConnectionHarness h, TcpConnection c, String text) {
        ByteBuf data = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    // =====================================================================================
    // The arcs of Figure 5
    // =====================================================================================

    @Test
    void closed_passiveOpen_entersListen() {
        // RFC 9293 §3.10.1 OPEN (passive): "create a new TCB ... enter LISTEN state"; nothing is sent.
        try (ConnectionHarness h = harness()) {
            assertTrue(h.stack.listeners().isEmpty());
            TcpListener listener = h.stack.listen(h.now(), SERVER_PORT, 16);
            h.expectNothingSent();
            assertEquals(List.of(listener), h.stack.listeners());
            assertFalse(listener.isClosed());
            Transition t = recorder.expectOnly(TcpState.CLOSED, TcpState.LISTEN, "user OPEN (passive)");
            assertEquals(new ConnectionId(0, SERVER_PORT, 0, 0), t.id());
            assertEquals(h.now(), t.nowNanos());
            // In LISTEN, a SYN is answered with SYN,ACK rather than the closed port's RST.
            h.receive(h.segment().ports(PEER_CLIENT_PORT, SERVER_PORT).flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        }
    }

    @Test
    void closed_activeOpen_sendsSyn_entersSynSent() {
        // RFC 9293 §3.10.1 OPEN (active): "issue a SYN segment ... <SEQ=ISS><CTL=SYN>, set SND.UNA to ISS,
        // SND.NXT to ISS+1, enter SYN-SENT state".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.stack.connect(h.now(), ConnectionHarness.CLIENT_PORT, REMOTE.bits(), ConnectionHarness.PEER_SERVER_PORT);
            assertEquals(TcpState.SYN_SENT, c.state());
            ConnectionHarness.Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            assertEquals(ConnectionHarness.CLIENT_PORT, syn.tcp().sourcePort());
            assertEquals(ConnectionHarness.PEER_SERVER_PORT, syn.tcp().destinationPort());
            h.expectNothingSent();
            Transition t = recorder.expectOnly(TcpState.CLOSED, TcpState.SYN_SENT, "user OPEN (active)");
            assertEquals(clientId(), t.id());
            assertEquals(1, c.snapshot(h.now()).inFlightBytes(), "the SYN occupies one sequence number");
        }
    }

    @Test
    void listen_rcvSyn_sendsSynAck_entersSynReceived() {
        // RFC 9293 §3.10.7.2 (LISTEN, fourth, SYN): RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
        // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, enter SYN-RECEIVED.
        try (ConnectionHarness h = harness()) {
            TcpListener listener = h.listen();
            recorder.clear();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectNothingSent();
            TcpConnection child = h.onlyConnection();
            assertEquals(TcpState.SYN_RECEIVED, child.state());
            assertEquals(1, listener.synQueueLength());
            assertEquals(0, listener.acceptQueueLength());
            Transition t = recorder.expectOnly(TcpState.LISTEN, TcpState.SYN_RECEIVED, "rcv SYN");
            assertEquals(serverId(), t.id());
        }
    }

    @Test
    void listen_send_notSupported_listenerHasNoSendCall() {
        // RFC 9293 §3.10.2 SEND in LISTEN ("change the connection from passive to active, select an ISS,
        // send a SYN, enter SYN-SENT") is a MAY that sockets never offered: a listener here has no SEND, no
        // CONNECT and no way to name a foreign socket. The arc is not applicable; this checks the API
        // refuses it by construction and that the listener stays in LISTEN, sending nothing.
        try (ConnectionHarness h = harness()) {
            TcpListener listener = h.listen();
            Set<String> calls = Arrays.stream(TcpListener.class.getMethods()).map(Method::getName)
                    .collect(Collectors.toCollection(TreeSet::new));
            for (String forbidden : List.of("send", "write", "connect", "open")) {
                assertFalse(calls.contains(forbidden), "a listener offers no " + forbidden + " call");
            }
            assertTrue(calls.containsAll(List.of("accept", "close")), "a listener accepts and closes: " + calls);
            h.expectNothingSent();
            assertFalse(listener.isClosed());
            assertEquals(0, h.stack.connectionCount());
        }
    }

    @Test
    void listen_close_entersClosed() {
        // RFC 9293 §3.10.4 CLOSE in LISTEN: "Any outstanding RECEIVEs are returned ... Delete TCB, enter
        // CLOSED state"; nothing is sent when no connection is pending.
        try (ConnectionHarness h = harness()) {
            TcpListener listener = h.listen();
            recorder.clear();
            listener.close(h.now());
            h.expectNothingSent();
            assertTrue(listener.isClosed());
            assertTrue(h.stack.listeners().isEmpty());
            Transition t = recorder.expectOnly(TcpState.LISTEN, TcpState.CLOSED, "user CLOSE");
            assertEquals(new ConnectionId(0, SERVER_PORT, 0, 0), t.id());
            // The port is closed now: RFC 9293 §3.10.7.1 answers a SYN with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 1);
        }
    }

    @Test
    void synSent_rcvSyn_sendsSynAck_entersSynReceived() {
        // RFC 9293 §3.10.7.3 (SYN-SENT, fourth, SYN without ACK) and Figure 7, simultaneous open:
        // enter SYN-RECEIVED, form <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            recorder.expectOnly(TcpState.SYN_SENT, TcpState.SYN_RECEIVED, "rcv SYN (simultaneous open)");
        }
    }

    @Test
    void synSent_rcvSynAck_sendsAck_entersEstablished() {
        // RFC 9293 §3.10.7.3 (SYN-SENT, fourth): SND.UNA > ISS, so "enter ESTABLISHED state, form
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
            recorder.expectOnly(TcpState.SYN_SENT, TcpState.ESTABLISHED, "rcv SYN,ACK");
        }
    }

    @Test
    void synSent_close_entersClosedSilently() {
        // RFC 9293 §3.10.4 CLOSE in SYN-SENT: "Delete the TCB and return 'error: closing' responses to any
        // queued SENDs, or RECEIVEs"; no segment is sent.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            c.close(h.now());
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.ABORTED, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
            recorder.expectOnly(TcpState.SYN_SENT, TcpState.CLOSED, "user CLOSE in SYN-SENT");
            // No SYN retransmission follows: the retransmission timer went with the TCB.
            h.advance(seconds(10));
            h.expectNothingSent();
        }
    }

    @Test
    void synSent_synRetriesExhausted_entersClosedWithConnectTimeout() {
        // RFC 9293 §3.8.3 (R2 for a SYN, at least 3 minutes in the RFC; Linux tcp_syn_retries = 6): after the
        // last retransmission times out the open fails; no RST is sent (nothing was synchronized).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            long start = h.now();
            for (int i = 0; i < 6; i++) {
                h.advance(seconds(1L << i));
                h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            }
            h.advance(seconds(64) - 1);
            assertEquals(TcpState.SYN_SENT, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.CONNECT_TIMEOUT, c.closeReason());
            Transition t = recorder.expectOnly(TcpState.SYN_SENT, TcpState.CLOSED, "SYN retries exhausted");
            assertEquals(start + seconds(127), t.nowNanos());
        }
    }

    @Test
    void synReceived_rcvAckOfSyn_entersEstablished() {
        // RFC 9293 §3.10.7.4 (fifth, SYN-RECEIVED): "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
        // state"; a bare ACK needs no answer.
        try (ConnectionHarness h = harness()) {
            TcpConnection child = h.synReceivedPassive();
            recorder.clear();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, child.state());
            assertEquals(1, h.listener().acceptQueueLength());
            assertEquals(0, h.listener().synQueueLength());
            recorder.expectOnly(TcpState.SYN_RECEIVED, TcpState.ESTABLISHED, "rcv ACK of SYN");
            assertEquals(1, h.stack.stats().get(Counter.TcpPassiveOpens));
        }
    }

    @Test
    void synReceived_close_sendsFin_entersFinWait1() {
        // RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED: "If no SENDs have been issued and there is no pending data
        // to send, then form a FIN segment and send it, and enter FIN-WAIT-1 state" (Linux tcp_close_state:
        // SYN_RECV -> FIN_WAIT1 | TCP_ACTION_FIN).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            recorder.clear();
            c.close(h.now());
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            recorder.expectOnly(TcpState.SYN_RECEIVED, TcpState.FIN_WAIT_1, "user CLOSE");
            // The peer then acknowledges our SYN and FIN together: FIN-WAIT-2, nothing to answer.
            recorder.clear();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            recorder.expectOnly(TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, "rcv ACK of FIN");
        }
    }

    @Test
    void synReceived_closeWithQueuedData_finWaitsForEstablished() {
        // RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED, "otherwise, queue for processing after entering
        // ESTABLISHED state": data was queued, so the FIN follows it once the handshake completes.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            send(h, c, "data");
            c.close(h.now());
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            recorder.clear();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            ConnectionHarness.Sent data = h.expectSent().assertFlags(FIN | PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals("data", data.text());
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            assertEquals(List.of(TcpState.ESTABLISHED, TcpState.FIN_WAIT_1),
                    recorder.transitions().stream().map(Transition::to).toList());
            assertEquals("queued CLOSE", recorder.transitions().get(1).cause());
        }
    }

    @Test
    void synReceivedPassive_rcvRst_returnsToListen() {
        // RFC 9293 §3.10.7.4 (second, SYN-RECEIVED): "If this connection was initiated with a passive OPEN
        // (i.e., came from the LISTEN state), then return this connection to LISTEN state and return."
        // Here the half-open child goes away and the listener, which never left LISTEN, remains.
        try (ConnectionHarness h = harness()) {
            TcpConnection child = h.synReceivedPassive();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, child.state());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.listener().synQueueLength());
            assertEquals(0, h.listener().acceptQueueLength());
            assertFalse(h.listener().isClosed());
            Transition t = recorder.expectOnly(TcpState.SYN_RECEIVED, TcpState.CLOSED, "rcv RST (back to LISTEN)");
            assertEquals(serverId(), t.id());
            // Still listening: the next SYN from the same port makes a fresh child.
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 1000));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1001);
            assertEquals(1, h.listener().synQueueLength());
        }
    }

    @Test
    void established_close_sendsFin_entersFinWait1() {
        // RFC 9293 §3.10.4 CLOSE in ESTABLISHED: "form a FIN segment and send it, and set FIN-WAIT-1 state".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            recorder.clear();
            c.close(h.now());
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            assertEquals(1, c.snapshot(h.now()).inFlightBytes(), "the FIN occupies one sequence number");
            recorder.expectOnly(TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, "user CLOSE");
        }
    }

    @Test
    void established_rcvFin_sendsAck_entersCloseWait() {
        // RFC 9293 §3.10.7.4 (eighth, FIN): "advance RCV.NXT over the FIN, and send an acknowledgment for the
        // FIN"; ESTABLISHED: "Enter the CLOSE-WAIT state".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            recorder.clear();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSE_WAIT, c.state());
            assertTrue(c.isEndOfStream());
            recorder.expectOnly(TcpState.ESTABLISHED, TcpState.CLOSE_WAIT, "rcv FIN");
        }
    }

    @Test
    void finWait1_rcvAckOfFin_entersFinWait2() {
        // RFC 9293 §3.10.7.4 (fifth, FIN-WAIT-1): "if the FIN segment is now acknowledged, then enter
        // FIN-WAIT-2 and continue processing in that state"; nothing to answer.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT));
            recorder.expectOnly(TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, "rcv ACK of FIN");
        }
    }

    @Test
    void finWait1_rcvFin_sendsAck_entersClosing() {
        // RFC 9293 §3.10.7.4 (eighth, FIN-WAIT-1): "If our FIN has been ACKed ... enter TIME-WAIT ...;
        // otherwise, enter the CLOSING state" — simultaneous close (Figure 13).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSING, c.state());
            recorder.expectOnly(TcpState.FIN_WAIT_1, TcpState.CLOSING, "rcv FIN (simultaneous close)");
        }
    }

    @Test
    void finWait1_rcvFinWithAckOfFin_sendsAck_entersTimeWait() {
        // RFC 9293 §3.10.7.4 (eighth, FIN-WAIT-1): "If our FIN has been ACKed (perhaps in this segment), then
        // enter TIME-WAIT, start the time-wait timer, turn off the other timers" — straight from FIN-WAIT-1.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(0, h.stack.connectionCount());
            recorder.expectOnly(TcpState.FIN_WAIT_1, TcpState.TIME_WAIT, "rcv FIN,ACK");
        }
    }

    @Test
    void finWait2_rcvFin_sendsAck_entersTimeWait() {
        // RFC 9293 §3.10.7.4 (eighth, FIN-WAIT-2): "Enter the TIME-WAIT state. Start the time-wait timer".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait2();
            recorder.clear();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(CloseReason.NORMAL, c.closeReason());
            assertEquals(1, h.stack.timeWaitCount());
            recorder.expectOnly(TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, "rcv FIN");
        }
    }

    @Test
    void closing_rcvAckOfFin_entersTimeWait() {
        // RFC 9293 §3.10.7.4 (fifth, CLOSING): "if the ACK acknowledges our FIN, then enter the TIME-WAIT
        // state; otherwise, ignore the segment". Their FIN was ACKed on the way into CLOSING and an ACK is
        // never acknowledged, so nothing is sent (Linux tcp_rcv_state_process, TCP_CLOSING).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closing();
            recorder.clear();
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(1, h.stack.timeWaitCount());
            recorder.expectOnly(TcpState.CLOSING, TcpState.TIME_WAIT, "rcv ACK of FIN");
        }
    }

    @Test
    void closeWait_close_sendsFin_entersLastAck() {
        // RFC 9293 §3.10.4 CLOSE in CLOSE-WAIT: "Queue this request until all preceding SENDs have been
        // segmentized; then send a FIN segment, enter LAST-ACK state".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closeWait();
            recorder.clear();
            c.close(h.now());
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.LAST_ACK, c.state());
            recorder.expectOnly(TcpState.CLOSE_WAIT, TcpState.LAST_ACK, "user CLOSE");
        }
    }

    @Test
    void lastAck_rcvAckOfFin_entersClosed() {
        // RFC 9293 §3.10.7.4 (fifth, LAST-ACK): "If our FIN is now acknowledged, delete the TCB, enter the
        // CLOSED state, and return."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.lastAck();
            recorder.clear();
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.NORMAL, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.stack.timeWaitCount(), "the passive closer does not keep TIME-WAIT");
            recorder.expectOnly(TcpState.LAST_ACK, TcpState.CLOSED, "rcv ACK of FIN");
        }
    }

    @Test
    void timeWait_2mslTimeout_entersClosed() {
        // RFC 9293 §3.10.8: "If the time-wait timeout expires on a connection, delete the TCB, enter the
        // CLOSED state, and return"; 2·MSL is 60 s in the Linux profile. Nothing is sent.
        try (ConnectionHarness h = harness()) {
            h.timeWait();
            recorder.clear();
            long entered = h.now();
            h.advance(seconds(60) - 1);
            assertEquals(1, h.stack.timeWaitCount());
            recorder.expectNone();
            h.advance(1);
            h.expectNothingSent();
            assertEquals(0, h.stack.timeWaitCount());
            Transition t = recorder.expectOnly(TcpState.TIME_WAIT, TcpState.CLOSED, "2MSL timeout");
            assertEquals(clientId(), t.id());
            assertEquals(entered + seconds(60), t.nowNanos());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTW));
        }
    }

    // =====================================================================================
    // RST in each state (RFC 9293 §3.10.7.3 and §3.10.7.4, second check)
    // =====================================================================================

    @Test
    void synSent_rcvRstWithAcceptableAck_entersClosedRefused() {
        // RFC 9293 §3.10.7.3 (second): "If the ACK was acceptable, then signal to the user 'error: connection
        // reset', drop the segment, enter CLOSED state"; the application sees "Connection refused".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            h.receive(h.segment().flags(RST | ACK).seq(0).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.REFUSED, c.closeReason());
            recorder.expectOnly(TcpState.SYN_SENT, TcpState.CLOSED, "rcv RST,ACK");
            assertEquals(1, h.stack.stats().get(Counter.TcpAttemptFails));
        }
    }

    @Test
    void synReceivedActive_rcvRst_entersClosedRefused() {
        // RFC 9293 §3.10.7.4 (second, SYN-RECEIVED): "If this connection was initiated with an active OPEN
        // (i.e., came from SYN-SENT state), then the connection was refused; signal the user 'connection
        // refused'. ... enter the CLOSED state and delete the TCB".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.REFUSED, c.closeReason());
            recorder.expectOnly(TcpState.SYN_RECEIVED, TcpState.CLOSED, "rcv RST");
        }
    }

    @Test
    void established_rcvRst_entersClosedReset() {
        // RFC 9293 §3.10.7.4 (second, ESTABLISHED): "any outstanding RECEIVEs and SEND should receive 'reset'
        // responses ... Enter the CLOSED state, delete the TCB". The RST is exact (RFC 5961 §3.2).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1));
            assertRstClosed(h, c, TcpState.ESTABLISHED);
            assertEquals(1, h.stack.stats().get(Counter.TcpEstabResets));
        }
    }

    @Test
    void finWait1_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, FIN-WAIT-1 like ESTABLISHED): enter CLOSED, delete the TCB.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1));
            assertRstClosed(h, c, TcpState.FIN_WAIT_1);
        }
    }

    @Test
    void finWait2_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, FIN-WAIT-2 like ESTABLISHED).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait2();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1));
            assertRstClosed(h, c, TcpState.FIN_WAIT_2);
        }
    }

    @Test
    void closeWait_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, CLOSE-WAIT like ESTABLISHED). RCV.NXT is past the peer's FIN.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closeWait();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            assertRstClosed(h, c, TcpState.CLOSE_WAIT);
            assertEquals(1, h.stack.stats().get(Counter.TcpEstabResets));
        }
    }

    @Test
    void closing_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, CLOSING, LAST-ACK, TIME-WAIT): "If the RST bit is set, then enter the
        // CLOSED state, delete the TCB, and return."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closing();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            assertRstClosed(h, c, TcpState.CLOSING);
        }
    }

    @Test
    void lastAck_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, LAST-ACK).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.lastAck();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            assertRstClosed(h, c, TcpState.LAST_ACK);
        }
    }

    @Test
    void timeWait_rcvRst_entersClosed() {
        // RFC 9293 §3.10.7.4 (second, TIME-WAIT): an exact RST ends TIME-WAIT early (Linux with the default
        // tcp_rfc1337 = 0; RFC 1337 "TIME-WAIT assassination" is the rfc1337 option, see Rfc5961Test).
        try (ConnectionHarness h = harness()) {
            h.timeWait();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.expectNothingSent();
            assertEquals(0, h.stack.timeWaitCount());
            Transition t = recorder.expectOnly(TcpState.TIME_WAIT, TcpState.CLOSED, "rcv RST");
            assertEquals(clientId(), t.id());
        }
    }

    private void assertRstClosed(ConnectionHarness h, TcpConnection c, TcpState from) {
        h.expectNothingSent(); // "a RST is never answered"
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(CloseReason.RESET, c.closeReason());
        assertEquals(0, h.stack.connectionCount());
        assertEquals(0, h.stack.timeWaitCount(), "a reset connection skips TIME-WAIT");
        recorder.expectOnly(from, TcpState.CLOSED, "rcv RST");
    }

    // =====================================================================================
    // ABORT in each state (RFC 9293 §3.10.5)
    // =====================================================================================

    @Test
    void listen_abort_resetsPendingChildren_entersClosed() {
        // RFC 9293 §3.10.5 ABORT in LISTEN: "Any outstanding RECEIVEs should be returned with 'error:
        // connection reset' responses. Delete TCB, enter CLOSED state". A listener's ABORT is its close;
        // a half-open child is reset with <SEQ=SND.NXT><CTL=RST> (Linux inet_csk_listen_stop).
        try (ConnectionHarness h = harness()) {
            TcpConnection child = h.synReceivedPassive();
            recorder.clear();
            h.listener().close(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, child.state());
            assertEquals(CloseReason.LISTENER_CLOSED, child.closeReason());
            assertTrue(h.listener().isClosed());
            assertEquals(0, h.stack.connectionCount());
            List<Transition> ts = recorder.transitions();
            assertEquals(2, ts.size(), ts.toString());
            assertEquals(new Transition(h.now(), serverId(), TcpState.SYN_RECEIVED, TcpState.CLOSED, "listener closed"), ts.get(0));
            assertEquals(new Transition(h.now(), new ConnectionId(0, SERVER_PORT, 0, 0), TcpState.LISTEN, TcpState.CLOSED,
                    "user CLOSE"), ts.get(1));
        }
    }

    @Test
    void synSent_abort_entersClosedSilently() {
        // RFC 9293 §3.10.5 ABORT in SYN-SENT: "All queued SENDs and RECEIVEs should be given 'reset' notification;
        // delete the TCB, enter CLOSED state"; no RST (the peer knows nothing of us).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            c.abort(h.now());
            assertAbortClosed(h, c, TcpState.SYN_SENT);
        }
    }

    @Test
    void synReceived_abort_sendsRst_entersClosed() {
        // RFC 9293 §3.10.5 ABORT in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT:
        // "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            recorder.clear();
            c.abort(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertAbortClosed(h, c, TcpState.SYN_RECEIVED);
        }
    }

    @Test
    void established_abort_sendsRst_entersClosed() {
        // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            recorder.clear();
            c.abort(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertAbortClosed(h, c, TcpState.ESTABLISHED);
        }
    }

    @Test
    void finWait1_abort_sendsRst_entersClosed() {
        // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>; SND.NXT is past our FIN.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            c.abort(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertAbortClosed(h, c, TcpState.FIN_WAIT_1);
        }
    }

    @Test
    void finWait2_abort_sendsRst_entersClosed() {
        // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait2();
            recorder.clear();
            c.abort(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertAbortClosed(h, c, TcpState.FIN_WAIT_2);
        }
    }

    @Test
    void closeWait_abort_sendsRst_entersClosed() {
        // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closeWait();
            recorder.clear();
            c.abort(h.now());
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertAbortClosed(h, c, TcpState.CLOSE_WAIT);
        }
    }

    @Test
    void closing_abort_entersClosedSilently() {
        // RFC 9293 §3.10.5 ABORT in CLOSING, LAST-ACK, TIME-WAIT: "Respond with 'ok' and delete the TCB, enter
        // CLOSED state"; no RST (Linux tcp_need_reset excludes these states too).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.closing();
            recorder.clear();
            c.abort(h.now());
            assertAbortClosed(h, c, TcpState.CLOSING);
        }
    }

    @Test
    void lastAck_abort_entersClosedSilently() {
        // RFC 9293 §3.10.5 ABORT in LAST-ACK: no RST.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.lastAck();
            recorder.clear();
            c.abort(h.now());
            assertAbortClosed(h, c, TcpState.LAST_ACK);
        }
    }

    @Test
    void timeWait_abort_keepsTimeWaitEntry() {
        // RFC 9293 §3.10.5 ABORT in TIME-WAIT says "delete the TCB". As in Linux, entering TIME-WAIT already
        // handed the pair to a TIME-WAIT entry (tcp_time_wait + tcp_done): the application's connection is
        // over (CloseReason NORMAL), and ABORT on it neither sends anything nor shortens 2·MSL, which
        // protects the next incarnation (RFC 9293 §3.4.2).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.timeWait();
            recorder.clear();
            c.abort(h.now());
            h.expectNothingSent();
            recorder.expectNone();
            assertEquals(CloseReason.NORMAL, c.closeReason());
            assertEquals(1, h.stack.timeWaitCount());
            h.advance(seconds(60));
            recorder.expectOnly(TcpState.TIME_WAIT, TcpState.CLOSED, "2MSL timeout");
        }
    }

    private void assertAbortClosed(ConnectionHarness h, TcpConnection c, TcpState from) {
        h.expectNothingSent();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(CloseReason.ABORTED, c.closeReason());
        assertEquals(0, h.stack.connectionCount());
        assertEquals(0, h.stack.timeWaitCount(), "ABORT skips TIME-WAIT");
        recorder.expectOnly(from, TcpState.CLOSED, "user ABORT");
        // Nothing is retransmitted later: every timer went with the TCB.
        h.advance(millis(130_000));
        h.expectNothingSent();
    }

    // =====================================================================================
    // The table and the tests cannot drift apart
    // =====================================================================================

    @Test
    void arcTable_listsExactlyTheTestsOfThisClass() throws IOException {
        List<String> listed = new ArrayList<>();
        int rows = 0;
        for (String line : Files.readAllLines(ARC_TABLE, StandardCharsets.UTF_8)) {
            if (!line.startsWith("|") || line.startsWith("| arc ") || line.startsWith("|---") || line.startsWith("| ---")) {
                continue;
            }
            String[] cells = line.split("\\|", -1);
            assertEquals(6, cells.length, "four columns (arc | event | segment sent | test method): " + line);
            String method = cells[4].trim().replace("`", "");
            assertFalse(method.isEmpty(), "row without a test method: " + line);
            listed.add(method);
            rows++;
        }
        assertTrue(rows >= 21, "the table lists the 21 arcs of Figure 5 at least, found " + rows);
        Set<String> tests = Arrays.stream(StateDiagramArcsTest.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Test.class))
                .map(Method::getName)
                .filter(n -> !n.equals("arcTable_listsExactlyTheTestsOfThisClass"))
                .collect(Collectors.toCollection(TreeSet::new));
        for (String method : listed) {
            Method m = Arrays.stream(StateDiagramArcsTest.class.getDeclaredMethods())
                    .filter(x -> x.getName().equals(method)).findFirst().orElse(null);
            assertTrue(m != null && m.isAnnotationPresent(Test.class) && !Modifier.isStatic(m.getModifiers()),
                    "the table names " + method + ", which is not a test of " + StateDiagramArcsTest.class.getSimpleName());
        }
        assertEquals(tests, new TreeSet<>(listed), "every arc test is in the table, and only once");
        assertEquals(listed.size(), new TreeSet<>(listed).size(), "a test listed twice: " + listed);
    }
}
