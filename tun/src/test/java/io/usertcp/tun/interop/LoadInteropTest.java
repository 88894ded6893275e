package io.usertcp.tun.interop;

import static io.usertcp.tun.interop.InteropSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.apps.EchoServer;
import io.usertcp.apps.GeneratedBytes;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.TunStackHost;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many connections against the kernel: 1000 short ones one after the other and 200 open at once,
 * each way. Afterwards, with TIME-WAIT shortened to 200 ms, our connection table and TIME-WAIT table
 * are empty and every buffer the stack took from its allocator went back (the allocator is a
 * pooled one without thread caches, so its arenas count exactly; the leak extension checks the
 * rest at Netty's paranoid level). Every loop is bounded in count and time.
 */
@Tag("tun")
@Timeout(120)
class LoadInteropTest {
    static final int PORT = 7007;
    static final int SEQUENTIAL = 1000;
    static final int CONCURRENT = 200;
    static final int MESSAGE_BYTES = 64;
    static final Duration LOOP_LIMIT = Duration.ofSeconds(60);
    static final long TIME_WAIT_NANOS = 200_000_000L;

    PooledByteBufAllocator allocator;
    TransitionLog log;
    TunStackHost host;

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
    }

    @BeforeEach
    void start() {
        // No thread caches: a buffer freed goes straight back to its arena, whose counters are then exact.
        allocator = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false);
        log = new TransitionLog();
        host = TunStackHost.start("usertcp-interop-load", TunStackHost.DEFAULT_MTU, c -> c.withAllocator(allocator).withObserver(log)
                .withTcp(c.tcp().toBuilder().timeWaitNanos(TIME_WAIT_NANOS).build()));
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        assertEquals(0, activeAllocations(), "buffers still held after the stack closed");
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    // Linux: the side that closes first holds TIME-WAIT; here the kernel clients do, 1000 of them
    @Test
    void thousandSequentialKernelClients_toOurEchoServer() throws Exception {
        try (EchoServer echo = new EchoServer(host.runner(), PORT, 8)) {
            int done = host.kernel(() -> {
                long deadline = System.nanoTime() + LOOP_LIMIT.toNanos();
                for (int i = 0; i < SEQUENTIAL; i++) {
                    requireBefore(deadline, i);
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(STACK, PORT), Peers.CONNECT_TIMEOUT_MILLIS);
                        s.setSoTimeout(Peers.CONNECT_TIMEOUT_MILLIS);
                        echoOnce(s.getInputStream(), s.getOutputStream()::write, i);
                    }
                }
                return SEQUENTIAL;
            });
            assertEquals(SEQUENTIAL, done);
            InteropSupport.eventually(InteropSupport.WAIT, () -> echo.connectionsCompleted() == SEQUENTIAL,
                    () -> echo.connectionsCompleted() + " of " + SEQUENTIAL + " completed");
            assertEquals(0, echo.connectionsFailed());
        }
        assertTablesEmptyAndBuffersBack(SEQUENTIAL);
        long kernelTimeWait = InteropSupport.kernelSockets(host).stream()
                .filter(s -> s.state().equals("TIME-WAIT") && s.peer().equals(STACK + ":" + PORT)).count();
        assertEquals(SEQUENTIAL, kernelTimeWait, "every connection closed in order, the kernel closing first");
        assertEquals(SEQUENTIAL, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpPassiveOpens)));
    }

    // We close first: 1000 TIME-WAIT entries of ours come and go (200 ms each) while ports are reused
    @Test
    void thousandSequentialOurClients_toKernelEchoServer() throws Exception {
        try (ServerSocket listener = Peers.kernelListener(host, PORT)) {
            Future<Integer> server = host.namespace().submitInside(() -> kernelEchoServer(listener, SEQUENTIAL, null));
            long deadline = System.nanoTime() + LOOP_LIMIT.toNanos();
            for (int i = 0; i < SEQUENTIAL; i++) {
                requireBefore(deadline, i);
                try (TcpSocket s = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, PORT, Peers.CONNECT_TIMEOUT_MILLIS)) {
                    s.setSoTimeout(Peers.CONNECT_TIMEOUT_MILLIS);
                    echoOnce(s.getInputStream(), s.getOutputStream()::write, i);
                }
            }
            assertEquals(SEQUENTIAL, Peers.get(server));
        }
        assertTablesEmptyAndBuffersBack(SEQUENTIAL);
        assertEquals(SEQUENTIAL, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpActiveOpens)));
        assertEveryConnectionPassedOurTimeWait(SEQUENTIAL);
    }

    @Test
    void twoHundredConcurrentKernelClients_toOurEchoServer() throws Exception {
        ExecutorService pool = pool("kernel-client");
        try (EchoServer echo = new EchoServer(host.runner(), PORT, 256)) {
            // Sockets belong to the namespace they are created in; once made there, any thread may use them.
            List<SocketChannel> channels = host.kernel(() -> {
                List<SocketChannel> list = new ArrayList<>();
                for (int i = 0; i < CONCURRENT; i++) {
                    list.add(SocketChannel.open());
                }
                return list;
            });
            CountDownLatch connected = new CountDownLatch(CONCURRENT);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> clients = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                SocketChannel ch = channels.get(i);
                int n = i;
                clients.add(pool.submit(() -> {
                    try (Socket s = ch.socket()) {
                        s.connect(new InetSocketAddress(STACK, PORT), Peers.CONNECT_TIMEOUT_MILLIS);
                        s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                        connected.countDown();
                        awaitLatch(go);
                        echoOnce(s.getInputStream(), s.getOutputStream()::write, n);
                        return n;
                    }
                }));
            }
            awaitLatch(connected);
            InteropSupport.eventually(InteropSupport.WAIT, () -> echo.activeConnections() == CONCURRENT,
                    () -> echo.activeConnections() + " connections being served");
            assertEquals(CONCURRENT, (int) host.runner().call(now -> host.stack().connectionCount()),
                    "all open at once on our side");
            go.countDown();
            for (Future<Integer> f : clients) {
                Peers.get(f);
            }
            InteropSupport.eventually(InteropSupport.WAIT, () -> echo.connectionsCompleted() == CONCURRENT,
                    () -> echo.connectionsCompleted() + " of " + CONCURRENT + " completed");
            assertEquals(0, echo.connectionsFailed());
        } finally {
            pool.shutdownNow();
        }
        assertTablesEmptyAndBuffersBack(CONCURRENT);
    }

    @Test
    void twoHundredConcurrentOurClients_toKernelEchoServer() throws Exception {
        ExecutorService pool = pool("our-client");
        ExecutorService kernelHandlers = pool("kernel-handler");
        try (ServerSocket listener = Peers.kernelListener(host, PORT)) {
            Future<Integer> server = host.namespace().submitInside(() -> kernelEchoServer(listener, CONCURRENT, kernelHandlers));
            CountDownLatch connected = new CountDownLatch(CONCURRENT);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> clients = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                int n = i;
                clients.add(pool.submit(() -> {
                    try (TcpSocket s = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, PORT,
                            Peers.CONNECT_TIMEOUT_MILLIS)) {
                        s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                        connected.countDown();
                        awaitLatch(go);
                        echoOnce(s.getInputStream(), s.getOutputStream()::write, n);
                        return n;
                    }
                }));
            }
            awaitLatch(connected);
            assertEquals(CONCURRENT, (int) host.runner().call(now -> host.stack().connectionCount()),
                    "all open at once on our side");
            go.countDown();
            for (Future<Integer> f : clients) {
                Peers.get(f);
            }
            assertEquals(CONCURRENT, Peers.get(server));
        } finally {
            pool.shutdownNow();
            kernelHandlers.shutdownNow();
        }
        assertTablesEmptyAndBuffersBack(CONCURRENT);
        assertEveryConnectionPassedOurTimeWait(CONCURRENT);
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    interface Writer {
        void write(byte[] bytes) throws IOException;
    }

    /** Sends message {@code n} ({@link #MESSAGE_BYTES} generated bytes) and checks the echo. */
    private static void echoOnce(InputStream in, Writer out, int n) throws IOException {
        byte[] message = new byte[MESSAGE_BYTES];
        GeneratedBytes.fill((long) n * MESSAGE_BYTES, message, 0, MESSAGE_BYTES);
        out.write(message);
        byte[] echoed = in.readNBytes(MESSAGE_BYTES);
        assertArrayEquals(message, echoed, "echo of message " + n);
    }

    /**
     * A kernel echo server for {@code count} connections: one message back, then close at the
     * client's end of stream. Sequential when {@code handlers} is null.
     */
    private static int kernelEchoServer(ServerSocket listener, int count, ExecutorService handlers) throws Exception {
        listener.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
        AtomicInteger served = new AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        long deadline = System.nanoTime() + LOOP_LIMIT.toNanos();
        for (int i = 0; i < count; i++) {
            requireBefore(deadline, i);
            Socket s = listener.accept();
            Callable<Void> serve = () -> {
                try (s) {
                    s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                    byte[] message = s.getInputStream().readNBytes(MESSAGE_BYTES);
                    s.getOutputStream().write(message);
                    int end = s.getInputStream().read();
                    if (end != -1) {
                        throw new IOException("expected the client's FIN, read " + end);
                    }
                    served.incrementAndGet();
                }
                return null;
            };
            if (handlers == null) {
                serve.call();
            } else {
                running.add(handlers.submit(serve));
            }
        }
        for (Future<?> f : running) {
            Peers.get(f);
        }
        return served.get();
    }

    private void assertTablesEmptyAndBuffersBack(int connections) {
        InteropSupport.eventually(InteropSupport.WAIT,
                () -> host.runner().call(now -> host.stack().connectionCount() + host.stack().timeWaitCount()) == 0,
                () -> host.runner().call(now -> host.stack().connectionCount() + " connections, "
                        + host.stack().timeWaitCount() + " TIME-WAIT entries left"));
        // Outgoing segments are in the TUN device's hands once written; a turn of the loop later none is held but the
        // link's one spare receive buffer, kept for its next read (TunLink takes packet memory from the stack's allocator),
        // and the buffer of the last datagram the stack wrote, which its SegmentWriter keeps to write the next one in.
        InteropSupport.eventually(Duration.ofSeconds(2), () -> host.runner().call(now -> activeAllocations()) == 2,
                () -> activeAllocations() + " buffers of the stack's allocator still held (expected: the link's spare"
                        + " and the stack's last datagram)");
        long allocations = Stream.concat(allocator.metric().directArenas().stream(), allocator.metric().heapArenas().stream())
                .mapToLong(PoolArenaMetric::numAllocations).sum();
        assertTrue(allocations >= 3L * connections, "the counted allocator is the one the stack used: "
                + allocations + " allocations for " + connections + " connections");
    }

    /**
     * We closed first, so each of our connections went FIN-WAIT-1 → (FIN-WAIT-2 →) TIME-WAIT and left
     * it after 2MSL, or earlier at the kernel's RST: RFC 9293 lets an exact RST end TIME-WAIT
     * (Linux tcp_rfc1337=0 does the same). That happens when the kernel retransmits its FIN (its tail
     * loss probe, RFC 8985 §7, fires after about two smoothed RTTs: milliseconds here) before our ACK
     * reaches it: the second FIN is re-ACKed from TIME-WAIT, and that ACK finds the kernel socket
     * closed, which answers with the RST.
     */
    private void assertEveryConnectionPassedOurTimeWait(int connections) {
        Map<ConnectionId, List<String>> paths = log.paths();
        int byTimeout = 0;
        int byReset = 0;
        StringBuilder other = new StringBuilder();
        for (Map.Entry<ConnectionId, List<String>> e : paths.entrySet()) {
            if (e.getKey().remotePort() != PORT) {
                continue;
            }
            List<String> path = e.getValue();
            String last = path.get(path.size() - 1);
            boolean timeWait = path.stream().anyMatch(step -> step.startsWith("TIME_WAIT"));
            if (timeWait && last.equals("CLOSED (2MSL timeout)")) {
                byTimeout++;
            } else if (timeWait && last.equals("CLOSED (rcv RST)")) {
                byReset++;
            } else {
                other.append(e.getKey()).append(": ").append(path).append('\n');
            }
        }
        assertEquals("", other.toString(), "connections that did not pass through our TIME-WAIT");
        assertEquals(connections, byTimeout + byReset, "connections seen");
        assertEquals(byTimeout, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpExtTW)),
                "TcpExtTW counts the TIME-WAIT entries that expired");
        System.out.printf("%d connections through our TIME-WAIT: %d left after 2MSL, %d at the kernel's RST%n",
                connections, byTimeout, byReset);
        if (byReset > 0) {
            System.out.println("the kernel's retransmissions: " + host.namespace().exec("nstat", "-a", "-s", "-z",
                    "TcpRetransSegs", "TcpExtTCPLossProbes").output().strip().replaceAll("\\s+", " "));
        }
    }

    private long activeAllocations() {
        return Stream.concat(allocator.metric().directArenas().stream(), allocator.metric().heapArenas().stream())
                .mapToLong(PoolArenaMetric::numActiveAllocations).sum();
    }

    private static void requireBefore(long deadlineNanos, int done) {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new AssertionError("only " + done + " done within " + LOOP_LIMIT.toSeconds() + " s");
        }
    }

    private static void awaitLatch(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("latch still at " + latch.getCount() + " after 30 s");
        }
    }

    private static ExecutorService pool(String name) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(CONCURRENT, r -> {
            Thread t = new Thread(r, "interop-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
