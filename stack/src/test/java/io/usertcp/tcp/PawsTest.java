package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * PAWS, protection against wrapped sequence numbers (RFC 7323 §5), and the TS.Recent rules it rests
 * on (RFC 7323 §4.3): an old TSval marks an old duplicate, dropped and answered with an ACK (Linux
 * counts it as PAWSEstab); RST is exempt; only a segment at RCV.NXT updates TS.Recent; TS.Recent
 * idle for more than 24 days no longer counts.
 */
class PawsTest {
    private static final long DAYS_24 = seconds(24L * 24 * 3600);
    /** The peer's TSval on its SYN-ACK: TS.Recent after the handshake. */
    private static final int TS_SYNACK = 1000;

    private static ConnectionHarness harness() {
        return new ConnectionHarness(TcpConfig.linux());
    }

    /** ESTABLISHED with timestamps on both sides and TS.Recent = {@code tsVal}; past the quick ACKs. */
    private static TcpConnection establishedWithTimestamps(ConnectionHarness h, int tsVal) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(tsVal, 0)));
        Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(tsVal, timestamps(ack).tsEcr(), "TS.Recent comes from the SYN-ACK");
        assertTrue(c.snapshot(h.now()).timestamps());
        c.setQuickAck(h.now(), true);
        return c;
    }

    private static void data(ConnectionHarness h, int offset, String text, int tsVal) {
        h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1 + offset).ack(LOCAL_ISS + 1).payload(text)
                .options(new TcpOption.Timestamps(tsVal, 0)));
    }

    /** Our ACK (SEQ = SND.NXT, ACK = RCV.NXT); returns its TSecr, which is TS.Recent. */
    private static int expectAckEchoing(ConnectionHarness h, int rcvOffset) {
        Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + rcvOffset);
        assertEquals(0, ack.payload().length);
        h.expectNothingSent();
        return timestamps(ack).tsEcr();
    }

    private static TcpOption.Timestamps timestamps(Sent s) {
        return s.tcp().options().timestamps().orElseThrow(() -> new AssertionError("no TSopt: " + s));
    }


    private static long pawsDrops(ConnectionHarness h) {
        return h.stack.stats().get(Counter.TcpExtPAWSEstab);
    }

    // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving segment, SEG.TSval < TS.Recent, TS.Recent is
    // valid, and if the RST bit is not set, then treat the arriving segment as not acceptable: Send an acknowledgment in
    // reply as specified in Section 3.10.7.4 of [RFC9293] and drop the segment." The segment is in the window and at
    // RCV.NXT: only its TSval marks it as an old duplicate. Linux counts it in PAWSEstab (PAWSEstabRejected).
    // Two ticks older: Linux lets one tick pass (below).
    @Test
    void olderTsval_inWindowDataAtRcvNxt_droppedUndelivered_answeredWithAck_counted() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            data(h, 0, "stale", TS_SYNACK - 2);
            assertEquals(TS_SYNACK, expectAckEchoing(h, 0), "the ACK echoes TS.Recent, which the old segment left alone");
            assertEquals(0, c.readableBytes());
            assertEquals(1, pawsDrops(h));
            assertEquals(TcpState.ESTABLISHED, c.state());
            data(h, 0, "fresh", TS_SYNACK + 1);
            assertEquals(TS_SYNACK + 1, expectAckEchoing(h, 5));
            assertEquals("fresh", h.readText(c));
            assertEquals(1, pawsDrops(h));
        }
    }

    // RFC 7323 §5.3 R1 takes any TSval older than TS.Recent for an old duplicate, as FreeBSD does; Linux lets a
    // segment one tick older pass (tcp_paws_discard() with TCP_PAWS_WINDOW = 1), so that one reordered behind a
    // segment sent a millisecond later is not lost (checked against this machine's kernel: paws-one-tick-window.pkt).
    @Test
    void oneTickOlderTsval_rfc5_3_R1_droppedByRfcAndFreeBsd_acceptedByLinux() {
        for (TcpConfig config : new TcpConfig[] {TcpConfig.linux(), TcpConfig.rfc(), TcpConfig.freebsd()}) {
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
                data(h, 0, "late", TS_SYNACK - 1);
                boolean linux = config.profile().pawsWindow() == 1;
                assertEquals(TS_SYNACK, expectAckEchoing(h, linux ? 4 : 0), config.profile() + ": TS.Recent stays");
                assertEquals(linux ? 4 : 0, c.readableBytes(), config.profile().toString());
                assertEquals(linux ? 0 : 1, pawsDrops(h), config.profile().toString());
            }
        }
    }

    // RFC 7323 §5.3 R1 drops only a TSval strictly older than TS.Recent: several segments sent within one tick of the
    // peer's timestamp clock carry the same TSval and are all taken.
    @Test
    void equalTsval_accepted() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            data(h, 0, "one", TS_SYNACK);
            expectAckEchoing(h, 3);
            data(h, 3, "two", TS_SYNACK);
            expectAckEchoing(h, 6);
            assertEquals("onetwo", h.readText(c));
            assertEquals(0, pawsDrops(h));
        }
    }

    // RFC 7323 §5.2: timestamps compare in 32-bit modular arithmetic, like sequence numbers. From TS.Recent 2^32 − 16,
    // TSval 5 is 21 ticks newer (taken) and 2^32 − 32 is 16 ticks older (dropped).
    @Test
    void tsvalComparison_wrapsAroundTwoToThe32() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, -16);
            data(h, 0, "new", 5);
            assertEquals(5, expectAckEchoing(h, 3));
            data(h, 3, "old", -32);
            assertEquals(5, expectAckEchoing(h, 3));
            assertEquals("new", h.readText(c));
            assertEquals(1, pawsDrops(h));
        }
    }

    // RFC 7323 §4.3 (R3, with Last.ACK.sent = RCV.NXT): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent then
    // SEG.TSval is copied to TS.Recent" — an out-of-order segment beyond a hole does not update it, so its duplicate ACK
    // echoes the older TSval (§4.3 case 2), and the hole-filling segment, older than the out-of-order one but newer
    // than TS.Recent, is not dropped by PAWS; its ACK echoes its own TSval (§4.3 case 3).
    @Test
    void tsRecent_updatedOnlyBySegmentsAtRcvNxt_notByOutOfOrderOnes() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            data(h, 5, "world", 5000);
            assertEquals(TS_SYNACK, expectAckEchoing(h, 0), "TS.Recent not taken from the out-of-order segment");
            data(h, 0, "hello", 3000);
            assertEquals(3000, expectAckEchoing(h, 10));
            assertEquals("helloworld", h.readText(c));
            assertEquals(0, pawsDrops(h));
        }
    }

    // RFC 7323 §4.3 case (1), "ACKs are delayed": "the timestamp returned is that of the earliest unacknowledged
    // segment", so the peer's RTT sample includes our delay. R3 compares SEG.SEQ with Last.ACK.sent — the RCV.NXT our
    // last ACK carried, not the current RCV.NXT — so the second segment of a delayed pair leaves TS.Recent alone
    // (Linux tcp_replace_ts_recent compares with rcv_wup).
    @Test
    void delayedAck_echoesTheTsvalOfTheEarliestUnacknowledgedSegment() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            c.setQuickAck(h.now(), false);
            data(h, 0, "first", 2000);
            h.expectNothingSent();
            h.advance(millis(10));
            data(h, 5, "second", 2010);
            h.expectNothingSent();
            h.advance(millis(30));
            assertEquals(2000, expectAckEchoing(h, 11));
            // The next segment starts at the RCV.NXT that ACK carried: it updates TS.Recent.
            data(h, 11, "third", 2050);
            h.expectNothingSent();
            h.advance(millis(40));
            assertEquals(2050, expectAckEchoing(h, 16));
            assertEquals("firstsecondthird", h.readText(c));
        }
    }

    // RFC 7323 §4.3: TS.Recent is what every segment we send echoes in TSecr — ACKs and data alike.
    @Test
    void tsRecent_echoedByOurDataSegments() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            data(h, 0, "ping", 1500);
            assertEquals(1500, expectAckEchoing(h, 4));
            ByteBuf reply = Unpooled.copiedBuffer("pong", StandardCharsets.US_ASCII);
            try {
                c.send(h.now(), reply);
            } finally {
                reply.release();
            }
            Sent pong = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 5);
            assertEquals(1500, timestamps(pong).tsEcr());
        }
    }

    // RFC 7323 §5.3 R1 applies only "if the RST bit is not set" (and §5.3 notes RSTs carry no reliable TSval): an exact
    // RST with a TSval far older than TS.Recent resets the connection, and PAWS does not count it.
    @Test
    void rst_withOlderTsval_isExempt_resets() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1).options(new TcpOption.Timestamps(1, 0)));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            assertEquals(0, pawsDrops(h));
        }
    }

    // RFC 7323 §5.5: "If the connection has been idle more than 24 days, TS.Recent is invalid" — so R1 cannot drop a
    // segment after that; Linux TCP_PAWS_24DAYS (tcp_paws_check). At exactly 24 days the old TSval is still dropped;
    // one nanosecond later it is taken, and it becomes TS.Recent.
    @Test
    void tsRecentIdleForMoreThan24Days_isInvalid_olderTsvalTaken() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK); // TS.Recent set now
            long set = h.now();
            h.advance(set + DAYS_24 - h.now());
            h.expectNothingSent();
            data(h, 0, "old", 10);
            assertEquals(TS_SYNACK, expectAckEchoing(h, 0));
            assertEquals(1, pawsDrops(h));
            h.advance(1);
            data(h, 0, "old", 10);
            assertEquals(10, expectAckEchoing(h, 3), "the old TSval is the new TS.Recent");
            assertEquals("old", h.readText(c));
            assertEquals(1, pawsDrops(h));
        }
    }

    // RFC 7323 §5.5 measures the idle time from the last update of TS.Recent: traffic keeps it valid however long the
    // connection lives. A segment every 10 days for 40 days keeps PAWS in force.
    @Test
    void tsRecentRefreshedByTraffic_staysValidPast24Days() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h, TS_SYNACK);
            int offset = 0;
            for (int i = 1; i <= 4; i++) {
                h.advance(seconds(10L * 24 * 3600));
                data(h, offset, "x", TS_SYNACK + i);
                offset += 1;
                assertEquals(TS_SYNACK + i, expectAckEchoing(h, offset));
            }
            h.advance(millis(1));
            data(h, offset, "stale", TS_SYNACK);
            assertEquals(TS_SYNACK + 4, expectAckEchoing(h, offset));
            assertEquals(1, pawsDrops(h));
            assertEquals("xxxx", h.readText(c));
        }
    }
}
