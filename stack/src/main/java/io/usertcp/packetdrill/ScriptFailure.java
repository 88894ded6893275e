package io.usertcp.packetdrill;

/** The script and the stack disagreed: ends the run with {@link #failure}. */
final class ScriptFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient RunResult.Failure failure;

    ScriptFailure(RunResult.Failure failure) {
        super(failure.message(), null, false, false);
        this.failure = failure;
    }

    /** A failure at an event's line. */
    static ScriptFailure at(Event e, String message, String expected, String actual) {
        return new ScriptFailure(new RunResult.Failure(e == null ? 0 : e.line(), e == null ? null : e.text(), message,
                expected, actual));
    }
}
