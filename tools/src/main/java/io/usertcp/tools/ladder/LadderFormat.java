package io.usertcp.tools.ladder;

import java.util.List;
import java.util.Locale;

/** The output formats of a ladder diagram. */
public enum LadderFormat {
    /** Plain ASCII for a terminal (and for golden files). */
    TEXT,
    /** A Mermaid {@code sequenceDiagram}; several connections become a Markdown file with one fenced diagram each. */
    MERMAID,
    /** A self-contained SVG image; several connections are stacked in one image. */
    SVG;

    public String render(List<Ladder> ladders) {
        return render(ladders, 1, ladders.size());
    }

    /**
     * Renders {@code ladders}, titled as connections {@code firstNumber}, {@code firstNumber + 1}, ...
     * of {@code count} (to draw one connection of a capture under its own number).
     */
    public String render(List<Ladder> ladders, int firstNumber, int count) {
        return switch (this) {
            case TEXT -> TextLadder.render(ladders, firstNumber, count);
            case MERMAID -> MermaidLadder.render(ladders, firstNumber, count);
            case SVG -> SvgLadder.render(ladders, firstNumber, count);
        };
    }

    /** {@code text}, {@code mermaid}, {@code svg}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
