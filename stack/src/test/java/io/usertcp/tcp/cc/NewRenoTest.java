package io.usertcp.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.cc.AckClockSimulationTest.AckClock;
import org.junit.jupiter.api.Test;

/** NewReno window arithmetic on virtual time, with exact byte values (SMSS 1460, IW10 = 14600). */
class NewRenoTest {
    private static final int SMSS = 1460;
    private static final long RTT = 100_000_000L;
    private static final long MAX = CongestionControl.MAX_WINDOW_BYTES;
    private static final long T0 = 1_000_000_000_000L;

    private static CongestionControl newReno() {
        return CongestionConfig.rfc().newController(SMSS);
    }

    /** Drives slow start to cwnd = 58400 and then a loss with flight 58400: ssthresh = cwnd = 29200, in CA. */
    private static CongestionControl inCongestionAvoidanceAt29200() {
        CongestionControl cc = newReno();
        AckClock clock = new AckClock(cc, RTT);
        clock.roundTrips(2);
        assertEquals(58_400, cc.cwndBytes());
        cc.onLossDetected(T0, 58_400);
        cc.onRecoveryEnd(T0 + RTT);
        assertEquals(29_200, cc.cwndBytes());
        assertEquals(29_200, cc.ssthreshBytes());
        assertFalse(cc.inSlowStart());
        return cc;
    }

    @Test
    void start_initialWindowTenSegments_ssthreshUnbounded() {
        // RFC 6928 §2: min(10·1460, max(2·1460, 14600)) = 14600; RFC 5681 §3.1: ssthresh arbitrarily high
        CongestionControl cc = newReno();
        assertEquals("newreno", cc.name());
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(MAX, cc.ssthreshBytes());
        assertTrue(cc.inSlowStart());
        assertFalse(cc.inRecovery());
    }

    @Test
    void slowStart_ackPerSegment_doublesCwndEachRtt() {
        // RFC 5681 §3.1: cwnd += min(N, SMSS) per ACK; one ACK per segment doubles cwnd per RTT
        CongestionControl cc = newReno();
        AckClock clock = new AckClock(cc, RTT);
        long[] expected = {29_200, 58_400, 116_800, 233_600};
        for (long e : expected) {
            clock.roundTrip();
            assertEquals(e, cc.cwndBytes());
        }
        assertTrue(cc.inSlowStart());
    }

    @Test
    void slowStart_delayedAckEveryTwoSegments_stillDoublesPerRtt() {
        // RFC 3465 §2.2-2.3: with L = 2·SMSS an ACK of two segments grows cwnd by two
        CongestionControl cc = newReno();
        AckClock clock = new AckClock(cc, RTT);
        clock.segmentsPerAck = 2;
        clock.roundTrip();
        assertEquals(29_200, cc.cwndBytes());
        clock.roundTrip();
        assertEquals(58_400, cc.cwndBytes());
    }

    @Test
    void slowStart_stretchAckOfFiveSegments_growsByTwoSegmentsOnly() {
        // RFC 3465 §2.2: growth per ACK is limited to L = 2·SMSS
        CongestionControl cc = newReno();
        cc.onAck(T0, 5 * SMSS, 14_600, RTT);
        assertEquals(14_600 + 2 * SMSS, cc.cwndBytes());
    }

    @Test
    void slowStart_ackOfPartialSegment_growsByAckedBytes() {
        // RFC 5681 §3.1 eq. 2: cwnd += min(N, SMSS), N the bytes newly acknowledged
        CongestionControl cc = newReno();
        cc.onAck(T0, 500, 14_600, RTT);
        assertEquals(15_100, cc.cwndBytes());
    }

    @Test
    void slowStart_reachesSsthresh_capsThereAndSwitchesToCongestionAvoidance() {
        // Linux tcp_slow_start: slow start never overshoots ssthresh; RFC 5681 §3.1: CA when cwnd >= ssthresh
        CongestionControl cc = newReno();
        cc.onRetransmitTimeout(T0, 20_000); // ssthresh = 10000, cwnd = 1460
        assertEquals(10_000, cc.ssthreshBytes());
        long[] expected = {4_380, 7_300, 10_000};
        long flight = SMSS;
        for (long e : expected) {
            cc.onAck(T0 + RTT, 2 * SMSS, flight, RTT);
            flight = cc.cwndBytes();
            assertEquals(e, cc.cwndBytes());
        }
        assertFalse(cc.inSlowStart());
        // in CA now: 2920 more bytes do not reach cwnd (10000), so no growth
        cc.onAck(T0 + 2 * RTT, 2 * SMSS, 10_000, RTT);
        assertEquals(10_000, cc.cwndBytes());
    }

    @Test
    void congestionAvoidance_rttOfAcks_addsExactlyOneSmss() {
        // RFC 5681 §3.1 / RFC 3465 §2.1: one SMSS per cwnd bytes acknowledged
        CongestionControl cc = inCongestionAvoidanceAt29200();
        AckClock clock = new AckClock(cc, RTT);
        long cwnd = 29_200;
        for (int rtt = 0; rtt < 20; rtt++) {
            clock.roundTrip();
            cwnd += SMSS;
            assertEquals(cwnd, cc.cwndBytes(), "after RTT " + (rtt + 1));
        }
        assertEquals(29_200, cc.ssthreshBytes());
    }

    @Test
    void congestionAvoidance_delayedAcks_stillOneSmssPerRtt() {
        // RFC 3465 §2.1: byte counting makes the growth independent of the ACK frequency
        CongestionControl cc = inCongestionAvoidanceAt29200();
        AckClock clock = new AckClock(cc, RTT);
        clock.segmentsPerAck = 2;
        clock.roundTrip();
        assertEquals(30_660, cc.cwndBytes());
        clock.roundTrip();
        assertEquals(32_120, cc.cwndBytes());
    }

    @Test
    void congestionAvoidance_oneByteShortOfCwnd_noGrowthUntilLastByte() {
        // RFC 3465 §2.1: grow when bytes_acked >= cwnd, then bytes_acked -= cwnd
        CongestionControl cc = inCongestionAvoidanceAt29200();
        cc.onAck(T0, 29_199, 29_200, RTT);
        assertEquals(29_200, cc.cwndBytes());
        cc.onAck(T0, 1, 29_200, RTT);
        assertEquals(30_660, cc.cwndBytes());
        // bytes_acked restarted from 0: 30659 more bytes do not grow cwnd
        cc.onAck(T0, 30_659, 30_660, RTT);
        assertEquals(30_660, cc.cwndBytes());
    }

    @Test
    void lossDetected_flightOf58400_ssthreshAndCwndHalveExactly() {
        // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize / 2, 2·SMSS); RFC 6675 §5 (4.2): cwnd = ssthresh
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onLossDetected(T0, 58_400);
        assertEquals(29_200, cc.ssthreshBytes());
        assertEquals(29_200, cc.cwndBytes());
        assertTrue(cc.inRecovery());
    }

    @Test
    void lossDetected_usesFlightSizeNotCwnd() {
        // RFC 5681 §3.2 step 2 (eq. 4) halves FlightSize, not cwnd; an odd flight rounds down
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2); // cwnd 58400
        cc.onLossDetected(T0, 20_001);
        assertEquals(10_000, cc.ssthreshBytes());
        assertEquals(10_000, cc.cwndBytes());
    }

    @Test
    void lossDetected_tinyFlight_ssthreshAtLeastTwoSegments() {
        // RFC 5681 §3.2 step 2: max(FlightSize / 2, 2·SMSS)
        CongestionControl cc = newReno();
        cc.onLossDetected(T0, SMSS);
        assertEquals(2 * SMSS, cc.ssthreshBytes());
        assertEquals(2 * SMSS, cc.cwndBytes());
    }

    @Test
    void recovery_acksIgnored_secondLossIgnored_fullAckSetsCwndToSsthresh() {
        // RFC 6582 §3.2: one reduction per window; step 3: at the full ACK cwnd = ssthresh (option 2)
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onLossDetected(T0, 58_400);
        cc.onAck(T0 + 1, 10 * SMSS, 58_400, RTT);
        assertEquals(29_200, cc.cwndBytes(), "partial ACKs do not grow cwnd during recovery");
        cc.onLossDetected(T0 + 2, 40_000);
        assertEquals(29_200, cc.ssthreshBytes(), "a second loss in the same recovery does not reduce again");
        cc.onRecoveryEnd(T0 + RTT);
        assertFalse(cc.inRecovery());
        assertEquals(29_200, cc.cwndBytes());
        cc.onAck(T0 + RTT, SMSS, 29_200, RTT);
        assertEquals(29_200, cc.cwndBytes(), "congestion avoidance after recovery: 1460 of 29200 bytes counted");
    }

    @Test
    void recoveryEnd_notInRecovery_changesNothing() {
        // Only a recovery that began with onLossDetected can end; ssthresh is still unbounded here
        CongestionControl cc = newReno();
        cc.onRecoveryEnd(T0);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(MAX, cc.ssthreshBytes());
    }

    @Test
    void retransmitTimeout_cwndOneSegment_ssthreshHalfFlight() {
        // RFC 5681 §3.1: ssthresh = max(FlightSize / 2, 2·SMSS) (eq. 4), cwnd = LW = 1·SMSS
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onRetransmitTimeout(T0, 58_400);
        assertEquals(SMSS, cc.cwndBytes());
        assertEquals(29_200, cc.ssthreshBytes());
        assertTrue(cc.inSlowStart());
    }

    @Test
    void retransmitTimeout_smallFlight_ssthreshTwoSegments() {
        // RFC 5681 §3.1 eq. 4: the 2·SMSS floor
        CongestionControl cc = newReno();
        cc.onRetransmitTimeout(T0, 1_000);
        assertEquals(SMSS, cc.cwndBytes());
        assertEquals(2 * SMSS, cc.ssthreshBytes());
    }

    @Test
    void retransmitTimeout_repeatedWithoutNewAck_keepsSsthresh() {
        // RFC 5681 §3.1 implementation note: when the segment was already retransmitted by the
        // timer, ssthresh is held constant
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onRetransmitTimeout(T0, 58_400);
        cc.onRetransmitTimeout(T0 + 2 * RTT, SMSS);
        cc.onRetransmitTimeout(T0 + 6 * RTT, SMSS);
        assertEquals(29_200, cc.ssthreshBytes());
        assertEquals(SMSS, cc.cwndBytes());
        // new data acknowledged: the next timeout is a new episode and halves the flight again
        cc.onAck(T0 + 7 * RTT, SMSS, SMSS, RTT);
        assertEquals(2 * SMSS, cc.cwndBytes());
        cc.onRetransmitTimeout(T0 + 9 * RTT, 8_000);
        assertEquals(4_000, cc.ssthreshBytes());
        assertEquals(SMSS, cc.cwndBytes());
    }

    @Test
    void retransmitTimeout_duringRecovery_endsRecoveryAndAcksCountAgain() {
        // RFC 5681 §3.1 / RFC 6582 §3.2 step 5 (recover = highest sent): the timeout wins over fast recovery
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onLossDetected(T0, 58_400);
        cc.onRetransmitTimeout(T0 + RTT, 58_400);
        assertFalse(cc.inRecovery());
        assertEquals(SMSS, cc.cwndBytes());
        assertEquals(29_200, cc.ssthreshBytes());
        cc.onAck(T0 + 2 * RTT, SMSS, 58_400, RTT);
        assertEquals(2 * SMSS, cc.cwndBytes());
    }

    @Test
    void retransmitTimeout_thenSlowStart_climbsToSsthreshThenLinear() {
        // RFC 5681 §3.1: slow start from LW to ssthresh, then congestion avoidance
        CongestionControl cc = newReno();
        new AckClock(cc, RTT).roundTrips(2);
        cc.onRetransmitTimeout(T0, 58_400); // ssthresh 29200
        AckClock clock = new AckClock(cc, RTT);
        long[] expected = {2_920, 5_840, 11_680, 23_360, 29_200, 30_660, 32_120};
        for (long e : expected) {
            clock.roundTrip();
            assertEquals(e, cc.cwndBytes());
        }
    }

    @Test
    void idleLongerThanRto_cwndRestartsFromInitialWindow() {
        // RFC 5681 §4.1: after more than an RTO without sending, cwnd = RW = min(IW, cwnd);
        // RFC 2861 §3 / Linux tcp_cwnd_restart: ssthresh = max(ssthresh, 3/4 cwnd)
        CongestionControl cc = inCongestionAvoidanceAt29200();
        new AckClock(cc, RTT).roundTrips(10); // 29200 + 10·1460 = 43800
        assertEquals(43_800, cc.cwndBytes());
        cc.onIdle(T0 + 100 * RTT, 1_000_000_001L, 1_000_000_000L);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(32_850, cc.ssthreshBytes());
        assertTrue(cc.inSlowStart());
    }

    @Test
    void idleOfExactlyRto_keepsCwnd() {
        // RFC 5681 §4.1: only an idle period exceeding the RTO restarts
        CongestionControl cc = inCongestionAvoidanceAt29200();
        cc.onIdle(T0 + 100 * RTT, 1_000_000_000L, 1_000_000_000L);
        assertEquals(29_200, cc.cwndBytes());
        assertEquals(29_200, cc.ssthreshBytes());
    }

    @Test
    void idleLongerThanRto_cwndBelowInitialWindow_keepsCwnd() {
        // RFC 5681 §4.1: RW = min(IW, cwnd) never raises cwnd
        CongestionControl cc = newReno();
        cc.onRetransmitTimeout(T0, 58_400);
        cc.onAck(T0 + RTT, SMSS, SMSS, RTT); // cwnd 2920
        cc.onIdle(T0 + 50 * RTT, 3_000_000_000L, 1_000_000_000L);
        assertEquals(2_920, cc.cwndBytes());
        assertEquals(29_200, cc.ssthreshBytes());
    }

    @Test
    void idleLongerThanRto_slowStartAfterIdleOff_keepsCwnd() {
        // Linux tcp_slow_start_after_idle=0
        CongestionControl cc = CongestionConfig.rfc().withSlowStartAfterIdle(false).newController(SMSS);
        new AckClock(cc, RTT).roundTrips(3);
        cc.onIdle(T0, 60_000_000_000L, 1_000_000_000L);
        assertEquals(116_800, cc.cwndBytes());
    }

    @Test
    void applicationLimited_flightWellBelowCwnd_noGrowth() {
        // RFC 7661 / RFC 9438 §5.8 / Linux tcp_is_cwnd_limited: a window the sender does not fill is not grown
        CongestionControl cc = newReno();
        cc.onAck(T0, SMSS, 5 * SMSS, RTT);
        assertEquals(14_600, cc.cwndBytes(), "slow start, flight 7300 of 14600");
        cc.onAck(T0, SMSS, 14_600 - SMSS, RTT);
        assertEquals(14_600, cc.cwndBytes(), "one full segment still fits");
        cc.onAck(T0, SMSS, 14_600 - SMSS + 1, RTT);
        assertEquals(14_600 + SMSS, cc.cwndBytes(), "less than a segment left: cwnd limited");

        CongestionControl ca = inCongestionAvoidanceAt29200();
        ca.onAck(T0, 29_200, 10_000, RTT);
        assertEquals(29_200, ca.cwndBytes(), "congestion avoidance, flight 10000 of 29200");
    }

    @Test
    void zeroBytesAcked_changesNothing() {
        CongestionControl cc = newReno();
        cc.onAck(T0, 0, 14_600, RTT);
        assertEquals(14_600, cc.cwndBytes());
    }

    @Test
    void extremes_growthSaturatesAtMaxWindow_noOverflow() {
        // cwnd of 1 GB and beyond: 64 KB segments, slow start until the cap; no long overflow anywhere
        CongestionControl cc = CongestionConfig.rfc().newController(65_535);
        long previous = cc.cwndBytes();
        int acks = 0;
        while (cc.cwndBytes() < (1L << 30)) {
            cc.onAck(T0 + acks, 2L * 65_535, cc.cwndBytes(), 0);
            assertTrue(cc.cwndBytes() > previous, "slow start grows on every ACK");
            previous = cc.cwndBytes();
            acks++;
        }
        cc.onAck(T0, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
        cc.onAck(T0, Long.MAX_VALUE, Long.MAX_VALUE, 0);
        for (int i = 0; i < 20_000; i++) {
            cc.onAck(T0 + i, 2L * 65_535, Long.MAX_VALUE, 0);
        }
        assertEquals(MAX, cc.cwndBytes(), "capped, not wrapped");
        cc.onLossDetected(T0, Long.MAX_VALUE);
        assertEquals(MAX / 2, cc.ssthreshBytes(), "an absurd flight counts as MAX_WINDOW_BYTES, then halves");
        cc.onRecoveryEnd(T0);
        for (int i = 0; i < 10; i++) {
            cc.onAck(T0, Long.MAX_VALUE, Long.MAX_VALUE, 0);
        }
        // RFC 3465 §2.1: at most one SMSS per ACK in congestion avoidance, however much it acknowledges
        assertEquals(MAX / 2 + 10 * 65_535L, cc.cwndBytes());
        cc.onRetransmitTimeout(T0, 1L << 30);
        assertEquals(65_535, cc.cwndBytes());
        assertEquals(1L << 29, cc.ssthreshBytes());
        cc.onIdle(T0, Long.MAX_VALUE, Long.MAX_VALUE - 1);
        assertEquals(65_535, cc.cwndBytes());
    }
}
