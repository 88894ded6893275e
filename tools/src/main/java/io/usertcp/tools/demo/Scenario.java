package io.usertcp.tools.demo;

import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import java.util.function.UnaryOperator;

/**
 * A field scenario of DESIGN.md §13, run against the real kernel: it drives both sides, narrates
 * what happens and why, and states what it promises with {@link ScenarioRun#expectOurs} and
 * {@link ScenarioRun#expectKernel}. Timers are shortened through {@link #tcp()} so that each
 * finishes in seconds.
 */
public interface Scenario {
    /** The name on the command line: {@code close-wait-leak}. */
    String name();

    /** One line for {@code --list}. */
    String summary();

    /** The stack's TCP configuration for this scenario (short timers). */
    default UnaryOperator<TcpConfig> tcp() {
        return UnaryOperator.identity();
    }

    /**
     * The rest of the stack's configuration for this scenario: a narrow ephemeral port range, say.
     * The TCP part comes from {@link #tcp()}, and the observer is always the session's.
     */
    default UnaryOperator<StackConfig> stack() {
        return UnaryOperator.identity();
    }

    /** A program the scenario needs and is missing, as one line; {@code null} when nothing is missing. */
    default String missing() {
        return null;
    }

    /** How many connections' logs to print at the end (the first ones); all by default. */
    default int logsShown() {
        return Integer.MAX_VALUE;
    }

    /** Plays the scenario. */
    void play(ScenarioRun run) throws Exception;
}
