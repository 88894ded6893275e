package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.cc.CongestionConfig;
import io.usertcp.tcp.send.RecoveryPhase;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The linux profile's loss recovery for a SACK connection, against a scripted peer on virtual
 * time: RACK's time-based loss detection and reordering window (RFC 8985 §6), the tail loss probe
 * (RFC 8985 §7), Proportional Rate Reduction (RFC 6937), undo of a spurious fast recovery by
 * D-SACKs (RFC 2883) and of a spurious timeout by F-RTO (RFC 5682). The peer's MSS is 1000 bytes,
 * no timestamps, and the handshake takes 100 ms, so SRTT and the minimum RTT start at 100 ms and
 * the RTO at 300 ms (RFC 6298 §2.2: SRTT + 4 · SRTT/2). NewReno keeps the arithmetic simple:
 * ssthresh = FlightSize / 2. Segment k carries bytes [1000·k, 1000·k + 1000).
 */
class LossRecoveryRackTest {
    private static final int MSS = 1000;
    private static final long MS = 1_000_000L;
    private static final long RTT = 100 * MS;

    private static TcpConfig linux() {
        return TcpConfig.linux().toBuilder().congestion(CongestionConfig.rfc()).build();
    }

    /** ESTABLISHED by an active open whose SYN-ACK, 100 ms later, offers MSS 1000 and SACK. */
    private static TcpConnection open(ConnectionHarness h) {
        TcpConnection c = h.synSent();
        h.advance(RTT);
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(new TcpOption.Mss(MSS), new TcpOption.SackPermitted()));
        h.expectSent().assertFlags(ACK);
        assertEquals(RTT, c.snapshot(h.now()).srttNanos());
        return c;
    }

    private static int seq(int segment) {
        return LOCAL_ISS + 1 + segment * MSS;
    }

    private static void write(ConnectionHarness h, TcpConnection c, int segments) {
        ByteBuf b = Unpooled.buffer(segments * MSS).writeZero(segments * MSS);
        try {
            assertEquals(segments * MSS, c.send(h.now(), b));
        } finally {
            b.release();
        }
    }

    /** The segment numbers of what the stack sends now (each one full data segment). */
    private static List<Integer> sent(ConnectionHarness h) {
        List<Integer> out = new ArrayList<>();
        for (Sent s : h.drain()) {
            assertEquals(MSS, s.payload().length, s.toString());
            out.add((s.seq() - (LOCAL_ISS + 1)) / MSS);
        }
        return out;
    }

    /** A pure ACK for everything before segment {@code next}, with SACK blocks given as segment ranges [from, to). */
    private static void ack(ConnectionHarness h, int next, int... sackRanges) {
        ConnectionHarness.Segment s = h.segment().seq(REMOTE_ISS + 1).ack(seq(next));
        if (sackRanges.length > 0) {
            List<TcpOption.SackBlock> blocks = new ArrayList<>();
            for (int i = 0; i < sackRanges.length; i += 2) {
                blocks.add(new TcpOption.SackBlock(seq(sackRanges[i]), seq(sackRanges[i + 1])));
            }
            s.options(new TcpOption.Sack(blocks));
        }
        h.receive(s);
    }

    private static List<Integer> range(int from, int toExclusive) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < toExclusive; i++) {
            out.add(i);
        }
        return out;
    }

    private static long count(ConnectionHarness h, Counter counter) {
        return h.stack.stats().get(counter);
    }

    @Test
    void profiles_chooseRackTlpOnLinux_rfc6675Elsewhere_prrOnLinuxAndFreebsd() {
        assertEquals(TcpProfile.LossDetection.RACK_TLP, TcpProfile.linux().lossDetection());
        assertEquals(TcpProfile.LossDetection.DUP_THRESH, TcpProfile.rfc().lossDetection());
        assertEquals(TcpProfile.LossDetection.DUP_THRESH, TcpProfile.freebsd().lossDetection(), "FreeBSD's default stack has no RACK");
        assertEquals(List.of(true, false, true), List.of(TcpProfile.linux().proportionalRateReduction(),
                TcpProfile.rfc().proportionalRateReduction(), TcpProfile.freebsd().proportionalRateReduction()));
    }

    @Test
    void rfc8985_6_2_reorderingToleratedWithoutSpuriousRecovery() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            assertEquals(range(0, 10), sent(h));
            // Segment 0 is overtaken by segment 1. One SACK: RACK waits RACK.rtt + reo_wnd (min_rtt / 4 = 25 ms)
            // from segment 0's transmission before calling it lost; the peer is in Disorder, not recovery.
            h.advance(RTT);
            ack(h, 0, 1, 2);
            assertEquals(List.of(), sent(h), "no retransmission: RFC 8985 §6.2 step 4, the reordering window");
            assertEquals(TcpInfo.CA_DISORDER, c.tcpInfo(h.now()).caState());
            assertTrue(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.REORDER), "RFC 8985 §6.3");
            h.advance(10 * MS);
            ack(h, 2); // segment 0 arrives, 10 ms late
            h.advance(RTT);
            ack(h, 10);
            assertEquals(List.of(), sent(h));
            assertEquals(0, count(h, Counter.TcpRetransSegs), "nothing was sent twice");
            assertEquals(0, count(h, Counter.TcpExtTCPSackRecovery));
            assertEquals(1, count(h, Counter.TcpExtTCPSACKReorder), "a hole below the highest SACK filled without a retransmission");
            assertEquals(1, c.tcpInfo(h.now()).reordSeen());
            assertEquals(TcpInfo.CA_OPEN, c.tcpInfo(h.now()).caState());
            assertEquals(Integer.MAX_VALUE, c.snapshot(h.now()).ssthreshBytes(), "no reduction");
        }
    }

    @Test
    void rfc8985_6_3_reorderingTimerMarksTheLossOnceTheWindowPasses() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            ack(h, 0, 1, 2); // segment 0 is lost this time
            // The timer: segment 0's RACK.rtt + reo_wnd left (25 ms), rounded up to a millisecond, plus Linux's
            // TCP_TIMEOUT_MIN (2 ms).
            h.advance(26 * MS);
            assertEquals(List.of(), sent(h));
            h.advance(1 * MS);
            assertEquals(List.of(0), sent(h), "tcp_rack_reo_timeout(): lost, and fast recovery starts");
            assertEquals(RecoveryPhase.FAST_RECOVERY, c.sender.recoveryPhase());
            assertEquals(TcpInfo.CA_RECOVERY, c.tcpInfo(h.now()).caState());
            assertEquals(1, c.tcpInfo(h.now()).lost());
            assertEquals(1, count(h, Counter.TcpExtTCPSackRecovery));
        }
    }

    @Test
    void rfc8985_6_2_lostRetransmissionFoundWithoutRto() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 30);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            // Segment 0 is lost. The first SACKs free room in the flight (Disorder: Linux counts SACKed segments out
            // of it), so new data goes; the third SACK (DupThresh, so reo_wnd = 0) marks segment 0 lost at once.
            ack(h, 0, 1, 2);
            ack(h, 0, 1, 3);
            assertEquals(List.of(10, 11), sent(h));
            ack(h, 0, 1, 4);
            assertEquals(List.of(0), sent(h), "the fast retransmit");
            // The rest of the window is SACKed; PRR lets new data out, sent after the retransmission.
            List<Integer> later = new ArrayList<>();
            for (int k = 5; k <= 10; k++) {
                ack(h, 0, 1, k);
                later.addAll(sent(h));
            }
            assertTrue(!later.isEmpty() && later.stream().allMatch(s -> s >= 12), "new data only: " + later);
            // The retransmission of segment 0 is lost as well. A round trip later the first segment sent after
            // it is SACKed: RACK.xmit_ts passes the retransmission's, which is lost (RFC 8985 §6.2 step 5).
            h.advance(RTT);
            int first = later.get(0);
            ack(h, 0, 1, first + 1);
            assertEquals(0, sent(h).get(0), "segment 0 again, first, long before the RTO (then what PRR allows)");
            assertEquals(1, count(h, Counter.TcpExtTCPLostRetransmit));
            assertEquals(0, count(h, Counter.TcpExtTCPTimeouts));
            h.advance(RTT);
            ack(h, later.get(later.size() - 1) + 1);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(1, count(h, Counter.TcpExtTCPSackRecovery), "one recovery");
        }
    }

    @Test
    void rfc8985_7_tailLossRecoveredByProbe() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            assertEquals(range(0, 10), sent(h));
            // Segments 8 and 9, the tail, are lost: no SACK will ever tell. The ACK of the rest arms the probe
            // timer instead of the RTO: PTO = 2 · SRTT + 2 ms (several segments in flight), below the 300 ms RTO.
            h.advance(RTT);
            ack(h, 8);
            assertEquals(List.of(), sent(h));
            assertTrue(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.LOSS_PROBE));
            h.advance(201 * MS);
            assertEquals(List.of(), sent(h));
            h.advance(MS);
            assertEquals(List.of(9), sent(h), "RFC 8985 §7.3: no new data, so the last segment again");
            assertEquals(1, count(h, Counter.TcpExtTCPLossProbes));
            // The probe gets through: its SACK shows segment 8 lost (RACK), which fast recovery resends at once.
            h.advance(RTT);
            ack(h, 8, 9, 10);
            assertEquals(List.of(8), sent(h));
            h.advance(RTT);
            ack(h, 10);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(0, count(h, Counter.TcpExtTCPTimeouts), "the tail was repaired without a timeout");
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    @Test
    void rfc8985_7_probeSendsNewDataWhenThePeersWindowAllows() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            ack(h, 8);
            write(h, c, 1); // cwnd (12 segments after slow start) lets it go at once
            assertEquals(List.of(10), sent(h));
            // Sending reschedules the probe, never later than the RTO counted from the oldest segment's
            // transmission (Linux tcp_rto_delta_us()): 300 ms after segment 8 went, 200 ms from now, before
            // 2·SRTT + 2 ms.
            h.advance(199 * MS);
            assertEquals(List.of(), sent(h));
            h.advance(MS);
            // Nothing new is left to send, so the probe is the last segment, 10.
            assertEquals(List.of(10), sent(h));
            assertEquals(1, count(h, Counter.TcpExtTCPLossProbes));
            // Only one probe per episode (RFC 8985 §7.3): then the RTO, restarted when the probe went.
            long rto = c.snapshot(h.now()).rtoNanos();
            assertEquals(300 * MS, rto, "Linux tcp_rtt_estimator(): two 100 ms samples, SRTT 100 ms plus RTO.min");
            h.advance(rto - MS);
            assertEquals(List.of(), sent(h));
            h.advance(MS);
            assertEquals(List.of(8), sent(h), "RFC 6298 §5.4 after the probe went unanswered");
            assertEquals(1, count(h, Counter.TcpExtTCPTimeouts));
        }
    }

    @Test
    void rfc6937_prrPacesRecovery() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 30);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            // Segment 0 is lost; segments 1..9 are SACKed one ACK at a time. Recovery starts on the third SACK
            // with RecoverFS = 10 (cwnd), ssthresh = 5 (FlightSize / 2). RFC 6937 §3: while pipe > ssthresh,
            // sndcnt = CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out; then the slow-start reduction bound
            // lets pipe climb back to ssthresh by at most what each ACK delivered.
            List<List<Integer>> perAck = new ArrayList<>();
            for (int k = 2; k <= 10; k++) {
                ack(h, 0, 1, k);
                perAck.add(sent(h));
            }
            // pipe is Linux's: segments sent − SACKed − lost + retransmitted. Before recovery (Disorder) the SACKed
            // segments leave room under cwnd = 10 for new data. Recovery: RecoverFS 10, ssthresh 6 (FlightSize 12 / 2).
            assertEquals(List.of(
                    List.of(10),      // Disorder: pipe 9 < cwnd 10
                    List.of(11),      // pipe 9
                    List.of(0),       // recovery: prr_delivered 1, pipe 8 > 6: CEIL(1·6/10) − 0 = 1, the fast retransmit
                    List.of(12),      // 2, pipe 8: CEIL(2·6/10) − 1 = 1
                    List.of(),        // 3, pipe 8: CEIL(3·6/10) − 2 = 0
                    List.of(13),      // 4, pipe 7: CEIL(4·6/10) − 2 = 1
                    List.of(),        // 5, pipe 7: CEIL(5·6/10) − 3 = 0
                    List.of(),        // 6, pipe 6, no longer above ssthresh: SSRB min(6 − 6, max(6 − 3, 1)) = 0
                    List.of(14)),     // 7, pipe 5: min(6 − 5, max(7 − 3, 1)) = 1
                    perAck);
            assertEquals(6 * MSS, c.snapshot(h.now()).ssthreshBytes());
            // pipe = 15 sent − 9 SACKed − 1 lost + 1 retransmitted = 6: the reduction reached ssthresh.
            TcpInfo info = c.tcpInfo(h.now());
            assertEquals(List.of(9, 1, 1), List.of(info.sacked(), info.lost(), info.retrans()));
            assertEquals(15 * MSS, c.snapshot(h.now()).inFlightBytes());
        }
    }

    /**
     * What a sender of {@code config} sends on each SACK when, of the flight after slow start (segments 10 and
     * on), the first is lost and the others are SACKed one ACK at a time.
     */
    private static List<List<Integer>> sackedOneByOne(TcpConfig config) {
        try (ConnectionHarness h = new ConnectionHarness(config)) {
            TcpConnection c = open(h);
            write(h, c, 60);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            for (int k = 2; k <= 10; k += 2) {
                ack(h, k);
            }
            List<Integer> flight = sent(h);
            assertTrue(flight.size() >= 12 && flight.get(0) == 10, "slow start: " + flight);
            h.advance(RTT);
            List<List<Integer>> perAck = new ArrayList<>();
            for (int k = 12; k < 10 + flight.size(); k++) {
                ack(h, 10, 11, k);
                perAck.add(sent(h));
            }
            return perAck;
        }
    }

    @Test
    void rfc6937_freebsdPacesRfc6675RecoveryInBytes_rfcSendsCwndMinusPipe() {
        // freebsd: RFC 6675 decides what is lost (the third SACKed duplicate ACK), PRR (net.inet.tcp.do_prr=1,
        // tcp_do_prr_ack(), in bytes) how much goes per ACK: with ssthresh = RecoverFS / 2 (NewReno), about one
        // segment for every two delivered from the start.
        TcpConfig freebsd = TcpConfig.freebsd().toBuilder().congestion(CongestionConfig.rfc()).sendBufferBytes(64 * MSS).build();
        List<List<Integer>> prr = sackedOneByOne(freebsd);
        // rfc: RFC 6675 §5 (C), cwnd − pipe: after the fast retransmit, nothing until pipe has fallen to
        // cwnd = ssthresh, half a round trip later; then one segment per SACK.
        TcpConfig rfc = TcpConfig.rfc().toBuilder().congestion(CongestionConfig.rfc()).build();
        List<List<Integer>> rfc6675 = sackedOneByOne(rfc);
        assertEquals(List.of(10), prr.get(2), "the third SACK: fast retransmit. PRR: " + prr);
        assertEquals(prr.subList(0, 3), rfc6675.subList(0, 3), "limited transmit, then the fast retransmit");
        // Then RFC 6675 sends nothing until pipe has come down to cwnd = ssthresh, half a round trip; PRR sends
        // in proportion from the first SACK of recovery on, never more than one segment per SACK here.
        assertTrue(firstSendAfter(prr, 3) < firstSendAfter(rfc6675, 3), "PRR " + prr + ", RFC 6675 " + rfc6675);
        assertTrue(prr.stream().allMatch(l -> l.size() <= 1), "PRR sends no bursts: " + prr);
    }

    private static int firstSendAfter(List<List<Integer>> perAck, int from) {
        for (int i = from; i < perAck.size(); i++) {
            if (!perAck.get(i).isEmpty()) {
                return i;
            }
        }
        return perAck.size();
    }

    @Test
    void rfc2883_dsackUndoesSpuriousFastRecovery() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            assertEquals(range(0, 10), sent(h));
            h.advance(RTT);
            // Segment 0 is only late, by more than three segments: fast recovery retransmits it and halves cwnd.
            ack(h, 0, 1, 2);
            ack(h, 0, 1, 3);
            ack(h, 0, 1, 4);
            assertEquals(List.of(0), sent(h));
            assertEquals(5 * MSS, c.snapshot(h.now()).ssthreshBytes());
            // The original arrives: the full ACK ends recovery (nothing to undo yet, the retransmission is unexplained).
            ack(h, 10);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(5 * MSS, c.snapshot(h.now()).cwndBytes());
            // Then the retransmission arrives and the peer reports it as a duplicate (RFC 2883 §4: the first SACK
            // block below the cumulative ACK). Every retransmission was unneeded: Linux tcp_try_undo_dsack().
            ack(h, 10, 0, 1);
            assertEquals(1, count(h, Counter.TcpExtTCPDSACKRecv));
            assertEquals(1, count(h, Counter.TcpExtTCPDSACKUndo));
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(10 * MSS, s.cwndBytes(), "cwnd as before the recovery");
            assertEquals(Integer.MAX_VALUE, s.ssthreshBytes(), "ssthresh as before (still the initial, infinite one)");
        }
    }

    @Test
    void rfc2883_dsackWithTheFullAck_undoesAtTheEndOfRecovery() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 10);
            sent(h);
            h.advance(RTT);
            ack(h, 0, 1, 2);
            ack(h, 0, 1, 3);
            ack(h, 0, 1, 4);
            assertEquals(List.of(0), sent(h));
            // The original and the retransmission both arrived before the peer's next ACK, which carries both.
            ack(h, 10, 0, 1);
            assertEquals(1, count(h, Counter.TcpExtTCPFullUndo), "Linux tcp_try_undo_recovery()");
            assertEquals(10 * MSS, c.snapshot(h.now()).cwndBytes());
            assertEquals(TcpInfo.CA_OPEN, c.tcpInfo(h.now()).caState());
        }
    }

    @Test
    void rfc3522_timestampEchoOfTheOriginal_undoesRecoveryAtTheFullAck() {
        // With timestamps, an ACK whose echo predates the first retransmission was sent for the original
        // (Eifel, RFC 3522; Linux tcp_packet_delayed()): the retransmission was not needed.
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = h.synSent();
            h.advance(RTT);
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(MSS + 12),
                    new TcpOption.SackPermitted(), new TcpOption.Timestamps(7, h.lastSyn().tcp().options().timestamps().orElseThrow().tsVal())));
            h.expectSent().assertFlags(ACK);
            write(h, c, 10);
            List<Sent> flight = h.drain();
            assertEquals(10, flight.size());
            int originalTs = flight.get(0).tcp().options().timestamps().orElseThrow().tsVal();
            h.advance(RTT);
            for (int k = 2; k <= 4; k++) {
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(seq(0)).options(new TcpOption.Timestamps(8, originalTs),
                        new TcpOption.Sack(List.of(new TcpOption.SackBlock(seq(1), seq(k))))));
            }
            Sent retransmission = h.expectSent();
            assertEquals(seq(0), retransmission.seq());
            assertTrue(retransmission.tcp().options().timestamps().orElseThrow().tsVal() != originalTs);
            assertEquals(RecoveryPhase.FAST_RECOVERY, c.sender.recoveryPhase());
            // The original segment 0 was only late: the full ACK echoes its timestamp.
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(seq(10)).options(new TcpOption.Timestamps(9, originalTs)));
            assertEquals(1, count(h, Counter.TcpExtTCPFullUndo));
            assertEquals(10 * MSS, c.snapshot(h.now()).cwndBytes());
            assertEquals(Integer.MAX_VALUE, c.snapshot(h.now()).ssthreshBytes());
        }
    }

    @Test
    void rfc5682_spuriousRtoUndone() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 20);
            assertEquals(range(0, 10), sent(h));
            // A delay spike: no ACK for longer than the probe and the RTO. The probe (PTO 202 ms) resends 9,
            // the RTO (300 ms from the last transmission) resends 0 with cwnd = 1.
            h.advance(202 * MS);
            assertEquals(List.of(10), sent(h), "the loss probe: new data, the peer's window allows it");
            h.advance(300 * MS);
            assertEquals(List.of(0), sent(h));
            assertEquals(RecoveryPhase.RTO_RECOVERY, c.sender.recoveryPhase());
            assertEquals(MSS, c.snapshot(h.now()).cwndBytes());
            // The delayed ACKs of the original flight arrive. The first one covers segment 0 (retransmitted, so
            // ambiguous): F-RTO step 2.b sends new data rather than retransmitting (RFC 5682 §3.1).
            ack(h, 1);
            assertEquals(List.of(11, 12), sent(h), "new data, not segments 1 and 2 again");
            // The next ACKs segment 1, never retransmitted: the timeout was spurious (step 3.b), undone.
            ack(h, 2);
            assertEquals(1, count(h, Counter.TcpExtTCPSpuriousRTOs));
            assertEquals(1, count(h, Counter.TcpExtTCPLossUndo));
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            ConnectionSnapshot s = c.snapshot(h.now());
            assertTrue(s.cwndBytes() >= 10 * MSS, "cwnd restored: " + s.cwndBytes());
            assertEquals(Integer.MAX_VALUE, s.ssthreshBytes());
            assertEquals(1, count(h, Counter.TcpExtTCPTimeouts));
        }
    }

    @Test
    void rfc5682_spuriousRtoUndone_withoutSack() {
        // F-RTO's basic algorithm (RFC 5682 §2): Linux runs it on connections without SACK too (tcp_frto=2).
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = h.synSent();
            h.advance(RTT);
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(MSS)));
            h.expectSent().assertFlags(ACK);
            write(h, c, 20);
            assertEquals(range(0, 10), sent(h));
            h.advance(300 * MS);
            assertEquals(List.of(0), sent(h), "no loss probe without SACK: the RTO");
            ack(h, 1);
            assertEquals(List.of(10, 11), sent(h), "step 2.b: new data");
            ack(h, 2);
            assertEquals(1, count(h, Counter.TcpExtTCPSpuriousRTOs));
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertTrue(c.snapshot(h.now()).cwndBytes() >= 10 * MSS);
            // And the rfc profile keeps RFC 5681's go-back-N: segments 1 and 2 again.
        }
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc().toBuilder().congestion(CongestionConfig.rfc()).build())) {
            TcpConnection c = h.synSent();
            h.advance(RTT);
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(MSS)));
            h.expectSent().assertFlags(ACK);
            write(h, c, 20);
            assertEquals(range(0, 10), sent(h));
            h.advance(c.snapshot(h.now()).rtoNanos());
            assertEquals(List.of(0), sent(h));
            ack(h, 1);
            assertEquals(List.of(1, 2), sent(h), "rfc: RFC 5681 §3.1 go-back-N in slow start");
            assertEquals(0, count(h, Counter.TcpExtTCPSpuriousRTOs));
        }
    }

    @Test
    void rfc5682_realLossAfterTimeout_isNotUndone() {
        try (ConnectionHarness h = new ConnectionHarness(linux())) {
            TcpConnection c = open(h);
            write(h, c, 20);
            assertEquals(range(0, 10), sent(h));
            h.advance(502 * MS);
            assertEquals(List.of(10, 0), sent(h), "the probe, then the RTO");
            // The whole flight was lost: the retransmission of 0 is ACKed, new data goes (step 2.b) and comes back
            // SACKed above a hole: the loss was real (step 3.a), recovery goes on by retransmitting.
            h.advance(RTT);
            ack(h, 1);
            assertEquals(List.of(11, 12), sent(h));
            h.advance(RTT);
            ack(h, 1, 11, 12);
            assertEquals(0, count(h, Counter.TcpExtTCPSpuriousRTOs));
            assertEquals(RecoveryPhase.RTO_RECOVERY, c.sender.recoveryPhase());
            assertTrue(sent(h).contains(1), "the lost segments are resent");
            assertTrue(c.snapshot(h.now()).ssthreshBytes() < Integer.MAX_VALUE);
        }
    }
}
