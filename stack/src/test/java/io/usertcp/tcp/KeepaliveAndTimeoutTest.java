package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.RecordingObserver.Segment;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpFlags;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive (RFC 1122 §4.2.3.6, Linux's TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT), the user
 * timeout (RFC 5482, RFC 9293 §3.8.3) and the retransmission give-up (tcp_retries2): when and how
 * a connection finds out that its peer is gone (DESIGN.md §13).
 */
class KeepaliveAndTimeoutTest {
    private static final long IDLE = seconds(10);
    private static final long INTERVAL = seconds(2);
    private static final int COUNT = 3;

    /** RFC 1122 §4.2.3.6 / Linux tcp_xmit_probe_skb: a keep-alive probe is an ACK with SEQ = SND.UNA - 1, no data. */
    private static void expectProbe(ConnectionHarness h) {
        Sent probe = h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        assertEquals(0, probe.payload().length, probe.line());
    }

    // RFC 1122 §4.2.3.6: probes start after the idle time and repeat every interval; Linux tcp_keepalive_timer declares
    // the peer dead when `count` probes went unanswered, i.e. at idle + interval × count, and sends RST
    // (tcp_send_active_reset, <SEQ=SND.NXT>).
    @Test
    void keepalive_silentDeadPeer_probesAtIdleThenEveryInterval_deadAtIdlePlusIntervalTimesCount() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setKeepAlive(h.now(), true, IDLE, INTERVAL, COUNT);
            assertEquals(IDLE, c.snapshot(h.now()).timersLeftNanos().get(TcpTimer.KEEPALIVE));

            h.advance(IDLE - 1);
            h.expectNothingSent();
            h.advance(1);
            expectProbe(h);
            for (int probe = 2; probe <= COUNT; probe++) {
                h.advance(INTERVAL - 1);
                h.expectNothingSent();
                h.advance(1);
                expectProbe(h);
            }
            h.advance(INTERVAL - 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.advance(1);
            h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.KEEPALIVE_TIMEOUT, c.closeReason());
            assertEquals(COUNT, h.stack.stats().get(Counter.TcpExtTCPKeepAlive));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(1, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    // Over the wire: everything B sends is lost. A detects it at exactly idle + interval × count after it last heard
    // from B, and its RST tells B (which never stopped hearing A).
    @Test
    void keepalive_silentDeadPeer_overTheWire_detectedOnTimeAndPeerReset() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            long lastHeard = net.now();
            client.setKeepAlive(net.now(), true, IDLE, INTERVAL, COUNT);
            net.dropBtoA(p -> true);
            assertTrue(net.runUntil(client::isClosed, seconds(3600)));
            assertEquals(lastHeard + IDLE + INTERVAL * COUNT, net.now(), "idle + interval × count");
            assertEquals(CloseReason.KEEPALIVE_TIMEOUT, client.closeReason());
            List<Segment> sent = rec.sentBy(TwoStacks.A);
            List<Segment> tail = sent.subList(sent.size() - (COUNT + 1), sent.size());
            assertEquals(List.of(".", ".", ".", "R."), tail.stream().map(Segment::flagString).toList());
            assertEquals(List.of(lastHeard + IDLE, lastHeard + IDLE + INTERVAL, lastHeard + IDLE + 2 * INTERVAL,
                    lastHeard + IDLE + 3 * INTERVAL), tail.stream().map(Segment::nanos).toList());
            assertEquals(TcpState.CLOSED, cs[1].state());
            assertEquals(CloseReason.RESET, cs[1].closeReason());
        }
    }

    // RFC 1122 §4.2.3.6: an answered probe proves the peer alive; the next probe comes a full idle time after the
    // answer. An hour and forty minutes of answered probes never kill the connection (TcpExtTCPKeepAlive counts them).
    @Test
    void keepalive_answeringPeer_keepsTheConnectionAliveIndefinitely() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            long start = net.now();
            int clientIss = rec.sentBy(TwoStacks.A).get(0).seq();
            rec.clear();
            client.setKeepAlive(net.now(), true, IDLE, INTERVAL, COUNT);
            net.advance(seconds(1000));
            assertEquals(TcpState.ESTABLISHED, client.state());
            assertEquals(TcpState.ESTABLISHED, cs[1].state());
            assertEquals(100, net.a.stats().get(Counter.TcpExtTCPKeepAlive));
            List<Segment> probes = rec.sentBy(TwoStacks.A);
            assertEquals(100, probes.size(), "only probes");
            assertEquals(LongStream.rangeClosed(1, 100).mapToObj(i -> start + i * IDLE).toList(),
                    probes.stream().map(Segment::nanos).toList());
            assertEquals(100, rec.sentBy(TwoStacks.B).size(), "each probe answered with an ACK");
            assertEquals(List.of(clientIss), probes.stream().map(Segment::seq).distinct().toList(),
                    "SEQ = SND.UNA - 1 = ISS, nothing having been sent");
        }
    }

    // A rebooted peer has no connection: it answers the probe as RFC 9293 §3.10.7.1 says for CLOSED,
    // <SEQ=SEG.ACK><CTL=RST>, which is exactly RCV.NXT, so the connection is reset (§3.10.7.4, second check).
    @Test
    void keepalive_rebootedPeerAnswersProbeWithRst_connectionReset() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setKeepAlive(h.now(), true, IDLE, INTERVAL, COUNT);
            h.advance(IDLE);
            expectProbe(h);
            h.receive(h.segment().flags(TcpFlags.RST).seq(REMOTE_ISS + 1).ack(0));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            assertEquals(1, h.stack.stats().get(Counter.TcpEstabResets));
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    // The same with two stacks: B loses its connection without a word (its RST is lost, as if it had crashed), keeps
    // listening, and answers A's next probe with RST (RFC 9293 §3.10.7.2, an ACK in LISTEN).
    @Test
    void keepalive_rebootedPeer_overTheWire_connectionReset() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(TcpConfig.linux(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            client.setKeepAlive(net.now(), true, IDLE, INTERVAL, COUNT);
            net.dropBtoA(p -> RecordingObserver.tcpHeader(p).hasFlag(TcpFlags.RST));
            cs[1].abort(net.now());
            net.settle();
            net.dropBtoA(p -> false);
            assertEquals(TcpState.ESTABLISHED, client.state(), "A never heard of it");
            assertEquals(0, net.b.connectionCount());

            long probeAt = net.now() + IDLE;
            assertTrue(net.runUntil(client::isClosed, seconds(3600)));
            assertEquals(probeAt, net.now(), "reset by the answer to the first probe");
            assertEquals(CloseReason.RESET, client.closeReason());
            assertEquals(1, net.a.stats().get(Counter.TcpExtTCPKeepAlive));
            Segment answer = CloseScenariosTest.last(rec.sentBy(TwoStacks.B));
            assertEquals("R", answer.flagString());
        }
    }

    // Linux defaults (tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9): a dead peer is
    // found after 7200 + 75 × 9 = 7875 s.
    @Test
    void keepalive_linuxDefaults_7200s_75s_9probes() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setKeepAlive(h.now(), true);
            assertEquals(seconds(7200), c.snapshot(h.now()).timersLeftNanos().get(TcpTimer.KEEPALIVE));
            h.advance(seconds(7200) - 1);
            h.expectNothingSent();
            h.advance(1);
            expectProbe(h);
            for (int probe = 2; probe <= 9; probe++) {
                h.advance(seconds(75) - 1);
                h.expectNothingSent();
                h.advance(1);
                expectProbe(h);
            }
            h.advance(seconds(75) - 1);
            h.expectNothingSent();
            h.advance(1);
            h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK); // linux: tcp_send_active_reset(), RST,ACK with ACK = RCV.NXT
            assertEquals(CloseReason.KEEPALIVE_TIMEOUT, c.closeReason());
            assertEquals(9, h.stack.stats().get(Counter.TcpExtTCPKeepAlive));
        }
    }

    // SO_KEEPALIVE off disarms the timer; keep-alive is off by default (RFC 1122 §4.2.3.6: "MUST default to off").
    @Test
    void keepalive_offByDefault_andTurningItOffDisarmsTheTimer() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.KEEPALIVE));
            c.setKeepAlive(h.now(), true, IDLE, INTERVAL, COUNT);
            c.setKeepAlive(h.now(), false, IDLE, INTERVAL, COUNT);
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.KEEPALIVE));
            h.advance(seconds(86_400));
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertThrows(IllegalArgumentException.class, () -> c.setKeepAlive(h.now(), true, 0, INTERVAL, COUNT));
        }
    }

    // Linux do_tcp_setsockopt: TCP_KEEPIDLE and TCP_KEEPINTVL 1..32767 s (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL),
    // TCP_KEEPCNT 1..127 (MAX_TCP_KEEPCNT), TCP_USER_TIMEOUT an int of ms >= 0; anything else is EINVAL. Issue 18:
    // a keep-alive of 1 ns once made a million timer expiries in 1 ms.
    @Test
    void socketOptions_outsideLinuxBounds_areRefusedWithWhatWasGivenAndWhatIsExpected() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            assertRefused("keepalive idle: 0 s (expected: 1..32767 s)", () -> c.setKeepAlive(h.now(), true, 0, INTERVAL, COUNT));
            assertRefused("keepalive idle: 1 ns (expected: 1..32767 s)", () -> c.setKeepAlive(h.now(), true, 1, INTERVAL, COUNT));
            assertRefused("keepalive idle: 32768 s (expected: 1..32767 s)",
                    () -> c.setKeepAlive(h.now(), true, seconds(32_768), INTERVAL, COUNT));
            assertRefused("keepalive interval: 999999999 ns (expected: 1..32767 s)",
                    () -> c.setKeepAlive(h.now(), true, IDLE, seconds(1) - 1, COUNT));
            assertRefused("keepalive interval: 32768 s (expected: 1..32767 s)",
                    () -> c.setKeepAlive(h.now(), true, IDLE, seconds(32_768), COUNT));
            assertRefused("keepalive probes: 0 (expected: 1..127)", () -> c.setKeepAlive(h.now(), true, IDLE, INTERVAL, 0));
            assertRefused("keepalive probes: 128 (expected: 1..127)", () -> c.setKeepAlive(h.now(), true, IDLE, INTERVAL, 128));
            assertRefused("user timeout: -1 ms (expected: 0 to turn it off, or 1..2147483647 ms)", () -> c.setUserTimeout(-1_000_000L));
            assertRefused("user timeout: 999999 ns (expected: 0 to turn it off, or 1..2147483647 ms)", () -> c.setUserTimeout(999_999L));
            assertRefused("user timeout: 2147483648 ms (expected: 0 to turn it off, or 1..2147483647 ms)",
                    () -> c.setUserTimeout((Integer.MAX_VALUE + 1L) * 1_000_000L));
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.KEEPALIVE), "a refused call changes nothing");

            // The bounds themselves are accepted.
            c.setKeepAlive(h.now(), true, seconds(1), seconds(1), 1);
            c.setKeepAlive(h.now(), true, seconds(32_767), seconds(32_767), 127);
            c.setUserTimeout(1_000_000L);
            c.setUserTimeout(Integer.MAX_VALUE * 1_000_000L);
            c.setUserTimeout(0);
        }
    }

    private static void assertRefused(String message, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }

    // ------------------------------------------------------------------------------------
    // User timeout and retransmission give-up
    // ------------------------------------------------------------------------------------

    private static void send(ConnectionHarness h, TcpConnection c, int bytes) {
        ByteBuf data = Unpooled.buffer(bytes).writeZero(bytes);
        try {
            assertEquals(bytes, c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    /** Retransmissions of the one outstanding segment at RTO 200 ms, 400, 800, 1600 ms (RFC 6298 §5.5). */
    private static final long[] RETRANSMIT_AT = {millis(200), millis(600), millis(1400), millis(3000), millis(6200)};

    // RFC 5482 / RFC 9293 §3.8.3 (TCP_USER_TIMEOUT): data unacknowledged for longer than the user timeout aborts the
    // connection (USER_TIMEOUT), before the retransmission count would; like Linux tcp_write_err, no RST is sent.
    @Test
    void userTimeout_unacknowledgedDataLongerThanTheTimeout_aborts() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setUserTimeout(seconds(5));
            long t0 = h.now();
            send(h, c, 100);
            h.expectSent().assertFlags(TcpFlags.ACK | TcpFlags.PSH).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            for (int i = 0; i < 4; i++) {
                h.advance(t0 + RETRANSMIT_AT[i] - h.now());
                h.expectSent().assertFlags(TcpFlags.ACK | TcpFlags.PSH).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            }
            h.advance(t0 + seconds(5) - 1 - h.now());
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.USER_TIMEOUT, c.closeReason());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(4, h.stack.stats().get(Counter.TcpRetransSegs));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    // RFC 5482 §2 / RFC 9293 §3.8.3: the user timeout bounds how long data stays unacknowledged, not how long a
    // transfer lasts. A steady stream whose every segment is acknowledged within 100 ms keeps data in flight for 10 s
    // without interruption and must not be aborted by a 5 s user timeout (Linux measures from the head's
    // retransmission stamp, reset by forward progress).
    @Test
    void userTimeout_steadyStreamWithPromptAcks_neverAborts() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setUserTimeout(seconds(5));
            send(h, c, 2 * 536);
            h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectSent().assertSeqAck(LOCAL_ISS + 1 + 536, REMOTE_ISS + 1);
            int una = LOCAL_ISS + 1;
            for (int i = 0; i < 100; i++) {
                h.advance(millis(100));
                una += 536;
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una));
                send(h, c, 536);
                h.expectSent().assertSeqAck(una + 536, REMOTE_ISS + 1);
                h.expectNothingSent();
                assertEquals(TcpState.ESTABLISHED, c.state(), "after " + (i + 1) * 100 + " ms");
            }
            assertNull(c.closeReason());
            assertEquals(0, h.stack.stats().get(Counter.TcpRetransSegs));
        }
    }

    // Linux tcp_retries2 / RFC 9293 §3.8.3 (R2): after dataRetries unanswered retransmissions the connection fails
    // with RETRANSMIT_TIMEOUT (ETIMEDOUT) at the next expiry; tcp_write_err sends no RST.
    @Test
    void retransmission_giveUpAfterDataRetries_retransmitTimeout() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().dataRetries(3).build())) {
            TcpConnection c = h.established();
            long t0 = h.now();
            send(h, c, 100);
            h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            for (int i = 0; i < 3; i++) {
                h.advance(t0 + RETRANSMIT_AT[i] - h.now());
                h.expectSent().assertFlags(TcpFlags.ACK | TcpFlags.PSH).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                assertEquals(i + 1, c.snapshot(h.now()).retransmits());
            }
            h.advance(t0 + RETRANSMIT_AT[3] - 1 - h.now());
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RETRANSMIT_TIMEOUT, c.closeReason());
            assertEquals(3, h.stack.stats().get(Counter.TcpRetransSegs));
            assertEquals(3, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }
}
