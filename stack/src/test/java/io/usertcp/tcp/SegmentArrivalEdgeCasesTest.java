package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.TransitionRecorder;
import io.usertcp.wire.TcpOption;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * SEGMENT ARRIVES in the synchronized states, the parts beyond the state changes: the acceptability
 * test's four cases (RFC 9293 §3.10.7.4 first check) and the zero-window allowance, trimming,
 * out-of-order data and FIN, data after CLOSE, PAWS (RFC 7323 §5), the send-window update rule
 * (SND.WL1/SND.WL2), and delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2).
 */
class SegmentArrivalEdgeCasesTest {
    /** The smallest receive buffer the configuration allows: easy to fill, so the window closes. */
    private static final int SMALL_BUFFER = 256;

    private final TransitionRecorder recorder = new TransitionRecorder();

    private ConnectionHarness harness() {
        return new ConnectionHarness(TcpConfig.linux(), c -> c.withObserver(recorder));
    }

    private ConnectionHarness smallBufferHarness() {
        // The linux profile's window is half its buffer (Linux tcp_win_from_space()).
        return new ConnectionHarness(TcpConfig.linux().toBuilder().receiveBufferBytes(2 * SMALL_BUFFER).build(),
                c -> c.withObserver(recorder));
    }

    private static String read(ConnectionHarness h, TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(1 << 17);
        try {
            c.read(h.now(), dst);
            return dst.toString(StandardCharsets.US_ASCII);
        } finally {
            dst.release();
        }
    }

    private static void send(ConnectionHarness h, TcpConnection c, String text) {
        ByteBuf data = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    private static String bytes(int n, char c) {
        char[] chars = new char[n];
        Arrays.fill(chars, c);
        return new String(chars);
    }

    /** ESTABLISHED with a 256-byte receive buffer that the peer has filled: RCV.WND = 0, RCV.NXT = IRS+257. */
    private static TcpConnection establishedWithZeroWindow(ConnectionHarness h) {
        TcpConnection c = h.established();
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload(bytes(SMALL_BUFFER, 'z')));
        h.advance(millis(40));
        Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + SMALL_BUFFER);
        assertEquals(0, ack.window(), "the buffer is full");
        assertEquals(0, c.snapshot(h.now()).receiveWindowBytes());
        return c;
    }

    // =====================================================================================
    // The acceptability test (RFC 9293 §3.10.7.4, first check)
    // =====================================================================================

    @Test
    void lengthZero_windowZero_acceptableOnlyAtRcvNxt() {
        // RFC 9293 table: SEG.LEN = 0, RCV.WND = 0: "SEG.SEQ = RCV.NXT". An acceptable ACK is processed (its
        // window applied) and needs no answer; any other sequence number gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
        try (ConnectionHarness h = smallBufferHarness()) {
            TcpConnection c = establishedWithZeroWindow(h);
            int rcvNxt = REMOTE_ISS + 1 + SMALL_BUFFER;
            h.receive(h.segment().seq(rcvNxt).ack(LOCAL_ISS + 1).window(1234));
            h.expectNothingSent();
            assertEquals(1234, c.snapshot(h.now()).sendWindowBytes());
            for (int seq : new int[] {rcvNxt + 1, rcvNxt - 1}) {
                h.advance(h.stack.config().invalidRateLimitNanos()); // one answer per tcp_invalid_ratelimit (Rfc5961Test)
                h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).window(999));
                h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, rcvNxt);
                h.expectNothingSent();
            }
            assertEquals(1234, c.snapshot(h.now()).sendWindowBytes(), "an unacceptable segment's window is ignored");
        }
    }

    @Test
    void lengthZero_windowOpen_acceptableInsideWindow() {
        // RFC 9293 table: SEG.LEN = 0, RCV.WND > 0: "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            int rcvNxt = REMOTE_ISS + 1;
            long window = c.snapshot(h.now()).receiveWindowBytes();
            assertEquals(64240, window, "half the 128 KiB buffer in whole segments, as Linux's first window");
            h.receive(h.segment().seq(rcvNxt + 10).ack(LOCAL_ISS + 1).window(4000));
            h.receive(h.segment().seq(rcvNxt + (int) window - 1).ack(LOCAL_ISS + 1).window(4000));
            // Linux and the BSDs also accept a pure ACK exactly at the right edge (SegmentArrival.ackAtRightEdge):
            // a peer that filled our window sends its ACKs there.
            h.receive(h.segment().seq(rcvNxt + (int) window).ack(LOCAL_ISS + 1).window(4000));
            h.expectNothingSent();
            for (int seq : new int[] {rcvNxt - 1, rcvNxt + (int) window + 1}) {
                h.advance(h.stack.config().invalidRateLimitNanos()); // one answer per tcp_invalid_ratelimit (Rfc5961Test)
                h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).window(10));
                h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, rcvNxt);
            }
            h.expectNothingSent();
            assertEquals(0, c.readableBytes());
        }
    }

    @Test
    void data_windowZero_specialAllowance_ackProcessed_textTrimmed_ackSent() {
        // RFC 9293 table: SEG.LEN > 0, RCV.WND = 0: not acceptable, "but special allowance should be made to
        // accept valid ACKs, URGs, and RSTs": the ACK field (here acknowledging our data and a new window) is
        // processed, the text is trimmed away, and the peer — probing a zero window — gets an ACK with the
        // current window (RFC 9293 §3.8.6.1; Linux tcp_data_queue "zero window" path).
        try (ConnectionHarness h = smallBufferHarness()) {
            TcpConnection c = establishedWithZeroWindow(h);
            int rcvNxt = REMOTE_ISS + 1 + SMALL_BUFFER;
            send(h, c, "ours");
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, rcvNxt);
            h.receive(h.segment().seq(rcvNxt).ack(LOCAL_ISS + 5).window(777).payload("probe"));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 5, rcvNxt);
            assertEquals(0, ack.window());
            h.expectNothingSent();
            assertEquals(SMALL_BUFFER, c.readableBytes(), "no byte of the probe was taken");
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(0, s.inFlightBytes(), "the ACK field was processed");
            assertEquals(0, s.sendQueueBytes());
            assertEquals(777, s.sendWindowBytes());
        }
    }

    @Test
    void data_windowZero_notAtRcvNxt_unacceptable_ackFieldIgnored() {
        // RFC 9293 first check: not acceptable -> <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, "drop the unacceptable
        // segment and return": the ACK field is not looked at.
        try (ConnectionHarness h = smallBufferHarness()) {
            TcpConnection c = establishedWithZeroWindow(h);
            int rcvNxt = REMOTE_ISS + 1 + SMALL_BUFFER;
            send(h, c, "ours");
            h.expectSent().assertFlags(PSH | ACK);
            h.receive(h.segment().seq(rcvNxt + 1).ack(LOCAL_ISS + 5).window(777).payload("x"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 5, rcvNxt);
            assertEquals(4, c.snapshot(h.now()).inFlightBytes(), "our data is still unacknowledged");
        }
    }

    @Test
    void data_windowOpen_acceptableIfEitherEndInsideWindow() {
        // RFC 9293 table: SEG.LEN > 0, RCV.WND > 0: "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or
        // RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND". Entirely old or entirely beyond: ACK and drop.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            int rcvNxt = REMOTE_ISS + 1;
            h.receive(h.segment().seq(rcvNxt - 4).ack(LOCAL_ISS + 1).payload("old!"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, rcvNxt);
            h.receive(h.segment().seq(rcvNxt + 65535).ack(LOCAL_ISS + 1).payload("beyond"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, rcvNxt);
            assertEquals(0, c.readableBytes());
            // The last octet inside the window makes the segment acceptable.
            h.receive(h.segment().seq(rcvNxt - 4).ack(LOCAL_ISS + 1).payload("old!new"));
            assertEquals("new", read(h, c));
        }
    }

    // =====================================================================================
    // Trimming (RFC 9293 §3.10.7.4: "only the new parts are processed")
    // =====================================================================================

    @Test
    void data_startingBeforeRcvNxt_oldPartTrimmed() {
        // RFC 9293 §3.10.7.4: "If a segment's contents straddle the boundary between old and new, only the new
        // parts are processed."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("abc"));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("abcdefgh"));
            assertEquals("abcdefgh", read(h, c));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 9);
        }
    }

    @Test
    void data_beyondWindow_tailTrimmed_ackAdvertisesWhatWasTaken() {
        // RFC 9293 §3.10.7.4: the part beyond RCV.NXT+RCV.WND is not acceptable; the in-window part is kept and
        // the peer is told at once (an unacceptable part is answered with an ACK) that the window is now 0.
        try (ConnectionHarness h = smallBufferHarness()) {
            TcpConnection c = h.established();
            assertEquals(SMALL_BUFFER, c.snapshot(h.now()).receiveWindowBytes());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload(bytes(300, 'q')).flags(PSH | ACK | FIN));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + SMALL_BUFFER);
            assertEquals(0, ack.window());
            h.expectNothingSent();
            assertEquals(SMALL_BUFFER, c.readableBytes());
            assertEquals(TcpState.ESTABLISHED, c.state(), "the FIN lay beyond the window: not processed");
        }
    }

    // =====================================================================================
    // Out of order (no reassembly yet)
    // =====================================================================================

    @Test
    void outOfOrderData_heldWithImmediateDuplicateAck_deliveredWhenTheHoleFills() {
        // RFC 5681 §4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when an out-of-order segment
        // arrives" and "SHOULD send an immediate ACK when the incoming segment fills in all or part of a gap";
        // RFC 9293 §3.10.7.4 (seventh): the out-of-order segment is held for later processing.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 11).ack(LOCAL_ISS + 1).payload("later"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(0, c.readableBytes(), "nothing readable while the hole is open");
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPOFOQueue));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("0123456789"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 16);
            assertEquals("0123456789later", read(h, c));
        }
    }

    @Test
    void finAfterGap_heldAndProcessedWhenOnlyTheMissingDataArrives() {
        // RFC 9293 §3.10.7.4 (eighth): the FIN counts once everything before it has arrived; it need not be sent again.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(FIN | PSH | ACK).seq(REMOTE_ISS + 4).ack(LOCAL_ISS + 1).payload("de"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("abc"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 7);
            assertEquals(TcpState.CLOSE_WAIT, c.state());
            assertEquals("abcde", read(h, c));
            assertTrue(c.isEndOfStream());
        }
    }

    @Test
    void outOfOrderData_withSackPermitted_duplicateAckCarriesSackBlocks_rfc2018() {
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new io.usertcp.wire.TcpOption.Mss(1460), new io.usertcp.wire.TcpOption.Nop(),
                            new io.usertcp.wire.TcpOption.Nop(), new io.usertcp.wire.TcpOption.SackPermitted()));
            h.expectSent().assertFlags(ACK);
            h.receive(h.segment().seq(REMOTE_ISS + 11).ack(LOCAL_ISS + 1).payload("later"));
            ConnectionHarness.Sent dup = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            var sack = dup.tcp().options().sack().orElseThrow();
            assertEquals(1, sack.blocks().size());
            assertEquals(REMOTE_ISS + 11, sack.blocks().get(0).left());
            assertEquals(REMOTE_ISS + 16, sack.blocks().get(0).right());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("0123456789"));
            ConnectionHarness.Sent full = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 16);
            assertTrue(full.tcp().options().sack().isEmpty(), "no SACK once nothing is held");
            assertEquals(15, c.readableBytes());
        }
    }

    @Test
    void finAfterGap_notProcessed_duplicateAck() {
        // RFC 9293 §3.10.7.4 (eighth): the FIN is processed only when everything before it has arrived; a FIN
        // after a hole is an out-of-order segment (RFC 5681 §4.2: immediate duplicate ACK).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            recorder.clear();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 6).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.receive(h.segment().flags(FIN | PSH | ACK).seq(REMOTE_ISS + 3).ack(LOCAL_ISS + 1).payload("cde"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertFalse(c.isEndOfStream());
            recorder.expectNone();
            // Once the hole is filled (here by a retransmission of everything), the FIN counts.
            h.receive(h.segment().flags(FIN | PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("abcde"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 7);
            assertEquals(TcpState.CLOSE_WAIT, c.state());
        }
    }

    // =====================================================================================
    // Data after CLOSE (RFC 1122 §4.2.2.13, Linux tcp_rcv_state_process)
    // =====================================================================================

    @Test
    void finWait1_dataAfterUserClose_rstAnsweringIt_abortedDataAfterClose() {
        // RFC 1122 §4.2.2.13: "if new data is received after CLOSE is called, its TCP SHOULD send a RST to show
        // that data was lost". Linux (FIN-WAIT-1/2 with RCV_SHUTDOWN) resets and answers the segment with
        // tcp_v4_send_reset: it carries an ACK, so <SEQ=SEG.ACK><CTL=RST> — exactly the peer's RCV.NXT, which an
        // RFC 5961 peer requires (SND.NXT is ahead of it while our FIN is unacknowledged).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait1();
            recorder.clear();
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("too late"));
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS + 1, 0);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.ABORTED_DATA_AFTER_CLOSE, c.closeReason());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnData));
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.stack.timeWaitCount());
            recorder.expectOnly(TcpState.FIN_WAIT_1, TcpState.CLOSED, "rcv data after CLOSE");
        }
    }

    @Test
    void finWait2_dataAfterUserClose_rst() {
        // The same in FIN-WAIT-2, where the peer has acknowledged our FIN: <SEQ=SEG.ACK> = ISS+2.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.finWait2();
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload("late"));
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS + 2, 0);
            assertEquals(CloseReason.ABORTED_DATA_AFTER_CLOSE, c.closeReason());
        }
    }

    @Test
    void finWait2_afterShutdownOutputOnly_dataStillDelivered() {
        // A half close (shutdown of the sending side) keeps the receiving side: RFC 9293 §3.10.7.4 (seventh,
        // FIN-WAIT-1/2) delivers the text as in ESTABLISHED.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            c.shutdownOutput(h.now());
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload("still reading"));
            assertEquals("still reading", read(h, c));
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            c.close(h.now());
        }
    }

    // =====================================================================================
    // PAWS (RFC 7323 §5)
    // =====================================================================================

    /** ESTABLISHED with timestamps on; TS.Recent = 2000 after one data segment ("a"), RCV.NXT = IRS+2. */
    private static TcpConnection establishedWithTimestamps(ConnectionHarness h) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(1000, 0)));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("a").options(new TcpOption.Timestamps(2000, 0)));
        h.advance(millis(40));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
        assertTrue(c.snapshot(h.now()).timestamps());
        return c;
    }

    private static TcpOption.Timestamps timestamps(Sent s) {
        return s.tcp().options().list().stream().filter(o -> o instanceof TcpOption.Timestamps)
                .map(o -> (TcpOption.Timestamps) o).findFirst().orElseThrow(() -> new AssertionError("no TSopt: " + s));
    }

    @Test
    void paws_oldTsval_segmentDroppedWithAck_counted() {
        // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving segment, SEG.TSval < TS.Recent, ...
        // and if the RST bit is not set, then treat the arriving segment as not acceptable: Send an
        // acknowledgment in reply as specified in Section 3.10.7.4 of [RFC9293] and drop the segment."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h);
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 1).payload("old").options(new TcpOption.Timestamps(1500, 0)));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            assertEquals(2000, timestamps(ack).tsEcr(), "TS.Recent is unchanged by the old segment");
            h.expectNothingSent();
            assertEquals("a", read(h, c));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtPAWSEstab));
            // The same bytes with a current TSval are taken.
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 1).payload("new").options(new TcpOption.Timestamps(2000, 0)));
            assertEquals("new", read(h, c));
        }
    }

    @Test
    void paws_doesNotApplyToRst() {
        // RFC 7323 §5.3 R1 applies only "if the RST bit is not set": an exact RST with an old TSval resets.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h);
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2).options(new TcpOption.Timestamps(1, 0)));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            assertEquals(0, h.stack.stats().get(Counter.TcpExtPAWSEstab));
        }
    }

    @Test
    void paws_tsRecentIdleOver24Days_oldTsvalAccepted() {
        // RFC 7323 §5.5: after more than 24 days idle, TS.Recent is invalid and the segment is accepted.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = establishedWithTimestamps(h);
            h.advance(seconds(25L * 24 * 3600));
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 1).payload("b").options(new TcpOption.Timestamps(1500, 0)));
            assertEquals("ab", read(h, c));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtPAWSEstab));
        }
    }

    // =====================================================================================
    // Send window updates (RFC 9293 §3.10.7.4 fifth check, SND.WL1 / SND.WL2)
    // =====================================================================================

    @Test
    void windowUpdate_sameSeqAndAck_applied() {
        // RFC 9293: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ
        // or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND" — pure window updates have the
        // same SEQ and ACK as the last segment and still apply, shrinking or growing.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            for (int window : new int[] {1000, 3000, 10}) {
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(window));
                assertEquals(window, c.snapshot(h.now()).sendWindowBytes());
            }
            h.expectNothingSent();
        }
    }

    @Test
    void windowUpdate_olderSegment_ignored() {
        // RFC 9293: "The check here prevents using old segments to update the window": a retransmission with a
        // SEQ before SND.WL1 (trimmed to its new tail) does not bring back the window it carried.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(1000).payload("abcdef"));
            h.receive(h.segment().seq(REMOTE_ISS + 7).ack(LOCAL_ISS + 1).window(2000).payload("gh"));
            assertEquals(2000, c.snapshot(h.now()).sendWindowBytes());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(50).payload("abcdefghij"));
            assertEquals("abcdefghij", read(h, c), "the new tail was taken");
            assertEquals(2000, c.snapshot(h.now()).sendWindowBytes(), "but not the old segment's window");
        }
    }

    @Test
    void windowUpdate_olderAck_ignored() {
        // RFC 9293: "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored" — a reordered ACK with the
        // same SEQ and an older ACK (SEG.ACK < SND.WL2) leaves the window alone.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            send(h, c, "0123456789abcdefghij");
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 21).window(5000));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 11).window(100));
            h.expectNothingSent();
            assertEquals(5000, c.snapshot(h.now()).sendWindowBytes());
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    @Test
    void windowUpdate_reopeningZeroWindow_sendsQueuedDataAtOnce() {
        // RFC 9293 §3.8.6.1: while the window is zero nothing is sent (the persist timer runs); the update that
        // opens it lets the queued data go.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(0));
            send(h, c, "hello");
            h.expectNothingSent();
            assertTrue(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.PERSIST));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(100));
            Sent data = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals("hello", data.text());
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.PERSIST));
        }
    }

    // =====================================================================================
    // Delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2; Linux 40 ms)
    // =====================================================================================

    @Test
    void delayedAck_oneSegment_ackedAfterDelayedAckNanos() {
        // RFC 9293 §3.8.6.3 (SHLD-18): an ACK may be delayed, less than 0.5 s; Linux's minimum is 40 ms.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), false); // past the quick ACKs of a new connection
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("one"));
            h.expectNothingSent();
            assertEquals(millis(40), c.snapshot(h.now()).timersLeftNanos().get(TcpTimer.DELAYED_ACK));
            h.advance(millis(40) - 1);
            h.expectNothingSent();
            h.advance(1);
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 4);
            h.expectNothingSent();
        }
    }

    @Test
    void delayedAck_secondSegment_ackedAtOnce() {
        // RFC 9293 §3.8.6.3 (SHLD-19): "an ACK SHOULD be generated for at least every second full-sized segment".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), false);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload(bytes(536, 'a')));
            h.expectNothingSent();
            h.advance(millis(5));
            h.receive(h.segment().seq(REMOTE_ISS + 537).ack(LOCAL_ISS + 1).payload(bytes(536, 'b')));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1073);
            h.expectNothingSent();
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.DELAYED_ACK));
            h.advance(millis(100));
            h.expectNothingSent();
        }
    }

    @Test
    void delayedAck_dataSentMeanwhile_carriesTheAck() {
        // RFC 9293 §3.8.6.3 / §3.10.7.4: every segment in a synchronized state carries ACK; data going out
        // before the delayed-ACK timer settles it (Linux tcp_event_ack_sent).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("ping"));
            h.advance(millis(10));
            send(h, c, "pong");
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 5);
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.DELAYED_ACK));
            h.advance(millis(100));
            h.expectNothingSent(); // no separate ACK follows, and the RTO (1 s) is still far
        }
    }
}
