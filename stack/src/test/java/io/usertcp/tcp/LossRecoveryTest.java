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
import io.usertcp.tcp.cc.CongestionAlgorithm;
import io.usertcp.tcp.send.RecoveryPhase;
import io.usertcp.tcp.cc.CongestionConfig;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sender under congestion control and loss recovery, against a scripted peer: the initial
 * window and slow start (RFC 5681 §3.1, RFC 6928), limited transmit (RFC 3042), fast retransmit
 * and NewReno fast recovery (RFC 5681 §3.2, RFC 6582), SACK loss recovery (RFC 6675), slow start
 * after idle (RFC 5681 §4.1) and the per-connection algorithm. The peer's MSS is 1000 bytes and no
 * timestamps are used, so segment k carries bytes [1000·k, 1000·k + 1000).
 */
class LossRecoveryTest {
    private static final int MSS = 1000;
    private static final int IW = 10 * MSS; // RFC 6928: min(10·SMSS, max(2·SMSS, 14600))

    private static TcpConfig newReno() {
        return TcpConfig.linux().toBuilder().congestion(CongestionConfig.rfc()).build();
    }

    /** The rfc profile, whose SACK loss recovery is RFC 6675's (the linux profile's is RACK-TLP: LossRecoveryRackTest). */
    private static TcpConfig rfc6675() {
        return TcpConfig.rfc().toBuilder().congestion(CongestionConfig.rfc()).build();
    }

    /** ESTABLISHED by an active open whose SYN-ACK offers MSS 1000 and, if asked, SACK. */
    private static TcpConnection open(ConnectionHarness h, boolean sack) {
        TcpConnection c = h.synSent();
        TcpOption[] options = sack ? new TcpOption[] {new TcpOption.Mss(MSS), new TcpOption.SackPermitted()}
                : new TcpOption[] {new TcpOption.Mss(MSS)};
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(options));
        h.expectSent().assertFlags(ACK);
        assertEquals(MSS, c.mss());
        return c;
    }

    private static int seq(int segment) {
        return LOCAL_ISS + 1 + segment * MSS;
    }

    private static void write(ConnectionHarness h, TcpConnection c, int bytes) {
        ByteBuf b = Unpooled.buffer(bytes).writeZero(bytes);
        try {
            assertEquals(bytes, c.send(h.now(), b));
        } finally {
            b.release();
        }
    }

    /** The segment numbers of what the stack sends now, checking each is one full data segment. */
    private static List<Integer> sentSegments(ConnectionHarness h) {
        List<Integer> out = new ArrayList<>();
        for (Sent s : h.drain()) {
            assertEquals(MSS, s.payload().length, s.toString());
            int offset = s.seq() - (LOCAL_ISS + 1);
            assertEquals(0, offset % MSS, s.toString());
            out.add(offset / MSS);
        }
        return out;
    }

    /** A pure ACK from the peer for everything before segment {@code next}, with SACK blocks as segment ranges. */
    private static void ack(ConnectionHarness h, int next, int... sackSegmentRanges) {
        ConnectionHarness.Segment s = h.segment().seq(REMOTE_ISS + 1).ack(seq(next));
        if (sackSegmentRanges.length > 0) {
            List<TcpOption.SackBlock> blocks = new ArrayList<>();
            for (int i = 0; i < sackSegmentRanges.length; i += 2) {
                blocks.add(new TcpOption.SackBlock(seq(sackSegmentRanges[i]), seq(sackSegmentRanges[i + 1])));
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

    @Test
    void initialWindow_isTenSegments_andSlowStartGrowsItByWhatEachAckCovers() {
        try (ConnectionHarness h = new ConnectionHarness(newReno())) {
            TcpConnection c = open(h, false);
            assertEquals(IW, c.snapshot(h.now()).cwndBytes());
            write(h, c, 40 * MSS);
            // RFC 5681 §3.1: no more than cwnd in flight, although the peer's window allows 65 segments.
            assertEquals(range(0, 10), sentSegments(h));
            // An ACK of two segments: slow start adds min(acked, 2·SMSS) (RFC 3465 L = 2): cwnd 12 000,
            // 8 000 in flight, so four more segments go.
            ack(h, 2);
            assertEquals(range(10, 14), sentSegments(h));
            assertEquals(IW + 2 * MSS, c.snapshot(h.now()).cwndBytes());
            assertEquals(Integer.MAX_VALUE, c.snapshot(h.now()).ssthreshBytes(), "no congestion signal yet");
        }
    }

    @Test
    void threeDuplicateAcks_fastRetransmit_thenNewRenoInflationAndDeflation() {
        try (ConnectionHarness h = new ConnectionHarness(newReno())) {
            TcpConnection c = open(h, false);
            write(h, c, 40 * MSS);
            assertEquals(range(0, 10), sentSegments(h));
            // Segment 0 is lost; each later segment makes the peer repeat ACK 0.
            ack(h, 0);
            assertEquals(List.of(10), sentSegments(h), "RFC 3042 limited transmit: one new segment per duplicate");
            ack(h, 0);
            assertEquals(List.of(11), sentSegments(h));
            ack(h, 0);
            assertEquals(List.of(0), sentSegments(h), "RFC 5681 §3.2 step 2: the third duplicate retransmits segment 0");
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPFastRetrans));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPRenoRecovery));
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(6 * MSS, s.ssthreshBytes(), "ssthresh = FlightSize / 2 = 12 000 / 2");
            assertEquals(6 * MSS, s.cwndBytes());
            // RFC 6582 §3.2 step 3: each further duplicate inflates the window by one SMSS. With 12 000
            // in flight, 6 000 + 3 000 + 3·1 000 reaches 12 000; the fourth extra duplicate lets one go.
            for (int i = 0; i < 3; i++) {
                ack(h, 0);
                assertEquals(List.of(), sentSegments(h));
            }
            ack(h, 0);
            assertEquals(List.of(12), sentSegments(h));
            // A full ACK (everything up to the recovery point, segment 12 excluded) ends recovery with
            // cwnd = ssthresh (RFC 6582 §3.2 step 3, option 2): 1 000 in flight, so five segments go.
            ack(h, 12);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(6 * MSS, c.snapshot(h.now()).cwndBytes());
            assertEquals(range(13, 18), sentSegments(h));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
        }
    }

    @Test
    void newReno_partialAck_retransmitsTheNextHoleAtOnce() {
        try (ConnectionHarness h = new ConnectionHarness(newReno())) {
            TcpConnection c = open(h, false);
            write(h, c, 10 * MSS);
            assertEquals(range(0, 10), sentSegments(h));
            // Segments 0 and 4 are lost. Nothing new to send, so no limited transmit.
            for (int i = 0; i < 3; i++) {
                ack(h, 0);
            }
            assertEquals(List.of(0), sentSegments(h));
            // The retransmitted 0 fills the first hole: the peer ACKs up to 4, below the recovery point.
            ack(h, 4);
            // RFC 6582 §3.2 step 4: a partial ACK retransmits the first unacknowledged segment at once.
            assertEquals(List.of(4), sentSegments(h));
            assertEquals(RecoveryPhase.FAST_RECOVERY, c.sender.recoveryPhase());
            ack(h, 10);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPFastRetrans), "one recovery for both losses");
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPTimeouts), "no timeout needed");
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    @Test
    void sack_twoHolesInOneWindow_bothRetransmittedWithinOneRoundTrip() {
        try (ConnectionHarness h = new ConnectionHarness(rfc6675())) {
            TcpConnection c = open(h, true);
            write(h, c, 12 * MSS);
            assertEquals(range(0, 10), sentSegments(h));
            // Segments 0 and 5 are lost. The peer SACKs what arrives (RFC 2018).
            ack(h, 0, 1, 2);
            assertEquals(List.of(10), sentSegments(h), "limited transmit");
            ack(h, 0, 1, 3);
            assertEquals(List.of(11), sentSegments(h), "limited transmit");
            ack(h, 0, 1, 4);
            // RFC 6675 §5: the third duplicate (each SACKs new data) starts recovery; the first hole goes.
            assertEquals(List.of(0), sentSegments(h));
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPSackRecovery));
            ack(h, 0, 1, 5);
            assertEquals(List.of(), sentSegments(h), "pipe 8 000 > cwnd 6 000");
            ack(h, 0, 6, 7, 1, 5);
            ack(h, 0, 6, 8, 1, 5);
            assertEquals(List.of(), sentSegments(h), "segment 5 is not yet lost: only 2 SMSS SACKed above it");
            // Three segments SACKed above segment 5: IsLost (RFC 6675 §4), and cwnd − pipe allows it.
            // Then, with nothing new to send and room left in cwnd − pipe, RFC 6675 NextSeg rule (4) makes
            // one rescue retransmission of the highest unSACKed segment, 11, against a lost tail.
            ack(h, 0, 6, 9, 1, 5);
            assertEquals(List.of(5, 11), sentSegments(h), "the second hole, before any ACK of the first retransmission");
            // Both retransmissions arrive: the peer ACKs everything sent.
            ack(h, 5, 6, 12);
            assertEquals(List.of(), sentSegments(h), "one rescue per recovery");
            ack(h, 12);
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPTimeouts));
            assertEquals(3, h.stack.stats().get(Counter.TcpRetransSegs), "each hole once, plus the rescue");
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    @Test
    void duplicateAck_withAnotherWindowOrData_isNotCounted() {
        try (ConnectionHarness h = new ConnectionHarness(newReno())) {
            TcpConnection c = open(h, false);
            write(h, c, 10 * MSS);
            sentSegments(h);
            // RFC 5681 §2: a duplicate carries no data and the same window.
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(seq(0)).window(60000));
            assertEquals(0, c.sender.duplicateAcks(), "a window update");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(seq(0)).window(60000));
            assertEquals(1, c.sender.duplicateAcks(), "the same window again");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(seq(0)).window(60000).payload("x"));
            assertEquals(1, c.sender.duplicateAcks(), "data");
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(seq(0)).window(60000));
            assertEquals(2, c.sender.duplicateAcks());
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
        }
    }

    @Test
    void timeout_goesBackToOneSegment_andNoFastRetransmitUntilTheRecoveryPointIsAcked() {
        try (ConnectionHarness h = new ConnectionHarness(newReno())) {
            TcpConnection c = open(h, false);
            write(h, c, 10 * MSS);
            assertEquals(range(0, 10), sentSegments(h));
            // The handshake gave an RTT sample of 0, so the RTO is Linux's 200 ms floor (RFC 6298 §2.4).
            h.advance(199_999_999L);
            assertEquals(List.of(), sentSegments(h));
            h.advance(1L);
            assertEquals(List.of(0), sentSegments(h), "RFC 6298 §5.4: only the oldest segment");
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(MSS, s.cwndBytes(), "RFC 5681 §3.1: cwnd = 1 SMSS after a timeout");
            assertEquals(5 * MSS, s.ssthreshBytes(), "ssthresh = FlightSize / 2");
            // Duplicates of old ACKs during RTO recovery do not start fast recovery (RFC 6582 §3.2 step 1).
            for (int i = 0; i < 3; i++) {
                ack(h, 0);
            }
            assertEquals(List.of(), sentSegments(h));
            assertEquals(RecoveryPhase.RTO_RECOVERY, c.sender.recoveryPhase());
            // Segment 0 arrives; the peer had lost 1 and 2 as well. Slow start resends 1 and 2 (go-back-N).
            ack(h, 1);
            assertEquals(List.of(1, 2), sentSegments(h));
            ack(h, 10); // the rest had arrived
            assertEquals(RecoveryPhase.OPEN, c.sender.recoveryPhase());
            assertEquals(0, c.snapshot(h.now()).inFlightBytes());
        }
    }

    @Test
    void slowStartAfterIdle_restartsFromTheInitialWindow_unlessTurnedOff() {
        for (boolean restart : new boolean[] {true, false}) {
            TcpConfig config = newReno().toBuilder()
                    .congestion(CongestionConfig.rfc().withSlowStartAfterIdle(restart)).build();
            try (ConnectionHarness h = new ConnectionHarness(config)) {
                TcpConnection c = open(h, false);
                write(h, c, 30 * MSS);
                int sent = sentSegments(h).size();
                for (int acked = 2; acked <= 30; acked += 2) {
                    ack(h, acked); // every ACK covers two segments; the sender stays cwnd-limited
                    sent += sentSegments(h).size();
                }
                assertEquals(30, sent);
                assertEquals(0, c.snapshot(h.now()).inFlightBytes());
                long grown = c.snapshot(h.now()).cwndBytes();
                // Six ACKs found the sender cwnd-limited (RFC 7661: only those grow it), 2 SMSS each.
                assertEquals(IW + 12 * MSS, grown);
                h.advance(5_000_000_000L); // idle for longer than the RTO
                write(h, c, MSS);
                sentSegments(h);
                // RFC 5681 §4.1: restart window = min(IW, cwnd).
                assertEquals(restart ? IW : grown, c.snapshot(h.now()).cwndBytes(), "restart=" + restart);
            }
        }
    }

    @Test
    void congestionControl_isChosenPerConnection() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = open(h, false);
            assertEquals("cubic", c.snapshot(h.now()).congestionAlgorithm(), "Linux's default");
            c.setCongestionControl(CongestionAlgorithm.NEW_RENO);
            assertEquals("newreno", c.snapshot(h.now()).congestionAlgorithm());
            assertEquals(IW, c.snapshot(h.now()).cwndBytes(), "a fresh controller at the negotiated MSS");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> c.setCongestionControl(null));
            assertTrue(e.getMessage().contains("expected"), e.getMessage());
        }
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.rfc())) {
            assertEquals("newreno", open(h, false).snapshot(h.now()).congestionAlgorithm(), "TcpConfig.rfc()");
        }
    }
}
