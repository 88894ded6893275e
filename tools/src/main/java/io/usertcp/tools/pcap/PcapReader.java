package io.usertcp.tools.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the IPv4 datagrams of a capture file in plain Java (no libpcap), so that {@code usertcp
 * ladder} works on any machine: classic pcap (micro- or nanosecond timestamps, either byte order)
 * and pcapng (what Wireshark saves; any timestamp resolution, several interfaces).
 *
 * <p>Link types: Ethernet (1, with 802.1Q/802.1ad tags), BSD loopback (0), raw IP (12, 14, 101),
 * IPv4 (228), Linux cooked capture v1 and v2 (113, 276, what {@code tcpdump -i any} writes).
 * Records that do not carry IPv4 are skipped. A file that ends in the middle of a record (a capture
 * that was killed) gives the records before it, with {@link Capture#cutShort()} set.
 */
public final class PcapReader {
    public static final int LINKTYPE_NULL = 0;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int LINKTYPE_RAW = 101;
    public static final int LINKTYPE_IPV4 = 228;
    public static final int LINKTYPE_LINUX_SLL = 113;
    public static final int LINKTYPE_LINUX_SLL2 = 276;
    private static final int DLT_RAW_COMMON = 12;
    private static final int DLT_RAW_OPENBSD = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int PCAPNG_SHB = 0x0A0D0D0A;
    private static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    /** What a file held: its IPv4 datagrams in file order, how many records were not IPv4, and whether it ended mid-record. */
    public record Capture(List<CapturedPacket> packets, int skippedRecords, boolean cutShort) {
        public Capture {
            packets = List.copyOf(packets);
        }
    }

    private PcapReader() {}

    public static Capture read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    /** Parses a whole capture file held in memory. */
    public static Capture read(byte[] file) throws IOException {
        if (file.length < 4) {
            throw new IOException("not a capture file: " + file.length + " bytes");
        }
        int magicLe = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magicLe == PCAPNG_SHB) {
            return readPcapng(ByteBuffer.wrap(file));
        }
        return readClassic(ByteBuffer.wrap(file), magicLe);
    }

    // ------------------------------------------------------------------------------------
    // Classic pcap
    // ------------------------------------------------------------------------------------

    private static Capture readClassic(ByteBuffer in, int magicLe) throws IOException {
        long fractionToNanos;
        if (magicLe == 0xA1B2C3D4 || Integer.reverseBytes(magicLe) == 0xA1B2C3D4) {
            fractionToNanos = 1000;
        } else if (magicLe == 0xA1B23C4D || Integer.reverseBytes(magicLe) == 0xA1B23C4D) {
            fractionToNanos = 1;
        } else {
            throw new IOException(String.format("not a pcap or pcapng file: magic 0x%08x", Integer.reverseBytes(magicLe)));
        }
        in.order(magicLe == 0xA1B2C3D4 || magicLe == 0xA1B23C4D ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        if (in.remaining() < 24) {
            throw new IOException("pcap: " + in.remaining() + " bytes, shorter than the 24-byte file header");
        }
        // The upper bits of the link-type field may carry an FCS length (pcap-savefile(5)).
        int linkType = in.getInt(20) & 0x0FFF_FFFF;
        checkLinkType(linkType);
        in.position(24);
        Collector out = new Collector();
        while (in.remaining() > 0) {
            if (in.remaining() < 16) {
                return out.capture(true);
            }
            long seconds = Integer.toUnsignedLong(in.getInt());
            long fraction = Integer.toUnsignedLong(in.getInt());
            int captured = in.getInt();
            int original = in.getInt();
            if (captured < 0 || captured > in.remaining()) {
                return out.capture(true);
            }
            byte[] frame = new byte[captured];
            in.get(frame);
            out.add(seconds * 1_000_000_000L + fraction * fractionToNanos, frame, original, linkType);
        }
        return out.capture(false);
    }

    /** Numbers the records and keeps the IPv4 ones. */
    private static final class Collector {
        final List<CapturedPacket> packets = new ArrayList<>();
        int skipped;
        int index;

        void add(long epochNanos, byte[] frame, int originalFrameLength, int linkType) {
            CapturedPacket p = packet(index++, epochNanos, frame, Math.max(originalFrameLength, frame.length), linkType);
            if (p == null) {
                skipped++;
            } else {
                packets.add(p);
            }
        }

        Capture capture(boolean cutShort) {
            return new Capture(packets, skipped, cutShort);
        }
    }

    // ------------------------------------------------------------------------------------
    // pcapng (draft-ietf-opsawg-pcapng): section header, interface description, enhanced,
    // simple and obsolete packet blocks; every other block is skipped by its length.
    // ------------------------------------------------------------------------------------

    private record Interface(int linkType, long unitsPerSecondOrZero, int binaryExponentOrMinus1, int snapLength) {
        long nanos(long units) {
            if (binaryExponentOrMinus1 >= 0) {
                long whole = units >>> binaryExponentOrMinus1;
                long fraction = units & ((1L << binaryExponentOrMinus1) - 1);
                return whole * 1_000_000_000L + ((fraction * 1_000_000_000L) >>> binaryExponentOrMinus1);
            }
            long perSecond = unitsPerSecondOrZero;
            long whole = units / perSecond;
            long fraction = units % perSecond;
            return whole * 1_000_000_000L + (perSecond >= 1_000_000_000L
                    ? fraction / (perSecond / 1_000_000_000L) : fraction * (1_000_000_000L / perSecond));
        }
    }

    private static Capture readPcapng(ByteBuffer in) throws IOException {
        Pcapng reader = new Pcapng();
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        while (in.remaining() > 0) {
            int start = in.position();
            if (in.remaining() < 12) {
                return reader.out.capture(true);
            }
            // The section header's type reads the same in both byte orders; its body says which one follows.
            int type = in.order(order).getInt(start);
            if (type == PCAPNG_SHB) {
                int bom = in.order(ByteOrder.LITTLE_ENDIAN).getInt(start + 8);
                order = bom == PCAPNG_BYTE_ORDER_MAGIC ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
                if (in.order(order).getInt(start + 8) != PCAPNG_BYTE_ORDER_MAGIC) {
                    throw new IOException(String.format("pcapng: byte-order magic 0x%08x at offset %d", bom, start));
                }
                reader.interfaces.clear();
            }
            int length = in.getInt(start + 4);
            if (length < 12 || length % 4 != 0) {
                throw new IOException("pcapng: block of " + length + " bytes at offset " + start);
            }
            if (length > in.remaining()) {
                return reader.out.capture(true);
            }
            reader.block(type, in.slice(start + 8, length - 12).order(order), start);
            in.position(start + length);
        }
        return reader.out.capture(false);
    }

    /** The interfaces of the current section, and the packets so far. */
    private static final class Pcapng {
        final Collector out = new Collector();
        final Map<Integer, Interface> interfaces = new HashMap<>();
        long lastNanos;

        void block(int type, ByteBuffer body, int offset) throws IOException {
            switch (type) {
                case 1 -> interfaces.put(interfaces.size(), interfaceOf(body));
                case 6 -> packet(body, body.getInt(0), offset); // enhanced packet block
                case 2 -> packet(body, body.getShort(0) & 0xFFFF, offset); // obsolete packet block: 16-bit interface id
                case 3 -> simple(body);
                default -> { } // statistics, name resolution, custom...: nothing a diagram needs
            }
        }

        private void packet(ByteBuffer body, int id, int offset) throws IOException {
            Interface itf = interfaces.get(id);
            if (itf == null) {
                throw new IOException("pcapng: packet for interface " + id + " which was never described");
            }
            long units = (Integer.toUnsignedLong(body.getInt(4)) << 32) | Integer.toUnsignedLong(body.getInt(8));
            int captured = body.getInt(12);
            int original = body.getInt(16);
            if (captured < 0 || 20 + captured > body.capacity()) {
                throw new IOException("pcapng: packet block at offset " + offset + " claims " + captured + " bytes");
            }
            byte[] frame = new byte[captured];
            body.get(20, frame);
            lastNanos = itf.nanos(units);
            out.add(lastNanos, frame, original, itf.linkType());
        }

        private void simple(ByteBuffer body) throws IOException {
            Interface itf = interfaces.get(0);
            if (itf == null) {
                throw new IOException("pcapng: simple packet block before any interface description");
            }
            int original = body.getInt(0);
            int captured = Math.min(body.capacity() - 4, itf.snapLength() == 0 ? original : Math.min(original, itf.snapLength()));
            byte[] frame = new byte[Math.max(0, captured)];
            body.get(4, frame);
            out.add(lastNanos, frame, original, itf.linkType()); // no timestamp of its own: the previous packet's
        }
    }

    private static Interface interfaceOf(ByteBuffer body) throws IOException {
        int linkType = body.getShort(0) & 0xFFFF;
        checkLinkType(linkType);
        int snapLength = body.getInt(4);
        long perSecond = 1_000_000L;
        int binaryExponent = -1;
        int at = 8;
        while (at + 4 <= body.capacity()) {
            int code = body.getShort(at) & 0xFFFF;
            int length = body.getShort(at + 2) & 0xFFFF;
            if (code == 0) {
                break;
            }
            if (code == 9 && length == 1 && at + 5 <= body.capacity()) { // if_tsresol
                int v = body.get(at + 4) & 0xFF;
                if ((v & 0x80) != 0) {
                    binaryExponent = v & 0x7F;
                    if (binaryExponent > 62) {
                        throw new IOException("pcapng: timestamp resolution 2^-" + binaryExponent);
                    }
                } else {
                    if (v > 18) {
                        throw new IOException("pcapng: timestamp resolution 10^-" + v);
                    }
                    perSecond = 1;
                    for (int i = 0; i < v; i++) {
                        perSecond *= 10;
                    }
                }
            }
            at += 4 + ((length + 3) & ~3);
        }
        return new Interface(linkType, perSecond, binaryExponent, snapLength);
    }

    // ------------------------------------------------------------------------------------
    // Link layers
    // ------------------------------------------------------------------------------------

    private static void checkLinkType(int linkType) throws IOException {
        switch (linkType) {
            case LINKTYPE_NULL, LINKTYPE_ETHERNET, DLT_RAW_COMMON, DLT_RAW_OPENBSD, LINKTYPE_RAW, LINKTYPE_IPV4,
                    LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 -> { }
            default -> throw new IOException("link type " + linkType
                    + " is not supported (expected Ethernet, raw IP, IPv4, Linux cooked or BSD loopback)");
        }
    }

    /** The IPv4 datagram in {@code frame}, or null when the record carries something else. */
    private static CapturedPacket packet(int index, long epochNanos, byte[] frame, int originalFrameLength, int linkType) {
        int offset = ipv4Offset(frame, linkType);
        if (offset < 0 || offset >= frame.length || (frame[offset] & 0xF0) != 0x40) {
            return null;
        }
        byte[] ipv4 = Arrays.copyOfRange(frame, offset, frame.length);
        return new CapturedPacket(index, epochNanos, ipv4, originalFrameLength - offset);
    }

    private static int ipv4Offset(byte[] frame, int linkType) {
        return switch (linkType) {
            case LINKTYPE_NULL -> {
                if (frame.length < 4) {
                    yield -1;
                }
                // The address family in the capturing host's byte order: AF_INET is 2 everywhere.
                int le = (frame[0] & 0xFF) | (frame[1] & 0xFF) << 8 | (frame[2] & 0xFF) << 16 | (frame[3] & 0xFF) << 24;
                yield le == 2 || Integer.reverseBytes(le) == 2 ? 4 : -1;
            }
            case LINKTYPE_ETHERNET -> {
                int at = 12;
                while (at + 2 <= frame.length) {
                    int etherType = u16(frame, at);
                    if (etherType == 0x8100 || etherType == 0x88A8) { // 802.1Q / 802.1ad tag
                        at += 4;
                        continue;
                    }
                    yield etherType == ETHERTYPE_IPV4 ? at + 2 : -1;
                }
                yield -1;
            }
            case DLT_RAW_COMMON, DLT_RAW_OPENBSD, LINKTYPE_RAW, LINKTYPE_IPV4 -> 0;
            case LINKTYPE_LINUX_SLL -> frame.length >= 16 && u16(frame, 14) == ETHERTYPE_IPV4 ? 16 : -1;
            case LINKTYPE_LINUX_SLL2 -> frame.length >= 20 && u16(frame, 0) == ETHERTYPE_IPV4 ? 20 : -1;
            default -> -1;
        };
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }
}
