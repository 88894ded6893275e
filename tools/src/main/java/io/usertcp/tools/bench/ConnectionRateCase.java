package io.usertcp.tools.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.socket.LoopConnection;
import io.usertcp.socket.LoopHandler;
import io.usertcp.socket.LoopServer;
import io.usertcp.socket.StackLoop;
import io.usertcp.socket.StreamEndpoint;
import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tools.bench.Setup.Loss;
import io.usertcp.tun.TunStackHost;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connection rate: several kernel clients, each in a loop, open a connection, send one byte, read
 * the one-byte answer and the server's end of stream, and close. The server (ours, or the kernel's
 * across veth) answers and closes first, so the TIME-WAIT entries pile up on its side (DESIGN.md
 * §13's pile-up, on purpose). Connections per second over the duration, after a warm-up.
 *
 * <p>The clients' ephemeral range is widened to 1024-65535 in the client's namespace only
 * (ip_local_port_range is per namespace): their ports come free at once (they close second), but
 * a wider range spreads the reuse of a port, which meets the server's TIME-WAIT entry of the
 * previous connection on it (RFC 9293 §3.6.1, RFC 6191).
 */
final class ConnectionRateCase {
    private static final int PORT = 5004;
    /** Connections that may fail before a side's run is abandoned. */
    private static final int MAX_FAILURES = 100;
    private static final long SLACK_NANOS = 60_000_000_000L;

    private ConnectionRateCase() {}

    /**
     * The connection-rate case: our server on the event loop (each connection answered and closed
     * from the stack's thread as its byte arrives), the same on two shards (a multi-queue TUN device,
     * a stack and a thread per queue), and on blocking sockets (an accept thread and workers),
     * against the same kernel measurement.
     */
    static List<Measurement> run(BenchOptions o, Progress p) {
        Figure loop = Figure.attempt(p, "connrate usertcp, event loop", "connections/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE)) {
                return measureOnLoop(s, o);
            }
        });
        Figure sharded = Figure.attempt(p, "connrate usertcp, event loop, 2 shards", "connections/s", () -> {
            try (TunSetup s = TunSetup.sharded(o.profile(), BulkCase.MTUS[0], TunStackHost.offloadsByDefault(), 2)) {
                return measureOnLoop(s, o);
            }
        });
        Figure blocking = Figure.attempt(p, "connrate usertcp, blocking sockets", "connections/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE)) {
                return measure(s, o);
            }
        });
        Figure kernel = Figure.attempt(p, "connrate kernel", "connections/s", () -> {
            try (VethSetup s = VethSetup.start(BulkCase.MTUS[0], Loss.NONE)) {
                return measure(s, o);
            }
        });
        String name = "open, 1-byte request, close (server closes first)";
        return List.of(Figure.row(BenchCase.CONNRATE, name, "conn/s", Better.HIGHER, loop, kernel),
                Figure.row(BenchCase.CONNRATE, name + ", 2 shards", "conn/s", Better.HIGHER, sharded, kernel),
                Figure.row(BenchCase.CONNRATE, name + ", blocking sockets", "conn/s", Better.HIGHER, blocking, kernel));
    }

    /** Answers the request byte and closes, from the stack's thread. */
    static final class LoopAnswer implements LoopHandler {
        @Override
        public void onOpen(LoopConnection c) {
            c.setNoDelay(true);
        }

        @Override
        public void onData(LoopConnection c, ByteBuf data) throws IOException {
            c.write(data.readSlice(1));
            c.close();
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            c.close(); // the client gave up before its request
        }
    }

    /** Our server on the event loop, the kernel clients against it. */
    static Figure measureOnLoop(TunSetup s, BenchOptions o) throws Exception {
        Sysctl.set(s.clientNamespace(), "net.ipv4.ip_local_port_range", "1024 65535");
        try (LoopServer server = new StackLoop(s.runners()).listen(PORT, 1024, LoopAnswer::new)) {
            if (o.warmupNanos() > 0) {
                clients(s, o, o.warmupNanos());
            }
            return figure(clients(s, o, o.durationNanos()), o, 0);
        }
    }

    /** The server on {@code s}, the kernel clients against it: warm-up, then the timed run. */
    static Figure measure(Setup s, BenchOptions o) throws Exception {
        Sysctl.set(s.clientNamespace(), "net.ipv4.ip_local_port_range", "1024 65535");
        int timeout = o.socketTimeoutMillis();
        try (Acceptor acceptor = s.listen(PORT, 1024, timeout)) {
            Server server = new Server(acceptor, o.clientThreads());
            try {
                if (o.warmupNanos() > 0) {
                    clients(s, o, o.warmupNanos());
                }
                return figure(clients(s, o, o.durationNanos()), o, server.failures.get());
            } finally {
                server.stop();
            }
        }
    }

    private static Figure figure(Counts counts, BenchOptions o, int serverFailures) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("connections", counts.ok());
        details.put("failed", counts.failed());
        details.put("serverFailures", serverFailures);
        details.put("seconds", counts.nanos() / 1e9);
        details.put("clients", o.clientThreads());
        if (counts.ok() == 0) {
            throw new IllegalStateException("no connection completed (" + counts.failed() + " failed: "
                    + counts.firstError() + ")");
        }
        return Figure.of(counts.ok() * 1e9 / counts.nanos(), details);
    }

    /** Completed and failed connections over how long, and the first failure's message. */
    record Counts(long ok, long failed, long nanos, String firstError) {}

    /** The client threads, inside the client's namespace, until {@code durationNanos} pass. */
    private static Counts clients(Setup s, BenchOptions o, long durationNanos) throws Exception {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        StringBuilder firstError = new StringBuilder();
        long start = System.nanoTime();
        long deadline = start + durationNanos;
        List<Future<Object>> threads = new ArrayList<>();
        for (int i = 0; i < o.clientThreads(); i++) {
            threads.add(s.clientNamespace().submitInside(() -> {
                for (long n = 0; n < Workloads.MAX_ITERATIONS && System.nanoTime() < deadline
                        && failed.get() < MAX_FAILURES; n++) {
                    try {
                        Workloads.shortConnection(s.serverAddress(), PORT, o.socketTimeoutMillis());
                        ok.incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                        synchronized (firstError) {
                            if (firstError.length() == 0) {
                                firstError.append(e);
                            }
                        }
                    }
                }
                lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
                return null;
            }));
        }
        long limit = deadline + SLACK_NANOS;
        for (Future<Object> t : threads) {
            Parties.await(t, limit, "a connection-rate client");
        }
        return new Counts(ok.get(), failed.get(), lastEnd.get() - start, firstError.toString());
    }

    /** The accept loop and the workers that answer and close, the same for both servers. */
    private static final class Server {
        private final Acceptor acceptor;
        private final ExecutorService workers;
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicInteger failures = new AtomicInteger();
        private final Future<?> loop;

        Server(Acceptor acceptor, int workerThreads) {
            this.acceptor = acceptor;
            AtomicInteger n = new AtomicInteger();
            this.workers = Executors.newFixedThreadPool(workerThreads, r -> {
                Thread t = new Thread(r, "usertcp-bench-connrate-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.loop = Parties.onServerThread(() -> {
                acceptLoop();
                return null;
            });
        }

        private void acceptLoop() {
            while (!stopping.get()) {
                StreamEndpoint e;
                try {
                    e = acceptor.accept();
                } catch (SocketTimeoutException idle) {
                    continue;
                } catch (SocketException closed) {
                    return; // stop() closed the listener
                } catch (IOException | RuntimeException other) {
                    if (failures.incrementAndGet() > MAX_FAILURES) {
                        return; // something is badly wrong; the clients will fail and say so
                    }
                    continue;
                }
                workers.execute(() -> {
                    try {
                        Workloads.answerAndClose(e);
                    } catch (IOException | RuntimeException ex) {
                        failures.incrementAndGet();
                    }
                });
            }
        }

        void stop() throws Exception {
            stopping.set(true);
            acceptor.close();
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
            Parties.await(loop, System.nanoTime() + 30_000_000_000L, "the accept loop");
        }
    }
}
