package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.RecordingObserver.Segment;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The close stories of DESIGN.md §13 that need no real kernel: active, passive, simultaneous,
 * abortive and half close, end of stream and reset as the application sees them, and lost FINs.
 * Each test checks both sides' states at every step; where segments matter, the exact segments.
 * The client is on stack A, the server on stack B (port 80).
 */
class CloseScenariosTest {

    // ------------------------------------------------------------------------------------
    // Active close
    // ------------------------------------------------------------------------------------

    // RFC 9293 §3.6 (Figure 6, normal close) and §3.10.7.4: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED after 2 MSL;
    // Linux TCP_TIMEWAIT_LEN = 60 s.
    @Test
    void activeClose_finWait1FinWait2TimeWait_closedAfter2Msl() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];

            client.close(net.now());
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            assertEquals(TcpState.ESTABLISHED, server.state());
            net.settle();
            assertEquals(TcpState.FIN_WAIT_2, client.state(), net.lastTrace(4));
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals(-1, read(net, server).length(), "the peer's FIN is end of stream");

            server.close(net.now());
            assertEquals(TcpState.LAST_ACK, server.state());
            net.settle();
            long enteredTimeWait = net.now();
            assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(4));
            assertEquals(CloseReason.NORMAL, client.closeReason());
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.NORMAL, server.closeReason());
            assertEquals(0, net.a.connectionCount());
            assertEquals(1, net.a.timeWaitCount());
            assertEquals(0, net.b.connectionCount());
            assertEquals(0, net.b.timeWaitCount(), "the passive closer keeps no TIME-WAIT");

            net.advance(seconds(60) - 1);
            assertEquals(1, net.a.timeWaitCount(), "TIME-WAIT lasts the full 2 MSL");
            net.advance(1);
            assertEquals(0, net.a.timeWaitCount());
            assertEquals(1, net.a.stats().get(Counter.TcpExtTW));

            assertEquals(List.of("CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED", "ESTABLISHED -> FIN-WAIT-1",
                    "FIN-WAIT-1 -> FIN-WAIT-2", "FIN-WAIT-2 -> TIME-WAIT", "TIME-WAIT -> CLOSED"),
                    rec.transitions(client.id()), rec.timeline());
            assertEquals(enteredTimeWait + seconds(60), last(rec.stateChanges(client.id())).nanos());
            assertEquals(List.of("LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED", "ESTABLISHED -> CLOSE-WAIT",
                    "CLOSE-WAIT -> LAST-ACK", "LAST-ACK -> CLOSED"), rec.transitions(server.id()), rec.timeline());
        }
    }

    static Stream<Arguments> timeWaitDurations() {
        return Stream.of(
                Arguments.of("linux, 2MSL = 60 s", TcpConfig.linux(), seconds(60)),
                Arguments.of("rfc, MSL = 2 min", TcpConfig.rfc(), seconds(240)),
                Arguments.of("configured 10 s", TcpConfig.linux().toBuilder().timeWaitNanos(seconds(10)).build(), seconds(10)));
    }

    // RFC 9293 §3.4.2 (MSL = 2 minutes) and §3.6.1; TcpConfig.timeWaitNanos.
    @ParameterizedTest(name = "{0}")
    @MethodSource("timeWaitDurations")
    void activeClose_timeWaitLastsTheConfiguredDuration(String name, TcpConfig tcp, long expectedNanos) {
        try (TwoStacks net = new TwoStacks(tcp)) {
            TcpConnection[] cs = open(net);
            cs[0].close(net.now());
            net.settle();
            cs[1].close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, cs[0].state());
            assertEquals(expectedNanos, net.a.snapshot(net.now()).get(0).timersLeftNanos().get(TcpTimer.TIME_WAIT));
            net.advance(expectedNanos - 1);
            assertEquals(1, net.a.timeWaitCount());
            net.advance(1);
            assertEquals(0, net.a.timeWaitCount());
        }
    }

    // RFC 9293 §3.10.7.4, eighth (FIN bit), FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this segment), then enter
    // TIME-WAIT" — it never passes through FIN-WAIT-2.
    @Test
    void finWait1_finWithAckOfOurFin_goesStraightToTimeWait() {
        RecordingObserver rec = new RecordingObserver();
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux(), c -> c.withObserver(rec))) {
            TcpConnection c = h.finWait1();
            h.receive(h.segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(List.of("CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED", "ESTABLISHED -> FIN-WAIT-1",
                    "FIN-WAIT-1 -> TIME-WAIT"), rec.transitions(c.id()));
            assertEquals("rcv FIN,ACK", last(rec.stateChanges(c.id())).cause());
        }
    }

    // The same over the wire: the server's ACK of our FIN is lost and its FIN, which acknowledges ours, arrives first.
    // RFC 9293 §3.10.7.4 (FIN-WAIT-1, FIN bit with our FIN acknowledged) -> TIME-WAIT.
    @Test
    void finWait1_ackLostAndServerFinAcksOurs_straightToTimeWaitOverTheWire() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            int[] dropped = {0};
            net.dropBtoA(p -> {
                TcpHeader h = RecordingObserver.tcpHeader(p);
                return h.flags() == TcpFlags.ACK && RecordingObserver.tcpPayloadLength(p) == 0 && dropped[0]++ == 0;
            });
            client.close(net.now());
            net.settle();
            assertEquals(1, dropped[0], net.lastTrace(4));
            assertEquals(TcpState.FIN_WAIT_1, client.state(), "the ACK of our FIN was lost");
            assertEquals(TcpState.CLOSE_WAIT, server.state());

            server.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(4));
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.NORMAL, server.closeReason());
            assertEquals(List.of("ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> TIME-WAIT"),
                    rec.transitions(client.id()).subList(2, 4), rec.timeline());
            assertEquals(1, net.a.timeWaitCount());
        }
    }

    // ------------------------------------------------------------------------------------
    // Passive close
    // ------------------------------------------------------------------------------------

    // RFC 9293 §3.6 case 2 and §3.10.7.4: the receiver of the first FIN stays in CLOSE-WAIT until its user CLOSEs;
    // RECEIVE then reports end of stream (DESIGN.md §7: read returns -1, the signal to close).
    @Test
    void passiveClose_closeWaitUntilApplicationCloses_thenLastAckAndClosed() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            write(net, client, "bye");
            client.close(net.now());
            net.settle();
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals("bye", read(net, server).text());
            assertEquals(-1, read(net, server).length());
            assertEquals(-1, read(net, server).length(), "end of stream stays end of stream");
            assertTrue(server.isEndOfStream());

            net.advance(seconds(30));
            assertEquals(TcpState.CLOSE_WAIT, server.state(), "CLOSE-WAIT has no timer: only the application ends it");
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertTrue(server.snapshot(net.now()).timersLeftNanos().isEmpty());

            server.close(net.now());
            assertEquals(TcpState.LAST_ACK, server.state());
            net.settle();
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.NORMAL, server.closeReason());
            assertEquals(TcpState.TIME_WAIT, client.state());
            assertEquals(0, net.b.connectionCount());
            assertEquals(0, net.b.timeWaitCount());
            assertEquals(List.of("ESTABLISHED -> CLOSE-WAIT", "CLOSE-WAIT -> LAST-ACK", "LAST-ACK -> CLOSED"),
                    rec.transitions(server.id()).subList(2, 5));
            assertEquals(List.of("rcv FIN", "user CLOSE", "rcv ACK of FIN"), rec.causes(server.id()).subList(2, 5));
        }
    }

    // RFC 9293 §3.10.4 (CLOSE in CLOSE-WAIT: queue FIN, enter LAST-ACK) and §3.10.7.4 (LAST-ACK: the ACK of our FIN
    // -> CLOSED), segment by segment.
    @Test
    void lastAck_ackOfOurFin_closedWithoutTimeWait() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.closeWait();
            assertEquals(-1, c.read(h.now(), Unpooled.EMPTY_BUFFER));
            c.close(h.now());
            h.expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            assertEquals(TcpState.LAST_ACK, c.state());
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.NORMAL, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.stack.timeWaitCount());
        }
    }

    // DESIGN.md §13: a server that never calls close piles up CLOSE-WAIT while each client sits in FIN-WAIT-2.
    // RFC 9293 §3.10.7.4: neither state has a timer of its own within the orphan timeout.
    @Test
    void serverThatNeverCloses_pilesUpCloseWait_clientsSitInFinWait2() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 64);
            List<TcpConnection> clients = new ArrayList<>();
            List<TcpConnection> servers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                net.settle();
                servers.add(listener.accept());
                clients.add(client);
                client.close(net.now());
                net.settle();
            }
            net.advance(seconds(59));
            for (int i = 0; i < 20; i++) {
                assertEquals(TcpState.FIN_WAIT_2, clients.get(i).state(), "client " + i);
                assertEquals(TcpState.CLOSE_WAIT, servers.get(i).state(), "server " + i);
                assertTrue(servers.get(i).isEndOfStream());
            }
            assertEquals(20, net.b.connectionCount());
            assertEquals(20, net.b.stats().currentEstablished(), "TcpCurrEstab counts CLOSE-WAIT (RFC 4022)");
            assertEquals(20, net.a.connectionCount());
            assertEquals(0, net.a.stats().currentEstablished());
        }
    }

    // The kernel peer of the story, which shut its output down but keeps its socket open, is never reclaimed
    // (Linux applies tcp_fin_timeout only to orphans): both sides stay put indefinitely.
    @Test
    void serverThatNeverCloses_halfClosedClientsSitInFinWait2Indefinitely() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 64);
            List<TcpConnection> clients = new ArrayList<>();
            List<TcpConnection> servers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                net.settle();
                servers.add(listener.accept());
                clients.add(client);
                client.shutdownOutput(net.now());
                net.settle();
            }
            net.advance(seconds(3600));
            for (int i = 0; i < 5; i++) {
                assertEquals(TcpState.FIN_WAIT_2, clients.get(i).state(), "client " + i);
                assertEquals(TcpState.CLOSE_WAIT, servers.get(i).state(), "server " + i);
            }
            assertEquals(Long.MAX_VALUE, net.a.nextDeadlineNanos(), "no timer runs on either side");
            assertEquals(Long.MAX_VALUE, net.b.nextDeadlineNanos());
        }
    }

    // ------------------------------------------------------------------------------------
    // Simultaneous close
    // ------------------------------------------------------------------------------------

    // RFC 9293 §3.6 (Figure 13, simultaneous close): both FIN-WAIT-1 -> CLOSING -> TIME-WAIT; each ACKs the other's
    // FIN once. In CLOSING the ACK of our FIN only moves us to TIME-WAIT (§3.10.7.4: "otherwise ignore the segment";
    // Linux tcp_rcv_state_process TCP_CLOSING sends nothing).
    @Test
    void simultaneousClose_bothThroughClosing_bothEndInTimeWait() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            client.close(net.now());
            server.close(net.now());
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            assertEquals(TcpState.FIN_WAIT_1, server.state());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(6));
            assertEquals(TcpState.TIME_WAIT, server.state());
            assertEquals(1, net.a.timeWaitCount());
            assertEquals(1, net.b.timeWaitCount());
            assertEquals(0, net.a.connectionCount() + net.b.connectionCount());
            List<String> expected = List.of("ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> CLOSING", "CLOSING -> TIME-WAIT");
            assertEquals(expected, rec.transitions(client.id()).subList(2, 5), rec.timeline());
            assertEquals(expected, rec.transitions(server.id()).subList(2, 5), rec.timeline());
            assertEquals(List.of("S", ".", "F.", "."), rec.flagsSentBy(TwoStacks.A), rec.timeline());
            assertEquals(List.of("S.", "F.", "."), rec.flagsSentBy(TwoStacks.B), rec.timeline());

            net.advance(seconds(60));
            assertEquals(0, net.a.timeWaitCount());
            assertEquals(0, net.b.timeWaitCount());
        }
    }

    // RFC 9293 §3.10.7.4, fifth (ACK), CLOSING: the ACK of our FIN enters TIME-WAIT and nothing is sent.
    @Test
    void closing_ackOfOurFin_entersTimeWaitSilently() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.closing();
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.TIME_WAIT, c.state());
            assertEquals(1, h.stack.timeWaitCount());
        }
    }

    // ------------------------------------------------------------------------------------
    // Abortive close
    // ------------------------------------------------------------------------------------

    // SO_LINGER {on, 0}: close becomes ABORT (RFC 9293 §3.10.5): <SEQ=SND.NXT><CTL=RST>, no TIME-WAIT on either side;
    // the peer's RST processing (§3.10.7.4, second) reports "connection reset".
    @Test
    void abortiveClose_lingerZero_sendsRstAndSkipsTimeWait() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            int clientIss = rec.sentBy(TwoStacks.A).get(0).seq();
            client.setLinger(true, 0);
            client.close(net.now());
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(CloseReason.ABORTED, client.closeReason());
            net.settle();
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.RESET, server.closeReason());
            assertEquals("Connection reset", server.closeReason().message());
            Segment rst = last(rec.sentBy(TwoStacks.A));
            assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.flags(), rst.line()); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertEquals(clientIss + 1, rst.seq(), "SEQ = SND.NXT");
            assertEquals(0, net.a.timeWaitCount() + net.b.timeWaitCount());
            assertEquals(0, net.a.connectionCount() + net.b.connectionCount());
            assertEquals(1, net.a.stats().get(Counter.TcpExtTCPAbortOnLinger));
            assertEquals(1, net.a.stats().get(Counter.TcpOutRsts));
            assertEquals(1, net.b.stats().get(Counter.TcpEstabResets));
            assertEquals(0, net.b.stats().currentEstablished());
        }
    }

    // SO_LINGER with a non-zero time keeps the orderly close: FIN, not RST.
    @Test
    void lingerNonZero_closeStillSendsFin() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setLinger(true, 5);
            c.close(h.now());
            h.expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.FIN_WAIT_1, c.state());
        }
    }

    // RFC 2525 §2.17 / Linux tcp_close: closing with unread data sends RST (TcpExtTCPAbortOnClose) instead of FIN.
    @Test
    void closeWithUnreadData_sendsRst_localAbortedUnreadData_peerReset() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            write(net, server, "nobody reads this");
            net.settle();
            assertEquals(17, client.readableBytes());
            client.close(net.now());
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(CloseReason.ABORTED_UNREAD_DATA, client.closeReason());
            net.settle();
            assertEquals(TcpFlags.RST | TcpFlags.ACK, last(rec.sentBy(TwoStacks.A)).flags()); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertFalse(rec.sentBy(TwoStacks.A).stream().anyMatch(s -> s.has(TcpFlags.FIN)), "no FIN, only RST");
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.RESET, server.closeReason());
            assertEquals(1, net.a.stats().get(Counter.TcpExtTCPAbortOnClose));
            assertEquals(0, net.a.timeWaitCount() + net.b.timeWaitCount());
        }
    }

    // ------------------------------------------------------------------------------------
    // Half close
    // ------------------------------------------------------------------------------------

    // RFC 9293 §3.6 / RFC 1122 §4.2.2.13: after shutting down its output the client keeps receiving until the
    // server's FIN; a half-closed FIN-WAIT-2 is not an orphan, so no FIN-WAIT-2 timer runs (Linux).
    @Test
    void halfClose_clientShutsDownOutput_keepsReadingUntilServerFin() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            write(net, client, "request");
            client.shutdownOutput(net.now());
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            assertThrows(IllegalStateException.class, () -> write(net, client, "more"), "no sending after shutdown");
            net.settle();
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertFalse(client.snapshot(net.now()).timersLeftNanos().containsKey(TcpTimer.FIN_WAIT_2));
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals("request", read(net, server).text());
            assertEquals(-1, read(net, server).length());

            write(net, server, "response part 1");
            net.settle();
            assertEquals("response part 1", read(net, client).text());
            net.advance(seconds(120));
            assertEquals(TcpState.FIN_WAIT_2, client.state(), "not reclaimed: the application still holds it");
            write(net, server, "part 2");
            server.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state());
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.NORMAL, server.closeReason());
            assertEquals("part 2", read(net, client).text(), "data before the FIN is still readable");
            assertEquals(-1, read(net, client).length());
            client.close(net.now());
        }
    }

    // The other direction: the server half-closes, the client reads end of stream yet keeps sending from CLOSE-WAIT
    // (RFC 9293 §3.10.2: SEND is allowed in CLOSE-WAIT).
    @Test
    void halfClose_serverShutsDownOutput_clientKeepsSendingFromCloseWait() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            server.shutdownOutput(net.now());
            net.settle();
            assertEquals(TcpState.FIN_WAIT_2, server.state());
            assertEquals(TcpState.CLOSE_WAIT, client.state());
            assertEquals(-1, read(net, client).length());
            write(net, client, "still talking");
            net.settle();
            assertEquals("still talking", read(net, server).text());
            client.close(net.now());
            net.settle();
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(CloseReason.NORMAL, client.closeReason());
            assertEquals(TcpState.TIME_WAIT, server.state());
            assertEquals(1, net.b.timeWaitCount());
            assertEquals(-1, read(net, server).length());
            server.close(net.now());
        }
    }

    // ------------------------------------------------------------------------------------
    // What the application sees
    // ------------------------------------------------------------------------------------

    // RFC 9293 §3.10.7.4 (RST in ESTABLISHED: "any outstanding RECEIVEs and SEND should receive 'reset' responses");
    // DESIGN.md §7: send throws IllegalStateException, the socket layer maps closeReason RESET to "Connection reset".
    @Test
    void writeAfterPeerReset_sendThrowsIllegalState_closeReasonReset() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            cs[1].abort(net.now());
            net.settle();
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(CloseReason.RESET, client.closeReason());
            assertTrue(client.closeReason().isError());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> write(net, client, "x"));
            assertTrue(e.getMessage().contains("CLOSED"), e.getMessage());
            assertEquals(1, net.a.stats().get(Counter.TcpEstabResets));
        }
    }

    // RFC 9293 §3.10.3 (RECEIVE in CLOSE-WAIT: buffered text, then "connection closing"); DESIGN.md §7: read returns -1.
    @Test
    void readAfterPeerFin_returnsDataThenMinusOne() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            write(net, cs[1], "last words");
            cs[1].close(net.now());
            net.settle();
            assertEquals(TcpState.CLOSE_WAIT, client.state());
            assertFalse(client.isEndOfStream(), "data before the FIN is unread");
            assertEquals("last words", read(net, client).text());
            assertTrue(client.isEndOfStream());
            assertEquals(-1, read(net, client).length());
            assertEquals(-1, read(net, client).length());
            client.close(net.now());
            net.settle();
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(TcpState.TIME_WAIT, cs[1].state());
        }
    }

    // ------------------------------------------------------------------------------------
    // Lost FINs
    // ------------------------------------------------------------------------------------

    // RFC 6298 §5.4-5.6: the FIN is retransmitted when the RTO expires, the RTO doubling each time (200 ms floor on
    // Linux, from an RTT sample of ~0 on the handshake).
    @Test
    void finLost_retransmittedWithRtoBackoff() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            assertEquals(millis(200), client.snapshot(net.now()).rtoNanos());
            int[] dropped = {0};
            net.dropAtoB(p -> RecordingObserver.tcpHeader(p).hasFlag(TcpFlags.FIN) && dropped[0]++ < 2);
            long t0 = net.now();
            client.close(net.now());
            net.settle();
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            assertEquals(TcpState.ESTABLISHED, cs[1].state());
            net.advance(millis(199));
            assertEquals(1, fins(rec).size());
            net.advance(millis(1));
            assertEquals(2, fins(rec).size());
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            net.advance(millis(400));
            assertEquals(3, fins(rec).size(), rec.timeline());
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertEquals(TcpState.CLOSE_WAIT, cs[1].state());

            List<Segment> fins = fins(rec);
            assertEquals(List.of(t0, t0 + millis(200), t0 + millis(600)), fins.stream().map(Segment::nanos).toList());
            assertEquals(1, fins.stream().map(Segment::seq).distinct().count(), "the same FIN each time");
            assertEquals(2, net.a.stats().get(Counter.TcpRetransSegs));
            assertEquals(2, net.a.stats().get(Counter.TcpExtTCPTimeouts));
            assertFalse(client.snapshot(net.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT), "FIN acknowledged");
        }
    }

    // RFC 9293 §3.10.4 (FIN after the queued data) and RFC 6298 §5.4: data and FIN lost together are retransmitted
    // together, and the server sees the data then end of stream.
    @Test
    void dataAndFinLost_recoveredByRetransmission() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            int[] dropped = {0};
            net.dropAtoB(p -> RecordingObserver.tcpPayloadLength(p) > 0 && dropped[0]++ == 0);
            write(net, client, "request");
            client.close(net.now());
            net.settle();
            assertEquals(1, dropped[0]);
            assertEquals(TcpState.FIN_WAIT_1, client.state());
            assertEquals(0, server.readableBytes());
            net.advance(millis(200));
            assertEquals(TcpState.FIN_WAIT_2, client.state(), net.lastTrace(4));
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals("request", read(net, server).text());
            assertEquals(-1, read(net, server).length());
            List<Segment> dataSegments = rec.sentBy(TwoStacks.A).stream().filter(s -> s.payloadLength() > 0).toList();
            assertEquals(2, dataSegments.size());
            assertEquals("FP.", dataSegments.get(0).flagString(), "FIN piggybacked on the data");
            assertEquals("FP.", dataSegments.get(1).flagString(), "retransmitted together");
            assertEquals(dataSegments.get(0).seq(), dataSegments.get(1).seq());
            assertEquals(1, net.a.stats().get(Counter.TcpRetransSegs));
        }
    }

    // ------------------------------------------------------------------------------------
    // ABORT in each state
    // ------------------------------------------------------------------------------------

    static Stream<Arguments> abortCases() {
        return Stream.of(
                abortCase("SYN-SENT", ConnectionHarness::synSent, null),
                abortCase("SYN-RECEIVED (passive)", ConnectionHarness::synReceivedPassive, LOCAL_ISS + 1),
                abortCase("SYN-RECEIVED (simultaneous)", ConnectionHarness::synReceivedSimultaneous, LOCAL_ISS + 1),
                abortCase("ESTABLISHED", ConnectionHarness::established, LOCAL_ISS + 1),
                abortCase("FIN-WAIT-1", ConnectionHarness::finWait1, LOCAL_ISS + 2),
                abortCase("FIN-WAIT-2", ConnectionHarness::finWait2, LOCAL_ISS + 2),
                abortCase("CLOSE-WAIT", ConnectionHarness::closeWait, LOCAL_ISS + 1),
                abortCase("CLOSING", ConnectionHarness::closing, null),
                abortCase("LAST-ACK", ConnectionHarness::lastAck, null));
    }

    private static Arguments abortCase(String name, Function<ConnectionHarness, TcpConnection> fixture, Integer rstSeq) {
        return Arguments.of(name, fixture, rstSeq);
    }

    // RFC 9293 §3.10.5 ABORT: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT send <SEQ=SND.NXT><CTL=RST>;
    // SYN-SENT, CLOSING, LAST-ACK just delete the TCB. In every case the connection is gone, with no TIME-WAIT.
    @ParameterizedTest(name = "{0}")
    @MethodSource("abortCases")
    void abort_sendsRstExactlyWhereRfc9293Says(String name, Function<ConnectionHarness, TcpConnection> fixture, Integer rstSeq) {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = fixture.apply(h);
            c.abort(h.now());
            if (rstSeq == null) {
                h.expectNothingSent();
                assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts), name);
            } else {
                ConnectionHarness.Sent rst = h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
                assertEquals(Integer.toUnsignedLong(rstSeq), Integer.toUnsignedLong(rst.seq()), name + ": SEQ = SND.NXT");
                h.expectNothingSent();
                assertEquals(1, h.stack.stats().get(Counter.TcpOutRsts), name);
            }
            assertEquals(TcpState.CLOSED, c.state(), name);
            assertEquals(CloseReason.ABORTED, c.closeReason(), name);
            assertEquals(0, h.stack.connectionCount(), name);
            assertEquals(0, h.stack.timeWaitCount(), name);
            assertEquals(0, h.stack.stats().currentEstablished(), name);
            h.advance(seconds(300));
            h.expectNothingSent(); // no timer survives the abort
        }
    }

    // A listener's half-open child that is aborted leaves the SYN queue.
    @Test
    void abort_passiveSynReceived_leavesTheListenerQueues() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.synReceivedPassive();
            assertEquals(1, h.listener().synQueueLength());
            c.abort(h.now());
            h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertEquals(0, h.listener().synQueueLength());
            assertEquals(0, h.listener().pendingConnections().size());
        }
    }

    // ------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------

    static TwoStacks twoStacks(TcpConfig tcp, RecordingObserver rec) {
        return new TwoStacks(tcp, 1, c -> c.withObserver(rec), true);
    }

    /** Client on A, server on B port 80, established and accepted. */
    static TcpConnection[] open(TwoStacks net) {
        TcpListener listener = net.b.listen(net.now(), 80, 16);
        TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
        net.settle();
        TcpConnection server = listener.accept();
        assertNotNull(server, net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, client.state(), net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, server.state());
        return new TcpConnection[] {client, server};
    }

    static void write(TwoStacks net, TcpConnection c, String text) {
        ByteBuf src = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(net.now(), src));
        } finally {
            src.release();
        }
    }

    /** What one read returned: its count and the text read. */
    record Read(int length, String text) {}

    static Read read(TwoStacks net, TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(1 << 16);
        try {
            int n = c.read(net.now(), dst);
            return new Read(n, dst.toString(StandardCharsets.US_ASCII));
        } finally {
            dst.release();
        }
    }

    private static List<Segment> fins(RecordingObserver rec) {
        return rec.sentBy(TwoStacks.A).stream().filter(s -> s.has(TcpFlags.FIN)).toList();
    }

    static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }
}
