package io.usertcp.tools.ladder;

import io.usertcp.tcp.TcpState;
import io.usertcp.wire.TcpFlags;
import java.util.List;

/**
 * Draws ladders as one self-contained SVG image (no scripts, fonts or links): per connection a
 * title, a box per endpoint over its vertical line, one arrow per segment with its label above it
 * and the time at the left, and each side's state in a coloured box beside its line. A state that
 * just changed is drawn solid, one that did not is faded, so the eye finds the transitions.
 *
 * <p>Colours: SYN blue, FIN orange, RST red, data black, bare ACK grey; states by phase (opening
 * blue, ESTABLISHED green, active close amber, passive close pink, CLOSED/LISTEN grey).
 */
public final class SvgLadder {
    private static final double CHAR_WIDTH = 7.3; // 12 px monospace
    private static final double TITLE_CHAR_WIDTH = 8.6; // 14 px bold sans-serif, generously
    private static final int MARGIN = 16;
    private static final int TIME_WIDTH = 80;
    private static final int GAP = 8;
    private static final int STATE_WIDTH = 104;
    private static final int MIN_ARROW = 360;
    private static final int ROW = 30;
    private static final int TITLE = 22;
    private static final int HEADER = 28;

    private SvgLadder() {}

    public static String render(List<Ladder> ladders) {
        return render(ladders, 1, ladders.size());
    }

    /** Numbers the ladders {@code firstNumber}, {@code firstNumber + 1}, ... of {@code count} in their titles. */
    public static String render(List<Ladder> ladders, int firstNumber, int count) {
        int width = 0;
        int height = MARGIN;
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < ladders.size(); i++) {
            Ladder ladder = ladders.get(i);
            Geometry g = new Geometry(ladder, Captions.title(ladder, firstNumber + i, count));
            body.append("  <g transform=\"translate(0,").append(height).append(")\">\n");
            block(body, ladder, g, firstNumber + i, count);
            body.append("  </g>\n");
            height += g.height + MARGIN;
            width = Math.max(width, g.width);
        }
        StringBuilder out = new StringBuilder();
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        out.append("  <title>TCP ladder diagram</title>\n");
        out.append("  <style>\n");
        out.append("    text { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12px; fill: #111827; }\n");
        out.append("    .title { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; font-size: 14px; font-weight: bold; }\n");
        out.append("    .time { fill: #4b5563; }\n");
        out.append("    .note { font-style: italic; fill: #4b5563; }\n");
        out.append("    .lifeline { stroke: #9ca3af; stroke-width: 2; }\n");
        out.append("    .endpoint { fill: #f3f4f6; stroke: #374151; stroke-width: 1; }\n");
        out.append("    .state { stroke: #374151; stroke-width: 1; }\n");
        out.append("    .unchanged { opacity: 0.45; }\n");
        out.append("  </style>\n");
        out.append("  <defs>\n");
        for (Style s : Style.values()) {
            out.append("    <marker id=\"head-").append(s.id).append("\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\"")
                    .append(" markerWidth=\"10\" markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">")
                    .append("<path d=\"M0,0 L10,5 L0,10 z\" fill=\"").append(s.colour).append("\"/></marker>\n");
        }
        out.append("  </defs>\n");
        out.append("  <rect x=\"0\" y=\"0\" width=\"").append(width).append("\" height=\"").append(height).append("\" fill=\"#ffffff\"/>\n");
        out.append(body);
        out.append("</svg>\n");
        return out.toString();
    }

    /** Where everything of one ladder goes. */
    private static final class Geometry {
        final int leftLine;
        final int rightLine;
        final int width;
        final int firstRow;
        final int height;
        final int lines;

        Geometry(Ladder ladder, String title) {
            int titleWidth = MARGIN + (int) Math.ceil(title.length() * TITLE_CHAR_WIDTH) + MARGIN;
            int longest = 0;
            for (Ladder.Row r : ladder.rows()) {
                longest = Math.max(longest, r.label().length());
            }
            int arrow = Math.max(MIN_ARROW, (int) Math.ceil(longest * CHAR_WIDTH) + 80);
            this.leftLine = MARGIN + TIME_WIDTH + GAP + STATE_WIDTH + GAP;
            this.rightLine = leftLine + arrow;
            this.width = Math.max(rightLine + GAP + STATE_WIDTH + MARGIN, titleWidth);
            this.firstRow = TITLE + HEADER + 24;
            this.lines = 1 + ladder.rows().size() + (ladder.finalDiffers() ? 1 : 0);
            this.height = firstRow + (lines - 1) * ROW + 20;
        }

        int y(int line) {
            return firstRow + line * ROW;
        }
    }

    private static void block(StringBuilder out, Ladder ladder, Geometry g, int number, int count) {
        out.append("    <text class=\"title\" x=\"").append(MARGIN).append("\" y=\"16\">")
                .append(escape(Captions.title(ladder, number, count))).append("</text>\n");
        int headerTop = TITLE;
        out.append("    <text class=\"time\" x=\"").append(MARGIN).append("\" y=\"").append(headerTop + 18).append("\">time (s)</text>\n");
        endpoint(out, ladder.left().toString(), g.leftLine, headerTop);
        endpoint(out, ladder.right().toString(), g.rightLine, headerTop);
        int bottom = g.y(g.lines - 1) + 14;
        for (int x : new int[] {g.leftLine, g.rightLine}) {
            out.append("    <line class=\"lifeline\" x1=\"").append(x).append("\" y1=\"").append(headerTop + HEADER)
                    .append("\" x2=\"").append(x).append("\" y2=\"").append(bottom).append("\"/>\n");
        }
        states(out, g, g.y(0), ladder.leftInitial(), ladder.rightInitial(), true, true);
        TcpState left = ladder.leftInitial();
        TcpState right = ladder.rightInitial();
        int line = 1;
        for (Ladder.Row r : ladder.rows()) {
            int y = g.y(line++);
            out.append("    <text class=\"time\" x=\"").append(MARGIN).append("\" y=\"").append(y + 4).append("\">")
                    .append(Captions.seconds(r.timeNanos() - ladder.originNanos())).append("</text>\n");
            switch (r.kind()) {
                case ARROW_RIGHT, ARROW_LEFT -> arrow(out, g, y, r);
                case NOTE_LEFT -> out.append("    <text class=\"note\" x=\"").append(g.leftLine + 10).append("\" y=\"").append(y + 4)
                        .append("\">").append(escape(r.label())).append("</text>\n");
                case NOTE_RIGHT -> out.append("    <text class=\"note\" text-anchor=\"end\" x=\"").append(g.rightLine - 10)
                        .append("\" y=\"").append(y + 4).append("\">").append(escape(r.label())).append("</text>\n");
            }
            states(out, g, y, r.left(), r.right(), r.left() != left, r.right() != right);
            left = r.left();
            right = r.right();
        }
        if (ladder.finalDiffers()) {
            int y = g.y(line);
            out.append("    <text class=\"note\" text-anchor=\"middle\" x=\"").append((g.leftLine + g.rightLine) / 2)
                    .append("\" y=\"").append(y + 4).append("\">after the capture: segments still in flight arrive</text>\n");
            states(out, g, y, ladder.leftFinal(), ladder.rightFinal(), ladder.leftFinal() != left, ladder.rightFinal() != right);
        }
    }

    private static void endpoint(StringBuilder out, String name, int x, int top) {
        int w = (int) Math.ceil(name.length() * CHAR_WIDTH) + 20;
        out.append("    <rect class=\"endpoint\" x=\"").append(x - w / 2).append("\" y=\"").append(top).append("\" width=\"").append(w)
                .append("\" height=\"").append(HEADER - 4).append("\" rx=\"4\"/>\n");
        out.append("    <text text-anchor=\"middle\" font-weight=\"bold\" x=\"").append(x).append("\" y=\"").append(top + 16).append("\">")
                .append(escape(name)).append("</text>\n");
    }

    private static void arrow(StringBuilder out, Geometry g, int y, Ladder.Row r) {
        Style style = Style.of(r.segment() == null ? 0 : r.segment().flags(), r.segment() == null ? 0 : r.segment().payloadLength());
        boolean right = r.kind() == Ladder.Kind.ARROW_RIGHT;
        int from = right ? g.leftLine : g.rightLine;
        int to = right ? g.rightLine : g.leftLine;
        out.append("    <line x1=\"").append(from).append("\" y1=\"").append(y).append("\" x2=\"").append(to).append("\" y2=\"").append(y)
                .append("\" stroke=\"").append(style.colour).append("\" stroke-width=\"1.5\" marker-end=\"url(#head-").append(style.id)
                .append(")\"/>\n");
        out.append("    <text text-anchor=\"middle\" x=\"").append((g.leftLine + g.rightLine) / 2).append("\" y=\"").append(y - 5)
                .append("\" style=\"fill: ").append(style.colour).append("\">").append(escape(r.label())).append("</text>\n");
    }

    private static void states(StringBuilder out, Geometry g, int y, TcpState left, TcpState right, boolean leftChanged,
                               boolean rightChanged) {
        state(out, g.leftLine - GAP - STATE_WIDTH, y, left, leftChanged);
        state(out, g.rightLine + GAP, y, right, rightChanged);
    }

    private static void state(StringBuilder out, int x, int y, TcpState state, boolean changed) {
        out.append(changed ? "    <g>" : "    <g class=\"unchanged\">");
        out.append("<rect class=\"state\" x=\"").append(x).append("\" y=\"").append(y - 10).append("\" width=\"")
                .append(STATE_WIDTH).append("\" height=\"20\" rx=\"4\" fill=\"").append(fill(state)).append('"')
                .append(state == null ? " stroke-dasharray=\"3,2\"" : "").append("/>");
        out.append("<text text-anchor=\"middle\" x=\"").append(x + STATE_WIDTH / 2).append("\" y=\"").append(y + 4).append('"')
                .append(changed ? " font-weight=\"bold\"" : "").append('>').append(Ladder.name(state)).append("</text></g>\n");
    }

    private static String fill(TcpState state) {
        if (state == null) {
            return "#ffffff";
        }
        return switch (state) {
            case CLOSED, LISTEN -> "#e5e7eb";
            case SYN_SENT, SYN_RECEIVED -> "#dbeafe";
            case ESTABLISHED -> "#dcfce7";
            case FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT -> "#fef3c7";
            case CLOSE_WAIT, LAST_ACK -> "#fce7f3";
        };
    }

    /** How an arrow is coloured, by what the segment does. */
    private enum Style {
        RST("rst", "#b91c1c"),
        SYN("syn", "#1d4ed8"),
        FIN("fin", "#c2410c"),
        DATA("data", "#111827"),
        ACK("ack", "#6b7280");

        final String id;
        final String colour;

        Style(String id, String colour) {
            this.id = id;
            this.colour = colour;
        }

        static Style of(int flags, int payloadLength) {
            if ((flags & TcpFlags.RST) != 0) {
                return RST;
            }
            if ((flags & TcpFlags.SYN) != 0) {
                return SYN;
            }
            if ((flags & TcpFlags.FIN) != 0) {
                return FIN;
            }
            return payloadLength > 0 ? DATA : ACK;
        }
    }

    private static String escape(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
