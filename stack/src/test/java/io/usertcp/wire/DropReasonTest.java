package io.usertcp.wire;

import static io.usertcp.testkit.TestPackets.CLIENT;
import static io.usertcp.testkit.TestPackets.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.core.RandomSource;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpMd5Key;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpStack;
import io.usertcp.testkit.TestPackets;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One test per {@link DropReason}: each builds a minimal packet whose only defect provokes exactly
 * that reason through {@link PacketDecoder} (checksums verified, local address 198.18.0.2), and
 * {@link #everyDropReason_hasExactlyOneTest()} fails when a reason is added without a test here.
 * Also the things that must NOT be dropped: low TTLs, link padding, and bad checksums when the link
 * is trusted.
 */
class DropReasonTest {

    /** Marks the test that provokes a reason; the meta-test checks that every reason has one. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @interface Provokes {
        DropReason value();
    }

    private static final int IP = Ipv4PacketView.MIN_HEADER_LENGTH;

    // ---- the meta-test ----

    @Test
    void everyDropReason_hasExactlyOneTest() throws Exception {
        Map<DropReason, List<String>> tests = new EnumMap<>(DropReason.class);
        for (Method method : DropReasonTest.class.getDeclaredMethods()) {
            Provokes provokes = method.getAnnotation(Provokes.class);
            if (provokes != null) {
                assertTrue(method.isAnnotationPresent(Test.class), method.getName() + " is @Provokes but not a @Test");
                tests.computeIfAbsent(provokes.value(), r -> new ArrayList<>()).add(method.getName());
            }
        }
        Set<DropReason> missing = EnumSet.allOf(DropReason.class);
        missing.removeAll(tests.keySet());
        assertEquals(Set.of(), missing, "DropReasons without a test in DropReasonTest");
        tests.forEach((reason, names) -> assertEquals(1, names.size(), reason + " has several tests: " + names));
    }

    // ---- IPv4 ----

    @Test
    @Provokes(DropReason.IPV4_TRUNCATED)
    void ipv4_fewerThanTwentyBytes_isTruncated() {
        assertDropped(DropReason.IPV4_TRUNCATED, Arrays.copyOf(syn(), IP - 1));
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_VERSION)
    void ipv4_versionSix_isBadVersion() {
        byte[] packet = syn();
        packet[0] = 0x65; // version 6, IHL 5
        TestPackets.refreshIpv4Checksum(packet);
        assertDropped(DropReason.IPV4_BAD_VERSION, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_HEADER_LENGTH)
    void ipv4_ihlFour_isBadHeaderLength() {
        // RFC 791 §3.1: the minimum value for a correct header is 5.
        byte[] packet = syn();
        packet[0] = 0x44;
        TestPackets.refreshIpv4Checksum(packet);
        assertDropped(DropReason.IPV4_BAD_HEADER_LENGTH, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_HEADER_OVERRUN)
    void ipv4_ihlPastTheBytesReceived_isHeaderOverrun() {
        byte[] packet = syn(); // 44 bytes
        packet[0] = 0x4F;      // a 60-byte header
        TestPackets.refreshIpv4Checksum(packet);
        assertDropped(DropReason.IPV4_HEADER_OVERRUN, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_TOTAL_LENGTH)
    void ipv4_totalLengthPastTheBytesReceived_isBadTotalLength() {
        byte[] packet = syn();
        TestPackets.putShort(packet, 2, packet.length + 1);
        TestPackets.refreshIpv4Checksum(packet);
        assertDropped(DropReason.IPV4_BAD_TOTAL_LENGTH, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_CHECKSUM)
    void ipv4_headerBitFlipped_isBadChecksum() {
        // RFC 1122 §3.2.1.2: a datagram whose header checksum fails MUST be silently discarded.
        byte[] packet = syn();
        packet[8] ^= 0x01; // TTL 64 -> 65 in transit, checksum not updated
        assertDropped(DropReason.IPV4_BAD_CHECKSUM, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_OPTION)
    void ipv4_optionWithLengthOne_isBadOption() {
        // RFC 791 §3.1: a multi-octet option's length counts type and length, so it is at least 2.
        byte[] recordRouteLengthOne = {7, 1, 0, 0};
        Ipv4Header ip = new Ipv4Header(0, IP + 4 + 20, 1, Ipv4PacketView.FLAG_DONT_FRAGMENT, 0, 64,
                Ipv4PacketView.PROTOCOL_TCP, 0, CLIENT, SERVER, recordRouteLengthOne);
        assertDropped(DropReason.IPV4_BAD_OPTION, TestPackets.tcp(ip, bareSyn(), new byte[0]));
    }

    @Test
    @Provokes(DropReason.IPV4_FRAGMENT)
    void ipv4_firstFragmentWithMoreFragments_isFragment() {
        Ipv4Header ip = new Ipv4Header(0, IP + 20, 1, Ipv4PacketView.FLAG_MORE_FRAGMENTS, 0, 64,
                Ipv4PacketView.PROTOCOL_TCP, 0, CLIENT, SERVER, null);
        assertDropped(DropReason.IPV4_FRAGMENT, TestPackets.tcp(ip, bareSyn(), new byte[0]));
    }

    @Test
    @Provokes(DropReason.IPV4_NOT_FOR_US)
    void ipv4_destinationNotLocal_isNotForUs() {
        // RFC 1122 §3.2.1.3: a host silently discards a datagram not addressed to it.
        byte[] packet = TestPackets.tcp(CLIENT, Ipv4Address.of("198.18.0.3"), bareSyn(), new byte[0]);
        assertDropped(DropReason.IPV4_NOT_FOR_US, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_BAD_SOURCE)
    void ipv4_sourceZero_isBadSource() {
        // RFC 1122 §3.2.1.3: {0, 0} is never a valid source of a datagram we accept.
        byte[] packet = TestPackets.tcp(Ipv4Address.of("0.0.0.0"), SERVER, bareSyn(), new byte[0]);
        assertDropped(DropReason.IPV4_BAD_SOURCE, packet);
    }

    @Test
    @Provokes(DropReason.IPV4_UNSUPPORTED_PROTOCOL)
    void ipv4_udp_isUnsupportedProtocol() {
        assertDropped(DropReason.IPV4_UNSUPPORTED_PROTOCOL, TestPackets.udp(40000, 53, new byte[] {1, 2, 3}));
    }

    // ---- ICMP ----

    @Test
    @Provokes(DropReason.ICMP_TRUNCATED)
    void icmp_sevenBytes_isTruncated() {
        byte[] sevenBytes = {8, 0, 0, 0, 0, 1, 0};
        Ipv4Header ip = Ipv4Header.of(CLIENT, SERVER, Ipv4PacketView.PROTOCOL_ICMP, sevenBytes.length, 64, 1);
        assertDropped(DropReason.ICMP_TRUNCATED, TestPackets.ipv4(ip, sevenBytes));
    }

    @Test
    @Provokes(DropReason.ICMP_BAD_CHECKSUM)
    void icmp_dataBitFlipped_isBadChecksum() {
        byte[] packet = TestPackets.echoRequest(7, 1, 56);
        packet[packet.length - 1] ^= 0x10;
        assertDropped(DropReason.ICMP_BAD_CHECKSUM, packet);
    }

    @Test
    @Provokes(DropReason.ICMP_UNSUPPORTED_TYPE)
    void icmp_timestampRequest_isUnsupportedType() {
        // Type 13 (RFC 792 timestamp): RFC 1122 §3.2.2.8 makes it optional, and we do not answer it.
        byte[] packet = TestPackets.icmp(CLIENT, SERVER, 13, 0, 0x0007_0001, new byte[12]);
        assertDropped(DropReason.ICMP_UNSUPPORTED_TYPE, packet);
    }

    @Test
    @Provokes(DropReason.ICMP_BAD_QUOTE)
    void icmp_unreachableQuotingOnlyTheIpHeader_isBadQuote() {
        // RFC 792: the quote is the IP header plus 64 bits, without which the ports are unknown.
        byte[] offending = TestPackets.tcp(SERVER, CLIENT, bareSyn(), new byte[0]);
        byte[] packet = TestPackets.unreachable(CLIENT, SERVER, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0, offending, IP);
        assertDropped(DropReason.ICMP_BAD_QUOTE, packet);
    }

    // ---- TCP ----

    @Test
    @Provokes(DropReason.TCP_TRUNCATED)
    void tcp_nineteenBytes_isTruncated() {
        byte[] packet = Arrays.copyOf(TestPackets.tcp(bareSyn(), new byte[0]), IP + 19);
        TestPackets.putShort(packet, 2, packet.length);
        TestPackets.refreshIpv4Checksum(packet);
        assertDropped(DropReason.TCP_TRUNCATED, packet);
    }

    @Test
    @Provokes(DropReason.TCP_BAD_DATA_OFFSET)
    void tcp_dataOffsetFour_isBadDataOffset() {
        byte[] packet = TestPackets.tcp(bareSyn(), new byte[0]);
        packet[IP + 12] = 0x40;
        TestPackets.refreshTcpChecksum(packet);
        assertDropped(DropReason.TCP_BAD_DATA_OFFSET, packet);
    }

    @Test
    @Provokes(DropReason.TCP_HEADER_OVERRUN)
    void tcp_dataOffsetPastTheSegment_isHeaderOverrun() {
        byte[] packet = TestPackets.tcp(bareSyn(), new byte[0]); // a 20-byte segment
        packet[IP + 12] = 0x60;                                   // claims 24
        TestPackets.refreshTcpChecksum(packet);
        assertDropped(DropReason.TCP_HEADER_OVERRUN, packet);
    }

    @Test
    @Provokes(DropReason.TCP_BAD_CHECKSUM)
    void tcp_payloadBitFlipped_isBadChecksum() {
        // RFC 9293 §3.1 (MUST-3): the checksum is verified on every segment received.
        byte[] packet = TestPackets.tcp(TcpHeader.of(40000, 80, 101, 301, TcpFlags.PSH | TcpFlags.ACK, 502, TcpOptions.NONE),
                "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        packet[packet.length - 1] ^= 0x20;
        assertDropped(DropReason.TCP_BAD_CHECKSUM, packet);
    }

    @Test
    @Provokes(DropReason.TCP_BAD_OPTION)
    void tcp_optionLengthOne_isBadOption() {
        // RFC 9293 §3.2 (MUST-7): an illegal option length must not crash the stack; we drop.
        byte[] packet = syn();
        packet[IP + 20 + 1] = 1; // MSS option, length byte 4 -> 1
        TestPackets.refreshTcpChecksum(packet);
        assertDropped(DropReason.TCP_BAD_OPTION, packet);
    }

    @Test
    @Provokes(DropReason.TCP_ZERO_PORT)
    void tcp_sourcePortZero_isZeroPort() {
        byte[] packet = TestPackets.tcp(TcpHeader.of(0, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.NONE), new byte[0]);
        assertDropped(DropReason.TCP_ZERO_PORT, packet);
    }

    // ---- what is accepted ----

    @Test
    void baselinePackets_areAccepted() {
        assertNull(decode(syn(), ChecksumPolicy.VERIFY));
        assertNull(decode(TestPackets.tcp(bareSyn(), new byte[0]), ChecksumPolicy.VERIFY));
        assertNull(decode(TestPackets.echoRequest(7, 1, 56), ChecksumPolicy.VERIFY));
        byte[] offending = TestPackets.tcp(SERVER, CLIENT, bareSyn(), new byte[0]);
        assertNull(decode(TestPackets.unreachable(CLIENT, SERVER, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0,
                offending, IP + 8), ChecksumPolicy.VERIFY));
    }

    @Test
    void ttlZeroAndOne_areAccepted() {
        // RFC 1122 §3.2.1.7: a host MUST NOT discard a datagram just because its TTL is below 2.
        for (int ttl : new int[] {0, 1}) {
            Ipv4Header ip = Ipv4Header.of(CLIENT, SERVER, Ipv4PacketView.PROTOCOL_TCP, 20, ttl, 1);
            assertNull(decode(TestPackets.tcp(ip, bareSyn(), new byte[0]), ChecksumPolicy.VERIFY), "TTL " + ttl);
        }
    }

    @Test
    void trailingLinkPadding_isAccepted() {
        // A 40-byte datagram in a minimum Ethernet frame arrives with 6 bytes of padding.
        byte[] padded = Arrays.copyOf(TestPackets.tcp(bareSyn(), new byte[0]), 46);
        Arrays.fill(padded, 40, 46, (byte) 0xA5);
        assertNull(decode(padded, ChecksumPolicy.VERIFY));
    }

    @Test
    void trustLink_skipsEveryBadChecksum() {
        byte[] badIp = syn();
        badIp[8] ^= 0x01;
        byte[] badTcp = syn();
        badTcp[IP + 4] ^= 0x01;
        byte[] badIcmp = TestPackets.echoRequest(7, 1, 56);
        badIcmp[badIcmp.length - 1] ^= 0x10;
        for (byte[] packet : List.of(badIp, badTcp, badIcmp)) {
            assertNull(decode(packet, ChecksumPolicy.TRUST_LINK));
        }
    }

    @Test
    void trustLink_stillDropsMalformedStructure() {
        byte[] packet = syn();
        packet[IP + 20 + 1] = 1;
        assertEquals(DropReason.TCP_BAD_OPTION, decode(packet, ChecksumPolicy.TRUST_LINK));
    }

    @Test
    void everyReason_hasADescription() {
        for (DropReason reason : DropReason.values()) {
            assertTrue(reason.description() != null && !reason.description().isBlank(), reason.name());
        }
    }

    // ---- helpers ----

    /** SYN 198.18.0.1:40000 > 198.18.0.2:80 with MSS 1460: 44 bytes. */
    private static byte[] syn() {
        return TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240,
                TcpOptions.of(new TcpOption.Mss(1460))), new byte[0]);
    }

    @Test
    @Provokes(DropReason.TCP_SYN_FIN)
    void tcp_synFinWithDropSynFin_isSynFin() {
        // Not a decoder rule: the freebsd profile with drop_synfin drops it before any state is looked at.
        TcpProfile freebsd = TcpProfile.freebsd();
        TcpConfig tcp = TcpConfig.freebsd().toBuilder().profile(freebsd.withSwitches(freebsd.switches().withDropSynFin(true))).build();
        TcpStack stack = new TcpStack(StackConfig.of(SERVER, RandomSource.seeded(1)).withTcp(tcp));
        try {
            stack.listen(0, 80, 8);
            TcpHeader synFin = TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN | TcpFlags.FIN, 64240, TcpOptions.NONE);
            stack.receive(0, Unpooled.wrappedBuffer(TestPackets.tcp(synFin, new byte[0])));
            assertEquals(1, stack.stats().drops(DropReason.TCP_SYN_FIN));
            assertTrue(!stack.hasPendingOutput(), "nothing answers a dropped SYN,FIN");
        } finally {
            stack.close(0);
        }
    }

    @Test
    @Provokes(DropReason.TCP_MD5_NOT_FOUND)
    void tcp_unsignedSynToListenerWithAKeyForThePeer_isMd5NotFound() {
        assertMd5Drop(DropReason.TCP_MD5_NOT_FOUND, true, TcpOptions.of(new TcpOption.Mss(1460)));
    }

    @Test
    @Provokes(DropReason.TCP_MD5_UNEXPECTED)
    void tcp_signedSynToListenerWithoutKey_isMd5Unexpected() {
        assertMd5Drop(DropReason.TCP_MD5_UNEXPECTED, false, TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Md5Signature(new byte[16])));
    }

    @Test
    @Provokes(DropReason.TCP_MD5_FAILURE)
    void tcp_synSignedWithAnotherKey_isMd5Failure() {
        // A zero digest is not the signature of this SYN under the listener's key (RFC 2385 §2.0).
        assertMd5Drop(DropReason.TCP_MD5_FAILURE, true, TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Md5Signature(new byte[16])));
    }

    @Test
    @Provokes(DropReason.TCP_AUTH_HDR)
    void tcp_twoMd5Signatures_isAuthHdr() {
        TcpOption md5 = new TcpOption.Md5Signature(new byte[16]);
        assertMd5Drop(DropReason.TCP_AUTH_HDR, true, TcpOptions.of(md5, new TcpOption.Nop(), new TcpOption.Nop(), md5));
    }

    /** A SYN with {@code options} to a listener (with a key for the client, or none) is dropped for {@code reason}, unanswered. */
    private static void assertMd5Drop(DropReason reason, boolean listenerHasKey, TcpOptions options) {
        TcpStack stack = new TcpStack(StackConfig.of(SERVER, RandomSource.seeded(1)).withTcp(TcpConfig.linux()));
        try {
            TcpListener listener = stack.listen(0, 80, 8);
            if (listenerHasKey) {
                listener.setMd5Key(TcpMd5Key.forPeer(TestPackets.CLIENT, "secret".getBytes(StandardCharsets.US_ASCII)));
            }
            TcpHeader syn = TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, options);
            stack.receive(0, Unpooled.wrappedBuffer(TestPackets.tcp(syn, new byte[0])));
            assertEquals(1, stack.stats().drops(reason));
            assertTrue(!stack.hasPendingOutput(), "a segment dropped for its signature is not answered");
            assertEquals(0, stack.connectionCount(), "and makes no child");
        } finally {
            stack.close(0);
        }
    }

    @Test
    @Provokes(DropReason.TCP_LISTEN_SYN_FIN)
    void tcp_synFinToLinuxListener_isListenSynFin() {
        // Not a decoder rule: the linux profile discards a SYN+FIN that reaches a listener (tcp_rcv_state_process).
        TcpStack stack = new TcpStack(StackConfig.of(SERVER, RandomSource.seeded(1)).withTcp(TcpConfig.linux()));
        try {
            stack.listen(0, 80, 8);
            TcpHeader synFin = TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN | TcpFlags.FIN, 64240, TcpOptions.NONE);
            stack.receive(0, Unpooled.wrappedBuffer(TestPackets.tcp(synFin, new byte[0])));
            assertEquals(1, stack.stats().drops(DropReason.TCP_LISTEN_SYN_FIN));
            assertTrue(!stack.hasPendingOutput(), "no SYN,ACK answers it");
            assertEquals(0, stack.connectionCount());
        } finally {
            stack.close(0);
        }
    }

    @Test
    @Provokes(DropReason.ICMP_QUOTE_NOT_OURS)
    void icmp_errorQuotingAnotherHostsDatagram_isQuoteNotOurs() {
        // Not a decoder rule: the stack looks at the quote. One quoting a segment from an address not ours is dropped.
        TcpStack stack = new TcpStack(StackConfig.of(SERVER, RandomSource.seeded(1)).withTcp(TcpConfig.linux()));
        try {
            byte[] foreign = TestPackets.tcp(TestPackets.CLIENT, TestPackets.CLIENT, bareSyn(), new byte[0]);
            stack.receive(0, Unpooled.wrappedBuffer(TestPackets.unreachable(TestPackets.CLIENT, SERVER, 1, 0, foreign, 28)));
            assertEquals(1, stack.stats().drops(DropReason.ICMP_QUOTE_NOT_OURS));
            assertEquals(1, stack.stats().get(io.usertcp.core.StackStats.Counter.IcmpInErrors));
        } finally {
            stack.close(0);
        }
    }

    @Test
    @Provokes(DropReason.ICMP_NO_CONNECTION)
    void icmp_errorQuotingASegmentOfNoConnection_isNoConnection() {
        TcpStack stack = new TcpStack(StackConfig.of(SERVER, RandomSource.seeded(1)).withTcp(TcpConfig.linux()));
        try {
            byte[] ours = TestPackets.tcp(SERVER, TestPackets.CLIENT, bareSyn(), new byte[0]);
            stack.receive(0, Unpooled.wrappedBuffer(TestPackets.unreachable(TestPackets.CLIENT, SERVER, 1, 0, ours, 28)));
            assertEquals(1, stack.stats().drops(DropReason.ICMP_NO_CONNECTION));
            assertTrue(!stack.hasPendingOutput());
        } finally {
            stack.close(0);
        }
    }

    /** A SYN with no options: 20 bytes of TCP. */
    private static TcpHeader bareSyn() {
        return TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.NONE);
    }

    private static void assertDropped(DropReason expected, byte[] packet) {
        assertEquals(expected, decode(packet, ChecksumPolicy.VERIFY));
    }

    // ---- virtio-net header (frames from a TUN device with IFF_VNET_HDR) ----

    @Test
    @Provokes(DropReason.VIRTIO_TRUNCATED)
    void virtio_shorterThanTheHeader_isTruncated() {
        assertEquals(DropReason.VIRTIO_TRUNCATED, decodeFrame(new byte[VirtioNetHeader.LENGTH - 1]));
    }

    @Test
    @Provokes(DropReason.VIRTIO_BAD_FLAGS)
    void virtio_unknownFlag_isBadFlags() {
        assertEquals(DropReason.VIRTIO_BAD_FLAGS, decodeFrame(frame(0x04, 0, 0, 0, 0, syn()))); // RSC_INFO: never from TUN
    }

    @Test
    @Provokes(DropReason.VIRTIO_UNSUPPORTED_GSO)
    void virtio_udpGso_isUnsupported() {
        assertEquals(DropReason.VIRTIO_UNSUPPORTED_GSO, decodeFrame(frame(VirtioNetHeader.FLAG_NEEDS_CSUM, 3, 1000, IP, 16, syn())));
    }

    @Test
    @Provokes(DropReason.VIRTIO_BAD_GSO)
    void virtio_tcpGsoWithoutPartialChecksum_isBadGso() {
        assertEquals(DropReason.VIRTIO_BAD_GSO, decodeFrame(frame(0, VirtioNetHeader.GSO_TCPV4, 1000, 0, 0, syn())));
    }

    @Test
    @Provokes(DropReason.VIRTIO_BAD_CHECKSUM_OFFSET)
    void virtio_partialChecksumElsewhereThanTheTcpField_isBadChecksumOffset() {
        assertEquals(DropReason.VIRTIO_BAD_CHECKSUM_OFFSET,
                decodeFrame(frame(VirtioNetHeader.FLAG_NEEDS_CSUM, 0, 0, IP, 6, syn()))); // UDP's offset
    }

    static byte[] frame(int flags, int gsoType, int gsoSize, int checksumStart, int checksumOffset, byte[] datagram) {
        byte[] frame = new byte[VirtioNetHeader.LENGTH + datagram.length];
        VirtioNetHeader.write(Unpooled.wrappedBuffer(frame), 0, flags, gsoType, 0, gsoSize, checksumStart, checksumOffset);
        System.arraycopy(datagram, 0, frame, VirtioNetHeader.LENGTH, datagram.length);
        return frame;
    }

    private static DropReason decodeFrame(byte[] frame) {
        PacketDecoder decoder = new PacketDecoder(address -> address == SERVER.bits(), ChecksumPolicy.VERIFY);
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        try {
            return decoder.decodeFrame(buf);
        } finally {
            buf.release();
        }
    }

    private static DropReason decode(byte[] packet, ChecksumPolicy policy) {
        PacketDecoder decoder = new PacketDecoder(address -> address == SERVER.bits(), policy);
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            return decoder.decode(buf);
        } finally {
            buf.release();
        }
    }
}
