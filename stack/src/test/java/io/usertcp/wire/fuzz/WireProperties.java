package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.PacketMutator;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Header;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What must hold for any bytes a view accepted: every accessor works and agrees with the others,
 * the value records parse, and parse → emit → parse gives the same record. Shared by the fuzz tests
 * so that each target states the same properties the same way.
 */
final class WireProperties {
    private WireProperties() {}

    // ---- IPv4 ----

    /** @param data the bytes the view covers, from its offset */
    static void assertIpv4Accepted(Ipv4PacketView ip, byte[] data) {
        assertEquals(4, ip.version());
        int headerLength = ip.headerLength();
        assertTrue(headerLength >= Ipv4PacketView.MIN_HEADER_LENGTH && headerLength <= Ipv4PacketView.MAX_HEADER_LENGTH);
        assertTrue(ip.totalLength() >= headerLength && ip.totalLength() <= ip.length());
        assertEquals(ip.offset() + headerLength, ip.payloadOffset());
        assertEquals(ip.totalLength() - headerLength, ip.payloadLength());
        assertEquals(ip.offset() + Ipv4PacketView.MIN_HEADER_LENGTH, ip.optionsOffset());
        assertEquals(headerLength - Ipv4PacketView.MIN_HEADER_LENGTH, ip.optionsLength());
        assertEquals(ip.tos(), ip.dscp() << 2 | ip.ecn());
        assertEquals((ip.flags() & Ipv4PacketView.FLAG_DONT_FRAGMENT) != 0, ip.dontFragment());
        assertEquals((ip.flags() & Ipv4PacketView.FLAG_MORE_FRAGMENTS) != 0, ip.moreFragments());
        assertEquals(ip.moreFragments() || ip.fragmentOffset() != 0, ip.isFragment());
        assertEquals(PacketMutator.checksumVerifies(data, 0, headerLength), ip.headerChecksumValid());
        assertIpv4RoundTrip(ip);
    }

    /** parse → emit → parse is the identity except for the checksum, which emit computes afresh. */
    private static void assertIpv4RoundTrip(Ipv4PacketView ip) {
        Ipv4Header header = Ipv4Header.parse(ip);
        assertEquals(header, Ipv4Header.parse(ip), "parse is not repeatable");
        assertEquals(ip.headerLength(), header.headerLength());
        assertEquals(ip.payloadLength(), header.payloadLength());
        ByteBuf copy = Unpooled.buffer(ip.totalLength());
        try {
            copy.writerIndex(ip.totalLength());
            copy.setBytes(ip.headerLength(), ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            Ipv4PacketView emitted = new Ipv4PacketView().wrap(copy, 0, ip.totalLength());
            assertEquals(ip.headerLength(), header.emit(emitted));
            assertNull(emitted.check());
            assertTrue(emitted.headerChecksumValid());
            Ipv4Header reparsed = Ipv4Header.parse(emitted);
            assertEquals(withChecksum(header, reparsed.headerChecksum()), reparsed);
            byte[] original = ByteBufUtil.getBytes(ip.buffer(), ip.offset(), ip.totalLength());
            byte[] emittedBytes = ByteBufUtil.getBytes(copy, 0, ip.totalLength());
            original[10] = original[11] = emittedBytes[10] = emittedBytes[11] = 0;
            assertArrayEquals(original, emittedBytes, "emit did not reproduce the header bytes");
        } finally {
            copy.release();
        }
    }

    private static Ipv4Header withChecksum(Ipv4Header h, int checksum) {
        return new Ipv4Header(h.tos(), h.totalLength(), h.identification(), h.flags(), h.fragmentOffset(), h.ttl(),
                h.protocol(), checksum, h.source(), h.destination(), h.options());
    }

    // ---- TCP ----

    /** @param data the bytes the view covers, from its offset; addresses for the pseudo-header */
    static void assertTcpAccepted(TcpSegmentView tcp, byte[] data, int source, int destination) {
        int headerLength = tcp.headerLength();
        assertTrue(headerLength >= TcpSegmentView.MIN_HEADER_LENGTH && headerLength <= TcpSegmentView.MAX_HEADER_LENGTH);
        assertTrue(headerLength <= tcp.length());
        assertTrue(tcp.sourcePort() != 0 && tcp.destinationPort() != 0);
        assertEquals(tcp.offset() + headerLength, tcp.payloadOffset());
        assertEquals(tcp.length() - headerLength, tcp.payloadLength());
        assertEquals(headerLength - TcpSegmentView.MIN_HEADER_LENGTH, tcp.optionsLength());
        assertTrue(tcp.reserved() >= 0 && tcp.reserved() < 16);
        int flags = tcp.flags();
        for (int bit = 1; bit < 0x100; bit <<= 1) {
            assertEquals((flags & bit) != 0, tcp.hasFlag(bit));
        }
        int expectedSegmentLength = tcp.payloadLength() + ((flags & TcpFlags.SYN) != 0 ? 1 : 0) + ((flags & TcpFlags.FIN) != 0 ? 1 : 0);
        assertEquals(expectedSegmentLength, tcp.segmentLength()); // RFC 9293 §3.4: SEG.LEN counts SYN and FIN
        assertEquals(PacketMutator.tcpChecksumVerifies(source, destination, data, 0, tcp.length()),
                tcp.checksumValid(source, destination));
        TcpHeader header = TcpHeader.parse(tcp);
        assertOptionsAgree(header.options(), tcp.options());
        assertTrue(header.options().format().startsWith("["));
        assertTcpRoundTrip(tcp, header, source, destination);
    }

    /** parse → emit → parse is the identity except for the checksum (emit writes 0, fillChecksum the real one). */
    private static void assertTcpRoundTrip(TcpSegmentView tcp, TcpHeader header, int source, int destination) {
        ByteBuf copy = Unpooled.buffer(tcp.length());
        try {
            copy.writerIndex(tcp.length());
            copy.setBytes(tcp.headerLength(), tcp.buffer(), tcp.payloadOffset(), tcp.payloadLength());
            TcpSegmentView emitted = new TcpSegmentView().wrap(copy, 0, tcp.length());
            assertEquals(tcp.headerLength(), header.emit(emitted));
            assertNull(emitted.check(), "emitted header does not check");
            assertEquals(withChecksum(header, 0), TcpHeader.parse(emitted));
            emitted.fillChecksum(source, destination);
            assertTrue(emitted.checksumValid(source, destination));
            TcpHeader reparsed = TcpHeader.parse(emitted);
            assertEquals(withChecksum(header, reparsed.checksum()), reparsed);
            assertOptionsAgree(reparsed.options(), emitted.options());
            byte[] original = ByteBufUtil.getBytes(tcp.buffer(), tcp.offset(), tcp.length());
            byte[] emittedBytes = ByteBufUtil.getBytes(copy, 0, tcp.length());
            original[16] = original[17] = emittedBytes[16] = emittedBytes[17] = 0;
            zeroAfterOptions(original, header.options());
            assertArrayEquals(original, emittedBytes, "emit did not reproduce the segment");
        } finally {
            copy.release();
        }
    }

    /** Bytes after the last option (after an EOL: RFC 9293 §3.2 padding) are emitted as zeros. */
    private static void zeroAfterOptions(byte[] segment, TcpOptions options) {
        int end = TcpSegmentView.MIN_HEADER_LENGTH;
        for (TcpOption option : options.list()) {
            end += option.encodedLength();
        }
        Arrays.fill(segment, end, TcpSegmentView.MIN_HEADER_LENGTH + options.areaLength(), (byte) 0);
    }

    private static TcpHeader withChecksum(TcpHeader h, int checksum) {
        return new TcpHeader(h.sourcePort(), h.destinationPort(), h.seq(), h.ack(), h.reserved(), h.flags(),
                h.window(), checksum, h.urgentPointer(), h.options());
    }

    /**
     * The allocation-free {@link ParsedTcpOptions} and the {@link TcpOptions} value are two sinks of
     * one parser; they must tell the same story: the last option of each kind wins.
     */
    static void assertOptionsAgree(TcpOptions value, ParsedTcpOptions parsed) {
        assertEquals(value.mss().isPresent(), parsed.hasMss());
        value.mss().ifPresent(mss -> assertEquals(mss, parsed.mss()));
        assertEquals(value.windowScale().isPresent(), parsed.hasWindowScale());
        value.windowScale().ifPresent(shift -> assertEquals(shift, parsed.windowScale()));
        assertEquals(value.sackPermitted(), parsed.sackPermitted());
        Optional<TcpOption.Timestamps> ts = value.timestamps();
        assertEquals(ts.isPresent(), parsed.hasTimestamps());
        ts.ifPresent(t -> {
            assertEquals(t.tsVal(), parsed.tsVal());
            assertEquals(t.tsEcr(), parsed.tsEcr());
        });
        List<TcpOption.SackBlock> blocks = value.sack().map(TcpOption.Sack::blocks).orElse(List.of());
        assertEquals(blocks.size(), parsed.sackBlockCount());
        for (int i = 0; i < blocks.size(); i++) {
            assertEquals(blocks.get(i), new TcpOption.SackBlock(parsed.sackLeft(i), parsed.sackRight(i)));
        }
        assertEquals(value.list().stream().filter(o -> o instanceof TcpOption.Unknown).count(), parsed.unknownCount());
        assertEquals(value.md5Signature().isPresent(), parsed.hasMd5Signature());
        assertEquals(value.list().stream().filter(o -> o instanceof TcpOption.Md5Signature).count(), parsed.md5SignatureCount());
    }

    // ---- ICMP ----

    /** RFC 792: a usable quote is a whole IPv4 header (version 4, IHL ≥ 5) and the 8 bytes after it. */
    private static void assertQuoteJudgedByItsHeader(Icmpv4MessageView icmp, byte[] data) {
        DropReason quote = icmp.checkQuote();
        int body = icmp.bodyLength();
        int versionAndIhl = body > 0 ? data[Icmpv4MessageView.HEADER_LENGTH] & 0xFF : 0;
        int quotedHeaderLength = (versionAndIhl & 0x0F) * 4;
        boolean usable = body >= Icmpv4MessageView.MIN_QUOTE_LENGTH && versionAndIhl >>> 4 == 4
                && quotedHeaderLength >= Ipv4PacketView.MIN_HEADER_LENGTH && quotedHeaderLength + 8 <= body;
        assertEquals(usable ? null : DropReason.ICMP_BAD_QUOTE, quote);
    }

    /** @param data the bytes the view covers, from its offset */
    static void assertIcmpAccepted(Icmpv4MessageView icmp, byte[] data) {
        assertTrue(icmp.length() >= Icmpv4MessageView.HEADER_LENGTH);
        assertEquals(data[0] & 0xFF, icmp.type());
        assertEquals(data[1] & 0xFF, icmp.code());
        assertEquals(icmp.restOfHeader(), icmp.identifier() << 16 | icmp.sequenceNumber());
        assertEquals(icmp.sequenceNumber(), icmp.nextHopMtu());
        assertEquals(icmp.offset() + Icmpv4MessageView.HEADER_LENGTH, icmp.bodyOffset());
        assertEquals(icmp.length() - Icmpv4MessageView.HEADER_LENGTH, icmp.bodyLength());
        int type = icmp.type();
        assertEquals(type == 3 || type == 4 || type == 11 || type == 12, icmp.isError()); // RFC 792 error types
        assertEquals(PacketMutator.checksumVerifies(data, 0, icmp.length()), icmp.checksumValid());
        assertQuoteJudgedByItsHeader(icmp, data);
        ByteBuf copy = Unpooled.copiedBuffer(data, 0, icmp.length());
        try {
            Icmpv4MessageView refilled = new Icmpv4MessageView().wrap(copy, 0, icmp.length());
            refilled.fillChecksum();
            assertTrue(refilled.checksumValid());
            assertEquals(icmp.restOfHeader(), refilled.restOfHeader());
        } finally {
            copy.release();
        }
    }
}
