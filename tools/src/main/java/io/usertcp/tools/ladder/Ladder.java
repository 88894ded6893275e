package io.usertcp.tools.ladder;

import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One connection drawn as a ladder: two endpoints, the states they start in, one row per segment
 * (an arrow) or per state change that no segment caused (a note: a user CLOSE, the 2MSL timer), and
 * the states they end in. A null state is unknown.
 *
 * @param left        the initiator, drawn on the left
 * @param right       the responder
 * @param originNanos the time rows are shown relative to (the first segment of the capture)
 * @param stateSource where the states come from: {@code "inferred"}, {@code "observed"}, or
 *                    {@code "observed left, inferred right"} and the like
 */
public record Ladder(Endpoint left, Endpoint right, long originNanos, TcpState leftInitial, TcpState rightInitial,
                     List<Row> rows, TcpState leftFinal, TcpState rightFinal, String stateSource) {

    /** What a row draws. */
    public enum Kind {
        /** A segment from left to right. */
        ARROW_RIGHT,
        /** A segment from right to left. */
        ARROW_LEFT,
        /** The left side changed state on its own (the label says why). */
        NOTE_LEFT,
        /** The right side changed state on its own. */
        NOTE_RIGHT;

        public boolean arrow() {
            return this == ARROW_RIGHT || this == ARROW_LEFT;
        }
    }

    /**
     * One row; {@code left} and {@code right} are both sides' states after it.
     *
     * @param segment the segment of an arrow row, null for a note
     */
    public record Row(long timeNanos, Kind kind, String label, TcpState left, TcpState right, TcpSegment segment) {
        public Row {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(label, "label");
        }
    }

    public Ladder {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
        rows = List.copyOf(rows);
    }

    /** The arrow rows' count. */
    public int segmentCount() {
        return (int) rows.stream().filter(r -> r.kind().arrow()).count();
    }

    /** Whether the end states differ from the last row's (something was still in flight), so renderers show them. */
    public boolean finalDiffers() {
        TcpState lastLeft = rows.isEmpty() ? leftInitial : rows.get(rows.size() - 1).left();
        TcpState lastRight = rows.isEmpty() ? rightInitial : rows.get(rows.size() - 1).right();
        return lastLeft != leftFinal || lastRight != rightFinal;
    }

    /** The ladder of a conversation with states from {@link StateInference}. */
    public static Ladder inferred(Conversation c, long originNanos) {
        StateInference.Result states = StateInference.infer(c);
        SegmentLabels labels = new SegmentLabels(c);
        List<Row> rows = new ArrayList<>(c.segments().size());
        for (int i = 0; i < c.segments().size(); i++) {
            TcpSegment s = c.segments().get(i);
            rows.add(new Row(s.timeNanos(), c.fromInitiator(s) ? Kind.ARROW_RIGHT : Kind.ARROW_LEFT, labels.label(s),
                    states.initiatorAfter().get(i), states.responderAfter().get(i), s));
        }
        return new Ladder(c.initiator(), c.responder(), originNanos, states.initiatorInitial(), states.responderInitial(),
                rows, states.initiatorFinal(), states.responderFinal(), "inferred");
    }

    /** RFC 9293's name, {@code ?} when unknown. */
    public static String name(TcpState state) {
        return state == null ? "?" : state.rfcName();
    }
}
