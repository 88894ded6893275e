package io.usertcp.packetdrill;

/**
 * When a script event happens, as written: {@code 0.1} (absolute), {@code +0.1} (relative to the
 * end of the previous event), {@code *} (any time), {@code 0.1~0.3} (a range), and for blocking
 * system calls {@code 1.0...6.0}: the call starts at {@code start} and must return at {@code end}.
 * All times in microseconds.
 *
 * @param kind              how {@code startMicros} is meant
 * @param startMicros       the start (absolute or relative)
 * @param rangeEndMicros    end of a {@code ~} range, or -1
 * @param blockingEndMicros when a blocking call must return, or -1
 * @param blockingEndRelative whether {@code blockingEndMicros} is relative to the start ({@code ...+1.0})
 */
public record EventTime(Kind kind, long startMicros, long rangeEndMicros, long blockingEndMicros,
                        boolean blockingEndRelative) {

    public enum Kind {
        ABSOLUTE,
        RELATIVE,
        ANY
    }

    public static EventTime absolute(long micros) {
        return new EventTime(Kind.ABSOLUTE, micros, -1, -1, false);
    }

    public static EventTime relative(long micros) {
        return new EventTime(Kind.RELATIVE, micros, -1, -1, false);
    }

    public static EventTime any() {
        return new EventTime(Kind.ANY, 0, -1, -1, false);
    }

    public boolean isRange() {
        return rangeEndMicros >= 0;
    }

    public boolean isBlocking() {
        return blockingEndMicros >= 0;
    }

    /** The time as written in a script. */
    public String format() {
        String start = switch (kind) {
            case ANY -> "*";
            case RELATIVE -> "+" + seconds(startMicros);
            case ABSOLUTE -> seconds(startMicros);
        };
        if (isRange()) {
            start += "~" + (kind == Kind.RELATIVE ? "+" : "") + seconds(rangeEndMicros);
        }
        if (isBlocking()) {
            start += "..." + (blockingEndRelative ? "+" : "") + seconds(blockingEndMicros);
        }
        return start;
    }

    static String seconds(long micros) {
        return String.format(java.util.Locale.ROOT, "%d.%06d", micros / 1_000_000, Math.abs(micros % 1_000_000))
                .replaceAll("0{1,4}$", "");
    }
}
