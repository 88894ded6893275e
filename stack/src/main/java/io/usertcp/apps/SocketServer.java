package io.usertcp.apps;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket with an accept thread and one thread per connection. Subclasses say what
 * serving a connection means, and read through {@link #read} so the server knows which
 * connections are idle.
 *
 * <p>Idle connections cannot starve new ones (issue 18: 600 silent connections used to lock
 * everyone out):
 * <ul>
 *   <li>a connection that sends nothing for {@link SocketServerConfig#idleTimeoutMillis()} while
 *       the server waits for it is closed (its read times out), and so is one that takes nothing
 *       that long while the server waits to {@link #write} to it (a client that never reads);
 *   <li>at most {@link SocketServerConfig#maxConnections()} are served at once, which bounds the
 *       threads; but reaching it never stops accepting while one of them is idle: the connection
 *       that has waited in {@link #read} the longest is closed to make room (as nginx reuses its
 *       idle keep-alive connections when it runs out). Only when every connection is busy (its
 *       thread is not waiting for the peer) does a new one wait, in the listener's backlog, until
 *       one finishes or turns idle.
 * </ul>
 * The threads come from a cached pool: the count of connections, not the pool, is the bound, so a
 * closed connection's thread still unwinding never blocks a new one. (Java 17 has no virtual
 * threads; the bundled servers are small and blocking by design, so a bounded thread per
 * connection plus eviction of the idle is the simplest fix that keeps them so.)
 *
 * <p>Shards: a server over the shards of one stack (a TUN host with one queue, stack and thread
 * per shard) listens on every shard, with an accept thread each; a connection is accepted from the
 * listener of the shard that owns its flow, so its socket's work runs on that shard's thread. The
 * limits and the eviction of the idle are the server's, over all shards together.
 *
 * <p>{@link #close()} stops listening, closes every open connection, interrupts the connection
 * threads (a blocked read or write then fails) and waits for them, at most {@link #STOP_MILLIS}.
 */
public abstract class SocketServer implements AutoCloseable {
    /** The longest {@link #close()} waits for the threads to finish. */
    public static final long STOP_MILLIS = 5_000;
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    /** {@link Served#waitingSinceNanos} of a connection whose thread is not waiting in {@link #read}. */
    private static final long NOT_WAITING = Long.MAX_VALUE;
    /** {@link #write} hands the socket at most this much at once, so a stall is seen per piece. */
    static final int WRITE_PIECE_BYTES = 64 * 1024;

    /** One per shard, shard {@code i} at index {@code i}. */
    private final List<TcpServerSocket> listeners;
    private final String name;
    private final SocketServerConfig config;
    private final ThreadPoolExecutor workers;
    /** One per listener. */
    private final List<Thread> acceptThreads = new ArrayList<>();
    private final Map<TcpSocket, Served> open = new ConcurrentHashMap<>();
    /** Guards the accept thread's wait for room; notified when a connection ends or starts waiting. */
    private final Object room = new Object();
    /**
     * Accept threads waiting for room (changed under the room's lock): while there are any, readers
     * tell them when they start waiting.
     */
    private volatile int roomWaiters;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong idleClosed = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    private final AtomicInteger threadCount = new AtomicInteger();
    /** Closes connections whose peer has not taken what they write for the idle timeout. */
    private final ScheduledExecutorService stallWatch;
    private volatile boolean closed;

    /** One connection being served: whether, and since when, its thread waits for the peer. */
    private static final class Served {
        final TcpSocket socket;
        /** Since when its thread waits in {@link #read}: the peer has sent nothing since. */
        volatile long waitingSinceNanos = NOT_WAITING;
        /** Since when its thread waits in {@link #write} for room: the peer has read nothing since. */
        volatile long writingSinceNanos = NOT_WAITING;

        Served(TcpSocket socket) {
            this.socket = socket;
        }
    }

    /**
     * Listens on {@code port} and starts accepting, with the default idle timeout.
     *
     * @param maxConnections connections served at once, 1..4096; also the listener's backlog
     * @param name           names the threads, e.g. {@code echo}
     * @throws BindException when the port already has a listener
     */
    protected SocketServer(StackRunner runner, int port, int maxConnections, String name) throws BindException {
        this(runner, port, SocketServerConfig.of(maxConnections), name);
    }

    /**
     * Listens on {@code port} and starts accepting.
     *
     * @param name names the threads, e.g. {@code echo}
     * @throws BindException when the port already has a listener
     */
    protected SocketServer(StackRunner runner, int port, SocketServerConfig config, String name) throws BindException {
        this(List.of(runner), port, config, name);
    }

    /**
     * Listens on {@code port} of every shard and starts accepting on each; the limits hold over all of them.
     *
     * @param shards the stack's shards' runners, shard {@code i} at index {@code i} (one for an unsharded stack)
     * @param name   names the threads, e.g. {@code echo}
     * @throws BindException when the port already has a listener (on any shard: none listens then)
     */
    protected SocketServer(List<StackRunner> shards, int port, SocketServerConfig config, String name) throws BindException {
        if (shards == null || shards.isEmpty() || shards.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("shards: " + shards + " (expected: the stack's runner, or its shards')");
        }
        this.name = name;
        this.config = config;
        this.listeners = listen(shards, port, config.maxConnections());
        this.workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "usertcp-" + name + "-" + port + "-" + threadCount.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < listeners.size(); i++) {
            TcpServerSocket listener = listeners.get(i);
            Thread t = new Thread(() -> acceptLoop(listener),
                    "usertcp-" + name + "-" + port + "-accept" + (listeners.size() > 1 ? "-shard" + i : ""));
            t.setDaemon(true);
            acceptThreads.add(t);
        }
        this.stallWatch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "usertcp-" + name + "-" + port + "-stalls");
            t.setDaemon(true);
            return t;
        });
        long periodMillis = Math.max(10, config.idleTimeoutMillis() / 4);
        this.stallWatch.scheduleWithFixedDelay(this::closeStalledWriters, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        acceptThreads.forEach(Thread::start);
    }

    /** A listener on each shard; when one cannot listen, those made before it are closed again. */
    private static List<TcpServerSocket> listen(List<StackRunner> shards, int port, int backlog) throws BindException {
        List<TcpServerSocket> made = new ArrayList<>();
        try {
            for (StackRunner runner : shards) {
                made.add(new TcpServerSocket(runner, port, backlog));
            }
            return List.copyOf(made);
        } catch (BindException | RuntimeException e) {
            made.forEach(TcpServerSocket::close);
            throw e;
        }
    }

    /** The limits this server runs with. */
    public SocketServerConfig config() {
        return config;
    }

    /**
     * Serves one connection on its own thread. The server closes the socket afterwards (a normal
     * close, or a reset when unread data is left), so an implementation only returns. Reads go
     * through {@link #read}; the socket's SO_TIMEOUT is the idle timeout (an implementation may
     * set a shorter one).
     */
    protected abstract void serve(TcpSocket socket) throws IOException;

    /**
     * Reads from a connection being served, as {@link TcpSocket#read}, marking it idle while it
     * waits: the connection idle the longest is the one closed when room is needed.
     *
     * @throws java.net.SocketTimeoutException when the peer sent nothing for the socket's SO_TIMEOUT
     *                                         (the idle timeout); the connection is then closed
     */
    protected final int read(TcpSocket socket, byte[] buffer, int offset, int length) throws IOException {
        Served served = open.get(socket);
        if (served == null) {
            return socket.read(buffer, offset, length);
        }
        served.waitingSinceNanos = System.nanoTime();
        if (roomWaiters > 0) {
            synchronized (room) {
                room.notifyAll();
            }
        }
        try {
            return socket.read(buffer, offset, length);
        } catch (SocketTimeoutException e) {
            idleClosed.incrementAndGet();
            throw e;
        } finally {
            served.waitingSinceNanos = NOT_WAITING;
        }
    }

    /** The port this server listens on. */
    public int port() {
        return listeners.get(0).getLocalPort();
    }

    /** How many shards it listens on. */
    public int shards() {
        return listeners.size();
    }

    /** Connections accepted so far. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Connections whose {@link #serve} returned normally. */
    public long connectionsCompleted() {
        return completed.get();
    }

    /** Connections whose {@link #serve} threw (reset by the peer, timed out, ...). */
    public long connectionsFailed() {
        return failed.get();
    }

    /**
     * Writes to a connection being served, as {@link TcpSocket#write}, in pieces of at most
     * {@link #WRITE_PIECE_BYTES}. A piece the peer does not make room for within the idle timeout
     * (it stopped reading) closes the connection, as nginx's send_timeout does: a client that
     * never reads cannot hold a thread for ever.
     *
     * @throws java.net.SocketException "Socket is closed" when it was closed for that
     */
    protected final void write(TcpSocket socket, byte[] buffer, int offset, int length) throws IOException {
        Served served = open.get(socket);
        if (served == null) {
            socket.write(buffer, offset, length);
            return;
        }
        for (int done = 0; done < length; ) {
            int n = Math.min(WRITE_PIECE_BYTES, length - done);
            served.writingSinceNanos = System.nanoTime();
            try {
                socket.write(buffer, offset + done, n);
            } finally {
                served.writingSinceNanos = NOT_WAITING;
            }
            done += n;
        }
    }

    /** On the stall watch: closes connections whose current write piece has waited the idle timeout. */
    private void closeStalledWriters() {
        long now = System.nanoTime();
        long limit = config.idleTimeoutMillis() * 1_000_000L;
        for (Served s : open.values()) {
            long since = s.writingSinceNanos;
            if (since != NOT_WAITING && now - since >= limit && open.remove(s.socket) != null) {
                idleClosed.incrementAndGet();
                log.debug("{} on port {}: closing {}, its peer took nothing for {} ms", name, port(), s.socket,
                        (now - since) / 1_000_000);
                close(s.socket);
                synchronized (room) {
                    room.notifyAll();
                }
            }
        }
    }

    /** Connections being served now. */
    public int activeConnections() {
        return open.size();
    }

    /** Connections whose thread waits for the peer now (in {@link #read}): the ones that may be closed to make room. */
    public int idleConnections() {
        int n = 0;
        for (Served s : open.values()) {
            if (s.waitingSinceNanos != NOT_WAITING) {
                n++;
            }
        }
        return n;
    }

    /**
     * Connections closed for the idle timeout: the peer sent nothing that long while the server
     * waited to read, or took nothing that long while it waited to write.
     */
    public long connectionsIdleClosed() {
        return idleClosed.get();
    }

    /** Idle connections closed to make room for a new one while {@code maxConnections} were served. */
    public long connectionsEvicted() {
        return evicted.get();
    }

    /** One shard's accept thread: its connections are that shard's. */
    private void acceptLoop(TcpServerSocket listener) {
        while (!closed) {
            TcpSocket socket;
            try {
                socket = listener.accept();
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    log.warn("{} on port {}: accept failed, the server stops accepting", name, port(), e);
                }
                return;
            }
            accepted.incrementAndGet();
            Served served = new Served(socket);
            try {
                admit(served);
            } catch (InterruptedException e) {
                close(socket);
                return; // closing
            }
            if (closed) {
                finish(socket); // close() may have gone through the open set already
                return;
            }
            try {
                socket.setSoTimeout(config.idleTimeoutMillis());
                workers.execute(() -> runConnection(socket));
            } catch (RejectedExecutionException e) {
                finish(socket); // closing: the pool is shut down
            }
        }
    }

    /**
     * Adds {@code served} to the open set once fewer than {@code maxConnections} are served: at once
     * when there is room; else after closing the connection idle the longest; else (all busy) when
     * one ends or turns idle. Under the room's lock, so that the accept threads of several shards
     * together never pass the limit.
     */
    private void admit(Served served) throws InterruptedException {
        synchronized (room) {
            if (open.size() >= config.maxConnections()) {
                roomWaiters++; // before looking, so a reader that starts waiting now notifies us
                try {
                    while (!closed && open.size() >= config.maxConnections()) {
                        Served idle = longestIdle();
                        if (idle != null) {
                            evict(idle);
                        } else {
                            room.wait(1_000); // woken when a connection ends or starts waiting; bounded anyway
                        }
                    }
                } finally {
                    roomWaiters--;
                }
            }
            open.put(served.socket, served);
        }
    }

    /** The connection that has waited in {@link #read} the longest, or null when none waits. */
    private Served longestIdle() {
        Served oldest = null;
        for (Served s : open.values()) {
            long since = s.waitingSinceNanos;
            if (since != NOT_WAITING && (oldest == null || since - oldest.waitingSinceNanos < 0)) {
                oldest = s;
            }
        }
        return oldest;
    }

    /** Closes an idle connection; its thread's read fails at once and it unwinds on its own. */
    private void evict(Served idle) {
        if (open.remove(idle.socket) == null) {
            return; // ended meanwhile: room anyway
        }
        evicted.incrementAndGet();
        log.debug("{} on port {}: closing {}, idle for {} ms, to make room for a new connection", name, port(),
                idle.socket, (System.nanoTime() - idle.waitingSinceNanos) / 1_000_000);
        close(idle.socket);
    }

    private void runConnection(TcpSocket socket) {
        try {
            serve(socket);
            completed.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            failed.incrementAndGet();
            log.debug("{} connection {} ended with {}", name, socket, e.toString());
        } finally {
            finish(socket);
        }
    }

    private void finish(TcpSocket socket) {
        // close() interrupts blocked connection threads; the socket's own close must still reach the stack.
        boolean interrupted = Thread.interrupted();
        try {
            close(socket);
        } finally {
            open.remove(socket);
            synchronized (room) {
                room.notifyAll();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void close(TcpSocket socket) {
        try {
            socket.close();
        } catch (RuntimeException e) {
            log.debug("{}: closing {} failed: {}", name, socket, e.toString());
        }
    }

    /** Stops listening, closes the open connections and stops the threads. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TcpServerSocket listener : listeners) {
            try {
                listener.close();
            } catch (RuntimeException e) {
                log.debug("{}: closing the listener failed: {}", name, e.toString());
            }
        }
        acceptThreads.forEach(Thread::interrupt);
        for (TcpSocket socket : open.keySet()) {
            close(socket);
        }
        stallWatch.shutdownNow();
        workers.shutdownNow();
        try {
            long deadline = System.nanoTime() + STOP_MILLIS * 1_000_000L;
            for (Thread t : acceptThreads) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            }
            long left = Math.max(1, deadline - System.nanoTime());
            if (!workers.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                log.warn("{} on port {}: connection threads still running after {} ms", name, port(), STOP_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
