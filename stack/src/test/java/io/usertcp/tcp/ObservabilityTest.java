package io.usertcp.tcp;

import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.RecordingObserver.Segment;
import io.usertcp.testkit.RecordingObserver.StateChange;
import io.usertcp.testkit.RecordingObserver.TimerEvent;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpFlags;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md §8: what the stack tells those who watch it — the {@link ConnectionObserver}'s
 * segments, state changes with causes and timer events; {@code snapshot()} for an ss-like view with
 * timers' time left; {@link StackStats} counters named like Linux's nstat.
 */
class ObservabilityTest {

    private static List<String> transitionsWithCauses(RecordingObserver rec, ConnectionId id) {
        return rec.stateChanges(id).stream().map(s -> s.transition() + " (" + s.cause() + ")").toList();
    }

    // DESIGN.md §8: the observer sees every segment in and out and every state change, with its cause, for a full
    // open and close on both sides (RFC 9293 Figure 6 / §3.5, §3.6).
    @Test
    void observer_fullOpenAndClose_everySegmentAndStateChangeWithCause() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            client.close(net.now());
            net.settle();
            server.close(net.now());
            net.settle();
            net.advance(seconds(60));

            assertEquals(List.of(
                    "CLOSED -> SYN-SENT (user OPEN (active))",
                    "SYN-SENT -> ESTABLISHED (rcv SYN,ACK)",
                    "ESTABLISHED -> FIN-WAIT-1 (user CLOSE)",
                    "FIN-WAIT-1 -> FIN-WAIT-2 (rcv ACK of FIN)",
                    "FIN-WAIT-2 -> TIME-WAIT (rcv FIN)",
                    "TIME-WAIT -> CLOSED (2MSL timeout)"), transitionsWithCauses(rec, client.id()), rec.timeline());
            assertEquals(List.of(
                    "LISTEN -> SYN-RECEIVED (rcv SYN)",
                    "SYN-RECEIVED -> ESTABLISHED (rcv ACK of SYN)",
                    "ESTABLISHED -> CLOSE-WAIT (rcv FIN)",
                    "CLOSE-WAIT -> LAST-ACK (user CLOSE)",
                    "LAST-ACK -> CLOSED (rcv ACK of FIN)"), transitionsWithCauses(rec, server.id()), rec.timeline());

            assertEquals(List.of("S", ".", "F.", "."), rec.flagsSentBy(TwoStacks.A));
            assertEquals(List.of("S.", ".", "F."), rec.flagsSentBy(TwoStacks.B));
            // A lossless wire: each side receives exactly what the other sent, in order, byte for byte.
            assertEquals(lines(rec.sentBy(TwoStacks.A)), lines(rec.receivedBy(TwoStacks.B)));
            assertEquals(lines(rec.sentBy(TwoStacks.B)), lines(rec.receivedBy(TwoStacks.A)));
            assertTrue(rec.sentBy(TwoStacks.A).get(0).line().startsWith(
                    "198.18.0.1." + client.id().localPort() + " > 198.18.0.2.80: Flags [S], seq "), rec.sentBy(TwoStacks.A).get(0).line());

            // Each "rcv ..." state change comes right after the segment that caused it arrived at that stack.
            List<Object> events = rec.events();
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i) instanceof StateChange change && change.cause().startsWith("rcv ")) {
                    Object before = events.get(i - 1);
                    assertTrue(before instanceof Segment in && !in.outbound()
                            && in.at().bits() == change.id().localAddress(), change + " follows " + before);
                }
            }
        }
    }

    private static List<String> lines(List<Segment> segments) {
        return segments.stream().map(Segment::line).toList();
    }

    // DESIGN.md §2, §8: timer expiries are observer events, each followed by what the timer does. RFC 9293 §3.8.6.3
    // (delayed ACK, 40 ms on Linux), RFC 6298 (SYN retransmission after the initial 1 s RTO), RFC 1122 §4.2.3.6
    // (keep-alive), and RFC 9293 §3.6.1 (2MSL).
    @Test
    void observer_timerEvents_delayedAckRetransmitKeepaliveAndTimeWait() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            int[] dropped = {0};
            net.dropAtoB(p -> RecordingObserver.tcpHeader(p).flags() == TcpFlags.SYN && dropped[0]++ == 0);
            long t0 = net.now();
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.advance(seconds(1));
            assertEquals(TcpState.ESTABLISHED, client.state(), net.lastTrace(4));
            TcpConnection server = listener.accept();
            assertEquals(List.of(new TimerEvent(t0 + seconds(1), client.id(), TcpTimer.RETRANSMIT)), rec.timers());
            assertEquals("S", afterTimer(rec, 0).flagString(), "the SYN again");

            rec.clear();
            server.setQuickAck(net.now(), false); // TCP_QUICKACK 0: delay from the first segment
            long t1 = net.now();
            CloseScenariosTest.write(net, client, "one segment");
            net.settle();
            assertEquals(List.of("P."), rec.flagsSentBy(TwoStacks.A));
            assertEquals(List.of(), rec.flagsSentBy(TwoStacks.B), "the ACK is delayed");
            net.advance(millis(40));
            assertEquals(List.of(new TimerEvent(t1 + millis(40), server.id(), TcpTimer.DELAYED_ACK)), rec.timers());
            assertEquals(".", afterTimer(rec, 0).flagString());
            assertEquals(TwoStacks.B, afterTimer(rec, 0).at());

            rec.clear();
            long t2 = net.now();
            client.setKeepAlive(net.now(), true, seconds(30), seconds(5), 3);
            net.advance(seconds(30));
            assertEquals(List.of(new TimerEvent(t2 + seconds(30), client.id(), TcpTimer.KEEPALIVE)), rec.timers());
            assertEquals(".", afterTimer(rec, 0).flagString(), "the probe");
            client.setKeepAlive(net.now(), false, seconds(30), seconds(5), 3);

            assertEquals("one segment", CloseScenariosTest.read(net, server).text());
            client.close(net.now());
            net.settle();
            server.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state());
            rec.clear();
            long t3 = net.now();
            net.advance(seconds(60));
            assertEquals(List.of(new TimerEvent(t3 + seconds(60), client.id(), TcpTimer.TIME_WAIT)), rec.timers(),
                    rec.timeline());
            List<Object> events = rec.events();
            assertEquals(2, events.size(), rec.timeline());
            assertEquals("TIME-WAIT -> CLOSED", ((StateChange) events.get(1)).transition(), "the expiry, then its effect");
        }
    }

    // DESIGN.md §8: snapshot() gives one record per connection and per TIME-WAIT entry (an ss-like view), with the
    // time left on each armed timer; a snapshot is a value that does not change afterwards.
    @Test
    void snapshot_listsConnectionsAndTimeWaitEntriesWithTimersLeft() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection first = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            TcpConnection second = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection firstServer = listener.accept();
            TcpConnection secondServer = listener.accept();
            CloseScenariosTest.write(net, second, "abc");
            net.settle(); // the server ACKs the first data at once (quick ACK mode)
            second.setKeepAlive(net.now(), true, seconds(100), seconds(10), 5);
            first.close(net.now());
            net.settle();
            firstServer.close(net.now());
            net.settle();

            List<ConnectionSnapshot> before = net.a.snapshot(net.now());
            assertEquals(2, before.size(), before.toString());
            ConnectionSnapshot live = byId(before, second.id());
            ConnectionSnapshot tw = byId(before, first.id());
            assertEquals(TcpState.TIME_WAIT, tw.state());
            assertEquals(Map.of(TcpTimer.TIME_WAIT, seconds(60)), tw.timersLeftNanos());
            assertEquals(TcpState.ESTABLISHED, live.state());
            assertEquals(Set.of(TcpTimer.KEEPALIVE), live.timersLeftNanos().keySet(), "the data was ACKed: no RETRANSMIT");
            assertEquals(seconds(100), live.timersLeftNanos().get(TcpTimer.KEEPALIVE));
            assertEquals(millis(200), live.rtoNanos());
            assertEquals(1448, live.mss());
            assertTrue(live.timestamps() && live.sack());
            assertEquals(0, live.sendQueueBytes());
            assertEquals(0, live.inFlightBytes());
            assertNull(live.closeReason());

            List<ConnectionSnapshot> server = net.b.snapshot(net.now());
            assertEquals(1, server.size(), "the passive closer kept no TIME-WAIT");
            assertEquals(secondServer.id(), server.get(0).id());
            assertEquals(3, server.get(0).receiveQueueBytes(), "Recv-Q: unread bytes");

            net.advance(seconds(30));
            List<ConnectionSnapshot> after = net.a.snapshot(net.now());
            assertEquals(seconds(30), byId(after, first.id()).timersLeftNanos().get(TcpTimer.TIME_WAIT));
            assertEquals(seconds(70), byId(after, second.id()).timersLeftNanos().get(TcpTimer.KEEPALIVE));
            assertEquals(seconds(60), byId(before, first.id()).timersLeftNanos().get(TcpTimer.TIME_WAIT), "a value");
            assertEquals("abc", CloseScenariosTest.read(net, secondServer).text());
        }
    }

    private static ConnectionSnapshot byId(List<ConnectionSnapshot> snapshots, ConnectionId id) {
        return snapshots.stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(id + " not in " + snapshots));
    }

    // DESIGN.md §8 / RFC 4022 (TCP-MIB) / Linux nstat: after a scripted run — one orderly close, one abort, one refused
    // connect — each counter has the value the segments imply, on both stacks.
    @Test
    void stackStats_countersNamedLikeNstat_haveTheRightValuesAfterAScriptedRun() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 80, 16);
            TcpConnection orderly = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            TcpConnection aborted = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection orderlyServer = listener.accept();
            TcpConnection abortedServer = listener.accept();
            assertEquals(2, net.a.stats().currentEstablished());
            assertEquals(2, net.b.stats().currentEstablished());

            orderly.close(net.now());
            net.settle();
            assertEquals(1, net.a.stats().currentEstablished(), "FIN-WAIT-2 is not established");
            assertEquals(2, net.b.stats().currentEstablished(), "CLOSE-WAIT still is (RFC 4022 tcpCurrEstab)");
            orderlyServer.close(net.now());
            net.settle();
            assertEquals(1, net.b.stats().currentEstablished());

            aborted.abort(net.now());
            net.settle();
            assertEquals(CloseReason.RESET, abortedServer.closeReason());
            assertEquals(0, net.a.stats().currentEstablished());
            assertEquals(0, net.b.stats().currentEstablished());

            TcpConnection refused = net.a.connect(net.now(), TwoStacks.B.bits(), 81);
            net.settle();
            assertEquals(CloseReason.REFUSED, refused.closeReason());

            StackStats a = net.a.stats();
            StackStats b = net.b.stats();
            assertEquals(3, a.get(Counter.TcpActiveOpens));
            assertEquals(0, a.get(Counter.TcpPassiveOpens));
            assertEquals(1, a.get(Counter.TcpAttemptFails), "the refused connect");
            assertEquals(0, a.get(Counter.TcpEstabResets));
            assertEquals(1, a.get(Counter.TcpOutRsts), "the abort");
            assertEquals(0, b.get(Counter.TcpActiveOpens));
            assertEquals(2, b.get(Counter.TcpPassiveOpens));
            assertEquals(0, b.get(Counter.TcpAttemptFails));
            assertEquals(1, b.get(Counter.TcpEstabResets), "the abort reset an established connection");
            assertEquals(1, b.get(Counter.TcpOutRsts), "the refusal");
            // A sent S . F . (orderly), S . R (aborted), S (refused); B sent S. . F. (orderly), S. (aborted), R. (refused).
            assertEquals(8, a.get(Counter.TcpOutSegs));
            assertEquals(5, b.get(Counter.TcpOutSegs));
            assertEquals(a.get(Counter.TcpOutSegs), b.get(Counter.TcpInSegs));
            assertEquals(b.get(Counter.TcpOutSegs), a.get(Counter.TcpInSegs));
            assertEquals(0, a.get(Counter.TcpRetransSegs) + b.get(Counter.TcpRetransSegs));
            assertTrue(a.dropCounts().values().stream().allMatch(n -> n == 0), a.dropCounts().toString());
            assertTrue(b.dropCounts().values().stream().allMatch(n -> n == 0), b.dropCounts().toString());

            assertEquals(0, a.get(Counter.TcpExtTW));
            net.advance(seconds(60));
            assertEquals(1, a.get(Counter.TcpExtTW), "TcpExtTW counts TIME-WAIT entries that ran their course");

            Map<String, Long> nstat = a.snapshot();
            assertEquals(3L, nstat.get("TcpActiveOpens"));
            assertEquals(1L, nstat.get("TcpAttemptFails"));
            assertEquals(1L, nstat.get("TcpOutRsts"));
            assertEquals(1L, nstat.get("TcpExtTW"));
            assertEquals(0L, nstat.get("TcpCurrEstab"));
            assertFalse(nstat.containsKey("TcpRetransSegs"), "zero counters are left out, as nstat does");
        }
    }

    /** The event right after the {@code n}-th timer event, which must be a segment. */
    private static Segment afterTimer(RecordingObserver rec, int n) {
        List<Object> events = rec.events();
        int seen = 0;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof TimerEvent && seen++ == n) {
                return (Segment) events.get(i + 1);
            }
        }
        throw new AssertionError("no timer event " + n + " in\n" + rec.timeline());
    }
}
