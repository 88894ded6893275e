package io.usertcp.tools.bench;

import io.usertcp.socket.StreamEndpoint;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection with both ends running at once: the server's part on a plain thread (ours, or
 * the kernel's listener, which works from any thread once bound inside its namespace), the kernel
 * client's part on a thread inside the client's namespace. Both are bounded: past the time limit
 * every endpoint is closed, which ends blocked reads and writes on both stacks, and the run fails
 * with a {@link TimeoutException} that says which part was still running.
 */
final class Parties {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Server parts and server accept loops; daemon threads, so a stuck one never holds the JVM. */
    static final ExecutorService SERVER_THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "usertcp-bench-server-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private Parties() {}

    /** Work on one end. */
    @FunctionalInterface
    interface Part<T> {
        T run(StreamEndpoint e) throws Exception;
    }

    /** Both parts' results. */
    record Outcome<S, C>(S server, C client) {}

    /**
     * Listens on {@code port}, has the kernel client connect, and runs both parts.
     *
     * @param limitNanos how long both parts may take together
     */
    static <S, C> Outcome<S, C> run(Setup setup, int port, int timeoutMillis, long limitNanos, Part<S> serverPart,
                                    Part<C> clientPart) throws Exception {
        List<StreamEndpoint> open = new CopyOnWriteArrayList<>();
        try (Acceptor acceptor = setup.listen(port, 16, timeoutMillis)) {
            Future<C> client = setup.clientNamespace().submitInside(() -> {
                StreamEndpoint e = Workloads.connectKernel(setup.serverAddress(), port, timeoutMillis);
                open.add(e);
                return clientPart.run(e);
            });
            Future<S> server = SERVER_THREADS.submit(() -> {
                StreamEndpoint e = acceptor.accept();
                open.add(e);
                return serverPart.run(e);
            });
            long deadline = System.nanoTime() + limitNanos;
            try {
                S s = await(server, deadline, "the " + setup.side() + " server");
                C c = await(client, deadline, "the kernel client");
                return new Outcome<>(s, c);
            } finally {
                closeAll(open);
                client.cancel(true);
                server.cancel(true);
            }
        }
    }

    /** Waits for {@code future} until {@code deadlineNanos}; rethrows what it threw. */
    static <T> T await(Future<T> future, long deadlineNanos, String what) throws Exception {
        try {
            return future.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException(what + " did not finish in time (a stall?)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Runs {@code task} on a server thread. */
    static <T> Future<T> onServerThread(Callable<T> task) {
        return SERVER_THREADS.submit(task);
    }

    private static void closeAll(List<StreamEndpoint> endpoints) {
        for (StreamEndpoint e : endpoints) {
            try {
                e.close();
            } catch (IOException | RuntimeException ignored) {
                // already closed by its part, or the connection failed: nothing left to release
            }
        }
    }
}
