package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.TcpdumpFormatter;

/**
 * Fuzzes {@link TcpdumpFormatter#format}: any bytes give one non-empty line (the
 * formatter's contract: malformed input is described, never thrown), the same for the region and
 * readable-bytes forms; the line says what the views say (addresses, TCP flags and payload length,
 * echo id and sequence); the buffer is untouched.
 */
class TcpdumpFormatterFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void format(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            String line = TcpdumpFormatter.format(region.buf(), region.offset(), region.length());
            assertEquals(line, TcpdumpFormatter.format(region.buf()));
            assertFalse(line.isEmpty());
            assertFalse(line.contains("\n") || line.contains("\r"), line);
            assertAgreesWithViews(region, line);
            region.assertUntouched();
        }
    }

    private static void assertAgreesWithViews(FuzzRegion region, String line) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(region.buf(), region.offset(), region.length());
        DropReason reason = ip.check();
        if (reason != null) {
            assertTrue(line.startsWith("malformed IPv4 (" + reason + ")"), line);
            return;
        }
        assertTrue(line.startsWith(Ipv4Address.format(ip.sourceAddress())), line);
        if (ip.fragmentOffset() != 0) {
            return;
        }
        if (ip.protocol() == Ipv4PacketView.PROTOCOL_TCP) {
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            if (tcp.check() == null) {
                assertTrue(line.contains(": Flags [" + TcpFlags.format(tcp.flags()) + "]"), line);
                assertTrue(line.endsWith(", length " + tcp.payloadLength()), line);
            } else {
                assertTrue(line.contains("malformed TCP (" + tcp.check() + ")"), line);
            }
        } else if (ip.protocol() == Ipv4PacketView.PROTOCOL_ICMP) {
            Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
            if (icmp.check() == null && icmp.type() == Icmpv4MessageView.TYPE_ECHO_REQUEST) {
                assertTrue(line.contains("echo request, id " + icmp.identifier() + ", seq " + icmp.sequenceNumber()), line);
            }
        }
    }
}
