package io.usertcp.tools.ladder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ladders of three captures, checked twice: the inferred states row by row against RFC 9293's
 * state diagram (§3.3.2, Figure 5; the handshake Figure 7; the closes Figures 12 and 13), written
 * out here by hand, and the rendered text, Mermaid and SVG against golden files.
 *
 * <p>Captures: the stack's golden Linux captures {@code tcp-handshake-data-close.pcap} (Linux 6.18,
 * client 198.18.0.1 closes first) and {@code tcp-rst-closed-port.pcap} (a SYN to a closed port; an
 * abortive close with SO_LINGER {on, 0}), and our {@code simultaneous-close.pcap}
 * ({@link SimultaneousCloseCaptureTest}: two usertcp stacks close at the same instant).
 */
class LadderGoldenTest {

    /** {@code "->  SYN seq=0  [SYN-SENT | LISTEN]"}: direction, label, both states after the row. */
    static List<String> describe(Ladder ladder) {
        List<String> out = new ArrayList<>();
        out.add("start  [" + Ladder.name(ladder.leftInitial()) + " | " + Ladder.name(ladder.rightInitial()) + "]");
        for (Ladder.Row r : ladder.rows()) {
            String what = switch (r.kind()) {
                case ARROW_RIGHT -> "->  " + r.label();
                case ARROW_LEFT -> "<-  " + r.label();
                case NOTE_LEFT -> "L:  " + r.label();
                case NOTE_RIGHT -> "R:  " + r.label();
            };
            out.add(what + "  [" + Ladder.name(r.left()) + " | " + Ladder.name(r.right()) + "]");
        }
        out.add("end  [" + Ladder.name(ladder.leftFinal()) + " | " + Ladder.name(ladder.rightFinal()) + "]");
        return out;
    }

    @Test
    void linuxHandshakeDataClose_activeCloseByClient_statesFollowFigures7And12() throws Exception {
        List<Ladder> ladders = Goldens.ladders(Goldens.LINUX + "tcp-handshake-data-close.pcap");
        assertEquals(1, ladders.size());
        Ladder l = ladders.get(0);
        assertEquals("198.18.0.1:40001", l.left().toString());
        assertEquals("198.18.0.2:5000", l.right().toString());
        assertEquals(List.of(
                // Figure 7 (three-way handshake): the client sends SYN from CLOSED (active OPEN); the
                // server, listening, answers SYN,ACK and is SYN-RECEIVED; the client enters
                // ESTABLISHED on the SYN,ACK (§3.10.7.3) and the server on the ACK of its SYN (§3.10.7.4).
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                // Data each way does not change state. Relative numbers: hello\n is bytes 1..6.
                "->  PSH,ACK 1:7(6) ack=1  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=7  [ESTABLISHED | ESTABLISHED]",
                "<-  PSH,ACK 1:10(9) ack=7  [ESTABLISHED | ESTABLISHED]",
                "->  ACK ack=10  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 7:27(20) ack=10  [ESTABLISHED | ESTABLISHED]",
                "<-  PSH,ACK 10:33(23) ack=27  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 27:31(4) ack=33  [ESTABLISHED | ESTABLISHED]",
                "<-  PSH,ACK 33:40(7) ack=31  [ESTABLISHED | ESTABLISHED]",
                // Figure 12 (normal close): CLOSE in ESTABLISHED sends FIN → FIN-WAIT-1; the server
                // receives it → CLOSE-WAIT; its own FIN → LAST-ACK; that FIN also acks the client's
                // FIN, so the client goes FIN-WAIT-1 → FIN-WAIT-2 (ACK) → TIME-WAIT (FIN) in one segment
                // (§3.10.7.4, fifth then eighth step); the last ACK takes LAST-ACK to CLOSED.
                "->  FIN,ACK seq=31 ack=40  [FIN-WAIT-1 | CLOSE-WAIT]",
                "<-  FIN,ACK seq=40 ack=32  [TIME-WAIT | LAST-ACK]",
                "->  ACK ack=41  [TIME-WAIT | CLOSED]",
                "end  [TIME-WAIT | CLOSED]"), describe(l));
    }

    @Test
    void linuxRstClosedPort_refusedThenAborted_statesFollowRstRules() throws Exception {
        List<Ladder> ladders = Goldens.ladders(Goldens.LINUX + "tcp-rst-closed-port.pcap");
        assertEquals(2, ladders.size(), "two four-tuples, one diagram each, in order of first segment");
        assertEquals(List.of(
                // Nothing listens on 5999: the server side is CLOSED and answers the SYN with
                // RST,ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN> (§3.10.7.1); in SYN-SENT a RST whose ACK
                // acknowledges the SYN is acceptable and the client goes to CLOSED (§3.10.7.3).
                "start  [CLOSED | CLOSED]",
                "->  SYN seq=0  [SYN-SENT | CLOSED]",
                "<-  RST,ACK seq=0 ack=1  [CLOSED | CLOSED]",
                "end  [CLOSED | CLOSED]"), describe(ladders.get(0)));
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 1:18(17) ack=1  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=18  [ESTABLISHED | ESTABLISHED]",
                "<-  PSH,ACK 1:21(20) ack=18  [ESTABLISHED | ESTABLISHED]",
                "->  ACK ack=21  [ESTABLISHED | ESTABLISHED]",
                // SO_LINGER {on, 0}: close is ABORT (§3.10.5), a RST and straight to CLOSED, no
                // TIME-WAIT; the server receives an in-window RST in ESTABLISHED → CLOSED (§3.10.7.4, second).
                "->  RST,ACK seq=18 ack=21  [CLOSED | CLOSED]",
                "end  [CLOSED | CLOSED]"), describe(ladders.get(1)));
    }

    @Test
    void usertcpSimultaneousClose_finsCross_bothSidesGoThroughClosing() throws Exception {
        List<Ladder> ladders = Goldens.ladders(Goldens.OURS + SimultaneousCloseCaptureTest.NAME);
        assertEquals(1, ladders.size());
        assertEquals(List.of(
                "start  [CLOSED | LISTEN]",
                "->  SYN seq=0  [SYN-SENT | LISTEN]",
                "<-  SYN,ACK seq=0 ack=1  [ESTABLISHED | SYN-RECEIVED]",
                "->  ACK ack=1  [ESTABLISHED | ESTABLISHED]",
                "->  PSH,ACK 1:5(4) ack=1  [ESTABLISHED | ESTABLISHED]",
                "<-  ACK ack=5  [ESTABLISHED | ESTABLISHED]", // the server's quick ACK of the first data
                "<-  PSH,ACK 1:5(4) ack=5  [ESTABLISHED | ESTABLISHED]",
                "->  ACK ack=5  [ESTABLISHED | ESTABLISHED]",
                // Figure 13 (simultaneous close), captured at the client. Both CLOSE at once. The
                // server's FIN acks only 5, not the client's FIN (6): it was sent before the client's FIN
                // arrived, so the server sent it from ESTABLISHED → FIN-WAIT-1, and the client's FIN is
                // still in flight on the client's FIN row (server still ESTABLISHED there).
                "->  FIN,ACK seq=5 ack=5  [FIN-WAIT-1 | ESTABLISHED]",
                // The client receives a FIN that does not ack its own in FIN-WAIT-1 → CLOSING (§3.10.7.4, eighth).
                "<-  FIN,ACK seq=5 ack=5  [CLOSING | FIN-WAIT-1]",
                // The client's ACK of the server's FIN arrives after the client's FIN (in order): the
                // server went FIN-WAIT-1 → CLOSING on that FIN, then CLOSING → TIME-WAIT on this ACK.
                "->  ACK ack=6  [CLOSING | TIME-WAIT]",
                // The server's ACK of the client's FIN: CLOSING → TIME-WAIT (§3.10.7.4, fifth, CLOSING).
                "<-  ACK ack=6  [TIME-WAIT | TIME-WAIT]",
                "end  [TIME-WAIT | TIME-WAIT]"), describe(ladders.get(0)));
    }

    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource({
            "/io/usertcp/wire/golden/tcp-handshake-data-close.pcap, TEXT, tcp-handshake-data-close.txt",
            "/io/usertcp/wire/golden/tcp-handshake-data-close.pcap, MERMAID, tcp-handshake-data-close.mmd",
            "/io/usertcp/wire/golden/tcp-handshake-data-close.pcap, SVG, tcp-handshake-data-close.svg",
            "/io/usertcp/wire/golden/tcp-rst-closed-port.pcap, TEXT, tcp-rst-closed-port.txt",
            "/io/usertcp/wire/golden/tcp-rst-closed-port.pcap, MERMAID, tcp-rst-closed-port.md",
            "/io/usertcp/wire/golden/tcp-rst-closed-port.pcap, SVG, tcp-rst-closed-port.svg",
            "/io/usertcp/tools/ladder/simultaneous-close.pcap, TEXT, simultaneous-close.txt",
            "/io/usertcp/tools/ladder/simultaneous-close.pcap, MERMAID, simultaneous-close.mmd",
            "/io/usertcp/tools/ladder/simultaneous-close.pcap, SVG, simultaneous-close.svg",
    })
    void rendered_matchesGoldenFile(String capture, LadderFormat format, String golden) throws Exception {
        Goldens.check(golden, format.render(Goldens.ladders(capture)));
    }

    @Test
    void everyInferredState_isAnRfc9293StateOrUnknownOnlyWhereNoAnswerWasSeen() throws Exception {
        for (String capture : List.of(Goldens.LINUX + "tcp-handshake-data-close.pcap", Goldens.LINUX + "tcp-rst-closed-port.pcap",
                Goldens.LINUX + "tcp-no-options.pcap", Goldens.LINUX + "tcp-ecn-urg.pcap", Goldens.LINUX + "tcp-small-mss.pcap",
                Goldens.LINUX + "tcp-sack.pcap", Goldens.OURS + SimultaneousCloseCaptureTest.NAME)) {
            for (Ladder l : Goldens.ladders(capture)) {
                for (Ladder.Row r : l.rows()) {
                    assertEquals(true, r.left() != null && r.right() != null, capture + ": " + r);
                }
                // Every one of these captures starts with a handshake the server answers.
                assertEquals(TcpState.CLOSED, l.leftInitial(), capture);
            }
        }
    }
}
