package io.usertcp.tools.control;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tools.demo.ObserverFanOut;
import io.usertcp.tools.pcap.PcapTap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local control socket of a running stack: a UNIX-domain socket through which
 * {@code usertcp ss} and {@code usertcp stats} read the stack's connection table and counters
 * (see {@link ControlProtocol}). It lives in {@link #defaultDirectory()} (mode 0700), named after
 * the stack's namespace, and is deleted at {@link #close()}.
 *
 * <p>Each request is answered on a short-lived daemon thread (at most {@link #MAX_CLIENTS} at
 * once); the stack is read on its own thread through {@link StackRunner#call}. A {@code capture}
 * request keeps its thread for as long as the reader reads (at most {@link #MAX_CAPTURES} at once,
 * so that {@code ss} and {@code stats} always find a free one): its {@link CaptureStream} is
 * registered with the stack's observers and streams every segment until the reader goes or the
 * server closes.
 */
public final class ControlServer implements AutoCloseable {
    /** Requests answered at once, at most. */
    public static final int MAX_CLIENTS = 8;
    /** Capture streams at once, at most. */
    public static final int MAX_CAPTURES = 4;
    /** How long {@link #close()} lets capture streams send their end frame. */
    static final long END_CAPTURES_MILLIS = 1_000;
    /** Where control sockets live unless told otherwise. */
    public static final Path RUN_DIRECTORY = Path.of("/run/usertcp");
    /** Overrides the directory (tests, non-root experiments). */
    public static final String DIRECTORY_ENV = "USERTCP_CONTROL_DIR";
    /** The {@code info} key whose value is the behaviour profile the stack runs: linux, rfc or freebsd. */
    public static final String PROFILE = "profile";
    /** The info key that says whether the stack thread serves: {@code alive}, or {@code dead: CAUSE}. */
    public static final String HEALTH = "health";

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final Path path;
    private final ServerSocketChannel channel;
    private final StackRunner runner;
    private final Map<String, String> info;
    private final ObserverFanOut observers;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private final Semaphore captureSlots = new Semaphore(MAX_CAPTURES);
    private final Set<CaptureStream> captures = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptThread;

    private ControlServer(Path path, ServerSocketChannel channel, StackRunner runner, Map<String, String> info,
                          ObserverFanOut observers) {
        this.path = path;
        this.channel = channel;
        this.runner = runner;
        this.info = Map.copyOf(info);
        this.observers = observers;
        this.acceptThread = new Thread(this::acceptLoop, "usertcp-control");
        this.acceptThread.setDaemon(true);
    }

    /** {@code $USERTCP_CONTROL_DIR}, else {@code /run/usertcp} when /run is writable, else a folder in the temp dir. */
    public static Path defaultDirectory() {
        String env = System.getenv(DIRECTORY_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        if (Files.isWritable(RUN_DIRECTORY) || Files.isWritable(RUN_DIRECTORY.getParent())) {
            return RUN_DIRECTORY;
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "usertcp-control");
    }

    /**
     * Listens on {@code directory/name.sock}.
     *
     * @param name the stack's name (its namespace's name)
     * @param info what {@code info} answers: namespace, app, how to reach it
     */
    public static ControlServer start(Path directory, String name, StackRunner runner, Map<String, String> info) {
        return start(directory, name, runner, info, null);
    }

    /**
     * Listens on {@code directory/name.sock} and offers {@code capture} through {@code observers}.
     *
     * @param observers where capture streams plug into the stack; null: no capture (it answers ERR)
     */
    public static ControlServer start(Path directory, String name, StackRunner runner, Map<String, String> info,
                                      ObserverFanOut observers) {
        try {
            Files.createDirectories(directory);
            try {
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException | IOException e) {
                LOG.debug("could not restrict {}: {}", directory, e.toString());
            }
            Path path = directory.resolve(name + ControlProtocol.SUFFIX);
            Files.deleteIfExists(path);
            // Bind under a name clients do not look for, then rename: a client never finds a socket
            // file that is bound but not yet listening.
            Path binding = directory.resolve(name + ".binding");
            Files.deleteIfExists(binding);
            ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channel.bind(UnixDomainSocketAddress.of(binding));
            Files.move(binding, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Map<String, String> all = new LinkedHashMap<>(info);
            all.put("pid", Long.toString(ProcessHandle.current().pid()));
            all.put("socket", path.toString());
            ControlServer server = new ControlServer(path, channel, runner, all, observers);
            server.acceptThread.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not open the control socket in " + directory + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.warn("control socket {}: accept failed: {}", path, e.toString());
                }
                return;
            }
            if (!clients.tryAcquire()) {
                closeQuietly(client);
                continue;
            }
            Thread t = new Thread(() -> {
                try (client) {
                    answer(client);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("control request failed: {}", e.toString());
                } finally {
                    clients.release();
                }
            }, "usertcp-control-request");
            t.setDaemon(true);
            t.start();
        }
    }

    private void answer(SocketChannel client) throws IOException {
        String request = readLine(client);
        if (request.equals(ControlProtocol.CAPTURE)) {
            capture(client);
            return;
        }
        String reply;
        try {
            reply = ControlProtocol.OK + "\n" + String.join("\n", rows(request)) + "\n";
        } catch (IllegalArgumentException | IllegalStateException e) {
            reply = ControlProtocol.ERR + " " + e.getMessage() + "\n";
        }
        send(client, reply);
    }

    private static void send(SocketChannel client, String text) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            client.write(out);
        }
    }

    /**
     * Streams the stack's segments to {@code client} until it goes away or the server closes. The
     * stream is registered on the stack thread together with the reading of the stack clock that
     * maps it to the wall clock, so every segment it sees gets a time on the stack clock.
     */
    private void capture(SocketChannel client) throws IOException {
        if (observers == null) {
            send(client, ControlProtocol.ERR + " this stack offers no capture\n");
            return;
        }
        if (closed.get()) {
            send(client, ControlProtocol.ERR + " the stack is stopping\n");
            return;
        }
        if (!captureSlots.tryAcquire()) {
            send(client, ControlProtocol.ERR + " " + MAX_CAPTURES + " captures are running already (at most "
                    + MAX_CAPTURES + " at once)\n");
            return;
        }
        CaptureStream stream = null;
        try {
            stream = runner.call(now -> {
                CaptureStream s = new CaptureStream(PcapTap.wallClockOffset(now));
                observers.add(s);
                return s;
            });
            captures.add(stream);
            if (closed.get()) {
                stream.end(); // close() began meanwhile and did not see this stream
            }
            send(client, ControlProtocol.OK + "\n");
            stream.run(client);
        } catch (IllegalStateException e) {
            send(client, ControlProtocol.ERR + " " + e.getMessage() + "\n"); // the stack is stopping
        } finally {
            if (stream != null) {
                observers.remove(stream);
                captures.remove(stream);
                stream.abort();
            }
            captureSlots.release();
        }
    }

    /** The answer's rows for one request line. */
    List<String> rows(String request) {
        switch (request) {
            case ControlProtocol.SS -> {
                return runner.call(now -> ssRows(runner.stack(), now)).stream().map(SsRow::toLine).toList();
            }
            case ControlProtocol.STATS -> {
                Map<String, Long> stats = runner.call(now -> runner.stack().stats().snapshot());
                List<String> rows = new ArrayList<>();
                stats.forEach((k, v) -> rows.add(k + "\t" + v));
                return rows;
            }
            case ControlProtocol.INFO -> {
                List<String> rows = new ArrayList<>();
                info.forEach((k, v) -> rows.add(k + "\t" + v.replace('\t', ' ').replace('\n', ' ')));
                rows.add("captures\t" + captures.size());
                // from the stack itself, not from what its command was asked for
                rows.add(PROFILE + "\t" + profileName());
                // answered even when the stack thread died: ss and stats say so rather than wait
                rows.add(HEALTH + "\t" + runner.health().replace('\t', ' ').replace('\n', ' '));
                return rows;
            }
            default -> throw new IllegalArgumentException("unknown request '" + request
                    + "' (expected: ss, stats, info or capture)");
        }
    }

    /** The profile, asked on the stack thread; read directly (it never changes) once that thread stopped. */
    private String profileName() {
        try {
            return runner.call(now -> runner.stack().profile().name());
        } catch (StackStoppedException e) {
            return runner.stack().profile().name();
        }
    }

    /** Listeners, then connections, then TIME-WAIT entries: on the stack thread. */
    public static List<SsRow> ssRows(TcpStack stack, long nowNanos) {
        List<SsRow> rows = new ArrayList<>();
        for (TcpListener l : stack.listeners()) {
            rows.add(SsRow.of(l));
        }
        for (ConnectionSnapshot s : stack.snapshot(nowNanos)) {
            rows.add(SsRow.of(s));
        }
        return rows;
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST_BYTES);
        while (in.hasRemaining()) {
            int n = client.read(in);
            if (n < 0) {
                break;
            }
            if (n > 0 && in.get(in.position() - 1) == '\n') {
                break;
            }
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
    }

    private void endCaptures() {
        for (CaptureStream s : captures) {
            s.end();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(END_CAPTURES_MILLIS);
        for (CaptureStream s : captures) {
            // A stream stops once its end frame is out; one whose reader does not read stays in
            // write, which the abort below frees.
            try {
                s.awaitStopped(Math.max(0, deadline - System.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (CaptureStream s : captures) {
            s.abort();
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /**
     * Stops answering, lets capture streams send what is queued and their end frame (for at most
     * {@link #END_CAPTURES_MILLIS}, then cuts them off) and deletes the socket file. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        endCaptures();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the control socket: {}", e.toString());
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("deleting {}: {}", path, e.toString());
        }
    }
}
