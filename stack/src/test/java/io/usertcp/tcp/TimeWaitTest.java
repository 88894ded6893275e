package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.RecordingObserver.Segment;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TIME-WAIT (RFC 9293 §3.6.1, §3.10.7.4) as DESIGN.md §13 tells it: a retransmitted FIN restarts
 * 2MSL, the state is a compact entry with a cap, a new SYN may reopen the pair (RFC 6191), port
 * reuse, and the pile-up on the side that closes first.
 */
class TimeWaitTest {

    // RFC 9293 §3.10.7.4 (TIME-WAIT, FIN bit): "The only thing that can arrive in this state is a retransmission of
    // the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
    @Test
    void timeWait_retransmittedFin_isReAckedAndRestarts2Msl() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.timeWait();
            h.advance(seconds(30));
            assertEquals(seconds(30), timeWaitLeft(h.stack, h.now()));
            h.expectNothingSent();

            h.receive(h.segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(seconds(60), timeWaitLeft(h.stack, h.now()), "2MSL restarted from the retransmission");

            h.advance(seconds(60) - 1);
            assertEquals(1, h.stack.timeWaitCount(), "the entry lives 60 s from the retransmitted FIN");
            h.advance(1);
            assertEquals(0, h.stack.timeWaitCount());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTW));
        }
    }

    // Linux tcp_timewait_state_process(): every segment with the ACK bit (and a bare one at RCV.NXT) reschedules the
    // entry for a full TCP_TIMEWAIT_LEN, so a peer that keeps sending ACKs keeps the pair in TIME-WAIT. RFC 9293 restarts
    // 2MSL only for the retransmitted FIN: the rfc profile's entry ends 60 s after it began whatever arrives.
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"linux", "rfc"})
    void timeWait_bareAckAtRcvNxt_restarts2MslOnlyInLinux(String profile) {
        TcpConfig tcp = profile.equals("linux") ? TcpConfig.linux() : TcpConfig.rfc();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            h.timeWait();
            h.advance(seconds(30));
            long left = timeWaitLeft(h.stack, h.now());
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            // linux: TCP_TIMEWAIT_LEN (60 s) from the ACK; rfc: what was left of its 2MSL (2 x 120 s) before it
            assertEquals(profile.equals("linux") ? seconds(60) : left, timeWaitLeft(h.stack, h.now()));
            assertEquals(profile.equals("linux") ? seconds(30) : seconds(210), left);
        }
    }

    // Linux tcp_timewait_check_oow_rate_limit(): an entry answers unacceptable segments at most once per
    // tcp_invalid_ratelimit (500 ms), counting the skipped ones; a segment with text is always answered. The
    // kernel here does the same (own script time-wait-answers-throttled-per-entry.pkt, --target both).
    @Test
    void timeWait_answersToUnacceptableSegments_throttledPerEntry() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            h.timeWait();
            for (int i = 0; i < 100; i++) { // a blind flood of old ACKs within 100 ms
                h.receive(h.segment().seq(REMOTE_ISS + 2 + 1000 + i).ack(LOCAL_ISS + 2));
                h.advance(millis(1));
            }
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(99, h.stack.stats().get(Counter.TcpExtTCPACKSkippedTimeWait));
            h.receive(h.segment().flags(TcpFlags.ACK | TcpFlags.PSH).seq(REMOTE_ISS + 2 + 1000).ack(LOCAL_ISS + 2)
                    .payload(new byte[10]));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.advance(millis(500));
            h.receive(h.segment().seq(REMOTE_ISS + 2 + 1000).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
        }
    }

    // The same over the wire: the client's last ACK is lost, the server in LAST-ACK retransmits its FIN after the
    // RTO (RFC 6298 §5.4), the client's TIME-WAIT entry re-ACKs it (RFC 9293 §3.10.7.4) and the server closes.
    @Test
    void timeWait_lastAckLost_serverRetransmitsFin_clientReAcksAndRestarts2Msl() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            client.close(net.now());
            net.settle();
            int[] dropped = {0};
            net.dropAtoB(p -> RecordingObserver.tcpHeader(p).flags() == TcpFlags.ACK && dropped[0]++ == 0);
            server.close(net.now());
            net.settle();
            assertEquals(1, dropped[0]);
            assertEquals(TcpState.TIME_WAIT, client.state());
            assertEquals(TcpState.LAST_ACK, server.state(), "the final ACK was lost");
            long enteredTimeWait = net.now();

            net.advance(millis(200));
            assertEquals(TcpState.CLOSED, server.state(), net.lastTrace(4));
            assertEquals(CloseReason.NORMAL, server.closeReason());
            List<Segment> acks = rec.sentBy(TwoStacks.A).subList(rec.sentBy(TwoStacks.A).size() - 2, rec.sentBy(TwoStacks.A).size());
            assertEquals(List.of(".", "."), acks.stream().map(Segment::flagString).toList(), "the first ACK and the re-ACK");
            assertEquals(acks.get(0).ack(), acks.get(1).ack());
            assertEquals(enteredTimeWait + millis(200), acks.get(1).nanos());
            assertEquals(seconds(60), timeWaitLeft(net.a, net.now()));
            net.advance(seconds(60) - 1);
            assertEquals(1, net.a.timeWaitCount());
            net.advance(1);
            assertEquals(0, net.a.timeWaitCount());
        }
    }

    // DESIGN.md §4 / Linux inet_timewait_sock: TIME-WAIT is a compact entry, not a connection; it answers an
    // unacceptable segment with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 9293 §3.10.7.4, first check) and stays quiet
    // for an acceptable bare ACK.
    @Test
    void timeWait_isACompactEntry() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.timeWait();
            assertEquals(0, h.stack.connectionCount());
            assertEquals(1, h.stack.timeWaitCount());
            List<ConnectionSnapshot> snapshot = h.stack.snapshot(h.now());
            assertEquals(1, snapshot.size());
            assertEquals(TcpState.TIME_WAIT, snapshot.get(0).state());
            assertEquals(Set.of(TcpTimer.TIME_WAIT), snapshot.get(0).timersLeftNanos().keySet());
            assertEquals(CloseReason.NORMAL, snapshot.get(0).closeReason());

            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            h.receive(h.segment().seq(REMOTE_ISS + 2 + 100_000).ack(LOCAL_ISS + 2).payload("stray"));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            assertEquals(seconds(60), timeWaitLeft(h.stack, h.now()), "only a FIN restarts 2MSL");
        }
    }

    // Linux tcp_max_tw_buckets ("TCP: time wait bucket table overflow"): past the cap a closing connection skips
    // TIME-WAIT (TcpExtTCPTimeWaitOverflow) but still ACKs the peer's FIN, so the peer leaves LAST-ACK normally.
    @Test
    void timeWaitCap_overflowingClosesSkipTimeWaitButStillAckTheFin() {
        RecordingObserver rec = new RecordingObserver();
        TcpConfig tcp = TcpConfig.linux().toBuilder().maxTimeWaitEntries(3).build();
        try (TwoStacks net = CloseScenariosTest.twoStacks(tcp, rec)) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            List<TcpConnection> clients = new ArrayList<>();
            List<TcpConnection> servers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                net.settle();
                TcpConnection server = listener.accept();
                client.close(net.now());
                net.settle();
                server.close(net.now());
                net.settle();
                clients.add(client);
                servers.add(server);
                assertEquals(Math.min(i + 1, 3), net.a.timeWaitCount(), "after close " + i);
            }
            assertEquals(3, net.a.timeWaitCount());
            assertEquals(2, net.a.stats().get(Counter.TcpExtTCPTimeWaitOverflow));
            assertEquals(0, net.a.connectionCount());
            for (int i = 0; i < 5; i++) {
                assertEquals(TcpState.CLOSED, servers.get(i).state(), "server " + i + " got its final ACK");
                assertEquals(CloseReason.NORMAL, servers.get(i).closeReason());
                assertEquals("FIN-WAIT-2 -> TIME-WAIT", CloseScenariosTest.last(rec.transitions(clients.get(i).id())
                        .subList(0, 5)), "client " + i);
            }
            for (int i = 3; i < 5; i++) {
                RecordingObserver.StateChange end = CloseScenariosTest.last(rec.stateChanges(clients.get(i).id()));
                assertEquals("TIME-WAIT -> CLOSED", end.transition());
                assertEquals("TIME-WAIT table full", end.cause());
            }
            assertEquals(0, net.b.connectionCount());
            assertEquals(0, net.b.timeWaitCount());
        }
    }

    // ------------------------------------------------------------------------------------
    // A new SYN for a pair in TIME-WAIT
    // ------------------------------------------------------------------------------------

    /** The harness stack as a server that closed first and sits in TIME-WAIT; no timestamps. */
    private static void serverTimeWait(ConnectionHarness h) {
        TcpConnection c = h.establishedPassive();
        c.close(h.now());
        h.expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        h.receive(h.segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
        h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(1, h.stack.timeWaitCount());
        assertEquals(0, h.stack.connectionCount());
    }

    // RFC 9293 §3.6.1 (MAY-2): a SYN with a sequence number above the old RCV.NXT may reopen the pair, with an ISN
    // above the largest the old incarnation used (Linux: tw_snd_nxt + 65535 + 2).
    @Test
    void timeWait_synWithHigherSeq_reopensWithIssAboveOldSndNxt() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            serverTimeWait(h);
            int newIsn = REMOTE_ISS + 100_000;
            h.receive(h.segment().flags(TcpFlags.SYN).seq(newIsn));
            int iss = LOCAL_ISS + 2 + 65535 + 2;
            h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK).assertSeqAck(iss, newIsn + 1);
            assertEquals(0, h.stack.timeWaitCount(), "the TIME-WAIT entry gave way");
            assertEquals(1, h.stack.connectionCount());
            h.receive(h.segment().seq(newIsn + 1).ack(iss + 1));
            h.expectNothingSent();
            TcpConnection reopened = h.listener().accept();
            assertNotNull(reopened);
            assertEquals(TcpState.ESTABLISHED, reopened.state());
            assertEquals(2, h.stack.stats().get(Counter.TcpPassiveOpens));
        }
    }

    // RFC 9293 §3.6.1: a SYN at or below RCV.NXT may be an old duplicate; it is answered like any unacceptable
    // segment, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (Linux tcp_timewait_state_process: TCP_TW_ACK), and TIME-WAIT stays.
    @ParameterizedTest(name = "SYN seq = RCV.NXT {0}")
    @ValueSource(ints = {0, -1, -1000})
    void timeWait_synAtOrBelowRcvNxt_answeredWithAck_entryStays(int offset) {
        try (ConnectionHarness h = new ConnectionHarness()) {
            serverTimeWait(h);
            h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS + 2 + offset));
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(0, h.stack.connectionCount());
        }
    }

    /**
     * The harness stack as a server that closed first, with timestamps on: the peer's last TSval
     * (TS.Recent of the entry) is 1002. Returns nothing; RCV.NXT = REMOTE_ISS + 2, SND.NXT = LOCAL_ISS + 2.
     */
    private static void serverTimeWaitWithTimestamps(ConnectionHarness h) {
        h.listen();
        h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS)
                .options(new TcpOption.Mss(1460), new TcpOption.Timestamps(1000, 0)));
        Sent synAck = h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        TcpOption.Timestamps ts = synAck.tcp().options().timestamps().orElseThrow();
        assertEquals(1000, ts.tsEcr());
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).options(new TcpOption.Timestamps(1001, ts.tsVal())));
        TcpConnection c = h.listener().accept();
        assertNotNull(c);
        assertTrue(c.snapshot(h.now()).timestamps());
        c.close(h.now());
        Sent fin = h.expectSent().assertFlags(TcpFlags.FIN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        int finTsVal = fin.tcp().options().timestamps().orElseThrow().tsVal();
        h.receive(h.segment().flags(TcpFlags.FIN | TcpFlags.ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2)
                .options(new TcpOption.Timestamps(1002, finTsVal)));
        Sent ack = h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(1002, ack.tcp().options().timestamps().orElseThrow().tsEcr());
        assertEquals(1, h.stack.timeWaitCount());
    }

    static Stream<Arguments> synsWithTimestamps() {
        return Stream.of(
                Arguments.of("newer TSval, lower seq: reopens", 2000, REMOTE_ISS - 1000, true),
                Arguments.of("newer TSval, higher seq: reopens", 1003, REMOTE_ISS + 1000, true),
                Arguments.of("equal TSval, higher seq: reopens", 1002, REMOTE_ISS + 1000, true),
                Arguments.of("equal TSval, seq = RCV.NXT: ACK", 1002, REMOTE_ISS + 2, false),
                Arguments.of("older TSval, higher seq: ACK", 500, REMOTE_ISS + 1000, false),
                Arguments.of("older TSval by one, much higher seq: ACK", 1001, REMOTE_ISS + 1_000_000, false));
    }

    // RFC 6191 §2: with timestamps, the SYN reopens the pair if its TSval is greater than the last one seen, or equal
    // with a higher sequence number; otherwise it is an old duplicate. RFC 6191 says to drop it silently; Linux
    // (tcp_timewait_state_process, PAWS reject -> TCP_TW_ACK) and this stack answer with the TIME-WAIT ACK.
    @ParameterizedTest(name = "{0}")
    @MethodSource("synsWithTimestamps")
    void timeWait_synWithTimestamps_reopensOnlyIfNewer(String name, int tsVal, int seq, boolean reopens) {
        try (ConnectionHarness h = new ConnectionHarness()) {
            serverTimeWaitWithTimestamps(h);
            h.receive(h.segment().flags(TcpFlags.SYN).seq(seq)
                    .options(new TcpOption.Mss(1460), new TcpOption.Timestamps(tsVal, 0)));
            Sent answer = h.expectSent();
            h.expectNothingSent();
            if (reopens) {
                answer.assertFlags(TcpFlags.SYN | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2 + 65535 + 2, seq + 1);
                assertEquals(tsVal, answer.tcp().options().timestamps().orElseThrow().tsEcr());
                assertEquals(0, h.stack.timeWaitCount());
                assertEquals(1, h.stack.connectionCount());
            } else {
                answer.assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                assertEquals(1002, answer.tcp().options().timestamps().orElseThrow().tsEcr());
                assertEquals(1, h.stack.timeWaitCount());
                assertEquals(0, h.stack.connectionCount());
            }
        }
    }

    // Over the wire, with RFC 6528 ISNs: the server closed first and holds TIME-WAIT; the client reconnects from the
    // same port a second later. Its SYN is newer (sequence number without timestamps, RFC 9293 §3.6.1; TSval with
    // them, RFC 6191), so the pair reopens, and the server's new ISS is above its old SND.NXT.
    @ParameterizedTest(name = "timestamps {0}")
    @ValueSource(booleans = {false, true})
    void timeWait_clientReconnectsFromSamePort_pairReopens(boolean timestamps) {
        RecordingObserver rec = new RecordingObserver();
        TcpConfig tcp = TcpConfig.linux().toBuilder().timestamps(timestamps).build();
        try (TwoStacks net = CloseScenariosTest.twoStacks(tcp, rec)) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection client = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection server = listener.accept();
            CloseScenariosTest.write(net, client, "ping");
            net.settle();
            assertEquals("ping", CloseScenariosTest.read(net, server).text());
            server.close(net.now());
            net.settle();
            client.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, server.state());
            assertEquals(TcpState.CLOSED, client.state());
            assertEquals(1, net.b.timeWaitCount());
            Segment serverFin = rec.sentBy(TwoStacks.B).stream().filter(s -> s.has(TcpFlags.FIN)).findFirst().orElseThrow();
            int oldSndNxt = serverFin.seq() + 1;
            int firstClientIsn = rec.sentBy(TwoStacks.A).get(0).seq();

            net.advance(seconds(1));
            rec.clear();
            TcpConnection again = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(TcpState.ESTABLISHED, again.state(), net.lastTrace(6));
            TcpConnection reopened = listener.accept();
            assertNotNull(reopened);
            assertEquals(0, net.b.timeWaitCount());
            assertEquals(List.of("S"), rec.flagsSentBy(TwoStacks.A).subList(0, 1));
            assertTrue(SeqNum.gt(rec.sentBy(TwoStacks.A).get(0).seq(), firstClientIsn + 2 + 4),
                    "precondition: the new ISN is above the old incarnation's sequence space");
            Segment synAck = rec.sentBy(TwoStacks.B).get(0);
            assertEquals("S.", synAck.flagString());
            assertEquals(oldSndNxt + 65535 + 2, synAck.seq(), "ISS above the old SND.NXT");
            assertEquals("TIME-WAIT -> CLOSED", rec.stateChanges(server.id()).get(0).transition());
        }
    }

    // ------------------------------------------------------------------------------------
    // Port reuse
    // ------------------------------------------------------------------------------------

    // SO_REUSEADDR: without it, listening on a port held by TIME-WAIT entries is refused (Linux: bind EADDRINUSE);
    // with it, allowed. Once 2MSL is over the port is free either way.
    @Test
    void listen_portHeldByTimeWait_refusedWithoutReuseAddress_allowedWithIt() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection server = listener.accept();
            server.close(net.now());
            net.settle();
            client.close(net.now());
            net.settle();
            assertEquals(1, net.b.timeWaitCount());
            listener.close(net.now());

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.b.listen(net.now(), 80, 16, false));
            assertTrue(e.getMessage().contains("TIME-WAIT"), e.getMessage());
            TcpListener reused = net.b.listen(net.now(), 80, 16, true);
            assertEquals(80, reused.port());
            reused.close(net.now());

            net.advance(seconds(60));
            assertEquals(0, net.b.timeWaitCount());
            net.b.listen(net.now(), 80, 16, false).close(net.now());
        }
    }

    // RFC 9293 §3.10.1 / §3.6.1: a connection may not be opened on a four-tuple whose TIME-WAIT is still running
    // (Linux connect() with an explicit port: EADDRNOTAVAIL); another remote port is a different tuple.
    @Test
    void connect_explicitLocalPortWhoseTupleIsInTimeWait_refused() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection client = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection server = listener.accept();
            client.close(net.now());
            net.settle();
            server.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state());

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 80));
            assertTrue(e.getMessage().contains("TIME-WAIT"), e.getMessage());
            assertEquals(0, net.a.connectionCount());
            TcpConnection other = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 81);
            assertEquals(TcpState.SYN_SENT, other.state());
            net.settle();
            assertEquals(CloseReason.REFUSED, other.closeReason(), "nobody listens on 81");

            net.advance(seconds(60));
            TcpConnection later = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(TcpState.ESTABLISHED, later.state());
        }
    }

    // ------------------------------------------------------------------------------------
    // Pile-up and ephemeral ports
    // ------------------------------------------------------------------------------------

    // DESIGN.md §13: 1000 short connections closed by the client leave ~1000 TIME-WAIT entries on the client and none
    // on the server; all expire after 2MSL (TcpExtTW).
    @Test
    void timeWaitPileUp_onTheSideThatClosesFirst() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 7, c -> c, false)) {
            TcpListener listener = net.b.listen(net.now(), 80, 128);
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 1000; i++) {
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                ports.add(client.id().localPort());
                net.settle();
                TcpConnection server = listener.accept();
                assertNotNull(server, "connection " + i);
                CloseScenariosTest.write(net, client, "GET /" + i);
                net.settle();
                assertEquals("GET /" + i, CloseScenariosTest.read(net, server).text());
                CloseScenariosTest.write(net, server, "200 OK");
                net.settle();
                assertEquals("200 OK", CloseScenariosTest.read(net, client).text());
                client.close(net.now());
                net.settle();
                assertEquals(-1, CloseScenariosTest.read(net, server).length());
                server.close(net.now());
                net.settle();
                assertEquals(TcpState.TIME_WAIT, client.state(), "connection " + i);
                assertEquals(CloseReason.NORMAL, server.closeReason());
                net.advance(millis(1));
            }
            assertEquals(1000, ports.size(), "every connection had its own ephemeral port");
            assertEquals(1000, net.a.timeWaitCount());
            assertEquals(0, net.a.connectionCount());
            assertEquals(0, net.b.timeWaitCount());
            assertEquals(0, net.b.connectionCount());
            assertEquals(1000, net.a.snapshot(net.now()).stream().filter(s -> s.state() == TcpState.TIME_WAIT).count());

            net.advance(seconds(59));
            assertTrue(net.a.timeWaitCount() > 0 && net.a.timeWaitCount() < 1000,
                    "the oldest have expired, the newest not yet: " + net.a.timeWaitCount());
            net.advance(seconds(1));
            assertEquals(0, net.a.timeWaitCount());
            assertEquals(1000, net.a.stats().get(Counter.TcpExtTW));
            assertEquals(0, net.b.stats().get(Counter.TcpExtTW));
        }
    }

    // Linux __inet_hash_connect / RFC 6056: an ephemeral port is not chosen while its four-tuple is in TIME-WAIT; once
    // every port's tuple is, connect fails, and a different destination still works.
    @Test
    void ephemeralPorts_notReusedWhileTheirTupleIsInTimeWait() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 3, c -> c.withEphemeralPorts(40000, 40002), true)) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                ports.add(client.id().localPort());
                net.settle();
                TcpConnection server = listener.accept();
                client.close(net.now());
                net.settle();
                server.close(net.now());
                net.settle();
                assertEquals(TcpState.TIME_WAIT, client.state());
            }
            assertEquals(Set.of(40000, 40001, 40002), ports);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> net.a.connect(net.now(), TwoStacks.B.bits(), 80));
            assertTrue(e.getMessage().contains("no free ephemeral port"), e.getMessage());

            TcpConnection elsewhere = net.a.connect(net.now(), TwoStacks.B.bits(), 81);
            assertTrue(ports.contains(elsewhere.id().localPort()), "same port, different tuple");
            net.settle();

            net.advance(seconds(60));
            assertEquals(0, net.a.timeWaitCount());
            TcpConnection later = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            assertEquals(TcpState.ESTABLISHED, later.state());
            assertNotEquals(null, listener.accept());
        }
    }

    private static long timeWaitLeft(TcpStack stack, long nowNanos) {
        List<ConnectionSnapshot> s = stack.snapshot(nowNanos);
        assertEquals(1, s.size());
        return s.get(0).timersLeftNanos().get(TcpTimer.TIME_WAIT);
    }
}
