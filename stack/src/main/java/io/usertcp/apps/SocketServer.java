package io.usertcp.apps;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket with an accept thread and one thread per connection, at most
 * {@code maxConnections} at once: when that many are being served the accept thread waits, and new
 * connections wait in the listener's backlog. Subclasses say what serving a connection means.
 *
 * <p>{@link #close()} stops listening, closes every open connection, interrupts the connection
 * threads (a blocked read or write then fails) and waits for them, at most {@link #STOP_MILLIS}.
 */
public abstract class SocketServer implements AutoCloseable {
    /** The longest {@link #close()} waits for the threads to finish. */
    public static final long STOP_MILLIS = 5_000;
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

    private final TcpServerSocket listener;
    private final String name;
    private final Semaphore slots;
    private final ThreadPoolExecutor workers;
    private final Thread acceptThread;
    private final Set<TcpSocket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicInteger threadCount = new AtomicInteger();
    private volatile boolean closed;

    /**
     * Listens on {@code port} and starts accepting.
     *
     * @param maxConnections connections served at once, 1..4096; also the listener's backlog
     * @param name           names the threads, e.g. {@code echo}
     * @throws IllegalStateException when the port already has a listener
     */
    protected SocketServer(StackRunner runner, int port, int maxConnections, String name) {
        if (maxConnections < 1 || maxConnections > 4096) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: 1..4096)");
        }
        this.name = name;
        this.slots = new Semaphore(maxConnections);
        this.listener = new TcpServerSocket(runner, port, maxConnections);
        this.workers = new ThreadPoolExecutor(0, maxConnections, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "usertcp-" + name + "-" + port + "-" + threadCount.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptThread = new Thread(this::acceptLoop, "usertcp-" + name + "-" + port + "-accept");
        this.acceptThread.setDaemon(true);
        this.acceptThread.start();
    }

    /**
     * Serves one connection on its own thread. The server closes the socket afterwards (a normal
     * close, or a reset when unread data is left), so an implementation only returns.
     */
    protected abstract void serve(TcpSocket socket) throws IOException;

    /** The port this server listens on. */
    public int port() {
        return listener.getLocalPort();
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

    /** Connections being served now. */
    public int activeConnections() {
        return open.size();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            TcpSocket socket;
            try {
                socket = listener.accept();
            } catch (IOException | RuntimeException e) {
                slots.release();
                if (!closed) {
                    log.warn("{} on port {}: accept failed, the server stops accepting", name, port(), e);
                }
                return;
            }
            accepted.incrementAndGet();
            open.add(socket);
            if (closed) {
                finish(socket); // close() may have gone through the open set already
                return;
            }
            try {
                workers.execute(() -> runConnection(socket));
            } catch (RejectedExecutionException e) {
                finish(socket); // closing: the pool is shut down
            }
        }
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
            socket.close();
        } catch (RuntimeException e) {
            log.debug("{}: closing {} failed: {}", name, socket, e.toString());
        } finally {
            open.remove(socket);
            slots.release();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops listening, closes the open connections and stops the threads. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listener.close();
        } catch (RuntimeException e) {
            log.debug("{}: closing the listener failed: {}", name, e.toString());
        }
        acceptThread.interrupt();
        for (TcpSocket socket : open) {
            try {
                socket.close();
            } catch (RuntimeException e) {
                log.debug("{}: closing {} failed: {}", name, socket, e.toString());
            }
        }
        workers.shutdownNow();
        try {
            long deadline = System.nanoTime() + STOP_MILLIS * 1_000_000L;
            acceptThread.join(STOP_MILLIS);
            long left = Math.max(1, deadline - System.nanoTime());
            if (!workers.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                log.warn("{} on port {}: connection threads still running after {} ms", name, port(), STOP_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
