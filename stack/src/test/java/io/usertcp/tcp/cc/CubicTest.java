package io.usertcp.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.cc.AckClockSimulationTest.AckClock;
import org.junit.jupiter.api.Test;

/**
 * CUBIC (RFC 9438) on virtual time. SMSS is 1000 bytes so that segments and bytes read easily;
 * most tests first lose at W_max = 1000 segments (cwnd = flight = 1,000,000 bytes).
 */
class CubicTest {
    private static final int SMSS = 1000;
    private static final long T0 = 1_000_000_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final double C = 0.4;

    private static Cubic cubic(CongestionConfig config) {
        return (Cubic) config.withAlgorithm(CongestionAlgorithm.CUBIC).newController(SMSS);
    }

    /** Slow start (ACKs of two segments, window full) until cwnd is exactly {@code segments}·SMSS. */
    private static void slowStartTo(CongestionControl cc, long segments) {
        while (cc.cwndBytes() < segments * cc.smssBytes()) {
            cc.onAck(T0, 2L * cc.smssBytes(), cc.cwndBytes(), 0);
        }
        assertEquals(segments * cc.smssBytes(), cc.cwndBytes());
    }

    /** A CUBIC that lost with cwnd = flight = {@code wMaxSegments} and has finished fast recovery at T0. */
    private static Cubic afterLossAt(long wMaxSegments, CongestionConfig config) {
        Cubic cc = cubic(config);
        slowStartTo(cc, wMaxSegments);
        cc.onLossDetected(T0, cc.cwndBytes());
        cc.onRecoveryEnd(T0);
        return cc;
    }

    /** The clock's ACKs start at T0; the epoch begins with the first of them (RFC 9438 §4.2 t_epoch). */
    private static AckClock clockFrom(Cubic cc, long rttNanos) {
        AckClock clock = new AckClock(cc, rttNanos);
        clock.nowNanos = T0;
        return clock;
    }

    private static double wCubic(double tSeconds, double kSeconds, double wMaxSegments) {
        return C * Math.pow(tSeconds - kSeconds, 3) + wMaxSegments;
    }

    private static double segments(CongestionControl cc) {
        return (double) cc.cwndBytes() / cc.smssBytes();
    }

    @Test
    void start_initialWindowAndSlowStartAsNewReno() {
        // RFC 9438 §4.10: CUBIC MAY use RFC 5681 slow start; RFC 6928 IW10
        Cubic cc = cubic(CongestionConfig.linux());
        assertEquals("cubic", cc.name());
        assertEquals(10_000, cc.cwndBytes());
        AckClock clock = new AckClock(cc, 100 * MS);
        clock.roundTrip();
        assertEquals(20_000, cc.cwndBytes());
        clock.roundTrip();
        assertEquals(40_000, cc.cwndBytes());
    }

    @Test
    void loss_cwndAndSsthreshSevenTenthsOfFlight_wMaxIsCwndBeforeTheCut() {
        // RFC 9438 §4.6 Figure 5: ssthresh = flight_size·β_cubic, cwnd = ssthresh; §4.7: W_max = cwnd
        Cubic cc = cubic(CongestionConfig.linux());
        slowStartTo(cc, 1000);
        cc.onLossDetected(T0, 1_000_000);
        assertTrue(cc.inRecovery());
        assertEquals(700_000, cc.ssthreshBytes());
        assertEquals(700_000, cc.cwndBytes());
        assertEquals(1000.0, cc.wMaxSegments());
        cc.onRecoveryEnd(T0 + 100 * MS);
        assertEquals(700_000, cc.cwndBytes());
        assertFalse(cc.inSlowStart());
    }

    @Test
    void loss_flightBelowCwnd_ssthreshFromFlight_wMaxFromCwnd() {
        // RFC 9438 §4.6: ssthresh uses flight_size; §4.7: W_max remembers cwnd before the reduction
        Cubic cc = cubic(CongestionConfig.linux());
        slowStartTo(cc, 1000);
        cc.onLossDetected(T0, 500_005);
        assertEquals(350_003, cc.ssthreshBytes());
        assertEquals(350_003, cc.cwndBytes());
        assertEquals(1000.0, cc.wMaxSegments());
    }

    @Test
    void loss_tinyFlight_ssthreshAtLeastTwoSegments() {
        // RFC 9438 §4.6 Figure 5: cwnd = max(ssthresh, 2), ssthresh = max(ssthresh, 2)
        Cubic cc = cubic(CongestionConfig.linux());
        cc.onLossDetected(T0, 1_000);
        assertEquals(2_000, cc.ssthreshBytes());
        assertEquals(2_000, cc.cwndBytes());
    }

    @Test
    void congestionAvoidance_largeRttTimesWindow_followsCubicCurve() {
        // RFC 9438 §4.2: W_cubic(t) = C·(t − K)³ + W_max, K = cbrt((W_max − cwnd_epoch)/C);
        // §4.4/§4.5: cwnd moves toward W_cubic(t + RTT) each ACK. RTT 100 ms, W_max 1000: the cubic
        // curve is above the Reno-friendly estimate all along.
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        long rtt = 100 * MS;
        AckClock clock = clockFrom(cc, rtt);
        long epochStart = T0 + rtt / 700; // the first ACK of the first round trip
        double k = Math.cbrt((1000 - 700) / C); // 9.0856 s
        double previousSegments = segments(cc);
        double previousGrowth = Double.MAX_VALUE;
        for (int s = 1; s <= 14; s++) {
            clock.runForNanos(epochStart + s * SECOND - clock.nowNanos);
            double t = (clock.nowNanos - epochStart) / 1e9;
            double expected = wCubic(t, k, 1000);
            assertEquals(expected, segments(cc), 0.5, "cwnd at t = " + t + " s");
            double growth = segments(cc) - previousSegments;
            if (t < k - 1) {
                assertTrue(growth < previousGrowth, "concave region: growth slows as cwnd nears W_max, t = " + t);
            } else if (t > k + 1) {
                assertTrue(growth > previousGrowth, "convex region: growth speeds up past W_max, t = " + t);
            }
            previousGrowth = growth;
            previousSegments = segments(cc);
        }
        assertEquals(k, cc.kSeconds(), 1e-9);
    }

    @Test
    void congestionAvoidance_atTimeK_cwndWithinOneSegmentOfWmax() {
        // RFC 9438 §4.2: K is the time the window takes to climb back to W_max
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        long rtt = 100 * MS;
        AckClock clock = clockFrom(cc, rtt);
        long epochStart = T0 + rtt / 700;
        long kNanos = Math.round(Math.cbrt((1000 - 700) / C) * 1e9);
        clock.runForNanos(epochStart + kNanos - clock.nowNanos);
        assertTrue(clock.nowNanos - epochStart - kNanos < rtt);
        assertEquals(1_000_000, cc.cwndBytes(), SMSS);
    }

    @Test
    void congestionAvoidance_cubicFarAhead_growthCappedAtHalfSegmentPerSegmentAcked() {
        // RFC 9438 §4.2: target ≤ 1.5·cwnd, so one ACK of one segment adds at most (0.5·cwnd)/cwnd = 0.5 segment
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        cc.onAck(T0, SMSS, 700_000, 100 * MS); // starts the epoch
        long before = cc.cwndBytes();
        cc.onAck(T0 + 1000 * SECOND, SMSS, before, 100 * MS);
        assertEquals(before + SMSS / 2, cc.cwndBytes());
    }

    @Test
    void renoFriendly_smallRttTimesWindow_cwndFollowsAimdEstimate() {
        // RFC 9438 §4.3: W_est += α_cubic·segments_acked/cwnd, α_cubic = 3(1−β)/(1+β) ≈ 0.53 per RTT,
        // then 1 per RTT once W_est ≥ cwnd_prior; cwnd = W_est while W_cubic(t) < W_est.
        // RTT 1 ms: 1000 round trips a second, far faster than the cubic curve (K = 9 s).
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        AckClock clock = clockFrom(cc, MS);
        double alpha = 3 * (1 - 0.7) / (1 + 0.7);
        clock.roundTrips(50);
        double t = (clock.nowNanos - T0) / 1e9;
        assertEquals(700 + 50 * alpha, segments(cc), 1.0, "about α_cubic segments per RTT");
        assertTrue(segments(cc) > wCubic(t, cc.kSeconds(), 1000) + 10, "Reno-friendly region, not the cubic curve");
        clock.roundTrips(950); // t = 1 s: W_est passed cwnd_prior = 1000 after about 567 RTTs
        double atOneSecond = segments(cc);
        clock.roundTrips(1000);
        assertEquals(1000, segments(cc) - atOneSecond, 5.0, "one segment per RTT, as Reno");
    }

    @Test
    void fastConvergence_lossBeforeRegainingWmax_lowersWmaxToMidpoint() {
        // RFC 9438 §4.7: if cwnd < W_max at a loss, W_max = cwnd·(1 + β_cubic)/2
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        AckClock clock = clockFrom(cc, 100 * MS);
        clock.runForNanos(3 * SECOND);
        long w2 = cc.cwndBytes();
        assertTrue(w2 > 900_000 && w2 < 1_000_000, "still below W_max: " + w2);
        cc.onLossDetected(clock.nowNanos, w2);
        assertEquals(w2 / 1000.0 * 0.85, cc.wMaxSegments(), 1e-9);
        assertEquals(w2 * 7 / 10, cc.cwndBytes());
        cc.onRecoveryEnd(clock.nowNanos);
        // the new plateau is the lowered W_max: K' = cbrt((0.85 − 0.7)·W2/C)
        double wMax = w2 / 1000.0 * 0.85;
        double k = Math.cbrt((wMax - cc.cwndBytes() / 1000.0) / C);
        long epochStart = clock.nowNanos + clock.rttNanos / (cc.cwndBytes() / SMSS);
        clock.runForNanos(epochStart + Math.round(k * 1e9) - clock.nowNanos);
        assertEquals(wMax, segments(cc), 1.0);
    }

    @Test
    void fastConvergenceOff_lossBeforeRegainingWmax_wMaxIsCwnd() {
        // RFC 9438 §4.7: without fast convergence W_max is simply cwnd before the reduction
        Cubic cc = afterLossAt(1000, CongestionConfig.linux().withCubicFastConvergence(false));
        AckClock clock = clockFrom(cc, 100 * MS);
        clock.runForNanos(3 * SECOND);
        long w2 = cc.cwndBytes();
        cc.onLossDetected(clock.nowNanos, w2);
        assertEquals(w2 / 1000.0, cc.wMaxSegments(), 1e-9);
    }

    @Test
    void lossAboveWmax_wMaxIsCwndEvenWithFastConvergence() {
        // RFC 9438 §4.7: fast convergence applies only when cwnd < W_max
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        AckClock clock = clockFrom(cc, 100 * MS);
        clock.runForNanos(13 * SECOND); // past K, convex region
        long w2 = cc.cwndBytes();
        assertTrue(w2 > 1_000_000);
        cc.onLossDetected(clock.nowNanos, w2);
        assertEquals(w2 / 1000.0, cc.wMaxSegments(), 1e-9);
    }

    @Test
    void retransmitTimeout_oneSegment_ssthreshSevenTenths_nextEpochStartsWithKZero() {
        // RFC 9438 §4.8: cwnd as Reno (1 SMSS), ssthresh with β_cubic; in the next congestion
        // avoidance K = 0 and W_max = cwnd at its start
        Cubic cc = cubic(CongestionConfig.linux());
        slowStartTo(cc, 1000);
        cc.onRetransmitTimeout(T0, 1_000_000);
        assertEquals(SMSS, cc.cwndBytes());
        assertEquals(700_000, cc.ssthreshBytes());
        cc.onRetransmitTimeout(T0 + SECOND, SMSS);
        assertEquals(700_000, cc.ssthreshBytes(), "RFC 5681 §3.1: a repeated timeout keeps ssthresh");
        slowStartTo(cc, 700);
        assertFalse(cc.inSlowStart());
        cc.onAck(T0 + 2 * SECOND, SMSS, cc.cwndBytes(), 100 * MS);
        assertEquals(0.0, cc.kSeconds());
        assertEquals(700.0, cc.wMaxSegments());
        // Reno-friendly growth (α ≈ 0.53/RTT, cwnd_prior = 1000) beats C·t³ in the first seconds
        AckClock clock = new AckClock(cc, 100 * MS);
        clock.nowNanos = T0 + 2 * SECOND;
        clock.roundTrips(10);
        assertEquals(700 + 10 * 0.529, segments(cc), 1.0);
    }

    @Test
    void idleShorterThanRto_epochShiftedByIdle_curveResumesWhereItPaused() {
        // RFC 9438 §4.2: t MUST NOT include application-limited periods (§5.8); Linux CA_EVENT_TX_START
        Cubic steady = afterLossAt(1000, CongestionConfig.linux());
        Cubic paused = afterLossAt(1000, CongestionConfig.linux());
        Cubic unreported = afterLossAt(1000, CongestionConfig.linux());
        AckClock a = clockFrom(steady, 100 * MS);
        AckClock b = clockFrom(paused, 100 * MS);
        AckClock c = clockFrom(unreported, 100 * MS);
        a.roundTrips(20);
        b.roundTrips(20);
        c.roundTrips(20);
        long idle = 5 * SECOND;
        b.nowNanos += idle;
        c.nowNanos += idle;
        paused.onIdle(b.nowNanos, idle, 10 * SECOND); // idle < RTO: no restart, only the epoch moves
        a.roundTrips(20);
        b.roundTrips(20);
        c.roundTrips(20);
        assertEquals(steady.cwndBytes(), paused.cwndBytes());
        assertTrue(unreported.cwndBytes() > steady.cwndBytes() + 10 * SMSS,
                "without the shift the idle time would count as growth time");
    }

    @Test
    void idleLongerThanRto_restartsFromInitialWindow_thenNewEpoch() {
        // RFC 5681 §4.1 (RFC 9438 keeps Reno's restart): cwnd = min(IW, cwnd); ssthresh keeps 3/4 cwnd (RFC 2861 §3)
        Cubic cc = afterLossAt(1000, CongestionConfig.linux());
        AckClock clock = clockFrom(cc, 100 * MS);
        clock.roundTrips(10);
        long cwnd = cc.cwndBytes();
        cc.onIdle(clock.nowNanos + 2 * SECOND, 2 * SECOND, SECOND);
        assertEquals(10_000, cc.cwndBytes());
        assertEquals(Math.max(700_000, (cwnd >> 1) + (cwnd >> 2)), cc.ssthreshBytes());
        assertTrue(cc.inSlowStart());
    }

    @Test
    void extremes_gigabyteWindow_zeroSrtt_daysOfIdle_noOverflowOrNaN() {
        Cubic cc = (Cubic) CongestionConfig.linux().newController(65_535);
        while (cc.cwndBytes() < (1L << 30)) {
            cc.onAck(T0, 2L * 65_535, cc.cwndBytes(), 0);
        }
        long gigabyte = cc.cwndBytes();
        cc.onLossDetected(T0, gigabyte);
        assertEquals(gigabyte * 7 / 10, cc.cwndBytes());
        cc.onRecoveryEnd(T0);
        long now = T0;
        cc.onAck(now, 65_535, cc.cwndBytes(), 0); // srtt 0: target is W_cubic(t)
        assertSane(cc);
        long day = 86_400 * SECOND;
        now += 3 * day;
        cc.onIdle(now, 3 * day, 4 * day); // no restart; the epoch moves to now, not past it
        long beforeAck = cc.cwndBytes();
        cc.onAck(now, 65_535, cc.cwndBytes(), 0);
        assertSane(cc);
        assertTrue(cc.cwndBytes() - beforeAck < 65_535, "t = 0 after the shift: a small concave step");
        now += 30 * day; // 30 days without an idle report: W_cubic is astronomically high
        long previous = cc.cwndBytes();
        for (int i = 0; i < 200; i++) {
            cc.onAck(now + i, 1L << 30, Long.MAX_VALUE, 0);
            assertSane(cc);
            assertTrue(cc.cwndBytes() >= previous, "never shrinks in congestion avoidance");
            previous = cc.cwndBytes();
        }
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.cwndBytes());
        cc.onLossDetected(now, Long.MAX_VALUE);
        assertSane(cc);
        cc.onRecoveryEnd(now);
        cc.onAck(Long.MAX_VALUE - 1, 65_535, Long.MAX_VALUE, Long.MAX_VALUE);
        assertSane(cc);
        cc.onIdle(Long.MAX_VALUE, Long.MAX_VALUE, 0);
        assertEquals(131_070, cc.cwndBytes(), "restart window: IW10 for 64 KB segments is 2 segments");
        cc.onRetransmitTimeout(Long.MAX_VALUE, Long.MAX_VALUE);
        assertEquals(65_535, cc.cwndBytes());
        assertSane(cc);
    }

    private static void assertSane(Cubic cc) {
        assertTrue(cc.cwndBytes() >= cc.smssBytes() && cc.cwndBytes() <= CongestionControl.MAX_WINDOW_BYTES,
                "cwnd " + cc.cwndBytes());
        assertTrue(cc.ssthreshBytes() >= 2L * cc.smssBytes() && cc.ssthreshBytes() <= CongestionControl.MAX_WINDOW_BYTES,
                "ssthresh " + cc.ssthreshBytes());
        assertTrue(Double.isFinite(cc.wMaxSegments()) && cc.wMaxSegments() >= 0, "W_max " + cc.wMaxSegments());
        assertTrue(Double.isFinite(cc.kSeconds()) && cc.kSeconds() >= 0, "K " + cc.kSeconds());
    }
}
