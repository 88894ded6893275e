package io.usertcp.sim;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.TcpdumpFormatter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The three core bugs the two-way bulk transfers of {@link BulkTransferSimulationTest} found, each
 * pinned down on its own: every one of them made a 16 MB transfer each way stall or crawl.
 */
class BulkTransferFindingsTest {

    /**
     * RFC 9293 §3.7.1: the data a segment carries is bounded by the effective MSS less the options
     * on that very segment. A side that holds out-of-order data reports SACK blocks on every
     * segment, its data segments included; a full-sized segment then exceeded the MTU and was
     * dropped as too big, again at every retransmission, until the connection timed out.
     */
    @Test
    void dataSegmentThatCarriesSackBlocks_staysWithinTheMtu() {
        List<String> tooBig = new ArrayList<>();
        List<String> withSack = new ArrayList<>();
        long[] holeSeq = {-1};
        try (TwoStacks s = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = s.b.listen(s.now(), 5001, 4);
            TcpConnection a = s.a.connect(s.now(), TwoStacks.B.bits(), 5001);
            s.settle();
            TcpConnection b = listener.accept();
            assertNotNull(b, "the handshake did not complete:\n" + s.lastTrace(10));
            // B's first data segment is lost, every time it is sent; its second arrives: A holds
            // out-of-order data, so every segment A sends from now on reports a SACK block.
            s.dropBtoA(p -> {
                TcpSegmentView tcp = tcp(p);
                if (tcp == null || tcp.payloadLength() == 0) {
                    return false;
                }
                if (holeSeq[0] < 0) {
                    holeSeq[0] = Integer.toUnsignedLong(tcp.seq());
                }
                return Integer.toUnsignedLong(tcp.seq()) == holeSeq[0];
            });
            s.dropAtoB(p -> {
                if (payloadLength(p) > 0) {
                    if (p.readableBytes() > 1500) {
                        tooBig.add(TcpdumpFormatter.format(p));
                    }
                    if (sackBlocks(p) > 0) {
                        withSack.add(TcpdumpFormatter.format(p));
                    }
                }
                return false;
            });
            assertEquals(2 * a.mss(), send(s.now(), b, 2 * a.mss()));
            s.settle();
            assertEquals(4 * a.mss(), send(s.now(), a, 4 * a.mss()));
            s.settle();
            assertTrue(holeSeq[0] >= 0);
            // The wire drops datagrams above its 1500-byte MTU, as a real link would.
            assertEquals(4 * a.mss(), b.readableBytes(), "A's data did not arrive:\n" + s.lastTrace(20));
            assertTrue(!withSack.isEmpty(), "A sent no data segment with SACK blocks:\n" + s.lastTrace(20));
            assertEquals(List.of(), tooBig, "data segments larger than the 1500-byte MTU");
            a.abort(s.now());
            b.abort(s.now());
        }
    }

    /**
     * RFC 9293 §3.10.7.4 updates SND.WND only from a segment newer than the last update (SND.WL1,
     * SND.WL2), but the sender's right edge is SND.UNA + SND.WND. A retransmission from the peer
     * has an old SEG.SEQ and a new SEG.ACK: it moves SND.UNA, and keeping the older window moved our
     * right edge past the peer's by the bytes just acknowledged, so we sent beyond the window the
     * peer offered. Linux (tcp_may_update_window) takes the window of every ACK that advances SND.UNA.
     */
    @Test
    void ackThatAdvancesSndUnaOnAnOldSegment_updatesTheWindow_soWeNeverSendBeyondThePeersEdge() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            int peerSeq = REMOTE_ISS + 1;
            // The peer offers 1072 bytes (two of our 536-byte segments); we fill them and queue more.
            h.receive(h.segment().seq(peerSeq).ack(LOCAL_ISS + 1).window(1072));
            assertEquals(3000, send(h.now(), c, 3000));
            assertEquals(2, h.drain().stream().filter(x -> x.payload().length > 0).count());
            // The peer's first segment (100 bytes at peerSeq) is lost; its second arrives out of order,
            // acknowledging nothing new: it becomes the last window update (SND.WL1 = peerSeq + 100).
            h.receive(h.segment().seq(peerSeq + 100).ack(LOCAL_ISS + 1).window(1072).payload(new byte[100]));
            h.drain();
            // The peer retransmits the first segment: old SEG.SEQ, new SEG.ACK (our first 536 bytes), and
            // a window that keeps its right edge where it was: LOCAL_ISS + 1 + 1072.
            h.receive(h.segment().seq(peerSeq).ack(LOCAL_ISS + 1 + 536).window(536).payload(new byte[100]));
            int rightEdge = LOCAL_ISS + 1 + 1072;
            for (ConnectionHarness.Sent sent : h.drain()) {
                assertTrue(sent.seq() + sent.payload().length - rightEdge <= 0,
                        "sent beyond the peer's right edge " + Integer.toUnsignedString(rightEdge) + ": " + sent);
            }
            assertEquals(536, c.snapshot(h.now()).sendWindowBytes());
            c.abort(h.now());
        }
    }

    /**
     * A pure ACK whose SEG.SEQ is exactly RCV.NXT + RCV.WND is what a peer sends once it has filled
     * our window. RFC 9293's letter finds it unacceptable ("answer with an ACK, drop"); Linux and
     * the BSDs accept it. In a two-way transfer with a hole on each side, both peers are in that
     * position: each ACK was dropped and answered with an ACK, which the other side dropped and
     * answered in turn — an ACK war — and the acknowledgments themselves were lost.
     */
    @Test
    void pureAckExactlyAtTheRightEdge_isProcessed_andNotAnswered() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            int rcvNxt = REMOTE_ISS + 1;
            long window = c.snapshot(h.now()).receiveWindowBytes();
            assertEquals(500, send(h.now(), c, 500));
            assertEquals(500, h.expectSent().payload().length);
            h.receive(h.segment().seq(rcvNxt + (int) window).ack(LOCAL_ISS + 1 + 500));
            h.expectNothingSent();
            assertEquals(0, c.sendQueueBytes(), "the ACK at the right edge was not processed");
            // One past the edge is still out of the window: answered with an ACK, as RFC 9293 says.
            h.receive(h.segment().seq(rcvNxt + (int) window + 1).ack(LOCAL_ISS + 1 + 500));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1 + 500, rcvNxt);
            c.abort(h.now());
        }
    }

    /** Queues {@code bytes} zero bytes; returns how many the send buffer took. */
    private static int send(long now, TcpConnection c, int bytes) {
        ByteBuf data = Unpooled.wrappedBuffer(new byte[bytes]);
        try {
            return c.send(now, data);
        } finally {
            data.release();
        }
    }

    private static int payloadLength(ByteBuf p) {
        TcpSegmentView tcp = tcp(p);
        return tcp == null ? -1 : tcp.payloadLength();
    }

    private static int sackBlocks(ByteBuf p) {
        TcpSegmentView tcp = tcp(p);
        return tcp == null ? 0 : tcp.options().sackBlockCount();
    }

    private static TcpSegmentView tcp(ByteBuf p) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(p, p.readerIndex(), p.readableBytes());
        if (ip.check() != null) {
            return null;
        }
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        return tcp.check() == null ? tcp : null;
    }
}
