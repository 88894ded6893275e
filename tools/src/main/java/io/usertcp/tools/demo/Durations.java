package io.usertcp.tools.demo;

import java.util.Locale;

/** Durations for people: {@code 180ms}, {@code 2.5s}, {@code 59sec} style. */
public final class Durations {
    private Durations() {}

    /** {@code 850µs}, {@code 12ms}, {@code 1.5s}, {@code 59s}. */
    public static String compact(long nanos) {
        if (nanos < 0) {
            return "-" + compact(-nanos);
        }
        if (nanos < 1_000_000L) {
            return (nanos / 1_000) + "µs";
        }
        if (nanos < 1_000_000_000L) {
            return (nanos / 1_000_000) + "ms";
        }
        if (nanos < 10_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
        }
        return (nanos / 1_000_000_000L) + "s";
    }

    /** Seconds with millisecond precision, for a time column: {@code 0.512s}. */
    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.3fs", nanos / 1e9);
    }
}
