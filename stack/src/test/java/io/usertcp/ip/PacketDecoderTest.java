package io.usertcp.ip;

import static io.usertcp.testkit.TestPackets.CLIENT;
import static io.usertcp.testkit.TestPackets.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PacketDecoder}: the order of its checks (cheapest and most fundamental first), which views
 * it leaves valid for an accepted packet, and the source, protocol and ICMP rules of
 * RFC 1122 §3.2.
 */
class PacketDecoderTest {
    private static final int IP = Ipv4PacketView.MIN_HEADER_LENGTH;
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    private final PacketDecoder decoder = new PacketDecoder(address -> address == SERVER.bits(), ChecksumPolicy.VERIFY);

    // ---- order ----

    @Test
    void fragmentWithBadChecksum_reportsTheChecksum() {
        byte[] packet = fragment(CLIENT, SERVER);
        packet[8] ^= 1; // corrupt the TTL after the checksum was computed
        assertEquals(DropReason.IPV4_BAD_CHECKSUM, decode(packet));
    }

    @Test
    void malformedHeaderWithBadChecksum_reportsTheStructure() {
        byte[] packet = data();
        packet[0] = 0x44; // IHL 4, checksum left stale
        assertEquals(DropReason.IPV4_BAD_HEADER_LENGTH, decode(packet));
    }

    @Test
    void fragmentNotForUs_reportsTheFragment() {
        assertEquals(DropReason.IPV4_FRAGMENT, decode(fragment(CLIENT, Ipv4Address.of("198.18.0.9"))));
    }

    @Test
    void notForUsFromBadSource_reportsTheDestination() {
        byte[] packet = TestPackets.tcp(Ipv4Address.of("127.0.0.1"), Ipv4Address.of("198.18.0.9"), ack(), new byte[0]);
        assertEquals(DropReason.IPV4_NOT_FOR_US, decode(packet));
    }

    @Test
    void udpFromBadSource_reportsTheSource() {
        byte[] packet = TestPackets.udp(1, 2, new byte[4]);
        TestPackets.putInt(packet, 12, Ipv4Address.parse("224.0.0.1"));
        TestPackets.refreshIpv4Checksum(packet);
        assertEquals(DropReason.IPV4_BAD_SOURCE, decode(packet));
    }

    @Test
    void tcpWithBadOptionAndBadChecksum_reportsTheOption() {
        byte[] packet = TestPackets.tcp(TcpHeader.of(40000, 80, 1, 0, TcpFlags.SYN, 1000,
                TcpOptions.of(new TcpOption.Mss(1460))), new byte[0]);
        packet[IP + 21] = 0; // MSS length 0, TCP checksum left stale
        assertEquals(DropReason.TCP_BAD_OPTION, decode(packet));
    }

    @Test
    void badIpChecksumAndBadTcpChecksum_reportsTheIpHeader() {
        byte[] packet = data();
        packet[packet.length - 1] ^= 1;
        packet[8] ^= 1;
        assertEquals(DropReason.IPV4_BAD_CHECKSUM, decode(packet));
    }

    @Test
    void icmpErrorWithBadChecksumAndShortQuote_reportsTheChecksum() {
        byte[] packet = TestPackets.unreachable(CLIENT, SERVER, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0,
                TestPackets.tcp(SERVER, CLIENT, ack(), new byte[0]), 8);
        packet[packet.length - 1] ^= 1;
        assertEquals(DropReason.ICMP_BAD_CHECKSUM, decode(packet));
    }

    // ---- accepted packets leave the right views valid ----

    @Test
    void acceptedTcp_leavesIpAndTcpViews() {
        byte[] packet = data();
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            assertNull(decoder.decode(buf));
            assertEquals(Ipv4PacketView.PROTOCOL_TCP, decoder.protocol());
            assertEquals(CLIENT.bits(), decoder.ip().sourceAddress());
            assertEquals(SERVER.bits(), decoder.ip().destinationAddress());
            assertEquals(40000, decoder.tcp().sourcePort());
            assertEquals(80, decoder.tcp().destinationPort());
            assertEquals(101, decoder.tcp().seq());
            assertEquals(301, decoder.tcp().ack());
            assertTrue(decoder.tcp().options().hasTimestamps());
            assertEquals(HELLO.length, decoder.tcp().payloadLength());
            byte[] payload = new byte[HELLO.length];
            buf.getBytes(decoder.tcp().payloadOffset(), payload);
            assertEquals("hello", new String(payload, StandardCharsets.US_ASCII));
        } finally {
            buf.release();
        }
    }

    @Test
    void acceptedIcmp_leavesIpAndIcmpViews() {
        byte[] packet = TestPackets.echoRequest(7, 3, 56);
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            assertNull(decoder.decode(buf));
            assertEquals(Ipv4PacketView.PROTOCOL_ICMP, decoder.protocol());
            assertEquals(Icmpv4MessageView.TYPE_ECHO_REQUEST, decoder.icmp().type());
            assertEquals(7, decoder.icmp().identifier());
            assertEquals(3, decoder.icmp().sequenceNumber());
            assertEquals(64, decoder.icmp().length());
        } finally {
            buf.release();
        }
    }

    @Test
    void decode_usesReadableBytes_andMovesNoIndex() {
        byte[] packet = data();
        ByteBuf buf = Unpooled.buffer(packet.length + 20);
        try {
            buf.writeBytes(new byte[14]).writeBytes(packet);
            buf.readerIndex(14); // after a link header
            int writerIndex = buf.writerIndex();
            assertNull(decoder.decode(buf));
            assertEquals(14, decoder.ip().offset());
            assertEquals(14 + IP, decoder.tcp().offset());
            assertEquals(14, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
            assertNull(decoder.decode(buf, 14, packet.length));
            assertEquals(DropReason.IPV4_TRUNCATED, decoder.decode(buf, 0, 14));
        } finally {
            buf.release();
        }
    }

    @Test
    void decoderReuse_forgetsThePreviousSegmentsOptions() {
        assertNull(decode(TestPackets.tcp(TcpHeader.of(40000, 80, 1, 0, TcpFlags.SYN, 1000,
                TcpOptions.of(new TcpOption.Mss(1460))), new byte[0])));
        assertTrue(decoder.tcp().options().hasMss());
        assertNull(decode(TestPackets.tcp(ack(), new byte[0])));
        assertFalse(decoder.tcp().options().hasMss());
    }

    @Test
    void severalLocalAddresses_areAllAccepted() {
        Ipv4Address second = Ipv4Address.of("198.19.0.2");
        PacketDecoder twoAddresses = new PacketDecoder(a -> a == SERVER.bits() || a == second.bits(), ChecksumPolicy.VERIFY);
        for (Ipv4Address destination : List.of(SERVER, second)) {
            byte[] packet = TestPackets.tcp(CLIENT, destination, ack(), new byte[0]);
            ByteBuf buf = Unpooled.wrappedBuffer(packet);
            try {
                assertNull(twoAddresses.decode(buf), destination.toString());
            } finally {
                buf.release();
            }
        }
    }

    // ---- source, protocol and ICMP rules ----

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "255.255.255.255", "224.0.0.1", "127.0.0.1", "0.1.2.3", "240.0.0.1"})
    void source_notAUnicastHost_isBadSource(String source) {
        // RFC 1122 §3.2.1.3: a datagram from {0,0}, a broadcast, multicast, class E or loopback source is dropped.
        assertEquals(DropReason.IPV4_BAD_SOURCE, decode(TestPackets.tcp(Ipv4Address.of(source), SERVER, ack(), new byte[0])));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "198.18.0.1", "223.255.255.254"})
    void source_unicastHost_isAccepted(String source) {
        assertNull(decode(TestPackets.tcp(Ipv4Address.of(source), SERVER, ack(), new byte[0])));
    }

    @Test
    void udp_isUnsupportedProtocol() {
        assertEquals(DropReason.IPV4_UNSUPPORTED_PROTOCOL, decode(TestPackets.udp(40008, 33434, new byte[17])));
    }

    @Test
    void sourceQuench_isUnsupportedType() {
        // RFC 6633 §3: hosts MUST silently discard ICMP Source Quench.
        byte[] offending = TestPackets.tcp(SERVER, CLIENT, ack(), new byte[0]);
        byte[] packet = TestPackets.icmp(CLIENT, SERVER, 4, 0, 0, Arrays.copyOf(offending, 28));
        assertEquals(DropReason.ICMP_UNSUPPORTED_TYPE, decode(packet));
    }

    @Test
    void icmpErrors_withFullQuote_areAccepted() {
        byte[] quote = Arrays.copyOf(TestPackets.tcp(SERVER, CLIENT, ack(), new byte[0]), 28);
        for (int type : new int[] {Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE, Icmpv4MessageView.TYPE_TIME_EXCEEDED,
                Icmpv4MessageView.TYPE_PARAMETER_PROBLEM}) {
            assertNull(decode(TestPackets.icmp(CLIENT, SERVER, type, 0, 0, quote)), "type " + type);
        }
    }

    @Test
    void constructor_rejectsNulls() {
        assertThrows(IllegalArgumentException.class, () -> new PacketDecoder(null, ChecksumPolicy.VERIFY));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PacketDecoder(a -> true, null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    // ---- helpers ----

    private static TcpHeader ack() {
        return TcpHeader.of(40000, 80, 101, 301, TcpFlags.ACK, 502, TcpOptions.NONE);
    }

    /** 40000 > 80, PSH|ACK, timestamps, "hello". */
    private static byte[] data() {
        TcpOptions ts = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(5, 6));
        return TestPackets.tcp(TcpHeader.of(40000, 80, 101, 301, TcpFlags.PSH | TcpFlags.ACK, 502, ts), HELLO);
    }

    /** A first fragment (MF set) of a TCP segment, checksums correct. */
    private static byte[] fragment(Ipv4Address source, Ipv4Address destination) {
        Ipv4Header ip = new Ipv4Header(0, IP + 20, 1, Ipv4PacketView.FLAG_MORE_FRAGMENTS, 0, 64,
                Ipv4PacketView.PROTOCOL_TCP, 0, source, destination, null);
        return TestPackets.tcp(ip, ack(), new byte[0]);
    }

    private DropReason decode(byte[] packet) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            return decoder.decode(buf);
        } finally {
            buf.release();
        }
    }
}
