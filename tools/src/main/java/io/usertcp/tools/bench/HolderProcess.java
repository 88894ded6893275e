package io.usertcp.tools.bench;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tun.NetworkNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ConnectionHolder} process running inside one of our namespaces
 * ({@code ip netns exec NAME java ... ConnectionHolder}), and the line protocol to it. Every wait
 * for an answer is bounded; {@link #close()} asks it to quit and kills it if it does not, so no
 * holder outlives the case (nor, through its open sockets, the namespace).
 */
final class HolderProcess implements AutoCloseable {
    /** The heap a holder needs for 15 000 {@code java.net} sockets, with room. */
    private static final String HOLDER_HEAP = "-Xmx384m";
    private static final long QUIT_WAIT_MILLIS = 5_000;

    private final Process process;
    private final Writer commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final StringBuilder other = new StringBuilder();

    private HolderProcess(Process process) {
        this.process = process;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readAnswers, "usertcp-bench-holder-reader-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** What one {@code open} command did. */
    record Opened(long ok, long failed, long millis, String firstError) {}

    /** Starts a holder inside {@code ns}; {@link #awaitReady} waits for it. */
    static HolderProcess start(NetworkNamespace ns) throws IOException {
        List<String> command = new ArrayList<>(List.of(ipCommand(), "netns", "exec", ns.name(), javaCommand(), HOLDER_HEAP,
                "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ConnectionHolder.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        return new HolderProcess(pb.start());
    }

    /** Waits for the holder's {@code ready}. */
    void awaitReady(long timeoutMillis) throws IOException, InterruptedException, TimeoutException {
        String line = answer(timeoutMillis);
        if (!line.equals("ready")) {
            throw new IOException("connection holder did not start: " + line + " " + other);
        }
    }

    /** Sends an {@code open} command; {@link #awaitOpened} collects the answer. */
    void open(String mode, int count, String local, int firstPort, String remote, int port, int threads, long millis)
            throws IOException {
        commands.write("open " + mode + " " + count + " " + local + " " + firstPort + " " + remote + " " + port + " " + threads
                + " " + millis + "\n");
        commands.flush();
    }

    /** The answer to {@link #open}. */
    Opened awaitOpened(long timeoutMillis) throws IOException, InterruptedException, TimeoutException {
        String line = answer(timeoutMillis);
        String[] w = line.split(" ", 5);
        if (!w[0].equals("opened") || w.length < 4) {
            throw new IOException("connection holder: " + line + " " + other);
        }
        return new Opened(Long.parseLong(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3]), w.length > 4 ? w[4] : null);
    }

    private String answer(long timeoutMillis) throws IOException, InterruptedException, TimeoutException {
        String line = answers.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (line == null) {
            throw new TimeoutException("connection holder " + process.pid() + " did not answer in " + timeoutMillis + " ms"
                    + (process.isAlive() ? "" : " (exited with " + process.exitValue() + ": " + other + ")"));
        }
        if (line.isEmpty() && !process.isAlive()) {
            throw new IOException("connection holder exited with " + process.exitValue() + ": " + other);
        }
        return line;
    }

    private void readAnswers() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.equals("ready") || line.equals("bye") || line.startsWith("opened ") || line.startsWith("error ")) {
                    answers.add(line);
                } else {
                    synchronized (other) {
                        if (other.length() < 4000) {
                            other.append(line).append(' ');
                        }
                    }
                }
            }
        } catch (IOException ignored) {
            // the process ended; answer() reports it
        }
        answers.add(""); // wakes a waiting answer() to notice the end
    }

    /** Asks the holder to quit (closing its sockets), and kills it if it has not within 5 s. */
    @Override
    public void close() {
        try {
            commands.write("quit\n");
            commands.flush();
            commands.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(QUIT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(QUIT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The JVM's own java binary, so that the holder runs on the same JDK. */
    static String javaCommand() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new MissingProgramException("no java binary at " + java + " (needed for the memory case's connection holders)");
        }
        return java.toString();
    }

    private static String ipCommand() {
        String path = System.getenv().getOrDefault("PATH", "");
        List<String> dirs = new ArrayList<>(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        dirs.addAll(List.of(path.split(":")));
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "ip"))) {
                return Path.of(dir, "ip").toString();
            }
        }
        throw new MissingProgramException(
                "no 'ip' command (needed to run processes in a namespace): install it with apt-get install iproute2");
    }
}
