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
    void receiveBufferSize_growing_advertisesTheLargerWindowAtOnce() {
        TcpConfig small = TcpConfig.linux().toBuilder().receiveBufferBytes(1024).build();
        try (ConnectionHarness h = new ConnectionHarness(small)) {
            TcpConnection c = h.established();
            write(h, c, "z");
            assertEquals(1024, h.expectSent().window(), "the window is bounded by the 1 KiB buffer");
            c.setBufferSizes(h.now(), c.sendBufferSize(), 8192);
            // RFC 9293 §3.8.6.2.2: the window grew by more than min(RCV.BUFF/2, MSS): a window update goes out.
            assertEquals(8192, h.expectSent().assertFlags(ACK).window());
            assertEquals(8192, c.receiveBufferSize());
        }
    }

    @Test
    void receiveBufferSize_shrinking_neverTakesBackTheAdvertisedWindow() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "z");
            int before = h.expectSent().window();
            c.setBufferSizes(h.now(), 4096, 1000);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload("a".repeat(536)));
            h.receive(h.segment().seq(REMOTE_ISS + 537).ack(LOCAL_ISS + 2).payload("b".repeat(536)));
            ConnectionHarness.Sent ack = h.expectSent();
            assertEquals(REMOTE_ISS + 1073, ack.ack());
            // The right edge promised earlier (RCV.NXT + window) stays where it was (RFC 9293 §3.8.6.2.2).
            assertEquals(before - 1072, ack.window());
            assertEquals(1072, c.readableBytes(), "data within the promised window is accepted beyond the smaller buffer");
        }
    }

    // Linux sock_setsockopt clamps SO_SNDBUF and SO_RCVBUF into [SOCK_MIN_*BUF, *mem_max] rather than refusing
    // (issue 18, API bounds as Linux's); ours clamp to 256..1073741824 bytes, and a negative size is refused.
    @Test
    void bufferSizes_outOfRange_areClampedAsLinuxDoes_andNegativeOnesRefusedWithTheRange() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setBufferSizes(h.now(), 100, 4096);
            assertEquals(256, c.sendBufferSize());
            assertEquals(4096, c.receiveBufferSize());
            c.setBufferSizes(h.now(), Integer.MAX_VALUE, 0);
            assertEquals(1 << 30, c.sendBufferSize());
            assertEquals(256, c.receiveBufferSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setBufferSizes(h.now(), -1, 4096));
            assertTrue(e.getMessage().contains("send -1") && e.getMessage().contains("256..1073741824"), e.getMessage());
        }
    }
}
