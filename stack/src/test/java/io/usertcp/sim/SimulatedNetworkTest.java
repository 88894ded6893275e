package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator itself: timing, each fault of a {@link FaultProfile}, buffer ownership, determinism, the step cap. */
class SimulatedNetworkTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final int PORT = 80;

    /** One packet as a tap saw it. */
    record Seen(long nowNanos, Direction direction, PacketFate fate, int flags, int seq, int payloadLength, int sourcePort) {
    }

    /** Records what the network does, decoding each packet while it is borrowed. */
    static final class Recorder implements PacketTap {
        final List<Seen> seen = new ArrayList<>();

        @Override
        public void packet(long nowNanos, Direction direction, PacketFate fate, ByteBuf packet) {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
            TcpSegmentView tcp = ip.check() == null ? new TcpSegmentView().wrap(ip) : null;
            if (tcp != null && tcp.check() == null) {
                seen.add(new Seen(nowNanos, direction, fate, tcp.flags(), tcp.seq(), tcp.payloadLength(), tcp.sourcePort()));
            } else {
                seen.add(new Seen(nowNanos, direction, fate, -1, 0, -1, -1)); // damaged beyond parsing
            }
        }

        List<Seen> with(PacketFate fate) {
            return seen.stream().filter(s -> s.fate() == fate).toList();
        }
    }

    /** A network whose stacks allocate from {@code allocator}: count its bytes to prove everything was released. */
    private static SimulatedNetwork network(FaultProfile faults, long seed, io.netty.buffer.ByteBufAllocator allocator) {
        return SimulatedNetwork.between(TcpConfig.linux(), faults, seed, c -> c.withAllocator(allocator));
    }

    private static TcpConnection[] open(SimulatedNetwork net) {
        TcpListener listener = net.b().listen(net.nowNanos(), PORT, 16);
        TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
        assertTrue(net.runUntil(() -> listener.acceptQueueLength() > 0 && client.state() == TcpState.ESTABLISHED, 200 * SECOND),
                net.recentPackets());
        return new TcpConnection[] {client, listener.accept()};
    }

    private static void send(SimulatedNetwork net, TcpConnection c, byte[] bytes) {
        ByteBuf data = net.a().stackConfig().allocator().heapBuffer(bytes.length).writeBytes(bytes);
        try {
            assertEquals(bytes.length, c.send(net.nowNanos(), data));
        } finally {
            data.release();
        }
    }

    private static byte[] readAll(SimulatedNetwork net, TcpConnection c) {
        ByteBuf dst = UnpooledByteBufAllocator.DEFAULT.heapBuffer(1 << 16);
        try {
            c.read(net.nowNanos(), dst);
            byte[] out = new byte[dst.readableBytes()];
            dst.readBytes(out);
            return out;
        } finally {
            dst.release();
        }
    }

    @Test
    void idealLink_handshakeTakesExactlyOneRoundTrip() {
        Recorder tap = new Recorder();
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(7 * MS), 1)) {
            net.setTap(tap);
            long start = net.nowNanos();
            assertEquals(SimulatedNetwork.START_NANOS, start);
            TcpListener listener = net.b().listen(net.nowNanos(), PORT, 16);
            TcpConnection client = net.a().connect(start, SimulatedNetwork.ADDRESS_B.bits(), PORT);
            assertTrue(net.runUntil(() -> client.state() == TcpState.ESTABLISHED, SECOND));
            // SYN at +7 ms, SYN-ACK back at +14 ms: the client is established after one RTT, not a tick later.
            assertEquals(start + 14 * MS, net.nowNanos());
            assertTrue(net.runUntil(() -> listener.acceptQueueLength() == 1, SECOND));
            assertEquals(start + 21 * MS, net.nowNanos()); // the third segment reaches B one delay later
            int iss = tap.seen.get(0).seq();
            int port = client.id().localPort();
            assertEquals(List.of(
                    new Seen(start + 7 * MS, Direction.A_TO_B, PacketFate.DELIVERED, TcpFlags.SYN, iss, 0, port),
                    new Seen(start + 14 * MS, Direction.B_TO_A, PacketFate.DELIVERED, TcpFlags.SYN | TcpFlags.ACK, tap.seen.get(1).seq(), 0, PORT),
                    new Seen(start + 21 * MS, Direction.A_TO_B, PacketFate.DELIVERED, TcpFlags.ACK, iss + 1, 0, port)),
                    tap.seen);
            assertEquals(new NetworkCounters(3, 0, 0, 0, 0, 3, 0, 3), net.counters());
            listener.accept().close(net.nowNanos());
            client.close(net.nowNanos());
        }
    }

    @Test
    void runFor_endsExactlyAtTheRequestedTime_andTimersFireOnTheirDeadlines() {
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(5 * MS).withLoss(1.0), 2)) {
            long start = net.nowNanos();
            TcpConnection client = net.a().connect(start, SimulatedNetwork.ADDRESS_B.bits(), PORT);
            net.runFor(2500 * MS);
            assertEquals(start + 2500 * MS, net.nowNanos());
            // Every SYN is lost: the first at 0, a retransmission at 1 s, the next at 1 s + 2 s (RFC 6298 §5.5 backoff).
            assertEquals(1, net.a().stats().get(io.usertcp.core.StackStats.Counter.TcpExtTCPSynRetrans));
            assertEquals(TcpState.SYN_SENT, client.state());
            assertEquals(start + 3 * SECOND, net.nextEventNanos());
            client.close(net.nowNanos());
        }
    }

    @Test
    void lossOne_losesEveryPacket_andReleasesEachOne() {
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(false, true);
        Recorder tap = new Recorder();
        try (SimulatedNetwork net = network(FaultProfile.ideal(5 * MS).withLoss(1.0), 3, counted)) {
            net.setTap(tap);
            TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
            net.runFor(200 * SECOND);
            // tcp_syn_retries = 6: the SYN and six retransmissions, all lost; then the connect fails.
            assertEquals(CloseReason.CONNECT_TIMEOUT, client.closeReason());
            assertEquals(7, tap.with(PacketFate.LOST).size());
            assertEquals(new NetworkCounters(7, 7, 0, 0, 0, 0, 0, 7), net.counters());
            client.close(net.nowNanos());
        }
        // Checked once the stacks are closed: until then each keeps the buffer of the last datagram it
        // wrote, for reuse (SegmentWriter), so nothing else can be held once they are.
        assertEquals(0, counted.metric().usedHeapMemory(), "every lost packet was released");
    }

    @Test
    void controlLossOnly_losesOnlySynFinRstAndPureAcks_neverData() {
        Recorder tap = new Recorder();
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(),
                FaultProfile.ideal(5 * MS).withControlLoss(0.3), 4)) {
            net.setTap(tap);
            TcpConnection[] cs = open(net);
            StringBuilder toServer = new StringBuilder();
            StringBuilder toClient = new StringBuilder();
            StringBuilder atServer = new StringBuilder();
            StringBuilder atClient = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                send(net, cs[0], ("message " + i + ";").getBytes());
                toServer.append("message ").append(i).append(';');
                net.runFor(300 * MS);
                send(net, cs[1], ("answer " + i + ";").getBytes());
                toClient.append("answer ").append(i).append(';');
                net.runFor(300 * MS);
                atServer.append(new String(readAll(net, cs[1])));
                atClient.append(new String(readAll(net, cs[0])));
            }
            assertTrue(net.runUntil(() -> cs[0].readableBytes() + atClient.length() == toClient.length()
                    && cs[1].readableBytes() + atServer.length() == toServer.length(), 60 * SECOND));
            assertEquals(toServer.toString(), atServer.append(new String(readAll(net, cs[1]))).toString());
            assertEquals(toClient.toString(), atClient.append(new String(readAll(net, cs[0]))).toString());
            List<Seen> lost = tap.with(PacketFate.LOST);
            assertTrue(lost.size() > 5, "a third of the control segments should be lost: " + lost.size());
            for (Seen s : lost) {
                assertTrue((s.flags() & (TcpFlags.SYN | TcpFlags.FIN | TcpFlags.RST)) != 0 || s.payloadLength() == 0, s.toString());
            }
            assertTrue(tap.with(PacketFate.DELIVERED).stream().filter(s -> s.payloadLength() > 0).count() >= 40);
            cs[0].close(net.nowNanos());
            cs[1].close(net.nowNanos());
        }
    }

    @Test
    void duplicationOne_deliversEveryPacketTwice_andTheStreamStaysIntact() {
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(false, true);
        Recorder tap = new Recorder();
        try (SimulatedNetwork net = network(FaultProfile.ideal(5 * MS).withDuplication(1.0), 5, counted)) {
            net.setTap(tap);
            TcpConnection[] cs = open(net);
            byte[] request = "GET / HTTP/1.0\r\n\r\n".getBytes();
            send(net, cs[0], request);
            net.runFor(SECOND);
            assertEquals(Arrays.toString(request), Arrays.toString(readAll(net, cs[1])));
            cs[0].close(net.nowNanos());
            assertTrue(net.runUntil(() -> cs[1].isEndOfStream(), SECOND));
            cs[1].close(net.nowNanos());
            assertTrue(net.runUntilIdle(120 * SECOND));
            assertEquals(CloseReason.NORMAL, cs[0].closeReason());
            assertEquals(CloseReason.NORMAL, cs[1].closeReason());
            NetworkCounters n = net.counters();
            assertEquals(n.transmitted(), n.duplicated());
            assertEquals(2 * n.transmitted(), n.delivered());
            assertEquals(n.transmitted(), tap.with(PacketFate.DELIVERED_DUPLICATE).size());
        }
        assertEquals(0, counted.metric().usedHeapMemory(), "both copies of every packet were released");
    }

    @Test
    void corruptionOne_everyCopyIsDroppedByTheReceiversChecks() {
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(false, true);
        try (SimulatedNetwork net = network(FaultProfile.ideal(5 * MS).withCorruption(1.0).withDuplication(0.5), 6, counted)) {
            TcpListener listener = net.b().listen(net.nowNanos(), PORT, 16);
            TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
            net.runFor(200 * SECOND);
            assertEquals(CloseReason.CONNECT_TIMEOUT, client.closeReason());
            assertEquals(0, listener.synQueueLength() + listener.acceptQueueLength());
            NetworkCounters n = net.counters();
            assertTrue(n.duplicated() > 0);
            assertEquals(n.delivered(), n.corrupted());
            long drops = 0;
            for (TcpStack s : new TcpStack[] {net.a(), net.b()}) {
                for (long d : s.stats().dropCounts().values()) {
                    drops += d;
                }
            }
            assertEquals(n.corrupted(), drops, "one flipped bit is always caught: " + net.b().stats().snapshot());
            assertTrue(net.b().stats().drops(DropReason.TCP_BAD_CHECKSUM) > 0);
            client.close(net.nowNanos());
        }
        assertEquals(0, counted.metric().usedHeapMemory(), "corrupted copies and their originals were released");
    }

    @Test
    void jitter_reordersPacketsSentCloseTogether() {
        Recorder tap = new Recorder();
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(5 * MS).withJitter(10 * MS), 7)) {
            net.setTap(tap);
            net.b().listen(net.nowNanos(), PORT, 64);
            List<Integer> sendOrder = new ArrayList<>();
            List<TcpConnection> clients = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                TcpConnection c = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
                clients.add(c);
                sendOrder.add(c.id().localPort());
                net.runFor(MS); // one SYN per millisecond, each delayed by 5..15 ms
            }
            net.runFor(SECOND);
            List<Integer> arrivalOrder = tap.seen.stream()
                    .filter(s -> s.direction() == Direction.A_TO_B && s.flags() == TcpFlags.SYN).map(Seen::sourcePort).toList();
            assertEquals(30, arrivalOrder.size());
            assertNotEquals(sendOrder, arrivalOrder, "no SYN overtook another");
            assertEquals(sendOrder.stream().sorted().toList(), arrivalOrder.stream().sorted().toList());
            for (TcpConnection c : clients) {
                assertEquals(TcpState.ESTABLISHED, c.state());
                c.abort(net.nowNanos());
            }
            for (TcpListener l : net.b().listeners()) {
                l.close(net.nowNanos());
            }
        }
    }

    @Test
    void packetLargerThanTheMtu_isDroppedAsTooBig() {
        Recorder tap = new Recorder();
        TcpConfig tcp = TcpConfig.linux();
        SimulatedNetwork net = new SimulatedNetwork(
                new TcpStack(io.usertcp.tcp.StackConfig.of(SimulatedNetwork.ADDRESS_A, RandomSource.seeded(1)).withTcp(tcp)),
                new TcpStack(io.usertcp.tcp.StackConfig.of(SimulatedNetwork.ADDRESS_B, RandomSource.seeded(2)).withTcp(tcp)),
                FaultProfile.ideal(MS), FaultProfile.ideal(MS), RandomSource.seeded(3), SimulatedNetwork.START_NANOS, 576,
                SimulatedNetwork.DEFAULT_MAX_STEPS);
        try (net) {
            net.setTap(tap);
            TcpConnection[] cs = open(net);
            send(net, cs[0], new byte[1000]); // the stacks think the MTU is 1500: one 1040-byte datagram
            net.runFor(100 * MS);
            assertEquals(1, net.counters().tooBig());
            Seen dropped = tap.with(PacketFate.TOO_BIG).get(0);
            assertEquals(1000, dropped.payloadLength());
            assertEquals(0, cs[1].readableBytes());
            cs[0].abort(net.nowNanos());
            cs[1].abort(net.nowNanos());
        }
    }

    @Test
    void close_releasesPacketsStillInFlight() {
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(false, true);
        SimulatedNetwork net = network(FaultProfile.ideal(SECOND).withDuplication(1.0), 8, counted);
        net.b().listen(net.nowNanos(), PORT, 16);
        TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
        net.runFor(10 * MS);
        assertEquals(2, net.inFlight()); // the SYN and its duplicate, an RTT away from B
        assertTrue(counted.metric().usedHeapMemory() > 0);
        net.close();
        net.close(); // idempotent
        assertEquals(0, net.inFlight());
        assertEquals(CloseReason.STACK_CLOSED, client.closeReason());
        assertEquals(0, counted.metric().usedHeapMemory());
        assertThrows(IllegalStateException.class, () -> net.runFor(MS));
    }

    @Test
    void pooledLeakTrackedBuffers_lossDuplicationCorruption_everyBufferReleased() {
        // Pooled buffers under Netty's paranoid leak detection: the leak extension fails this test
        // if any path of the network (loss, duplicate, corrupted copy, in flight at close) leaks.
        FaultProfile faults = FaultProfile.ideal(5 * MS).withJitter(3 * MS).withLoss(0.2).withDuplication(0.3).withCorruption(0.2);
        try (SimulatedNetwork net = network(faults, 9, PooledByteBufAllocator.DEFAULT)) {
            TcpListener listener = net.b().listen(net.nowNanos(), PORT, 16);
            TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
            // Data queued in SYN-SENT: its segment also completes the handshake if the third ACK is lost.
            send(net, client, "hello".getBytes());
            assertTrue(net.runUntil(() -> listener.acceptQueueLength() > 0, 200 * SECOND), net.recentPackets());
            TcpConnection[] cs = {client, listener.accept()};
            for (int i = 0; i < 10; i++) {
                send(net, cs[0], ("ping " + i).getBytes());
                send(net, cs[1], ("pong " + i).getBytes());
                net.runFor(50 * MS);
            }
            net.runFor(2 * SECOND);
            assertTrue(net.counters().lost() > 0 && net.counters().duplicated() > 0 && net.counters().corrupted() > 0,
                    net.counters().toString());
            cs[0].close(net.nowNanos());
            cs[1].close(net.nowNanos());
            net.runFor(MS);
            assertTrue(net.inFlight() > 0, "the FINs are still in flight when the network closes");
        }
    }

    private static long handshakeAndExchange(long seed) {
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(),
                FaultProfile.ideal(5 * MS).withJitter(5 * MS).withLoss(0.1).withDuplication(0.1).withCorruption(0.05), seed)) {
            TcpConnection[] cs = open(net);
            for (int i = 0; i < 10; i++) {
                send(net, cs[0], ("ping " + i).getBytes());
                send(net, cs[1], ("pong " + i).getBytes());
                net.runFor(20 * MS);
            }
            cs[0].close(net.nowNanos());
            cs[1].close(net.nowNanos());
            assertTrue(net.runUntilIdle(300 * SECOND));
            return net.traceHash() ^ net.counters().hashCode();
        }
    }

    @Test
    void sameSeed_sameRun_otherSeed_otherRun() {
        assertEquals(handshakeAndExchange(10), handshakeAndExchange(10));
        assertNotEquals(handshakeAndExchange(10), handshakeAndExchange(11));
    }

    @Test
    void stepCap_throwsLivelockWithTheLastPackets() {
        TcpConfig tcp = TcpConfig.linux();
        SimulatedNetwork net = new SimulatedNetwork(
                new TcpStack(io.usertcp.tcp.StackConfig.of(SimulatedNetwork.ADDRESS_A, RandomSource.seeded(1)).withTcp(tcp)),
                new TcpStack(io.usertcp.tcp.StackConfig.of(SimulatedNetwork.ADDRESS_B, RandomSource.seeded(2)).withTcp(tcp)),
                FaultProfile.ideal(MS), FaultProfile.ideal(MS), RandomSource.seeded(3), SimulatedNetwork.START_NANOS,
                SimulatedNetwork.DEFAULT_MTU, 2);
        try (net) {
            net.b().listen(net.nowNanos(), PORT, 16);
            TcpConnection client = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
            LivelockException e = assertThrows(LivelockException.class, () -> net.runFor(SECOND));
            assertTrue(e.getMessage().startsWith("no end after 2 events"), e.getMessage());
            assertTrue(e.getMessage().contains("Flags [S.]"), e.getMessage()); // the packets sent so far, in tcpdump notation
            assertNotNull(client);
        }
    }

    @Test
    void runUntilIdle_afterOrderlyClose_bothStacksEmpty() {
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(5 * MS), 12)) {
            TcpConnection[] cs = open(net);
            cs[0].close(net.nowNanos());
            assertTrue(net.runUntil(() -> cs[1].isEndOfStream(), SECOND));
            cs[1].close(net.nowNanos());
            assertFalse(net.isIdle()); // FIN-WAIT-2, then TIME-WAIT, hold a timer
            long closedAt = net.nowNanos();
            assertTrue(net.runUntilIdle(120 * SECOND));
            assertEquals(CloseReason.NORMAL, cs[0].closeReason());
            assertEquals(CloseReason.NORMAL, cs[1].closeReason());
            assertEquals(0, net.a().connectionCount() + net.b().connectionCount() + net.a().timeWaitCount());
            // TIME-WAIT (60 s) began when the client got the server's FIN, one delay after the server closed.
            assertEquals(closedAt + 60 * SECOND + 5 * MS, net.nowNanos(), "idle exactly when 2MSL ran out");
        }
    }

    @Test
    void faultProfile_rejectsImpossibleValues() {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> FaultProfile.ideal(MS).withLoss(1.5));
        assertEquals("lossProbability: 1.5 (expected: 0..1)", p.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaultProfile.ideal(MS).withDuplication(-0.1));
        assertThrows(IllegalArgumentException.class, () -> FaultProfile.ideal(MS).withCorruption(Double.NaN));
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> FaultProfile.ideal(-1));
        assertEquals("delay: -1 ns, jitter 0 ns (expected: both >= 0, sum without overflow)", d.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaultProfile.ideal(Long.MAX_VALUE).withJitter(1));
    }
}
