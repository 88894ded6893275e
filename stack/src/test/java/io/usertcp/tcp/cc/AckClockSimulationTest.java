package io.usertcp.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both algorithms on a fixed-RTT ACK clock (no real TCP): the sender keeps min(cwnd, receive
 * window) in flight, every segment is acknowledged by its own ACK, the ACKs of one round trip are
 * spread evenly across it, and one loss is detected at the start of round trip 30 and repaired
 * within that round trip. SMSS 1460, RTT 200 ms, receive window 200 segments. Slow start follows
 * RFC 3465 and RFC 7661 (grow only while cwnd-limited), so cwnd stops one segment past the receive
 * window; Linux's slow start ({@link CongestionConfig#linuxSlowStart()}) would take it on to twice
 * the flight, and this test is about the two algorithms' recovery, not that. cwnd in segments at
 * the end of every fifth round trip:
 * <pre>
 * RTT  newreno  cubic        RTT  newreno  cubic
 *   0       10     10         55      125    200
 *   5      201    201         60      130    201
 *  10..25  201    201         65      135    201
 *  30      100    140         70      140    201
 *  35      105    167         80      150    201
 *  40      110    185         90      160    201
 *  45      115    195        100      170    201
 *  50      120    199
 * </pre>
 * The test asserts the shape, not these numbers for CUBIC; failures print the full table.
 */
class AckClockSimulationTest {
    static final int SMSS = 1460;
    static final long RTT_NANOS = 200_000_000L; // 200 ms
    static final long RECEIVE_WINDOW_BYTES = 200L * SMSS;
    static final int ROUNDS = 100;
    static final int LOSS_ROUND = 30;

    /**
     * A fixed-RTT ACK clock driving one controller on virtual time. Package-private so the other
     * tests of this package share it.
     */
    static final class AckClock {
        final CongestionControl cc;
        final long rttNanos;
        long receiveWindowBytes = Long.MAX_VALUE;
        long nowNanos = 1_000_000_000_000L; // far from zero, like the test kit's VirtualClock
        int segmentsPerAck = 1;

        AckClock(CongestionControl cc, long rttNanos) {
            this.cc = cc;
            this.rttNanos = rttNanos;
        }

        /** Bytes the sender keeps in flight: whole segments within cwnd and the receive window. */
        long flightBytes() {
            long smss = cc.smssBytes();
            long segments = Math.max(1, Math.min(cc.cwndBytes(), receiveWindowBytes) / smss);
            return segments * smss;
        }

        /**
         * One round trip: the flight at its start is acknowledged by ACKs of {@link #segmentsPerAck}
         * segments, evenly spread; after each ACK the sender refills, so the next ACK finds a full
         * flight again.
         */
        void roundTrip() {
            long smss = cc.smssBytes();
            long segments = flightBytes() / smss;
            long acks = (segments + segmentsPerAck - 1) / segmentsPerAck;
            long start = nowNanos;
            for (long i = 0; i < acks; i++) {
                long ackedSegments = Math.min(segmentsPerAck, segments - i * segmentsPerAck);
                long flightBefore = flightBytes();
                nowNanos = start + rttNanos * (i + 1) / acks;
                cc.onAck(nowNanos, ackedSegments * smss, flightBefore, rttNanos);
            }
            nowNanos = start + rttNanos;
        }

        void roundTrips(int n) {
            for (int i = 0; i < n; i++) {
                roundTrip();
            }
        }

        /** Round trips until {@code nanos} of virtual time have passed (the last may overshoot). */
        void runForNanos(long nanos) {
            long end = nowNanos + nanos;
            while (nowNanos < end) {
                roundTrip();
            }
        }

        /** A loss detected now, repaired by the end of this round trip: fast recovery, then the full ACK. */
        void lossRoundTrip() {
            cc.onLossDetected(nowNanos, flightBytes());
            roundTrip(); // its ACKs arrive during recovery and are ignored
            cc.onRecoveryEnd(nowNanos);
        }
    }

    private static long[] trace(CongestionAlgorithm algorithm) {
        AckClock clock = new AckClock(CongestionConfig.linux().withAlgorithm(algorithm).withLinuxSlowStart(false)
                .newController(SMSS), RTT_NANOS);
        clock.receiveWindowBytes = RECEIVE_WINDOW_BYTES;
        long[] cwndSegments = new long[ROUNDS + 1];
        cwndSegments[0] = clock.cc.cwndBytes() / SMSS;
        for (int round = 1; round <= ROUNDS; round++) {
            if (round == LOSS_ROUND) {
                clock.lossRoundTrip();
            } else {
                clock.roundTrip();
            }
            cwndSegments[round] = clock.cc.cwndBytes() / SMSS;
        }
        return cwndSegments;
    }

    private static String table(long[] reno, long[] cubic) {
        StringBuilder sb = new StringBuilder("RTT  newreno  cubic\n");
        for (int r = 0; r <= ROUNDS; r += 5) {
            sb.append(String.format("%3d  %7d  %5d%n", r, reno[r], cubic[r]));
        }
        return sb.toString();
    }

    @Test
    void fixedRtt_oneLossAtRtt30_cubicRegainsWmaxFasterThanNewReno() {
        long[] reno = trace(CongestionAlgorithm.NEW_RENO);
        long[] cubic = trace(CongestionAlgorithm.CUBIC);
        String table = table(reno, cubic);

        // Before the loss both run the same RFC 5681 slow start, from IW10 (RFC 6928) up to the
        // receive window plus the one segment that still counted as cwnd-limited (RFC 7661).
        for (int r = 0; r < LOSS_ROUND; r++) {
            assertEquals(reno[r], cubic[r], "RTT " + r + "\n" + table);
        }
        assertEquals(10, reno[0], table);
        assertEquals(201, reno[LOSS_ROUND - 1], table);

        // The loss: NewReno halves FlightSize (RFC 5681 §3.2), CUBIC keeps 0.7 of it (RFC 9438 §4.6)
        assertEquals(100, reno[LOSS_ROUND], table);
        assertEquals(140, cubic[LOSS_ROUND], table);

        // NewReno then adds exactly one segment per RTT (RFC 5681 §3.1) and is still far below
        // the old window 70 RTTs later.
        for (int r = LOSS_ROUND + 1; r <= ROUNDS; r++) {
            assertEquals(100 + (r - LOSS_ROUND), reno[r], "RTT " + r + "\n" + table);
        }

        // CUBIC climbs a concave curve (growth shrinking as it nears W_max) and is back within one
        // segment of W_max = 201 about K = cbrt((201 − 140.x)/0.4) ≈ 5.3 s ≈ 27 RTTs after the loss.
        double kRtts = Math.cbrt((201 - 0.7 * 200) / 0.4) * 1e9 / RTT_NANOS;
        int regained = -1;
        for (int r = LOSS_ROUND + 1; r <= ROUNDS; r++) {
            assertTrue(cubic[r] >= cubic[r - 1], "RTT " + r + "\n" + table);
            if (regained < 0 && cubic[r] >= 200) {
                regained = r;
            }
        }
        assertTrue(regained > 0 && regained <= LOSS_ROUND + Math.ceil(kRtts) + 2,
                "CUBIC regains W_max by RTT " + regained + ", K = " + kRtts + " RTTs\n" + table);
        long earlyGrowth = cubic[LOSS_ROUND + 6] - cubic[LOSS_ROUND + 1];
        long lateGrowth = cubic[LOSS_ROUND + 21] - cubic[LOSS_ROUND + 16];
        assertTrue(earlyGrowth > 3 * lateGrowth, "concave: " + earlyGrowth + " vs " + lateGrowth + "\n" + table);
        assertTrue(reno[ROUNDS] < 200, table);

        // So over the 70 RTTs after the loss CUBIC delivers more: sum of cwnd per RTT
        long renoSum = 0;
        long cubicSum = 0;
        for (int r = LOSS_ROUND; r <= ROUNDS; r++) {
            renoSum += reno[r];
            cubicSum += cubic[r];
        }
        assertTrue(cubicSum > renoSum * 5 / 4, renoSum + " vs " + cubicSum + "\n" + table);
    }
}
