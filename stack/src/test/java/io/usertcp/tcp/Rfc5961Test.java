package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TransitionRecorder;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 5961 (blind in-window attacks), as RFC 9293 §3.10.7.4 folds it in: only an exact RST resets,
 * other in-window RSTs and every SYN get a challenge ACK, ACKs far outside the send window are
 * dropped with an ACK, and challenge ACKs are rate-limited stack-wide (§7). Also the RFC 793
 * behaviour the configuration can restore, and RSTs in TIME-WAIT (RFC 1337).
 *
 * <p>The harness's connection has RCV.WND = 65535 (no window scaling) and MAX.SND.WND = 65535.
 */
class Rfc5961Test {
    /** The window the linux profile offers from its default 128 KiB buffer: half, in whole 1460-byte segments. */
    private static final int WINDOW = 64240;
    /** The peer's window in the harness's segments: MAX.SND.WND (RFC 5961 §5.2). */
    private static final int PEER_WINDOW = 65535;

    private final TransitionRecorder recorder = new TransitionRecorder();

    private ConnectionHarness harness(TcpConfig tcp) {
        return new ConnectionHarness(tcp, c -> c.withObserver(recorder));
    }

    /**
     * Linux's numbers without its per-connection throttle (tcp_invalid_ratelimit, tested on its own below), so
     * that several segments at one instant each show the answer RFC 5961 gives them.
     */
    private ConnectionHarness harness() {
        return harness(TcpConfig.linux().toBuilder().invalidRateLimitNanos(0).build());
    }

    private static long counter(ConnectionHarness h, Counter c) {
        return h.stack.stats().get(c);
    }

    /** Each synchronized state with a connection: its SND.NXT and RCV.NXT relative to ISS and IRS. */
    static Stream<Arguments> synchronizedStates() {
        return Stream.of(
                state("ESTABLISHED", ConnectionHarness::established, TcpState.ESTABLISHED, 1, 1),
                state("FIN-WAIT-1", ConnectionHarness::finWait1, TcpState.FIN_WAIT_1, 2, 1),
                state("FIN-WAIT-2", ConnectionHarness::finWait2, TcpState.FIN_WAIT_2, 2, 1),
                state("CLOSE-WAIT", ConnectionHarness::closeWait, TcpState.CLOSE_WAIT, 1, 2),
                state("CLOSING", ConnectionHarness::closing, TcpState.CLOSING, 2, 2),
                state("LAST-ACK", ConnectionHarness::lastAck, TcpState.LAST_ACK, 2, 2),
                state("ESTABLISHED (passive)", ConnectionHarness::establishedPassive, TcpState.ESTABLISHED, 1, 1));
    }

    private static Arguments state(String name, Function<ConnectionHarness, TcpConnection> fixture, TcpState state,
                                   int sndNxt, int rcvNxt) {
        return Arguments.of(name, fixture, state, sndNxt, rcvNxt);
    }

    // =====================================================================================
    // RST (RFC 5961 §3)
    // =====================================================================================

    @ParameterizedTest(name = "{0}")
    @MethodSource("synchronizedStates")
    void inWindowRstNotExact_challengeAck_stateUnchanged(String name, Function<ConnectionHarness, TcpConnection> fixture,
                                                         TcpState state, int sndNxt, int rcvNxt) {
        // RFC 5961 §3.2 (RFC 9293 §3.10.7.4, second, 3): "If the RST bit is set and the sequence number does not
        // exactly match the next expected sequence value, yet is within the current receive window, TCP
        // endpoints MUST send an acknowledgment (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = fixture.apply(h);
            recorder.clear();
            int rcvNxtSeq = REMOTE_ISS + rcvNxt;
            for (int offset : new int[] {1, 1000, WINDOW - 1}) {
                h.receive(h.segment().flags(RST).seq(rcvNxtSeq + offset));
                h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + sndNxt, rcvNxtSeq);
                h.expectNothingSent();
            }
            h.receive(h.segment().flags(RST | ACK).seq(rcvNxtSeq + 1).ack(LOCAL_ISS + sndNxt));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + sndNxt, rcvNxtSeq);
            assertEquals(state, c.state(), name);
            recorder.expectNone();
            assertEquals(4, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("synchronizedStates")
    void exactRst_closedWithReset(String name, Function<ConnectionHarness, TcpConnection> fixture,
                                  TcpState state, int sndNxt, int rcvNxt) {
        // RFC 5961 §3.2 (RFC 9293 §3.10.7.4, second, 2): "If the RST bit is set and the sequence number exactly
        // matches the next expected sequence number (RCV.NXT), then TCP endpoints MUST reset the connection".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = fixture.apply(h);
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + rcvNxt));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state(), name);
            assertEquals(CloseReason.RESET, c.closeReason());
            recorder.expectOnly(state, TcpState.CLOSED, "rcv RST");
            assertEquals(0, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("synchronizedStates")
    void rstOutsideWindow_silentlyDropped(String name, Function<ConnectionHarness, TcpConnection> fixture,
                                          TcpState state, int sndNxt, int rcvNxt) {
        // RFC 5961 §3.2 (RFC 9293 §3.10.7.4, second, 1): "If the RST bit is set and the sequence number is
        // outside the current receive window, silently drop the segment."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = fixture.apply(h);
            recorder.clear();
            int rcvNxtSeq = REMOTE_ISS + rcvNxt;
            for (int seq : new int[] {rcvNxtSeq - 1, rcvNxtSeq + WINDOW, rcvNxtSeq + WINDOW + 1_000_000, rcvNxtSeq - 1_000_000}) {
                h.receive(h.segment().flags(RST).seq(seq));
                h.receive(h.segment().flags(RST | ACK).seq(seq).ack(LOCAL_ISS + sndNxt));
            }
            h.expectNothingSent();
            assertEquals(state, c.state(), name);
            recorder.expectNone();
            assertEquals(0, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    // =====================================================================================
    // SYN (RFC 5961 §4)
    // =====================================================================================

    @ParameterizedTest(name = "{0}")
    @MethodSource("synchronizedStates")
    void synAnySequence_challengeAck_stateUnchanged(String name, Function<ConnectionHarness, TcpConnection> fixture,
                                                    TcpState state, int sndNxt, int rcvNxt) {
        // RFC 5961 §4.2 (RFC 9293 §3.10.7.4, fourth, MUST-60): "If the SYN bit is set, irrespective of the
        // sequence number, TCP endpoints MUST send a 'challenge ACK' to the remote peer:
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>". Linux counts each as TCPSYNChallenge, in window or not.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = fixture.apply(h);
            recorder.clear();
            int rcvNxtSeq = REMOTE_ISS + rcvNxt;
            int[] seqs = {rcvNxtSeq, rcvNxtSeq + 100, rcvNxtSeq - 1000, rcvNxtSeq + WINDOW + 5, REMOTE_ISS + 1_000_000_000};
            for (int seq : seqs) {
                h.receive(h.segment().flags(SYN).seq(seq));
                h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + sndNxt, rcvNxtSeq);
                h.expectNothingSent();
            }
            h.receive(h.segment().flags(SYN | ACK).seq(rcvNxtSeq + 7).ack(LOCAL_ISS + sndNxt));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + sndNxt, rcvNxtSeq);
            assertEquals(state, c.state(), name);
            recorder.expectNone();
            assertEquals(seqs.length + 1, counter(h, Counter.TcpExtTCPSYNChallenge));
            assertEquals(seqs.length + 1, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    // =====================================================================================
    // ACK (RFC 5961 §5, RFC 9293 §3.10.7.4 fifth)
    // =====================================================================================

    @Test
    void ackOlderThanSndUnaMinusMaxSndWnd_challengeAck_segmentDropped() {
        // RFC 5961 §5.2: acceptable ACKs satisfy (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT; "All incoming
        // segments whose ACK value doesn't satisfy the above condition MUST be discarded and an ACK sent back."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            int tooOld = LOCAL_ISS + 1 - PEER_WINDOW - 1;
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(tooOld).payload("injected"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(0, c.readableBytes(), "the data of a segment with an unacceptable ACK is dropped");
            assertEquals(1, counter(h, Counter.TcpExtTCPChallengeACK));
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Test
    void ackExactlySndUnaMinusMaxSndWnd_isAcceptable_dataDelivered() {
        // RFC 5961 §5.2, the boundary: SEG.ACK = SND.UNA - MAX.SND.WND is an acceptable (old) ACK; RFC 9293:
        // "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored" and processing goes on.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 - PEER_WINDOW).payload("data"));
            assertEquals(4, c.readableBytes());
            assertEquals(0, counter(h, Counter.TcpExtTCPChallengeACK));
            h.advance(millis(40));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 5);
        }
    }

    @Test
    void ackBeyondSndNxt_ackSent_segmentDropped() {
        // RFC 9293 §3.10.7.4 (fifth, ESTABLISHED): "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
        // then send an ACK, drop the segment, and return" — rate-limited as a challenge ACK (RFC 5961 §5.2, §7).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload("injected"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(0, c.readableBytes());
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(1, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    // =====================================================================================
    // Rate limit (RFC 5961 §7)
    // =====================================================================================

    @Test
    void challengeAcks_rateLimitedPerSecond_budgetRefillsNextSecond() {
        // RFC 5961 §7: "An implementation SHOULD include an ACK throttling mechanism"; Linux
        // tcp_challenge_ack_limit, here 3 a second: 10 in-window RSTs within a second get exactly 3 ACKs,
        // the other 7 are counted as TCPACKSkippedChallenge; the next second has a fresh budget.
        TcpConfig tcp = TcpConfig.linux().toBuilder().challengeAckLimitPerSecond(3).invalidRateLimitNanos(0).build();
        try (ConnectionHarness h = harness(tcp)) {
            TcpConnection c = h.established();
            long secondStart = h.now() - Math.floorMod(h.now(), seconds(1));
            int acks = 0;
            for (int i = 0; i < 10; i++) {
                h.advance(millis(50));
                h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2 + i));
                for (ConnectionHarness.Sent s : h.drain()) {
                    s.assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    acks++;
                }
            }
            assertEquals(secondStart, h.now() - Math.floorMod(h.now(), seconds(1)), "all ten within one second");
            assertEquals(3, acks);
            assertEquals(3, counter(h, Counter.TcpExtTCPChallengeACK));
            assertEquals(7, counter(h, Counter.TcpExtTCPACKSkippedChallenge));
            assertEquals(TcpState.ESTABLISHED, c.state());

            h.advance(secondStart + seconds(1) - h.now());
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 100));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(4, counter(h, Counter.TcpExtTCPChallengeACK));
            assertEquals(7, counter(h, Counter.TcpExtTCPACKSkippedChallenge));
        }
    }

    @Test
    void challengeAckBudget_isSharedByAllConnectionsOfTheStack() {
        // RFC 5961 §7 and Linux's tcp_challenge_ack_limit (unlimited by default since Linux 6.0): the limit is
        // global (per stack), not per connection. The per-connection throttle is off here to show the global one.
        TcpConfig tcp = TcpConfig.linux().toBuilder().challengeAckLimitPerSecond(1).invalidRateLimitNanos(0).build();
        try (ConnectionHarness h = harness(tcp)) {
            TcpConnection client = h.established();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 10));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            TcpListener listener = h.listen(); // the peer's segments now go to our port 80
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            TcpConnection server = listener.accept();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 10));
            h.expectNothingSent();
            assertEquals(1, counter(h, Counter.TcpExtTCPACKSkippedChallenge));
            assertEquals(TcpState.ESTABLISHED, client.state());
            assertEquals(TcpState.ESTABLISHED, server.state());
            server.close(h.now());
        }
    }

    // =====================================================================================
    // Linux's per-connection throttle: tcp_oow_rate_limited(), tcp_invalid_ratelimit = 500 ms
    // =====================================================================================

    @Test
    void linux_unacceptablePureAcks_answeredOncePerInvalidRateLimit_dataAlwaysAnswered() {
        // Linux tcp_validate_incoming(): a segment outside the window gets a duplicate ACK unless
        // tcp_oow_rate_limited() says one went out less than tcp_invalid_ratelimit ago; segments with data and
        // no SYN are never limited ("not likely part of an ACK loop").
        try (ConnectionHarness h = harness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            int beyond = REMOTE_ISS + 1 + WINDOW + 100;
            h.receive(h.segment().seq(beyond).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.receive(h.segment().seq(beyond).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(1, counter(h, Counter.TcpExtTCPACKSkippedSeq));
            h.receive(h.segment().seq(beyond).ack(LOCAL_ISS + 1).payload("data"));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.advance(millis(499));
            h.receive(h.segment().seq(beyond).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(2, counter(h, Counter.TcpExtTCPACKSkippedSeq));
            h.advance(millis(1));
            h.receive(h.segment().seq(beyond).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Test
    void linux_challengeAcks_throttledPerConnection_sharingTheClockWithOutOfWindowAcks() {
        // Linux tcp_send_challenge_ack() first asks __tcp_oow_rate_limited() with the same tp->last_oow_ack_time
        // as the out-of-window ACKs: one answer per 500 ms for the connection, whatever provoked it.
        try (ConnectionHarness h = harness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1000));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.advance(millis(100));
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2000));
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 3000));
            h.receive(h.segment().seq(REMOTE_ISS + 1 + WINDOW + 100).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(2, counter(h, Counter.TcpExtTCPACKSkippedChallenge));
            assertEquals(1, counter(h, Counter.TcpExtTCPACKSkippedSeq));
            assertEquals(1, counter(h, Counter.TcpExtTCPChallengeACK));
            h.advance(millis(400));
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2000));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(2, counter(h, Counter.TcpExtTCPChallengeACK));
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Test
    void linux_blindFloodOfBareSegments_getsAtMostTwoAnswersASecond() {
        // Issue 18: 10,000 spoofed bare ACKs, RSTs and SYNs with random sequence numbers in one second of virtual
        // time used to get one answer each (an amplifier aimed at the real peer). With Linux's throttle the
        // connection answers at most once per 500 ms, and stays ESTABLISHED.
        try (ConnectionHarness h = harness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            SplittableRandom random = new SplittableRandom(18);
            int[] kinds = {ACK, RST, SYN, RST | ACK};
            int answers = 0;
            for (int i = 0; i < 10_000; i++) {
                int seq = REMOTE_ISS + 1 + WINDOW + 1 + random.nextInt(1 << 30);
                if (random.nextInt(4) == 0) {
                    seq = REMOTE_ISS + 2 + random.nextInt(WINDOW - 1); // inside the window: challenge ACKs
                }
                int flags = kinds[random.nextInt(kinds.length)];
                h.receive(h.segment().flags(flags).seq(seq).ack(LOCAL_ISS + 1 - random.nextInt(1 << 20)));
                answers += h.drain().size();
                h.advance(100_000); // 100 µs: the 10,000 arrive within one second
            }
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(2, answers, "answers to 10,000 segments in one second: one at the first, one 500 ms on");
        }
    }

    @Test
    void rfcAndFreebsd_answerEveryUnacceptableSegment() {
        // RFC 9293 §3.10.7.4 first check, to the letter: each unacceptable segment gets <SEQ=SND.NXT><ACK=RCV.NXT>.
        for (TcpConfig tcp : new TcpConfig[] {TcpConfig.rfc(), TcpConfig.freebsd()}) {
            try (ConnectionHarness h = harness(tcp)) {
                h.established();
                for (int i = 0; i < 3; i++) {
                    h.receive(h.segment().seq(REMOTE_ISS + (1 << 30)).ack(LOCAL_ISS + 1));
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                }
                assertEquals(0, counter(h, Counter.TcpExtTCPACKSkippedSeq), tcp.profile().name());
            }
        }
    }

    // =====================================================================================
    // RFC 793 behaviour on request
    // =====================================================================================

    @Test
    void rstChallengeAckOff_inWindowRstResets() {
        // RFC 793 p. 70 (FreeBSD net.inet.tcp.insecure_rst=1): any RST inside the window resets the connection.
        TcpConfig tcp = linuxWith(TcpConfig.linux().profile().switches().withRstChallengeAck(false));
        try (ConnectionHarness h = harness(tcp)) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1 + WINDOW + 1));
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state(), "still only inside the window");
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1000));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            recorder.expectOnly(TcpState.ESTABLISHED, TcpState.CLOSED, "rcv RST");
            assertEquals(0, counter(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    @Test
    void synChallengeAckOff_inWindowSynResets_withRstAnsweringTheSyn() {
        // RFC 793 p. 71 (fourth, synchronized states): "If the SYN is in the window it is an error, send a reset
        // ... enter the CLOSED state". The reset answers the SYN as RFC 793 §3.4 forms replies (old Linux
        // tcp_v4_send_reset, 4.4BSD dropwithreset): no ACK bit in the SYN, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
        TcpConfig tcp = linuxWith(TcpConfig.linux().profile().switches().withSynChallengeAck(false));
        try (ConnectionHarness h = harness(tcp)) {
            TcpConnection c = h.established();
            recorder.clear();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 500));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 501);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            recorder.expectOnly(TcpState.ESTABLISHED, TcpState.CLOSED, "rcv SYN in window");
            assertEquals(1, counter(h, Counter.TcpEstabResets));
            assertEquals(0, counter(h, Counter.TcpExtTCPSYNChallenge));
        }
    }

    @Test
    void synChallengeAckOff_synOutsideWindow_onlyAcked() {
        // RFC 793 p. 69 (first check): an unacceptable segment gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
        TcpConfig tcp = linuxWith(TcpConfig.linux().profile().switches().withSynChallengeAck(false));
        try (ConnectionHarness h = harness(tcp)) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS - 100));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    // =====================================================================================
    // TIME-WAIT (RFC 9293 §3.10.7.4 second check; RFC 1337)
    // =====================================================================================

    @Test
    void timeWait_exactRst_removesEntry() {
        // RFC 9293 §3.10.7.4 (second, TIME-WAIT): "If the RST bit is set, then enter the CLOSED state, delete
        // the TCB" — Linux does so with tcp_rfc1337 = 0 (the default).
        try (ConnectionHarness h = harness()) {
            h.timeWait();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.expectNothingSent();
            assertEquals(0, h.stack.timeWaitCount());
            recorder.expectOnly(TcpState.TIME_WAIT, TcpState.CLOSED, "rcv RST");
        }
    }

    @Test
    void timeWait_inWindowInexactRst_challengeAck_entryKept() {
        // RFC 5961 §3.2 in TIME-WAIT (the rfc profile): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, counted and rate-limited.
        try (ConnectionHarness h = harness(TcpConfig.rfc())) {
            h.timeWait();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 3));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1)); // before RCV.NXT: outside the window
            h.expectNothingSent();
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(1, counter(h, Counter.TcpExtTCPChallengeACK));
            recorder.expectNone();
        }
    }

    @Test
    void timeWait_inWindowInexactRst_linuxDropsItWithoutAnswer() {
        // Linux tcp_timewait_state_process() acts only on a RST at RCV.NXT; any other is dropped, no challenge ACK
        // (the kernel here does the same: own script time-wait-rst-only-at-rcv-nxt-closes.pkt).
        try (ConnectionHarness h = harness()) {
            h.timeWait();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 3));
            h.expectNothingSent();
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(0, counter(h, Counter.TcpExtTCPChallengeACK));
            recorder.expectNone();
        }
    }

    @Test
    void timeWait_rfc1337_rstIgnored_entryLivesFull2Msl() {
        // RFC 1337 §3 (TIME-WAIT assassination, fix "ignore RST segments in TIME-WAIT state"; Linux
        // tcp_rfc1337 = 1): the exact RST is dropped and nothing is sent. In the linux profile it restarts 2·MSL
        // (tcp_timewait_state_process() reschedules the entry for a RST at RCV.NXT); the inexact one does not.
        TcpConfig tcp = linuxWith(TcpConfig.linux().profile().switches().withRfc1337(true));
        try (ConnectionHarness h = harness(tcp)) {
            h.timeWait();
            recorder.clear();
            h.advance(seconds(10));
            long restarted = h.now();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.advance(seconds(1));
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 3));
            h.expectNothingSent();
            assertEquals(1, h.stack.timeWaitCount());
            recorder.expectNone();
            h.advance(restarted + seconds(60) - 1 - h.now());
            assertEquals(1, h.stack.timeWaitCount());
            h.advance(1);
            assertEquals(0, h.stack.timeWaitCount());
            recorder.expectOnly(TcpState.TIME_WAIT, TcpState.CLOSED, "2MSL timeout");
        }
    }

    /** Linux's numbers and profile with other switches (the sysctls tcp_rfc1337, FreeBSD insecure_rst/insecure_syn). */
    private static TcpConfig linuxWith(TcpProfile.Switches switches) {
        return TcpConfig.linux().toBuilder().profile(TcpProfile.linux().withSwitches(switches)).build();
    }
}
