package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Loss recovery on a path that reorders but never drops, end to end between two stacks on virtual
 * time: 4 MiB from A to B over a 20 ms round trip whose A-to-B direction has jitter, so segments
 * overtake one another. The linux profile's RACK (RFC 8985 §6.2) waits a reordering window of
 * min_rtt / 4 before calling a segment lost; the rfc profile's RFC 6675 calls it lost after three
 * SACKed segments, whatever the time, and retransmits for nothing. Every transfer must deliver
 * every byte intact (SHA-256) and close normally.
 */
class ReorderingSimulationTest {
    private static final long MS = 1_000_000L;
    /**
     * The linux profile with its window held at about 128 KiB, as the rfc profile's is: so that the
     * flight never outgrows the bottleneck's 256 KiB queue and the path really never drops (with
     * autotuning the window would grow past it and the queue would drop, which is not this test's subject).
     */
    private static final TcpConfig LINUX = TcpConfig.linux().toBuilder().receiveBufferBytes(2 * 131072).sendBufferBytes(262144)
            .bufferAutotuning(false).build();

    private static BulkTransfer.Result run(TcpConfig tcp, long jitterNanos, long seed) {
        BulkTransfer.Spec spec = new BulkTransfer.Spec(tcp, FaultProfile.ideal(10 * MS).withJitter(jitterNanos),
                FaultProfile.ideal(10 * MS), Bottleneck.megabits(100, 256 * 1024), seed, 4 * BulkTransfer.MIB, 0,
                3600 * BulkTransfer.SECOND, 2_000_000, false);
        BulkTransfer.Result r = BulkTransfer.run(spec);
        assertEquals(r.sentAtoB(), r.receivedAtoB(), "every byte, intact: " + r.summary());
        assertEquals(4 * BulkTransfer.MIB, r.receivedBytesAtoB());
        assertEquals(CloseReason.NORMAL, r.reasonA(), r.summary());
        assertEquals(CloseReason.NORMAL, r.reasonB(), r.summary());
        return r;
    }

    private static long count(BulkTransfer.Result r, String counter) {
        return r.statsA().getOrDefault(counter, 0L);
    }

    @Test
    void rfc8985_6_2_reorderingWithinTheWindow_noSpuriousRetransmission() {
        for (long seed = 1; seed <= 2; seed++) {
            // 2 ms of jitter: less than min_rtt / 4 (5 ms), RACK's reordering window.
            BulkTransfer.Result linux = run(LINUX, 2 * MS, seed);
            BulkTransfer.Result rfc = run(TcpConfig.rfc(), 2 * MS, seed);
            assertEquals(0, count(linux, "TcpRetransSegs"), "RACK: " + linux.statsA());
            assertEquals(0, count(linux, "TcpExtTCPSackRecovery"));
            assertTrue(count(linux, "TcpExtTCPSACKReorder") > 0, "the reordering was seen: " + linux.statsA());
            // RFC 6675's DupThresh takes the same reordering for loss: recoveries, each halving cwnd, and
            // retransmissions the peer reports back as duplicates (D-SACK, RFC 2883).
            assertTrue(count(rfc, "TcpExtTCPSackRecovery") > 0 && count(rfc, "TcpExtTCPDSACKRecv") > 0, "rfc: " + rfc.statsA());
            assertTrue(linux.goodputAtoBBitsPerSecond() > 2 * rfc.goodputAtoBBitsPerSecond(),
                    linux.goodputAtoBBitsPerSecond() + " vs " + rfc.goodputAtoBBitsPerSecond());
        }
    }

    @Test
    void rfc3522_reorderingBeyondTheWindow_everySpuriousRecoveryUndone() {
        for (long seed = 1; seed <= 2; seed++) {
            // 8 ms of jitter: more than RACK's window, so some recoveries start; the timestamps of the ACKs
            // show the originals arrived (Linux tcp_packet_delayed()), and each recovery is undone.
            BulkTransfer.Result linux = run(LINUX, 8 * MS, seed);
            Map<String, Long> s = linux.statsA();
            long recoveries = count(linux, "TcpExtTCPSackRecovery");
            long undone = count(linux, "TcpExtTCPPartialUndo") + count(linux, "TcpExtTCPFullUndo")
                    + count(linux, "TcpExtTCPDSACKUndo");
            assertTrue(recoveries > 0, "some reordering exceeded the window: " + s);
            assertEquals(recoveries, undone, "every recovery undone: " + s);
            assertEquals(0, count(linux, "TcpExtTCPTimeouts"), s.toString());
        }
    }
}
