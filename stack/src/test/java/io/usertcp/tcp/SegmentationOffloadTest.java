package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.testkit.TwoStacks.Offload;
import io.usertcp.wire.DropReason;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Checksum and segmentation offload (a TUN device with the virtio-net header, {@code TUNSETOFFLOAD
 * TUN_F_CSUM | TUN_F_TSO4}) on the in-memory wire: A's link takes super-segments with partial
 * checksums, B receives them cut into segments by {@link io.usertcp.link.SoftwareSegmentation}
 * (Linux tcp_gso_segment()) or whole behind a virtio-net header (as Linux's TCP takes a GSO
 * packet, and as our TUN link hands the kernel's to the stack).
 */
class SegmentationOffloadTest {
    private static final int BYTES = 2_000_000;

    @Test
    void tso_superSegmentsCutBackIntoSegments_areExactlyWhatThePlainSenderSends() throws Exception {
        Run plain = transfer(Offload.NONE, p -> false);
        Run tso = transfer(Offload.SEGMENTED, p -> false);
        assertTrue(tso.superSegments > 10, "super-segments: " + tso.superSegments);
        assertEquals(plain.segments, tso.segments, "A's data segments, as B saw them (seq:end flags)");
        assertArrayEquals(plain.digest, tso.digest);
        assertEquals(plain.outSegs, tso.outSegs, "TcpOutSegs counts segments, not super-segments (tcp_skb_pcount)");
    }

    @Test
    void gso_wholeSuperSegmentsBehindAVirtioHeader_areTakenAsOneSegmentEach() throws Exception {
        Run plain = transfer(Offload.NONE, p -> false);
        Run whole = transfer(Offload.WHOLE, p -> false);
        assertTrue(whole.superSegments > 10, "super-segments: " + whole.superSegments);
        assertArrayEquals(plain.digest, whole.digest);
        assertTrue(whole.inSegs * 4 < plain.inSegs, "B took " + whole.inSegs + " segments (" + plain.inSegs + " plain)");
        assertEquals(0, whole.drops, "no frame dropped: partial checksums are trusted, not verified");
    }

    @Test
    void tso_withLoss_recoversSegmentBySegment() throws Exception {
        Random random = new Random(7);
        Run run = transfer(Offload.SEGMENTED, p -> p.readableBytes() > 1000 && random.nextInt(100) < 3);
        Run plain = transfer(Offload.NONE, p -> false);
        assertArrayEquals(plain.digest, run.digest);
        assertTrue(run.retransmitted > 0, "something was lost and sent again");
    }

    /** What one transfer of {@link #BYTES} from A to B looked like. */
    private record Run(List<String> segments, byte[] digest, long superSegments, long outSegs, long inSegs, long drops,
                       long retransmitted) {}

    private static Run transfer(Offload offload, java.util.function.Predicate<ByteBuf> dropAtoB) throws Exception {
        byte[] data = new byte[BYTES];
        new Random(42).nextBytes(data);
        try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 1, c -> c, true)) {
            net.offloadFromA(offload);
            net.dropAtoB(dropAtoB);
            TcpConnection[] pair = TwoStackLifecycleTest.open(net);
            TcpConnection client = pair[0];
            TcpConnection server = pair[1];
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long received = net.transfer(client, server, data, 256 * 1024, 100_000, b -> sha.update(b.nioBuffer()));
            assertEquals(BYTES, received, net.lastTrace(20));
            List<String> segments = net.trace().stream().filter(l -> l.contains("A>B") && !l.contains("DROPPED"))
                    .map(l -> l.replaceAll("^.*seq ([0-9:]+), ack.*$", "$1") + (l.contains("[P") || l.contains("P.]") ? " P" : ""))
                    .filter(l -> l.contains(":"))
                    .collect(Collectors.toList());
            long drops = 0;
            for (DropReason r : DropReason.values()) {
                drops += net.b.stats().drops(r);
            }
            return new Run(segments, sha.digest(), net.superSegmentsFromA(), net.a.stats().get(Counter.TcpOutSegs),
                    net.b.stats().get(Counter.TcpInSegs), drops, net.a.stats().get(Counter.TcpRetransSegs));
        }
    }
}
