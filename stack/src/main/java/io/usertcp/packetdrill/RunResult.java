package io.usertcp.packetdrill;

import java.util.List;

/**
 * The outcome of one script: passed, the first mismatch, or the first thing the script needs that
 * the runner does not emulate. Also what was not run (skipped commands, unsupported settings), so
 * nothing is silently ignored.
 *
 * @param script  the script's name
 * @param failure the first mismatch (FAIL) or what is not emulated (UNSUPPORTED, its message
 *                {@code unsupported: <what>}); null when the script passed
 * @param skipped script lines or settings that had no effect here, with why
 * @param notes   settings applied and other remarks, for a verbose report
 * @param status  PASS, FAIL or UNSUPPORTED
 */
public record RunResult(String script, Failure failure, List<String> skipped, List<String> notes, Status status) {
    /** How a script ended. */
    public enum Status {
        /** Every event happened as scripted. */
        PASS,
        /** The stack (or the script's syntax) disagreed with the script: a behaviour mismatch. */
        FAIL,
        /** The script needs something the runner does not emulate; says nothing about the stack. */
        UNSUPPORTED
    }

    public RunResult {
        skipped = List.copyOf(skipped);
        notes = List.copyOf(notes);
        if (status == null || (status == Status.PASS) != (failure == null)
                || failure != null && failure.unsupported() != (status == Status.UNSUPPORTED)) {
            throw new IllegalArgumentException("status " + status + " with failure " + failure
                    + " (expected: PASS without a failure, FAIL or UNSUPPORTED with one)");
        }
    }

    /** A passed (no failure) or failed result. */
    public RunResult(String script, Failure failure, List<String> skipped, List<String> notes) {
        this(script, failure, skipped, notes, failure == null ? Status.PASS : Status.FAIL);
    }

    public boolean passed() {
        return status == Status.PASS;
    }

    /** True when the script needs something the runner does not emulate. */
    public boolean unsupported() {
        return status == Status.UNSUPPORTED;
    }

    /**
     * Where and how the script and the stack disagreed.
     *
     * @param line     1-based script line (0 when the script as a whole failed)
     * @param event    that line as written
     * @param message  what went wrong, in one line
     * @param expected what the script expected, in script notation (may be null)
     * @param actual   what happened, in script notation (may be null)
     * @param unsupported true when {@code message} names what the script needs that is not emulated
     */
    public record Failure(int line, String event, String message, String expected, String actual, boolean unsupported) {
        /** A mismatch (not an unsupported feature). */
        public Failure(int line, String event, String message, String expected, String actual) {
            this(line, event, message, expected, actual, false);
        }

        /** {@code line N: message} ({@code line N: unsupported: what}), then {@code expected:} and {@code actual:} lines when known. */
        public String format() {
            StringBuilder sb = new StringBuilder();
            sb.append(line > 0 ? "line " + line + ": " : "").append(unsupported ? "unsupported: " : "").append(message);
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
