package io.usertcp.tools.ladder;

import static io.usertcp.tools.ladder.LadderGoldenTest.describe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.tools.demo.ObserverFanOut;
import io.usertcp.tools.pcap.TwoStackCaptures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link LadderRecorder} on live stacks: with both stacks observed the states come from the stacks'
 * own state-change events (and user actions and timers become note rows); with one stack observed
 * the other side's states are inferred from the segments.
 */
class LadderRecorderTest {

    @Test
    void bothStacksObserved_simultaneousClose_statesAreTheStacksOwn() throws Exception {
        LadderRecorder recorder = new LadderRecorder();
        RecordingObserver recording = new RecordingObserver();
        ConnectionObserver both = new ObserverFanOut(recorder, recording);
        List<Ladder> ladders;
        try (TwoStacks net = TwoStackCaptures.twoStacks(both, both)) {
            TwoStackCaptures.simultaneousClose(net);
            ladders = recorder.ladders();
        }
        assertEquals(1, ladders.size());
        Ladder l = ladders.get(0);
        assertEquals("observed", l.stateSource());
        // Each segment is seen leaving one stack and arriving at the other: one arrow each.
        assertEquals(recording.sentBy(TwoStacks.A).size() + recording.sentBy(TwoStacks.B).size(), l.segmentCount());
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "L:  user OPEN (active)  [SYN-SENT | LISTEN]",
                // The stack creates the SYN-RECEIVED child when the SYN arrives (before its SYN,ACK leaves).
                "->  SYN seq=0  [SYN-SENT | SYN-RECEIVED]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 1:5(4) ack=1  [ESTABLISHED | ESTABLISHED]",
                // The connection's first data is ACKed at once (quick ACK mode, as Linux), before the echo.
                "<-  ACK ack=5  [ESTABLISHED | ESTABLISHED]",
                "<-  PSH,ACK 1:5(4) ack=5  [ESTABLISHED | ESTABLISHED]",
                "->  ACK ack=5  [ESTABLISHED | ESTABLISHED]",
                // Both CLOSE at once (RFC 9293 §3.10.4: ESTABLISHED → FIN-WAIT-1), then the FINs cross
                // and each arrives in FIN-WAIT-1 → CLOSING, each ACK of a FIN → TIME-WAIT (Figure 13).
                "L:  user CLOSE  [FIN-WAIT-1 | ESTABLISHED]",
                "R:  user CLOSE  [FIN-WAIT-1 | FIN-WAIT-1]",
                "->  FIN,ACK seq=5 ack=5  [FIN-WAIT-1 | FIN-WAIT-1]",
                "<-  FIN,ACK seq=5 ack=5  [CLOSING | CLOSING]",
                "->  ACK ack=6  [CLOSING | CLOSING]",
                "<-  ACK ack=6  [TIME-WAIT | TIME-WAIT]",
                "end  [TIME-WAIT | TIME-WAIT]"), describe(l));
        // Drawn: note rows carry the cause on the side that changed.
        Goldens.check("simultaneous-close-observed.txt", LadderFormat.TEXT.render(ladders));
        Goldens.check("simultaneous-close-observed.mmd", LadderFormat.MERMAID.render(ladders));
        Goldens.check("simultaneous-close-observed.svg", LadderFormat.SVG.render(ladders));
        // The recorder's states are the stacks': same transitions, same order, per side.
        assertEquals(List.of("CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED", "ESTABLISHED -> FIN-WAIT-1",
                "FIN-WAIT-1 -> CLOSING", "CLOSING -> TIME-WAIT"), transitionsAt(recording, TwoStacks.A));
        assertEquals(List.of("LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED", "ESTABLISHED -> FIN-WAIT-1",
                "FIN-WAIT-1 -> CLOSING", "CLOSING -> TIME-WAIT"), transitionsAt(recording, TwoStacks.B));
    }

    @Test
    void onlyClientObserved_serverStatesInferred_timeWaitEndsInANoteAfter2Msl() {
        LadderRecorder recorder = new LadderRecorder();
        List<Ladder> ladders;
        try (TwoStacks net = TwoStackCaptures.twoStacks(recorder, ConnectionObserver.NONE)) {
            TwoStackCaptures.handshakeDataClose(net);
            ladders = recorder.ladders();
        }
        Ladder l = ladders.get(0);
        assertEquals("of 198.18.0.1:37257 from its stack, of 198.18.0.2:5000 inferred", l.stateSource());
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "L:  user OPEN (active)  [SYN-SENT | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 1:6(5) ack=1  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=6  [ESTABLISHED | ESTABLISHED]", // quick ACK of the first data
                "<-  PSH,ACK 1:7(6) ack=6  [ESTABLISHED | ESTABLISHED]",
                // Quick ACK too: A's write came before any data did, so it was no reply (Linux ato 0, no ping-pong).
                "->  ACK ack=7  [ESTABLISHED | ESTABLISHED]",
                "L:  user CLOSE  [FIN-WAIT-1 | ESTABLISHED]",
                "->  FIN,ACK seq=6 ack=7  [FIN-WAIT-1 | CLOSE-WAIT]",
                "<-  ACK ack=7  [FIN-WAIT-2 | CLOSE-WAIT]",
                "<-  FIN,ACK seq=7 ack=7  [TIME-WAIT | LAST-ACK]",
                "->  ACK ack=8  [TIME-WAIT | CLOSED]",
                // RFC 9293 §3.10.8 (time-wait timeout), Linux's 60 s.
                "L:  2MSL timeout  [CLOSED | CLOSED]",
                "end  [CLOSED | CLOSED]"), describe(l));
        long lastAck = l.rows().get(12).timeNanos();
        long closed = l.rows().get(13).timeNanos();
        assertEquals(60_000_000_000L, closed - lastAck, "TIME-WAIT lasts 2MSL = 60 s in the Linux profile");
    }

    @Test
    void sameTupleTwice_afterTimeWait_twoLaddersEachWithItsOwnStateChanges() {
        // RFC 9293 §3.6.1: after TIME-WAIT expires the four-tuple may be used again by a new
        // incarnation; the recorder draws each one separately and gives each its own events.
        LadderRecorder recorder = new LadderRecorder();
        List<Ladder> ladders;
        try (TwoStacks net = TwoStackCaptures.twoStacks(recorder, recorder)) {
            net.b.listen(net.now(), TwoStackCaptures.SERVER_PORT, 16);
            for (int i = 0; i < 2; i++) {
                io.usertcp.tcp.TcpConnection c = net.a.connect(net.now(), 40000, TwoStacks.B.bits(), TwoStackCaptures.SERVER_PORT);
                net.advance(io.usertcp.testkit.VirtualClock.millis(1));
                c.abort(net.now()); // RST: no TIME-WAIT, the tuple is free at once
                net.advance(io.usertcp.testkit.VirtualClock.millis(1));
            }
            ladders = recorder.ladders();
        }
        assertEquals(2, ladders.size());
        for (Ladder l : ladders) {
            assertEquals("198.18.0.1:40000", l.left().toString());
            assertEquals(List.of(
                    "start  [CLOSED | LISTEN]",
                    "L:  user OPEN (active)  [SYN-SENT | LISTEN]",
                    "->  SYN seq=0  [SYN-SENT | SYN-RECEIVED]",
                    "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                    "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                    // RFC 9293 §3.10.5 (ABORT in ESTABLISHED): send RST, CLOSED (in the linux profile as Linux
                    // tcp_send_active_reset() sends it: RST,ACK); the peer's RST processing (§3.10.7.4, second)
                    // closes it too.
                    "L:  user ABORT  [CLOSED | ESTABLISHED]",
                    "->  RST,ACK seq=1 ack=1  [CLOSED | CLOSED]",
                    "end  [CLOSED | CLOSED]"), describe(l));
        }
    }

    private static List<String> transitionsAt(RecordingObserver recording, io.usertcp.wire.Ipv4Address stack) {
        return recording.stateChangesAt(stack).stream().filter(c -> c.id().remotePort() != 0)
                .map(RecordingObserver.StateChange::transition).toList();
    }
}
