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
 * @param trace   what each event observed, in the order the events ran (empty when the runner kept
 *                no trace): for {@code --target both}, where two runs of one script first differ
 */
public record RunResult(String script, Failure failure, List<String> skipped, List<String> notes, Status status,
                        List<Observation> trace) {
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
        trace = List.copyOf(trace);
        if (status == null || (status == Status.PASS) != (failure == null)
                || failure != null && failure.unsupported() != (status == Status.UNSUPPORTED)) {
            throw new IllegalArgumentException("status " + status + " with failure " + failure
                    + " (expected: PASS without a failure, FAIL or UNSUPPORTED with one)");
        }
    }

    /** A result without a trace. */
    public RunResult(String script, Failure failure, List<String> skipped, List<String> notes, Status status) {
        this(script, failure, skipped, notes, status, List.of());
    }

    /** A passed (no failure) or failed result. */
    public RunResult(String script, Failure failure, List<String> skipped, List<String> notes) {
        this(script, failure, skipped, notes, failure == null ? Status.PASS : Status.FAIL);
    }

    /**
     * What one event of the script observed.
     *
     * @param line     the event's 1-based script line
     * @param event    the line as written
     * @param observed what happened, in script notation: an outbound packet as sent
     *                 ({@code > S. 0:0(0) ack 1 win 65535 <mss 1460>}), a system call's return
     *                 ({@code = 0}, {@code = -1 EAGAIN}), {@code sent} for an inbound packet, {@code ran}
     *                 for a command
     */
    public record Observation(int line, String event, String observed) {}

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
