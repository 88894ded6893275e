package io.usertcp.tun;

import java.util.List;

/**
 * How a process run by {@link NetworkNamespace#exec} ended.
 *
 * @param command  the command line as run (with the {@code ip netns exec NAME} prefix)
 * @param exitCode the exit status, or -1 when the process was killed at its time limit
 * @param output   standard output and standard error, interleaved, decoded as UTF-8
 * @param timedOut whether the time limit was reached (the process and its children were then killed)
 */
public record ExecResult(List<String> command, int exitCode, String output, boolean timedOut) {

    public ExecResult {
        command = List.copyOf(command);
    }

    /** Exited on its own with status 0. */
    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    /** One line for error messages. */
    public String describe() {
        return String.join(" ", command) + (timedOut ? " timed out" : " exited with " + exitCode)
                + (output.isBlank() ? "" : ": " + output.strip().replace('\n', ' '));
    }
}
