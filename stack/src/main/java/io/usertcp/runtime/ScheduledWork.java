package io.usertcp.runtime;

/**
 * Timed work of someone else's that a {@link StackRunner} runs on its thread, beside the stack's
 * own timers: an event loop's scheduled tasks (the Netty transport's {@code UsertcpEventLoop}
 * keeps Netty's {@code schedule(...)} queue and hands it to the runner through this). The runner
 * asks for the nearest deadline before it waits, so it wakes up in time, and runs what is due once
 * a turn, after the stack's timers and before it transmits.
 *
 * <p>Both methods are called on the stack's thread only, and must be quick: every connection of
 * the stack waits for them. A {@link RuntimeException} either throws is contained as the runner
 * contains a faulty task (logged and counted, and the stack goes on).
 */
public interface ScheduledWork {

    /**
     * The earliest deadline of the work, on the runner's clock ({@link StackRunner#nowNanos()}),
     * or {@link Long#MAX_VALUE} when nothing is scheduled.
     */
    long nextDeadlineNanos();

    /**
     * Runs what is due at {@code nowNanos}. Work scheduled while this runs, or due later than
     * {@code nowNanos}, waits for a later turn, so that work which keeps rescheduling itself with
     * no delay cannot starve the stack.
     */
    void runDue(long nowNanos);
}
