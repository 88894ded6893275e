package io.usertcp.runtime;

import io.usertcp.link.Link;

/**
 * A link the runner can wait on: a TUN device (poll on its fd and an eventfd), or a thread-safe
 * in-memory wire. {@link #wakeup()} may be called from any thread; everything else from the
 * runner's thread.
 */
public interface WaitableLink extends Link {

    /**
     * Blocks until a packet may be readable, {@link #wakeup()} is called, or {@code timeoutNanos}
     * pass. Spurious returns are allowed.
     *
     * @return whether a packet may be readable (false: the time ran out or only a wakeup came)
     */
    boolean awaitReadable(long timeoutNanos);

    /** Makes a current or the next {@link #awaitReadable} return promptly. Thread-safe. */
    void wakeup();
}
