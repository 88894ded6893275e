package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Nagle's rule and TCP_NODELAY (RFC 9293 §3.7.4, RFC 1122 §4.2.3.4); SO_SNDBUF / SO_RCVBUF per connection. */
class NagleAndBufferSizeTest {

    static void write(ConnectionHarness h, TcpConnection c, String text) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(h.now(), b));
        } finally {
            b.release();
        }
    }

    @Test
    void nagle_secondSmallWriteWaitsForTheAckOfTheFirst() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "ab");
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            write(h, c, "cd");
            h.expectNothingSent(); // "ab" is unacknowledged: "cd" is held
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 3));
            ConnectionHarness.Sent held = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 3, REMOTE_ISS + 1);
            assertEquals("cd", held.text());
        }
    }

    @Test
    void noDelay_sendsEachSmallWriteAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setNoDelay(h.now(), true);
            write(h, c, "ab");
            h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            write(h, c, "cd");
            assertEquals("cd", h.expectSent().assertSeqAck(LOCAL_ISS + 3, REMOTE_ISS + 1).text());
        }
    }

    @Test
    void nagle_turningNoDelayOn_releasesWhatWasHeld() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "ab");
            h.expectSent();
            write(h, c, "cd");
            h.expectNothingSent();
            c.setNoDelay(h.now(), true);
            assertEquals("cd", h.expectSent().text());
        }
    }

    @Test
    void nagle_closeFlushesTheHeldDataWithTheFin() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "ab");
            h.expectSent();
            write(h, c, "cd");
            c.close(h.now());
            ConnectionHarness.Sent last = h.expectSent().assertFlags(FIN | PSH | ACK).assertSeqAck(LOCAL_ISS + 3, REMOTE_ISS + 1);
            assertEquals("cd", last.text());
        }
    }

    @Test
    void nagle_minshall_aBulkWritesTailGoesAtOnce_butASecondSmallSegmentWaits() {
        // Linux tcp_minshall_check: only an outstanding SMALL segment holds the next small one.
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established(); // MSS 536: no options on the peer's SYN
            write(h, c, "x".repeat(536 * 2 + 10));
            assertEquals(536, h.expectSent().payload().length);
            assertEquals(536, h.expectSent().payload().length);
            assertEquals(10, h.expectSent().payload().length, "no small segment was outstanding");
            write(h, c, "y".repeat(20));
            h.expectNothingSent(); // the 10-byte tail is unacknowledged
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + 1082));
            assertEquals(20, h.expectSent().payload().length);
        }
    }

    @Test
    void receiveBufferSize_growing_rfc_advertisesTheLargerWindowAtOnce() {
        TcpConfig small = TcpConfig.rfc().toBuilder().receiveBufferBytes(1024).build();
        try (ConnectionHarness h = new ConnectionHarness(small)) {
            TcpConnection c = h.established();
            write(h, c, "z");
            assertEquals(1024, h.expectSent().window(), "the window is bounded by the 1 KiB buffer");
            c.setReceiveBufferSize(h.now(), 8192);
            // RFC 9293 §3.8.6.2.2: the window grew by more than min(RCV.BUFF/2, MSS): a window update goes out.
            assertEquals(8192, h.expectSent().assertFlags(ACK).window());
            assertEquals(8192, c.receiveBufferSize());
        }
    }

    @Test
    void receiveBufferSize_growing_linux_doublesTheBuffer_windowGrowsWithTheData() {
        TcpConfig small = TcpConfig.linux().toBuilder().receiveBufferBytes(2048).build();
        try (ConnectionHarness h = new ConnectionHarness(small)) {
            TcpConnection c = h.established();
            write(h, c, "z");
            assertEquals(1024, h.expectSent().window(), "the window is half the 2 KiB buffer (Linux tcp_win_from_space())");
            c.setReceiveBufferSize(h.now(), 8192);
            assertEquals(16384, c.receiveBufferSize(), "Linux doubles SO_RCVBUF");
            // Linux sends no window update for a larger buffer: rcv_ssthresh still caps the window, and it grows
            // as data arrives (tcp_grow_window(): by two MSS per segment that fits).
            h.expectNothingSent();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload("a".repeat(1000)));
            h.advance(200_000_000L); // past the delayed ACK
            ConnectionHarness.Sent ack = h.expectSent();
            assertEquals(REMOTE_ISS + 1001, ack.ack());
            assertTrue(ack.window() > 1024 - 1000, "the window grew beyond what was left of it: " + ack.window());
        }
    }

    @Test
    void receiveBufferSize_shrinking_neverTakesBackTheAdvertisedWindow() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "z");
            int before = h.expectSent().window();
            c.setReceiveBufferSize(h.now(), 1000); // 2304 bytes (SOCK_MIN_RCVBUF): room for 1152
            for (int i = 0; i < 3; i++) {
                h.receive(h.segment().seq(REMOTE_ISS + 1 + 536 * i).ack(LOCAL_ISS + 2).payload("a".repeat(536)));
            }
            h.advance(200_000_000L); // past any delayed ACK
            List<ConnectionHarness.Sent> acks = h.drain();
            ConnectionHarness.Sent ack = acks.get(acks.size() - 1);
            assertEquals(REMOTE_ISS + 1609, ack.ack());
            // The right edge promised earlier (RCV.NXT + window) stays where it was (RFC 9293 §3.8.6.2.2).
            assertEquals(before - 1608, ack.window());
            assertEquals(1608, c.readableBytes(), "data within the promised window is accepted beyond the 1152 bytes the buffer holds");
        }
    }

    // SO_SNDBUF and SO_RCVBUF are clamped, never refused (Linux sock_setsockopt()); the linux profile
    // doubles the request within net.core.wmem_max / rmem_max and keeps SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF;
    // the rfc profile takes the size asked for within 256 bytes..socketBufferMaxBytes. A negative size is refused.
    @Test
    void bufferSizes_linux_doubledAndClampedAsSockSetsockopt() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setSendBufferSize(h.now(), 100);
            c.setReceiveBufferSize(h.now(), 4096);
            assertEquals(4608, c.sendBufferSize());
            assertEquals(8192, c.receiveBufferSize());
            c.setSendBufferSize(h.now(), Integer.MAX_VALUE);
            c.setReceiveBufferSize(h.now(), 0);
            assertEquals(2 * 212_992, c.sendBufferSize());
            assertEquals(2304, c.receiveBufferSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setSendBufferSize(h.now(), -1));
            assertTrue(e.getMessage().contains("SO_SNDBUF: -1"), e.getMessage());
        }
    }

    @Test
    void bufferSizes_rfc_asAskedWithinTheLimits() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc())) {
            TcpConnection c = h.established();
            c.setSendBufferSize(h.now(), 100);
            c.setReceiveBufferSize(h.now(), 4096);
            assertEquals(256, c.sendBufferSize());
            assertEquals(4096, c.receiveBufferSize());
            c.setSendBufferSize(h.now(), Integer.MAX_VALUE);
            assertEquals(1 << 30, c.sendBufferSize());
        }
    }
}
