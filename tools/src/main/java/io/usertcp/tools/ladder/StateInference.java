package io.usertcp.tools.ladder;

import io.usertcp.tcp.TcpState;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Infers each endpoint's RFC 9293 state (§3.3.2, Figure 5) from the segments of one connection, as
 * seen from a single capture point, when no state-change events are available.
 *
 * <p>Every segment is a SEND event at its source and a RECEIVE event at its destination:
 * <ul>
 *   <li>send SYN: CLOSED → SYN-SENT; send SYN,ACK: LISTEN (or SYN-SENT, simultaneous open) → SYN-RECEIVED;
 *   <li>receive SYN,ACK acking our SYN in SYN-SENT → ESTABLISHED; receive SYN in SYN-SENT → SYN-RECEIVED
 *       (simultaneous open); receive the ACK of our SYN in SYN-RECEIVED → ESTABLISHED;
 *   <li>send FIN: ESTABLISHED (or SYN-RECEIVED) → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK;
 *   <li>receive the ACK of our FIN: FIN-WAIT-1 → FIN-WAIT-2, CLOSING → TIME-WAIT, LAST-ACK → CLOSED;
 *   <li>receive FIN (after the ACK in the same segment): ESTABLISHED → CLOSE-WAIT, FIN-WAIT-1 → CLOSING,
 *       FIN-WAIT-2 → TIME-WAIT;
 *   <li>send or receive RST → CLOSED (a listener stays in LISTEN; in SYN-SENT only a RST that acks the SYN counts).
 * </ul>
 *
 * <p>The capture point sees a segment when it passes, not when it arrives. Crossing segments (both
 * FINs in flight at once, a simultaneous close) would be misread if every segment were taken to
 * arrive when captured, so a RECEIVE waits while the receiver's own next segment shows that it had
 * not got it yet: its ACK does not cover the segment, it is a bare SYN, or it retransmits what the
 * segment acknowledged. A waiting segment is delivered before the receiver sends something that
 * acknowledges it, before any later segment in the same direction (TCP segments arrive in order
 * unless the network reorders them), or at the end of the capture.
 *
 * <p>Initial states: the sender of a first bare SYN starts CLOSED; its peer starts LISTEN if it
 * answers with SYN,ACK, CLOSED if it answers with RST, CLOSED if it sends its own SYN (simultaneous
 * open), and unknown (null) if it never answers. A capture that starts after the handshake starts
 * both sides ESTABLISHED; one that starts with a RST starts both unknown.
 */
public final class StateInference {

    /**
     * The states of both sides: before the first segment, after each segment (index as in
     * {@link Conversation#segments()}), and at the end of the capture, once every segment still in
     * flight has been delivered. A null state is unknown.
     */
    public record Result(TcpState initiatorInitial, TcpState responderInitial, List<TcpState> initiatorAfter,
                         List<TcpState> responderAfter, TcpState initiatorFinal, TcpState responderFinal) {
        public Result {
            initiatorAfter = Collections.unmodifiableList(new ArrayList<>(initiatorAfter));
            responderAfter = Collections.unmodifiableList(new ArrayList<>(responderAfter));
        }
    }

    /** What is known about one endpoint. */
    private static final class Side {
        TcpState state;
        Integer iss;
        boolean finSent;
        int finEnd;
        boolean peerFinSeen;
        /** Segments from the peer that passed the capture point but had not arrived yet, in order. */
        final ArrayDeque<TcpSegment> inFlight = new ArrayDeque<>();

        Side(TcpState initial) {
            this.state = initial;
        }
    }

    private final List<TcpSegment> segments;
    private final Conversation conversation;
    private final Side initiator;
    private final Side responder;

    private StateInference(Conversation conversation) {
        this.conversation = conversation;
        this.segments = conversation.segments();
        TcpState[] initial = initialStates();
        this.initiator = new Side(initial[0]);
        this.responder = new Side(initial[1]);
    }

    public static Result infer(Conversation conversation) {
        return new StateInference(conversation).run();
    }

    private Result run() {
        TcpState initiatorInitial = initiator.state;
        TcpState responderInitial = responder.state;
        TcpState[] afterI = new TcpState[segments.size()];
        TcpState[] afterR = new TcpState[segments.size()];
        for (int i = 0; i < segments.size(); i++) {
            TcpSegment x = segments.get(i);
            boolean fromInitiator = conversation.fromInitiator(x);
            Side sender = fromInitiator ? initiator : responder;
            Side receiver = fromInitiator ? responder : initiator;
            deliverWhatSendShows(sender, x);
            send(sender, x);
            arrive(receiver, x, nextSentBy(!fromInitiator, i + 1));
            afterI[i] = initiator.state;
            afterR[i] = responder.state;
        }
        deliverAll(initiator);
        deliverAll(responder);
        return new Result(initiatorInitial, responderInitial, Arrays.asList(afterI), Arrays.asList(afterR),
                initiator.state, responder.state);
    }

    private TcpState[] initialStates() {
        if (segments.isEmpty()) {
            return new TcpState[] {null, null};
        }
        TcpSegment first = segments.get(0);
        if (first.has(TcpFlags.RST)) {
            return new TcpState[] {null, null};
        }
        if (first.has(TcpFlags.SYN) && !first.has(TcpFlags.ACK)) {
            TcpSegment answer = nextSentBy(false, 1);
            TcpState responderInitial;
            if (answer == null) {
                responderInitial = null;
            } else if (answer.has(TcpFlags.RST)) {
                responderInitial = TcpState.CLOSED;
            } else if (answer.has(TcpFlags.SYN)) {
                responderInitial = answer.has(TcpFlags.ACK) ? TcpState.LISTEN : TcpState.CLOSED;
            } else {
                responderInitial = null;
            }
            return new TcpState[] {TcpState.CLOSED, responderInitial};
        }
        if (first.has(TcpFlags.SYN)) { // the capture starts with the SYN,ACK: the responder was listening
            return new TcpState[] {TcpState.SYN_SENT, TcpState.LISTEN};
        }
        return new TcpState[] {TcpState.ESTABLISHED, TcpState.ESTABLISHED};
    }

    /** The first segment at or after {@code from} sent by the initiator (or the responder). */
    private TcpSegment nextSentBy(boolean byInitiator, int from) {
        for (int j = from; j < segments.size(); j++) {
            if (conversation.fromInitiator(segments.get(j)) == byInitiator) {
                return segments.get(j);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------
    // When a segment arrives
    // ------------------------------------------------------------------------------------

    /** Before {@code side} sends {@code x}: deliver what it must have received, as {@code x} shows. */
    private void deliverWhatSendShows(Side side, TcpSegment x) {
        while (!side.inFlight.isEmpty()) {
            TcpSegment p = side.inFlight.peek();
            if (notYetReceived(p, x)) {
                return;
            }
            receive(side, side.inFlight.poll());
        }
    }

    /** {@code x} passed the capture point towards {@code side}, whose next segment is {@code next}. */
    private void arrive(Side side, TcpSegment x, TcpSegment next) {
        deliverAll(side); // in-order delivery: what was sent before x arrives before it
        if (next != null && notYetReceived(x, next)) {
            side.inFlight.add(x);
        } else {
            receive(side, x);
        }
    }

    private void deliverAll(Side side) {
        while (!side.inFlight.isEmpty()) {
            receive(side, side.inFlight.poll());
        }
    }

    /** Whether the receiver of {@code p} sent {@code y} without having received {@code p}. */
    private static boolean notYetReceived(TcpSegment p, TcpSegment y) {
        // y retransmits sequence space that p had acknowledged.
        if (p.has(TcpFlags.ACK) && y.sequenceLength() > 0 && !y.has(TcpFlags.RST) && SeqNum.le(y.end(), p.ack())) {
            return true;
        }
        if (p.sequenceLength() == 0) {
            return false;
        }
        if (y.has(TcpFlags.SYN) && !y.has(TcpFlags.ACK)) {
            return true; // a bare SYN acknowledges nothing: the peer's SYN had not arrived
        }
        return y.has(TcpFlags.ACK) && SeqNum.lt(y.ack(), p.end());
    }

    // ------------------------------------------------------------------------------------
    // Transitions
    // ------------------------------------------------------------------------------------

    /** RFC 9293 §3.10.1 (OPEN), §3.10.4 (CLOSE), §3.10.7 (what the peer does with our SYN/FIN/RST). */
    private static void send(Side s, TcpSegment x) {
        if (x.has(TcpFlags.RST)) {
            s.state = s.state == TcpState.LISTEN ? TcpState.LISTEN : TcpState.CLOSED;
            return;
        }
        if (x.has(TcpFlags.SYN)) {
            s.iss = x.seq();
            if (!x.has(TcpFlags.ACK)) {
                if (s.state == null || s.state == TcpState.CLOSED) {
                    s.state = TcpState.SYN_SENT;
                }
            } else if (s.state == null || s.state == TcpState.CLOSED || s.state == TcpState.LISTEN || s.state == TcpState.SYN_SENT) {
                s.state = TcpState.SYN_RECEIVED;
            }
        } else if (s.state == TcpState.SYN_SENT && x.has(TcpFlags.ACK)) {
            s.state = TcpState.ESTABLISHED; // it got a SYN,ACK the capture missed
        }
        if (x.has(TcpFlags.FIN) && !s.finSent) {
            s.finSent = true;
            s.finEnd = x.end();
            if (s.state == TcpState.ESTABLISHED || s.state == TcpState.SYN_RECEIVED) {
                s.state = TcpState.FIN_WAIT_1;
            } else if (s.state == TcpState.CLOSE_WAIT) {
                s.state = TcpState.LAST_ACK;
            }
        }
    }

    /** RFC 9293 §3.10.7: the steps that change state, in their order (RST, SYN, ACK, FIN). */
    private static void receive(Side s, TcpSegment x) {
        if (s.state == null || s.state == TcpState.CLOSED || s.state == TcpState.LISTEN) {
            return; // LISTEN moves when it answers (send SYN,ACK); CLOSED answers with RST and stays
        }
        if (x.has(TcpFlags.RST)) {
            // §3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN.
            boolean acceptable = s.state != TcpState.SYN_SENT
                    || (x.has(TcpFlags.ACK) && s.iss != null && x.ack() == SeqNum.add(s.iss, 1));
            if (acceptable) {
                s.state = TcpState.CLOSED;
            }
            return;
        }
        if (s.state == TcpState.SYN_SENT) {
            if (x.has(TcpFlags.SYN) && x.has(TcpFlags.ACK) && acksOurSyn(s, x)) {
                s.state = TcpState.ESTABLISHED; // §3.10.7.3, fourth: SYN,ACK
            } else if (x.has(TcpFlags.SYN) && !x.has(TcpFlags.ACK)) {
                s.state = TcpState.SYN_RECEIVED; // simultaneous open
                return;
            } else {
                return;
            }
        } else if (s.state == TcpState.SYN_RECEIVED) {
            if (!(x.has(TcpFlags.ACK) && acksOurSyn(s, x))) {
                return;
            }
            s.state = TcpState.ESTABLISHED; // §3.10.7.4, fifth: the ACK of our SYN
        }
        ackOfFin(s, x);
        fin(s, x);
    }

    private static boolean acksOurSyn(Side s, TcpSegment x) {
        return s.iss == null || SeqNum.ge(x.ack(), SeqNum.add(s.iss, 1));
    }

    /** §3.10.7.4, fifth (ACK) in FIN-WAIT-1, CLOSING and LAST-ACK. */
    private static void ackOfFin(Side s, TcpSegment x) {
        if (!s.finSent || !x.has(TcpFlags.ACK) || SeqNum.lt(x.ack(), s.finEnd)) {
            return;
        }
        switch (s.state) {
            case FIN_WAIT_1 -> s.state = TcpState.FIN_WAIT_2;
            case CLOSING -> s.state = TcpState.TIME_WAIT;
            case LAST_ACK -> s.state = TcpState.CLOSED;
            case CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT, TIME_WAIT -> { }
        }
    }

    /** §3.10.7.4, eighth (FIN). */
    private static void fin(Side s, TcpSegment x) {
        if (!x.has(TcpFlags.FIN) || s.peerFinSeen) {
            return;
        }
        s.peerFinSeen = true;
        switch (s.state) {
            case ESTABLISHED -> s.state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> s.state = TcpState.CLOSING;
            case FIN_WAIT_2 -> s.state = TcpState.TIME_WAIT;
            case CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT -> { }
        }
    }
}
