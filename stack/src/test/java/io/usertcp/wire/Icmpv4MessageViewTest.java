package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.TestPackets;
import java.io.IOException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Icmpv4MessageView} (RFC 792): echo and error messages captured from Linux and built by
 * hand, the checksum, the quote of an error, setters and their range checks.
 */
class Icmpv4MessageViewTest {

    @Test
    void echoRequestFromLinux_readsIdSeqAndVerifies() throws IOException {
        withIcmp(Ipv4PacketViewTest.golden("icmp.pcap", 0), icmp -> {
            assertNull(icmp.check());
            assertEquals(Icmpv4MessageView.TYPE_ECHO_REQUEST, icmp.type());
            assertEquals(0, icmp.code());
            assertEquals(14841, icmp.identifier());
            assertEquals(1, icmp.sequenceNumber());
            assertEquals((14841 << 16) | 1, icmp.restOfHeader());
            assertEquals(64, icmp.length());
            assertEquals(20 + 8, icmp.bodyOffset());
            assertEquals(56, icmp.bodyLength());
            assertFalse(icmp.isError());
            assertTrue(icmp.checksumValid());
            int original = icmp.checksum();
            icmp.fillChecksum();
            assertEquals(original, icmp.checksum());
        });
    }

    @Test
    void portUnreachableFromLinux_quotesTheUdpDatagram() throws IOException {
        withIcmp(Ipv4PacketViewTest.golden("icmp.pcap", 11), icmp -> {
            assertNull(icmp.check());
            assertEquals(Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            assertEquals(Icmpv4MessageView.CODE_PORT_UNREACHABLE, icmp.code());
            assertTrue(icmp.isError());
            assertTrue(icmp.checksumValid());
            assertNull(icmp.checkQuote());
            assertEquals(53 - 8, icmp.bodyLength());
            Ipv4PacketView quoted = new Ipv4PacketView().wrap(icmp.buffer(), icmp.bodyOffset(), icmp.bodyLength());
            assertNull(quoted.check()); // Linux quoted the whole 45-byte datagram
            assertEquals(Ipv4PacketView.PROTOCOL_UDP, quoted.protocol());
            assertEquals(33434, icmp.buffer().getUnsignedShort(quoted.payloadOffset() + 2));
        });
    }

    @Test
    void fragmentationNeeded_carriesNextHopMtu() {
        // RFC 1191 §4: the low 16 bits of the rest of the header hold the next-hop MTU.
        byte[] offending = TestPackets.tcp(TestPackets.SERVER, TestPackets.CLIENT,
                TcpHeader.of(80, 40000, 1, 1, TcpFlags.ACK, 100, TcpOptions.NONE), new byte[1400]);
        byte[] packet = TestPackets.unreachable(TestPackets.CLIENT, TestPackets.SERVER,
                Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED, 1400, offending, 28);
        withIcmp(packet, icmp -> {
            assertEquals(Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED, icmp.code());
            assertEquals(1400, icmp.nextHopMtu());
            assertNull(icmp.checkQuote());
        });
    }

    @Test
    void isError_onlyForTypesThatQuoteADatagram() {
        for (int type : new int[] {3, 4, 11, 12}) {
            assertTrue(isError(type), "type " + type);
        }
        for (int type : new int[] {0, 5, 8, 13, 14, 255}) {
            assertFalse(isError(type), "type " + type);
        }
    }

    @Test
    void check_fewerThanEightBytes_isTruncated() {
        assertEquals(DropReason.ICMP_TRUNCATED, checkOf(new byte[7]));
        assertEquals(DropReason.ICMP_TRUNCATED, checkOf(new byte[0]));
        assertNull(checkOf(new byte[8]));
    }

    @Test
    void checkQuote_needsAWholeIpHeaderAndEightBytes() {
        // RFC 792: "Internet Header + 64 bits of Original Data Datagram".
        assertEquals(DropReason.ICMP_BAD_QUOTE, quoteCheckOf(quote(0x45, 27)));
        assertNull(quoteCheckOf(quote(0x45, 28)));
        assertEquals(DropReason.ICMP_BAD_QUOTE, quoteCheckOf(quote(0x65, 28))); // not IPv4
        assertEquals(DropReason.ICMP_BAD_QUOTE, quoteCheckOf(quote(0x44, 28))); // IHL below 5
        assertEquals(DropReason.ICMP_BAD_QUOTE, quoteCheckOf(quote(0x46, 31))); // 24-byte header + 7
        assertNull(quoteCheckOf(quote(0x46, 32)));
    }

    @Test
    void checksum_oddLength_fillsAndVerifies() {
        byte[] message = new byte[8 + 57];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 7 + 3);
        }
        message[0] = Icmpv4MessageView.TYPE_ECHO_REPLY;
        withView(message, icmp -> {
            icmp.fillChecksum();
            assertTrue(icmp.checksumValid());
            icmp.buffer().setByte(message.length - 1, message[message.length - 1] ^ 1);
            assertFalse(icmp.checksumValid());
        });
    }

    @Test
    void setters_roundTrip_andRejectOutOfRange() {
        withView(new byte[8], icmp -> {
            icmp.setType(Icmpv4MessageView.TYPE_TIME_EXCEEDED);
            icmp.setCode(1);
            icmp.setRestOfHeader(0xDEAD_BEEF);
            icmp.setChecksum(0xFFFF);
            assertEquals(Icmpv4MessageView.TYPE_TIME_EXCEEDED, icmp.type());
            assertEquals(1, icmp.code());
            assertEquals(0xDEAD_BEEF, icmp.restOfHeader());
            assertEquals(0xDEAD, icmp.identifier());
            assertEquals(0xBEEF, icmp.sequenceNumber());
            assertEquals(0xFFFF, icmp.checksum());
            assertMessage("type: 256 (expected: 0..255)", () -> icmp.setType(256));
            assertMessage("code: -1", () -> icmp.setCode(-1));
            assertMessage("checksum: 65536", () -> icmp.setChecksum(65536));
        });
    }

    @Test
    void wrap_regionOutsideTheBuffer_throws() {
        ByteBuf buf = Unpooled.buffer(8);
        try {
            Icmpv4MessageView view = new Icmpv4MessageView();
            assertMessage("length 9", () -> view.wrap(buf, 0, 9));
            assertMessage("offset -1", () -> view.wrap(buf, -1, 1));
            assertMessage("offset 4", () -> view.wrap(buf, 4, Integer.MAX_VALUE));
        } finally {
            buf.release();
        }
    }

    @Test
    void view_neverMovesReaderOrWriterIndex() {
        byte[] packet = TestPackets.echoRequest(9, 3, 20);
        ByteBuf buf = Unpooled.buffer(packet.length + 4);
        try {
            buf.writeBytes(packet).writeZero(4);
            buf.readerIndex(2);
            int writerIndex = buf.writerIndex();
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, packet.length);
            assertNull(ip.check());
            Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
            assertNull(icmp.check());
            assertTrue(icmp.checksumValid());
            icmp.checkQuote();
            icmp.setCode(0);
            icmp.fillChecksum();
            assertEquals(2, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    // ---- helpers ----

    /** A destination-unreachable message whose body is {@code length} bytes starting with {@code versionAndIhl}. */
    private static byte[] quote(int versionAndIhl, int length) {
        byte[] message = new byte[8 + length];
        message[0] = Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE;
        if (length > 0) {
            message[8] = (byte) versionAndIhl;
        }
        return message;
    }

    private static boolean isError(int type) {
        byte[] message = new byte[8];
        message[0] = (byte) type;
        boolean[] error = new boolean[1];
        withView(message, icmp -> error[0] = icmp.isError());
        return error[0];
    }

    private static DropReason checkOf(byte[] message) {
        DropReason[] reason = new DropReason[1];
        withView(message, icmp -> reason[0] = icmp.check());
        return reason[0];
    }

    private static DropReason quoteCheckOf(byte[] message) {
        DropReason[] reason = new DropReason[1];
        withView(message, icmp -> reason[0] = icmp.checkQuote());
        return reason[0];
    }

    private static void withView(byte[] message, Consumer<Icmpv4MessageView> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(message);
        try {
            body.accept(new Icmpv4MessageView().wrap(buf, 0, message.length));
        } finally {
            buf.release();
        }
    }

    private static void withIcmp(byte[] packet, Consumer<Icmpv4MessageView> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, packet.length);
            assertNull(ip.check());
            body.accept(new Icmpv4MessageView().wrap(ip));
        } finally {
            buf.release();
        }
    }

    private static void assertMessage(String expectedPart, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '" + expectedPart + "'");
    }
}
