package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.PEER_CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.ConnectionHarness.SERVER_PORT;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static io.usertcp.wire.TcpFlags.URG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.link.Link;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.PcapFile;
import io.usertcp.testkit.VirtualClock;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Segments that reach no connection (RFC 9293 §3.10.7.1, CLOSED) and segments that reach a listener
 * without being a SYN (§3.10.7.2, LISTEN): which are answered with RST, in which form, and which are
 * dropped.
 */
class ClosedPortTest {
    /** A port on the stack with no listener and no connection. */
    private static final int CLOSED_PORT = 5999;

    private static ConnectionHarness.Segment toClosedPort(ConnectionHarness h) {
        return h.segment().ports(PEER_CLIENT_PORT, CLOSED_PORT);
    }

    private static void assertReplyPorts(Sent rst) {
        assertEquals(CLOSED_PORT, rst.tcp().sourcePort());
        assertEquals(PEER_CLIENT_PORT, rst.tcp().destinationPort());
        assertEquals(ConnectionHarness.LOCAL, rst.ip().source());
        assertEquals(ConnectionHarness.REMOTE, rst.ip().destination());
    }

    // =====================================================================================
    // CLOSED (RFC 9293 §3.10.7.1)
    // =====================================================================================

    @Test
    void closedPort_syn_rstAck_seqZero_ackSegSeqPlusOne() {
        // RFC 9293 §3.10.7.1: "If the ACK bit is off, sequence number zero is used,
        // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"; a SYN's SEG.LEN is 1.
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.receive(toClosedPort(h).flags(SYN).seq(REMOTE_ISS));
            Sent rst = h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertReplyPorts(rst);
            assertEquals(0, rst.window());
            assertEquals(0, rst.tcp().options().areaLength(), "no options on a RST");
            assertEquals(0, rst.payload().length);
            assertEquals(1, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    @Test
    void closedPort_linuxSyn_answeredByteForByteAsLinuxDid() throws IOException {
        // golden/tcp-rst-closed-port.pcap: Linux's SYN to port 5999 and Linux's RST,ACK. Our stack, at Linux's
        // address, must answer the same SYN with the same TCP segment, checksum included.
        List<PcapFile.Packet> golden = PcapFile.readResource(TcpFlags.class, "golden/tcp-rst-closed-port.pcap");
        byte[] linuxSyn = golden.get(0).ipv4();
        byte[] linuxRst = golden.get(1).ipv4();
        StackConfig config = StackConfig.of(Ipv4Address.of("198.18.0.2"), RandomSource.seeded(1))
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        TcpStack stack = new TcpStack(config);
        List<byte[]> sent = new ArrayList<>();
        Link link = new Link() {
            @Override
            public ByteBuf receive() {
                return null;
            }

            @Override
            public void transmit(ByteBuf packet) {
                try {
                    sent.add(ByteBufUtil.getBytes(packet));
                } finally {
                    packet.release();
                }
            }

            @Override
            public int mtu() {
                return 1500;
            }
        };
        long now = VirtualClock.START_NANOS;
        try {
            stack.receive(now, Unpooled.wrappedBuffer(linuxSyn));
            stack.pollTransmit(now, link);
        } finally {
            stack.close(now);
        }
        assertEquals(1, sent.size());
        byte[] ours = sent.get(0);
        assertEquals(linuxRst.length, ours.length);
        byte[] ourTcp = java.util.Arrays.copyOfRange(ours, Ipv4PacketView.MIN_HEADER_LENGTH, ours.length);
        byte[] linuxTcp = java.util.Arrays.copyOfRange(linuxRst, Ipv4PacketView.MIN_HEADER_LENGTH, linuxRst.length);
        assertArrayEquals(linuxTcp, ourTcp, "TCP header of the RST,ACK, checksum included");
        // IPv4: same version/IHL, ToS, length, DF, TTL, protocol and addresses (Linux's IP ID is 0, ours counts).
        for (int i : new int[] {0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19}) {
            assertEquals(linuxRst[i], ours[i], "IPv4 header byte " + i);
        }
    }

    @Test
    void closedPort_ack_rstWithSeqFromSegAck() {
        // RFC 9293 §3.10.7.1: "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>".
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.receive(toClosedPort(h).flags(ACK).seq(REMOTE_ISS).ack(123_456_789));
            Sent rst = h.expectSent().assertFlags(RST).assertSeqAck(123_456_789, 0);
            assertReplyPorts(rst);
            h.receive(toClosedPort(h).flags(PSH | ACK).seq(REMOTE_ISS).ack(-5).payload("data"));
            h.expectSent().assertFlags(RST).assertSeqAck(-5, 0);
            h.receive(toClosedPort(h).flags(SYN | ACK).seq(REMOTE_ISS).ack(77));
            h.expectSent().assertFlags(RST).assertSeqAck(77, 0);
            h.expectNothingSent();
            assertEquals(3, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    @Test
    void closedPort_segLenCountsDataSynAndFin() {
        // RFC 9293 §3.10.7.1 with §3.4's SEG.LEN: "the number of octets occupied by the data in the segment
        // (counting SYN and FIN)".
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.receive(toClosedPort(h).flags(0).seq(REMOTE_ISS).payload("hello"));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 5);
            h.receive(toClosedPort(h).flags(FIN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 1);
            h.receive(toClosedPort(h).flags(FIN | PSH).seq(REMOTE_ISS).payload("hello"));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 6);
            h.receive(toClosedPort(h).flags(SYN | FIN).seq(REMOTE_ISS).payload("hello"));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 7);
            h.receive(toClosedPort(h).flags(URG).seq(-3).payload("abc")); // wraps past 2^32
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, 0);
            h.expectNothingSent();
            assertEquals(5, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    @Test
    void closedPort_rst_neverAnswered() {
        // RFC 9293 §3.10.7.1: "An incoming segment containing a RST is discarded"; §3.5.2 (reset generation,
        // group 1): a reset is sent "in response to any incoming segment except another reset".
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.receive(toClosedPort(h).flags(RST).seq(REMOTE_ISS));
            h.receive(toClosedPort(h).flags(RST | ACK).seq(REMOTE_ISS).ack(42));
            h.receive(toClosedPort(h).flags(RST | SYN).seq(REMOTE_ISS));
            h.receive(toClosedPort(h).flags(RST | FIN | PSH).seq(REMOTE_ISS).payload("x"));
            h.expectNothingSent();
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(4, h.stack.stats().get(Counter.TcpInSegs));
            assertEquals(0, h.stack.stats().get(Counter.TcpOutSegs));
        }
    }

    @Test
    void closedPort_onlyTheRstCounts_asTcpOutRstsAndTcpOutSegs() {
        // nstat: TcpOutRsts counts RSTs sent, TcpOutSegs every segment sent.
        try (ConnectionHarness h = new ConnectionHarness()) {
            for (int i = 0; i < 3; i++) {
                h.receive(toClosedPort(h).flags(SYN).seq(REMOTE_ISS + i));
                h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + i + 1);
            }
            assertEquals(3, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(3, h.stack.stats().get(Counter.TcpOutSegs));
            assertEquals(3, h.stack.stats().get(Counter.TcpInSegs));
        }
    }

    // =====================================================================================
    // LISTEN (RFC 9293 §3.10.7.2), segments that are not a SYN
    // =====================================================================================

    @Test
    void listen_rst_ignored() {
        // RFC 9293 §3.10.7.2 (first): "An incoming RST segment could not be valid since it could not have been
        // sent in response to anything sent by this incarnation of the connection. An incoming RST should be
        // ignored."
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS));
            h.receive(h.segment().flags(RST | ACK).seq(REMOTE_ISS).ack(1));
            h.expectNothingSent();
            assertEquals(0, listener.synQueueLength());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    @Test
    void listen_ackWithoutValidCookie_rstWithSeqFromSegAck() {
        // RFC 9293 §3.10.7.2 (second): "Any acknowledgment is bad if it arrives on a connection still in the
        // LISTEN state. An acceptable reset segment should be formed for any arriving ACK-bearing segment:
        // <SEQ=SEG.ACK><CTL=RST>". Not a valid SYN cookie either (RFC 4987 §3.6), so no connection appears.
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener listener = h.listen();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(987_654));
            Sent rst = h.expectSent().assertFlags(RST).assertSeqAck(987_654, 0);
            assertEquals(SERVER_PORT, rst.tcp().sourcePort());
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(4242).payload("GET /"));
            h.expectSent().assertFlags(RST).assertSeqAck(4242, 0);
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(31337));
            h.expectSent().assertFlags(RST).assertSeqAck(31337, 0);
            h.expectNothingSent();
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, listener.acceptQueueLength());
            assertEquals(3, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    @Test
    void listen_synAck_rstWithSeqFromSegAck() {
        // RFC 9293 §3.10.7.2 (second): the ACK is checked before the SYN, so a SYN,ACK to a listener gets
        // <SEQ=SEG.ACK><CTL=RST> and creates nothing.
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(55_555));
            h.expectSent().assertFlags(RST).assertSeqAck(55_555, 0);
            h.expectNothingSent();
            assertEquals(0, listener.synQueueLength());
            assertEquals(0, h.stack.connectionCount());
        }
    }

    @Test
    void listen_finOrDataWithoutAckOrSyn_dropped() {
        // RFC 9293 §3.10.7.2 (fourth, other text or control): "Any other control or text-bearing segment (not
        // containing SYN) must have an ACK and thus would have been discarded by the ACK processing ... drop
        // the segment and return."
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(FIN).seq(REMOTE_ISS));
            h.receive(h.segment().flags(PSH).seq(REMOTE_ISS).payload("data"));
            h.receive(h.segment().flags(0).seq(REMOTE_ISS));
            h.expectNothingSent();
            assertEquals(0, listener.synQueueLength());
            assertEquals(0, h.stack.connectionCount());
            // The listener still works.
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(ConnectionHarness.LOCAL_ISS, REMOTE_ISS + 1);
            assertNotNull(h.onlyConnection());
        }
    }
}
