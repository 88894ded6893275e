package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.PacketMutator;
import io.usertcp.testkit.PcapFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.FragmentedPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IllegalIpV4Option;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IllegalTcpOption;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpEndOfOptionList;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpNoOperationOption;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.TcpSackOption;
import org.pcap4j.packet.TcpSackPermittedOption;
import org.pcap4j.packet.TcpTimestampsOption;
import org.pcap4j.packet.TcpWindowScaleOption;
import org.pcap4j.packet.UnknownIpV4Option;
import org.pcap4j.packet.UnknownTcpOption;

/**
 * Differential test of the wire layer against pcap4j 1.8.2's decoders (DESIGN.md §9.1): the same
 * bytes go through {@link Ipv4PacketView} / {@link TcpSegmentView} / {@link Icmpv4MessageView}
 * (and the values {@link Ipv4Header}, {@link TcpHeader}, {@link TcpOptions}) and through
 * {@code IpV4Packet.newPacket}, and every field both decoders expose must agree.
 *
 * <p>The inputs are a few thousand valid packets from {@link PacketMutator} with a fixed seed,
 * mutations of them, and the golden packets captured from Linux. Where the two disagree on whether
 * a packet is acceptable at all, the disagreement must fall in one of the documented
 * {@link Disagreement} categories; anything else fails with the packet's bytes in hex.
 *
 * <p>pcap4j is a capture decoder: it shows whatever it can make of the bytes. We are a receiver
 * that must drop what is malformed (RFC 1122 §3.2.1, RFC 9293 MUST-7), so every documented
 * category is pcap4j being more lenient, never stricter.
 */
class Pcap4jDifferentialTest {
    private static final long SEED = 0x7573_6572_7463_70L;
    private static final int VALID_PACKETS = 3_000;
    private static final int MUTATED_PACKETS = 5_000;
    private static final String[] GOLDEN = {"tcp-handshake-data-close", "tcp-no-options", "tcp-rst-closed-port",
            "tcp-sack", "tcp-ecn-urg", "tcp-small-mss", "icmp"};

    /** How a packet on which both decoders agree was settled. */
    private enum Agreement {
        TCP_COMPARED, ICMP_COMPARED, IPV4_ONLY_COMPARED, BOTH_REJECT_IPV4, BOTH_REJECT_TRANSPORT
    }

    /**
     * The ways pcap4j 1.8.2 and this stack may disagree about whether a packet is acceptable, and
     * why that is right for us. In each, pcap4j decodes a packet that we drop.
     */
    enum Disagreement {
        /** pcap4j's IPv4 decoder never looks at the version nibble; RFC 791 §3.1 makes version 4 what defines the header. */
        VERSION_NOT_CHECKED,
        /** pcap4j takes total length 0 to mean "segmentation offload, use the captured length"; on the wire it is malformed (RFC 791 §3.1). */
        TOTAL_LENGTH_ZERO_TAKEN_AS_OFFLOAD,
        /** pcap4j clamps a total length beyond the captured bytes (a snap-length capture); a receiver has lost bytes and drops. */
        TOTAL_LENGTH_CLAMPED_TO_CAPTURE,
        /** pcap4j keeps an IPv4 option with a length below 2 or past the header as an "illegal" option; RFC 791 §3.1 TLV rules make it malformed. */
        MALFORMED_IPV4_OPTIONS_KEPT,
        /** pcap4j keeps a malformed TCP option (bad length, SACK with no block) as an "illegal" option; RFC 9293 MUST-7 lets us drop the segment. */
        MALFORMED_TCP_OPTIONS_KEPT,
        /**
         * pcap4j has no TCP MD5 signature option and keeps kind 19 of any length as an unknown
         * option; RFC 2385 §3.0 gives it length 18, and the stack drops another as malformed.
         */
        MD5_SIGNATURE_OF_ANOTHER_LENGTH_KEPT,
        /** pcap4j decodes port 0; no connection can use it, so the stack drops it. */
        ZERO_PORT_ACCEPTED,
        /** pcap4j's ICMP common header is the 4 bytes up to the checksum; every ICMP message has 8 header bytes (RFC 792). */
        ICMP_HEADER_OF_FOUR_BYTES
    }

    /** Counts of what happened to each packet, so a test can say how much it really compared. */
    private static final class Tally {
        final Map<Agreement, Integer> agreements = new EnumMap<>(Agreement.class);
        final Map<Disagreement, Integer> disagreements = new EnumMap<>(Disagreement.class);

        void add(Enum<?> outcome) {
            if (outcome instanceof Agreement a) {
                agreements.merge(a, 1, Integer::sum);
            } else {
                disagreements.merge((Disagreement) outcome, 1, Integer::sum);
            }
        }

        int count(Agreement a) {
            return agreements.getOrDefault(a, 0);
        }

        int fullyCompared() {
            return count(Agreement.TCP_COMPARED) + count(Agreement.ICMP_COMPARED);
        }

        @Override
        public String toString() {
            return agreements + " " + disagreements;
        }
    }

    @Test
    void validGeneratedPackets_everyFieldMatchesPcap4j() {
        PacketMutator mutator = new PacketMutator(SEED);
        Tally tally = new Tally();
        for (int i = 0; i < VALID_PACKETS; i++) {
            tally.add(examine(mutator.validPacket()));
        }
        // Valid packets leave no room for leniency: all are decoded the same, transport included.
        assertEquals(VALID_PACKETS, tally.fullyCompared(), tally.toString());
        assertTrue(tally.count(Agreement.TCP_COMPARED) >= 2_000, tally.toString());
        assertTrue(tally.count(Agreement.ICMP_COMPARED) >= 200, tally.toString());
    }

    @Test
    void generatedPacketsWithIpv4Options_everyFieldMatchesPcap4j() {
        PacketMutator mutator = new PacketMutator(SEED + 1);
        Tally tally = new Tally();
        for (int i = 0; i < 300; i++) {
            tally.add(examine(mutator.ipv4WithOptions()));
        }
        assertEquals(300, tally.fullyCompared(), tally.toString());
    }

    @Test
    void goldenPackets_everyFieldMatchesPcap4j() throws IOException {
        Tally tally = new Tally();
        List<byte[]> golden = goldenPackets();
        golden.forEach(packet -> tally.add(examine(packet)));
        // Only icmp.pcap's six fragments (two pings of 3028 bytes, each way) and its UDP probe stop at IPv4.
        assertTrue(golden.size() >= 330, "golden packets read: " + golden.size());
        assertEquals(7, tally.count(Agreement.IPV4_ONLY_COMPARED), tally.toString());
        assertEquals(golden.size() - 7, tally.fullyCompared(), tally.toString());
    }

    @Test
    void mutatedPackets_matchPcap4jOrDisagreeOnlyInDocumentedWays() throws IOException {
        PacketMutator mutator = new PacketMutator(SEED + 2);
        List<byte[]> golden = goldenPackets();
        Tally tally = new Tally();
        for (int i = 0; i < MUTATED_PACKETS; i++) {
            // One in five starts from a packet Linux built, the rest from generated ones.
            byte[] original = i % 5 == 0 ? golden.get(i % golden.size()) : mutator.validPacket();
            byte[] mutated = mutator.mutate(original);
            if (i % 4 == 0) {
                mutated = mutator.mutate(mutated); // some inputs get two mutations
            }
            tally.add(examine(mutated));
        }
        // Enough of the mutants survive both decoders for the comparison to mean something, and
        // enough are rejected for the acceptance rules to be exercised.
        assertTrue(tally.fullyCompared() >= 1_500, tally.toString());
        assertTrue(tally.count(Agreement.BOTH_REJECT_IPV4) >= 200, tally.toString());
        assertTrue(tally.count(Agreement.BOTH_REJECT_TRANSPORT) >= 50, tally.toString());
        assertTrue(tally.count(Agreement.IPV4_ONLY_COMPARED) >= 50, tally.toString());
        assertTrue(tally.disagreements.getOrDefault(Disagreement.MALFORMED_TCP_OPTIONS_KEPT, 0) >= 50, tally.toString());
        System.out.println("pcap4j differential, " + MUTATED_PACKETS + " mutants: " + tally);
    }

    private static List<byte[]> goldenPackets() throws IOException {
        List<byte[]> packets = new ArrayList<>();
        for (String name : GOLDEN) {
            for (PcapFile.Packet packet : PcapFile.readResource(Pcap4jDifferentialTest.class, "golden/" + name + ".pcap")) {
                packets.add(packet.ipv4());
            }
        }
        return packets;
    }

    // ---- one packet through both decoders ----

    /** Decodes {@code packet} both ways; returns how it was settled or throws when the decoders disagree undocumentedly. */
    private static Enum<?> examine(byte[] packet) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, packet.length);
            DropReason reason = ip.check();
            IpV4Packet theirs = decodeWithPcap4j(packet);
            if (reason != null) {
                return theirs == null ? Agreement.BOTH_REJECT_IPV4 : classifyIpv4(reason, ip, theirs, packet);
            }
            if (theirs == null) {
                throw disagreement("we accept the IPv4 header, pcap4j rejects it", packet);
            }
            compareIpv4(ip, theirs, packet);
            boolean transport = !ip.isFragment()
                    && (ip.protocol() == Ipv4PacketView.PROTOCOL_TCP || ip.protocol() == Ipv4PacketView.PROTOCOL_ICMP);
            if (!transport) {
                assertFalse(theirs.getPayload() instanceof TcpPacket || theirs.getPayload() instanceof IcmpV4CommonPacket,
                        () -> "pcap4j decoded the transport of a fragment or other protocol: " + hex(packet));
                return Agreement.IPV4_ONLY_COMPARED;
            }
            return ip.protocol() == Ipv4PacketView.PROTOCOL_TCP
                    ? examineTcp(ip, theirs, packet)
                    : examineIcmp(ip, theirs.getPayload(), packet);
        } finally {
            buf.release();
        }
    }

    /** pcap4j's decoding, or null when it rejects the IPv4 header itself. */
    private static IpV4Packet decodeWithPcap4j(byte[] packet) {
        if (packet.length == 0) {
            return null; // pcap4j refuses an empty array with IllegalArgumentException before decoding
        }
        try {
            return IpV4Packet.newPacket(packet, 0, packet.length);
        } catch (IllegalRawDataException e) {
            return null;
        }
    }

    private static Enum<?> examineTcp(Ipv4PacketView ip, IpV4Packet theirs, byte[] packet) {
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        DropReason reason = tcp.check();
        Packet payload = theirs.getPayload();
        if (payload instanceof TcpPacket theirTcp) {
            if (reason != null) {
                return classifyTcp(reason, theirTcp, packet);
            }
            compareTcp(ip, tcp, theirTcp, theirs.getHeader(), packet);
            return Agreement.TCP_COMPARED;
        }
        if (reason == null) {
            throw disagreement("we accept the TCP header, pcap4j gives " + describe(payload), packet);
        }
        return Agreement.BOTH_REJECT_TRANSPORT;
    }

    private static Enum<?> examineIcmp(Ipv4PacketView ip, Packet payload, byte[] packet) {
        Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
        DropReason reason = icmp.check();
        if (payload instanceof IcmpV4CommonPacket theirIcmp) {
            if (reason != null) {
                return classifyIcmp(reason, icmp, packet);
            }
            compareIcmp(icmp, theirIcmp, packet);
            return Agreement.ICMP_COMPARED;
        }
        if (reason == null) {
            throw disagreement("we accept the ICMP header, pcap4j gives " + describe(payload), packet);
        }
        return Agreement.BOTH_REJECT_TRANSPORT;
    }

    // ---- disagreements: each must match its documented category exactly ----

    private static Disagreement classifyIpv4(DropReason reason, Ipv4PacketView ip, IpV4Packet theirs, byte[] packet) {
        switch (reason) {
            case IPV4_BAD_VERSION -> {
                assertTrue(ip.version() != 4 && theirs.getHeader().getVersion().value() == ip.version(), () -> hex(packet));
                return Disagreement.VERSION_NOT_CHECKED;
            }
            case IPV4_BAD_TOTAL_LENGTH -> {
                if (ip.totalLength() == 0) {
                    return Disagreement.TOTAL_LENGTH_ZERO_TAKEN_AS_OFFLOAD;
                }
                if (ip.totalLength() > packet.length) {
                    return Disagreement.TOTAL_LENGTH_CLAMPED_TO_CAPTURE;
                }
            }
            case IPV4_BAD_OPTION -> {
                if (!cleanIpv4Options(theirs.getHeader())) {
                    return Disagreement.MALFORMED_IPV4_OPTIONS_KEPT;
                }
            }
            default -> { }
        }
        throw disagreement("we drop the IPv4 header (" + reason + "), pcap4j decodes it cleanly", packet);
    }

    private static Disagreement classifyTcp(DropReason reason, TcpPacket theirs, byte[] packet) {
        TcpPacket.TcpHeader header = theirs.getHeader();
        if (reason == DropReason.TCP_ZERO_PORT && (header.getSrcPort().valueAsInt() == 0 || header.getDstPort().valueAsInt() == 0)) {
            return Disagreement.ZERO_PORT_ACCEPTED;
        }
        if (reason == DropReason.TCP_BAD_OPTION && !cleanTcpOptions(header)) {
            return Disagreement.MALFORMED_TCP_OPTIONS_KEPT;
        }
        if (reason == DropReason.TCP_BAD_OPTION && header.getOptions().stream().anyMatch(
                o -> o.getKind().value() == TcpOptionKind.MD5_SIGNATURE && o.length() != TcpOptionKind.MD5_SIGNATURE_LENGTH)) {
            return Disagreement.MD5_SIGNATURE_OF_ANOTHER_LENGTH_KEPT;
        }
        throw disagreement("we drop the TCP header (" + reason + "), pcap4j decodes it cleanly", packet);
    }

    private static Disagreement classifyIcmp(DropReason reason, Icmpv4MessageView icmp, byte[] packet) {
        if (reason == DropReason.ICMP_TRUNCATED && icmp.length() >= 4 && icmp.length() < Icmpv4MessageView.HEADER_LENGTH) {
            return Disagreement.ICMP_HEADER_OF_FOUR_BYTES;
        }
        throw disagreement("we drop the ICMP header (" + reason + "), pcap4j decodes it", packet);
    }

    /**
     * Whether pcap4j walked the options as a clean TLV chain: no "illegal" option, every unknown
     * option as long as its length byte says, and no bytes left over unless an EOL ended the list.
     */
    private static boolean cleanIpv4Options(IpV4Packet.IpV4Header header) {
        List<IpV4Packet.IpV4Option> options = header.getOptions();
        for (IpV4Packet.IpV4Option option : options) {
            if (option instanceof IllegalIpV4Option
                    || option instanceof UnknownIpV4Option u && u.getLengthAsInt() != u.length()) {
                return false;
            }
        }
        boolean endedByEol = !options.isEmpty() && options.get(options.size() - 1).getType().value() == 0;
        return header.getPadding().length == 0 || endedByEol;
    }

    /** The TCP counterpart of {@link #cleanIpv4Options}; a SACK option without blocks is not clean either (RFC 2018 §3). */
    private static boolean cleanTcpOptions(TcpPacket.TcpHeader header) {
        List<TcpPacket.TcpOption> options = header.getOptions();
        for (TcpPacket.TcpOption option : options) {
            if (option instanceof IllegalTcpOption
                    || option instanceof UnknownTcpOption u && u.getLengthAsInt() != u.length()
                    || option instanceof TcpSackOption s && s.length() == 2) {
                return false;
            }
        }
        boolean endedByEol = !options.isEmpty() && options.get(options.size() - 1) instanceof TcpEndOfOptionList;
        return header.getPadding().length == 0 || endedByEol;
    }

    // ---- field comparisons ----

    private static void compareIpv4(Ipv4PacketView ip, IpV4Packet theirs, byte[] packet) {
        IpV4Packet.IpV4Header h = theirs.getHeader();
        String where = hex(packet);
        assertEquals(h.getVersion().value(), (byte) ip.version(), where);
        assertEquals(h.getIhlAsInt() * 4, ip.headerLength(), where);
        assertEquals(h.length(), ip.headerLength(), where);
        int flags = (h.getReservedFlag() ? Ipv4PacketView.FLAG_RESERVED : 0)
                | (h.getDontFragmentFlag() ? Ipv4PacketView.FLAG_DONT_FRAGMENT : 0)
                | (h.getMoreFragmentFlag() ? Ipv4PacketView.FLAG_MORE_FRAGMENTS : 0);
        Ipv4Header expected = new Ipv4Header(h.getTos().value() & 0xFF, h.getTotalLengthAsInt(), h.getIdentificationAsInt(),
                flags, h.getFragmentOffset(), h.getTtlAsInt(), h.getProtocol().value() & 0xFF,
                h.getHeaderChecksum() & 0xFFFF, address(h.getSrcAddr()), address(h.getDstAddr()), ipv4OptionBytes(h));
        assertEquals(expected, Ipv4Header.parse(ip), where);
        assertEquals(h.getDontFragmentFlag(), ip.dontFragment(), where);
        assertEquals(h.getMoreFragmentFlag(), ip.moreFragments(), where);
        assertEquals(theirs.getPayload() instanceof FragmentedPacket, ip.isFragment() && ip.payloadLength() > 0, where);
        if (reencodesExactly(h, packet, 0, ip.headerLength())) {
            assertEquals(h.hasValidChecksum(false), ip.headerChecksumValid(), where);
        }
        assertEquals(PacketMutator.checksumVerifies(packet, 0, ip.headerLength()), ip.headerChecksumValid(), where);
    }

    /** pcap4j's options re-encoded, then its padding: the option bytes of the header. */
    private static byte[] ipv4OptionBytes(IpV4Packet.IpV4Header h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        h.getOptions().forEach(o -> out.writeBytes(o.getRawData()));
        out.writeBytes(h.getPadding());
        return out.toByteArray();
    }

    private static void compareTcp(Ipv4PacketView ip4, TcpSegmentView tcp, TcpPacket theirs, IpV4Packet.IpV4Header ip, byte[] packet) {
        TcpPacket.TcpHeader h = theirs.getHeader();
        String where = hex(packet);
        // pcap4j follows RFC 793's six reserved bits; the low two are RFC 3168's CWR and ECE.
        int reserved6 = h.getReserved();
        int flags = (reserved6 & 0b10) << 6 | (reserved6 & 0b01) << 6
                | (h.getUrg() ? TcpFlags.URG : 0) | (h.getAck() ? TcpFlags.ACK : 0) | (h.getPsh() ? TcpFlags.PSH : 0)
                | (h.getRst() ? TcpFlags.RST : 0) | (h.getSyn() ? TcpFlags.SYN : 0) | (h.getFin() ? TcpFlags.FIN : 0);
        TcpOptions options = new TcpOptions(tcpOptionValues(h.getOptions()), h.length() - TcpSegmentView.MIN_HEADER_LENGTH);
        TcpHeader expected = new TcpHeader(h.getSrcPort().valueAsInt(), h.getDstPort().valueAsInt(), h.getSequenceNumber(),
                h.getAcknowledgmentNumber(), (reserved6 >>> 2) & 0x0F, flags, h.getWindowAsInt(), h.getChecksum() & 0xFFFF,
                h.getUrgentPointerAsInt(), options);
        assertEquals(expected, TcpHeader.parse(tcp), where);
        assertEquals(h.getDataOffsetAsInt() * 4, tcp.headerLength(), where);
        assertEquals(theirs.length(), tcp.length(), where);
        assertEquals((reserved6 & 0b10) != 0, tcp.hasFlag(TcpFlags.CWR), where);
        assertEquals((reserved6 & 0b01) != 0, tcp.hasFlag(TcpFlags.ECE), where);
        assertEquals(h.getUrg(), tcp.hasFlag(TcpFlags.URG), where);
        assertEquals(h.getAck(), tcp.hasFlag(TcpFlags.ACK), where);
        assertEquals(h.getPsh(), tcp.hasFlag(TcpFlags.PSH), where);
        assertEquals(h.getRst(), tcp.hasFlag(TcpFlags.RST), where);
        assertEquals(h.getSyn(), tcp.hasFlag(TcpFlags.SYN), where);
        assertEquals(h.getFin(), tcp.hasFlag(TcpFlags.FIN), where);
        compareParsedOptions(options.list(), tcp.options(), where);
        assertArrayEquals(rawOrEmpty(theirs.getPayload()), payload(tcp), where);
        if (reencodesExactly(theirs, packet, tcp.offset(), tcp.length())) {
            assertEquals(theirs.hasValidChecksum(ip.getSrcAddr(), ip.getDstAddr(), false),
                    tcp.checksumValid(ip4.sourceAddress(), ip4.destinationAddress()), where);
        }
        assertEquals(PacketMutator.tcpChecksumVerifies(ip4.sourceAddress(), ip4.destinationAddress(), packet, tcp.offset(), tcp.length()),
                tcp.checksumValid(ip4.sourceAddress(), ip4.destinationAddress()), where);
    }

    /** pcap4j's option objects as our option values, in wire order. */
    private static List<TcpOption> tcpOptionValues(List<TcpPacket.TcpOption> theirs) {
        List<TcpOption> values = new ArrayList<>();
        for (TcpPacket.TcpOption option : theirs) {
            values.add(tcpOptionValue(option));
        }
        return values;
    }

    private static TcpOption tcpOptionValue(TcpPacket.TcpOption option) {
        if (option instanceof TcpEndOfOptionList) {
            return new TcpOption.Eol();
        } else if (option instanceof TcpNoOperationOption) {
            return new TcpOption.Nop();
        } else if (option instanceof TcpMaximumSegmentSizeOption mss) {
            return new TcpOption.Mss(mss.getMaxSegSizeAsInt());
        } else if (option instanceof TcpWindowScaleOption ws) {
            return new TcpOption.WindowScale(ws.getShiftCountAsInt());
        } else if (option instanceof TcpSackPermittedOption) {
            return new TcpOption.SackPermitted();
        } else if (option instanceof TcpSackOption sack) {
            return new TcpOption.Sack(sackBlocks(sack));
        } else if (option instanceof TcpTimestampsOption ts) {
            return new TcpOption.Timestamps(ts.getTsValue(), ts.getTsEchoReply());
        } else if (option instanceof UnknownTcpOption unknown) {
            return new TcpOption.Unknown(unknown.getKind().value() & 0xFF, unknown.getData());
        }
        throw new AssertionError("pcap4j decoded an option we accepted as " + option);
    }

    /** pcap4j 1.8.2 has no accessor for the blocks; its raw encoding of them is the only way in. */
    private static List<TcpOption.SackBlock> sackBlocks(TcpSackOption sack) {
        ByteBuffer raw = ByteBuffer.wrap(sack.getRawData());
        List<TcpOption.SackBlock> blocks = new ArrayList<>();
        for (int at = 2; at + 8 <= raw.limit(); at += 8) {
            blocks.add(new TcpOption.SackBlock(raw.getInt(at), raw.getInt(at + 4)));
        }
        return blocks;
    }

    /** The hot-path {@link ParsedTcpOptions} against the option list: the last option of a kind wins. */
    private static void compareParsedOptions(List<TcpOption> list, ParsedTcpOptions parsed, String where) {
        TcpOption.Mss mss = last(list, TcpOption.Mss.class);
        TcpOption.WindowScale ws = last(list, TcpOption.WindowScale.class);
        TcpOption.Timestamps ts = last(list, TcpOption.Timestamps.class);
        TcpOption.Sack sack = last(list, TcpOption.Sack.class);
        assertEquals(mss != null, parsed.hasMss(), where);
        assertEquals(mss == null ? parsed.mss() : mss.mss(), parsed.mss(), where);
        assertEquals(ws != null, parsed.hasWindowScale(), where);
        assertEquals(ws == null ? parsed.windowScale() : ws.shift(), parsed.windowScale(), where);
        assertEquals(last(list, TcpOption.SackPermitted.class) != null, parsed.sackPermitted(), where);
        assertEquals(ts != null, parsed.hasTimestamps(), where);
        if (ts != null) {
            assertEquals(ts.tsVal(), parsed.tsVal(), where);
            assertEquals(ts.tsEcr(), parsed.tsEcr(), where);
        }
        List<TcpOption.SackBlock> blocks = sack == null ? List.of() : sack.blocks();
        assertEquals(blocks.size(), parsed.sackBlockCount(), where);
        for (int i = 0; i < blocks.size(); i++) {
            assertEquals(blocks.get(i), new TcpOption.SackBlock(parsed.sackLeft(i), parsed.sackRight(i)), where);
        }
        assertEquals(list.stream().filter(o -> o instanceof TcpOption.Unknown).count(), parsed.unknownCount(), where);
    }

    private static <T extends TcpOption> T last(List<TcpOption> list, Class<T> type) {
        T found = null;
        for (TcpOption option : list) {
            if (type.isInstance(option)) {
                found = type.cast(option);
            }
        }
        return found;
    }

    private static void compareIcmp(Icmpv4MessageView icmp, IcmpV4CommonPacket theirs, byte[] packet) {
        IcmpV4CommonPacket.IcmpV4CommonHeader h = theirs.getHeader();
        String where = hex(packet);
        assertEquals(h.getType().value() & 0xFF, icmp.type(), where);
        assertEquals(h.getCode().value() & 0xFF, icmp.code(), where);
        assertEquals(h.getChecksum() & 0xFFFF, icmp.checksum(), where);
        if (reencodesExactly(theirs, packet, icmp.offset(), icmp.length())) {
            assertEquals(theirs.hasValidChecksum(false), icmp.checksumValid(), where);
        }
        assertEquals(PacketMutator.checksumVerifies(packet, icmp.offset(), icmp.length()), icmp.checksumValid(), where);
        int type = icmp.type();
        if (type == Icmpv4MessageView.TYPE_ECHO_REQUEST || type == Icmpv4MessageView.TYPE_ECHO_REPLY) {
            // The two echo classes share a base class that pcap4j does not export.
            Packet echo = theirs.getPayload();
            int identifier = echo instanceof IcmpV4EchoPacket request ? request.getHeader().getIdentifierAsInt()
                    : ((IcmpV4EchoReplyPacket) echo).getHeader().getIdentifierAsInt();
            int sequence = echo instanceof IcmpV4EchoPacket request ? request.getHeader().getSequenceNumberAsInt()
                    : ((IcmpV4EchoReplyPacket) echo).getHeader().getSequenceNumberAsInt();
            assertEquals(identifier, icmp.identifier(), where);
            assertEquals(sequence, icmp.sequenceNumber(), where);
            byte[] body = new byte[icmp.bodyLength()];
            icmp.buffer().getBytes(icmp.bodyOffset(), body);
            assertArrayEquals(rawOrEmpty(echo.getPayload()), body, where);
        }
    }

    // ---- small helpers ----

    /**
     * pcap4j verifies checksums over its own re-encoding of what it parsed, which can differ from
     * the bytes received (an ICMP information request drops trailing bytes, for one). Its verdict
     * is comparable only when the re-encoding is exact; our checksums are always compared with the
     * plain RFC 1071 reference in {@link PacketMutator} as well.
     */
    private static boolean reencodesExactly(Packet.Header header, byte[] packet, int offset, int length) {
        return Arrays.equals(header.getRawData(), 0, header.length(), packet, offset, offset + length)
                && header.length() == length;
    }

    private static boolean reencodesExactly(Packet decoded, byte[] packet, int offset, int length) {
        byte[] raw = decoded.getRawData();
        return Arrays.equals(raw, 0, raw.length, packet, offset, offset + length);
    }

    private static byte[] payload(TcpSegmentView tcp) {
        byte[] payload = new byte[tcp.payloadLength()];
        tcp.buffer().getBytes(tcp.payloadOffset(), payload);
        return payload;
    }

    private static byte[] rawOrEmpty(Packet packet) {
        return packet == null ? new byte[0] : packet.getRawData();
    }

    private static Ipv4Address address(Inet4Address address) {
        return new Ipv4Address(ByteBuffer.wrap(address.getAddress()).getInt());
    }

    private static String describe(Packet packet) {
        return packet == null ? "no payload" : packet.getClass().getSimpleName();
    }

    private static AssertionError disagreement(String what, byte[] packet) {
        return new AssertionError(what + ": " + hex(packet));
    }

    private static String hex(byte[] packet) {
        return HexFormat.of().formatHex(packet);
    }
}
