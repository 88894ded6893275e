package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.testkit.PacketMutator;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Fuzzes {@link PacketDecoder#decode} end to end, with checksums verified and trusted, for any
 * destination and for {@link PacketMutator#SERVER} only. Properties: no exception; the region and
 * whole-buffer forms agree; what is accepted passed every check of RFC 1122 §3.2.1 the decoder
 * documents and leaves working views behind; verifying checksums only ever turns an acceptance into
 * a checksum drop; the buffer is untouched.
 */
class PacketDecoderFuzzTest {
    private static final Set<DropReason> CHECKSUM_REASONS =
            EnumSet.of(DropReason.IPV4_BAD_CHECKSUM, DropReason.TCP_BAD_CHECKSUM, DropReason.ICMP_BAD_CHECKSUM);

    private static final Set<DropReason> LATER_THAN_DESTINATION =
            EnumSet.of(DropReason.IPV4_BAD_SOURCE, DropReason.IPV4_UNSUPPORTED_PROTOCOL);

    private static final Set<DropReason> LATER_THAN_ICMP_CHECKSUM =
            EnumSet.of(DropReason.ICMP_UNSUPPORTED_TYPE, DropReason.ICMP_BAD_QUOTE);
    /** RFC 1122 §3.2.2: what the stack acts on; every other type is silently discarded. */
    private static final Set<Integer> HANDLED_ICMP_TYPES = Set.of(Icmpv4MessageView.TYPE_ECHO_REPLY,
            Icmpv4MessageView.TYPE_ECHO_REQUEST, Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE,
            Icmpv4MessageView.TYPE_TIME_EXCEEDED, Icmpv4MessageView.TYPE_PARAMETER_PROBLEM);

    private static final PacketDecoder VERIFYING = new PacketDecoder(address -> true, ChecksumPolicy.VERIFY);
    private static final PacketDecoder TRUSTING = new PacketDecoder(address -> true, ChecksumPolicy.TRUST_LINK);
    private static final PacketDecoder SERVER_ONLY = new PacketDecoder(address -> address == PacketMutator.SERVER, ChecksumPolicy.TRUST_LINK);

    @FuzzTest(maxDuration = "30s")
    void decode(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            DropReason verified = VERIFYING.decode(region.buf(), region.offset(), region.length());
            assertEquals(verified, VERIFYING.decode(region.buf()), "region and readable-bytes forms disagree");
            if (verified == null) {
                assertAccepted(VERIFYING, data, true);
            }
            DropReason trusted = TRUSTING.decode(region.buf());
            assertFalse(CHECKSUM_REASONS.contains(trusted), () -> "checked a checksum it was told to trust: " + trusted);
            if (trusted == null) {
                assertAccepted(TRUSTING, data, false);
            }
            assertVerifyingIsStricter(verified, trusted);
            assertDestinationFilter(SERVER_ONLY.decode(region.buf()), trusted);
            region.assertUntouched();
        }
    }

    private static void assertAccepted(PacketDecoder decoder, byte[] data, boolean checksumsVerified) {
        Ipv4PacketView ip = decoder.ip();
        assertNull(ip.check());
        assertFalse(ip.isFragment(), "a fragment was accepted");
        assertTrue(Ipv4Address.isUnicastHost(ip.sourceAddress()), "RFC 1122 §3.2.1.3: bad source accepted");
        byte[] datagram = Arrays.copyOf(data, ip.totalLength());
        WireProperties.assertIpv4Accepted(ip, datagram);
        assertTrue(!checksumsVerified || ip.headerChecksumValid());
        byte[] payload = Arrays.copyOfRange(datagram, ip.headerLength(), ip.totalLength());
        switch (decoder.protocol()) {
            case Ipv4PacketView.PROTOCOL_TCP -> {
                TcpSegmentView tcp = decoder.tcp();
                assertNull(tcp.check());
                assertEquals(ip.payloadOffset(), tcp.offset());
                WireProperties.assertTcpAccepted(tcp, payload, ip.sourceAddress(), ip.destinationAddress());
                assertTrue(!checksumsVerified || tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()));
            }
            case Ipv4PacketView.PROTOCOL_ICMP -> {
                Icmpv4MessageView icmp = decoder.icmp();
                assertNull(icmp.check());
                assertEquals(ip.payloadOffset(), icmp.offset());
                WireProperties.assertIcmpAccepted(icmp, payload);
                assertTrue(!checksumsVerified || icmp.checksumValid());
                assertTrue(HANDLED_ICMP_TYPES.contains(icmp.type()), () -> "accepted ICMP type " + icmp.type());
                // RFC 792: an error must quote the IP header and 64 bits to name a connection.
                assertTrue(!icmp.isError() || icmp.checkQuote() == null, "accepted an error with a short quote");
            }
            default -> throw new AssertionError("accepted protocol " + decoder.protocol());
        }
    }

    /** Checksums are checked right after the structure they cover; skipping them can only let a packet further. */
    private static void assertVerifyingIsStricter(DropReason verified, DropReason trusted) {
        if (verified == DropReason.IPV4_BAD_CHECKSUM) {
            return; // the trusting decoder went on to later checks, whose verdict may be anything
        }
        if (verified == DropReason.TCP_BAD_CHECKSUM) {
            assertNull(trusted);
        } else if (verified == DropReason.ICMP_BAD_CHECKSUM) {
            assertTrue(trusted == null || LATER_THAN_ICMP_CHECKSUM.contains(trusted), () -> String.valueOf(trusted));
        } else {
            assertEquals(verified, trusted);
        }
        if (verified == null) {
            assertEquals(VERIFYING.protocol(), TRUSTING.protocol());
        }
    }

    /** RFC 1122 §3.2.1.3: the destination filter only adds IPV4_NOT_FOR_US, and only for other destinations. */
    private static void assertDestinationFilter(DropReason serverOnly, DropReason anyDestination) {
        if (serverOnly == DropReason.IPV4_NOT_FOR_US) {
            // The other decoder passed the destination check, so only later checks can have refused it.
            assertTrue(anyDestination == null || LATER_THAN_DESTINATION.contains(anyDestination)
                    || !anyDestination.name().startsWith("IPV4_"), () -> String.valueOf(anyDestination));
            assertTrue(TRUSTING.ip().destinationAddress() != PacketMutator.SERVER);
        } else {
            assertEquals(anyDestination, serverOnly);
        }
    }
}
