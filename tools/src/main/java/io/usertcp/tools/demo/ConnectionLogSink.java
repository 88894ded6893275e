package io.usertcp.tools.demo;

import java.io.PrintStream;

/**
 * Receives the recorded events of each connection once a demo step or scenario is done with it,
 * and draws them: {@link LadderLogSink} draws a ladder diagram, {@link EventLogPrinter} a simple
 * two-sided log of state changes and timers.
 */
@FunctionalInterface
public interface ConnectionLogSink {
    /** Draws one connection on {@code out}. */
    void draw(ConnectionLog log, PrintStream out);

    /**
     * Called once the session's stack runs and before its first connection, for sinks that record
     * on their own (an observer added to {@link StackSession#observers()}). Does nothing by default.
     */
    default void attach(StackSession session) {
    }
}
