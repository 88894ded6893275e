package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.TcpOption;
import org.junit.jupiter.api.Test;

/**
 * Two input-validation rules of the linux profile, each written as an attack followed by a
 * legitimate peer that must still be served, with the rfc profile beside it where the RFC's letter
 * leads somewhere else.
 *
 * <ul>
 * <li>A spoofed, in-window segment whose ACK lies beyond SND.NXT is discarded (RFC 5961 §5.2) and
 *     leaves no trace: Linux tcp_ack() takes ts_recent only after the ACK checks.</li>
 * <li>A SYN+FIN to a listener is discarded (Linux tcp_rcv_state_process()): no SYN,ACK, no child.</li>
 * </ul>
 */
class InputValidationAttackTest {
    /** The peer's TSval on its SYN,ACK: TS.Recent once the connection is established. */
    private static final int TS_SYNACK = 1000;
    /** What a blind attacker puts in TSval: far ahead, so that PAWS would then reject every real segment. */
    private static final int TS_HUGE = 0x7000_0000;

    /** ESTABLISHED (active open) with timestamps, quick ACKs on so every data segment is ACKed at once. */
    private static TcpConnection establishedWithTimestamps(ConnectionHarness h) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(TS_SYNACK, 0)));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        c.setQuickAck(h.now(), true);
        return c;
    }

    private static void spoofedFinWithAckBeyondSndNxt(ConnectionHarness h) {
        // In window (at RCV.NXT), but it acknowledges 9998 bytes we never sent; invalid_ack.pkt of Linux's corpus.
        h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + 9998)
                .options(new TcpOption.Timestamps(TS_HUGE, 0)));
    }


    @Test
    void linux_spoofedSegmentWithAckBeyondSndNxt_leavesNoTrace_realPeerStillServed() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = establishedWithTimestamps(h);
            spoofedFinWithAckBeyondSndNxt(h);
            // RFC 5961 §5.2: "send an ACK, drop the segment" (a challenge ACK, rate-limited); it echoes the old TS.Recent.
            Sent challenge = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TS_SYNACK, challenge.tcp().options().timestamps().orElseThrow().tsEcr(),
                    "TS.Recent was not taken from the discarded segment");
            assertEquals(TcpState.ESTABLISHED, c.state(), "its FIN was not processed");
            // The real peer's next segment carries its real clock, a little after its SYN,ACK.
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("real data")
                    .options(new TcpOption.Timestamps(TS_SYNACK + 1, 0)));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + 9);
            assertEquals(TS_SYNACK + 1, ack.tcp().options().timestamps().orElseThrow().tsEcr());
            assertEquals("real data", h.readText(c));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtPAWSEstab), "PAWS dropped nothing");
        }
    }

    @Test
    void rfc_spoofedSegmentWithAckBeyondSndNxt_setsTsRecent_pawsThenDropsTheRealPeer() {
        // The contrast: RFC 7323 §4.3 and its Appendix D take TS.Recent as soon as the sequence number is acceptable,
        // before the ACK field is looked at (FreeBSD tcp_input does too). The rfc profile follows the letter, and the
        // attack works there: the real peer's next segment is older than the spoofed TSval.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc())) {
            TcpConnection c = establishedWithTimestamps(h);
            spoofedFinWithAckBeyondSndNxt(h);
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("real data")
                    .options(new TcpOption.Timestamps(TS_SYNACK + 1, 0)));
            Sent dupAck = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TS_HUGE, dupAck.tcp().options().timestamps().orElseThrow().tsEcr());
            assertEquals(0, c.readableBytes());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtPAWSEstab));
        }
    }

    @Test
    void linux_synFinToListener_dropped_noChild_thenRealClientServed() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpListener listener = h.listen();
            for (int i = 0; i < 100; i++) {
                h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS + i * 1000).ports(40000 + i, ConnectionHarness.SERVER_PORT));
            }
            h.expectNothingSent();
            assertEquals(100, h.stack.stats().drops(DropReason.TCP_LISTEN_SYN_FIN));
            assertNull(listener.accept());
            assertEquals(0, h.stack.connectionCount(), "no half-open child was created");
            // A legitimate client is served as if nothing had happened.
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("hello"));
            assertEquals("hello", h.readText(c));
        }
    }

    @Test
    void rfc_synFinToListener_processedAsRfc9293Says_endsInCloseWait() {
        // RFC 9293 §3.10.7.2: the SYN is processed, and the FIN "queued for processing after the ESTABLISHED state
        // has been reached": the handshake's last ACK takes the child to ESTABLISHED and the queued FIN on to CLOSE-WAIT.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc())) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.drain();
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertEquals(TcpState.CLOSE_WAIT, c.state());
            assertTrue(h.stack.stats().drops(DropReason.TCP_LISTEN_SYN_FIN) == 0);
        }
    }
}
