package io.usertcp.tools.ladder;

import java.util.Locale;

/** Words shared by the renderers. */
final class Captions {
    private Captions() {}

    /** {@code connection 1 of 2: 198.18.0.1:40001 > 198.18.0.2:5000, 14 segments, states inferred from the segments} */
    static String title(Ladder ladder, int number, int count) {
        int segments = ladder.segmentCount();
        return "connection " + number + " of " + count + ": " + ladder.left() + " > " + ladder.right() + ", " + segments
                + (segments == 1 ? " segment" : " segments") + ", states " + source(ladder.stateSource());
    }

    private static String source(String stateSource) {
        return switch (stateSource) {
            case "inferred" -> "inferred from the segments";
            case "observed" -> "from the stack's state changes";
            default -> stateSource;
        };
    }

    /** Seconds with microseconds: {@code 0.000123}. */
    static String seconds(long nanos) {
        long micros = Math.floorDiv(nanos, 1000L);
        String sign = micros < 0 ? "-" : "";
        long abs = Math.abs(micros);
        return String.format(Locale.ROOT, "%s%d.%06d", sign, abs / 1_000_000L, abs % 1_000_000L);
    }
}
