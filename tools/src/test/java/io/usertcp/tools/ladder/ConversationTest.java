package io.usertcp.tools.ladder;

import static io.usertcp.tools.ladder.Segments.ACK;
import static io.usertcp.tools.ladder.Segments.C;
import static io.usertcp.tools.ladder.Segments.FIN;
import static io.usertcp.tools.ladder.Segments.RST;
import static io.usertcp.tools.ladder.Segments.S;
import static io.usertcp.tools.ladder.Segments.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Conversation#split}: one conversation per connection, by four-tuple, in order of first segment. */
class ConversationTest {
    private static final Endpoint C2 = new Endpoint(Ipv4Address.parse("198.18.0.1"), 40001);

    private static TcpSegment seg(long t, Endpoint from, Endpoint to, int flags, int seq, int ack) {
        return new TcpSegment(t, from, to, seq, ack, flags, 0, 65535);
    }

    @Test
    void interleavedConnections_splitByTuple_inOrderOfFirstSegment_leftIsTheSynSender() {
        List<TcpSegment> in = List.of(
                seg(1, C2, S, SYN, 100, 0),
                seg(2, C, S, SYN, 1000, 0),
                seg(3, S, C2, SYN | ACK, 500, 101),
                seg(4, S, C, SYN | ACK, 5000, 1001),
                seg(5, C, S, ACK, 1001, 5001),
                seg(6, C2, S, ACK, 101, 501));
        List<Conversation> cs = Conversation.split(in);
        assertEquals(2, cs.size());
        assertEquals(C2, cs.get(0).initiator());
        assertEquals(S, cs.get(0).responder());
        assertEquals(List.of(1L, 3L, 6L), cs.get(0).segments().stream().map(TcpSegment::timeNanos).toList());
        assertEquals(C, cs.get(1).initiator());
        assertEquals(List.of(2L, 4L, 5L), cs.get(1).segments().stream().map(TcpSegment::timeNanos).toList());
    }

    @Test
    void captureStartsWithSynAck_initiatorIsItsReceiver() {
        List<Conversation> cs = Conversation.split(List.of(seg(1, S, C, SYN | ACK, 5000, 1001), seg(2, C, S, ACK, 1001, 5001)));
        assertEquals(C, cs.get(0).initiator());
        assertEquals(S, cs.get(0).responder());
    }

    @Test
    void tupleReusedAfterBothFins_newSynStartsANewConversation_retransmittedSynDoesNot() {
        // RFC 9293 §3.6.1: a new incarnation of the same four-tuple begins with a new SYN (new ISN).
        List<TcpSegment> in = new ArrayList<>(List.of(
                seg(1, C, S, SYN, 1000, 0),
                seg(2, C, S, SYN, 1000, 0), // retransmission: same connection
                seg(3, S, C, SYN | ACK, 5000, 1001),
                seg(4, C, S, ACK, 1001, 5001),
                seg(5, C, S, FIN | ACK, 1001, 5001),
                seg(6, S, C, FIN | ACK, 5001, 1002),
                seg(7, C, S, ACK, 1002, 5002),
                seg(8, C, S, SYN, 90_000, 0),
                seg(9, S, C, SYN | ACK, 7000, 90_001)));
        List<Conversation> cs = Conversation.split(in);
        assertEquals(2, cs.size());
        assertEquals(7, cs.get(0).segments().size());
        assertEquals(List.of(8L, 9L), cs.get(1).segments().stream().map(TcpSegment::timeNanos).toList());
    }

    @Test
    void tupleReusedAfterReset_newSynStartsANewConversation() {
        List<Conversation> cs = Conversation.split(List.of(
                seg(1, C, S, SYN, 1000, 0),
                seg(2, S, C, RST | ACK, 0, 1001),
                seg(3, C, S, SYN, 2000, 0)));
        assertEquals(2, cs.size());
        assertEquals(List.of(3L), cs.get(1).segments().stream().map(TcpSegment::timeNanos).toList());
    }

    @Test
    void ladders_timesAreRelativeToTheFirstSegmentOfTheCapture() {
        List<Ladder> ladders = Ladders.fromSegments(List.of(
                seg(5_000, C2, S, SYN, 100, 0),
                seg(7_000, C, S, SYN, 1000, 0)));
        assertEquals(5_000, ladders.get(0).originNanos());
        assertEquals(5_000, ladders.get(1).originNanos());
        assertEquals(2, ladders.size());
    }
}
