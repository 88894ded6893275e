package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.ConnectionHarness.SERVER_PORT;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The LISTEN side (DESIGN.md §4, §13): the accept queue bounded by the backlog as Linux bounds it,
 * what happens to SYNs and final ACKs past it, closing a listener, and the reclaiming of orphaned
 * FIN-WAIT-2 connections.
 */
class ListenerTest {
    private static final int P1 = 50001;
    private static final int P2 = 50002;
    private static final int P3 = 50003;
    private static final int P4 = 50004;
    private static final int P5 = 50005;

    /** A peer SYN from {@code port} to the listener; the peer's ISN is REMOTE_ISS + port. */
    private static void syn(ConnectionHarness h, int port) {
        h.receive(h.segment().ports(port, SERVER_PORT).flags(TcpFlags.SYN).seq(REMOTE_ISS + port));
    }

    /** The peer's third segment of the handshake from {@code port}. */
    private static void ack(ConnectionHarness h, int port) {
        h.receive(h.segment().ports(port, SERVER_PORT).seq(REMOTE_ISS + port + 1).ack(LOCAL_ISS + 1));
    }

    private static void expectSynAck(ConnectionHarness h, int port) {
        ConnectionHarness.Sent s = h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK)
                .assertSeqAck(LOCAL_ISS, REMOTE_ISS + port + 1);
        assertEquals(port, s.tcp().destinationPort());
    }

    /**
     * Backlog 2: two connections established and waiting, two more half-open (SYN queue 2 = backlog), then the
     * third completes, filling the accept queue (Linux sk_acceptq_is_full: more than the backlog, so 3).
     */
    private static TcpListener fillAcceptQueue(ConnectionHarness h) {
        TcpListener listener = h.stack.listen(h.now(), SERVER_PORT, 2);
        for (int port : new int[] {P1, P2}) {
            syn(h, port);
            expectSynAck(h, port);
            ack(h, port);
            h.expectNothingSent();
        }
        syn(h, P3);
        expectSynAck(h, P3);
        syn(h, P4);
        expectSynAck(h, P4);
        assertEquals(2, listener.synQueueLength());
        ack(h, P3);
        h.expectNothingSent();
        assertEquals(3, listener.acceptQueueLength(), "backlog 2 holds 3 (Linux uses >)");
        assertEquals(1, listener.synQueueLength());
        return listener;
    }

    // Linux tcp_v4_syn_recv_sock / tcp_check_req: a final ACK while the accept queue is full is dropped
    // (TcpExtListenOverflows, TcpExtListenDrops) and the child stays SYN-RECEIVED; Linux tcp_conn_request: a SYN while
    // the accept queue is full is dropped. The child's SYN-ACK retransmission (RFC 6298 initial RTO 1 s) draws the
    // client's ACK again, which completes the handshake once accept() has made room.
    @Test
    void acceptQueueFull_synDroppedAndFinalAckDropped_childCompletesAfterAccept() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener listener = fillAcceptQueue(h);
            ack(h, P4);
            h.expectNothingSent();
            TcpConnection p4 = listener.pendingConnections().get(0);
            assertEquals(P4, p4.id().remotePort());
            assertEquals(TcpState.SYN_RECEIVED, p4.state(), "the ACK was dropped");
            assertEquals(1, h.stack.stats().get(Counter.TcpExtListenOverflows));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtListenDrops));

            syn(h, P5);
            h.expectNothingSent();
            assertEquals(2, h.stack.stats().get(Counter.TcpExtListenOverflows));
            assertEquals(2, h.stack.stats().get(Counter.TcpExtListenDrops));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtSyncookiesSent), "a full accept queue is no cookie case");
            assertEquals(4, h.stack.connectionCount(), "no state for the dropped SYN");

            h.advance(seconds(1) - 1);
            h.expectNothingSent();
            h.advance(1);
            expectSynAck(h, P4);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, p4.state());

            TcpConnection first = listener.accept();
            assertEquals(P1, first.id().remotePort());
            ack(h, P4);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, p4.state());
            assertEquals(P2, listener.accept().id().remotePort());
            assertEquals(P3, listener.accept().id().remotePort());
            assertSame(p4, listener.accept());
            assertNull(listener.accept());
            assertEquals(4, h.stack.stats().get(Counter.TcpPassiveOpens));
        }
    }

    // Linux tcp_abort_on_overflow=1: the final ACK that finds the accept queue full is answered with RST
    // (<SEQ=SEG.ACK><CTL=RST>, tcp_v4_send_reset) and the half-open child is dropped.
    @Test
    void acceptQueueFull_abortOnOverflow_finalAckAnsweredWithRst() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().abortOnOverflow(true).build())) {
            TcpListener listener = fillAcceptQueue(h);
            ack(h, P4);
            ConnectionHarness.Sent rst = h.expectSent().assertFlags(TcpFlags.RST); // the ACK answered, not aborted: no ACK flag
            assertEquals(LOCAL_ISS + 1, rst.seq()); // SEG.ACK
            assertEquals(P4, rst.tcp().destinationPort());
            h.expectNothingSent();
            assertEquals(0, listener.synQueueLength());
            assertEquals(3, listener.acceptQueueLength());
            assertEquals(3, h.stack.connectionCount());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtListenOverflows));
            h.advance(seconds(10));
            h.expectNothingSent(); // no SYN-ACK retransmission for the dropped child
        }
    }

    // Over the wire: backlog 0 still holds one connection (Linux sk_acceptq_is_full uses >); the second client's SYN
    // is dropped, its SYN retransmission (RFC 6298 §2.1, initial RTO 1 s) succeeds once the first was accepted.
    @Test
    void backlogZero_holdsOne_secondClientRetriesAfterAccept() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 0);
            TcpConnection c1 = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(TcpState.ESTABLISHED, c1.state());
            assertEquals(1, listener.acceptQueueLength());
            TcpConnection c2 = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(TcpState.SYN_SENT, c2.state(), "its SYN was dropped");
            assertEquals(1, net.b.stats().get(Counter.TcpExtListenOverflows));
            assertEquals(1, net.b.connectionCount());

            net.advance(millis(500));
            assertNotNull(listener.accept());
            net.advance(millis(499));
            assertEquals(TcpState.SYN_SENT, c2.state());
            net.advance(millis(1));
            assertEquals(TcpState.ESTABLISHED, c2.state(), net.lastTrace(4));
            assertEquals(1, net.a.stats().get(Counter.TcpExtTCPSynRetrans));
            TcpConnection s2 = listener.accept();
            assertEquals(c2.id().localPort(), s2.id().remotePort());
        }
    }

    // Linux inet_csk_listen_stop (DESIGN.md §13): closing a listener resets every connection it has not handed out,
    // established or half-open; the clients see RESET. Connections already accepted belong to the application.
    @Test
    void closeListener_resetsConnectionsNotYetAccepted_leavesAcceptedOnesAlone() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection accepted = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection acceptedServer = listener.accept();
            TcpConnection queued = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection halfOpen = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            int halfOpenPort = halfOpen.id().localPort();
            net.dropAtoB(p -> {
                TcpHeader t = RecordingObserver.tcpHeader(p);
                return t.sourcePort() == halfOpenPort && t.flags() == TcpFlags.ACK;
            });
            net.settle();
            net.dropAtoB(p -> false);
            assertEquals(TcpState.ESTABLISHED, queued.state());
            assertEquals(TcpState.ESTABLISHED, halfOpen.state(), "the client thinks it is connected");
            assertEquals(1, listener.acceptQueueLength());
            assertEquals(1, listener.synQueueLength(), "its final ACK was lost");
            List<TcpConnection> pending = listener.pendingConnections();

            listener.close(net.now());
            assertTrue(listener.isClosed());
            for (TcpConnection child : pending) {
                assertEquals(TcpState.CLOSED, child.state());
                assertEquals(CloseReason.LISTENER_CLOSED, child.closeReason());
            }
            net.settle();
            assertEquals(CloseReason.RESET, queued.closeReason(), net.lastTrace(4));
            assertEquals(CloseReason.RESET, halfOpen.closeReason(), net.lastTrace(4));
            assertEquals(2, net.b.stats().get(Counter.TcpOutRsts));
            assertEquals(List.of("R.", "R."), rec.flagsSentBy(TwoStacks.B).subList(rec.flagsSentBy(TwoStacks.B).size() - 2,
                    rec.flagsSentBy(TwoStacks.B).size()));

            assertEquals(TcpState.ESTABLISHED, accepted.state());
            assertEquals(TcpState.ESTABLISHED, acceptedServer.state());
            CloseScenariosTest.write(net, accepted, "still here");
            net.settle();
            assertEquals("still here", CloseScenariosTest.read(net, acceptedServer).text());
            assertEquals(1, net.b.connectionCount());

            // The port is free again: a new SYN is refused, not queued.
            TcpConnection late = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(CloseReason.REFUSED, late.closeReason());
        }
    }

    // Linux inet_csk_get_port: a second listener on the same port is refused (EADDRINUSE); after the first closes,
    // the port can be listened on again.
    @Test
    void listen_samePortTwice_refused() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener first = h.stack.listen(h.now(), SERVER_PORT, 16);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.stack.listen(h.now(), SERVER_PORT, 16));
            assertTrue(e.getMessage().contains("already has a listener"), e.getMessage());
            assertEquals(List.of(first), h.stack.listeners());
            first.close(h.now());
            assertEquals(List.of(), h.stack.listeners());
            TcpListener second = h.stack.listen(h.now(), SERVER_PORT, 16);
            assertEquals(List.of(second), h.stack.listeners());
        }
    }

    // The table of LISTEN sockets (ss -l) in port order, including the highest port, after one of them closed.
    @Test
    void listeners_inPortOrder_uptoTheHighestPort() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener high = h.stack.listen(h.now(), 65535, 16);
            TcpListener web = h.stack.listen(h.now(), SERVER_PORT, 16);
            TcpListener low = h.stack.listen(h.now(), 1, 16);
            assertEquals(List.of(low, web, high), h.stack.listeners());
            web.close(h.now());
            assertEquals(List.of(low, high), h.stack.listeners());
            h.stack.close(h.now());
            assertEquals(List.of(), h.stack.listeners());
        }
    }

    // ------------------------------------------------------------------------------------
    // Orphaned FIN-WAIT-2
    // ------------------------------------------------------------------------------------

    // Linux tcp_fin_timeout (60 s) / tcp_keepalive_timer: an orphan — closed by its application — stuck in FIN-WAIT-2
    // because the peer never sends its FIN is reclaimed with <SEQ=SND.NXT><CTL=RST> (tcp_send_active_reset), no
    // TIME-WAIT. The peer, still in CLOSE-WAIT, sees RESET.
    @Test
    void orphanedFinWait2_reclaimedAfterFinWait2TimeoutWithRst() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            client.close(net.now());
            net.settle();
            long enteredFinWait2 = net.now();
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals(seconds(60), client.snapshot(net.now()).timersLeftNanos().get(TcpTimer.FIN_WAIT_2));

            net.advance(seconds(60) - 1);
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            net.advance(1);
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(CloseReason.FIN_WAIT_2_TIMEOUT, client.closeReason());
            RecordingObserver.Segment rst = CloseScenariosTest.last(rec.sentBy(TwoStacks.A));
            assertEquals("R.", rst.flagString()); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertEquals(enteredFinWait2 + seconds(60), rst.nanos());
            RecordingObserver.Segment fin = rec.sentBy(TwoStacks.A).stream().filter(s -> s.has(TcpFlags.FIN)).findFirst().orElseThrow();
            assertEquals(fin.seq() + 1, rst.seq(), "SEQ = SND.NXT, past our FIN");
            assertEquals(TcpTimer.FIN_WAIT_2, CloseScenariosTest.last(rec.timers(client.id())).timer());
            assertEquals(0, net.a.timeWaitCount());
            assertEquals(0, net.a.connectionCount());
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.RESET, server.closeReason());
        }
    }

    // Segment by segment: the FIN-WAIT-2 fixture's connection was closed by the application.
    @Test
    void orphanedFinWait2_harness_rstAtExactlyTheTimeout() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.finWait2();
            h.advance(seconds(60) - 1);
            h.expectNothingSent();
            h.advance(1);
            h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            h.expectNothingSent();
            assertEquals(CloseReason.FIN_WAIT_2_TIMEOUT, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
            // The peer's FIN arriving afterwards finds no connection: RFC 9293 §3.10.7.1 <SEQ=SEG.ACK><CTL=RST>.
            h.receive(h.segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(TcpFlags.RST).assertSeqAck(LOCAL_ISS + 2, 0);
        }
    }

    // Linux applies tcp_fin_timeout only to orphans (SOCK_DEAD): after shutdownOutput the application still holds the
    // connection, so FIN-WAIT-2 lasts as long as the peer keeps its side open. A later close makes it an orphan and
    // starts the timeout from then.
    @Test
    void halfClosedFinWait2_notReclaimed_untilTheApplicationCloses() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            client.shutdownOutput(net.now());
            net.settle();
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertFalse(client.snapshot(net.now()).timersLeftNanos().containsKey(TcpTimer.FIN_WAIT_2));
            net.advance(seconds(3600));
            assertEquals(TcpState.FIN_WAIT_2, client.state());
            assertEquals(TcpState.CLOSE_WAIT, cs[1].state());
            assertEquals(0, net.a.stats().get(Counter.TcpOutRsts));

            client.close(net.now());
            assertEquals(seconds(60), client.snapshot(net.now()).timersLeftNanos().get(TcpTimer.FIN_WAIT_2));
            net.advance(seconds(60));
            assertEquals(CloseReason.FIN_WAIT_2_TIMEOUT, client.closeReason());
            assertEquals(CloseReason.RESET, cs[1].closeReason());
        }
    }
}
