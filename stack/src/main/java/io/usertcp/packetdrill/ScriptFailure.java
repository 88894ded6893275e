package io.usertcp.packetdrill;

/**
 * The script and the system under test disagreed, or the script needs something not emulated:
 * ends the run with {@link #failure()}.
 */
public final class ScriptFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient RunResult.Failure failure;
    /** True when the run ended because the script needs something not emulated, not on a mismatch. */
    final boolean unsupported;

    /** How the run ended; {@link RunResult.Failure#unsupported()} says whether it is unsupported. */
    public RunResult.Failure failure() {
        return failure;
    }

    /** True when the script needs something not emulated (UNSUPPORTED), false for a mismatch (FAIL). */
    public boolean isUnsupported() {
        return unsupported;
    }

    /** A mismatch. */
    public ScriptFailure(RunResult.Failure failure) {
        this(failure, false);
    }

    ScriptFailure(RunResult.Failure failure, boolean unsupported) {
        super(failure.message(), null, false, false);
        this.failure = failure;
        this.unsupported = unsupported;
    }

    /** The script at {@code e} needs {@code what}, which the runner does not emulate ({@code unsupported: what}). */
    public static ScriptFailure unsupported(Event e, String what) {
        return new ScriptFailure(new RunResult.Failure(e == null ? 0 : e.line(), e == null ? null : e.text(),
                what, null, null, true), true);
    }

    /** A failure at an event's line. */
    public static ScriptFailure at(Event e, String message, String expected, String actual) {
        return new ScriptFailure(new RunResult.Failure(e == null ? 0 : e.line(), e == null ? null : e.text(), message,
                expected, actual));
    }
}
