package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.VirtioNetHeader;

/**
 * Fuzzes {@link PacketDecoder#decodeFrame}: a virtio-net header in front of a datagram, as a TUN
 * device with IFF_VNET_HDR hands them out. Properties: no exception; a header {@link VirtioNetHeader#check}
 * refuses is dropped with a VIRTIO_* reason; otherwise the datagram behind it is judged exactly as
 * {@link PacketDecoder#decode} judges it, with checksums verified unless the header vouches for
 * them (NEEDS_CSUM, DATA_VALID), and a GSO frame is accepted only as TCP, with its segment size
 * reported; the buffer is untouched.
 */
class VirtioFrameFuzzTest {
    private static final PacketDecoder FRAMES = new PacketDecoder(address -> true, ChecksumPolicy.VERIFY);
    private static final PacketDecoder VERIFYING = new PacketDecoder(address -> true, ChecksumPolicy.VERIFY);
    private static final PacketDecoder TRUSTING = new PacketDecoder(address -> true, ChecksumPolicy.TRUST_LINK);

    @FuzzTest(maxDuration = "30s")
    void decodeFrame(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            DropReason reason = FRAMES.decodeFrame(region.buf());
            DropReason header = VirtioNetHeader.check(region.buf(), region.offset(), region.length());
            if (header != null) {
                assertEquals(header, reason, "the header's own verdict");
                assertTrue(reason.name().startsWith("VIRTIO_"), reason::name);
            } else {
                int at = region.offset() + VirtioNetHeader.LENGTH;
                int length = region.length() - VirtioNetHeader.LENGTH;
                boolean trusted = VirtioNetHeader.checksumTrusted(region.buf(), region.offset());
                DropReason plain = (trusted ? TRUSTING : VERIFYING).decode(region.buf(), at, length);
                boolean gso = VirtioNetHeader.isGso(region.buf(), region.offset());
                if (plain == null && gso && TRUSTING.protocol() != Ipv4PacketView.PROTOCOL_TCP) {
                    assertEquals(DropReason.VIRTIO_BAD_GSO, reason, "GSO is for TCP only");
                } else {
                    assertEquals(plain, reason, "the datagram behind the header, judged as any other");
                }
                if (reason == null) {
                    assertEquals(gso ? VirtioNetHeader.gsoSize(region.buf(), region.offset()) : 0, FRAMES.segmentSize());
                }
            }
            region.assertUntouched();
        }
    }
}
