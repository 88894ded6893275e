package io.usertcp.sim;

import static io.usertcp.sim.BulkTransfer.MIB;
import static io.usertcp.sim.BulkTransfer.MILLI;
import static io.usertcp.sim.BulkTransfer.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.cc.CongestionAlgorithm;
import io.usertcp.tcp.cc.CongestionConfig;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 4, "show it works": two stacks over the seeded simulated network move 16 MiB each way at
 * once over one connection (both directions concurrently, so data segments carry ACKs and SACK
 * blocks for the other direction), with 0 %, 1 % and 5 % random loss, each combined with
 * reordering, duplication and corruption, for NewReno and CUBIC. The bytes read hash the same as
 * the bytes sent, both sides close in order (one through TIME-WAIT, {@link CloseReason#NORMAL} on
 * both), the stacks' tables end empty once TIME-WAIT is over, no buffer leaks, and a seed replays
 * its run exactly.
 *
 * <p>The path: a 100 Mbit/s bottleneck with a 256 KiB drop-tail queue, then 5 ms of propagation
 * plus up to 0.25 ms of jitter each way, which reorders packets about two deep; 1 % of packets
 * arrive twice and 0.5 % with a bit flipped, which the receiving stack must catch by checksum and
 * count as a drop. The 16 MiB transfers use an unpooled allocator that counts every byte it hands
 * out, so a leak shows as bytes still allocated at the end; one smaller transfer runs on pooled
 * buffers that Netty's leak detector tracks (at paranoid it records every access, which costs
 * about 3 ms per packet, far too slow for 16 MiB).
 */
class BulkTransferSimulationTest {
    private static final long BYTES = 16 * MIB;
    private static final Bottleneck BOTTLENECK = Bottleneck.megabits(100, 256 * 1024);
    /** Generous for the current RTO-only sender at 5 % loss (about 200 s of virtual time). */
    private static final long MAX_VIRTUAL_NANOS = 3600 * SECOND;
    /** About 50 000 events per 16 MiB run today. */
    private static final long MAX_STEPS = 2_000_000;

    static FaultProfile faults(double loss) {
        return FaultProfile.ideal(5 * MILLI).withJitter(250_000).withLoss(loss).withDuplication(0.01).withCorruption(0.005);
    }

    static TcpConfig tcp(CongestionAlgorithm algorithm) {
        return TcpConfig.linux().toBuilder().congestion(CongestionConfig.linux().withAlgorithm(algorithm)).build();
    }

    static BulkTransfer.Spec spec(CongestionAlgorithm algorithm, double loss, long seed, long bytesEachWay) {
        FaultProfile f = faults(loss);
        return new BulkTransfer.Spec(tcp(algorithm), f, f, BOTTLENECK, seed, bytesEachWay, bytesEachWay,
                MAX_VIRTUAL_NANOS, MAX_STEPS, false);
    }

    static Stream<Arguments> algorithmsAndLoss() {
        return Stream.of(CongestionAlgorithm.NEW_RENO, CongestionAlgorithm.CUBIC)
                .flatMap(a -> Stream.of(0.0, 0.01, 0.05).map(loss -> Arguments.of(a, loss)));
    }

    @ParameterizedTest(name = "{0}, loss {1}")
    @MethodSource("algorithmsAndLoss")
    void sixteenMebibytesEachWay_bytesIntact_orderlyClose_tablesEmpty_noLeak(CongestionAlgorithm algorithm, double loss) {
        BulkTransfer.Result r = run(spec(algorithm, loss, 1, BYTES), algorithm + ", loss " + loss);
        assertTransferredCleanly(r, BYTES);
        assertEquals(0, r.bytesLeftAllocated(), "bytes still held by buffers nobody released: " + r.summary());
        NetworkCounters n = r.network();
        assertTrue(n.duplicated() > 100 && n.corrupted() > 50 && r.reordered() > 1000,
                "the faults did not happen: " + r.summary());
        if (loss > 0) {
            assertTrue(n.lost() > loss * n.transmitted() / 2 && r.retransmitted() >= n.lost() / 2,
                    "losses and retransmissions: " + r.summary());
        }
    }

    @Test
    void sameSeed_replaysTheRunExactly_anotherSeed_doesNot() {
        BulkTransfer.Spec spec = spec(CongestionAlgorithm.CUBIC, 0.01, 7, BYTES);
        BulkTransfer.Result first = run(spec, "seed 7");
        BulkTransfer.Result again = run(spec, "seed 7 again");
        assertTransferredCleanly(first, BYTES);
        assertEquals(first.runDigest(), again.runDigest(), "the same seed must give the same run");
        assertEquals(first, again, "the same seed must give the same outcome");
        BulkTransfer.Result other = run(spec.withSeed(8), "seed 8");
        assertTransferredCleanly(other, BYTES);
        assertNotEquals(first.runDigest(), other.runDigest(), "another seed must give another run");
        assertNotEquals(first.sentAtoB(), other.sentAtoB(), "another seed must give other data");
    }

    /** Every path of the big runs, on pooled buffers that the paranoid leak detector tracks (see LeakCheckExtension). */
    @Test
    void quarterMebibyteEachWay_onLeakTrackedPooledBuffers_fivePercentLoss() {
        BulkTransfer.Result r = run(spec(CongestionAlgorithm.CUBIC, 0.05, 3, MIB / 4).withPooledBuffers(), "pooled");
        assertTransferredCleanly(r, MIB / 4);
        assertEquals(-1, r.bytesLeftAllocated());
        assertTrue(r.network().lost() > 0 && r.retransmitted() > 0, r.summary());
    }

    /** The checks every transfer must pass. */
    static void assertTransferredCleanly(BulkTransfer.Result r, long bytesEachWay) {
        String s = r.summary();
        assertEquals(bytesEachWay, r.receivedBytesAtoB(), s);
        assertEquals(bytesEachWay, r.receivedBytesBtoA(), s);
        assertEquals(r.sentAtoB(), r.receivedAtoB(), "SHA-256 of the bytes A sent and B read: " + s);
        assertEquals(r.sentBtoA(), r.receivedBtoA(), "SHA-256 of the bytes B sent and A read: " + s);
        assertEquals(CloseReason.NORMAL, r.reasonA(), s);
        assertEquals(CloseReason.NORMAL, r.reasonB(), s);
        // The side whose FIN went first passes TIME-WAIT; the other ends in CLOSED from LAST-ACK, or
        // in TIME-WAIT too when the FINs crossed (RFC 9293 §3.6).
        assertTrue(Set.of(TcpState.TIME_WAIT, TcpState.CLOSED).containsAll(List.of(r.stateA(), r.stateB()))
                && (r.stateA() == TcpState.TIME_WAIT || r.stateB() == TcpState.TIME_WAIT), s);
        assertEquals(0, r.connectionsLeft(), "connections left in the tables: " + s);
        assertEquals(0, r.timeWaitLeft(), "TIME-WAIT entries left after 2MSL: " + s);
        // Every corrupted copy failed a checksum or header check and was counted as a drop; nothing else was dropped.
        assertEquals(r.network().corrupted(), r.drops(), "drops at input against corrupted copies: " + s);
    }

    private static BulkTransfer.Result run(BulkTransfer.Spec spec, String name) {
        long wall = System.nanoTime();
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        BulkTransfer.Result r = BulkTransfer.run(spec);
        System.out.printf("%s: %.1f s wall, %.1f s CPU: %s%n", name, (System.nanoTime() - wall) / 1e9,
                (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu) / 1e9, r.summary());
        return r;
    }
}
