package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.PcapFile;
import io.usertcp.testkit.TestPackets;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link Ipv4PacketView} and {@link Ipv4Header} (RFC 791 §3.1): accessors on hand-built and
 * captured datagrams, setters and their range checks, structural checks, IPv4 options, and
 * parse/emit round trips.
 */
class Ipv4PacketViewTest {
    /**
     * A widely published example header: total length 0x73, DF, TTL 64, UDP, checksum b861,
     * 192.168.0.1 > 192.168.0.199.
     */
    private static final String EXAMPLE_HEADER = "450000730000400040 11b861c0a80001c0a800c7".replace(" ", "");

    @Test
    void accessors_readTheExampleHeader() {
        withView(Arrays.copyOf(example(), 0x73), view -> {
            assertNull(view.check());
            assertEquals(4, view.version());
            assertEquals(20, view.headerLength());
            assertEquals(0, view.tos());
            assertEquals(0x73, view.totalLength());
            assertEquals(0, view.identification());
            assertEquals(Ipv4PacketView.FLAG_DONT_FRAGMENT, view.flags());
            assertTrue(view.dontFragment());
            assertFalse(view.moreFragments());
            assertEquals(0, view.fragmentOffset());
            assertFalse(view.isFragment());
            assertEquals(64, view.ttl());
            assertEquals(Ipv4PacketView.PROTOCOL_UDP, view.protocol());
            assertEquals(0xb861, view.headerChecksum());
            assertEquals(Ipv4Address.parse("192.168.0.1"), view.sourceAddress());
            assertEquals(Ipv4Address.parse("192.168.0.199"), view.destinationAddress());
            assertTrue(view.headerChecksumValid());
        });
    }

    @Test
    void check_exampleHeaderPaddedToItsTotalLength_isValid() {
        byte[] datagram = Arrays.copyOf(example(), 0x73);
        withView(datagram, view -> {
            assertNull(view.check());
            assertEquals(20, view.payloadOffset());
            assertEquals(0x73 - 20, view.payloadLength());
            assertEquals(0, view.optionsLength());
            assertEquals(20, view.optionsOffset());
        });
    }

    @Test
    void tos_splitsIntoDscpAndEcn() {
        byte[] header = example();
        header[1] = (byte) 0xB9; // DSCP 46 (EF), ECN 01 = ECT(1)
        withView(header, view -> {
            assertEquals(0xB9, view.tos());
            assertEquals(46, view.dscp());
            assertEquals(1, view.ecn());
        });
        header[1] = 0x02; // RFC 3168 §5: ECT(0)
        withView(header, view -> assertEquals(2, view.ecn()));
    }

    @Test
    void fragmentFields_distinguishFlagsFromOffset() {
        byte[] header = example();
        header[6] = 0x20 | 0x01; // MF, offset high bits 0x01
        header[7] = 0x72;        // offset 0x172 = 370 units = 2960 bytes
        withView(header, view -> {
            assertTrue(view.moreFragments());
            assertFalse(view.dontFragment());
            assertEquals(0x172, view.fragmentOffset());
            assertTrue(view.isFragment());
        });
        header[6] = 0;
        header[7] = 1; // last fragment: offset only
        withView(header, view -> assertTrue(view.isFragment()));
        header[6] = (byte) 0x80; // only the reserved flag
        header[7] = 0;
        withView(header, view -> {
            assertEquals(Ipv4PacketView.FLAG_RESERVED, view.flags());
            assertFalse(view.isFragment());
        });
    }

    @Test
    void check_doesNotJudgeTheChecksum() {
        byte[] datagram = Arrays.copyOf(example(), 0x73);
        datagram[8] = 1;
        withView(datagram, view -> {
            assertNull(view.check());
            assertFalse(view.headerChecksumValid());
        });
    }

    @Test
    void check_structuralDefects_inOrder() {
        assertEquals(DropReason.IPV4_TRUNCATED, checkOf(new byte[0]));
        assertEquals(DropReason.IPV4_TRUNCATED, checkOf(Arrays.copyOf(example(), 19)));
        assertEquals(DropReason.IPV4_BAD_VERSION, checkOf(withByte(example(), 0, 0x45 + 0x20)));
        assertEquals(DropReason.IPV4_BAD_HEADER_LENGTH, checkOf(withByte(example(), 0, 0x40)));
        // The header fits the bytes but not the total length: the total length is wrong.
        byte[] ihl6 = Arrays.copyOf(withByte(example(), 0, 0x46), 0x73);
        TestPackets.putShort(ihl6, 2, 20);
        assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH, checkOf(ihl6));
        assertEquals(DropReason.IPV4_HEADER_OVERRUN, checkOf(withByte(example(), 0, 0x46)));
        assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH, checkOf(example())); // 20 bytes, total length 0x73
    }

    @Test
    void check_linkPaddingAfterTotalLength_isAllowed() {
        byte[] datagram = Arrays.copyOf(example(), 0x73 + 6);
        withView(datagram, view -> {
            assertNull(view.check());
            assertEquals(0x73 + 6, view.length());
            assertEquals(0x73 - 20, view.payloadLength());
        });
    }

    // ---- IPv4 options (RFC 791 §3.1) ----

    @Test
    void recordRouteOption_fromLinux_isValidAndSkipped() throws IOException {
        // ping -R: IHL 15, NOP + record route (type 7, length 39), then the ICMP echo at byte 60.
        for (int index : new int[] {6, 7}) {
            byte[] packet = golden("icmp.pcap", index);
            withView(packet, view -> {
                assertNull(view.check());
                assertTrue(view.headerChecksumValid());
                assertEquals(60, view.headerLength());
                assertEquals(40, view.optionsLength());
                assertEquals(60, view.payloadOffset());
                assertEquals(64, view.payloadLength());
                int type = view.buffer().getUnsignedByte(view.payloadOffset());
                assertTrue(type == Icmpv4MessageView.TYPE_ECHO_REQUEST || type == Icmpv4MessageView.TYPE_ECHO_REPLY);
            });
        }
    }

    @Test
    void options_nopAndEolAndSkippable_areValid() {
        assertNull(checkOf(withOptions(1, 1, 1, 0)));
        assertNull(checkOf(withOptions(0, 0x99, 0x00, 0x01))); // after End of Option List: not read
        assertNull(checkOf(withOptions(7, 7, 4, 198, 18, 0, 1, 0))); // record route, one slot filled
        assertNull(checkOf(withOptions(0x88, 4, 0x12, 0x34))); // stream id, RFC 791
    }

    @Test
    void options_malformedLengths_areBadOption() {
        assertEquals(DropReason.IPV4_BAD_OPTION, checkOf(withOptions(7, 0, 0, 0)));
        assertEquals(DropReason.IPV4_BAD_OPTION, checkOf(withOptions(7, 1, 0, 0)));
        assertEquals(DropReason.IPV4_BAD_OPTION, checkOf(withOptions(7, 5, 0, 0)));   // runs past the header
        assertEquals(DropReason.IPV4_BAD_OPTION, checkOf(withOptions(1, 1, 1, 7)));   // no length byte
    }

    // ---- setters ----

    @Test
    void setters_writeEveryField_andFillHeaderChecksum_reproducesTheExample() {
        byte[] bytes = new byte[20];
        withView(bytes, view -> {
            view.setVersionAndHeaderLength(20);
            view.setTos(0);
            view.setTotalLength(0x73);
            view.setIdentification(0);
            view.setFlagsAndFragmentOffset(Ipv4PacketView.FLAG_DONT_FRAGMENT, 0);
            view.setTtl(64);
            view.setProtocol(Ipv4PacketView.PROTOCOL_UDP);
            view.setSourceAddress(Ipv4Address.parse("192.168.0.1"));
            view.setDestinationAddress(Ipv4Address.parse("192.168.0.199"));
            view.setHeaderChecksum(0xFFFF); // must be ignored by the computation
            view.fillHeaderChecksum();
        });
        assertArrayEquals(example(), bytes);
    }

    @Test
    void setters_roundTripThroughAccessors() {
        withView(new byte[24], view -> {
            view.setVersionAndHeaderLength(24);
            view.setTos(0xFF);
            view.setTotalLength(65535);
            view.setIdentification(0xBEEF);
            view.setFlagsAndFragmentOffset(Ipv4PacketView.FLAG_MORE_FRAGMENTS, 8191);
            view.setTtl(255);
            view.setProtocol(Ipv4PacketView.PROTOCOL_TCP);
            view.setSourceAddress(0xFFFF_FFFF);
            view.setDestinationAddress(0x8000_0000);
            assertEquals(4, view.version());
            assertEquals(24, view.headerLength());
            assertEquals(0xFF, view.tos());
            assertEquals(65535, view.totalLength());
            assertEquals(0xBEEF, view.identification());
            assertEquals(Ipv4PacketView.FLAG_MORE_FRAGMENTS, view.flags());
            assertEquals(8191, view.fragmentOffset());
            assertEquals(255, view.ttl());
            assertEquals(Ipv4PacketView.PROTOCOL_TCP, view.protocol());
            assertEquals(0xFFFF_FFFF, view.sourceAddress());
            assertEquals(0x8000_0000, view.destinationAddress());
        });
    }

    @Test
    void setters_outOfRange_throwNamingValueAndRange() {
        withView(new byte[20], view -> {
            assertMessage("headerLength: 19", () -> view.setVersionAndHeaderLength(19));
            assertMessage("headerLength: 64", () -> view.setVersionAndHeaderLength(64));
            assertMessage("headerLength: 22", () -> view.setVersionAndHeaderLength(22));
            assertMessage("tos: 256 (expected: 0..255)", () -> view.setTos(256));
            assertMessage("totalLength: 65536 (expected: 0..65535)", () -> view.setTotalLength(65536));
            assertMessage("identification: -1", () -> view.setIdentification(-1));
            assertMessage("flags: 8 (expected: 0..7)", () -> view.setFlagsAndFragmentOffset(8, 0));
            assertMessage("fragmentOffset: 8192 (expected: 0..8191)", () -> view.setFlagsAndFragmentOffset(0, 8192));
            assertMessage("ttl: 256", () -> view.setTtl(256));
            assertMessage("protocol: 300", () -> view.setProtocol(300));
            assertMessage("checksum: 65536", () -> view.setHeaderChecksum(65536));
        });
    }

    @Test
    void wrap_regionOutsideTheBuffer_throws() {
        ByteBuf buf = Unpooled.buffer(20);
        try {
            Ipv4PacketView view = new Ipv4PacketView();
            assertMessage("offset -1", () -> view.wrap(buf, -1, 10));
            assertMessage("length -1", () -> view.wrap(buf, 0, -1));
            assertMessage("length 21", () -> view.wrap(buf, 0, 21));
            assertMessage("offset 10", () -> view.wrap(buf, 10, 11));
            // offset + length overflows int: must still be refused, not wrapped round.
            assertMessage("offset 1", () -> view.wrap(buf, 1, Integer.MAX_VALUE));
            view.wrap(buf, 20, 0);
            assertEquals(DropReason.IPV4_TRUNCATED, view.check());
        } finally {
            buf.release();
        }
    }

    @Test
    void view_neverMovesReaderOrWriterIndex() throws IOException {
        byte[] packet = golden("icmp.pcap", 6);
        ByteBuf buf = Unpooled.buffer(packet.length + 16);
        try {
            buf.writeZero(8).writeBytes(packet).writeZero(8);
            buf.readerIndex(5);
            int writerIndex = buf.writerIndex();
            Ipv4PacketView view = new Ipv4PacketView().wrap(buf, 8, packet.length);
            assertNull(view.check());
            assertTrue(view.headerChecksumValid());
            Ipv4Header header = Ipv4Header.parse(view);
            view.setTtl(63);
            view.fillHeaderChecksum();
            header.emit(view);
            assertEquals(5, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void view_isReusable_wrapReplacesTheRegion() {
        byte[] a = Arrays.copyOf(example(), 0x73);
        byte[] b = TestPackets.echoRequest(1, 1, 8);
        ByteBuf bufA = Unpooled.wrappedBuffer(a);
        ByteBuf bufB = Unpooled.wrappedBuffer(b);
        try {
            Ipv4PacketView view = new Ipv4PacketView();
            assertNull(view.wrap(bufA, 0, a.length).check());
            assertEquals(Ipv4PacketView.PROTOCOL_UDP, view.protocol());
            assertNull(view.wrap(bufB, 0, b.length).check());
            assertEquals(Ipv4PacketView.PROTOCOL_ICMP, view.protocol());
            assertEquals(b.length, view.length());
            assertEquals(bufB, view.buffer());
        } finally {
            bufA.release();
            bufB.release();
        }
    }

    // ---- Ipv4Header (the value) ----

    @Test
    void header_parseThenEmit_reproducesCapturedBytes() throws IOException {
        // icmp.pcap has IPv4 options, fragments and a non-zero ToS; GoldenPacketsTest covers every capture.
        for (String file : List.of("icmp.pcap")) {
            List<PcapFile.Packet> packets = PcapFile.readResource(Ipv4PacketViewTest.class, "golden/" + file);
            for (PcapFile.Packet packet : packets) {
                byte[] original = packet.ipv4();
                Ipv4Header header = parseHeader(original);
                byte[] emitted = new byte[header.headerLength()];
                withView(emitted, view -> assertEquals(header.headerLength(), header.emit(view)));
                assertArrayEquals(Arrays.copyOf(original, header.headerLength()), emitted, file + " #" + packet.index());
            }
        }
    }

    @Test
    void header_parse_readsEveryField() throws IOException {
        Ipv4Header header = parseHeader(golden("icmp.pcap", 11)); // port unreachable, ToS 0xc0
        assertEquals(0xc0, header.tos());
        assertEquals(73, header.totalLength());
        assertEquals(20, header.headerLength());
        assertEquals(53, header.payloadLength());
        assertEquals(0, header.flags());
        assertFalse(header.dontFragment());
        assertFalse(header.moreFragments());
        assertEquals(64, header.ttl());
        assertEquals(Ipv4PacketView.PROTOCOL_ICMP, header.protocol());
        assertEquals(Ipv4Address.of("198.18.0.2"), header.source());
        assertEquals(Ipv4Address.of("198.18.0.1"), header.destination());
        assertEquals(0, header.options().length);
    }

    @Test
    void header_of_hasDontFragmentAndNoOptions() {
        Ipv4Header header = Ipv4Header.of(TestPackets.CLIENT, TestPackets.SERVER, 6, 20, 64, 7);
        assertEquals(40, header.totalLength());
        assertTrue(header.dontFragment());
        assertEquals(0, header.fragmentOffset());
        assertEquals(20, header.headerLength());
        assertEquals(7, header.identification());
    }

    @Test
    void header_recordValidation_namesTheValue() {
        Ipv4Address a = TestPackets.CLIENT;
        assertMessage("options: 3 bytes", () -> new Ipv4Header(0, 40, 0, 0, 0, 64, 6, 0, a, a, new byte[3]));
        assertMessage("options: 44 bytes", () -> new Ipv4Header(0, 100, 0, 0, 0, 64, 6, 0, a, a, new byte[44]));
        assertMessage("totalLength: 23", () -> new Ipv4Header(0, 23, 0, 0, 0, 64, 6, 0, a, a, new byte[4]));
        assertMessage("ttl: 256", () -> new Ipv4Header(0, 40, 0, 0, 0, 256, 6, 0, a, a, null));
        assertMessage("fragmentOffset: 8192", () -> new Ipv4Header(0, 40, 0, 0, 8192, 64, 6, 0, a, a, null));
    }

    @Test
    void header_emitIntoTooSmallView_throws() {
        Ipv4Header header = new Ipv4Header(0, 64, 0, 0, 0, 64, 6, 0, TestPackets.CLIENT, TestPackets.SERVER, new byte[4]);
        withView(new byte[20], view -> assertMessage("view: 20 bytes (expected: at least 24)", () -> header.emit(view)));
    }

    @Test
    void header_optionsAreCopied_andCompareByContent() {
        byte[] options = {1, 1, 1, 0};
        Ipv4Header header = new Ipv4Header(0, 24, 0, 0, 0, 64, 6, 0, TestPackets.CLIENT, TestPackets.SERVER, options);
        options[0] = 7;
        header.options()[1] = 7;
        assertArrayEquals(new byte[] {1, 1, 1, 0}, header.options());
        Ipv4Header same = new Ipv4Header(0, 24, 0, 0, 0, 64, 6, 0, TestPackets.CLIENT, TestPackets.SERVER, new byte[] {1, 1, 1, 0});
        assertEquals(same, header);
        assertEquals(same.hashCode(), header.hashCode());
        assertNotEquals(same, new Ipv4Header(0, 24, 0, 0, 0, 64, 6, 0, TestPackets.CLIENT, TestPackets.SERVER, new byte[] {1, 1, 0, 0}));
        assertTrue(header.toString().contains("198.18.0.1 > 198.18.0.2"), header.toString());
    }

    // ---- helpers ----

    private static byte[] example() {
        return HexFormat.of().parseHex(EXAMPLE_HEADER);
    }

    private static byte[] withByte(byte[] bytes, int at, int value) {
        bytes[at] = (byte) value;
        return bytes;
    }

    /** A 24-byte datagram whose 4 option bytes are given, total length 24. */
    private static byte[] withOptions(int... options) {
        byte[] bytes = new byte[20 + options.length];
        bytes[0] = (byte) (0x40 | (bytes.length / 4));
        TestPackets.putShort(bytes, 2, bytes.length);
        for (int i = 0; i < options.length; i++) {
            bytes[20 + i] = (byte) options[i];
        }
        return bytes;
    }

    private static DropReason checkOf(byte[] bytes) {
        DropReason[] reason = new DropReason[1];
        withView(bytes, view -> reason[0] = view.check());
        return reason[0];
    }

    private static Ipv4Header parseHeader(byte[] packet) {
        Ipv4Header[] header = new Ipv4Header[1];
        withView(packet, view -> {
            assertNull(view.check());
            header[0] = Ipv4Header.parse(view);
        });
        return header[0];
    }

    static byte[] golden(String file, int index) throws IOException {
        return PcapFile.readResource(Ipv4PacketViewTest.class, "golden/" + file).get(index).ipv4();
    }

    private static void withView(byte[] bytes, Consumer<Ipv4PacketView> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            body.accept(new Ipv4PacketView().wrap(buf, 0, bytes.length));
        } finally {
            buf.release();
        }
    }

    private static void assertMessage(String expectedPart, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '" + expectedPart + "'");
    }
}
