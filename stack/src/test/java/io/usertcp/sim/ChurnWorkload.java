package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.TcpdumpFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An application on each side of a {@link SimulatedNetwork}: clients on A open connections in
 * batches to several listening ports on B; each connection carries a few small messages from the
 * client, then the server's answer, then closes the way its {@link CloseMode} says. The workload
 * checks every byte and every {@link CloseReason} as connections end, and tells when all are done.
 *
 * <p>The application runs between slices of virtual time ({@link #SLICE_NANOS}), like an event loop
 * that wakes every millisecond; the network's delay is larger than a slice, so an application
 * always reads what arrived before the next packet of the same connection can.
 */
final class ChurnWorkload {
    static final long MILLI = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final long SLICE_NANOS = MILLI;
    /**
     * Abortive modes: when the peer aborted this long ago and no RST arrived (it was lost), the side
     * expecting it closes normally; the peer's stack, which no longer knows the connection,
     * answers that FIN with another RST (RFC 9293 §3.10.7.1). The applications learn of the abort
     * out of band, as two processes could over another channel; a timer of their own could fire
     * while the aborting side is still waiting for its data to be acknowledged.
     */
    static final long RST_LOST_FALLBACK_NANOS = 3 * SECOND;

    /** How a connection ends. */
    enum CloseMode {
        /** The client closes after reading the answer; the server closes at end of stream. Client TIME-WAIT. */
        CLIENT_FIRST,
        /** The server closes right after its answer (FIN after data); the client closes at end of stream. Server TIME-WAIT. */
        SERVER_FIRST,
        /**
         * Once both sides are done (they agree out of band, as two processes could over another
         * channel), both close within a millisecond, so the FINs cross: CLOSING and TIME-WAIT on both.
         */
        SIMULTANEOUS,
        /** The client closes with SO_LINGER {on, 0}: RST, no TIME-WAIT; the server sees a reset. */
        ABORT_CLIENT,
        /** The server closes with SO_LINGER {on, 0} once its answer is acknowledged; the client sees a reset. */
        ABORT_SERVER;

        CloseReason expected(boolean client) {
            return switch (this) {
                case CLIENT_FIRST, SERVER_FIRST, SIMULTANEOUS -> CloseReason.NORMAL;
                case ABORT_CLIENT -> client ? CloseReason.ABORTED : CloseReason.RESET;
                case ABORT_SERVER -> client ? CloseReason.RESET : CloseReason.ABORTED;
            };
        }
    }

    /**
     * @param connections      connections to open in all
     * @param ports            listening ports on B
     * @param meanBatch        mean connections per batch (uniform in 1..2·mean-1)
     * @param batchEveryNanos  time between batches
     * @param maxMessages      messages per direction, uniform in 1..max
     * @param maxMessageBytes  bytes per message, uniform in 1..max
     */
    record Shape(int connections, int[] ports, int meanBatch, long batchEveryNanos, int maxMessages, int maxMessageBytes) {
    }

    /** What one connection will do, drawn when the client opens it. */
    static final class Plan {
        final int index;
        final CloseMode mode;
        final byte[][] clientMessages;
        final byte[][] serverMessages;
        final byte[] clientBytes;
        final byte[] serverBytes;
        boolean accepted;
        boolean clientEnded;
        boolean clientDone;
        boolean serverDone;
        /** When the aborting side (ABORT_CLIENT or ABORT_SERVER) aborted; -1 before. */
        long abortedNanos = -1;

        Plan(int index, CloseMode mode, byte[][] clientMessages, byte[][] serverMessages) {
            this.index = index;
            this.mode = mode;
            this.clientMessages = clientMessages;
            this.serverMessages = serverMessages;
            this.clientBytes = concat(clientMessages);
            this.serverBytes = concat(serverMessages);
        }
    }

    private final SimulatedNetwork net;
    private final Shape shape;
    private final RandomSource random;
    private final List<TcpListener> listeners = new ArrayList<>();
    private final Map<Integer, Plan> plans = new HashMap<>();
    private final List<Side> active = new ArrayList<>();
    private final List<TcpConnection> everyConnection = new ArrayList<>();
    private final Map<CloseMode, Integer> modes = new EnumMap<>(CloseMode.class);
    private final Map<CloseReason, Integer> reasons = new EnumMap<>(CloseReason.class);
    private final ByteBufAllocator allocator;
    private final ByteBuf readBuffer;
    /** Per (client port, server port), the packets between them; only when tracing (for debugging a failure). */
    private final Map<Integer, List<String>> perConnectionTrace;
    private int opened;
    private int portExhausted;
    private int finished;
    private long nextBatchNanos;

    ChurnWorkload(SimulatedNetwork net, Shape shape, long seed, boolean traceConnections) {
        this.net = net;
        this.shape = shape;
        this.random = RandomSource.seeded(seed);
        this.allocator = net.a().stackConfig().allocator();
        this.readBuffer = allocator.heapBuffer(1 << 16);
        this.nextBatchNanos = net.nowNanos();
        this.perConnectionTrace = traceConnections ? new HashMap<>() : null;
        if (traceConnections) {
            net.setTap(this::trace);
        }
        for (int port : shape.ports()) {
            listeners.add(net.b().listen(net.nowNanos(), port, 256));
        }
    }

    /** Runs until every connection has ended on both sides, at most {@code maxNanos} of virtual time. */
    void run(long maxNanos) {
        long limit = net.nowNanos() + maxNanos;
        while (opened < shape.connections() || finished < 2 * shape.connections()) {
            if (net.nowNanos() > limit) {
                fail("not finished after " + maxNanos / SECOND + " s: " + finished + " of " + 2 * shape.connections()
                        + " sides ended; still open:\n" + describeActive(20));
            }
            if (opened < shape.connections() && net.nowNanos() >= nextBatchNanos) {
                openBatch();
            }
            net.runFor(SLICE_NANOS);
            acceptAll();
            long now = net.nowNanos();
            active.removeIf(side -> side.poll(now));
        }
    }

    private void openBatch() {
        int batch = Math.min(1 + random.nextInt(2 * shape.meanBatch() - 1), shape.connections() - opened);
        for (int i = 0; i < batch; i++) {
            int port = shape.ports()[random.nextInt(shape.ports().length)];
            TcpConnection c;
            try {
                c = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), port);
            } catch (IllegalStateException noFreePort) {
                portExhausted++;
                break; // every ephemeral port is held by a connection or TIME-WAIT: try again next batch
            }
            everyConnection.add(c);
            CloseMode mode = CloseMode.values()[random.nextInt(CloseMode.values().length)];
            Plan plan = new Plan(opened++, mode, messages(), messages());
            modes.merge(mode, 1, Integer::sum);
            Plan previous = plans.put(key(c.id().localPort(), port), plan);
            assertTrue(previous == null || previous.clientEnded, "two live connections on one four-tuple: " + c.id());
            active.add(new Client(c, plan));
        }
        nextBatchNanos += shape.batchEveryNanos();
    }

    private byte[][] messages() {
        byte[][] out = new byte[1 + random.nextInt(shape.maxMessages())][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new byte[1 + random.nextInt(shape.maxMessageBytes())];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = (byte) random.nextLong();
            }
        }
        return out;
    }

    private void acceptAll() {
        for (TcpListener l : listeners) {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                everyConnection.add(c);
                Plan plan = plans.get(key(c.id().remotePort(), c.id().localPort()));
                assertNotNull(plan, "accepted a connection nobody opened: " + c.id());
                assertTrue(!plan.accepted, "accepted twice: " + c.id());
                plan.accepted = true;
                active.add(new Server(c, plan));
            }
        }
    }

    private static int key(int clientPort, int serverPort) {
        return clientPort << 16 | serverPort;
    }

    /** One end of one connection, as its application sees it. */
    private abstract class Side {
        final TcpConnection c;
        final Plan plan;
        final boolean client;
        final byte[][] toSend;
        final byte[] toReceive;
        int sentMessages;
        int sentBytesOfMessage;
        int receivedBytes;
        boolean closeCalled;
        /** When this side finished its part of the exchange (-1: not yet). */
        long doneNanos = -1;

        Side(TcpConnection c, Plan plan, boolean client) {
            this.c = c;
            this.plan = plan;
            this.client = client;
            this.toSend = client ? plan.clientMessages : plan.serverMessages;
            this.toReceive = client ? plan.serverBytes : plan.clientBytes;
        }

        /** One wake-up of the application; returns true once this side has ended and been checked. */
        final boolean poll(long now) {
            if (!closeCalled && !c.isClosed()) {
                read(now);
                act(now);
            }
            if (c.isClosed()) {
                ended();
                return true;
            }
            return false;
        }

        abstract void act(long now);

        boolean mayStartSending() {
            return true;
        }

        /**
         * Sends the next message, one per wake-up, so messages travel as separate segments; what
         * the send buffer cannot take now is sent on later wake-ups.
         */
        void sendNext(long now) {
            if (sentMessages == toSend.length || !c.state().canSend() || !c.state().isSynchronized() || !mayStartSending()) {
                return;
            }
            byte[] message = toSend[sentMessages];
            ByteBuf data = allocator.heapBuffer(message.length - sentBytesOfMessage)
                    .writeBytes(message, sentBytesOfMessage, message.length - sentBytesOfMessage);
            try {
                sentBytesOfMessage += c.send(now, data);
            } finally {
                data.release();
            }
            if (sentBytesOfMessage == message.length) {
                sentMessages++;
                sentBytesOfMessage = 0;
            }
        }

        boolean sentAll() {
            return sentMessages == toSend.length;
        }

        boolean receivedAll() {
            return receivedBytes == toReceive.length;
        }

        /** Reads what arrived and compares it with what the peer sent, byte for byte. */
        void read(long now) {
            while (true) {
                readBuffer.clear();
                int n = c.read(now, readBuffer);
                if (n <= 0) {
                    return;
                }
                if (receivedBytes + n > toReceive.length) {
                    fail(describe() + ": received " + (receivedBytes + n) + " bytes, the peer sent " + toReceive.length);
                }
                for (int i = 0; i < n; i++) {
                    if (readBuffer.getByte(i) != toReceive[receivedBytes + i]) {
                        fail(describe() + ": byte " + (receivedBytes + i) + " differs from what the peer sent");
                    }
                }
                receivedBytes += n;
            }
        }

        void close(long now, boolean linger0) {
            if (linger0) {
                c.setLinger(true, 0);
            }
            c.close(now);
            closeCalled = true;
        }

        /** CLOSE with SO_LINGER {on, 0}: a RST instead of a FIN (DESIGN.md §13). */
        void abort(long now) {
            close(now, true);
            plan.abortedNanos = now;
        }

        /** The connection ended: check why, check the data, and free it. */
        void ended() {
            CloseReason reason = c.closeReason();
            reasons.merge(reason, 1, Integer::sum);
            if (reason != plan.mode.expected(client) || !receivedAll() || !sentAll()) {
                fail(describe() + " ended with " + reason + " (expected " + plan.mode.expected(client) + "), received "
                        + receivedBytes + " of " + toReceive.length + " bytes, sent " + sentMessages + " of "
                        + toSend.length + " messages" + connectionTrace());
            }
            c.close(net.nowNanos()); // frees its buffers; a no-op beyond that once closed
            finished++;
            if (client) {
                plan.clientEnded = true;
            }
        }

        String describe() {
            return (client ? "client " : "server ") + c.id() + " #" + plan.index + " " + plan.mode + " in " + c.state()
                    + (closeCalled ? " (closed by app)" : "");
        }

        String connectionTrace() {
            if (perConnectionTrace == null) {
                return "";
            }
            return "\n" + String.join("\n", perConnectionTrace.getOrDefault(client ? key(c.id().localPort(), c.id().remotePort())
                    : key(c.id().remotePort(), c.id().localPort()), List.of()));
        }
    }

    private final class Client extends Side {
        Client(TcpConnection c, Plan plan) {
            super(c, plan, true);
        }

        @Override
        void act(long now) {
            sendNext(now);
            if (doneNanos < 0 && sentAll() && receivedAll()) {
                doneNanos = now;
            }
            if (doneNanos < 0) {
                return;
            }
            switch (plan.mode) {
                case CLIENT_FIRST -> close(now, false);
                case SERVER_FIRST -> {
                    if (c.isEndOfStream()) {
                        close(now, false);
                    }
                }
                case SIMULTANEOUS -> {
                    plan.clientDone = true;
                    if (plan.serverDone) {
                        close(now, false);
                    }
                }
                case ABORT_CLIENT -> abort(now);
                case ABORT_SERVER -> {
                    if (plan.abortedNanos >= 0 && now >= plan.abortedNanos + RST_LOST_FALLBACK_NANOS) {
                        close(now, false); // the server's RST was lost; our FIN will draw another
                    }
                }
            }
        }
    }

    private final class Server extends Side {
        Server(TcpConnection c, Plan plan) {
            super(c, plan, false);
        }

        /** The server answers once the whole request has arrived. */
        @Override
        boolean mayStartSending() {
            return receivedAll();
        }

        @Override
        void act(long now) {
            sendNext(now);
            if (doneNanos < 0 && sentAll() && receivedAll() && c.sendQueueBytes() == 0) {
                doneNanos = now; // the answer is acknowledged
            }
            if (!sentAll() || !receivedAll()) {
                return;
            }
            switch (plan.mode) {
                case CLIENT_FIRST -> {
                    if (c.isEndOfStream()) {
                        close(now, false);
                    }
                }
                case SERVER_FIRST -> close(now, false);
                case SIMULTANEOUS -> {
                    plan.serverDone = true;
                    if (plan.clientDone) {
                        close(now, false);
                    }
                }
                case ABORT_CLIENT -> {
                    if (plan.abortedNanos >= 0 && now >= plan.abortedNanos + RST_LOST_FALLBACK_NANOS) {
                        close(now, false); // the client's RST was lost; our FIN will draw another
                    }
                }
                case ABORT_SERVER -> {
                    if (doneNanos >= 0) {
                        abort(now);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Results
    // ------------------------------------------------------------------------------------

    /** Connects that found no free ephemeral port and were put off to the next batch. */
    int portExhausted() {
        return portExhausted;
    }

    int opened() {
        return opened;
    }

    int finishedSides() {
        return finished;
    }

    Map<CloseMode, Integer> modes() {
        return modes;
    }

    Map<CloseReason, Integer> reasons() {
        return reasons;
    }

    List<TcpListener> listeners() {
        return listeners;
    }

    /** Closes every connection the application ever held and every listener: nothing may stay allocated. */
    void closeEverything() {
        for (TcpConnection c : everyConnection) {
            c.close(net.nowNanos());
        }
        for (TcpListener l : listeners) {
            l.close(net.nowNanos());
        }
        readBuffer.release();
    }

    /** The packets between two ports (every incarnation), when tracing. */
    String traceOf(int clientPort, int serverPort) {
        return perConnectionTrace == null ? "(run with -Dusertcp.sim.trace=true)"
                : String.join("\n", perConnectionTrace.getOrDefault(key(clientPort, serverPort), List.of()));
    }

    /** A simultaneous close whose client did not go through CLOSING, with its packets when tracing. */
    String simultaneousCloseThatDidNotCross(Map<ConnectionId, String> clientPaths) {
        for (Map.Entry<Integer, Plan> e : plans.entrySet()) {
            if (e.getValue().mode == CloseMode.SIMULTANEOUS) {
                int clientPort = e.getKey() >>> 16;
                int serverPort = e.getKey() & 0xFFFF;
                String path = clientPaths.get(new ConnectionId(SimulatedNetwork.ADDRESS_A.bits(), clientPort,
                        SimulatedNetwork.ADDRESS_B.bits(), serverPort));
                if (path != null && !path.contains("CLOSING")) {
                    return "e.g. port " + clientPort + ": " + path + "\n" + traceOf(clientPort, serverPort);
                }
            }
        }
        return "";
    }

    private String describeActive(int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(max, active.size()); i++) {
            sb.append(active.get(i).describe()).append('\n');
        }
        return sb.append("(").append(active.size()).append(" in all)\n").append(net.recentPackets()).toString();
    }

    private void trace(long nowNanos, Direction direction, PacketFate fate, ByteBuf packet) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (ip.check() != null) {
            return;
        }
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        if (tcp.check() != null) {
            return;
        }
        int tuple = direction == Direction.A_TO_B ? key(tcp.sourcePort(), tcp.destinationPort()) : key(tcp.destinationPort(), tcp.sourcePort());
        perConnectionTrace.computeIfAbsent(tuple, k -> new ArrayList<>()).add(String.format(Locale.ROOT, "%12.6f %s %s %s",
                (nowNanos - SimulatedNetwork.START_NANOS) / 1e9, direction.arrow(), fate, TcpdumpFormatter.format(packet)));
    }

    static byte[] concat(byte[][] parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

}
