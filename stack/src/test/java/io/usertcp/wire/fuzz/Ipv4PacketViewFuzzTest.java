package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;

/**
 * Fuzzes {@link Ipv4PacketView}: any bytes from the network give a {@link DropReason} or an
 * accepted datagram whose every accessor and the {@code Ipv4Header} value work, never an
 * exception (DESIGN.md §7), and the buffer is left as it was. A view reused across inputs must
 * judge exactly like a fresh one.
 *
 * <p>In {@code mvn test} this runs only the committed seeds (see the README next to the seeds).
 */
class Ipv4PacketViewFuzzTest {
    /** Reused across inputs on purpose: a view is a flyweight and must carry nothing over. */
    private static final Ipv4PacketView REUSED = new Ipv4PacketView();

    @FuzzTest(maxDuration = "30s")
    void ipv4View(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(region.buf(), region.offset(), region.length());
            DropReason reason = ip.check();
            assertEquals(reason, REUSED.wrap(region.buf(), region.offset(), region.length()).check());
            if (reason == null) {
                WireProperties.assertIpv4Accepted(ip, data);
            } else {
                assertTrue(reason.name().startsWith("IPV4_"), reason::name);
            }
            region.assertUntouched();
        }
    }
}
