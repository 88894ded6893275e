package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Bottleneck}: serialization at the link's rate, a drop-tail queue, and what it counts. */
class SimulatedBottleneckTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final int PORT = 80;
    /** 1500 bytes at 10 Mbit/s. */
    private static final long FULL_PACKET_NANOS = 1_200_000;

    /** Data packets from A to B as a tap sees them. */
    private static final class DataTap implements PacketTap {
        final List<Long> deliveredAt = new ArrayList<>();
        int queueFull;

        @Override
        public void packet(long nowNanos, Direction direction, PacketFate fate, ByteBuf packet) {
            if (direction != Direction.A_TO_B) {
                return;
            }
            Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            if (ip.check() != null || tcp.check() != null || tcp.payloadLength() == 0) {
                return;
            }
            if (fate == PacketFate.DELIVERED) {
                deliveredAt.add(nowNanos);
            } else if (fate == PacketFate.QUEUE_FULL) {
                queueFull++;
            }
        }
    }

    /** Opens a connection, then sends ten full-sized segments from A at one instant through {@code bottleneck}. */
    private static TcpConnection[] burst(SimulatedNetwork net, Bottleneck bottleneck, DataTap tap) {
        TcpListener listener = net.b().listen(net.nowNanos(), PORT, 4);
        TcpConnection a = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
        assertTrue(net.runUntil(() -> a.state() == TcpState.ESTABLISHED && listener.acceptQueueLength() > 0, SECOND));
        TcpConnection b = listener.accept();
        net.setBottleneck(Direction.A_TO_B, bottleneck);
        net.setTap(tap);
        ByteBuf data = Unpooled.wrappedBuffer(new byte[10 * a.mss()]);
        try {
            assertEquals(10 * a.mss(), a.send(net.nowNanos(), data));
        } finally {
            data.release();
        }
        return new TcpConnection[] {a, b};
    }

    @Test
    void packetsSentTogether_leaveOneSerializationTimeApart_thenPropagate() {
        DataTap tap = new DataTap();
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(MS), 1)) {
            TcpConnection[] c = burst(net, Bottleneck.megabits(10, 64 * 1024), tap);
            long sentAt = net.nowNanos();
            net.runFor(SECOND);
            assertEquals(10, tap.deliveredAt.size(), "data packets delivered");
            for (int i = 0; i < 10; i++) {
                // Packet i waits for the i before it, takes its own 1.2 ms on the link, then 1 ms of propagation.
                assertEquals(sentAt + (i + 1) * FULL_PACKET_NANOS + MS, (long) tap.deliveredAt.get(i), "packet " + i);
            }
            assertEquals(10 * c[0].mss(), c[1].readableBytes());
            assertEquals(0, net.counters().queueDrops());
            c[0].abort(net.nowNanos());
            c[1].abort(net.nowNanos());
        }
    }

    @Test
    void burstLargerThanTheQueue_tailDropped_countedAsQueueFull_thenRetransmitted() {
        DataTap tap = new DataTap();
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(MS), 1)) {
            // A 3000-byte queue drains in 2.4 ms: packets that would wait 0, 1.2 and 2.4 ms get through.
            TcpConnection[] c = burst(net, Bottleneck.megabits(10, 3000), tap);
            net.runFor(10 * MS);
            assertEquals(3, tap.deliveredAt.size(), "packets through the bottleneck");
            assertEquals(7, tap.queueFull);
            assertEquals(7, net.counters().queueDrops());
            assertEquals(0, net.counters().lost());
            // TCP repairs the tail drop: every byte arrives in the end.
            assertTrue(net.runUntil(() -> c[1].readableBytes() == 10 * c[0].mss(), 60 * SECOND),
                    c[1].readableBytes() + " bytes arrived\n" + net.recentPackets());
            c[0].abort(net.nowNanos());
            c[1].abort(net.nowNanos());
        }
    }

    @Test
    void withoutBottleneck_theRunIsWhatItWas() {
        long[] hashes = new long[2];
        for (int i = 0; i < 2; i++) {
            try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(MS).withJitter(MS), 5)) {
                if (i == 1) {
                    net.setBottleneck(Bottleneck.megabits(10, 3000));
                    net.setBottleneck(null);
                }
                TcpConnection[] c = burst(net, null, new DataTap());
                net.runFor(SECOND);
                hashes[i] = net.traceHash();
                c[0].abort(net.nowNanos());
                c[1].abort(net.nowNanos());
            }
        }
        assertEquals(hashes[0], hashes[1]);
    }

    @Test
    void rateAndQueue_mustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new Bottleneck(0, 1000));
        assertThrows(IllegalArgumentException.class, () -> new Bottleneck(1_000_000, 0));
        assertEquals(1_200_000, Bottleneck.megabits(10, 1500).serializationNanos(1500));
    }
}
