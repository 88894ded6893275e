package io.usertcp.tools.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.testkit.PcapFile;
import io.usertcp.tools.ladder.TcpSegment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PcapReader}: classic pcap in both byte orders and both precisions, pcapng (what Wireshark
 * saves), the link layers tcpdump writes, and damaged files. Files are built byte by byte from
 * pcap-savefile(5) and draft-ietf-opsawg-pcapng; the Linux golden captures are cross-checked with
 * the test kit's independent {@link PcapFile}.
 */
class PcapReaderTest {
    private static final String[] LINUX = {"tcp-handshake-data-close", "tcp-no-options", "tcp-rst-closed-port", "tcp-sack",
            "tcp-ecn-urg", "tcp-small-mss", "icmp"};

    /** The SYN of the stack's golden capture: a real IPv4/TCP datagram from Linux. */
    private static byte[] syn() throws IOException {
        return PcapFile.read(resource("tcp-handshake-data-close")).get(0).ipv4();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PcapReaderTest.class.getResourceAsStream("/io/usertcp/wire/golden/" + name + ".pcap")) {
            return in.readAllBytes();
        }
    }

    /** A classic pcap file. */
    private static final class Classic {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteOrder order;

        Classic(ByteOrder order, boolean nanos, int linkType) {
            this.order = order;
            ByteBuffer h = ByteBuffer.allocate(24).order(order);
            h.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(262144).putInt(linkType);
            out.writeBytes(h.array());
        }

        Classic record(long seconds, long fraction, byte[] frame, int originalLength) {
            ByteBuffer h = ByteBuffer.allocate(16).order(order);
            h.putInt((int) seconds).putInt((int) fraction).putInt(frame.length).putInt(originalLength);
            out.writeBytes(h.array());
            out.writeBytes(frame);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A pcapng file: section header, interfaces, enhanced and simple packet blocks. */
    private static final class Pcapng {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteOrder order;

        Pcapng(ByteOrder order) {
            this.order = order;
            ByteBuffer body = ByteBuffer.allocate(16).order(order);
            body.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1);
            block(0x0A0D0D0A, body.array());
        }

        Pcapng block(int type, byte[] body) {
            int padded = (body.length + 3) & ~3;
            ByteBuffer b = ByteBuffer.allocate(12 + padded).order(order);
            b.putInt(type).putInt(12 + padded).put(body).position(8 + padded);
            b.putInt(12 + padded);
            out.writeBytes(b.array());
            return this;
        }

        /** An interface; {@code tsresol} < 0 leaves the option out (microseconds). */
        Pcapng iface(int linkType, int tsresol) {
            ByteBuffer b = ByteBuffer.allocate(8 + (tsresol >= 0 ? 8 : 0) + 4).order(order);
            b.putShort((short) linkType).putShort((short) 0).putInt(0);
            if (tsresol >= 0) {
                b.putShort((short) 9).putShort((short) 1).put((byte) tsresol).put(new byte[3]);
            }
            b.putShort((short) 0).putShort((short) 0); // opt_endofopt
            return block(1, b.array());
        }

        Pcapng packet(int iface, long units, byte[] frame) {
            ByteBuffer b = ByteBuffer.allocate(20 + frame.length).order(order);
            b.putInt(iface).putInt((int) (units >>> 32)).putInt((int) units).putInt(frame.length).putInt(frame.length).put(frame);
            return block(6, b.array());
        }

        Pcapng simple(byte[] frame) {
            ByteBuffer b = ByteBuffer.allocate(4 + frame.length).order(order);
            b.putInt(frame.length).put(frame);
            return block(3, b.array());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] ethernet(int etherType) {
        byte[] h = new byte[14];
        h[12] = (byte) (etherType >> 8);
        h[13] = (byte) etherType;
        return h;
    }

    @Test
    void linuxGoldenCaptures_sameDatagramsAndTimesAsTheTestKitsReader() throws Exception {
        for (String name : LINUX) {
            List<PcapFile.Packet> kit = PcapFile.read(resource(name));
            PcapReader.Capture ours = PcapReader.read(resource(name));
            assertEquals(kit.size(), ours.packets().size(), name);
            assertFalse(ours.cutShort(), name);
            for (int i = 0; i < kit.size(); i++) {
                assertArrayEquals(kit.get(i).ipv4(), ours.packets().get(i).ipv4(), name + " #" + i);
                assertEquals(kit.get(i).timestampMicros() * 1000, ours.packets().get(i).epochNanos(), name + " #" + i);
                assertEquals(kit.get(i).index(), ours.packets().get(i).index(), name + " #" + i);
            }
        }
    }

    @Test
    void classicBigEndianNanosecond_readsTheSameAsLittleEndian() throws Exception {
        byte[] syn = syn();
        for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
            byte[] file = new Classic(order, true, PcapReader.LINKTYPE_RAW).record(1_700_000_000L, 999_999_999L, syn, syn.length).bytes();
            CapturedPacket p = PcapReader.read(file).packets().get(0);
            assertEquals(1_700_000_000_999_999_999L, p.epochNanos(), order.toString());
            assertArrayEquals(syn, p.ipv4(), order.toString());
        }
    }

    @Test
    void linkLayers_ethernetWithVlanTag_linuxCookedV1V2_bsdLoopback_ipv4_allUnwrapped_othersSkipped() throws Exception {
        byte[] syn = syn();
        byte[] vlan = concat(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x81, 0, 0, 7, 8, 0}, syn);
        byte[] arp = concat(ethernet(0x0806), new byte[28]);
        byte[] sll = new byte[16];
        sll[14] = 8;
        byte[] sll2 = new byte[20];
        sll2[0] = 8;
        byte[] loopbackLe = {2, 0, 0, 0};
        byte[] loopbackBe = {0, 0, 0, 2};
        assertEquals(List.of(0), indexes(new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_ETHERNET)
                .record(1, 0, vlan, vlan.length).record(1, 0, arp, arp.length).bytes(), syn, 1));
        assertEquals(List.of(0), indexes(new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_LINUX_SLL)
                .record(1, 0, concat(sll, syn), sll.length + syn.length).bytes(), syn, 0));
        assertEquals(List.of(0), indexes(new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_LINUX_SLL2)
                .record(1, 0, concat(sll2, syn), sll2.length + syn.length).bytes(), syn, 0));
        assertEquals(List.of(0, 1), indexes(new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_NULL)
                .record(1, 0, concat(loopbackLe, syn), 4 + syn.length).record(1, 0, concat(loopbackBe, syn), 4 + syn.length).bytes(),
                syn, 0));
        assertEquals(List.of(0), indexes(new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_IPV4)
                .record(1, 0, syn, syn.length).bytes(), syn, 0));
    }

    /** The indexes of the IPv4 records read, each checked to be {@code syn}; {@code skipped} records were not IPv4. */
    private static List<Integer> indexes(byte[] file, byte[] syn, int skipped) throws IOException {
        PcapReader.Capture c = PcapReader.read(file);
        assertEquals(skipped, c.skippedRecords());
        for (CapturedPacket p : c.packets()) {
            assertArrayEquals(syn, p.ipv4());
        }
        return c.packets().stream().map(CapturedPacket::index).toList();
    }

    @Test
    void pcapng_nanosecondAndDefaultResolution_twoInterfaces_simplePacketBlock() throws Exception {
        byte[] syn = syn();
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            byte[] file = new Pcapng(order)
                    .iface(PcapReader.LINKTYPE_RAW, 9) // interface 0: nanoseconds
                    .iface(PcapReader.LINKTYPE_ETHERNET, -1) // interface 1: default, microseconds
                    .packet(0, 1_700_000_000_123_456_789L, syn)
                    .block(5, new byte[16]) // an interface statistics block: skipped
                    .packet(1, 1_700_000_001_000_001L, concat(ethernet(0x0800), syn))
                    .simple(syn)
                    .bytes();
            PcapReader.Capture c = PcapReader.read(file);
            assertEquals(List.of(1_700_000_000_123_456_789L, 1_700_000_001_000_001_000L, 1_700_000_001_000_001_000L),
                    c.packets().stream().map(CapturedPacket::epochNanos).toList(), order.toString());
            for (CapturedPacket p : c.packets()) {
                assertArrayEquals(syn, p.ipv4(), order.toString());
            }
            assertFalse(c.cutShort());
        }
    }

    @Test
    void pcapng_binaryResolution_convertsToNanoseconds() throws Exception {
        byte[] file = new Pcapng(ByteOrder.LITTLE_ENDIAN).iface(PcapReader.LINKTYPE_RAW, 0x80 | 20) // 2^-20 s
                .packet(0, (5L << 20) | (1L << 19), syn()).bytes(); // 5.5 s
        assertEquals(5_500_000_000L, PcapReader.read(file).packets().get(0).epochNanos());
    }

    @Test
    void snapLengthCapture_headersKept_payloadLengthFromTheIpHeader() throws Exception {
        byte[] full = PcapFile.read(resource("tcp-handshake-data-close")).get(3).ipv4(); // hello\n, 6 bytes of data
        byte[] cut = Arrays.copyOf(full, full.length - 4);
        byte[] file = new Classic(ByteOrder.LITTLE_ENDIAN, false, PcapReader.LINKTYPE_RAW).record(1, 0, cut, full.length).bytes();
        CapturedPacket p = PcapReader.read(file).packets().get(0);
        assertTrue(p.truncated());
        TcpSegment s = TcpSegment.decode(p.epochNanos(), p.ipv4(), p.originalLength());
        assertEquals(6, s.payloadLength());
    }

    @Test
    void fileEndingMidRecord_keepsTheRecordsBefore_andSaysSo() throws Exception {
        byte[] whole = resource("tcp-handshake-data-close");
        PcapReader.Capture c = PcapReader.read(Arrays.copyOf(whole, whole.length - 1));
        assertTrue(c.cutShort());
        assertEquals(13, c.packets().size());
    }

    @Test
    void badInput_failsWithWhatWasFound() {
        IOException magic = assertThrows(IOException.class, () -> PcapReader.read(new byte[] {1, 2, 3, 4, 5}));
        assertEquals("not a pcap or pcapng file: magic 0x01020304", magic.getMessage());
        IOException link = assertThrows(IOException.class,
                () -> PcapReader.read(new Classic(ByteOrder.LITTLE_ENDIAN, false, 147).bytes()));
        assertEquals("link type 147 is not supported (expected Ethernet, raw IP, IPv4, Linux cooked or BSD loopback)", link.getMessage());
        IOException iface = assertThrows(IOException.class,
                () -> PcapReader.read(new Pcapng(ByteOrder.LITTLE_ENDIAN).packet(3, 0, new byte[20]).bytes()));
        assertEquals("pcapng: packet for interface 3 which was never described", iface.getMessage());
        IOException tiny = assertThrows(IOException.class, () -> PcapReader.read(new byte[] {(byte) 0xD4, (byte) 0xC3, (byte) 0xB2, (byte) 0xA1, 2}));
        assertEquals("pcap: 5 bytes, shorter than the 24-byte file header", tiny.getMessage());
    }
}
