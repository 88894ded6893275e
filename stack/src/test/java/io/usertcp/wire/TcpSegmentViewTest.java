package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.function.Executable;

/**
 * {@link TcpSegmentView} and {@link TcpHeader} (RFC 9293 §3.1): accessors on a hand-built segment,
 * SEG.LEN, setters and their range checks, checksums against segments the Linux kernel built, and
 * parse/emit round trips that reproduce captured packets byte for byte.
 */
class TcpSegmentViewTest {
    /**
     * Captures with the unusual fields (ECN flags, URG and its pointer, RST with and without ACK,
     * zero windows). {@code GoldenPacketsTest} runs the same kind of checks over every capture.
     */
    private static final List<String> TCP_CAPTURES = List.of("tcp-rst-closed-port.pcap", "tcp-ecn-urg.pcap");

    /**
     * 40001 > 5000, seq 0xF3A0B1C2, ack 0x80000001, data offset 6 with reserved bits 0101,
     * flags PSH|ACK, window 65535, checksum 0x1234, urgent pointer 7, MSS 1460, payload "hello".
     */
    private static final String HAND_BUILT = "9c411388" + "f3a0b1c2" + "80000001" + "6518ffff" + "12340007"
            + "020405b4" + "68656c6c6f";

    @Test
    void accessors_readTheHandBuiltSegment() {
        withView(handBuilt(), view -> {
            assertNull(view.check());
            assertEquals(40001, view.sourcePort());
            assertEquals(5000, view.destinationPort());
            assertEquals(0xF3A0_B1C2, view.seq());
            assertEquals(0x8000_0001, view.ack());
            assertEquals(24, view.headerLength());
            assertEquals(0b0101, view.reserved());
            assertEquals(TcpFlags.PSH | TcpFlags.ACK, view.flags());
            assertTrue(view.hasFlag(TcpFlags.ACK));
            assertTrue(view.hasFlag(TcpFlags.PSH | TcpFlags.ACK));
            assertFalse(view.hasFlag(TcpFlags.SYN | TcpFlags.ACK));
            assertEquals(65535, view.window());
            assertEquals(0x1234, view.checksum());
            assertEquals(7, view.urgentPointer());
            assertEquals(20, view.optionsOffset());
            assertEquals(4, view.optionsLength());
            assertEquals(24, view.payloadOffset());
            assertEquals(5, view.payloadLength());
            assertEquals(29, view.length());
            assertTrue(view.options().hasMss());
            assertEquals(1460, view.options().mss());
        });
    }

    @Test
    void segmentLength_countsSynAndFin() {
        // RFC 9293 §3.4: SEG.LEN counts the octets of data plus one for SYN and one for FIN.
        assertEquals(5, segmentLengthOf(TcpFlags.ACK, 5));
        assertEquals(1, segmentLengthOf(TcpFlags.SYN, 0));
        assertEquals(1, segmentLengthOf(TcpFlags.FIN | TcpFlags.ACK, 0));
        assertEquals(7, segmentLengthOf(TcpFlags.SYN | TcpFlags.FIN, 5));
        assertEquals(0, segmentLengthOf(TcpFlags.RST, 0));
        assertEquals(0, segmentLengthOf(TcpFlags.ACK, 0));
    }

    @Test
    void check_structuralDefects() {
        assertEquals(DropReason.TCP_TRUNCATED, checkOf(Arrays.copyOf(handBuilt(), 19)));
        byte[] offsetFour = handBuilt();
        offsetFour[12] = 0x40;
        assertEquals(DropReason.TCP_BAD_DATA_OFFSET, checkOf(offsetFour));
        byte[] offsetFifteen = handBuilt();
        offsetFifteen[12] = (byte) 0xF0; // 60 bytes of header in a 29-byte segment
        assertEquals(DropReason.TCP_HEADER_OVERRUN, checkOf(offsetFifteen));
        byte[] zeroDestination = handBuilt();
        zeroDestination[2] = 0;
        zeroDestination[3] = 0;
        assertEquals(DropReason.TCP_ZERO_PORT, checkOf(zeroDestination));
        byte[] badOption = handBuilt();
        badOption[21] = 5;
        assertEquals(DropReason.TCP_BAD_OPTION, checkOf(badOption));
    }

    @Test
    void check_calledAgain_reparsesInsteadOfAccumulating() {
        byte[] segment = HexFormat.of().parseHex("9c411388" + "00000001" + "00000000" + "70020000" + "00000000"
                + "c8020101" + "020405b4");
        ByteBuf buf = Unpooled.wrappedBuffer(segment);
        try {
            TcpSegmentView view = new TcpSegmentView().wrap(buf, 0, segment.length);
            assertNull(view.check());
            assertNull(view.check());
            assertEquals(1, view.options().unknownCount());
            assertTrue(view.options().hasMss());
            // The bytes change under the same wrap (a builder editing in place): the MSS is gone.
            buf.setInt(24, 0x0101_0101);
            assertNull(view.check());
            assertFalse(view.options().hasMss());
        } finally {
            buf.release();
        }
    }

    @Test
    void wrap_clearsTheOptionsOfThePreviousSegment() {
        byte[] withMss = handBuilt();
        byte[] without = Arrays.copyOf(handBuilt(), 20);
        without[12] = 0x50;
        ByteBuf a = Unpooled.wrappedBuffer(withMss);
        ByteBuf b = Unpooled.wrappedBuffer(without);
        try {
            TcpSegmentView view = new TcpSegmentView();
            assertNull(view.wrap(a, 0, withMss.length).check());
            assertTrue(view.options().hasMss());
            view.wrap(b, 0, without.length);
            assertFalse(view.options().hasMss());
        } finally {
            a.release();
            b.release();
        }
    }

    // ---- checksums against the kernel's ----

    @Test
    void checksum_capturedSegments_verifyAndAreReproduced() throws IOException {
        for (String file : TCP_CAPTURES) {
            for (PcapFile.Packet packet : PcapFile.readResource(TcpSegmentViewTest.class, "golden/" + file)) {
                byte[] bytes = packet.ipv4();
                String where = file + " #" + packet.index();
                withSegment(bytes, (ip, tcp) -> {
                    assertNull(tcp.check(), where);
                    assertTrue(tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()), where);
                    int original = tcp.checksum();
                    tcp.fillChecksum(ip.sourceAddress(), ip.destinationAddress());
                    assertEquals(original, tcp.checksum(), where);
                    // The pseudo-header is covered: another source address must fail.
                    assertFalse(tcp.checksumValid(ip.sourceAddress() + 1, ip.destinationAddress()), where);
                });
            }
        }
    }

    @Test
    void checksum_oddPayloadLength_verifies() throws IOException {
        // "ok:hello\n" is 9 bytes: the last byte is summed as the high half of a padded word.
        byte[] packet = Ipv4PacketViewTest.golden("tcp-handshake-data-close.pcap", 5);
        withSegment(packet, (ip, tcp) -> {
            assertNull(tcp.check());
            assertEquals(9, tcp.payloadLength());
            assertTrue(tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()));
            ip.buffer().setByte(tcp.payloadOffset() + 8, '!');
            assertFalse(tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()));
        });
    }

    // ---- TcpHeader (the value) ----

    @Test
    void header_parseThenEmit_rebuildsCapturedPacketsExactly() throws IOException {
        for (String file : TCP_CAPTURES) {
            for (PcapFile.Packet packet : PcapFile.readResource(TcpSegmentViewTest.class, "golden/" + file)) {
                byte[] original = packet.ipv4();
                Ipv4Header[] ipHeader = new Ipv4Header[1];
                TcpHeader[] tcpHeader = new TcpHeader[1];
                byte[][] payload = new byte[1][];
                withSegment(original, (ip, tcp) -> {
                    assertNull(tcp.check());
                    ipHeader[0] = Ipv4Header.parse(ip);
                    tcpHeader[0] = TcpHeader.parse(tcp);
                    payload[0] = new byte[tcp.payloadLength()];
                    tcp.buffer().getBytes(tcp.payloadOffset(), payload[0]);
                });
                byte[] rebuilt = TestPackets.tcp(ipHeader[0], tcpHeader[0], payload[0]);
                assertArrayEquals(original, rebuilt, file + " #" + packet.index() + " " + tcpHeader[0]);
            }
        }
    }

    @Test
    void header_parse_readsEveryField() {
        withView(handBuilt(), view -> {
            assertNull(view.check());
            TcpHeader header = TcpHeader.parse(view);
            assertEquals(new TcpHeader(40001, 5000, 0xF3A0_B1C2, 0x8000_0001, 0b0101, TcpFlags.PSH | TcpFlags.ACK,
                    65535, 0x1234, 7, TcpOptions.of(new TcpOption.Mss(1460))), header);
            assertEquals(24, header.headerLength());
            assertTrue(header.hasFlag(TcpFlags.PSH));
            assertEquals("TcpHeader[40001 > 5000 P. seq 4087394754 ack 2147483649 win 65535 urg 7 options [mss 1460]]",
                    header.toString());
        });
    }

    @Test
    void header_emit_leavesChecksumZeroUntilFilled() {
        TcpHeader header = TcpHeader.of(40000, 80, 1, 2, TcpFlags.SYN, 1000, TcpOptions.of(new TcpOption.Mss(536)));
        byte[] segment = new byte[header.headerLength()];
        for (int i = 0; i < segment.length; i++) {
            segment[i] = (byte) 0xEE; // garbage that emit must overwrite
        }
        withView(segment, view -> {
            assertEquals(24, header.emit(view));
            assertEquals(0, view.checksum());
            assertEquals(0, view.reserved());
            assertEquals(0, view.urgentPointer());
            assertNull(view.check());
            assertEquals(536, view.options().mss());
        });
    }

    @Test
    void header_nullOptions_meanNone() {
        TcpHeader header = new TcpHeader(1, 2, 0, 0, 0, TcpFlags.ACK, 0, 0, 0, null);
        assertEquals(TcpOptions.NONE, header.options());
        assertEquals(20, header.headerLength());
    }

    @Test
    void header_recordValidation_namesTheValue() {
        assertMessage("window: 70000 (expected: 0..65535)",
                () -> TcpHeader.of(1, 2, 0, 0, TcpFlags.ACK, 70000, TcpOptions.NONE));
        assertMessage("sourcePort: 65536", () -> TcpHeader.of(65536, 2, 0, 0, TcpFlags.ACK, 0, TcpOptions.NONE));
        assertMessage("flags: 256", () -> TcpHeader.of(1, 2, 0, 0, 256, 0, TcpOptions.NONE));
        assertMessage("reserved: 16 (expected: 0..15)", () -> new TcpHeader(1, 2, 0, 0, 16, 0, 0, 0, 0, null));
    }

    @Test
    void header_emitIntoTooSmallView_throws() {
        TcpHeader header = TcpHeader.of(1, 2, 0, 0, TcpFlags.SYN, 0, TcpOptions.of(new TcpOption.Mss(1460)));
        withView(new byte[20], view -> assertMessage("view: 20 bytes (expected: at least 24)", () -> header.emit(view)));
    }

    // ---- setters ----

    @Test
    void setters_roundTripThroughAccessors() {
        withView(new byte[24], view -> {
            view.setSourcePort(65535);
            view.setDestinationPort(1);
            view.setSeq(0xFFFF_FFFF);
            view.setAck(0x8000_0000);
            view.setHeaderLength(24, 0b1010);
            view.setFlags(TcpFlags.CWR | TcpFlags.ECE | TcpFlags.SYN);
            view.setWindow(65535);
            view.setChecksum(0xBEEF);
            view.setUrgentPointer(65535);
            assertEquals(65535, view.sourcePort());
            assertEquals(1, view.destinationPort());
            assertEquals(0xFFFF_FFFF, view.seq());
            assertEquals(0x8000_0000, view.ack());
            assertEquals(24, view.headerLength());
            assertEquals(0b1010, view.reserved());
            assertEquals(0xC2, view.flags());
            assertEquals(65535, view.window());
            assertEquals(0xBEEF, view.checksum());
            assertEquals(65535, view.urgentPointer());
        });
    }

    @Test
    void setters_outOfRange_throwNamingValueAndRange() {
        withView(new byte[20], view -> {
            assertMessage("window: 70000 (expected: 0..65535)", () -> view.setWindow(70000));
            assertMessage("sourcePort: -1 (expected: 0..65535)", () -> view.setSourcePort(-1));
            assertMessage("destinationPort: 65536", () -> view.setDestinationPort(65536));
            assertMessage("headerLength: 18 (expected: 20..60, a multiple of 4)", () -> view.setHeaderLength(18, 0));
            assertMessage("headerLength: 64", () -> view.setHeaderLength(64, 0));
            assertMessage("headerLength: 22", () -> view.setHeaderLength(22, 0));
            assertMessage("reserved: 16", () -> view.setHeaderLength(20, 16));
            assertMessage("flags: 256", () -> view.setFlags(256));
            assertMessage("checksum: 65536", () -> view.setChecksum(65536));
            assertMessage("urgentPointer: -5", () -> view.setUrgentPointer(-5));
        });
    }

    @Test
    void wrap_regionOutsideTheBuffer_throws() {
        ByteBuf buf = Unpooled.buffer(20);
        try {
            TcpSegmentView view = new TcpSegmentView();
            assertMessage("offset -1", () -> view.wrap(buf, -1, 20));
            assertMessage("length 21", () -> view.wrap(buf, 0, 21));
            assertMessage("offset 2", () -> view.wrap(buf, 2, Integer.MAX_VALUE));
        } finally {
            buf.release();
        }
    }

    @Test
    void view_neverMovesReaderOrWriterIndex() {
        byte[] segment = handBuilt();
        ByteBuf buf = Unpooled.buffer(segment.length + 10);
        try {
            buf.writeZero(4).writeBytes(segment).writeZero(6);
            buf.readerIndex(3);
            int writerIndex = buf.writerIndex();
            TcpSegmentView view = new TcpSegmentView().wrap(buf, 4, segment.length);
            assertNull(view.check());
            TcpHeader header = TcpHeader.parse(view);
            view.fillChecksum(1, 2);
            view.checksumValid(1, 2);
            view.setWindow(1);
            header.emit(view);
            assertEquals(3, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    // ---- helpers ----

    private static byte[] handBuilt() {
        return HexFormat.of().parseHex(HAND_BUILT);
    }

    private static int segmentLengthOf(int flags, int payloadLength) {
        byte[] segment = Arrays.copyOf(handBuilt(), 24 + payloadLength);
        segment[13] = (byte) flags;
        int[] length = new int[1];
        withView(segment, view -> {
            assertNull(view.check());
            length[0] = view.segmentLength();
        });
        return length[0];
    }

    private static DropReason checkOf(byte[] segment) {
        DropReason[] reason = new DropReason[1];
        withView(segment, view -> reason[0] = view.check());
        return reason[0];
    }

    private static void withView(byte[] segment, Consumer<TcpSegmentView> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(segment);
        try {
            body.accept(new TcpSegmentView().wrap(buf, 0, segment.length));
        } finally {
            buf.release();
        }
    }

    /** Wraps a whole IPv4 datagram and its TCP segment. */
    private static void withSegment(byte[] packet, java.util.function.BiConsumer<Ipv4PacketView, TcpSegmentView> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, packet.length);
            assertNull(ip.check());
            body.accept(ip, new TcpSegmentView().wrap(ip));
        } finally {
            buf.release();
        }
    }

    private static void assertMessage(String expectedPart, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '" + expectedPart + "'");
    }
}
