package io.usertcp.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * CUBIC's HyStart as Linux runs it (tcp_cubic.c hystart_update()), on virtual time: it ends slow
 * start, setting ssthresh to cwnd, when a round's RTT samples show a queue building (delay) or when
 * a train of closely spaced ACKs lasts longer than half the minimum RTT (ACK train). Only with
 * Linux's slow start ({@link CongestionConfig#linuxSlowStart()}) and from 16 segments of cwnd.
 */
class HyStartTest {
    private static final int MSS = 1000;
    private static final long MS = 1_000_000L;

    private static CongestionControl cubic(CongestionConfig base) {
        return base.withAlgorithm(CongestionAlgorithm.CUBIC).newController(MSS);
    }

    /** Slow start from 10 segments to {@code segments}, one ACK of a segment at a time, RTT 200 ms, ACKs 20 ms apart. */
    private static long growTo(CongestionControl cc, int segments, long now) {
        int una = 1;
        while (cc.cwndBytes() < (long) segments * MSS) {
            now += 20 * MS;
            cc.onAckRttSample(now, 200 * MS, una + MSS, una + 100 * MSS, 200 * MS);
            cc.onAck(now, MSS, cc.cwndBytes(), 200 * MS);
            una += MSS;
        }
        return now;
    }

    // hystart_update(), HYSTART_DELAY: once a round has 8 samples, its smallest sample exceeds min_rtt plus
    // min_rtt / 8 clamped to 4..16 ms: 200 + 16 = 216 ms (the corpus's cubic-hystart-delay-rtt-jumps-upward.pkt).
    // Each test's samples start a new round: SND.UNA beyond where the last round was to end.
    @Test
    void delay_aRoundWhoseSamplesAllExceedTheMinimumByAnEighth_endsSlowStartAtCwnd() {
        CongestionControl cc = cubic(CongestionConfig.linux());
        long now = growTo(cc, 20, 0);
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.ssthreshBytes(), "still in slow start");
        int una = 300_000;
        int nxt = 400_000;
        for (int i = 0; i < 8; i++) {
            now += 10 * MS; // far apart: no ACK train
            cc.onAckRttSample(now, 240 * MS, una + i * MSS, nxt, 220 * MS);
            cc.onAck(now, MSS, cc.cwndBytes(), 220 * MS);
            assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.ssthreshBytes(), "sample " + (i + 1) + ": fewer than 9 yet");
        }
        long cwnd = cc.cwndBytes();
        now += 10 * MS;
        cc.onAckRttSample(now, 240 * MS, una + 8 * MSS, nxt, 220 * MS);
        assertEquals(cwnd, cc.ssthreshBytes(), "the ninth sample: 240 ms > 216 ms, ssthresh = cwnd");
        cc.onAck(now, MSS, cc.cwndBytes(), 220 * MS);
        assertTrue(cc.cwndBytes() < cwnd + MSS / 10, "slow start is over: congestion avoidance from here, " + cc.cwndBytes());
    }

    @Test
    void delay_samplesWithinTheThreshold_slowStartGoesOn() {
        CongestionControl cc = cubic(CongestionConfig.linux());
        long now = growTo(cc, 20, 0);
        for (int i = 0; i < 20; i++) {
            now += 10 * MS;
            cc.onAckRttSample(now, 215 * MS, 300_000 + i * MSS, 400_000, 205 * MS); // 215 ms < 216 ms
            cc.onAck(now, MSS, cc.cwndBytes(), 205 * MS);
        }
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.ssthreshBytes());
    }

    // HYSTART_ACK_TRAIN: ACKs 1 ms apart (within hystart_ack_delta_us, 2 ms) for longer than half the minimum RTT.
    @Test
    void ackTrain_closelySpacedAcksForHalfTheMinimumRtt_endSlowStart() {
        CongestionControl cc = cubic(CongestionConfig.linux());
        long now = growTo(cc, 20, 0);
        long exitedAt = -1;
        for (int i = 0; i < 200 && exitedAt < 0; i++) {
            now += MS;
            cc.onAckRttSample(now, 200 * MS, 300_000 + i * MSS, 1_000_000, 200 * MS); // no delay increase, one round
            if (cc.ssthreshBytes() != CongestionControl.MAX_WINDOW_BYTES) {
                exitedAt = i;
            } else {
                cc.onAck(now, MSS, cc.cwndBytes(), 200 * MS);
            }
        }
        // The round started at the first of these ACKs; half of 200 ms (plus up to 1 ms of GSO pacing) later it ends.
        assertTrue(exitedAt >= 100 && exitedAt <= 102, "left slow start after " + exitedAt + " ms of ACK train");
        assertEquals(cc.cwndBytes(), cc.ssthreshBytes());
    }

    @Test
    void belowSixteenSegments_orWithoutLinuxSlowStart_hyStartDoesNothing() {
        CongestionControl small = cubic(CongestionConfig.linux());
        long now = growTo(small, 12, 0);
        for (int i = 0; i < 20; i++) {
            now += 10 * MS;
            small.onAckRttSample(now, 400 * MS, 300_000 + i * MSS, 400_000, 210 * MS);
        }
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, small.ssthreshBytes(), "cwnd below hystart_low_window");

        CongestionControl rfc = cubic(CongestionConfig.rfc());
        now = growTo(rfc, 20, 0);
        for (int i = 0; i < 20; i++) {
            now += 10 * MS;
            rfc.onAckRttSample(now, 400 * MS, 300_000 + i * MSS, 400_000, 210 * MS);
        }
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, rfc.ssthreshBytes(), "the rfc configuration has no HyStart");
    }
}
