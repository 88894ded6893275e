package io.usertcp.tools;

import io.usertcp.tools.control.CaptureClient;
import io.usertcp.tools.control.CaptureFrames;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlDirectory;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.pcap.Libpcap;
import io.usertcp.tools.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code usertcp capture -w FILE}: attaches to a running stack through its control socket and
 * writes every segment it receives and sends to a pcap file, with the stack clock's times, until
 * {@code --count}, {@code --duration}, Ctrl-C or the stack's end. {@code -w -} writes to standard
 * output, for {@code usertcp capture -w - | tcpdump -r -}; the summary line goes to standard error.
 *
 * <p>The stack never waits for us: when we read too slowly it drops segments for us and says how
 * many, and the summary reports them.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = {"Writes every segment a running usertcp stack (usertcp serve, connect, demo --hold) receives and "
            + "sends to a pcap file that tcpdump and Wireshark read, timed by the stack's clock, until --count, "
            + "--duration, Ctrl-C or the stack stops; then prints one line: packets, bytes, dropped. "
            + "-w - writes to standard output: usertcp capture -w - | tcpdump -n -r -"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:captured until the bound, Ctrl-C or the stack's end", "1:the stack did not answer, or FILE could not be written",
            "2:bad usage (several stacks and no --socket, say)", "3:no running stack found, the control directory is not private, or libpcap is missing"})
public final class CaptureCommand implements Callable<Integer> {
    /** The longest --duration. */
    static final long MAX_DURATION_SECONDS = 86_400;
    /** How long a Ctrl-C waits for the file to be closed and the summary printed. */
    static final long STOP_MILLIS = 5_000;

    @Option(names = {"-w", "--write"}, paramLabel = "FILE", required = true,
            description = "The pcap file to write; - for standard output.")
    String output;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "Stop after N segments.")
    Long count;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this many seconds; 0 captures until Ctrl-C (at most " + MAX_DURATION_SECONDS + ").")
    long durationSeconds;

    @Option(names = "--nano", description = "Keep nanoseconds in the file (tcpdump --nano reads them); default: microseconds.")
    boolean nano;

    @Option(names = "--socket", description = "The stack's control socket (default: the one running stack in the control directory).")
    Path socket;

    @Option(names = "--control-dir", description = "Where control sockets are (default: $USERTCP_CONTROL_DIR, /run/usertcp as root, else $XDG_RUNTIME_DIR/usertcp; it must be private).")
    Path controlDir;

    /** The exit code when {@link #findStack()} found no stack to capture. */
    private int chosenStackProblem;

    /** What one capture counted. */
    private static final class Tally implements CaptureFrames.Receiver {
        final PcapWriter writer;
        final long limit;
        long packets;
        long bytes;
        long in;
        long out;
        long dropped;
        boolean ended;

        Tally(PcapWriter writer, long limit) {
            this.writer = writer;
            this.limit = limit;
        }

        @Override
        public void packet(long epochNanos, boolean outbound, byte[] ipv4) {
            if (packets >= limit) {
                return; // frames that came in the same read as the last one wanted
            }
            writer.write(epochNanos, ipv4);
            packets++;
            bytes += ipv4.length;
            if (outbound) {
                out++;
            } else {
                in++;
            }
        }

        @Override
        public void dropped(long total) {
            dropped = total;
        }

        @Override
        public void ended(long total) {
            dropped = total;
            ended = true;
        }

        boolean full() {
            return packets >= limit;
        }
    }

    @Override
    public Integer call() {
        if (count != null && count < 1) {
            return CommandSupport.usage("capture", "--count " + count + " (expected: at least 1)");
        }
        if (durationSeconds < 0 || durationSeconds > MAX_DURATION_SECONDS) {
            return CommandSupport.usage("capture", "--duration " + durationSeconds + " (expected: 0.." + MAX_DURATION_SECONDS + ")");
        }
        boolean toStdout = output.equals("-");
        if (!toStdout) {
            String problem = PcapOption.unwritable(Path.of(output));
            if (problem != null) {
                return CommandSupport.usage("capture", "-w " + output + ": " + problem);
            }
        }
        Path stack;
        try {
            stack = findStack();
        } catch (IOException e) {
            System.err.println("usertcp capture: " + e.getMessage());
            return UsertcpMain.EXIT_FAILED;
        }
        if (stack == null) {
            return chosenStackProblem;
        }
        try {
            Libpcap.require();
        } catch (Libpcap.MissingException e) {
            System.err.println("usertcp capture: " + e.getMessage());
            return UsertcpMain.EXIT_MISSING;
        }
        return capture(stack, toStdout);
    }

    /** The stack to capture, or null with {@link #chosenStackProblem} set after one line on stderr. */
    private Path findStack() throws IOException {
        if (socket != null) {
            if (!Files.exists(socket)) {
                System.err.println("usertcp capture: no control socket " + socket + " (is the stack still running?)");
                chosenStackProblem = UsertcpMain.EXIT_MISSING;
                return null;
            }
            return socket;
        }
        Path dir;
        try {
            dir = controlDir != null ? controlDir : ControlServer.defaultDirectory();
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                ControlDirectory.requirePrivate(dir); // else anyone could have planted a fake stack there
            }
        } catch (ControlDirectory.RefusedException e) {
            System.err.println("usertcp capture: " + e.getMessage());
            chosenStackProblem = UsertcpMain.EXIT_MISSING;
            return null;
        }
        List<Path> sockets = ControlClient.discover(dir);
        if (sockets.isEmpty()) {
            System.err.println("usertcp capture: no running usertcp stack in " + dir
                    + " (start one with `usertcp serve`, or `usertcp demo --hold 60`)");
            chosenStackProblem = UsertcpMain.EXIT_MISSING;
            return null;
        }
        if (sockets.size() > 1) {
            System.err.println("usertcp capture: " + sockets.size() + " running stacks in " + dir + " ("
                    + String.join(", ", sockets.stream().map(p -> p.getFileName().toString()).toList())
                    + "): choose one with --socket");
            chosenStackProblem = UsertcpMain.EXIT_USAGE;
            return null;
        }
        return sockets.get(0);
    }

    private int capture(Path stack, boolean toStdout) {
        CaptureClient client;
        try {
            client = CaptureClient.open(stack);
        } catch (IOException e) {
            System.err.println("usertcp capture: " + stack + ": " + e.getMessage());
            return UsertcpMain.EXIT_FAILED;
        }
        PcapWriter writer;
        try {
            // libpcap takes "-" as standard output (pcap_dump_open(3PCAP))
            writer = PcapWriter.open(Path.of(output), nano ? PcapWriter.Precision.NANO : PcapWriter.Precision.MICRO);
        } catch (IOException e) {
            closeQuietly(client);
            System.err.println("usertcp capture: " + e.getMessage());
            return UsertcpMain.EXIT_FAILED;
        }
        if (!toStdout) {
            System.err.println("usertcp capture: writing the segments of " + stack.getFileName() + " to " + output
                    + (durationSeconds > 0 ? " for " + durationSeconds + " s" : "") + (count != null ? ", at most " + count : "")
                    + "; Ctrl-C stops");
        }
        return new Run(client, writer, toStdout).run();
    }

    /** One capture, from the open stream to the summary; a Ctrl-C hook ends it and waits for the file to be closed. */
    private final class Run {
        final CaptureClient client;
        final Tally tally;
        final boolean toStdout;
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread hook = new Thread(this::interrupted, "usertcp-capture-stop");

        Run(CaptureClient client, PcapWriter writer, boolean toStdout) {
            this.client = client;
            this.tally = new Tally(writer, count != null ? count : Long.MAX_VALUE);
            this.toStdout = toStdout;
        }

        int run() {
            Runtime.getRuntime().addShutdownHook(hook);
            String why = null;
            int exit = UsertcpMain.EXIT_OK;
            try {
                why = loop();
            } catch (IOException | RuntimeException e) {
                why = "stopped: " + e.getMessage();
                exit = UsertcpMain.EXIT_FAILED;
            } finally {
                closeQuietly(client);
                exit = finish(why, exit);
                done.countDown();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is stopping (Ctrl-C): the hook is waiting for done, which is counted down
            }
            return exit;
        }

        /** Reads frames until a bound, Ctrl-C or the stack's end; says which. */
        private String loop() throws IOException {
            long deadline = durationSeconds == 0 ? Long.MAX_VALUE : System.nanoTime() + durationSeconds * 1_000_000_000L;
            while (true) {
                if (stop.get()) {
                    return "interrupted";
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return "after " + durationSeconds + " s";
                }
                boolean open = client.poll(Math.min(left / 1_000_000L + 1, 1000), tally);
                if (tally.full()) {
                    return "after " + count + (count == 1 ? " segment" : " segments");
                }
                if (!open) {
                    return tally.ended ? "the stack stopped" : "the stack went away";
                }
                try {
                    tally.writer.flush(); // so that a reader of the file or the pipe sees each segment soon
                } catch (IOException e) {
                    if (toStdout) {
                        return "standard output was closed"; // the reader of the pipe is done (head, tcpdump -c)
                    }
                    throw e;
                }
            }
        }

        /** Closes the file and prints the summary; a failure to close is a failure. */
        private int finish(String why, int exit) {
            int result = exit;
            try {
                tally.writer.close();
            } catch (IOException e) {
                why = why + "; " + e.getMessage();
                result = toStdout ? result : UsertcpMain.EXIT_FAILED; // a reader of the pipe may just have gone
            }
            PrintStream err = System.err;
            err.println(String.format(Locale.ROOT, "usertcp capture: %d packets (%d bytes; %d received, %d sent by the stack)"
                    + " written to %s, %d dropped by the stack for a slow reader; %s", tally.packets, tally.bytes, tally.in,
                    tally.out, toStdout ? "standard output" : output, tally.dropped, why));
            return result;
        }

        /** The Ctrl-C hook: ends the loop and waits (bounded) until the file is complete. */
        private void interrupted() {
            stop.set(true);
            client.wakeup();
            try {
                done.await(STOP_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(CaptureClient client) {
        try {
            client.close();
        } catch (IOException ignored) {
            // we are done with it either way
        }
    }
}
