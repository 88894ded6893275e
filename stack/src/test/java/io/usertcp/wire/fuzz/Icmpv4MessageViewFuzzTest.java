package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;

/**
 * Fuzzes {@link Icmpv4MessageView} over a bare ICMP message: shorter than 8 bytes is
 * {@link DropReason#ICMP_TRUNCATED} and nothing else is refused (RFC 792 header); accepted
 * messages have consistent accessors and a checksum that matches the RFC 1071 reference.
 */
class Icmpv4MessageViewFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void icmpView(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(region.buf(), region.offset(), region.length());
            DropReason reason = icmp.check();
            assertEquals(data.length < Icmpv4MessageView.HEADER_LENGTH ? DropReason.ICMP_TRUNCATED : null, reason);
            if (reason == null) {
                WireProperties.assertIcmpAccepted(icmp, data);
                assertTrue(icmp.bodyLength() >= 0);
            }
            region.assertUntouched();
        }
    }
}
