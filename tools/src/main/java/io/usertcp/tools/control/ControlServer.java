package io.usertcp.tools.control;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
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
import java.util.concurrent.Semaphore;
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
 * once); the stack is read on its own thread through {@link StackRunner#call}.
 */
public final class ControlServer implements AutoCloseable {
    /** Requests answered at once, at most. */
    public static final int MAX_CLIENTS = 8;
    /** Where control sockets live unless told otherwise. */
    public static final Path RUN_DIRECTORY = Path.of("/run/usertcp");
    /** Overrides the directory (tests, non-root experiments). */
    public static final String DIRECTORY_ENV = "USERTCP_CONTROL_DIR";

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final Path path;
    private final ServerSocketChannel channel;
    private final StackRunner runner;
    private final Map<String, String> info;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptThread;

    private ControlServer(Path path, ServerSocketChannel channel, StackRunner runner, Map<String, String> info) {
        this.path = path;
        this.channel = channel;
        this.runner = runner;
        this.info = Map.copyOf(info);
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
            ControlServer server = new ControlServer(path, channel, runner, all);
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
        String reply;
        try {
            reply = ControlProtocol.OK + "\n" + String.join("\n", rows(request)) + "\n";
        } catch (IllegalArgumentException | IllegalStateException e) {
            reply = ControlProtocol.ERR + " " + e.getMessage() + "\n";
        }
        ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            client.write(out);
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
                return rows;
            }
            default -> throw new IllegalArgumentException("unknown request '" + request + "' (expected: ss, stats or info)");
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

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Stops answering and deletes the socket file. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
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
