package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.PEER_SERVER_PORT;
import static io.usertcp.testkit.ConnectionHarness.REMOTE;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import org.junit.jupiter.api.Test;

/**
 * The socket options that shape what goes out, as Linux has them: TCP_CORK, MSG_MORE,
 * TCP_NOTSENT_LOWAT and TCP_MAXSEG. The harness's peer announces no MSS, so ours is 536
 * (RFC 9293 §3.7.1).
 */
class OutputShapingOptionsTest {
    private static final int MSS = 536;

    private static void send(ConnectionHarness h, TcpConnection c, int bytes, boolean more) {
        c.send(h.now(), Unpooled.wrappedBuffer(new byte[bytes]), more);
    }

    @Test
    void cork_holdsPartialSegments_sendsFullOnes_uncorkSendsTheRest() {
        // Linux tcp_nagle_check() with TCP_NAGLE_CORK: only full-sized segments go; __tcp_sock_set_cork(false) pushes.
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setCork(h.now(), true);
            send(h, c, 100, false);
            h.expectNothingSent();
            send(h, c, 500, false);
            Sent full = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(MSS, full.payload().length);
            h.expectNothingSent();
            c.setCork(h.now(), false);
            Sent rest = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1 + MSS, REMOTE_ISS + 1);
            assertEquals(600 - MSS, rest.payload().length);
        }
    }

    @Test
    void cork_winsOverNodelay_andWaitsAtMostThePersistInterval() {
        // TCP_CORK holds data even with TCP_NODELAY; tcp(7): "a 200 millisecond ceiling" (Linux's probe timer, at the
        // RTO: 200 ms here, the RTT being 0 on the harness).
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setNoDelay(h.now(), true);
            c.setCork(h.now(), true);
            send(h, c, 100, false);
            h.expectNothingSent();
            h.advance(io.usertcp.testkit.VirtualClock.millis(199));
            h.expectNothingSent();
            h.advance(io.usertcp.testkit.VirtualClock.millis(1));
            assertEquals(100, h.expectSent().payload().length);
        }
    }

    @Test
    void msgMore_holdsTheTail_untilAWriteWithoutIt() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            send(h, c, 100, true);
            h.expectNothingSent();
            send(h, c, 100, false);
            Sent both = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(200, both.payload().length);
        }
    }

    @Test
    void notSentLowat_rfc_limitsWhatAWriteTakes_toTheMarkAboveTheUnsent() {
        // The rfc and freebsd profiles count bytes: writable while fewer than TCP_NOTSENT_LOWAT bytes are not yet
        // sent, and a write takes no more than the mark leaves.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc())) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(0)); // nothing can go
            c.setNotSentLowat(h.now(), 1000);
            assertEquals(1000, c.sendSpace());
            send(h, c, 800, false);
            h.expectNothingSent();
            assertEquals(200, c.sendSpace());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(65535));
            h.drain();
            assertEquals(1000, c.sendSpace(), "everything was sent: the mark is free again");
            c.setNotSentLowat(h.now(), Integer.MAX_VALUE);
            assertTrue(c.sendSpace() > 1000);
            assertThrows(IllegalArgumentException.class, () -> c.setNotSentLowat(h.now(), -1));
        }
    }

    @Test
    void notSentLowat_linux_testedPerSkb_aWriteFillsTheUnsentTailSkbPastTheMark() {
        // Linux tcp_stream_memory_free() is asked only before a write starts a new skb: an unsent tail skb with room
        // takes the bytes whatever the mark, and once the unsent bytes reach the mark nothing more is taken.
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(0)); // nothing can go
            c.setNotSentLowat(h.now(), 1000);
            assertTrue(c.sendSpace() > 0);
            send(h, c, 800, false);
            h.expectNothingSent();
            send(h, c, 800, false); // into the same skb: 1600 unsent, past the mark
            assertEquals(0, c.sendSpace(), "1600 bytes unsent, at or above the mark: no new skb");
            assertFalse(c.sendWakes());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(65535));
            h.drain();
            assertTrue(c.sendSpace() > 0, "everything was sent: the mark is free again");
            assertTrue(c.sendWakes());
        }
    }

    @Test
    void maxSegment_beforeTheSyn_isTheMssWeAnnounce_andUse() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
            assertThrows(IllegalArgumentException.class, () -> c.setMaxSegment(87));
            assertThrows(IllegalArgumentException.class, () -> c.setMaxSegment(32768));
            c.setMaxSegment(1000);
            Sent syn = h.expectSent().assertFlags(SYN);
            assertEquals(1000, syn.tcp().options().mss().getAsInt());
            assertThrows(IllegalStateException.class, () -> c.setMaxSegment(900), "after the SYN went");
        }
    }

    @Test
    void maxSegment_onAListener_isInheritedByItsChildren() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpListener l = h.listen();
            l.setMaxSegment(1200);
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).options(new TcpOption.Mss(1460)));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK);
            assertEquals(1200, synAck.tcp().options().mss().getAsInt());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            assertEquals(1200, l.accept().mss(), "the send MSS is min(1460, 1200)");
        }
    }
}
