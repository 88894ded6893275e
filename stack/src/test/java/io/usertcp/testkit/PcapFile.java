package io.usertcp.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads classic pcap files (not pcapng) into the IPv4 datagrams they carry, for golden tests.
 * Needs no libpcap. Link types: Ethernet (1; frames that are not IPv4 are skipped), raw IP (101)
 * and IPv4 (228).
 */
public final class PcapFile {
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int LINKTYPE_RAW = 101;
    public static final int LINKTYPE_IPV4 = 228;
    private static final int ETHERNET_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;

    /** One captured IPv4 datagram, with its index among all records of the file and its capture time. */
    public record Packet(int index, long timestampMicros, byte[] ipv4) {
        @Override
        public byte[] ipv4() {
            return ipv4.clone();
        }
    }

    private PcapFile() {}

    /** Reads a classpath resource. */
    public static List<Packet> readResource(Class<?> anchor, String name) throws IOException {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no resource " + name + " next to " + anchor.getName());
            }
            return read(in.readAllBytes());
        }
    }

    /** Parses a whole pcap file. */
    public static List<Packet> read(byte[] file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(file);
        if (in.remaining() < 24) {
            throw new IOException("pcap: " + file.length + " bytes, shorter than the global header");
        }
        int magic = in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        boolean nanos;
        if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D) {
            in.order(ByteOrder.LITTLE_ENDIAN);
        } else if (Integer.reverseBytes(magic) == 0xA1B2C3D4 || Integer.reverseBytes(magic) == 0xA1B23C4D) {
            in.order(ByteOrder.BIG_ENDIAN);
            magic = Integer.reverseBytes(magic);
        } else {
            throw new IOException("pcap: magic 0x" + Integer.toHexString(magic) + " (expected a classic pcap file)");
        }
        nanos = magic == 0xA1B23C4D;
        int linkType = in.getInt(20) & 0x0FFF_FFFF;
        in.position(24);
        List<Packet> packets = new ArrayList<>();
        for (int index = 0; in.remaining() >= 16; index++) {
            long seconds = Integer.toUnsignedLong(in.getInt());
            long fraction = Integer.toUnsignedLong(in.getInt());
            int captured = in.getInt();
            int original = in.getInt();
            if (captured < 0 || captured > in.remaining()) {
                throw new IOException("pcap: record " + index + " claims " + captured + " bytes, " + in.remaining() + " left");
            }
            byte[] frame = new byte[captured];
            in.get(frame);
            if (captured != original) {
                throw new IOException("pcap: record " + index + " truncated by the capture (" + captured + " of " + original + ")");
            }
            byte[] ipv4 = ipv4Of(frame, linkType);
            if (ipv4 != null) {
                packets.add(new Packet(index, seconds * 1_000_000 + (nanos ? fraction / 1000 : fraction), ipv4));
            }
        }
        return packets;
    }

    private static byte[] ipv4Of(byte[] frame, int linkType) throws IOException {
        switch (linkType) {
            case LINKTYPE_ETHERNET -> {
                if (frame.length < ETHERNET_HEADER) {
                    return null;
                }
                int etherType = ((frame[12] & 0xFF) << 8) | (frame[13] & 0xFF);
                return etherType == ETHERTYPE_IPV4 ? Arrays.copyOfRange(frame, ETHERNET_HEADER, frame.length) : null;
            }
            case LINKTYPE_RAW, LINKTYPE_IPV4 -> {
                return frame.length > 0 && (frame[0] & 0xF0) == 0x40 ? frame : null;
            }
            default -> throw new IOException("pcap: link type " + linkType + " (expected 1, 101 or 228)");
        }
    }
}
