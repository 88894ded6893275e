package io.usertcp.tools.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpState;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.control.SsRow;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpHeader;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What a {@link Scenario} plays with: our stack's connections driven directly (so that the
 * scenario decides exactly when each side reads, writes, closes or aborts), kernel sockets in the
 * namespace, waits on both sides' states (bounded), the promises it checks, and tables.
 *
 * <p>Every wait has a time limit; kernel sockets opened here are closed by {@link #closeAll()}
 * before the namespace is deleted.
 */
public final class ScenarioRun {
    /** The default limit of one wait for a state. */
    public static final long WAIT_MILLIS = 3_000;

    private final StackSession session;
    private final Narrator n;
    private final List<ScenarioResult.Check> checks = new ArrayList<>();
    private final List<ConnectionId> connections = new ArrayList<>();
    private final Map<ConnectionId, TcpConnection> ours = new LinkedHashMap<>();
    private final List<Closeable> kernelSockets = new ArrayList<>();

    ScenarioRun(StackSession session) {
        this.session = session;
        this.n = session.narrator();
    }

    public StackSession session() {
        return session;
    }

    public Narrator narrator() {
        return n;
    }

    public StackRunner runner() {
        return session.runner();
    }

    // ------------------------------------------------------------------ our side

    /** A listener of our stack whose connections the scenario takes one by one. */
    public final class OurListener {
        private final TcpListener listener;
        private final Semaphore acceptable = new Semaphore(0);

        private OurListener(int port, int backlog) {
            this.listener = runner().call(now -> {
                TcpListener l = session.stack().listen(now, port, backlog);
                l.setOnAcceptable(acceptable::release);
                return l;
            });
        }

        /** The next established connection, waiting at most {@link #WAIT_MILLIS}. */
        public TcpConnection accept(String description) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            while (true) {
                TcpConnection c = runner().call(now -> listener.accept());
                if (c != null) {
                    return track(c, description);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("no connection to accept on port " + listener.port() + " within " + WAIT_MILLIS + " ms");
                }
                acceptable.tryAcquire(left, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Our stack listens on {@code port}. */
    public OurListener listen(int port) {
        return new OurListener(port, 64);
    }

    /** Our stack connects to the kernel's {@code port} and waits until ESTABLISHED. */
    public TcpConnection connect(int port, String description) throws InterruptedException {
        Opened o = open(port, description);
        if (!session.recorder().awaitState(o.connection().id(), TcpState.ESTABLISHED, o.nanos(), WAIT_MILLIS)) {
            throw new IllegalStateException("our connection to port " + port + " was not established within " + WAIT_MILLIS + " ms");
        }
        return o.connection();
    }

    /** A connection our stack opened, and when (stack clock). */
    public record Opened(TcpConnection connection, long nanos) {}

    /**
     * Our stack opens a connection to the kernel's {@code port} (its SYN goes out next), without
     * waiting for the handshake.
     *
     * @throws IllegalStateException when the stack cannot: no free ephemeral port, say (where Linux's
     *                               connect() fails with EADDRNOTAVAIL)
     */
    public Opened open(int port, String description) {
        Opened o = runner().call(now -> new Opened(session.stack().connect(now, TunStackHost.KERNEL_ADDRESS.bits(), port), now));
        track(o.connection(), description);
        return o;
    }

    private TcpConnection track(TcpConnection c, String description) {
        show(c.id(), description);
        ours.put(c.id(), c);
        return c;
    }

    /**
     * Draws {@code id} at the end and keeps its states in the result, though our stack may have no
     * connection for it (a crafted segment it dropped, say). A four-tuple used again is drawn once,
     * all its incarnations together, with the latest description.
     */
    public void show(ConnectionId id, String description) {
        if (!connections.contains(id)) {
            connections.add(id);
        }
        session.labels().describe(id, description);
    }

    /** Queues {@code text} on our connection. */
    public void send(TcpConnection c, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        runner().call(now -> {
            ByteBuf buf = Unpooled.wrappedBuffer(bytes);
            try {
                return c.send(now, buf);
            } finally {
                buf.release();
            }
        });
    }

    /** Reads what our connection has received: {@code null} at end of stream, "" when nothing yet. */
    public String readNow(TcpConnection c) {
        return runner().call(now -> {
            ByteBuf dst = Unpooled.buffer(64 * 1024);
            try {
                int r = c.read(now, dst);
                return r < 0 ? null : dst.toString(StandardCharsets.UTF_8);
            } finally {
                dst.release();
            }
        });
    }

    /** Reads until {@code bytes} bytes came or the stream ended, at most {@link #WAIT_MILLIS}. */
    public String read(TcpConnection c, int bytes) throws InterruptedException {
        StringBuilder got = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (got.length() < bytes && System.nanoTime() < deadline) {
            String chunk = readNow(c);
            if (chunk == null) {
                break;
            }
            got.append(chunk);
            if (chunk.isEmpty()) {
                Thread.sleep(5);
            }
        }
        return got.toString();
    }

    /** Bytes received and not read yet. */
    public int readable(TcpConnection c) {
        return runner().call(now -> c.readableBytes());
    }

    /** CLOSE on our side. */
    public void close(TcpConnection c) {
        runner().call(now -> {
            c.close(now);
            return null;
        });
    }

    /** SHUTDOWN of our sending side (half close). */
    public void shutdownOutput(TcpConnection c) {
        runner().call(now -> {
            c.shutdownOutput(now);
            return null;
        });
    }

    /** SO_LINGER {on, 0}, then CLOSE: an abort with RST. */
    public void closeWithLingerZero(TcpConnection c) {
        runner().call(now -> {
            c.setLinger(true, 0);
            c.close(now);
            return null;
        });
    }

    /** SO_KEEPALIVE with idle, interval and probe count. */
    public void keepAlive(TcpConnection c, long idleMillis, long intervalMillis, int probes) {
        runner().call(now -> {
            c.setKeepAlive(now, true, TimeUnit.MILLISECONDS.toNanos(idleMillis), TimeUnit.MILLISECONDS.toNanos(intervalMillis), probes);
            return null;
        });
    }

    public CloseReason closeReason(TcpConnection c) {
        return runner().call(now -> c.closeReason());
    }

    /**
     * Runs {@code action} on the stack thread, then keeps the thread (and so our whole stack) busy
     * until {@code until} holds or {@code maxMillis} pass: packets from the kernel wait, unread, in
     * the TUN device's queue meanwhile. Used to make segments cross on the wire.
     *
     * @return whether {@code until} held
     */
    public boolean holdStack(StackAction action, BooleanSupplier until, long maxMillis) {
        return runner().call(now -> {
            try {
                action.run(now);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
                while (!until.getAsBoolean()) {
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    Thread.sleep(2);
                }
                return true;
            } catch (Exception e) {
                throw new IllegalStateException("while holding the stack: " + e, e);
            }
        });
    }

    /** Work on the stack thread that may throw (closing a kernel socket, say). */
    @FunctionalInterface
    public interface StackAction {
        void run(long nowNanos) throws Exception;
    }

    /** Sends what our stack has queued now, from the stack thread (inside {@link #holdStack}). */
    public void transmitNow(long nowNanos) {
        session.stack().pollTransmit(nowNanos, session.host().link());
    }

    // ------------------------------------------------------------------ crafted segments

    /**
     * Hands a segment the scenario built to our stack as if it had come in through the TUN device
     * from {@code source} (which may be an address nobody holds: a spoofed one), then sends at once
     * whatever the stack answers. On the stack thread, so that when this returns the segment has
     * been processed and any answer is on its way; observers see it arrive like any other.
     */
    public void craftToStack(Ipv4Address source, TcpHeader header) {
        runner().call(now -> {
            session.stack().receive(now, CraftedSegment.packet(session.stack().allocator(), source,
                    session.host().stackAddress(), header));
            transmitNow(now);
            return null;
        });
    }

    /**
     * Writes a segment the scenario built into the TUN device, from our stack's address to the
     * namespace's kernel (no other destination): the kernel receives it as if our stack had sent it.
     * Observers (ladder, pcap) see it leave, as if our stack had sent it.
     */
    public void craftToKernel(TcpHeader header) {
        runner().call(now -> {
            ByteBuf packet = CraftedSegment.packet(session.stack().allocator(), session.host().stackAddress(),
                    session.host().kernelAddress(), header);
            session.observers().segmentOut(now, new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes()));
            session.host().link().transmit(packet);
            return null;
        });
    }

    // ------------------------------------------------------------------ the kernel's side

    /** A kernel socket connected to our {@code port}. */
    public Socket kernelConnect(int port) throws Exception {
        Socket s = KernelClients.connect(session.host(), port);
        kernelSockets.add(s);
        return s;
    }

    /** A kernel listener on {@code 198.18.0.1:port}. */
    public ServerSocket kernelListen(int port) throws Exception {
        ServerSocket s = session.host().kernel(() -> new ServerSocket(port, 64, InetAddress.getByName(TunStackHost.KERNEL_ADDRESS.toString())));
        s.setSoTimeout((int) WAIT_MILLIS);
        kernelSockets.add(s);
        return s;
    }

    /** Keeps a kernel socket to close at the end. */
    public <T extends Closeable> T keep(T socket) {
        kernelSockets.add(socket);
        return socket;
    }

    /** Writes on a kernel socket. */
    public static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    /** Reads on a kernel socket until {@code bytes} came or the stream ended. */
    public static String read(Socket s, int bytes) throws IOException {
        return new String(KernelClients.readExactly(s, bytes), StandardCharsets.UTF_8);
    }

    /**
     * Runs {@code nft} inside the namespace with the arguments given (one rule per call).
     *
     * @throws IllegalStateException when nft fails
     */
    public void nft(String... args) {
        List<String> command = new ArrayList<>(List.of("nft"));
        command.addAll(List.of(args));
        ExecResult r = session.namespace().exec(command.toArray(String[]::new));
        if (!r.succeeded()) {
            throw new IllegalStateException(r.describe());
        }
    }

    // ------------------------------------------------------------------ promises

    /** Waits until our connection reaches {@code state}, and records the promise. */
    public boolean expectOurs(ConnectionId id, TcpState state, long timeoutMillis) throws InterruptedException {
        boolean ok = session.recorder().awaitState(id, state, timeoutMillis);
        return check("ours " + session.labels().label(id) + " reaches " + state.rfcName(), ok,
                ok ? "" : "saw " + Demo.joined(session.recorder().statesOf(id)));
    }

    /** Waits until the kernel's socket for {@code id} is seen in {@code state}, and records the promise. */
    public boolean expectKernel(ConnectionId id, String state, long timeoutMillis) throws InterruptedException {
        boolean ok = session.kernel().awaitState(id, state, timeoutMillis);
        return check("kernel " + session.labels().label(id) + " reaches " + state, ok,
                ok ? "" : "saw " + Demo.joined(session.kernel().statesOf(id)));
    }

    /** Records a promise and prints whether it held. */
    public boolean check(String what, boolean passed, String detail) {
        checks.add(new ScenarioResult.Check(what, passed, detail));
        if (passed) {
            n.ok(what);
        } else {
            n.fail(what + (detail.isEmpty() ? "" : ": " + detail));
        }
        return passed;
    }

    List<ScenarioResult.Check> checks() {
        return List.copyOf(checks);
    }

    List<ConnectionId> connections() {
        return List.copyOf(connections);
    }

    Map<ConnectionId, TcpConnection> ourConnections() {
        return Map.copyOf(ours);
    }

    // ------------------------------------------------------------------ tables

    /** Prints both sides' tables: ours as {@code usertcp ss}, the kernel's as {@code ss -tan} sees it. */
    public void tables(int maxRows) {
        List<SsRow> mine = runner().call(now -> ControlServer.ssRows(session.stack(), now));
        List<SsRow> kernel = new ArrayList<>();
        for (KernelSocket k : session.kernel().current().values()) {
            kernel.add(SsRow.of(k));
        }
        n.say("ours (usertcp ss):");
        n.block(limit(SsRow.table(mine), maxRows));
        n.say("the kernel's (ss -tano):");
        n.block(limit(SsRow.table(kernel), maxRows));
    }

    private static String limit(String table, int maxRows) {
        List<String> lines = table.lines().toList();
        if (lines.size() <= maxRows + 1) {
            return table;
        }
        return String.join("\n", lines.subList(0, maxRows + 1)) + "\n... " + (lines.size() - 1 - maxRows) + " more rows";
    }

    /** How many of our connections or TIME-WAIT entries are in {@code state} now. */
    public long countOurs(TcpState state) {
        return runner().call(now -> session.stack().snapshot(now).stream().filter(s -> s.state() == state).count());
    }

    /** Our stack's counters now. */
    public Map<String, Long> counters() {
        return runner().call(now -> session.stack().stats().snapshot());
    }

    /** Closes the kernel sockets this run opened (they would keep the namespace alive). */
    void closeAll() {
        for (Closeable c : kernelSockets) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing at the end; nothing to do
            }
        }
    }

    /** {@code 198.18.0.2:port} for messages. */
    public static String ours(int port) {
        return Ipv4Address.format(TunStackHost.STACK_ADDRESS.bits()) + ":" + port;
    }

    /** Drains a kernel socket's input into a string, at most {@code max} bytes (used after a reset). */
    public static String drain(Socket s, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int r;
        while (out.size() < max && (r = s.getInputStream().read(buf)) > 0) {
            out.write(buf, 0, r);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
