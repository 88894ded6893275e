package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code usertcp} command run in a JVM of its own, as a user runs it: for what cannot happen in
 * the test's JVM (Ctrl-C, writing pcap to standard output). Output goes to files in a folder of the
 * test's.
 */
public final class ChildUsertcp implements AutoCloseable {
    /** The exit status of a JVM stopped by SIGINT once its shutdown hooks are done (128 + 2). */
    public static final int EXIT_SIGINT = 130;

    private final Process process;
    private final Path out;
    private final Path err;

    private ChildUsertcp(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** {@code java -cp (this classpath) io.usertcp.tools.UsertcpMain ARGS}, in the background. */
    public static ChildUsertcp start(Path dir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(javaCommand());
        command.addAll(List.of(args));
        return start(dir, name, command);
    }

    /** Any command line, in the background. */
    public static ChildUsertcp start(Path dir, String name, List<String> command) throws IOException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new ChildUsertcp(p, out, err);
    }

    /** The java command line that runs usertcp with the test's classpath, and {@code jvmOptions}. */
    public static List<String> javaCommand(String... jvmOptions) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-ea"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), UsertcpMain.class.getName()));
        return command;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Ctrl-C: SIGINT, as a terminal sends it. */
    public void interrupt() throws Exception {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -INT " + process.pid());
    }

    /** Waits for the exit, at most {@code seconds}; its status. */
    public int awaitExit(long seconds) throws Exception {
        assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "still running after " + seconds + " s: " + describe());
        return process.exitValue();
    }

    /** Blocks until the process exits or {@code nanos} pass; whether it exited. */
    public boolean exitsWithin(long nanos) throws InterruptedException {
        return process.waitFor(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    public String out() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    public String err() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    /** Its output so far, for failure messages. */
    public String describe() {
        try {
            return "stdout:\n" + out() + "\nstderr:\n" + err();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Kills it if it still runs (a failed test). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
