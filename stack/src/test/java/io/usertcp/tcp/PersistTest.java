package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.TwoStacks;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The persist timer and zero-window probes (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17, Linux
 * tcp_probe_timer / tcp_xmit_probe_skb), and the sender's silly window syndrome avoidance
 * (RFC 9293 §3.8.6.2.1) when the peer's window is smaller than a segment.
 *
 * <p>The scripted peer offers no options: SND.MSS 536; the handshake at RTT 0 makes the RTO 200 ms.
 */
class PersistTest {
    private static final int MSS = 536;
    private static final long RTO = millis(200);

    private static void send(ConnectionHarness h, TcpConnection c, int bytes) {
        ByteBuf data = Unpooled.buffer(bytes);
        for (int i = 0; i < bytes; i++) {
            data.writeByte('a' + i % 26);
        }
        try {
            assertEquals(bytes, c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    /** The peer's ACK of everything up to {@code ack} with its window. */
    private static void window(ConnectionHarness h, int ack, int window) {
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(ack).window(window));
    }

    private static Long timerLeft(ConnectionHarness h, TcpConnection c, TcpTimer timer) {
        return c.snapshot(h.now()).timersLeftNanos().get(timer);
    }

    /** RFC 9293 §3.8.6.1 / Linux tcp_xmit_probe_skb: a zero-window probe is an ACK with SEQ = SND.UNA − 1, no data. */
    private static void expectProbe(ConnectionHarness h, int sndUna) {
        Sent probe = h.expectSent().assertFlags(ACK).assertSeqAck(sndUna - 1, REMOTE_ISS + 1);
        assertEquals(0, probe.payload().length, probe.line());
    }

    private static Sent expectData(ConnectionHarness h, int flags, int seq, int length) {
        Sent s = h.expectSent().assertFlags(flags).assertSeqAck(seq, REMOTE_ISS + 1);
        assertEquals(length, s.payload().length, s.line());
        return s;
    }

    /** ESTABLISHED, the peer's window closed, {@code queued} bytes waiting: nothing sent, the persist timer at 1 RTO. */
    private static TcpConnection zeroWindowWithData(ConnectionHarness h, int queued) {
        TcpConnection c = h.established();
        window(h, LOCAL_ISS + 1, 0);
        h.expectNothingSent();
        send(h, c, queued);
        h.expectNothingSent();
        assertEquals(RTO, timerLeft(h, c, TcpTimer.PERSIST));
        assertNull(timerLeft(h, c, TcpTimer.RETRANSMIT), "nothing is in flight");
        return c;
    }

    // ------------------------------------------------------------------------------------------
    // Zero window
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.8.6.1: "The sending TCP peer must regularly transmit at least one octet of new data (if available),
    // or retransmit to the receiving TCP peer even if the send window is zero" — as Linux, the probe is the ACK with
    // SEQ = SND.UNA − 1 that the peer must answer with its window (tcp_xmit_probe_skb). The first one goes 1 RTO after
    // the window closed on queued data.
    @Test
    void zeroWindow_dataQueued_persistFiresAfterOneRto_probeIsAckWithSndUnaMinusOne() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 1000);
            h.advance(RTO - 1);
            h.expectNothingSent();
            h.advance(1);
            expectProbe(h, LOCAL_ISS + 1);
            h.expectNothingSent();
            assertEquals(1000, c.sendQueueBytes());
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
            assertEquals(0, h.stack.stats().get(Counter.TcpRetransSegs), "a probe is not a retransmission");
        }
    }

    // RFC 9293 §3.8.6.1: "the transmitting host SHOULD send the first zero-window probe when a zero window has existed
    // for the retransmission timeout period, and SHOULD increase exponentially the interval between successive
    // probes" (SHLD-29), capped at rtoMax as Linux's TCP_RTO_MAX: 200, 400, 800, 1600, 3200 ms, ... 120 s.
    @Test
    void zeroWindow_probeIntervalsDoubleUpToRtoMax() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 1000);
            long interval = RTO;
            for (int probe = 1; probe <= 14; probe++) {
                assertEquals(interval, timerLeft(h, c, TcpTimer.PERSIST), "before probe " + probe);
                h.advance(interval - 1);
                h.expectNothingSent();
                h.advance(1);
                expectProbe(h, LOCAL_ISS + 1);
                window(h, LOCAL_ISS + 1, 0); // answered: still closed
                h.expectNothingSent();
                interval = Math.min(2 * interval, seconds(120));
            }
            assertEquals(seconds(120), timerLeft(h, c, TcpTimer.PERSIST), "capped at rtoMax");
        }
    }

    // RFC 1122 §4.2.2.17: "A TCP MAY keep its offered receive window closed indefinitely. As long as the receiving TCP
    // continues to send acknowledgments in response to the probe segments, the sending TCP MUST allow the connection
    // to stay open" — probes are not retransmissions and never count towards dataRetries (Linux resets
    // icsk_probes_out on every ACK). 40 answered probes, well past dataRetries = 3, span more than an hour.
    @Test
    void zeroWindow_answeredProbes_neverGiveUp() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().dataRetries(3).build())) {
            TcpConnection c = zeroWindowWithData(h, 1000);
            int probes = 0;
            long start = h.now();
            while (probes < 40) {
                h.advance(timerLeft(h, c, TcpTimer.PERSIST));
                expectProbe(h, LOCAL_ISS + 1);
                window(h, LOCAL_ISS + 1, 0);
                h.expectNothingSent();
                probes++;
            }
            assertTrue(h.now() - start > seconds(3600));
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertNull(c.closeReason());
            assertEquals(0, c.snapshot(h.now()).retransmits());
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
            // ...and it still sends the moment the window opens.
            window(h, LOCAL_ISS + 1, 65535);
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, 1000 - MSS);
        }
    }

    // Linux tcp_probe_timer: a peer that answers none of tcp_retries2 probes is gone, and the connection fails as on a
    // retransmission timeout (tcp_write_err: ETIMEDOUT, no RST). Without this a peer that closed its window and
    // vanished would pin the connection and its queued data forever (keep-alive stays off while data is queued).
    // With dataRetries 3: probes at 200, 600 and 1400 ms, given up at 3000 ms.
    @Test
    void zeroWindow_unansweredProbes_giveUpAfterDataRetries_noRst() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().dataRetries(3).build())) {
            long t0 = h.now();
            TcpConnection c = zeroWindowWithData(h, 1000);
            for (long at : new long[] {millis(200), millis(600), millis(1400)}) {
                h.advance(t0 + at - h.now());
                expectProbe(h, LOCAL_ISS + 1);
            }
            h.advance(t0 + millis(3000) - 1 - h.now());
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RETRANSMIT_TIMEOUT, c.closeReason());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    // RFC 9293 §3.8.6.1 and §3.10.7.4: the answer to a probe carries the peer's current window; once it is open the
    // probes stop and the queued data flows at once. The retransmission timer of that data uses the RTO itself: the
    // probes' backoff is the persist timer's own (Linux tcp_ack_probe resets icsk_backoff, and tcp_probe0_when never
    // changes icsk_rto), and RFC 6298 §5.5 backs the RTO off only when the retransmission timer expires.
    @Test
    void windowReopened_probesStop_dataFlows_withTheUnbackedOffRto() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 1000);
            for (long interval : new long[] {RTO, 2 * RTO, 4 * RTO, 8 * RTO}) {
                h.advance(interval);
                expectProbe(h, LOCAL_ISS + 1);
                window(h, LOCAL_ISS + 1, 0);
            }
            h.advance(16 * RTO);
            expectProbe(h, LOCAL_ISS + 1);
            window(h, LOCAL_ISS + 1, 8192); // the probe's answer opens the window
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, 1000 - MSS);
            h.expectNothingSent();
            assertNull(timerLeft(h, c, TcpTimer.PERSIST), "no more probes");
            assertEquals(RTO, c.snapshot(h.now()).rtoNanos());
            assertEquals(RTO, timerLeft(h, c, TcpTimer.RETRANSMIT));
            h.advance(RTO - 1);
            h.expectNothingSent();
            h.advance(1);
            expectData(h, ACK, LOCAL_ISS + 1, MSS); // RFC 6298 §5.4: the data's own timeout, after 1 RTO; a retransmission short of the end: no PSH
            window(h, LOCAL_ISS + 1001, 8192);
            h.expectNothingSent();
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    // RFC 9293 §3.8.6.1: a window update that arrives by itself (not as a probe's answer) also stops the probes;
    // when the window closes again later the persist timer starts afresh from one RTO.
    @Test
    void windowUpdate_stopsTheProbes_andANewZeroWindowStartsFromOneRto() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 100);
            h.advance(RTO);
            expectProbe(h, LOCAL_ISS + 1);
            h.advance(2 * RTO);
            expectProbe(h, LOCAL_ISS + 1);
            window(h, LOCAL_ISS + 1, 4096);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            assertNull(timerLeft(h, c, TcpTimer.PERSIST));
            window(h, LOCAL_ISS + 101, 0); // ACKed, and the window is closed again
            send(h, c, 100);
            h.expectNothingSent();
            assertEquals(RTO, timerLeft(h, c, TcpTimer.PERSIST));
            h.advance(RTO);
            expectProbe(h, LOCAL_ISS + 101);
        }
    }

    // RFC 9293 §3.8.6.1: probing is for a zero window with data to send; with nothing queued no timer runs.
    @Test
    void zeroWindow_nothingQueued_noPersistTimer_noProbes() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            window(h, LOCAL_ISS + 1, 0);
            h.expectNothingSent();
            assertNull(timerLeft(h, c, TcpTimer.PERSIST));
            h.advance(seconds(60));
            h.expectNothingSent();
        }
    }

    // ------------------------------------------------------------------------------------------
    // A window smaller than a segment: sender SWS avoidance (RFC 9293 §3.8.6.2.1, MUST-38)
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.8.6.2.1: with D bytes queued and a usable window U, send when (1) min(D, U) ≥ Eff.snd.MSS, or
    // (2) the data is pushed and all queued data can be sent now (D ≤ U), or (3) min(D, U) ≥ Fs·Max(SND.WND) with
    // Fs = 1/2, or (4) the override timeout expires. A window of 300 bytes after a zero window, with 2000 bytes queued
    // and a maximum window of 65535, meets none of (1)-(3): nothing is sent at once. (Linux: tcp_snd_wnd_test keeps a
    // full segment back until it fits.)
    @Test
    void smallWindow_lessThanMssAndLessThanQueued_notSentAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 2000);
            window(h, LOCAL_ISS + 1, 300);
            h.expectNothingSent();
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
            // A window of a full segment lets a full segment go at once (1), and only that: the head of the write's
            // skb, which tso_fragment() leaves without the PSH tcp_push() put on the skb (TcpProfile.pushesPerGsoPacket()).
            window(h, LOCAL_ISS + 1, MSS);
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            h.expectNothingSent();
        }
    }

    // RFC 9293 §3.8.6.2.1 (4): the override timeout sends what the window allows after all, so a peer that never opens
    // further is not waited on forever; Linux's persist timer (tcp_write_wakeup) sends the window's worth of data.
    @Test
    void smallWindow_overrideTimeout_sendsWhatFits() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 2000);
            window(h, LOCAL_ISS + 1, 300);
            h.expectNothingSent();
            Long left = timerLeft(h, c, TcpTimer.PERSIST);
            assertEquals(RTO, left, "the persist timer is the override timer");
            h.advance(RTO - 1);
            h.expectNothingSent();
            h.advance(1);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 300); // a window probe's data carries PSH (Linux tcp_write_wakeup())
            h.expectNothingSent();
            assertEquals(RTO, timerLeft(h, c, TcpTimer.RETRANSMIT));
            assertNull(timerLeft(h, c, TcpTimer.PERSIST), "data in flight: the retransmission timer takes over");
            window(h, LOCAL_ISS + 301, 65535);
            int[] sizes = h.drain().stream().mapToInt(s -> s.payload().length).toArray();
            assertEquals("[536, 536, 536, 92]", Arrays.toString(sizes));
        }
    }

    // RFC 9293 §3.8.6.2.1 (2): "the data is pushed and all queued data can be sent now": a small write that fits the
    // small window goes at once.
    @Test
    void smallWindow_allQueuedDataFits_sentAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = zeroWindowWithData(h, 100);
            window(h, LOCAL_ISS + 1, 300);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            assertNull(timerLeft(h, c, TcpTimer.PERSIST));
        }
    }

    // RFC 9293 §3.8.6.2.1 (3): a peer whose whole window is below one MSS (here 400 < 536) is served in pieces of at
    // least Fs·Max(SND.WND) = 200 bytes; otherwise nothing would move but by the override timer. (Linux bounds its
    // MSS by half the largest window seen, tcp_bound_to_half_wnd, to the same end.)
    @Test
    void peerWindowAlwaysBelowMss_sendsAtLeastHalfTheMaxWindowAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).window(400));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            send(h, c, 1000);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 400); // each window-limited burst ends with PSH on linux
            h.expectNothingSent();
            window(h, LOCAL_ISS + 401, 150); // 150 usable: below Fs·400 = 200, below MSS and below the 600 queued
            h.expectNothingSent();
            window(h, LOCAL_ISS + 401, 400);
            expectData(h, PSH | ACK, LOCAL_ISS + 401, 400);
            window(h, LOCAL_ISS + 801, 400);
            expectData(h, PSH | ACK, LOCAL_ISS + 801, 200); // (2): the rest fits
            h.expectNothingSent();
            assertEquals(400, c.snapshot(h.now()).sendWindowBytes());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Over the wire
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.8.6.1 and §3.8.6.2.2 between two stacks: a reader that stops reading closes its window; the sender
    // probes for a long time (more probes than dataRetries) without giving up; when the reader drains its buffer the
    // window update (or the next probe's answer) lets every byte through, in order.
    @Test
    void twoStacks_stalledReader_probedForMinutes_thenTransferCompletes() {
        // 8192 bytes: with 4096 the SYN,ACK would offer one MSS (1448 bytes), for which Linux halves the sender's MSS
        // (tcp_bound_to_half_wnd(), TcpProfile.windowBoundsAsLinux()), and two 724-byte segments' truesize fills the
        // buffer; this test is about probing, not about that.
        TcpConfig config = TcpConfig.linux().toBuilder().receiveBufferBytes(8192).dataRetries(3).build();
        try (TwoStacks net = new TwoStacks(config)) {
            TcpListener listener = net.b.listen(net.now(), 80, 4);
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection server = listener.accept();
            int total = 20_000;
            ByteBuf data = Unpooled.buffer(total);
            for (int i = 0; i < total; i++) {
                data.writeByte(i * 7);
            }
            try {
                client.send(net.now(), data);
                net.advance(seconds(300));
                // The buffer is full. The window is advertised in units of 2^shift = 128 bytes (linux: wscale 7) and
                // never shrinks (RFC 9293 §3.8.6.2.2), so the last edge promised may lie up to 127 bytes beyond the
                // buffer, and those bytes are taken: Linux tcp_select_window() rounds the same way (ALIGN up).
                // The linux profile's 8192-byte buffer holds what its window may offer: 8192 · 142/256 = 4544 bytes, the
                // ratio Linux measures from a 1460-byte segment and its 2624-byte truesize (tcp_measure_rcv_mss()).
                int shift = server.snapshot(net.now()).receiveWindowShift();
                assertEquals(7, shift);
                int holds = 8192 * 142 / 256;
                assertTrue(server.readableBytes() >= holds && server.readableBytes() < holds + (1 << shift),
                        "the reader's buffer is full: " + server.readableBytes() + " bytes");
                assertEquals(TcpState.ESTABLISHED, client.state());
                assertEquals(0, client.snapshot(net.now()).sendWindowBytes());
                assertTrue(client.snapshot(net.now()).timersLeftNanos().containsKey(TcpTimer.PERSIST));
                ByteBuf received = Unpooled.buffer(total);
                try {
                    for (int i = 0; i < 1000 && received.readableBytes() < total; i++) {
                        server.read(net.now(), received);
                        net.advance(millis(1));
                    }
                    assertEquals(total, received.readableBytes(), net.lastTrace(20));
                    data.readerIndex(0);
                    assertEquals(data, received);
                } finally {
                    received.release();
                }
                assertNull(client.closeReason());
                assertEquals(0, net.a.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            } finally {
                data.release();
            }
        }
    }
}
