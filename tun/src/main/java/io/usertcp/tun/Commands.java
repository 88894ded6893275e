package io.usertcp.tun;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a process to completion within a time limit; killed (with its children) when it overruns. */
final class Commands {
    private static final long KILL_GRACE_SECONDS = 2;

    private Commands() {}

    static ExecResult run(List<String> command, Duration timeout) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command: empty (expected: a program and its arguments)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: positive)");
        }
        Path output = null;
        try {
            // Output goes to a file, not a pipe: a chatty process can never block on a full pipe.
            output = Files.createTempFile("usertcp-exec-", ".out");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(new File("/dev/null"))
                    .start();
            boolean finished = waitFor(process, timeout);
            String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
            return new ExecResult(command, finished ? process.exitValue() : -1, text, !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a stray temp file is harmless
                }
            }
        }
    }

    /** @return whether the process ended by itself within the time limit */
    private static boolean waitFor(Process process, Duration timeout) {
        try {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return true;
            }
            kill(process);
            return false;
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", process.info().commandLine().orElse("a process")), e);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(KILL_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
