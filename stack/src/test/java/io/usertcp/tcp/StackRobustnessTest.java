package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import org.junit.jupiter.api.Test;

/**
 * "Bad input never crashes the stack": hostile and random segments against a stack that has a
 * listener and live connections in several states. Nothing throws, nothing leaks, and the stack
 * still works afterwards.
 */
class StackRobustnessTest {

    @Test
    void mutatedAndRandomSegments_neverThrow_andTheStackStillWorks() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection established = h.established();
            h.listen();
            RandomSource random = RandomSource.seeded(7);
            for (int i = 0; i < 10_000; i++) {
                byte[] packet = randomSegment(random);
                mutate(packet, random);
                h.stack.receive(h.now(), Unpooled.wrappedBuffer(packet));
                if (i % 100 == 0) {
                    h.advance(random.nextInt(2_000_000_000));
                    h.drain();
                }
            }
            h.drain();
            assertTrue(h.stack.stats().get(Counter.IpInReceives) >= 10_000);
            // The stack still opens a fresh connection after the storm.
            TcpConnection fresh = h.stack.connect(h.now(), 45000, ConnectionHarness.REMOTE.bits(), 6000);
            assertTrue(h.drain().stream().anyMatch(s -> s.has(TcpFlags.SYN) && !s.has(TcpFlags.ACK)));
            assertEquals(TcpState.SYN_SENT, fresh.state());
            established.abort(h.now());
        }
    }

    /** A TCP segment to the stack with random flags, numbers, ports near the ones in use, options and data. */
    private static byte[] randomSegment(RandomSource r) {
        int[] ports = {ConnectionHarness.CLIENT_PORT, ConnectionHarness.SERVER_PORT, 1 + r.nextInt(65535)};
        int[] peerPorts = {ConnectionHarness.PEER_SERVER_PORT, ConnectionHarness.PEER_CLIENT_PORT, 1 + r.nextInt(65535)};
        int seqBase = r.nextInt(2) == 0 ? ConnectionHarness.REMOTE_ISS + r.nextInt(5) : (int) r.nextLong();
        int ackBase = r.nextInt(2) == 0 ? ConnectionHarness.LOCAL_ISS + r.nextInt(5) : (int) r.nextLong();
        TcpOptions options = switch (r.nextInt(4)) {
            case 0 -> TcpOptions.NONE;
            case 1 -> TcpOptions.of(new TcpOption.Mss(r.nextInt(65536)), new TcpOption.WindowScale(r.nextInt(256)),
                    new TcpOption.SackPermitted(), new TcpOption.Timestamps((int) r.nextLong(), (int) r.nextLong()));
            case 2 -> TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps((int) r.nextLong(), 0));
            default -> TcpOptions.of(new TcpOption.Sack(java.util.List.of(new TcpOption.SackBlock((int) r.nextLong(), (int) r.nextLong()))));
        };
        TcpHeader header = TcpHeader.of(peerPorts[r.nextInt(3)], ports[r.nextInt(3)], seqBase, ackBase,
                r.nextInt(256), r.nextInt(65536), options);
        byte[] payload = new byte[r.nextInt(4) == 0 ? r.nextInt(1400) : 0];
        return TestPackets.tcp(ConnectionHarness.REMOTE, ConnectionHarness.LOCAL, header, payload);
    }

    /** Sometimes leaves the packet valid, sometimes corrupts it (then fixes checksums so deeper code sees it). */
    private static void mutate(byte[] packet, RandomSource r) {
        switch (r.nextInt(4)) {
            case 0 -> { }
            case 1 -> {
                packet[20 + 12] = (byte) (r.nextInt(256)); // data offset and reserved bits
                TestPackets.refreshTcpChecksum(packet);
            }
            case 2 -> {
                int at = 20 + 20 + r.nextInt(Math.max(1, packet.length - 40));
                if (at < packet.length) {
                    packet[at] = (byte) r.nextInt(256); // options or payload
                }
                TestPackets.refreshTcpChecksum(packet);
            }
            default -> packet[r.nextInt(packet.length)] ^= (byte) (1 << r.nextInt(8)); // a bit flip, checksum left wrong
        }
    }

    @Test
    void icmpEchoRequest_isAnsweredWithAnEchoReply() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            byte[] request = TestPackets.icmp(ConnectionHarness.REMOTE, ConnectionHarness.LOCAL,
                    Icmpv4MessageView.TYPE_ECHO_REQUEST, 0, (0x1234 << 16) | 7, "ping!".getBytes());
            h.stack.receive(h.now(), Unpooled.wrappedBuffer(request));
            io.netty.buffer.ByteBuf[] out = new io.netty.buffer.ByteBuf[1];
            h.stack.pollTransmit(h.now(), new io.usertcp.link.Link() {
                public io.netty.buffer.ByteBuf receive() {
                    return null;
                }

                public void transmit(io.netty.buffer.ByteBuf p) {
                    out[0] = p;
                }

                public int mtu() {
                    return 1500;
                }
            });
            try {
                io.usertcp.wire.Ipv4PacketView ip = new io.usertcp.wire.Ipv4PacketView().wrap(out[0], 0, out[0].readableBytes());
                assertEquals(null, ip.check());
                assertTrue(ip.headerChecksumValid());
                assertEquals(ConnectionHarness.REMOTE.bits(), ip.destinationAddress());
                Icmpv4MessageView reply = new Icmpv4MessageView().wrap(ip);
                assertEquals(Icmpv4MessageView.TYPE_ECHO_REPLY, reply.type());
                assertEquals(0x1234, reply.identifier());
                assertEquals(7, reply.sequenceNumber());
                assertTrue(reply.checksumValid());
                assertEquals("ping!", out[0].toString(reply.bodyOffset(), reply.bodyLength(), java.nio.charset.StandardCharsets.US_ASCII));
                assertEquals(1, h.stack.stats().get(Counter.IcmpOutEchoReps));
            } finally {
                out[0].release();
            }
        }
    }
}
