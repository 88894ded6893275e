package io.usertcp.runtime;

/**
 * A call into a {@link StackRunner} whose thread no longer runs: it was closed, or it died. When it
 * died, {@link #getCause()} is what killed it and the message says so, e.g.
 * {@code "the stack thread died (java.lang.Error: boom); calls fail from now on"}.
 */
public final class StackStoppedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    StackStoppedException(String threadName, Throwable death) {
        super(death == null ? "the stack runner is stopped (" + threadName + " was closed)"
                : "the stack thread " + threadName + " died (" + death + "); calls fail from now on", death);
    }

    /** Whether the thread died of an unexpected failure (rather than being closed). */
    public boolean died() {
        return getCause() != null;
    }
}
