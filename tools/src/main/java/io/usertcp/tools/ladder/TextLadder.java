package io.usertcp.tools.ladder;

import io.usertcp.tcp.TcpState;
import java.util.List;
import java.util.Locale;

/**
 * Draws ladders as plain ASCII for a terminal: the time (seconds from the first segment) at the
 * left, a vertical line per endpoint, one arrow per segment, each side's state beside its line.
 *
 * <pre>
 *   time (s)            198.18.0.1:40001                     198.18.0.2:5000
 *                         CLOSED |                                   | LISTEN
 *   0.000000            SYN-SENT |------------ SYN seq=0 ----------->| LISTEN
 *   0.000030            SYN-SENT |&lt;---- SYN,ACK seq=0 ack=1 ---------| SYN-RECEIVED
 * </pre>
 *
 * A state change that no segment caused (a user CLOSE, a timer; live recordings only) is a row
 * without an arrow, {@code * user CLOSE}, on the side that changed.
 */
public final class TextLadder {
    private static final int STATE_WIDTH = "SYN-RECEIVED".length();
    private static final int MIN_ARROW = 36;

    private TextLadder() {}

    public static String render(List<Ladder> ladders) {
        return render(ladders, 1, ladders.size());
    }

    /** Numbers the ladders {@code firstNumber}, {@code firstNumber + 1}, ... of {@code count} in their titles. */
    public static String render(List<Ladder> ladders, int firstNumber, int count) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ladders.size(); i++) {
            if (i > 0) {
                out.append('\n');
            }
            render(out, ladders.get(i), firstNumber + i, count);
        }
        return out.toString();
    }

    private static void render(StringBuilder out, Ladder ladder, int number, int count) {
        out.append(Captions.title(ladder, number, count)).append("\n\n");
        int timeWidth = "time (s)".length();
        for (Ladder.Row r : ladder.rows()) {
            timeWidth = Math.max(timeWidth, Captions.seconds(r.timeNanos() - ladder.originNanos()).length());
        }
        int arrow = MIN_ARROW;
        for (Ladder.Row r : ladder.rows()) {
            arrow = Math.max(arrow, r.label().length() + 12);
        }
        int leftBar = timeWidth + 2 + STATE_WIDTH + 1;
        int rightBar = leftBar + arrow + 1;
        line(out, header(ladder, timeWidth, leftBar, rightBar));
        line(out, row(timeWidth, "", ladder.leftInitial(), " ".repeat(arrow), ladder.rightInitial()));
        for (Ladder.Row r : ladder.rows()) {
            String middle = switch (r.kind()) {
                case ARROW_RIGHT -> arrowRight(r.label(), arrow);
                case ARROW_LEFT -> arrowLeft(r.label(), arrow);
                case NOTE_LEFT -> pad(" * " + r.label(), arrow);
                case NOTE_RIGHT -> padLeft(r.label() + " * ", arrow);
            };
            line(out, row(timeWidth, Captions.seconds(r.timeNanos() - ladder.originNanos()), r.left(), middle, r.right()));
        }
        if (ladder.finalDiffers()) {
            line(out, row(timeWidth, "end", ladder.leftFinal(), center("(in flight at the end of the capture)", arrow),
                    ladder.rightFinal()));
        }
    }

    private static String header(Ladder ladder, int timeWidth, int leftBar, int rightBar) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%" + timeWidth + "s", "time (s)"));
        String left = ladder.left().toString();
        String right = ladder.right().toString();
        int leftStart = Math.max(sb.length() + 2, leftBar - left.length() / 2);
        sb.append(" ".repeat(leftStart - sb.length())).append(left);
        int rightStart = Math.max(sb.length() + 2, rightBar - right.length() / 2);
        sb.append(" ".repeat(rightStart - sb.length())).append(right);
        return sb.toString();
    }

    private static String row(int timeWidth, String time, TcpState left, String middle, TcpState right) {
        return String.format(Locale.ROOT, "%" + timeWidth + "s  %" + STATE_WIDTH + "s |%s| %s", time, Ladder.name(left), middle,
                Ladder.name(right));
    }

    private static String arrowRight(String label, int width) {
        String inner = " " + label + " ";
        int dashes = width - 1 - inner.length();
        int before = dashes / 2;
        return "-".repeat(before) + inner + "-".repeat(dashes - before) + ">";
    }

    private static String arrowLeft(String label, int width) {
        String inner = " " + label + " ";
        int dashes = width - 1 - inner.length();
        int after = dashes / 2;
        return "<" + "-".repeat(dashes - after) + inner + "-".repeat(after);
    }

    private static String center(String text, int width) {
        int before = Math.max(0, (width - text.length()) / 2);
        return pad(" ".repeat(before) + text, width);
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }

    private static String padLeft(String text, int width) {
        return text.length() >= width ? text : " ".repeat(width - text.length()) + text;
    }

    private static void line(StringBuilder out, String line) {
        out.append(line.stripTrailing()).append('\n');
    }
}
