package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.cc.CongestionConfig;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The retransmission timer of RFC 6298 on a virtual clock: the initial RTO, SRTT / RTTVAR from the
 * first and later samples, the bounds, exponential backoff, which segment a timeout resends, Karn's
 * algorithm and its timestamp exception (RFC 7323 §4), the go-back-N slow start after a timeout
 * (RFC 5681 §3.1), FIN retransmission and giving up (Linux tcp_retries2).
 *
 * <p>The scripted peer offers no options unless a test says so: SND.MSS is 536, no timestamps.
 */
class RetransmissionTimerTest {
    private static final int MSS = 536;
    /** Linux timers with NewReno, whose slow start after a timeout is computed by hand below. */
    private static final TcpConfig LINUX_NEWRENO = TcpConfig.linux().toBuilder().congestion(CongestionConfig.rfc()).build();

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

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

    /** ESTABLISHED by an active open whose SYN-ACK arrives {@code rttNanos} after the SYN (one RTT sample). */
    private static TcpConnection establishedAfter(ConnectionHarness h, long rttNanos) {
        TcpConnection c = h.synSent();
        h.advance(rttNanos);
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }

    private static long retransmitLeft(ConnectionHarness h, TcpConnection c) {
        Long left = c.snapshot(h.now()).timersLeftNanos().get(TcpTimer.RETRANSMIT);
        return left == null ? -1 : left;
    }

    private static boolean retransmitArmed(ConnectionHarness h, TcpConnection c) {
        return c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT);
    }

    /** Asserts a data segment: exact flags, SEQ = {@code seq}, ACK = RCV.NXT, {@code length} bytes. */
    private static Sent expectData(ConnectionHarness h, int flags, int seq, int length) {
        Sent s = h.expectSent().assertFlags(flags).assertSeqAck(seq, REMOTE_ISS + 1);
        assertEquals(length, s.payload().length, s.line());
        return s;
    }

    private static TcpOption.Timestamps timestamps(Sent s) {
        return s.tcp().options().list().stream().filter(o -> o instanceof TcpOption.Timestamps)
                .map(o -> (TcpOption.Timestamps) o).findFirst().orElseThrow(() -> new AssertionError("no TSopt: " + s));
    }

    private void ack(ConnectionHarness h, int ack) {
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(ack));
    }

    // ------------------------------------------------------------------------------------------
    // RTO computation (RFC 6298 §2)
    // ------------------------------------------------------------------------------------------

    // RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been made ... the sender SHOULD set RTO <- 1
    // second"; the SYN is the first segment timed by it, and its first retransmission comes 1 s after it.
    @Test
    void synSent_beforeAnySample_rtoIsOneSecond() {
        for (TcpConfig config : new TcpConfig[] {TcpConfig.linux(), TcpConfig.rfc()}) {
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = h.synSent();
                assertEquals(seconds(1), c.snapshot(h.now()).rtoNanos());
                assertEquals(0, c.snapshot(h.now()).srttNanos(), "no sample yet");
                assertEquals(seconds(1), retransmitLeft(h, c));
                h.advance(seconds(1) - 1);
                h.expectNothingSent();
                h.advance(1);
                h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            }
        }
    }

    // RFC 6298 §2.2: on the first measurement R, SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max(G, K*RTTVAR), K = 4.
    // R = 100 ms: SRTT 100 ms, RTTVAR 50 ms, RTO 100 + 4·50 = 300 ms (above Linux's 200 ms minimum).
    @Test
    void firstSample_srttIsR_rttvarIsHalfR_rtoIsSrttPlusFourRttvar() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = establishedAfter(h, millis(100));
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(millis(100), s.srttNanos());
            assertEquals(millis(50), s.rttvarNanos());
            assertEquals(millis(300), s.rtoNanos());
            // §5.1: the first data segment starts the timer with that RTO.
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            assertEquals(millis(300), retransmitLeft(h, c));
        }
    }

    // RFC 6298 §2.3: RTTVAR <- 3/4·RTTVAR + 1/4·|SRTT - R'| (with the old SRTT), then SRTT <- 7/8·SRTT + 1/8·R'.
    // From SRTT 100, RTTVAR 50 and R' = 60 ms: RTTVAR = 37.5 + 10 = 47.5 ms, SRTT = 87.5 + 7.5 = 95 ms,
    // RTO = 95 + 4·47.5 = 285 ms (the rfc profile's estimator, with a 200 ms minimum so that the bound does not hide
    // it). Linux tcp_rtt_estimator() moves SRTT and the deviation alike (mdev 50 -> 47.5 ms) but its RTO is SRTT plus
    // the round's largest deviation times four, at least RTO.min: 95 + 200 = 295 ms. §5.2: all data acknowledged turns
    // the timer off.
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"linux", "rfc"})
    void laterSample_updatesRttvarThenSrtt_withAlphaOneEighthBetaOneQuarter(String estimator) {
        TcpConfig config = estimator.equals("linux") ? TcpConfig.linux()
                : TcpConfig.linux().toBuilder().profile(TcpProfile.rfc()).build();
        try (ConnectionHarness h = new ConnectionHarness(config)) {
            TcpConnection c = establishedAfter(h, millis(100));
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(millis(60));
            ack(h, LOCAL_ISS + 101);
            h.expectNothingSent();
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(millis(95), s.srttNanos());
            assertEquals(millis(47) + 500_000, s.rttvarNanos());
            assertEquals(estimator.equals("linux") ? millis(295) : millis(285), s.rtoNanos());
            assertFalse(retransmitArmed(h, c), "RFC 6298 §5.2: nothing outstanding, the timer is off");
        }
    }

    // RFC 6298 §2.4: "Whenever RTO is computed, if it is less than 1 second, then the RTO SHOULD be rounded up to
    // 1 second" (TcpConfig.rfc()): R = 10 ms gives 10 + 4·5 = 30 ms before the bound, 1 s after it. Linux adds its
    // minimum (TCP_RTO_MIN, 200 ms) to SRTT instead of bounding the sum (tcp_rtt_estimator() keeps rttvar_us at least
    // RTO.min; __tcp_set_rto()): 10 + 200 = 210 ms. The kernel here retransmits about 210 ms after a send on a 10 ms
    // path too (a --target kernel probe), not 200.
    @Test
    void shortRtt_linuxAddsTheMinimumToSrtt_rfcRoundsUpToOneSecond() {
        for (TcpConfig config : new TcpConfig[] {TcpConfig.linux(), TcpConfig.rfc()}) {
            long rto = config.profile().linuxRttEstimator() ? millis(10) + config.rtoMinNanos() : config.rtoMinNanos();
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = establishedAfter(h, millis(10));
                assertEquals(millis(10), c.snapshot(h.now()).srttNanos());
                assertEquals(rto, c.snapshot(h.now()).rtoNanos());
                long t0 = h.now();
                send(h, c, 10);
                expectData(h, PSH | ACK, LOCAL_ISS + 1, 10);
                h.advance(rto - 1);
                h.expectNothingSent();
                h.advance(1);
                expectData(h, PSH | ACK, LOCAL_ISS + 1, 10);
                assertEquals(rto, h.now() - t0);
            }
        }
        assertEquals(millis(200), TcpConfig.linux().rtoMinNanos());
        assertEquals(seconds(1), TcpConfig.rfc().rtoMinNanos());
    }

    // RFC 6298 §5.7: "If the timer expires awaiting the ACK of a SYN segment and the TCP implementation is using an
    // RTO less than 3 seconds, the RTO MUST be re-initialized to 3 seconds when data transmission begins" — the
    // handshake gave no sample (Karn), so the backed-off 2 s must not be kept. Linux: TCP_TIMEOUT_FALLBACK (3 s) in
    // tcp_init_transfer.
    @Test
    void synRetransmitted_noSample_dataStartsWithRtoOfThreeSeconds() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.synSent();
            h.advance(seconds(1));
            h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            h.advance(millis(50));
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(0, c.snapshot(h.now()).srttNanos(), "Karn: the SYN-ACK answers a retransmitted SYN");
            assertEquals(seconds(3), c.snapshot(h.now()).rtoNanos());
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            assertEquals(seconds(3), retransmitLeft(h, c));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Timer management (RFC 6298 §5)
    // ------------------------------------------------------------------------------------------

    // RFC 6298 §5.4 and §5.5: on each expiry "retransmit the earliest segment that has not been acknowledged" (one
    // segment, not the window) and "set RTO <- RTO * 2 (back off the timer)"; §2.5: "A maximum value MAY be placed on
    // RTO provided it is at least 60 seconds" — here rtoMax is set low to see the cap: 300, 600, 1200, 2000, 2000 ms.
    @Test
    void timeouts_resendOnlyTheOldestSegment_andDoubleTheRtoUpToRtoMax() {
        TcpConfig config = LINUX_NEWRENO.toBuilder().rtoMaxNanos(seconds(2)).build();
        try (ConnectionHarness h = new ConnectionHarness(config)) {
            TcpConnection c = establishedAfter(h, millis(100)); // RTO 300 ms
            send(h, c, 3 * MSS);
            // Linux's GSO packets (TcpProfile.pushesPerGsoPacket()): on a 100 ms path the pacing rate sizes them at
            // tcp_min_tso_segs, 2 (tcp_tso_autosize()); __tcp_transmit_skb() pushes each, and the third segment is
            // the rest of the write, which tcp_push() marked.
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + 2 * MSS, MSS);
            long[] intervals = {millis(300), millis(600), millis(1200), seconds(2), seconds(2)};
            for (int i = 0; i < intervals.length; i++) {
                assertEquals(intervals[i], retransmitLeft(h, c), "timer before expiry " + (i + 1));
                h.advance(intervals[i] - 1);
                h.expectNothingSent();
                h.advance(1);
                expectData(h, ACK, LOCAL_ISS + 1, MSS); // short of the end of the data: no PSH (RFC 9293 §3.9.1, Linux tcp_fragment)
                h.expectNothingSent(); // cwnd is one segment: the other two wait for the ACK (RFC 5681 §3.1)
                ConnectionSnapshot s = c.snapshot(h.now());
                assertEquals(i + 1, s.retransmits());
                assertEquals(Math.min(2 * intervals[i], seconds(2)), s.rtoNanos());
                assertEquals(3 * MSS, s.inFlightBytes());
            }
            assertEquals(5, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
            assertEquals(5, h.stack.stats().get(Counter.TcpRetransSegs));
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    // RFC 6298 §5.3: "When an ACK is received that acknowledges new data, restart the retransmission timer so that it
    // will expire after RTO seconds (for the current value of RTO)". Two segments at t0, RTO 300 ms; the first is
    // ACKed at t0+100 ms (sample 100 ms: SRTT 100 ms; Linux's RTO stays SRTT + RTO.min = 300 ms, where RFC 6298's
    // would fall to 250), so the second times out at t0+400 ms, not at t0+300 ms.
    @Test
    void ackOfNewData_restartsTheTimerWithTheCurrentRto() {
        try (ConnectionHarness h = new ConnectionHarness(LINUX_NEWRENO)) {
            TcpConnection c = establishedAfter(h, millis(100));
            long t0 = h.now();
            send(h, c, 2 * MSS);
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
            h.advance(millis(100));
            ack(h, LOCAL_ISS + 1 + MSS);
            h.expectNothingSent();
            assertEquals(millis(300), c.snapshot(h.now()).rtoNanos());
            assertEquals(millis(300), retransmitLeft(h, c));
            h.advance(t0 + millis(400) - 1 - h.now());
            h.expectNothingSent();
            h.advance(1);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
        }
    }

    // RFC 6298 §3 (Karn's algorithm): "RTT samples MUST NOT be made using segments that were retransmitted" when
    // there are no timestamps, and the backed-off RTO is kept for the next segment (§5.5, Karn & Partridge) until a
    // valid sample arrives. Here the ACK of a retransmission arrives 50 ms after it: a sample would pull SRTT down.
    @Test
    void karn_withoutTimestamps_ackOfARetransmittedSegmentGivesNoSample_andKeepsTheBackoff() {
        TcpConfig noTimestamps = TcpConfig.linux().toBuilder().timestamps(false).build();
        try (ConnectionHarness h = new ConnectionHarness(noTimestamps)) {
            TcpConnection c = establishedAfter(h, millis(100));
            assertFalse(c.snapshot(h.now()).timestamps());
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(millis(300));
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(millis(50));
            ack(h, LOCAL_ISS + 101);
            h.expectNothingSent();
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(millis(100), s.srttNanos(), "no sample from an ambiguous ACK");
            assertEquals(millis(50), s.rttvarNanos());
            assertEquals(millis(600), s.rtoNanos(), "the backed-off RTO stays until a valid sample");
            assertEquals(0, s.retransmits());
            // The next segment is timed with the backed-off RTO.
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 101, 100);
            assertEquals(millis(600), retransmitLeft(h, c));
        }
    }

    // RFC 6298 §5.7 and Karn: a valid sample (a segment that was never retransmitted) recomputes the RTO from SRTT
    // and RTTVAR, dropping the backoff (Linux tcp_ack_update_rtt: "only reset backoff on valid RTT measurement").
    // After the 600 ms backoff above, R' = 80 ms: SRTT = 87.5 + 10 = 97.5 ms, the deviation 37.5 + 5 = 42.5 ms, and
    // Linux's RTO = SRTT + max(4·deviation, RTO.min) = 97.5 + 200 = 297.5 ms (RFC 6298's would be 267.5).
    @Test
    void backoff_resetByTheNextValidSample() {
        TcpConfig noTimestamps = TcpConfig.linux().toBuilder().timestamps(false).build();
        try (ConnectionHarness h = new ConnectionHarness(noTimestamps)) {
            TcpConnection c = establishedAfter(h, millis(100));
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(millis(300));
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            ack(h, LOCAL_ISS + 101);
            assertEquals(millis(600), c.snapshot(h.now()).rtoNanos());
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 101, 100);
            h.advance(millis(80));
            ack(h, LOCAL_ISS + 201);
            h.expectNothingSent();
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(millis(97) + 500_000, s.srttNanos());
            assertEquals(millis(42) + 500_000, s.rttvarNanos());
            assertEquals(millis(297) + 500_000, s.rtoNanos());
            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 201, 100);
            assertEquals(millis(297) + 500_000, retransmitLeft(h, c));
        }
    }

    /** An active open whose SYN,ACK, with timestamps (TSval 7000), comes {@code rttNanos} after the SYN. */
    private static TcpConnection establishedWithTimestampsAfter(ConnectionHarness h, long rttNanos) {
        TcpConnection c = h.stack.connect(h.now(), ConnectionHarness.CLIENT_PORT, ConnectionHarness.REMOTE.bits(),
                ConnectionHarness.PEER_SERVER_PORT);
        Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
        h.advance(rttNanos);
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(1460),
                new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(7000, timestamps(syn).tsVal())));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        return c;
    }

    // Linux tcp_clean_rtx_queue() and tcp_ack_update_rtt() (TcpProfile.linuxRttEstimator()): an ACK's sample comes
    // from the send time of the oldest segment it acknowledges, kept in microseconds (nanoseconds here), and is
    // preferred to the timestamp echo, which counts whole milliseconds. Handshake 100 ms, then data ACKed 3.5 ms after
    // it left: SRTT = 100 - 100/8 + 3.5/8 = 87.9375 ms, where a sample from the echo would have been 3 or 4 ms.
    @Test
    void linux_dataSampleFromTheAckedSegmentsSendTime_notFromTheEchosMilliseconds() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = establishedWithTimestampsAfter(h, millis(100));
            assertEquals(millis(100), c.snapshot(h.now()).srttNanos());
            send(h, c, 100);
            Sent data = expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(3_500_000);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 101)
                    .options(new TcpOption.Timestamps(7001, timestamps(data).tsVal())));
            assertEquals(millis(87) + 937_500, c.snapshot(h.now()).srttNanos());
        }
    }

    // RFC 7323 §4.1 and §3.2: with timestamps, the echoed TSval tells which transmission an ACK answers, so the ACK of
    // a retransmission that echoes the retransmission's TSval is a valid sample (Linux tcp_ack_update_rtt falls back
    // to the TSecr when Karn rules the sequence sample out). Handshake RTT 100 ms; the retransmission is ACKed 50 ms
    // after it: RTTVAR = 50 + (50 - 50)/4 = 50, SRTT = 100 - 50/8 = 93.75 ms, RTO = 293.75 ms, backoff gone.
    @Test
    void timestamps_ackEchoingTheRetransmissionsTsval_isAValidSample() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = establishedWithTimestampsAfter(h, millis(100));
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(true, s.timestamps());
            assertEquals(millis(100), s.srttNanos());
            assertEquals(millis(300), s.rtoNanos());

            send(h, c, 100);
            expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            h.advance(millis(300));
            Sent retransmission = expectData(h, PSH | ACK, LOCAL_ISS + 1, 100);
            assertEquals(millis(600), c.snapshot(h.now()).rtoNanos());
            h.advance(millis(50));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 101)
                    .options(new TcpOption.Timestamps(7001, timestamps(retransmission).tsVal())));
            h.expectNothingSent();
            s = c.snapshot(h.now());
            assertEquals(millis(93) + 750_000, s.srttNanos());
            assertEquals(millis(50), s.rttvarNanos());
            assertEquals(millis(293) + 750_000, s.rtoNanos());
        }
    }

    // ------------------------------------------------------------------------------------------
    // After a timeout: go-back-N in slow start (RFC 5681 §3.1)
    // ------------------------------------------------------------------------------------------

    // RFC 5681 §3.1: after a retransmission timeout "cwnd MUST be set to no more than the loss window, LW, which
    // equals 1 full-sized segment", ssthresh = max(FlightSize/2, 2·SMSS), and slow start resends the rest. With ten
    // segments out (IW10): ssthresh = 5·SMSS; the ACK of each retransmission grows cwnd by one SMSS (2, 3, 4, 5) and
    // lets cwnd − pipe more segments go, in order: 1 | 2 3 | 4 5 | 6 7 | 8 9 | 10 (the last in congestion avoidance).
    @Test
    void afterTimeout_goBackNInSlowStart_oneThenTwoPerAck() {
        try (ConnectionHarness h = new ConnectionHarness(LINUX_NEWRENO)) {
            TcpConnection c = h.established(); // RTT 0: RTO 200 ms
            send(h, c, 10 * MSS);
            for (int i = 0; i < 10; i++) { // two GSO packets of cwnd/2 (tcp_cwnd_test()), each pushed (__tcp_transmit_skb())
                expectData(h, i == 4 || i == 9 ? PSH | ACK : ACK, LOCAL_ISS + 1 + i * MSS, MSS);
            }
            h.advance(millis(200));
            expectData(h, ACK, LOCAL_ISS + 1, MSS); // short of the end of the data: no PSH
            h.expectNothingSent();
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(MSS, s.cwndBytes());
            assertEquals(5 * MSS, s.ssthreshBytes());

            int[][] resentAfterAckOf = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9}};
            long[] cwndAfter = {2 * MSS, 3 * MSS, 4 * MSS, 5 * MSS, 5 * MSS};
            for (int acked = 0; acked < resentAfterAckOf.length; acked++) {
                ack(h, LOCAL_ISS + 1 + (acked + 1) * MSS);
                for (int segment : resentAfterAckOf[acked]) {
                    expectData(h, segment == 9 ? PSH | ACK : ACK, LOCAL_ISS + 1 + segment * MSS, MSS); // PSH only where the data ends
                }
                h.expectNothingSent();
                assertEquals(cwndAfter[acked], c.snapshot(h.now()).cwndBytes(), "after the ACK of segment " + (acked + 1));
            }
            ack(h, LOCAL_ISS + 1 + 10 * MSS);
            h.expectNothingSent();
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
            assertFalse(retransmitArmed(h, c));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
            assertEquals(10, h.stack.stats().get(Counter.TcpRetransSegs));
        }
    }

    // ------------------------------------------------------------------------------------------
    // FIN retransmission and giving up
    // ------------------------------------------------------------------------------------------

    // RFC 9293 §3.10.4 / RFC 6298: our FIN occupies sequence space and is retransmitted like data — in FIN-WAIT-1 at
    // RTO 200, 400, 800 ms — until the peer ACKs it, which moves us to FIN-WAIT-2.
    @Test
    void finWait1_finRetransmittedWithBackoff_untilAcked() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.finWait1(); // RTO 200 ms; FIN = LOCAL_ISS+1
            for (long interval : new long[] {millis(200), millis(400), millis(800)}) {
                assertEquals(interval, retransmitLeft(h, c));
                h.advance(interval - 1);
                h.expectNothingSent();
                h.advance(1);
                Sent fin = h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                assertEquals(0, fin.payload().length);
                assertEquals(TcpState.FIN_WAIT_1, c.state());
            }
            ack(h, LOCAL_ISS + 2);
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            assertFalse(retransmitArmed(h, c));
            assertEquals(3, h.stack.stats().get(Counter.TcpRetransSegs));
        }
    }

    // The same in LAST-ACK: the FIN answering the peer's FIN is retransmitted, and its ACK closes normally.
    @Test
    void lastAck_finRetransmittedWithBackoff_untilAckedThenClosed() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.lastAck();
            for (long interval : new long[] {millis(200), millis(400)}) {
                h.advance(interval - 1);
                h.expectNothingSent();
                h.advance(1);
                h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            }
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.NORMAL, c.closeReason());
        }
    }

    // RFC 9293 §3.10.4: a CLOSE right after a SEND piggybacks the FIN on the last data segment; RFC 6298 §5.4 resends
    // that oldest segment whole, FIN included, and its ACK (data + FIN) moves FIN-WAIT-1 to FIN-WAIT-2.
    @Test
    void dataWithFin_retransmittedTogether() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            send(h, c, 100);
            c.close(h.now());
            expectData(h, FIN | PSH | ACK, LOCAL_ISS + 1, 100);
            h.expectNothingSent();
            h.advance(millis(200));
            expectData(h, FIN | PSH | ACK, LOCAL_ISS + 1, 100);
            h.expectNothingSent();
            ack(h, LOCAL_ISS + 102);
            assertEquals(TcpState.FIN_WAIT_2, c.state());
        }
    }

    // Linux tcp_retries2 / RFC 9293 §3.8.3 R2 and RFC 1122 §4.2.3.5: the FIN, like data, is given up on after
    // dataRetries retransmissions; the connection fails with RETRANSMIT_TIMEOUT and, as Linux tcp_write_err, sends no
    // RST. Timeline: FIN at 0, resent at 200, 600, 1400 ms, given up at 3000 ms.
    @Test
    void finWait1_finNeverAcked_givesUpAfterDataRetries_noRst() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().dataRetries(3).build())) {
            long t0 = h.now();
            TcpConnection c = h.finWait1();
            for (long at : new long[] {millis(200), millis(600), millis(1400)}) {
                h.advance(t0 + at - h.now());
                h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            }
            h.advance(t0 + millis(3000) - 1 - h.now());
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RETRANSMIT_TIMEOUT, c.closeReason());
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPAbortOnTimeout));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    // Linux tcp_retries2: with several segments outstanding the count is per timeout of the oldest one, not per
    // segment; an ACK of new data starts the count again (RFC 1122 §4.2.3.5 counts retransmissions of one segment).
    @Test
    void giveUp_countRestartsWhenTheOldestSegmentIsAcked() {
        try (ConnectionHarness h = new ConnectionHarness(LINUX_NEWRENO.toBuilder().dataRetries(2).build())) {
            TcpConnection c = h.established();
            send(h, c, 2 * MSS);
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
            h.advance(millis(200));
            expectData(h, ACK, LOCAL_ISS + 1, MSS); // short of the end of the data: no PSH
            h.advance(millis(400));
            expectData(h, ACK, LOCAL_ISS + 1, MSS);
            assertEquals(2, c.snapshot(h.now()).retransmits());
            ack(h, LOCAL_ISS + 1 + MSS);
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS); // slow start: cwnd 2, the rest goes
            assertEquals(0, c.snapshot(h.now()).retransmits());
            assertEquals(millis(800), retransmitLeft(h, c), "Karn: the backed-off RTO is kept");
            h.advance(millis(800));
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
            h.advance(millis(1600));
            expectData(h, PSH | ACK, LOCAL_ISS + 1 + MSS, MSS);
            assertNull(c.closeReason());
            h.advance(seconds(3) + millis(200));
            h.expectNothingSent();
            assertEquals(CloseReason.RETRANSMIT_TIMEOUT, c.closeReason());
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }
}
