package io.usertcp.tun.interop;

import io.usertcp.tun.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program running inside one of our namespaces while a test talks to it (a server:
 * {@code python3 -m http.server}, {@code socat TCP-LISTEN}). Its lifetime is bounded twice: it runs
 * under {@code timeout}, and {@link #close()} terminates it and everything it started. Deleting a
 * namespace does not stop the processes in it, so tests close this first.
 */
final class BackgroundProgram implements AutoCloseable {
    private final Process process;
    private final Path log;

    private BackgroundProgram(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code ns}, killed after {@code lifetime} at the latest. */
    static BackgroundProgram start(NetworkNamespace ns, Duration lifetime, Path workingDirectory, String... command) {
        List<String> line = new ArrayList<>(List.of(InteropSupport.findCommand("ip"), "netns", "exec", ns.name(),
                "timeout", "--kill-after=2", Long.toString(Math.max(1, lifetime.toSeconds()))));
        line.addAll(List.of(command));
        try {
            Path log = Files.createTempFile("usertcp-interop-", ".log");
            Process p = new ProcessBuilder(line).directory(workingDirectory.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            return new BackgroundProgram(p, log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", line), e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What it printed so far. */
    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a temp file; the OS cleans /tmp
            }
        }
    }
}
