package io.usertcp.wire.fuzz;

import io.usertcp.testkit.PacketMutator;
import io.usertcp.testkit.PacketMutator.Mutation;
import io.usertcp.testkit.PcapFile;
import io.usertcp.wire.VirtioNetHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the committed seed corpus of the fuzz tests, in Jazzer's layout
 * ({@code <TestClass>Inputs/<method>/<file>}): golden packets captured from Linux (one of each
 * shape, so the corpus stays small) and packets from {@link PacketMutator} with fixed seeds, valid
 * and broken in each of its ways. Deterministic; files are named {@code seed-*} so that findings
 * Jazzer adds ({@code crash-*}) are never overwritten. How to run it: see the README beside the
 * seeds.
 */
public final class SeedCorpus {
    /** No seed is larger than this: small seeds keep regression runs fast and mutations focused. */
    static final int MAX_SEED_BYTES = 200;
    /** The fuzz tests and their methods, as Jazzer names the seed directories. */
    static final Map<Class<?>, String> TARGETS = Map.of(
            Ipv4PacketViewFuzzTest.class, "ipv4View",
            TcpSegmentViewFuzzTest.class, "tcpView",
            Icmpv4MessageViewFuzzTest.class, "icmpView",
            TcpOptionsFuzzTest.class, "tcpOptions",
            PacketDecoderFuzzTest.class, "decode",
            TcpdumpFormatterFuzzTest.class, "format",
            VirtioFrameFuzzTest.class, "decodeFrame");

    private static final String[] GOLDEN = {"tcp-handshake-data-close", "tcp-no-options", "tcp-rst-closed-port",
            "tcp-sack", "tcp-ecn-urg", "tcp-small-mss", "icmp"};
    private static final int IPV4_HEADER = 20;

    private SeedCorpus() {}

    /** Writes the corpus under {@code args[0]}, the resource folder of this package. */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/io/usertcp/wire/fuzz");
        for (Map.Entry<String, Map<String, byte[]>> target : build().entrySet()) {
            Path dir = Files.createDirectories(root.resolve(target.getKey()));
            try (var old = Files.list(dir)) {
                for (Path file : old.filter(f -> f.getFileName().toString().startsWith("seed-")).toList()) {
                    Files.delete(file);
                }
            }
            for (Map.Entry<String, byte[]> seed : target.getValue().entrySet()) {
                Files.write(dir.resolve("seed-" + seed.getKey()), seed.getValue());
            }
            System.out.println(dir + ": " + target.getValue().size() + " seeds");
        }
    }

    /** Seeds by directory ({@code <TestClass>Inputs/<method>}), then by name. */
    static Map<String, Map<String, byte[]>> build() {
        Map<String, Map<String, byte[]>> corpus = new LinkedHashMap<>();
        corpus.put(dir(Ipv4PacketViewFuzzTest.class), packets(11));
        corpus.put(dir(TcpSegmentViewFuzzTest.class), tcpSegments(12));
        corpus.put(dir(Icmpv4MessageViewFuzzTest.class), icmpMessages(13));
        corpus.put(dir(TcpOptionsFuzzTest.class), tcpOptionAreas(14));
        corpus.put(dir(PacketDecoderFuzzTest.class), packets(15));
        corpus.put(dir(TcpdumpFormatterFuzzTest.class), packets(16));
        corpus.put(dir(VirtioFrameFuzzTest.class), frames(17));
        return corpus;
    }

    static String dir(Class<?> test) {
        return test.getSimpleName() + "Inputs/" + TARGETS.get(test);
    }

    /** Whole IPv4 datagrams: golden shapes, valid packets, and each mutation once (every other one with fresh checksums). */
    private static Map<String, byte[]> packets(long seed) {
        Map<String, byte[]> seeds = golden(Function.identity(), 1);
        PacketMutator mutator = new PacketMutator(seed);
        for (int i = 0; i < 6; i++) {
            seeds.put("valid-" + i, mutator.validPacket());
        }
        for (Mutation mutation : Mutation.values()) {
            byte[] mutated = mutator.mutate(mutator.validPacket(), mutation);
            seeds.put("mutated-" + mutation.name().toLowerCase(),
                    mutation.ordinal() % 2 == 0 ? PacketMutator.withFreshChecksums(mutated) : mutated);
        }
        return seeds;
    }

    /**
     * Frames from a TUN device with IFF_VNET_HDR: datagrams behind each kind of virtio-net header
     * (plain, DATA_VALID, NEEDS_CSUM at the TCP checksum, TCPv4 GSO) and behind broken ones.
     */
    private static Map<String, byte[]> frames(long seed) {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        int[][] headers = {
            {0, 0, 0, 0, 0},                                                   // plain
            {VirtioNetHeader.FLAG_DATA_VALID, 0, 0, 0, 0},                     // verified by the kernel
            {VirtioNetHeader.FLAG_NEEDS_CSUM, 0, 0, IPV4_HEADER, 16},          // partial checksum
            {VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 100, IPV4_HEADER, 16},
            {VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN, 100, IPV4_HEADER, 16},
            {4, 0, 0, 0, 0},                                                   // unknown flag
            {VirtioNetHeader.FLAG_NEEDS_CSUM, 3, 100, IPV4_HEADER, 6},         // UDP GSO
            {0, VirtioNetHeader.GSO_TCPV4, 100, 0, 0},                         // GSO without a partial checksum
            {VirtioNetHeader.FLAG_NEEDS_CSUM, 0, 0, IPV4_HEADER, 6},           // checksum field elsewhere
        };
        PacketMutator mutator = new PacketMutator(seed);
        for (int h = 0; h < headers.length; h++) {
            for (int i = 0; i < 3; i++) {
                byte[] datagram = i == 2 ? mutator.mutate(mutator.validPacket(), Mutation.values()[h % Mutation.values().length])
                        : mutator.validPacket();
                int length = Math.min(datagram.length, MAX_SEED_BYTES - VirtioNetHeader.LENGTH);
                byte[] frame = new byte[VirtioNetHeader.LENGTH + length];
                int[] v = headers[h];
                VirtioNetHeader.write(io.netty.buffer.Unpooled.wrappedBuffer(frame), 0, v[0], v[1], 0, v[2], v[3], v[4]);
                System.arraycopy(datagram, 0, frame, VirtioNetHeader.LENGTH, length);
                seeds.put("header-" + h + "-" + i, frame);
            }
        }
        seeds.put("short", new byte[] {1, 1, 0});
        return seeds;
    }

    /** Bare TCP segments: golden ones, valid ones, and ones broken in the TCP header. */
    private static Map<String, byte[]> tcpSegments(long seed) {
        Map<String, byte[]> seeds = golden(SeedCorpus::tcpSegmentOf, 3);
        PacketMutator mutator = new PacketMutator(seed);
        for (int i = 0; i < 6; i++) {
            seeds.put("valid-" + i, mutator.tcpSegment(PacketMutator.CLIENT, PacketMutator.SERVER));
        }
        Mutation[] tcpMutations = {Mutation.DATA_OFFSET, Mutation.TCP_OPTION_LENGTH, Mutation.ZERO_PORT,
                Mutation.TRUNCATE, Mutation.BIT_FLIP, Mutation.INTERESTING_BYTE};
        for (Mutation mutation : tcpMutations) {
            byte[] packet = mutator.mutate(mutator.tcpPacket(), mutation);
            seeds.put("mutated-" + mutation.name().toLowerCase(),
                    Arrays.copyOfRange(packet, Math.min(IPV4_HEADER, packet.length), packet.length));
        }
        return seeds;
    }

    /** Bare ICMP messages: golden, echoes, port unreachables, every short length, and bit flips. */
    private static Map<String, byte[]> icmpMessages(long seed) {
        Map<String, byte[]> seeds = golden(SeedCorpus::icmpMessageOf, 4);
        PacketMutator mutator = new PacketMutator(seed);
        for (int i = 0; i < 6; i++) {
            seeds.put("echo-" + i, payloadOf(mutator.icmpEcho()));
        }
        for (int i = 0; i < 3; i++) {
            seeds.put("port-unreachable-" + i, payloadOf(mutator.icmpPortUnreachable()));
        }
        byte[] echo = payloadOf(mutator.icmpEcho());
        for (int length = 1; length < 8; length += 3) {
            seeds.put("short-" + length, Arrays.copyOf(echo, length));
        }
        for (int i = 0; i < 4; i++) {
            seeds.put("flipped-" + i, mutator.mutate(payloadOf(mutator.icmpEcho()), Mutation.BIT_FLIP));
        }
        return seeds;
    }

    /** TCP option areas: golden ones, generated ones, and ones with a broken length byte. */
    private static Map<String, byte[]> tcpOptionAreas(long seed) {
        Map<String, byte[]> seeds = golden(packet -> optionsOf(tcpSegmentOf(packet)), 3);
        PacketMutator mutator = new PacketMutator(seed);
        for (int i = 0; i < 10; ) {
            byte[] options = mutator.tcpOptions();
            if (options.length > 0) { // the empty input is always run anyway
                seeds.put("valid-" + i++, options);
            }
        }
        for (int i = 0; i < 10; ) {
            byte[] packet = mutator.mutate(mutator.tcpPacket(), Mutation.TCP_OPTION_LENGTH);
            byte[] options = optionsOf(Arrays.copyOfRange(packet, IPV4_HEADER, packet.length));
            if (options != null) { // a packet without options has no length byte to break
                seeds.put("bad-length-" + i++, options);
            }
        }
        seeds.putAll(md5OptionAreas());
        return seeds;
    }

    /**
     * TCP MD5 signatures (RFC 2385 §3.0: kind 19, length 18): as Linux lays them out (nop,nop,md5
     * first) before MSS and window scale, before timestamps, before two SACK blocks; and broken:
     * lengths 17 and 19, cut short, two of them (Linux tcp_parse_auth_options() refuses that).
     */
    private static Map<String, byte[]> md5OptionAreas() {
        byte[] digest = new byte[16];
        for (int i = 0; i < 16; i++) {
            digest[i] = (byte) i;
        }
        byte[] signature = concat(new byte[] {1, 1, 19, 18}, digest);
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("md5-syn", concat(signature, new byte[] {2, 4, 5, (byte) 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}));
        seeds.put("md5-timestamps", concat(signature, new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}));
        seeds.put("md5-sack-two-blocks", concat(concat(signature, new byte[] {1, 1, 5, 18}), digest));
        seeds.put("md5-bad-length-17", concat(new byte[] {1, 1, 19, 17}, Arrays.copyOf(digest, 15)));
        seeds.put("md5-bad-length-19", concat(concat(new byte[] {1, 1, 19, 19}, digest), new byte[1]));
        seeds.put("md5-truncated", concat(new byte[] {19, 18}, Arrays.copyOf(digest, 10)));
        byte[] bare = Arrays.copyOfRange(signature, 2, signature.length);
        seeds.put("md5-twice", concat(concat(bare, bare), new byte[] {1, 1}));
        return seeds;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Golden packets turned into seeds by {@code extract}, at most {@code perFile} from each capture
     * and one of each distinct {@link #shape}, so that repeated ACKs count once.
     */
    private static Map<String, byte[]> golden(Function<byte[], byte[]> extract, int perFile) {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        Set<String> shapes = new HashSet<>();
        for (String name : GOLDEN) {
            int taken = 0;
            // icmp.pcap holds the most varied packets: echoes with and without record route, UDP, port unreachable.
            int cap = name.equals("icmp") ? Math.max(perFile, 6) : perFile;
            for (PcapFile.Packet packet : readGolden(name)) {
                byte[] seed = extract.apply(packet.ipv4());
                if (taken < cap && seed != null && seed.length > 0 && seed.length <= MAX_SEED_BYTES
                        && shapes.add(shape(packet.ipv4()))) {
                    seeds.put("golden-" + name + "-" + packet.index(), seed);
                    taken++;
                }
            }
        }
        return seeds;
    }

    /**
     * A packet's shape for de-duplication: protocol, header lengths, TCP flags or ICMP type, whether
     * it carries data, whether it is a fragment. Sequence numbers, ids and checksums do not count.
     */
    private static String shape(byte[] packet) {
        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = ((packet[2] & 0xFF) << 8) | (packet[3] & 0xFF);
        int transport = packet.length > headerLength + 13 ? headerLength : -1;
        int dataOffset = transport < 0 ? -1 : (packet[transport + 12] & 0xF0) >>> 4;
        int flagsOrType = transport < 0 ? -1 : packet[9] == PacketMutator.PROTOCOL_TCP
                ? packet[transport + 13] & 0xFF : packet[transport] & 0xFF;
        boolean data = packet[9] == PacketMutator.PROTOCOL_TCP && totalLength > headerLength + dataOffset * 4;
        return packet[9] + ":" + headerLength + ":" + dataOffset + ":" + flagsOrType + ":" + data + ":" + (packet[6] & 0x3F) + (packet[7] & 0xFF);
    }

    private static List<PcapFile.Packet> readGolden(String name) {
        try {
            return PcapFile.readResource(SeedCorpus.class, "/io/usertcp/wire/golden/" + name + ".pcap");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The IPv4 payload by IHL and total length, or null when the packet does not carry one. */
    private static byte[] payloadOf(byte[] packet) {
        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = ((packet[2] & 0xFF) << 8) | (packet[3] & 0xFF);
        return Arrays.copyOfRange(packet, headerLength, totalLength);
    }

    private static byte[] tcpSegmentOf(byte[] packet) {
        return packet[9] == PacketMutator.PROTOCOL_TCP ? payloadOf(packet) : null;
    }

    /** The first fragment's ICMP message is cut to the seed limit; later fragments carry no ICMP header. */
    private static byte[] icmpMessageOf(byte[] packet) {
        boolean laterFragment = (((packet[6] & 0x1F) << 8) | (packet[7] & 0xFF)) != 0;
        if (packet[9] != PacketMutator.PROTOCOL_ICMP || laterFragment) {
            return null;
        }
        byte[] message = payloadOf(packet);
        return Arrays.copyOf(message, Math.min(message.length, MAX_SEED_BYTES));
    }

    /** A segment's options area by its data offset; null without options. */
    private static byte[] optionsOf(byte[] segment) {
        if (segment == null || segment.length < 20) {
            return null;
        }
        int headerLength = Math.min(segment.length, ((segment[12] & 0xF0) >>> 4) * 4);
        return headerLength > 20 ? Arrays.copyOfRange(segment, 20, headerLength) : null;
    }
}
