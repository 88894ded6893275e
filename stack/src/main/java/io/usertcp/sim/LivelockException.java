package io.usertcp.sim;

/**
 * A simulation ran past its step cap, or processed too many events without virtual time moving:
 * two stacks (or a stack and its timers) keep answering each other forever. The message ends with
 * the last packets sent into the network.
 */
public final class LivelockException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public LivelockException(String message) {
        super(message);
    }
}
