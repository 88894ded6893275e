package io.usertcp.tools.control;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpInfo;
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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local control socket of a running stack: a UNIX-domain socket through which
 * {@code usertcp ss} and {@code usertcp stats} read the stack's connection table and counters
 * (see {@link ControlProtocol}). It lives in {@link #defaultDirectory()}, named after the stack's
 * namespace, and is deleted at {@link #close()}; the directory must be private (created 0700,
 * refused otherwise: see {@link ControlDirectory}).
 *
 * <p>Each request is answered on a short-lived daemon thread, at most {@link #MAX_CLIENTS} at
 * once: a client beyond that gets one line ({@code ERR busy: ...}) and is closed, never queued. A
 * client must send its request line within {@link #READ_TIMEOUT_MILLIS} and the answer must be
 * ready and taken within {@link #REQUEST_MILLIS}, so a client that connects and says nothing, or
 * never reads, holds its thread for a bounded time only. The stack is read on its own thread
 * through {@link StackRunner#submit}. A {@code capture}
 * request keeps its thread for as long as the reader reads (at most {@link #MAX_CAPTURES} at once,
 * so that {@code ss} and {@code stats} always find a free one): its {@link CaptureStream} is
 * registered with the stack's observers and streams every segment until the reader goes or the
 * server closes.
 *
 * <p>Shards: a stack of several shards (one stack and thread per TUN queue) is served as one: each
 * shard is read on its own thread, all at once, and the answer holds them all: {@code ss} every
 * shard's sockets, each row with its shard; {@code stats} a column per shard; a capture stream
 * is registered with every shard's observers (on each shard's thread) and sees every segment.
 */
public final class ControlServer implements AutoCloseable {
    /** Requests answered at once, at most. */
    public static final int MAX_CLIENTS = 8;
    /** Capture streams at once, at most. */
    public static final int MAX_CAPTURES = 4;
    /** How long {@link #close()} lets capture streams send their end frame. */
    static final long END_CAPTURES_MILLIS = 1_000;
    /** Where control sockets live for root. */
    public static final Path RUN_DIRECTORY = ControlDirectory.RUN_DIRECTORY;
    /** Overrides the directory (tests, non-root experiments). */
    public static final String DIRECTORY_ENV = ControlDirectory.DIRECTORY_ENV;
    /** How long a client may take to send its request line before it is cut off. */
    public static final long READ_TIMEOUT_MILLIS = 2_000;
    /** How long answering {@code ss}, {@code stats} or {@code info} may take (the stack thread is asked). */
    public static final long REQUEST_MILLIS = 3_000;
    /** The {@code info} key whose value is the behaviour profile the stack runs: linux, rfc or freebsd. */
    public static final String PROFILE = "profile";
    /** The info key that says whether the stack thread serves: {@code alive}, or {@code dead: CAUSE}. */
    public static final String HEALTH = "health";
    /** The {@code stats} row with the memory received data holds, stack-wide, in bytes. */
    public static final String RECEIVE_MEMORY = "UsertcpReceiveMemoryBytes";
    /** The {@code info} key whose value is how many shards the stack has (1 when it is not sharded). */
    public static final String SHARDS = "shards";

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final Path path;
    private final ServerSocketChannel channel;
    /** Shard {@code i}'s runner at index {@code i}; one for an unsharded stack. */
    private final List<StackRunner> runners;
    private final Map<String, String> info;
    /** Shard {@code i}'s observers at index {@code i}, or null when there is no capture. */
    private final List<ObserverFanOut> observers;
    private final Limits limits;
    private final Semaphore clients;
    private final Semaphore captureSlots;
    private final Set<CaptureStream> captures = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptThread;

    private ControlServer(Path path, ServerSocketChannel channel, List<StackRunner> runners, Map<String, String> info,
                          List<ObserverFanOut> observers, Limits limits) {
        this.path = path;
        this.limits = limits;
        this.clients = new Semaphore(limits.maxClients());
        this.captureSlots = new Semaphore(limits.maxCaptures());
        this.channel = channel;
        this.runners = List.copyOf(runners);
        this.info = Map.copyOf(info);
        this.observers = observers;
        this.acceptThread = new Thread(this::acceptLoop, "usertcp-control");
        this.acceptThread.setDaemon(true);
    }

    /**
     * {@link ControlDirectory#choose()}: {@code $USERTCP_CONTROL_DIR}, else {@code /run/usertcp}
     * when this user may use it, else {@code $XDG_RUNTIME_DIR/usertcp} when that is private.
     *
     * @throws ControlDirectory.RefusedException when there is no private place (never a shared temp dir)
     */
    public static Path defaultDirectory() throws ControlDirectory.RefusedException {
        return ControlDirectory.choose();
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
     * @throws UncheckedIOException when the directory is not private ({@link ControlDirectory}) or the
     *                              socket cannot be made; the message says which and why
     */
    public static ControlServer start(Path directory, String name, StackRunner runner, Map<String, String> info,
                                      ObserverFanOut observers) {
        return start(directory, name, List.of(runner), info, observers == null ? null : List.of(observers), Limits.DEFAULT);
    }

    /**
     * Listens on {@code directory/name.sock} for a stack of several shards, and offers {@code capture}
     * through each shard's observers.
     *
     * @param runners   shard {@code i}'s runner at index {@code i}
     * @param observers shard {@code i}'s observers at index {@code i}; null: no capture (it answers ERR)
     * @throws UncheckedIOException as {@link #start(Path, String, StackRunner, Map, ObserverFanOut)}
     */
    public static ControlServer start(Path directory, String name, List<StackRunner> runners, Map<String, String> info,
                                      List<ObserverFanOut> observers) {
        return start(directory, name, runners, info, observers, Limits.DEFAULT);
    }

    /** Like {@link #start(Path, String, List, Map, List)} with other limits (tests). */
    static ControlServer start(Path directory, String name, StackRunner runner, Map<String, String> info,
                               ObserverFanOut observers, Limits limits) {
        return start(directory, name, List.of(runner), info, observers == null ? null : List.of(observers), limits);
    }

    private static ControlServer start(Path directory, String name, List<StackRunner> runners, Map<String, String> info,
                                       List<ObserverFanOut> observers, Limits limits) {
        if (runners.isEmpty() || observers != null && observers.size() != runners.size()) {
            throw new IllegalArgumentException("control server: " + runners.size() + " runners, "
                    + (observers == null ? "no" : Integer.toString(observers.size())) + " observers (expected: one runner"
                    + " or more, and as many observers or none)");
        }
        try {
            ControlDirectory.createPrivate(directory);
        } catch (ControlDirectory.RefusedException e) {
            throw new UncheckedIOException(e.getMessage(), new IOException(e.getMessage(), e));
        }
        try {
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
            all.put(SHARDS, Integer.toString(runners.size()));
            ControlServer server = new ControlServer(path, channel, runners, all, observers, limits);
            server.acceptThread.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not open the control socket in " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * The server's bounds: clients answered at once (more are refused with one line), capture
     * streams at once, the time a client has to send its request, and the time an answer may take.
     */
    record Limits(int maxClients, int maxCaptures, long readTimeoutMillis, long requestMillis) {
        static final Limits DEFAULT = new Limits(MAX_CLIENTS, MAX_CAPTURES, READ_TIMEOUT_MILLIS, REQUEST_MILLIS);

        Limits {
            if (maxClients < 1 || maxCaptures < 0 || maxCaptures >= maxClients || readTimeoutMillis < 1 || requestMillis < 1) {
                throw new IllegalArgumentException("control limits: " + maxClients + " clients, " + maxCaptures
                        + " captures, " + readTimeoutMillis + " ms to read, " + requestMillis
                        + " ms to answer (expected: clients >= 1, 0 <= captures < clients, times >= 1 ms)");
            }
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
                refuse(client);
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

    /**
     * One line to a client beyond {@link Limits#maxClients()}, then close: it learns at once why,
     * rather than waiting. Written without blocking: the socket's buffer is empty, and a client
     * that is not reading costs nothing.
     */
    private void refuse(SocketChannel client) {
        try (client) {
            client.configureBlocking(false);
            client.read(ByteBuffer.allocate(ControlProtocol.MAX_REQUEST_BYTES)); // a request left unread would reset our line
            client.write(ByteBuffer.wrap((ControlProtocol.ERR + " busy: " + limits.maxClients()
                    + " requests are being answered (at most " + limits.maxClients() + " at once); try again\n")
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            LOG.debug("refusing a control client: {}", e.toString());
        }
    }

    private void answer(SocketChannel client) throws IOException {
        String request = readLine(client, limits.readTimeoutMillis());
        if (request == null) {
            sendNow(client, ControlProtocol.ERR + " no request within " + limits.readTimeoutMillis() + " ms\n");
            return;
        }
        if (request.equals(ControlProtocol.CAPTURE)) {
            client.configureBlocking(true);
            capture(client);
            return;
        }
        String reply;
        try {
            reply = ControlProtocol.OK + "\n" + String.join("\n", rowsWithin(request, limits.requestMillis())) + "\n";
        } catch (IllegalArgumentException | IllegalStateException e) {
            reply = ControlProtocol.ERR + " " + e.getMessage() + "\n";
        }
        sendWithin(client, reply, limits.requestMillis());
    }

    /** {@link #rows} within {@code millis}, or {@link IllegalStateException} saying the stack did not answer. */
    private List<String> rowsWithin(String request, long millis) {
        CompletableFuture<List<String>> rows = rows(request);
        try {
            return rows.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the stack thread did not answer '" + request + "' within " + millis
                    + " ms (" + health() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while answering '" + request + "'");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause().toString(), e.getCause());
        }
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
            send(client, ControlProtocol.ERR + " " + limits.maxCaptures() + " captures are running already (at most "
                    + limits.maxCaptures() + " at once)\n");
            return;
        }
        CaptureStream stream = null;
        try {
            stream = new CaptureStream(runners.get(0).call(PcapTap::wallClockOffset)); // one clock: the shards share it
            for (int i = 0; i < runners.size(); i++) {
                CaptureStream s = stream;
                ObserverFanOut shard = observers.get(i);
                runners.get(i).call(now -> shard.add(s)); // on the shard's thread, between two of its segments
            }
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
                for (ObserverFanOut shard : observers) {
                    shard.remove(stream);
                }
                captures.remove(stream);
                stream.abort();
            }
            captureSlots.release();
        }
    }

    /** The answer's rows for one request line, computed on the stack threads: no thread waits for them. */
    CompletableFuture<List<String>> rows(String request) {
        switch (request) {
            case ControlProtocol.SS -> {
                return eachShard((shard, now) -> ssRows(runners.get(shard).stack(), now).stream()
                        .map(r -> r.onShard(shard)).toList()).thenApply(ControlServer::ssLines);
            }
            case ControlProtocol.STATS -> {
                return eachShard((shard, now) -> {
                    TcpStack stack = runners.get(shard).stack();
                    Map<String, Long> snapshot = stack.stats().snapshotWithZeros(); // the client leaves zeros out
                    // A gauge beside the counters: what received data holds now, charged by true size (Linux's tcp_mem
                    // counts the same for /proc/net/sockstat's "mem"), against TcpConfig.receiveMemoryLimitBytes.
                    snapshot.put(RECEIVE_MEMORY, stack.receiveMemoryBytes());
                    return snapshot;
                }).thenApply(ControlServer::statsLines);
            }
            case ControlProtocol.INFO -> {
                // The profile from the stack itself, not from what its command was asked for; read
                // directly (it never changes) once that thread stopped: info answers even then.
                StackRunner first = runners.get(0);
                return first.submit(now -> first.stack().profile().name())
                        .exceptionally(e -> first.stack().profile().name())
                        .thenApply(this::infoRows);
            }
            default -> throw new IllegalArgumentException("unknown request '" + request
                    + "' (expected: ss, stats, info or capture)");
        }
    }

    /** What a request reads of one shard, on that shard's thread: given the shard's index and the time there. */
    private interface ShardRead<T> {
        T read(int shard, long nowNanos);
    }

    /** {@code read} on every shard's thread at once; the results in shard order, once all are in. */
    private <T> CompletableFuture<List<T>> eachShard(ShardRead<T> read) {
        List<CompletableFuture<T>> each = new ArrayList<>();
        for (int i = 0; i < runners.size(); i++) {
            int shard = i;
            each.add(runners.get(i).submit(now -> read.read(shard, now)));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
    }

    /** Every shard's rows, the listeners of all first, then connections and TIME-WAIT entries, each shard's in turn. */
    private static List<String> ssLines(List<List<SsRow>> shards) {
        List<SsRow> all = new ArrayList<>();
        shards.forEach(all::addAll);
        all.sort(java.util.Comparator.comparing(r -> !r.state().equals("LISTEN"))); // stable: each shard's order kept
        return all.stream().map(SsRow::toLine).toList();
    }

    /** {@code name\tvalue} per counter, a value per shard (shard 0's first): the client sums them or not. */
    private static List<String> statsLines(List<Map<String, Long>> shards) {
        List<String> rows = new ArrayList<>();
        for (String name : shards.get(0).keySet()) {
            StringBuilder row = new StringBuilder(name);
            for (Map<String, Long> shard : shards) {
                row.append('\t').append(shard.getOrDefault(name, 0L));
            }
            rows.add(row.toString());
        }
        return rows;
    }

    private List<String> infoRows(String profile) {
        List<String> rows = new ArrayList<>();
        info.forEach((k, v) -> rows.add(k + "\t" + v.replace('\t', ' ').replace('\n', ' ')));
        rows.add("captures\t" + captures.size());
        rows.add(PROFILE + "\t" + profile);
        // answered even when the stack thread died: ss and stats say so rather than wait
        rows.add(HEALTH + "\t" + health().replace('\t', ' ').replace('\n', ' '));
        return rows;
    }

    /**
     * The stack thread's {@link StackRunner#health()}; with several shards, {@code alive} while every
     * shard's is, else the first other one's, naming its shard ({@code dead: shard 1: java.lang.Error: boom}).
     */
    private String health() {
        if (runners.size() == 1) {
            return runners.get(0).health();
        }
        for (int i = 0; i < runners.size(); i++) {
            String health = runners.get(i).health();
            if (!health.equals("alive")) {
                int colon = health.indexOf(": ");
                return colon < 0 ? health + ": shard " + i
                        : health.substring(0, colon) + ": shard " + i + ": " + health.substring(colon + 2);
            }
        }
        return "alive";
    }

    /** Listeners, then connections, then TIME-WAIT entries: on the stack thread. */
    public static List<SsRow> ssRows(TcpStack stack, long nowNanos) {
        List<SsRow> rows = new ArrayList<>();
        for (TcpListener l : stack.listeners()) {
            rows.add(SsRow.of(l));
        }
        Map<ConnectionId, TcpInfo> info = stack.tcpInfo(nowNanos);
        for (ConnectionSnapshot s : stack.snapshot(nowNanos)) {
            rows.add(SsRow.of(s, info.get(s.id())));
        }
        return rows;
    }

    /**
     * The request line, read without blocking for at most {@code timeoutMillis}; null when it did
     * not come in time. Leaves {@code client} in non-blocking mode.
     */
    private static String readLine(SocketChannel client, long timeoutMillis) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST_BYTES);
        client.configureBlocking(false);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try (Selector selector = Selector.open()) {
            client.register(selector, SelectionKey.OP_READ);
            while (in.hasRemaining()) {
                int n = client.read(in);
                if (n < 0 || n > 0 && in.get(in.position() - 1) == '\n') {
                    break;
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return null;
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
    }

    /** Writes what the socket takes now, without waiting: for one-line errors to clients that may not read. */
    private static void sendNow(SocketChannel client, String text) throws IOException {
        client.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code text} to a non-blocking {@code client} within {@code millis}, or gives up with an IOException. */
    private static void sendWithin(SocketChannel client, String text, long millis) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try (Selector selector = Selector.open()) {
            client.register(selector, SelectionKey.OP_WRITE);
            while (out.hasRemaining()) {
                client.write(out);
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (out.hasRemaining() && left <= 0) {
                    throw new IOException("the client did not read its answer within " + millis + " ms");
                }
                if (out.hasRemaining()) {
                    selector.select(left);
                    selector.selectedKeys().clear();
                }
            }
        }
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
