package io.usertcp.tools.demo;

import java.io.PrintStream;

/**
 * Receives the recorded events of each connection once a demo step or scenario is done with it,
 * and draws them: {@link EventLogPrinter} prints a simple two-sided event log; a ladder-diagram
 * printer (text, Mermaid, SVG) plugs in the same way.
 */
@FunctionalInterface
public interface ConnectionLogSink {
    /** Draws one connection on {@code out}. */
    void draw(ConnectionLog log, PrintStream out);
}
