package io.usertcp.tools.demo;

import java.io.PrintStream;

/**
 * Prints what a demo or scenario does, for a person: titles, numbered steps, a few words on what
 * happens and why, live state changes of both sides, and tables. Colour only on a terminal (and
 * never with {@code NO_COLOR} set). Thread-safe: lines from the stack and watcher threads do not
 * interleave mid-line.
 */
public final class Narrator {
    private static final String RESET = "\u001b[0m";
    private static final String BOLD = "\u001b[1m";
    private static final String DIM = "\u001b[2m";
    private static final String CYAN = "\u001b[36m";
    private static final String GREEN = "\u001b[32m";
    private static final String YELLOW = "\u001b[33m";
    private static final String RED = "\u001b[31m";
    private static final String MAGENTA = "\u001b[35m";

    private final PrintStream out;
    private final boolean color;
    private final long startNanos;
    private volatile boolean quiet;

    public Narrator(PrintStream out, boolean color) {
        this.out = out;
        this.color = color;
        this.startNanos = System.nanoTime();
    }

    /** Colour when stdout is a terminal and NO_COLOR is not set. */
    public static boolean colorByDefault() {
        return System.console() != null && System.getenv("NO_COLOR") == null;
    }

    /** A narrator that prints nothing (tests that only look at results). */
    public static Narrator silent() {
        Narrator n = new Narrator(new PrintStream(PrintStream.nullOutputStream()), false);
        n.quiet = true;
        return n;
    }

    /** When the narration started, on the stack clock. */
    public long startNanos() {
        return startNanos;
    }

    public synchronized void title(String text) {
        out.println();
        out.println(paint(BOLD, text));
        out.println(paint(DIM, "=".repeat(Math.min(100, text.length()))));
    }

    public synchronized void step(String text) {
        out.println();
        out.println(paint(BOLD + CYAN, "▶ " + text));
    }

    /** What is happening, in a few words. */
    public synchronized void say(String text) {
        for (String line : text.split("\n")) {
            out.println("  " + line);
        }
    }

    /** Why it happens: the rule or the habit behind it. */
    public synchronized void why(String text) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            out.println("  " + paint(DIM, (i == 0 ? "why: " : "     ") + lines[i]));
        }
    }

    public synchronized void ok(String text) {
        out.println("  " + paint(GREEN, "✓ " + text));
    }

    public synchronized void warn(String text) {
        out.println("  " + paint(YELLOW, "! " + text));
    }

    public synchronized void fail(String text) {
        out.println("  " + paint(RED, "✗ " + text));
    }

    /** A live state change of our stack. */
    public synchronized void ours(long nanos, String connection, String change, String cause) {
        out.println("  " + paint(DIM, time(nanos)) + "  " + paint(GREEN, "ours  ") + "  " + pad(connection, 8)
                + change + (cause == null || cause.isEmpty() ? "" : paint(DIM, "   (" + cause + ")")));
    }

    /** A live state change of the kernel's socket. */
    public synchronized void kernel(long nanos, String connection, String change, String note) {
        out.println("  " + paint(DIM, time(nanos)) + "  " + paint(MAGENTA, "kernel") + "  " + pad(connection, 8)
                + change + (note == null || note.isEmpty() ? "" : paint(DIM, "   (" + note + ")")));
    }

    /** Lines printed as they are, indented (tables, program output). */
    public synchronized void block(String text) {
        for (String line : text.stripTrailing().split("\n")) {
            out.println("    " + line);
        }
    }

    /** A plain line, not indented. */
    public synchronized void line(String text) {
        out.println(text);
    }

    public boolean isQuiet() {
        return quiet;
    }

    private String time(long nanos) {
        return "+" + Durations.seconds(Math.max(0, nanos - startNanos));
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }

    private String paint(String style, String text) {
        return color ? style + text + RESET : text;
    }
}
