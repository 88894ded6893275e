package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.testkit.PcapFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;

/**
 * Golden tests on packets the Linux kernel built (see {@code golden/README.md}): every captured
 * datagram must pass our structural checks and checksums, survive parse then emit byte for byte,
 * and format exactly as tcpdump printed it in the capture's {@code .txt}.
 *
 * <p>Each capture is a container and each packet a named case ({@code #n} and tcpdump's own line),
 * so a failure says which real packet we got wrong. Per-capture facts (options of the Linux SYN,
 * SACK blocks, ECN, ...) are in {@link GoldenCaptureContentsTest}.
 */
class GoldenPacketsTest {
    /** Every capture in {@code golden/} with its packet count, listed so a missing file fails instead of shrinking the test. */
    static final Map<String, Integer> CAPTURES = captures();

    static final int CLIENT = Ipv4Address.parse("198.18.0.1");
    static final int SERVER = Ipv4Address.parse("198.18.0.2");

    /**
     * Packets whose tcpdump line our formatter does not reproduce, each with the reason. Every one
     * still gets {@link #assertKnownDifference}, which checks the part that must agree and that the
     * lines do differ (so the entry goes once the formatter learns the case).
     */
    private static final Map<String, String> KNOWN_FORMAT_DIFFERENCES = Map.of(
            "icmp#10", "UDP: the stack does not speak UDP, so the formatter prints tcpdump's generic"
                    + " 'ip-proto-17 <length>' form where tcpdump decodes the ports and the UDP length");

    private static Map<String, Integer> captures() {
        Map<String, Integer> captures = new LinkedHashMap<>();
        captures.put("tcp-handshake-data-close", 14);
        captures.put("tcp-no-options", 12);
        captures.put("tcp-rst-closed-port", 10);
        captures.put("tcp-sack", 250);
        captures.put("tcp-ecn-urg", 13);
        captures.put("tcp-small-mss", 20);
        captures.put("icmp", 18);
        return captures;
    }

    // ---- the set of captures ----

    @Test
    void readme_describesExactlyTheCapturesTested() throws IOException {
        // The README has one "### `NAME.pcap` — N packets" heading per capture.
        Pattern heading = Pattern.compile("^### `([\\w-]+)\\.pcap` — (\\d+) packets", Pattern.MULTILINE);
        Matcher m = heading.matcher(resourceText("golden/README.md"));
        Map<String, Integer> described = new LinkedHashMap<>();
        while (m.find()) {
            described.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertEquals(CAPTURES, described);
    }

    @TestFactory
    Stream<DynamicNode> capture_hasOneTcpdumpLinePerPacket_andOnlyIpv4Records() {
        return CAPTURES.keySet().stream().map(name -> dynamicTest(name, () -> {
            Capture capture = Capture.load(name);
            assertEquals(CAPTURES.get(name), capture.packets().size(), "packets in " + name + ".pcap");
            assertEquals(capture.packets().size(), capture.lines().size(), "lines in " + name + ".txt");
            for (int i = 0; i < capture.packets().size(); i++) {
                // Record index == list index: no non-IPv4 frame was skipped, so line i is packet i.
                assertEquals(i, capture.packets().get(i).index(), "pcap record of packet " + i);
            }
        }));
    }

    // ---- 1. structure and checksums ----

    @TestFactory
    Stream<DynamicNode> everyPacket_isWellFormed_andItsChecksumsVerify() {
        return perPacket(GoldenPacketsTest::assertWellFormed);
    }

    private static void assertWellFormed(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
            assertNull(ip.check(), "Ipv4PacketView.check()");
            // veth does not pad frames (README), so the datagram is exactly the bytes captured.
            assertEquals(bytes.length, ip.totalLength(), "total length");
            assertTrue(ip.headerChecksumValid(), "IPv4 header checksum"); // RFC 1122 §3.2.1.2
            PacketDecoder decoder = new PacketDecoder(a -> a == CLIENT || a == SERVER, ChecksumPolicy.VERIFY);
            DropReason decoded = decoder.decode(buf);
            if (ip.isFragment()) {
                assertFragment(ip, decoded);
                return;
            }
            switch (ip.protocol()) {
                case Ipv4PacketView.PROTOCOL_TCP -> assertTcp(ip, decoded);
                case Ipv4PacketView.PROTOCOL_ICMP -> assertIcmp(ip, decoded);
                case Ipv4PacketView.PROTOCOL_UDP -> assertUdp(ip, decoded);
                default -> fail("protocol " + ip.protocol() + " is in no golden capture");
            }
        } finally {
            buf.release();
        }
    }

    private static void assertFragment(Ipv4PacketView ip, DropReason decoded) {
        // Reassembly is not supported: every fragment, first or not, is dropped as such.
        assertEquals(DropReason.IPV4_FRAGMENT, decoded, "PacketDecoder on a fragment");
        if (ip.fragmentOffset() == 0) {
            // The first fragment carries the ICMP header; its checksum covers the whole
            // reassembled message, checked in GoldenCaptureContentsTest.
            assertEquals(Ipv4PacketView.PROTOCOL_ICMP, ip.protocol());
            assertNull(new Icmpv4MessageView().wrap(ip).check(), "ICMP header of the first fragment");
        }
    }

    private static void assertTcp(Ipv4PacketView ip, DropReason decoded) {
        assertNull(decoded, "PacketDecoder");
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        assertNull(tcp.check(), "TcpSegmentView.check()");
        assertTrue(tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()), "TCP checksum"); // RFC 9293 MUST-3
    }

    private static void assertIcmp(Ipv4PacketView ip, DropReason decoded) {
        assertNull(decoded, "PacketDecoder");
        Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
        assertNull(icmp.check(), "Icmpv4MessageView.check()");
        assertTrue(icmp.checksumValid(), "ICMP checksum"); // RFC 792
    }

    private static void assertUdp(Ipv4PacketView ip, DropReason decoded) {
        assertEquals(DropReason.IPV4_UNSUPPORTED_PROTOCOL, decoded, "PacketDecoder on UDP");
        // RFC 768: the UDP checksum covers the same pseudo-header as TCP's; Linux always sends one.
        ByteBuf buf = ip.buffer();
        int udpLength = buf.getUnsignedShort(ip.payloadOffset() + 4);
        assertEquals(ip.payloadLength(), udpLength, "UDP length");
        assertNotEquals(0, buf.getUnsignedShort(ip.payloadOffset() + 6), "UDP checksum present");
        long sum = InternetChecksum.pseudoHeaderSum(ip.sourceAddress(), ip.destinationAddress(),
                Ipv4PacketView.PROTOCOL_UDP, udpLength) + InternetChecksum.sum(buf, ip.payloadOffset(), udpLength);
        assertTrue(InternetChecksum.verifies(sum), "UDP checksum");
    }

    // ---- 2. parse -> record -> emit ----

    @TestFactory
    Stream<DynamicNode> everyPacket_parsedAndEmitted_givesTheSameBytes() {
        return perPacket(GoldenPacketsTest::assertRoundTrip);
    }

    private static void assertRoundTrip(byte[] original) {
        ByteBuf in = Unpooled.wrappedBuffer(original);
        // Garbage, not zeros, so that any byte emit forgets to write shows up.
        ByteBuf out = Unpooled.buffer(original.length).setBytes(0, filler(original.length));
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(in, 0, original.length);
            assertNull(ip.check());
            Ipv4Header ipHeader = Ipv4Header.parse(ip);
            Ipv4PacketView outIp = new Ipv4PacketView().wrap(out, 0, original.length);
            int ipLength = ipHeader.emit(outIp);
            assertEquals(ip.headerLength(), ipLength, "IPv4 header length emitted");
            // emit computes a fresh header checksum: it must be the one Linux computed.
            assertNull(outIp.check());
            assertEquals(ipHeader, Ipv4Header.parse(outIp), "IPv4 header parsed back");
            boolean wholeDatagram = ip.protocol() == Ipv4PacketView.PROTOCOL_TCP && !ip.isFragment();
            if (wholeDatagram) {
                emitTcp(ip, out, ipLength);
            }
            int compared = wholeDatagram ? original.length : ipLength;
            assertArrayEquals(slice(original, compared), ByteBufUtil.getBytes(out, 0, compared),
                    wholeDatagram ? "whole datagram" : "IPv4 header");
            // Views write with absolute indices and never move the buffer's own.
            assertEquals(0, out.readerIndex());
            assertEquals(0, out.writerIndex());
        } finally {
            in.release();
            out.release();
        }
    }

    /** Parses the TCP header, emits it after the IPv4 header in {@code out}, copies the payload, fills the checksum. */
    private static void emitTcp(Ipv4PacketView ip, ByteBuf out, int at) {
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        assertNull(tcp.check());
        TcpHeader tcpHeader = TcpHeader.parse(tcp);
        TcpSegmentView outTcp = new TcpSegmentView().wrap(out, at, ip.payloadLength());
        int tcpLength = tcpHeader.emit(outTcp);
        assertEquals(tcp.headerLength(), tcpLength, "TCP header length emitted");
        out.setBytes(at + tcpLength, ip.buffer(), tcp.payloadOffset(), tcp.payloadLength());
        outTcp.fillChecksum(ip.sourceAddress(), ip.destinationAddress());
        assertNull(outTcp.check());
        assertEquals(tcpHeader, TcpHeader.parse(outTcp), "TCP header parsed back");
    }

    private static byte[] filler(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (0xA5 ^ i);
        }
        return bytes;
    }

    private static byte[] slice(byte[] bytes, int length) {
        byte[] head = new byte[length];
        System.arraycopy(bytes, 0, head, 0, length);
        return head;
    }

    // ---- 3. tcpdump's notation ----

    @TestFactory
    Stream<DynamicNode> everyPacket_formatsAsTcpdumpPrintedIt() {
        return CAPTURES.keySet().stream().map(name -> {
            Capture capture = Capture.load(name);
            return dynamicContainer(name, IntStream.range(0, capture.packets().size()).mapToObj(i -> {
                String reason = KNOWN_FORMAT_DIFFERENCES.get(name + "#" + i);
                return namedTest(capture, i, reason == null ? "" : " [differs: " + reason + "]", () -> {
                    assertTrue(i < capture.lines().size(), "no line in " + name + ".txt for this packet");
                    String expected = capture.lines().get(i);
                    String actual = "IP " + format(capture.bytes(i));
                    if (reason == null) {
                        assertEquals(expected, actual);
                    } else {
                        assertKnownDifference(capture.bytes(i), expected, actual);
                    }
                });
            }));
        });
    }

    @Test
    void knownFormatDifferences_nameRealPackets() {
        for (String key : KNOWN_FORMAT_DIFFERENCES.keySet()) {
            String[] parts = key.split("#");
            assertTrue(CAPTURES.containsKey(parts[0]), key);
            assertTrue(Integer.parseInt(parts[1]) < CAPTURES.get(parts[0]), key);
        }
    }

    private static final Pattern TCPDUMP_UDP = Pattern.compile(
            "IP (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.(\\d+) > (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.(\\d+): UDP, length (\\d+)");

    /**
     * The only difference listed is a UDP datagram: the addresses must agree, and our generic
     * line's length (the IP payload) must be tcpdump's UDP payload length plus the 8-byte UDP header.
     */
    private static void assertKnownDifference(byte[] bytes, String expected, String actual) {
        assertNotEquals(expected, actual, "the formatter now matches tcpdump: drop the known difference");
        assertEquals(Ipv4PacketView.PROTOCOL_UDP, bytes[9] & 0xFF, "no partial check written for this protocol");
        Matcher udp = TCPDUMP_UDP.matcher(expected);
        assertTrue(udp.matches(), expected);
        int udpPayload = Integer.parseInt(udp.group(5));
        assertEquals("IP " + udp.group(1) + " > " + udp.group(3) + ": ip-proto-17 " + (udpPayload + 8), actual);
    }

    private static String format(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            String line = TcpdumpFormatter.format(buf);
            assertEquals(0, buf.readerIndex(), "the formatter borrows: reader index untouched");
            return line;
        } finally {
            buf.release();
        }
    }

    // ---- shared ----

    /** One dynamic test per packet of every capture, grouped by capture. */
    private static Stream<DynamicNode> perPacket(PacketCheck check) {
        return CAPTURES.keySet().stream().map(name -> {
            Capture capture = Capture.load(name);
            return dynamicContainer(name, IntStream.range(0, capture.packets().size())
                    .mapToObj(i -> namedTest(capture, i, "", () -> check.accept(capture.bytes(i)))));
        });
    }

    /**
     * A dynamic test named after the packet, whose failures also name it: surefire's report shows
     * dynamic tests by position only ({@code [4][73]}), so the message carries capture and packet.
     */
    private static DynamicNode namedTest(Capture capture, int i, String suffix, Executable run) {
        String name = caseName(capture, i) + suffix;
        return dynamicTest(name, () -> {
            try {
                run.execute();
            } catch (AssertionFailedError e) {
                throw new AssertionFailedError(capture.name() + " " + name + ": " + e.getMessage(),
                        e.getExpected(), e.getActual(), e);
            }
        });
    }

    /** "#3 198.18.0.1.40001 > ...": the packet's number and tcpdump's line for it, cut to stay readable. */
    private static String caseName(Capture capture, int i) {
        String line = i < capture.lines().size() ? capture.lines().get(i).substring("IP ".length()) : "(no tcpdump line)";
        return "#" + i + " " + (line.length() > 110 ? line.substring(0, 110) + "…" : line);
    }

    @FunctionalInterface
    private interface PacketCheck {
        void accept(byte[] packet) throws Throwable;
    }

    static String resourceText(String name) throws IOException {
        try (InputStream in = GoldenPacketsTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no resource " + name + " next to " + GoldenPacketsTest.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * One golden capture: its IPv4 datagrams in pcap order and tcpdump's {@code -n -S -t} lines.
     *
     * @param name the file name without extension
     */
    record Capture(String name, List<PcapFile.Packet> packets, List<String> lines) {
        static Capture load(String name) {
            try {
                List<PcapFile.Packet> packets = PcapFile.readResource(GoldenPacketsTest.class, "golden/" + name + ".pcap");
                List<String> lines = new ArrayList<>(resourceText("golden/" + name + ".txt").lines().toList());
                return new Capture(name, packets, lines);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The datagram of packet {@code i} (a fresh copy). */
        byte[] bytes(int i) {
            return packets.get(i).ipv4();
        }
    }
}
