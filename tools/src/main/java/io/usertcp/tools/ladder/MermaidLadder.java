package io.usertcp.tools.ladder;

import io.usertcp.tcp.TcpState;
import java.util.List;

/**
 * Draws ladders as Mermaid {@code sequenceDiagram}s: a participant per endpoint, a message per
 * segment ({@code [0.000123] SYN seq=0}), and a {@code Note over} a side with its state whenever it
 * changes (and at the start). One connection gives a bare diagram (a {@code .mmd} file); several
 * give Markdown with one fenced {@code mermaid} block per connection, which GitHub renders and
 * {@code mmdc} accepts.
 *
 * <p>Mermaid's grammar ends a message at {@code #}, {@code ;} or a newline; labels and endpoint
 * names never contain them.
 */
public final class MermaidLadder {
    private MermaidLadder() {}

    public static String render(List<Ladder> ladders) {
        return render(ladders, 1, ladders.size());
    }

    /** Numbers the ladders {@code firstNumber}, {@code firstNumber + 1}, ... of {@code count} in their titles. */
    public static String render(List<Ladder> ladders, int firstNumber, int count) {
        if (ladders.size() == 1) {
            return diagram(ladders.get(0), firstNumber, count);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ladders.size(); i++) {
            if (i > 0) {
                out.append('\n');
            }
            out.append("## ").append(Captions.title(ladders.get(i), firstNumber + i, count)).append("\n\n");
            out.append("```mermaid\n").append(diagram(ladders.get(i), firstNumber + i, count)).append("```\n");
        }
        return out.toString();
    }

    private static String diagram(Ladder ladder, int number, int count) {
        StringBuilder out = new StringBuilder("sequenceDiagram\n");
        out.append("    %% ").append(Captions.title(ladder, number, count)).append('\n');
        out.append("    participant L as ").append(ladder.left()).append('\n');
        out.append("    participant R as ").append(ladder.right()).append('\n');
        note(out, "L", Ladder.name(ladder.leftInitial()));
        note(out, "R", Ladder.name(ladder.rightInitial()));
        TcpState left = ladder.leftInitial();
        TcpState right = ladder.rightInitial();
        for (Ladder.Row r : ladder.rows()) {
            String time = "[" + Captions.seconds(r.timeNanos() - ladder.originNanos()) + "] ";
            switch (r.kind()) {
                case ARROW_RIGHT -> out.append("    L->>R: ").append(time).append(r.label()).append('\n');
                case ARROW_LEFT -> out.append("    R->>L: ").append(time).append(r.label()).append('\n');
                case NOTE_LEFT, NOTE_RIGHT -> { } // the state note below says what and why
            }
            // A note row has no message: its note carries the time and the cause.
            String prefix = r.kind().arrow() ? "" : time;
            String why = r.kind().arrow() ? "" : " (" + r.label() + ")";
            if (r.left() != left || r.kind() == Ladder.Kind.NOTE_LEFT) {
                note(out, "L", prefix + Ladder.name(r.left()) + (r.kind() == Ladder.Kind.NOTE_LEFT ? why : ""));
            }
            if (r.right() != right || r.kind() == Ladder.Kind.NOTE_RIGHT) {
                note(out, "R", prefix + Ladder.name(r.right()) + (r.kind() == Ladder.Kind.NOTE_RIGHT ? why : ""));
            }
            left = r.left();
            right = r.right();
        }
        if (ladder.finalDiffers()) {
            // Segments still in flight when the capture stopped.
            if (ladder.leftFinal() != left) {
                note(out, "L", Ladder.name(ladder.leftFinal()) + " (after the capture)");
            }
            if (ladder.rightFinal() != right) {
                note(out, "R", Ladder.name(ladder.rightFinal()) + " (after the capture)");
            }
        }
        return out.toString();
    }

    private static void note(StringBuilder out, String participant, String text) {
        out.append("    Note over ").append(participant).append(": ").append(text).append('\n');
    }
}
