package io.usertcp.tools.ladder;

import static io.usertcp.tools.ladder.LadderGoldenTest.describe;
import static io.usertcp.tools.ladder.Segments.ACK;
import static io.usertcp.tools.ladder.Segments.C;
import static io.usertcp.tools.ladder.Segments.FIN;
import static io.usertcp.tools.ladder.Segments.PSH;
import static io.usertcp.tools.ladder.Segments.RST;
import static io.usertcp.tools.ladder.Segments.S;
import static io.usertcp.tools.ladder.Segments.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link StateInference} on hand-built segment sequences, one per arc of RFC 9293's state diagram
 * (§3.3.2, Figure 5) that a capture can show, and the capture-point effects (crossing segments,
 * losses) it must read right. C = client (left), S = server (right).
 */
class StateInferenceTest {

    @Test
    void passiveSideClosesLater_finWait2Visible_thenTimeWaitAndLastAck() {
        // RFC 9293 Figure 12 with the server's FIN in its own segment: FIN-WAIT-1 → FIN-WAIT-2 on
        // the ACK of our FIN (§3.10.7.4, fifth, FIN-WAIT-1), FIN-WAIT-2 → TIME-WAIT on the FIN (eighth).
        Ladder l = new Segments().handshake()
                .add(C, FIN | ACK, 1001, 5001, 0)
                .add(S, ACK, 5001, 1002, 0)
                .add(S, FIN | ACK, 5001, 1002, 0)
                .add(C, ACK, 1002, 5002, 0).ladder();
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                "->  FIN,ACK seq=1 ack=1  [FIN-WAIT-1 | CLOSE-WAIT]",
                "<-  ACK ack=2  [FIN-WAIT-2 | CLOSE-WAIT]",
                "<-  FIN,ACK seq=1 ack=2  [TIME-WAIT | LAST-ACK]",
                "->  ACK ack=2  [TIME-WAIT | CLOSED]",
                "end  [TIME-WAIT | CLOSED]"), describe(l));
    }

    @Test
    void crossingFins_capturedAtServer_bothSidesGoThroughClosing() {
        // RFC 9293 Figure 13 seen from the server's side: its FIN passes the capture point first, then
        // the client's FIN, which does not acknowledge the server's (the client sent it before the
        // server's FIN arrived). Each side: FIN-WAIT-1 → CLOSING (§3.10.7.4, eighth) → TIME-WAIT.
        Ladder l = new Segments().handshake()
                .add(S, FIN | ACK, 5001, 1001, 0)
                .add(C, FIN | ACK, 1001, 5001, 0)
                .add(S, ACK, 5002, 1002, 0)
                .add(C, ACK, 1002, 5002, 0).ladder();
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                // The server's FIN is in flight: the client is still ESTABLISHED when it sends its own.
                "<-  FIN,ACK seq=1 ack=1  [ESTABLISHED | FIN-WAIT-1]",
                "->  FIN,ACK seq=1 ack=1  [FIN-WAIT-1 | CLOSING]",
                "<-  ACK ack=2  [TIME-WAIT | CLOSING]",
                "->  ACK ack=2  [TIME-WAIT | TIME-WAIT]",
                "end  [TIME-WAIT | TIME-WAIT]"), describe(l));
    }

    @Test
    void simultaneousOpen_bothSynSent_thenSynReceived_thenEstablished() {
        // RFC 9293 Figure 8: both send SYN (CLOSED → SYN-SENT); each receives the other's SYN in
        // SYN-SENT → SYN-RECEIVED and sends SYN,ACK (§3.10.7.3, fourth); each receives the other's
        // SYN,ACK in SYN-RECEIVED → ESTABLISHED (§3.10.7.4, fifth). The server's SYN,ACK was sent before
        // the client's SYN,ACK arrived, so the server is still SYN-RECEIVED when it sends it; the
        // client's SYN,ACK reaches it before the client's data.
        Ladder l = new Segments()
                .add(C, SYN, 1000, 0, 0)
                .add(S, SYN, 5000, 0, 0)
                .add(C, SYN | ACK, 1000, 5001, 0)
                .add(S, SYN | ACK, 5000, 1001, 0)
                .add(C, PSH | ACK, 1001, 5001, 3).ladder();
        assertEquals(List.of(
                "start  [CLOSED | CLOSED]",
                "->  SYN seq=0  [SYN-SENT | CLOSED]",
                "<-  SYN seq=0  [SYN-RECEIVED | SYN-SENT]",
                "->  SYN,ACK seq=0 ack=1  [SYN-RECEIVED | SYN-RECEIVED]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  PSH,ACK 1:4(3) ack=1  [ESTABLISHED | ESTABLISHED]",
                "end  [ESTABLISHED | ESTABLISHED]"), describe(l));
    }

    @Test
    void simultaneousOpen_captureEndsEarly_lastSynAckDeliveredAtTheEnd() {
        Ladder l = new Segments()
                .add(C, SYN, 1000, 0, 0)
                .add(S, SYN, 5000, 0, 0)
                .add(C, SYN | ACK, 1000, 5001, 0)
                .add(S, SYN | ACK, 5000, 1001, 0).ladder();
        assertEquals("<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]", describe(l).get(4));
        // The client's SYN,ACK was still in flight at the last row; it takes the server to ESTABLISHED.
        assertEquals("end  [ESTABLISHED | ESTABLISHED]", describe(l).get(5));
        assertEquals(true, l.finalDiffers());
    }

    @Test
    void synToSilentHost_retransmitted_responderStateUnknown() {
        // RFC 9293 §3.8.1 / RFC 6298: the SYN is retransmitted; nothing answers, so nothing is known of the peer.
        Ladder l = new Segments().add(C, SYN, 1000, 0, 0).add(C, SYN, 1000, 0, 0).ladder();
        assertEquals(List.of(
                "start  [CLOSED | ?]",
                "->  SYN seq=0  [SYN-SENT | ?]",
                "->  SYN seq=0  [SYN-SENT | ?]",
                "end  [SYN-SENT | ?]"), describe(l));
    }

    @Test
    void synSent_rstWithWrongAck_ignored_rstAckingTheSyn_closes() {
        // RFC 9293 §3.10.7.3 (SYN-SENT, first and second): a RST is acceptable only if its ACK acknowledges the SYN.
        Ladder l = new Segments()
                .add(C, SYN, 1000, 0, 0)
                .add(S, RST | ACK, 0, 999, 0)
                .add(C, SYN, 1000, 0, 0)
                .add(S, RST | ACK, 0, 1001, 0).ladder();
        assertEquals(List.of(
                "start  [CLOSED | CLOSED]",
                "->  SYN seq=0  [SYN-SENT | CLOSED]",
                "<-  RST,ACK seq=0 ack=4294967295  [SYN-SENT | CLOSED]",
                "->  SYN seq=0  [SYN-SENT | CLOSED]",
                "<-  RST,ACK seq=0 ack=1  [CLOSED | CLOSED]",
                "end  [CLOSED | CLOSED]"), describe(l));
    }

    @Test
    void halfClose_peerKeepsSendingInCloseWait_thenCloses() {
        // DESIGN.md §13, half close: after the client's FIN the server may still send (CLOSE-WAIT),
        // and the client keeps receiving in FIN-WAIT-2 (RFC 9293 §3.10.7.4, seventh, FIN-WAIT-2).
        Ladder l = new Segments().handshake()
                .add(C, FIN | ACK, 1001, 5001, 0)
                .add(S, ACK, 5001, 1002, 0)
                .add(S, PSH | ACK, 5001, 1002, 5)
                .add(C, ACK, 1002, 5006, 0)
                .add(S, FIN | ACK, 5006, 1002, 0)
                .add(C, ACK, 1002, 5007, 0).ladder();
        assertEquals(List.of(
                "->  FIN,ACK seq=1 ack=1  [FIN-WAIT-1 | CLOSE-WAIT]",
                "<-  ACK ack=2  [FIN-WAIT-2 | CLOSE-WAIT]",
                "<-  PSH,ACK 1:6(5) ack=2  [FIN-WAIT-2 | CLOSE-WAIT]",
                "->  ACK ack=6  [FIN-WAIT-2 | CLOSE-WAIT]",
                "<-  FIN,ACK seq=6 ack=2  [TIME-WAIT | LAST-ACK]",
                "->  ACK ack=7  [TIME-WAIT | CLOSED]"), describe(l).subList(4, 10));
    }

    @Test
    void lostFin_retransmitted_receiverMovesToCloseWaitWhenTheRetransmissionPasses() {
        // The first FIN is lost after the capture point: the server's next segment does not
        // acknowledge it, so the server was not in CLOSE-WAIT then (it arrives with the retransmission).
        Ladder l = new Segments().handshake()
                .add(C, FIN | ACK, 1001, 5001, 0)
                .add(S, PSH | ACK, 5001, 1001, 4)
                .add(C, FIN | ACK, 1001, 5005, 0)
                .add(S, ACK, 5005, 1002, 0).ladder();
        assertEquals(List.of(
                "->  FIN,ACK seq=1 ack=1  [FIN-WAIT-1 | ESTABLISHED]",
                "<-  PSH,ACK 1:5(4) ack=1  [FIN-WAIT-1 | ESTABLISHED]",
                "->  FIN,ACK seq=1 ack=5  [FIN-WAIT-1 | CLOSE-WAIT]",
                "<-  ACK ack=2  [FIN-WAIT-2 | CLOSE-WAIT]"), describe(l).subList(4, 8));
    }

    @Test
    void finalAckLost_lastAckRetransmitsFin_timeWaitAcksAgain() {
        // DESIGN.md §13: the server closed first and is in TIME-WAIT; its ACK of the client's FIN is
        // lost after the capture point, so the client (LAST-ACK) retransmits its FIN, which TIME-WAIT
        // ACKs again (RFC 9293 §3.10.7.4, eighth, TIME-WAIT). The client's retransmission shows it never
        // got the first ACK (it resends what that ACK acknowledged): it stays LAST-ACK until the second.
        Ladder l = new Segments().handshake()
                .add(S, FIN | ACK, 5001, 1001, 0)
                .add(C, FIN | ACK, 1001, 5002, 0)
                .add(S, ACK, 5002, 1002, 0)
                .add(C, FIN | ACK, 1001, 5002, 0)
                .add(S, ACK, 5002, 1002, 0).ladder();
        assertEquals(List.of(
                "<-  FIN,ACK seq=1 ack=1  [CLOSE-WAIT | FIN-WAIT-1]",
                // The client's FIN acks the server's: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT in one segment.
                "->  FIN,ACK seq=1 ack=2  [LAST-ACK | TIME-WAIT]",
                "<-  ACK ack=2  [LAST-ACK | TIME-WAIT]",
                "->  FIN,ACK seq=1 ack=2  [LAST-ACK | TIME-WAIT]",
                "<-  ACK ack=2  [CLOSED | TIME-WAIT]",
                "end  [CLOSED | TIME-WAIT]"), describe(l).subList(4, 10));
    }

    @Test
    void captureStartsMidConnection_bothAssumedEstablished() {
        Ladder l = new Segments()
                .add(C, PSH | ACK, 2000, 7000, 10)
                .add(S, ACK, 7000, 2010, 0)
                .add(S, FIN | ACK, 7000, 2010, 0).ladder();
        assertEquals(List.of(
                "start  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 0:10(10) ack=0  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=10  [ESTABLISHED | ESTABLISHED]",
                "<-  FIN,ACK seq=0 ack=10  [CLOSE-WAIT | FIN-WAIT-1]",
                "end  [CLOSE-WAIT | FIN-WAIT-1]"), describe(l));
    }

    @Test
    void resetByServerInEstablished_bothClosed() {
        // RFC 9293 §3.10.7.4 (second, RST in a synchronized state): CLOSED; the sender of a RST has
        // aborted (§3.10.5) and is CLOSED too.
        Ladder l = new Segments().handshake().add(S, RST, 5001, 0, 0).ladder();
        assertEquals("<-  RST seq=1  [CLOSED | CLOSED]", describe(l).get(4));
    }

    @Test
    void labels_sequenceSpaceWraps_relativeNumbersStaySmall_zeroWindowShown() {
        // ISNs just below 2^32: relative numbers are taken modulo 2^32 (RFC 9293 §3.4).
        Ladder l = new Segments()
                .add(C, SYN, 0xFFFF_FFFE, 0, 0)
                .add(S, SYN | ACK, 0xFFFF_FFF0, 0xFFFF_FFFF, 0)
                .add(C, PSH | ACK, 0xFFFF_FFFF, 0xFFFF_FFF1, 4)
                .add(S, ACK, 0xFFFF_FFF1, 3, 0, 0).ladder();
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  PSH,ACK 1:5(4) ack=1  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=5 win=0  [ESTABLISHED | ESTABLISHED]",
                "end  [ESTABLISHED | ESTABLISHED]"), describe(l));
    }
}
