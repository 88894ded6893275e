package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the receiver ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2): quick ACKs at the
 * start of a connection (Linux tcp_incr_quickack), then an ACK for every second full-sized segment
 * and a lone segment after the delayed-ACK timeout (Linux 40 ms, 200 ms with {@link TcpConfig#rfc()}),
 * TCP_QUICKACK, immediate ACKs for out-of-order and gap-filling segments, and data carrying the
 * pending ACK.
 *
 * <p>Our MSS is 1460 (MTU 1500): that is what a full-sized segment from the peer means here.
 */
class DelayedAckTest {
    private static final int FULL = 1460;

    private static byte[] bytes(int n, char c) {
        return String.valueOf(c).repeat(n).getBytes(StandardCharsets.US_ASCII);
    }

    /** The peer's data segment at RCV.NXT offset {@code offset} (from REMOTE_ISS + 1). */
    private static void data(ConnectionHarness h, int offset, int length) {
        h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1 + offset).ack(LOCAL_ISS + 1)
                .payload(bytes(length, (char) ('a' + offset % 26))));
    }

    /** An ACK from us for everything up to peer offset {@code offset}, sent now, and nothing else. */
    private static Sent expectAck(ConnectionHarness h, int offset) {
        Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + offset);
        assertEquals(0, ack.payload().length);
        h.expectNothingSent();
        return ack;
    }

    private static Long delayedAckLeft(ConnectionHarness h, TcpConnection c) {
        return c.snapshot(h.now()).timersLeftNanos().get(TcpTimer.DELAYED_ACK);
    }

    private static List<TcpOption.SackBlock> sackBlocks(Sent s) {
        return s.tcp().options().sack().map(TcpOption.Sack::blocks).orElse(List.of());
    }

    // ------------------------------------------------------------------------------------------
    // Quick ACKs at the start
    // ------------------------------------------------------------------------------------------

    // Linux tcp_incr_quickack (TCP_MAX_QUICKACKS = 16): a new connection ACKs its first data segments at once, so the
    // peer's slow start is not held back by our delay; the 17th lone segment waits for the delayed-ACK timer.
    @Test
    void newConnection_first16SegmentsAckedAtOnce_the17thDelayed() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            for (int i = 0; i < 16; i++) {
                data(h, i * 100, 100);
                expectAck(h, (i + 1) * 100);
            }
            data(h, 1600, 100);
            h.expectNothingSent();
            assertEquals(millis(40), delayedAckLeft(h, c));
            h.advance(millis(40));
            expectAck(h, 1700);
        }
    }

    // Linux tcp_incr_quickack: the quick ACKs are bounded by half the receive window in full segments
    // (rcv_wnd / (2·rcv_mss)), and at least 2. A 8760-byte buffer gives 8760 / 2920 = 3; a 1024-byte buffer 2.
    @Test
    void smallReceiveBuffer_quickAcksBoundedByHalfTheBufferInSegments_atLeastTwo() {
        // The linux profile's window is half the buffer: 17520 bytes of buffer offer 8760, three 2·MSS.
        int[][] bufferAndQuickAcks = {{17520, 3}, {2048, 2}};
        for (int[] row : bufferAndQuickAcks) {
            TcpConfig config = TcpConfig.linux().toBuilder().receiveBufferBytes(row[0]).build();
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = h.established();
                for (int i = 0; i < row[1]; i++) {
                    data(h, i * 10, 10);
                    expectAck(h, (i + 1) * 10);
                }
                data(h, row[1] * 10, 10);
                h.expectNothingSent();
                assertEquals(millis(40), delayedAckLeft(h, c), "buffer " + row[0]);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Every second full segment, or the timeout
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.8.6.3 (SHLD-19) / RFC 1122 §4.2.3.2: "in a stream of full-sized segments there SHOULD be an ACK for at
    // least every second segment". Once the quick ACKs are used up: the first full segment waits, the second is ACKed
    // at once together with it, and the timer is cancelled.
    @Test
    void afterQuickAcks_everySecondFullSegmentAckedAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            int offset = 0;
            for (int i = 0; i < 16; i++) {
                data(h, offset, FULL);
                offset += FULL;
                expectAck(h, offset);
            }
            for (int pair = 0; pair < 3; pair++) {
                data(h, offset, FULL);
                offset += FULL;
                h.expectNothingSent();
                assertEquals(millis(40), delayedAckLeft(h, c));
                h.advance(millis(1));
                data(h, offset, FULL);
                offset += FULL;
                expectAck(h, offset);
                assertNull(delayedAckLeft(h, c));
            }
            h.advance(millis(100));
            h.expectNothingSent();
        }
    }

    // RFC 9293 §3.8.6.3 (MUST-40): "the delay MUST be less than 0.5 seconds"; Linux delays by 40 ms (TCP_DELACK_MIN),
    // TcpConfig.rfc() by 200 ms. A lone segment is ACKed exactly then.
    @Test
    void loneSegment_ackedAfterTheDelay_40msLinux_200msRfc() {
        for (TcpConfig config : new TcpConfig[] {TcpConfig.linux(), TcpConfig.rfc()}) {
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = h.established();
                c.setQuickAck(h.now(), false);
                data(h, 0, 100);
                h.expectNothingSent();
                long delay = config.delayedAckNanos();
                assertEquals(delay, delayedAckLeft(h, c));
                h.advance(delay - 1);
                h.expectNothingSent();
                h.advance(1);
                expectAck(h, 100);
                assertNull(delayedAckLeft(h, c));
            }
        }
        assertEquals(millis(40), TcpConfig.linux().delayedAckNanos());
        assertEquals(millis(200), TcpConfig.rfc().delayedAckNanos());
    }

    // RFC 1122 §4.2.3.2: the delay bounds how long any received byte waits for its ACK: a second small segment does
    // not restart the timer (it is armed by the first), and one ACK covers both.
    @Test
    void secondSmallSegment_doesNotRestartTheTimer_oneAckCoversBoth() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), false);
            data(h, 0, 100);
            h.expectNothingSent();
            h.advance(millis(30));
            data(h, 100, 100);
            h.expectNothingSent(); // 200 bytes: less than a full segment
            assertEquals(millis(10), delayedAckLeft(h, c));
            h.advance(millis(10));
            expectAck(h, 200);
        }
    }

    // ------------------------------------------------------------------------------------------
    // TCP_QUICKACK
    // ------------------------------------------------------------------------------------------

    // Linux TCP_QUICKACK: setting it sends a pending delayed ACK at once and ACKs the following segments at once
    // (quick ACK mode again); clearing it delays from the next segment on, even at the start of a connection.
    @Test
    void setQuickAck_trueSendsThePendingAckNow_andAcksTheNextSegmentsAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), false);
            data(h, 0, 100);
            h.expectNothingSent();
            h.advance(millis(5));
            c.setQuickAck(h.now(), true);
            expectAck(h, 100);
            assertNull(delayedAckLeft(h, c));
            for (int i = 1; i <= 3; i++) {
                data(h, i * 100, 100);
                expectAck(h, (i + 1) * 100);
            }
            c.setQuickAck(h.now(), false);
            data(h, 400, 100);
            h.expectNothingSent();
            assertEquals(millis(40), delayedAckLeft(h, c));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Out of order: ACK at once (RFC 5681 §4.2)
    // ------------------------------------------------------------------------------------------

    /** ESTABLISHED with SACK permitted (the peer's SYN-ACK offers it), past the quick ACKs. */
    private static TcpConnection establishedWithSack(ConnectionHarness h) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.SackPermitted()));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        c.setQuickAck(h.now(), false);
        return c;
    }

    // RFC 5681 §4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when an out-of-order segment arrives", with
    // a SACK block for it (RFC 2018 §4); and "an immediate ACK SHOULD be generated when a segment arrives that fills in
    // all or part of a gap in the sequence space" — here all of it: the ACK covers the held segment, with no SACK.
    @Test
    void outOfOrderSegment_duplicateAckAtOnceWithSack_holeFill_ackAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = establishedWithSack(h);
            data(h, 100, 100);
            Sent dup = expectAck(h, 0);
            assertEquals(List.of(new TcpOption.SackBlock(REMOTE_ISS + 101, REMOTE_ISS + 201)), sackBlocks(dup));
            data(h, 0, 100);
            Sent ack = expectAck(h, 200);
            assertEquals(List.of(), sackBlocks(ack));
            assertNull(delayedAckLeft(h, c));
            assertEquals(200, c.readableBytes());
        }
    }

    // RFC 5681 §4.2, "fills in ... part of a gap": with [100, 200) and [300, 400) held, the segment [0, 100) moves
    // RCV.NXT but a gap remains; it is ACKed at once (so the sender's recovery sees the progress and the SACK blocks
    // without waiting for our delay), as Linux does while its out-of-order queue is not empty (__tcp_ack_snd_check).
    @Test
    void partOfAGapFilled_ackedAtOnceWithTheRemainingSackBlock() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = establishedWithSack(h);
            data(h, 300, 100);
            expectAck(h, 0);
            data(h, 100, 100);
            expectAck(h, 0);
            data(h, 0, 100);
            Sent ack = expectAck(h, 200); // [0, 100) and the held [100, 200) are in order now
            assertEquals(List.of(new TcpOption.SackBlock(REMOTE_ISS + 301, REMOTE_ISS + 401)), sackBlocks(ack));
            data(h, 200, 50); // part of the remaining gap [200, 300)
            Sent partial = expectAck(h, 250);
            assertEquals(List.of(new TcpOption.SackBlock(REMOTE_ISS + 301, REMOTE_ISS + 401)), sackBlocks(partial));
            assertNull(delayedAckLeft(h, c));
            data(h, 250, 50);
            expectAck(h, 400);
            assertEquals(400, c.readableBytes());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Piggybacking
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.8.6.3 and §3.10.7.4: every segment in a synchronized state carries the current ACK, so data sent
    // while an ACK is delayed settles it: one data segment, the timer cancelled, no pure ACK later (Linux
    // tcp_event_ack_sent clears the delayed ACK).
    @Test
    void pendingDelayedAck_carriedByData_noSeparateAck() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), false);
            data(h, 0, 4);
            h.expectNothingSent();
            h.advance(millis(10));
            ByteBuf reply = Unpooled.copiedBuffer("pong", StandardCharsets.US_ASCII);
            try {
                c.send(h.now(), reply);
            } finally {
                reply.release();
            }
            Sent s = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 5);
            assertEquals("pong", s.text());
            h.expectNothingSent();
            assertNull(delayedAckLeft(h, c));
            h.receive(h.segment().seq(REMOTE_ISS + 5).ack(LOCAL_ISS + 5)); // the peer's ACK of "pong": no ACK for an ACK
            h.advance(millis(100));
            h.expectNothingSent();
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT));
        }
    }

    // Linux tcp_event_data_sent() counts a write as a reply (ping-pong mode, delayed ACKs) only if it comes within
    // icsk_ack.ato of the last data received; ato is 0 until data arrived (or quick ACK mode was entered), so data
    // written right after a plain handshake is no reply, and the peer's answer is still ACKed at once (a quick ACK).
    @Test
    void dataWrittenRightAfterThePlainHandshake_isNoReply_peersAnswerAckedAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            ByteBuf request = Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII);
            try {
                c.send(h.now(), request);
            } finally {
                request.release();
            }
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.advance(millis(5));
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 5).payload("pong"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 5, REMOTE_ISS + 5);
        }
    }
}
