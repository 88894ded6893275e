package io.usertcp.wire;

import static io.usertcp.testkit.TestPackets.CLIENT;
import static io.usertcp.testkit.TestPackets.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.TcpOption.Mss;
import io.usertcp.wire.TcpOption.Nop;
import io.usertcp.wire.TcpOption.SackPermitted;
import io.usertcp.wire.TcpOption.Timestamps;
import io.usertcp.wire.TcpOption.WindowScale;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpdumpFormatter}: one line per packet as {@code tcpdump -n -S} prints it (without the
 * leading "IP "), for hand-built segments of every common kind, ICMP echo and errors, and
 * malformed input, which gives a line instead of throwing. (The golden captures are compared line
 * by line in {@code GoldenPacketsTest}.)
 */
class TcpdumpFormatterTest {
    private static final String C = "198.18.0.1.40000";
    private static final String S = "198.18.0.2.80";

    // ---- TCP ----

    @Test
    void syn_printsSeqWindowAndOptions() {
        TcpOptions options = TcpOptions.of(new Mss(1460), new SackPermitted(), new Timestamps(1, 0), new Nop(), new WindowScale(7));
        assertEquals(C + " > " + S + ": Flags [S], seq 100, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
                formatTcp(true, TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, options), 0));
    }

    @Test
    void synAck_printsSeqAndAck() {
        assertEquals(S + " > " + C + ": Flags [S.], seq 300, ack 101, win 65160, options [mss 1460], length 0",
                formatTcp(false, TcpHeader.of(80, 40000, 300, 101, TcpFlags.SYN | TcpFlags.ACK, 65160,
                        TcpOptions.of(new Mss(1460))), 0));
    }

    @Test
    void pureAck_printsNoSeq() {
        assertEquals(C + " > " + S + ": Flags [.], ack 301, win 502, length 0",
                formatTcp(true, TcpHeader.of(40000, 80, 101, 301, TcpFlags.ACK, 502, TcpOptions.NONE), 0));
    }

    @Test
    void data_printsSeqRangeAndLength() {
        assertEquals(C + " > " + S + ": Flags [P.], seq 101:106, ack 301, win 502, length 5",
                formatTcp(true, TcpHeader.of(40000, 80, 101, 301, TcpFlags.PSH | TcpFlags.ACK, 502, TcpOptions.NONE), 5));
    }

    @Test
    void data_acrossSequenceWrap_printsUnsignedEnds() {
        assertEquals(C + " > " + S + ": Flags [.], seq 4294967294:3, ack 1, win 502, length 5",
                formatTcp(true, TcpHeader.of(40000, 80, -2, 1, TcpFlags.ACK, 502, TcpOptions.NONE), 5));
    }

    @Test
    void fin_printsSeqWithoutRange() {
        assertEquals(C + " > " + S + ": Flags [F.], seq 106, ack 301, win 502, length 0",
                formatTcp(true, TcpHeader.of(40000, 80, 106, 301, TcpFlags.FIN | TcpFlags.ACK, 502, TcpOptions.NONE), 0));
    }

    @Test
    void rst_printsSeq_andRstAckPrintsBoth() {
        assertEquals(C + " > " + S + ": Flags [R], seq 106, win 0, length 0",
                formatTcp(true, TcpHeader.of(40000, 80, 106, 0, TcpFlags.RST, 0, TcpOptions.NONE), 0));
        assertEquals(S + " > " + C + ": Flags [R.], seq 0, ack 101, win 0, length 0",
                formatTcp(false, TcpHeader.of(80, 40000, 0, 101, TcpFlags.RST | TcpFlags.ACK, 0, TcpOptions.NONE), 0));
    }

    @Test
    void urg_printsUrgentPointerBeforeOptions() {
        TcpOptions ts = TcpOptions.of(new Nop(), new Nop(), new Timestamps(1, 2));
        assertEquals(C + " > " + S + ": Flags [P.U], seq 101:107, ack 301, win 63, urg 6, options [nop,nop,TS val 1 ecr 2], length 6",
                formatTcp(true, new TcpHeader(40000, 80, 101, 301, 0, TcpFlags.URG | TcpFlags.PSH | TcpFlags.ACK, 63, 0, 6, ts), 6));
    }

    @Test
    void ecnSyn_printsSew() {
        assertEquals(C + " > " + S + ": Flags [SEW], seq 100, win 64240, length 0",
                formatTcp(true, TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, 64240, TcpOptions.NONE), 0));
    }

    // ---- ICMP ----

    @Test
    void echoRequestAndReply_printIdSeqAndLength() {
        assertEquals("198.18.0.1 > 198.18.0.2: ICMP echo request, id 7, seq 1, length 64",
                format(TestPackets.echoRequest(7, 1, 56)));
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP echo reply, id 7, seq 1, length 64",
                format(TestPackets.icmp(SERVER, CLIENT, Icmpv4MessageView.TYPE_ECHO_REPLY, 0, (7 << 16) | 1, new byte[56])));
    }

    @Test
    void portUnreachable_namesTheQuotedProtocolAndPort() {
        byte[] udp = TestPackets.udp(40008, 33434, "usertcp udp probe".getBytes(StandardCharsets.US_ASCII));
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port 33434 unreachable, length 53",
                format(TestPackets.unreachable(SERVER, CLIENT, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0, udp, udp.length)));
        byte[] tcp = TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.NONE), new byte[0]);
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 tcp port 80 unreachable, length 36",
                format(TestPackets.unreachable(SERVER, CLIENT, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0, tcp, 28)));
    }

    @Test
    void fragmentationNeeded_printsMtu() {
        byte[] tcp = TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.ACK, 64240, TcpOptions.NONE), new byte[1460]);
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 unreachable - need to frag (mtu 1400), length 36",
                format(TestPackets.unreachable(SERVER, CLIENT, Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED, 1400, tcp, 28)));
    }

    @Test
    void timeExceeded_printsInTransit() {
        byte[] tcp = TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.NONE), new byte[0]);
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP time exceeded in-transit, length 36",
                format(TestPackets.icmp(SERVER, CLIENT, Icmpv4MessageView.TYPE_TIME_EXCEEDED, 0, 0, Arrays.copyOf(tcp, 28))));
    }

    // ---- other protocols and fragments ----

    @Test
    void unknownProtocol_printsIpProtoAndLength() {
        Ipv4Header ip = Ipv4Header.of(CLIENT, SERVER, 253, 11, 64, 1);
        assertEquals("198.18.0.1 > 198.18.0.2: ip-proto-253 11", format(TestPackets.ipv4(ip, new byte[11])));
    }

    @Test
    void laterFragment_printsIpProtoOnly() {
        Ipv4Header ip = new Ipv4Header(0, 28, 1, 0, 185, 64, Ipv4PacketView.PROTOCOL_ICMP, 0, CLIENT, SERVER, null);
        assertEquals("198.18.0.1 > 198.18.0.2: ip-proto-1", format(TestPackets.ipv4(ip, new byte[8])));
    }

    // ---- malformed input gives a line ----

    @Test
    void truncatedIpv4_saysSo() {
        assertEquals("malformed IPv4 (IPV4_TRUNCATED), 10 bytes", format(new byte[10]));
        assertEquals("malformed IPv4 (IPV4_TRUNCATED), 0 bytes", format(new byte[0]));
    }

    @Test
    void badTcpOption_saysSo() {
        byte[] packet = TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.of(new Mss(1460))), new byte[0]);
        packet[20 + 20 + 1] = 1;
        assertEquals("198.18.0.1 > 198.18.0.2: malformed TCP (TCP_BAD_OPTION), length 24", format(packet));
    }

    @Test
    void truncatedIcmp_saysSo() {
        Ipv4Header ip = Ipv4Header.of(CLIENT, SERVER, Ipv4PacketView.PROTOCOL_ICMP, 7, 64, 1);
        assertEquals("198.18.0.1 > 198.18.0.2: ICMP truncated, length 7", format(TestPackets.ipv4(ip, new byte[7])));
    }

    @Test
    void unreachableWithShortQuote_omitsWhatItCannotRead() {
        byte[] tcp = TestPackets.tcp(TcpHeader.of(40000, 80, 100, 0, TcpFlags.SYN, 64240, TcpOptions.NONE), new byte[0]);
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP port unreachable, length 28",
                format(TestPackets.unreachable(SERVER, CLIENT, Icmpv4MessageView.CODE_PORT_UNREACHABLE, 0, tcp, 20)));
        assertEquals("198.18.0.2 > 198.18.0.1: ICMP ? unreachable - need to frag (mtu 576), length 8",
                format(TestPackets.unreachable(SERVER, CLIENT, Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED, 576, tcp, 0)));
    }

    @Test
    void randomlyCorruptedPackets_neverThrow() throws IOException {
        // Every golden packet with up to four random bytes changed, and truncated at random.
        SplittableRandom random = new SplittableRandom(4099);
        List<byte[]> seeds = List.of(Ipv4PacketViewTest.golden("icmp.pcap", 6), Ipv4PacketViewTest.golden("icmp.pcap", 11),
                Ipv4PacketViewTest.golden("tcp-handshake-data-close.pcap", 0), Ipv4PacketViewTest.golden("tcp-sack.pcap", 30));
        for (int i = 0; i < 20_000; i++) {
            byte[] seed = seeds.get(random.nextInt(seeds.size()));
            byte[] packet = Arrays.copyOf(seed, random.nextInt(seed.length + 1));
            for (int flips = random.nextInt(5); flips > 0 && packet.length > 0; flips--) {
                packet[random.nextInt(Math.min(packet.length, 64))] = (byte) random.nextInt(256);
            }
            String line = format(packet);
            assertFalse(line.isEmpty());
        }
    }

    @Test
    void formatOfByteBuf_usesReadableBytes_andMovesNoIndex() {
        byte[] packet = TestPackets.echoRequest(7, 1, 56);
        ByteBuf buf = Unpooled.buffer(packet.length + 20);
        try {
            buf.writeZero(14).writeBytes(packet);
            buf.readerIndex(14); // as if an Ethernet header had been read
            int writerIndex = buf.writerIndex();
            assertEquals("198.18.0.1 > 198.18.0.2: ICMP echo request, id 7, seq 1, length 64", TcpdumpFormatter.format(buf));
            assertEquals(14, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
            assertTrue(TcpdumpFormatter.format(buf, 14, packet.length).startsWith("198.18.0.1 > 198.18.0.2: ICMP echo"));
        } finally {
            buf.release();
        }
    }

    // ---- helpers ----

    /** A CLIENT > SERVER (or SERVER > CLIENT) segment with {@code payloadLength} zero bytes of data, formatted. */
    private static String formatTcp(boolean fromClient, TcpHeader header, int payloadLength) {
        byte[] packet = fromClient
                ? TestPackets.tcp(CLIENT, SERVER, header, new byte[payloadLength])
                : TestPackets.tcp(SERVER, CLIENT, header, new byte[payloadLength]);
        return format(packet);
    }

    private static String format(byte[] packet) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            return TcpdumpFormatter.format(buf);
        } finally {
            buf.release();
        }
    }
}
