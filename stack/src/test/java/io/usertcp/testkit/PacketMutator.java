package io.usertcp.testkit;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * A seeded generator and mutator of IPv4 datagrams carrying TCP or ICMP, as plain byte arrays, for
 * differential and fuzz tests.
 *
 * <p>Packets are assembled byte by byte here, deliberately without the wire layer under test, so
 * that a bug in our emitters cannot hide the same bug in our parsers. Generated packets are valid:
 * version 4, consistent lengths, well-formed IPv4 and TCP options, correct checksums (computed by
 * the naive RFC 1071 loop in {@link #checksum}). {@link #mutate} then breaks them in the ways that
 * matter for parsers: bit flips, odd bytes, truncation, link padding, and rewritten length fields.
 *
 * <p>The same seed always gives the same sequence of packets; not thread-safe.
 */
public final class PacketMutator {
    /** 198.18.0.1, the client address of the golden captures. */
    public static final int CLIENT = 0xC612_0001;
    /** 198.18.0.2, the server address of the golden captures. */
    public static final int SERVER = 0xC612_0002;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    private static final int IPV4_HEADER = 20;
    private static final int TCP_HEADER = 20;
    private static final int MAX_OPTIONS = 40;
    /**
     * TCP option kinds this stack does not interpret (MPTCP, TCP-AO, TFO, experiments, and others);
     * not 19, the MD5 signature (RFC 2385), which it reads and which has one length.
     */
    private static final int[] UNKNOWN_TCP_KINDS = {6, 7, 9, 14, 15, 20, 27, 28, 29, 30, 34, 69, 76, 172, 253, 254};
    /** Bytes that tend to sit on boundaries of length checks. */
    private static final int[] INTERESTING_BYTES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0A, 0x0F, 0x22, 0x28, 0x7F, 0x80, 0xF0, 0xFF};

    /** The ways {@link #mutate(byte[], Mutation)} can break a packet. */
    public enum Mutation {
        BIT_FLIP, INTERESTING_BYTE, TRUNCATE, APPEND, VERSION, IHL, TOTAL_LENGTH, FRAGMENT,
        DATA_OFFSET, TCP_OPTION_LENGTH, IPV4_OPTION_LENGTH, ZERO_PORT
    }

    private final Random random;

    public PacketMutator(long seed) {
        this.random = new Random(seed);
    }

    // ---- valid packets ----

    /** Any of the valid packets below, mostly TCP. */
    public byte[] validPacket() {
        int pick = random.nextInt(20);
        if (pick < 13) {
            return tcpPacket();
        } else if (pick < 15) {
            return icmpEcho();
        } else if (pick < 16) {
            return icmpPortUnreachable();
        }
        return ipv4WithOptions();
    }

    /** IPv4 without options carrying a TCP segment with random fields, options and payload. */
    public byte[] tcpPacket() {
        return ipv4(new byte[0], PROTOCOL_TCP, tcpSegment(CLIENT, SERVER));
    }

    /** IPv4 without options carrying an ICMP echo request or reply. */
    public byte[] icmpEcho() {
        return ipv4(new byte[0], PROTOCOL_ICMP, icmpEchoMessage());
    }

    /** IPv4 with well-formed IPv4 options, carrying a TCP segment or an ICMP echo. */
    public byte[] ipv4WithOptions() {
        byte[] options = ipv4Options();
        if (random.nextBoolean()) {
            return ipv4(options, PROTOCOL_ICMP, icmpEchoMessage());
        }
        return ipv4(options, PROTOCOL_TCP, tcpSegment(CLIENT, SERVER));
    }

    /** An ICMP port unreachable (type 3 code 3) quoting the start of a TCP packet (RFC 792). */
    public byte[] icmpPortUnreachable() {
        byte[] quoted = Arrays.copyOf(tcpPacket(), IPV4_HEADER + 8);
        byte[] message = new byte[8 + quoted.length];
        message[0] = 3;
        message[1] = 3;
        System.arraycopy(quoted, 0, message, 8, quoted.length);
        putShort(message, 2, checksum(message, 0, message.length));
        return ipv4(new byte[0], PROTOCOL_ICMP, message);
    }

    /** A TCP segment (header, options, payload) from {@code source} to {@code destination}, checksum filled. */
    public byte[] tcpSegment(int source, int destination) {
        byte[] options = tcpOptions();
        byte[] segment = new byte[TCP_HEADER + options.length + random.nextInt(random.nextBoolean() ? 4 : 49)];
        putShort(segment, 0, 1 + random.nextInt(0xFFFF));
        putShort(segment, 2, 1 + random.nextInt(0xFFFF));
        putInt(segment, 4, random.nextInt());
        putInt(segment, 8, random.nextInt());
        // RFC 9293: reserved bits are zero on send but ignored on receive, so both are valid input.
        int reserved = random.nextInt(8) == 0 ? random.nextInt(16) : 0;
        segment[12] = (byte) ((((TCP_HEADER + options.length) / 4) << 4) | reserved);
        segment[13] = (byte) random.nextInt(256);
        putShort(segment, 14, random.nextInt(0x10000));
        putShort(segment, 18, random.nextInt(4) == 0 ? random.nextInt(0x10000) : 0);
        System.arraycopy(options, 0, segment, TCP_HEADER, options.length);
        fillRandom(segment, TCP_HEADER + options.length, segment.length);
        putShort(segment, 16, tcpChecksum(source, destination, segment, 0, segment.length));
        return segment;
    }

    /**
     * A well-formed TCP options area: a random sequence of MSS, window scale, SACK-permitted, SACK
     * (1 to 4 blocks), timestamps, NOP, unknown kinds and sometimes EOL, padded with EOL or NOP
     * to a multiple of 4 bytes, at most 40.
     */
    public byte[] tcpOptions() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = random.nextInt(7);
        for (int i = 0; i < count; i++) {
            byte[] option = randomTcpOption();
            if (out.size() + option.length > MAX_OPTIONS) {
                break;
            }
            out.writeBytes(option);
            if (option[0] == 0) {
                break; // EOL ends the list; the rest is padding
            }
        }
        byte padding = (byte) (random.nextBoolean() ? 0 : 1);
        while (out.size() % 4 != 0) {
            out.write(padding);
        }
        return out.toByteArray();
    }

    private byte[] randomTcpOption() {
        return switch (random.nextInt(9)) {
            case 0 -> new byte[] {2, 4, (byte) random.nextInt(256), (byte) random.nextInt(256)};
            case 1 -> new byte[] {3, 3, (byte) random.nextInt(random.nextBoolean() ? 15 : 256)};
            case 2 -> new byte[] {4, 2};
            case 3 -> sackOption(1 + random.nextInt(4));
            case 4 -> {
                byte[] ts = new byte[10];
                ts[0] = 8;
                ts[1] = 10;
                fillRandom(ts, 2, 10);
                yield ts;
            }
            case 5, 6 -> new byte[] {1};
            case 7 -> {
                byte[] unknown = new byte[2 + random.nextInt(9)];
                unknown[0] = (byte) UNKNOWN_TCP_KINDS[random.nextInt(UNKNOWN_TCP_KINDS.length)];
                unknown[1] = (byte) unknown.length;
                fillRandom(unknown, 2, unknown.length);
                yield unknown;
            }
            default -> random.nextInt(3) == 0 ? new byte[] {0} : new byte[] {1};
        };
    }

    private byte[] sackOption(int blocks) {
        byte[] sack = new byte[2 + 8 * blocks];
        sack[0] = 5;
        sack[1] = (byte) sack.length;
        fillRandom(sack, 2, sack.length);
        return sack;
    }

    /**
     * A well-formed IPv4 options area (RFC 791 §3.1): NOP, record route, an empty timestamp, router alert
     * (RFC 2113), an unassigned type, and sometimes EOL; padded with EOL to a multiple of 4, at
     * most 40 bytes, never empty.
     */
    public byte[] ipv4Options() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 1 + random.nextInt(4);
        for (int i = 0; i < count; i++) {
            byte[] option = randomIpv4Option();
            if (out.size() + option.length > MAX_OPTIONS) {
                break;
            }
            out.writeBytes(option);
            if (option[0] == 0) {
                break;
            }
        }
        if (out.size() == 0) {
            out.write(1);
        }
        while (out.size() % 4 != 0) {
            out.write(0);
        }
        return out.toByteArray();
    }

    private byte[] randomIpv4Option() {
        return switch (random.nextInt(6)) {
            case 0 -> new byte[] {1};
            case 1 -> {
                byte[] recordRoute = new byte[3 + 4 * (1 + random.nextInt(4))];
                recordRoute[0] = 7;
                recordRoute[1] = (byte) recordRoute.length;
                recordRoute[2] = 4;
                yield recordRoute;
            }
            // A timestamp option with no room for entries (RFC 791: pointer past the length means
            // "full"). Longer ones carry data that pcap4j 1.8.2's static factories cannot decode at
            // all (no decoder is registered for it), which would only add noise to differential runs.
            case 2 -> new byte[] {68, 4, 5, 0};
            case 3 -> new byte[] {(byte) 148, 4, 0, 0};
            case 4 -> {
                // At least one data byte: pcap4j 1.8.2 fails on an unknown option of length 2.
                byte[] unassigned = new byte[3 + random.nextInt(4)];
                unassigned[0] = (byte) 0x9E;
                unassigned[1] = (byte) unassigned.length;
                yield unassigned;
            }
            default -> new byte[] {0};
        };
    }

    private byte[] icmpEchoMessage() {
        byte[] message = new byte[8 + random.nextInt(57)];
        message[0] = (byte) (random.nextBoolean() ? 8 : 0);
        putShort(message, 4, random.nextInt(0x10000));
        putShort(message, 6, random.nextInt(0x10000));
        fillRandom(message, 8, message.length);
        putShort(message, 2, checksum(message, 0, message.length));
        return message;
    }

    /**
     * An IPv4 datagram around {@code payload}: random TOS, id, DF, TTL and direction between
     * {@link #CLIENT} and {@link #SERVER}; not a fragment. All checksums are computed afresh.
     */
    private byte[] ipv4(byte[] options, int protocol, byte[] payload) {
        int headerLength = IPV4_HEADER + options.length;
        byte[] packet = new byte[headerLength + payload.length];
        packet[0] = (byte) (0x40 | headerLength / 4);
        packet[1] = (byte) random.nextInt(256);
        putShort(packet, 2, packet.length);
        putShort(packet, 4, random.nextInt(0x10000));
        packet[6] = (byte) (random.nextBoolean() ? 0x40 : 0x00);
        packet[8] = (byte) (1 + random.nextInt(255));
        packet[9] = (byte) protocol;
        boolean fromClient = random.nextBoolean();
        putInt(packet, 12, fromClient ? CLIENT : SERVER);
        putInt(packet, 16, fromClient ? SERVER : CLIENT);
        System.arraycopy(options, 0, packet, IPV4_HEADER, options.length);
        System.arraycopy(payload, 0, packet, headerLength, payload.length);
        return withFreshChecksums(packet);
    }

    // ---- mutations ----

    /** One random mutation of a copy of {@code packet}; half the time checksums are then made valid again. */
    public byte[] mutate(byte[] packet) {
        Mutation[] all = Mutation.values();
        byte[] mutated = mutate(packet, all[random.nextInt(all.length)]);
        return random.nextBoolean() ? withFreshChecksums(mutated) : mutated;
    }

    /** Applies {@code mutation} to a copy of {@code packet}; a mutation that does not apply changes one random bit. */
    public byte[] mutate(byte[] packet, Mutation mutation) {
        byte[] p = packet.clone();
        if (p.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        switch (mutation) {
            case BIT_FLIP -> flipBit(p);
            case INTERESTING_BYTE -> p[headerBiasedPosition(p.length)] = (byte) interestingByte();
            case TRUNCATE -> p = Arrays.copyOf(p, random.nextInt(p.length));
            case APPEND -> {
                p = Arrays.copyOf(p, p.length + 1 + random.nextInt(16));
                fillRandom(p, packet.length, p.length);
            }
            case VERSION -> p[0] = (byte) ((random.nextInt(16) << 4) | (p[0] & 0x0F));
            case IHL -> p[0] = (byte) ((p[0] & 0xF0) | random.nextInt(16));
            case TOTAL_LENGTH -> rewriteTotalLength(p);
            case FRAGMENT -> rewriteFragmentField(p);
            case DATA_OFFSET -> rewriteDataOffset(p);
            case TCP_OPTION_LENGTH -> rewriteOptionLength(p, transportOffset(p) + TCP_HEADER, tcpHeaderEnd(p));
            case IPV4_OPTION_LENGTH -> rewriteOptionLength(p, IPV4_HEADER, Math.min(p.length, ipv4HeaderLength(p)));
            case ZERO_PORT -> zeroPort(p);
        }
        return p;
    }

    private void flipBit(byte[] p) {
        int at = headerBiasedPosition(p.length);
        p[at] ^= (byte) (1 << random.nextInt(8));
    }

    /** Mostly within the first 100 bytes, where the headers are. */
    private int headerBiasedPosition(int length) {
        return random.nextInt(4) == 0 ? random.nextInt(length) : random.nextInt(Math.min(length, 100));
    }

    private int interestingByte() {
        return INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
    }

    private void rewriteTotalLength(byte[] p) {
        if (p.length < 4) {
            flipBit(p);
            return;
        }
        int headerLength = ipv4HeaderLength(p);
        int[] choices = {0, p.length - 1, p.length + 1, headerLength, headerLength - 1, 0xFFFF,
                random.nextInt(p.length + 24), random.nextInt(0x10000)};
        putShort(p, 2, choices[random.nextInt(choices.length)] & 0xFFFF);
    }

    private void rewriteFragmentField(byte[] p) {
        if (p.length < 8) {
            flipBit(p);
            return;
        }
        int flags = random.nextInt(8);
        int offset = random.nextBoolean() ? 0 : random.nextInt(0x2000);
        putShort(p, 6, (flags << 13) | offset);
    }

    private void rewriteDataOffset(byte[] p) {
        int at = transportOffset(p) + 12;
        if (at >= p.length) {
            flipBit(p);
            return;
        }
        p[at] = (byte) ((random.nextInt(16) << 4) | (p[at] & 0x0F));
    }

    /** Finds the option that starts the TLV chain walk in {@code [from, to)} and rewrites one length byte. */
    private void rewriteOptionLength(byte[] p, int from, int to) {
        int[] lengthPositions = new int[MAX_OPTIONS];
        int found = 0;
        int i = from;
        while (i + 1 < to && found < lengthPositions.length) {
            int kind = p[i] & 0xFF;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            lengthPositions[found++] = i + 1;
            int length = p[i + 1] & 0xFF;
            if (length < 2) {
                break;
            }
            i += length;
        }
        if (found == 0) {
            flipBit(p);
            return;
        }
        int at = lengthPositions[random.nextInt(found)];
        int old = p[at] & 0xFF;
        int[] choices = {0, 1, old - 1, old + 1, old + 8, random.nextInt(48), 0xFF};
        p[at] = (byte) choices[random.nextInt(choices.length)];
    }

    private void zeroPort(byte[] p) {
        int at = transportOffset(p) + (random.nextBoolean() ? 0 : 2);
        if (at + 2 > p.length) {
            flipBit(p);
            return;
        }
        putShort(p, at, 0);
    }

    // ---- checksums (an independent reference: the plain RFC 1071 loop) ----

    /**
     * Recomputes the IPv4 header checksum and, where the structure allows, the TCP or ICMP checksum
     * of a copy of {@code packet}, so that a mutated packet still reaches the deeper checks. Bytes
     * that do not hold a whole header are returned unchanged.
     */
    public static byte[] withFreshChecksums(byte[] packet) {
        byte[] p = packet.clone();
        int headerLength = ipv4HeaderLength(p);
        if (p.length < IPV4_HEADER || headerLength < IPV4_HEADER || headerLength > p.length) {
            return p;
        }
        putShort(p, 10, 0);
        putShort(p, 10, checksum(p, 0, headerLength));
        int end = Math.min(p.length, getShort(p, 2));
        int length = end - headerLength;
        int protocol = p[9] & 0xFF;
        if (protocol == PROTOCOL_TCP && length >= TCP_HEADER) {
            putShort(p, headerLength + 16, 0);
            putShort(p, headerLength + 16, tcpChecksum(getInt(p, 12), getInt(p, 16), p, headerLength, length));
        } else if (protocol == PROTOCOL_ICMP && length >= 8) {
            putShort(p, headerLength + 2, 0);
            putShort(p, headerLength + 2, checksum(p, headerLength, length));
        }
        return p;
    }

    /** The RFC 1071 checksum of {@code length} bytes at {@code offset}: one's complement of the one's-complement sum. */
    public static int checksum(byte[] data, int offset, int length) {
        return ~fold(sum(data, offset, length)) & 0xFFFF;
    }

    /** Whether a region that includes its own checksum field sums to all ones (RFC 1071 §1). */
    public static boolean checksumVerifies(byte[] data, int offset, int length) {
        return fold(sum(data, offset, length)) == 0xFFFF;
    }

    /** Whether a TCP segment's checksum over the pseudo-header (RFC 9293 §3.1) and the segment verifies. */
    public static boolean tcpChecksumVerifies(int source, int destination, byte[] data, int offset, int length) {
        return fold(pseudoHeaderSum(source, destination, length) + sum(data, offset, length)) == 0xFFFF;
    }

    private static int tcpChecksum(int source, int destination, byte[] data, int offset, int length) {
        return ~fold(pseudoHeaderSum(source, destination, length) + sum(data, offset, length)) & 0xFFFF;
    }

    private static long pseudoHeaderSum(int source, int destination, int length) {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + PROTOCOL_TCP + length;
    }

    private static long sum(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int high = data[offset + i] & 0xFF;
            int low = i + 1 < length ? data[offset + i + 1] & 0xFF : 0; // odd byte padded with zero
            sum += (high << 8) | low;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    // ---- byte helpers ----

    /** IHL × 4 of the bytes, or 0 when there is no first byte. */
    public static int ipv4HeaderLength(byte[] p) {
        return p.length == 0 ? 0 : (p[0] & 0x0F) * 4;
    }

    /** Where the transport header starts by the IHL (at least 20, so that a broken IHL still points somewhere). */
    private static int transportOffset(byte[] p) {
        return Math.max(IPV4_HEADER, ipv4HeaderLength(p));
    }

    private static int tcpHeaderEnd(byte[] p) {
        int at = transportOffset(p) + 12;
        return at < p.length ? Math.min(p.length, transportOffset(p) + ((p[at] & 0xF0) >>> 4) * 4) : p.length;
    }

    private void fillRandom(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            data[i] = (byte) random.nextInt(256);
        }
    }

    private static void putShort(byte[] data, int at, int value) {
        data[at] = (byte) (value >>> 8);
        data[at + 1] = (byte) value;
    }

    private static void putInt(byte[] data, int at, int value) {
        putShort(data, at, value >>> 16);
        putShort(data, at + 2, value);
    }

    private static int getShort(byte[] data, int at) {
        return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
    }

    private static int getInt(byte[] data, int at) {
        return (getShort(data, at) << 16) | getShort(data, at + 2);
    }
}
