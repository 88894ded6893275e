package io.usertcp.tools.bench;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress lines for people, on stderr (stdout carries the table): each line carries the seconds
 * since the run began. Thread-safe.
 */
public final class Progress {
    private final PrintWriter out;
    private final long startNanos = System.nanoTime();

    /** @param out where the lines go; {@code null} prints nothing */
    public Progress(PrintWriter out) {
        this.out = out;
    }

    /** A progress printer that prints nothing. */
    public static Progress silent() {
        return new Progress(null);
    }

    /** Prints one line: {@code [  12.3 s] text}. */
    public void say(String text) {
        if (out == null) {
            return;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        synchronized (out) {
            out.printf(Locale.ROOT, "[%6.1f s] %s%n", seconds, text);
            out.flush();
        }
    }
}
