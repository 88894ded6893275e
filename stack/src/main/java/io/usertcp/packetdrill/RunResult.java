package io.usertcp.packetdrill;

import java.util.List;

/**
 * The outcome of one script: passed, or the first mismatch. Also what was not run (skipped
 * commands, unsupported settings), so nothing is silently ignored.
 *
 * @param script  the script's name
 * @param failure the first mismatch, or null when the script passed
 * @param skipped script lines or settings that had no effect here, with why
 * @param notes   settings applied and other remarks, for a verbose report
 */
public record RunResult(String script, Failure failure, List<String> skipped, List<String> notes) {
    public RunResult {
        skipped = List.copyOf(skipped);
        notes = List.copyOf(notes);
    }

    public boolean passed() {
        return failure == null;
    }

    /**
     * Where and how the script and the stack disagreed.
     *
     * @param line     1-based script line (0 when the script as a whole failed)
     * @param event    that line as written
     * @param message  what went wrong, in one line
     * @param expected what the script expected, in script notation (may be null)
     * @param actual   what happened, in script notation (may be null)
     */
    public record Failure(int line, String event, String message, String expected, String actual) {
        /** {@code line N: message}, then {@code expected:} and {@code actual:} lines when known. */
        public String format() {
            StringBuilder sb = new StringBuilder();
            sb.append(line > 0 ? "line " + line + ": " : "").append(message);
            if (event != null && !event.isEmpty()) {
                sb.append("\n  script:   ").append(event);
            }
            if (expected != null) {
                sb.append("\n  expected: ").append(expected);
            }
            if (actual != null) {
                sb.append("\n  actual:   ").append(actual);
            }
            return sb.toString();
        }
    }
}
