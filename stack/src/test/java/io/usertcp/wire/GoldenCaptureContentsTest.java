package io.usertcp.wire;

import static io.usertcp.wire.GoldenPacketsTest.CLIENT;
import static io.usertcp.wire.GoldenPacketsTest.SERVER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.GoldenPacketsTest.Capture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Field-level facts about the golden captures (see {@code golden/README.md} and the {@code .txt}
 * files): what Linux put in its SYNs, SACK blocks, ECN bits, urgent pointer, RSTs and ICMP
 * messages, read back through our views and values. Numbers such as sequence numbers and
 * timestamps are the ones tcpdump printed for the capture, not values taken from our own code.
 */
class GoldenCaptureContentsTest {

    /** {@code tcp-handshake-data-close}: Linux defaults, three messages each way, FIN close. */
    @Nested
    class HandshakeDataClose {
        private final List<Segment> segments = tcpSegments("tcp-handshake-data-close");

        @Test
        void linuxSyn_offersMssSackOkTimestampsNopWindowScale_inThatOrder() {
            Segment syn = segments.get(0);
            assertEquals(TcpFlags.SYN, syn.tcp().flags());
            assertEquals((int) 3264628654L, syn.tcp().seq());
            assertEquals(List.of(new TcpOption.Mss(1460), new TcpOption.SackPermitted(),
                    new TcpOption.Timestamps(1681668256, 0), new TcpOption.Nop(), new TcpOption.WindowScale(10)),
                    syn.tcp().options().list());
            ParsedTcpOptions options = syn.options();
            assertTrue(options.hasMss());
            assertEquals(1460, options.mss());
            assertTrue(options.sackPermitted());
            assertTrue(options.hasTimestamps());
            assertEquals(1681668256, options.tsVal());
            // RFC 7323 §3.2: TSecr is zero when the ACK bit is not set.
            assertEquals(0, options.tsEcr());
            assertTrue(options.hasWindowScale());
            assertEquals(10, options.windowScale());
            assertEquals(0, options.sackBlockCount());
            assertEquals(0, options.unknownCount());
        }

        @Test
        void linuxSynAck_acknowledgesSynPlusOne_andEchoesItsTimestamp() {
            Segment syn = segments.get(0);
            Segment synAck = segments.get(1);
            assertEquals(TcpFlags.SYN | TcpFlags.ACK, synAck.tcp().flags());
            assertEquals(SeqNum.add(syn.tcp().seq(), 1), synAck.tcp().ack()); // RFC 9293 §3.5
            assertEquals(syn.options().tsVal(), synAck.options().tsEcr()); // RFC 7323 §3.2
            assertEquals(1460, synAck.options().mss());
            assertTrue(synAck.options().sackPermitted());
            assertEquals(10, synAck.options().windowScale());
        }

        @Test
        void afterTheSyns_everySegmentCarriesNopNopTimestampsOnly() {
            for (Segment s : segments.subList(2, segments.size())) {
                // RFC 7323 §3.2: once negotiated, TSopt on every segment; MSS and window scale
                // only ever in SYNs (RFC 9293 §3.1, RFC 7323 §2.2).
                assertEquals(12, s.tcp().options().areaLength(), s.toString());
                assertEquals(List.of(TcpOption.Nop.class, TcpOption.Nop.class, TcpOption.Timestamps.class),
                        s.tcp().options().list().stream().map(Object::getClass).toList(), s.toString());
                assertFalse(s.options().hasMss(), s.toString());
                assertFalse(s.options().hasWindowScale(), s.toString());
            }
        }

        @Test
        void everyTimestampEcho_isAValueThePeerSent() {
            Map<Integer, List<Integer>> tsValsFrom = new HashMap<>();
            for (Segment s : segments) {
                if (s.tcp().hasFlag(TcpFlags.ACK)) {
                    // RFC 7323 §4.3: TSecr echoes TS.Recent, a TSval received from the peer.
                    assertTrue(tsValsFrom.getOrDefault(s.ip().destination().bits(), List.of()).contains(s.options().tsEcr()),
                            s.toString());
                }
                tsValsFrom.computeIfAbsent(s.ip().source().bits(), k -> new ArrayList<>()).add(s.options().tsVal());
            }
        }

        @Test
        void payloads_areTheMessagesAndTheirEchoes_eachWithPsh() {
            assertEquals(List.of("hello\n", "usertcp golden data\n", "bye\n"), payloadsFrom(segments, CLIENT));
            assertEquals(List.of("ok:hello\n", "ok:usertcp golden data\n", "ok:bye\n"), payloadsFrom(segments, SERVER));
            segments.stream().filter(s -> s.payload().length > 0)
                    .forEach(s -> assertEquals(TcpFlags.PSH | TcpFlags.ACK, s.tcp().flags(), s.toString()));
        }

        @Test
        void sequenceSpace_isContiguous_fromSynToFin() {
            assertContiguousSequenceSpace(segments);
            // Client closes first: its FIN (#11) is acknowledged by the server's FIN, seq + 1.
            Segment clientFin = segments.get(11);
            Segment serverFin = segments.get(12);
            assertEquals(TcpFlags.FIN | TcpFlags.ACK, clientFin.tcp().flags());
            assertEquals(TcpFlags.FIN | TcpFlags.ACK, serverFin.tcp().flags());
            assertEquals(SeqNum.add(clientFin.tcp().seq(), 1), serverFin.tcp().ack());
            assertEquals(SeqNum.add(serverFin.tcp().seq(), 1), segments.get(13).tcp().ack());
        }
    }

    /** {@code tcp-no-options}: timestamps, SACK and window scaling switched off on both ends. */
    @Nested
    class NoOptions {
        private final List<Segment> segments = tcpSegments("tcp-no-options");

        @Test
        void synAndSynAck_carryOnlyMss() {
            for (Segment s : segments.subList(0, 2)) {
                assertTrue(s.tcp().hasFlag(TcpFlags.SYN));
                assertEquals(TcpOptions.of(new TcpOption.Mss(1460)), s.tcp().options());
                assertEquals(4, s.tcp().options().areaLength());
                assertTrue(s.options().hasMss());
                assertEquals(1460, s.options().mss());
                assertFalse(s.options().sackPermitted());
                assertFalse(s.options().hasTimestamps());
                assertFalse(s.options().hasWindowScale());
            }
        }

        @Test
        void laterSegments_haveABare20ByteHeader() {
            for (Segment s : segments.subList(2, segments.size())) {
                assertEquals(TcpOptions.NONE, s.tcp().options(), s.toString());
                assertEquals(TcpSegmentView.MIN_HEADER_LENGTH, s.tcp().headerLength(), s.toString());
                assertEquals(Ipv4PacketView.MIN_HEADER_LENGTH, s.ip().headerLength(), s.toString());
            }
        }

        @Test
        void payloads_andSequenceSpace() {
            assertEquals(List.of("no options\n", "bye\n"), payloadsFrom(segments, CLIENT));
            assertEquals(List.of("ok:no options\n", "ok:bye\n"), payloadsFrom(segments, SERVER));
            assertContiguousSequenceSpace(segments);
        }
    }

    /** {@code tcp-rst-closed-port}: a SYN to a closed port, then an abortive close with SO_LINGER {on, 0}. */
    @Nested
    class RstClosedPort {
        private final List<Segment> segments = tcpSegments("tcp-rst-closed-port");

        @Test
        void synToClosedPort_isAnsweredWithRstAck_seqZero_ackSynPlusOne() {
            Segment syn = segments.get(0);
            Segment rst = segments.get(1);
            assertEquals(TcpFlags.SYN, syn.tcp().flags());
            assertEquals(5999, syn.tcp().destinationPort());
            // RFC 9293 §3.10.7.1 (CLOSED): the SYN has no ACK, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
            assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.tcp().flags());
            assertEquals(0, rst.tcp().seq());
            assertEquals(SeqNum.add(syn.tcp().seq(), 1), rst.tcp().ack());
            assertEquals((int) 858327144L, rst.tcp().ack());
            assertEquals(0, rst.tcp().window());
            assertEquals(TcpOptions.NONE, rst.tcp().options());
            assertEquals(0, rst.payload().length);
            assertEquals(5999, rst.tcp().sourcePort());
            assertEquals(40003, rst.tcp().destinationPort());
        }

        @Test
        void abortiveClose_sendsRstAckAtSndNxt_withTimestamps() {
            Segment request = segments.get(5);
            Segment reply = segments.get(7);
            Segment rst = segments.get(9);
            assertEquals("abort after this\n", text(request.payload()));
            assertEquals("ok:abort after this\n", text(reply.payload()));
            assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.tcp().flags());
            assertEquals(40004, rst.tcp().sourcePort());
            // RFC 9293 §3.10.4 (ABORT): <SEQ=SND.NXT><CTL=RST>; SND.NXT is past the request's bytes.
            assertEquals(SeqNum.add(request.tcp().seq(), request.payload().length), rst.tcp().seq());
            assertEquals(SeqNum.add(reply.tcp().seq(), reply.payload().length), rst.tcp().ack());
            assertTrue(rst.options().hasTimestamps());
            assertEquals(0, rst.payload().length);
        }
    }

    /** {@code tcp-sack}: the receiver drops segments 20, 22 and 45 of every 64 and SACKs around the holes. */
    @Nested
    class Sack {
        private final List<Segment> segments = tcpSegments("tcp-sack");

        @Test
        void receiverSynAck_advertisesMss88_andSackOk() {
            Segment syn = segments.get(0);
            Segment synAck = segments.get(1);
            assertTrue(syn.options().sackPermitted()); // RFC 2018 §2: only in SYNs
            assertTrue(synAck.options().sackPermitted());
            assertEquals(88, synAck.options().mss());
        }

        @Test
        void everyDataSegment_carries76Bytes_theMssLessTheTimestampOption() {
            List<Segment> data = segments.stream().filter(s -> s.payload().length > 0).toList();
            assertEquals(200, data.size());
            // RFC 6691: the MSS excludes options, so 88 - 12 bytes of nop,nop,TS.
            data.forEach(s -> assertEquals(76, s.payload().length, s.toString()));
        }

        @Test
        void sackAcks_carryOneToThreeBlocks_allAboveTheCumulativeAck() {
            TreeSet<Integer> blockCounts = new TreeSet<>();
            int highestSent = segments.get(0).tcp().seq();
            for (Segment s : segments) {
                if (s.ip().source().bits() == CLIENT) {
                    highestSent = SeqNum.max(highestSent, SeqNum.add(s.tcp().seq(), s.payload().length));
                } else if (s.options().sackBlockCount() > 0) {
                    blockCounts.add(s.options().sackBlockCount());
                    assertSackBlocks(s, highestSent);
                }
            }
            assertEquals(new TreeSet<>(List.of(1, 2, 3)), blockCounts);
        }

        /** RFC 2018 §3: each block is received data beyond the cumulative ACK; blocks do not overlap. */
        private void assertSackBlocks(Segment s, int highestSent) {
            ParsedTcpOptions options = s.options();
            int ack = s.tcp().ack();
            List<TcpOption.SackBlock> blocks = s.tcp().options().sack().orElseThrow().blocks();
            assertEquals(options.sackBlockCount(), blocks.size(), s.toString());
            // 12 bytes of nop,nop,TS plus nop,nop and 2 + 8n bytes of SACK.
            assertEquals(12 + 4 + 8 * blocks.size(), s.tcp().options().areaLength(), s.toString());
            for (int i = 0; i < blocks.size(); i++) {
                int left = options.sackLeft(i);
                int right = options.sackRight(i);
                assertEquals(new TcpOption.SackBlock(left, right), blocks.get(i), "both parsers agree");
                assertTrue(SeqNum.gt(left, ack), "left edge after the ACK: " + s);
                assertTrue(SeqNum.lt(left, right), "left before right: " + s);
                assertTrue(SeqNum.le(right, highestSent), "right edge within data sent: " + s);
                for (int j = 0; j < i; j++) {
                    boolean disjoint = SeqNum.le(right, options.sackLeft(j)) || SeqNum.ge(left, options.sackRight(j));
                    assertTrue(disjoint, "blocks " + j + " and " + i + " overlap: " + s);
                }
            }
        }

        @Test
        void retransmissions_resendOnlyDataThatNoSackCovered() {
            int highestSent = SeqNum.add(segments.get(0).tcp().seq(), 1);
            Segment lastSackAck = null;
            int retransmissions = 0;
            for (Segment s : segments) {
                if (s.ip().source().bits() == SERVER) {
                    lastSackAck = s.options().sackBlockCount() > 0 ? s : lastSackAck;
                    continue;
                }
                int end = SeqNum.add(s.tcp().seq(), s.payload().length);
                if (s.payload().length > 0 && SeqNum.le(end, highestSent)) {
                    retransmissions++;
                    assertTrue(lastSackAck != null, "a retransmission before any SACK: " + s);
                    assertInHole(s, lastSackAck);
                }
                highestSent = SeqNum.max(highestSent, end);
            }
            assertTrue(retransmissions >= 3, "retransmissions: " + retransmissions);
        }

        /** RFC 6675 §5: the sender retransmits data at or above the ACK that no SACK block covers. */
        private void assertInHole(Segment retransmission, Segment sackAck) {
            int seq = retransmission.tcp().seq();
            int end = SeqNum.add(seq, retransmission.payload().length);
            assertTrue(SeqNum.ge(seq, sackAck.tcp().ack()), retransmission + " below " + sackAck);
            ParsedTcpOptions options = sackAck.options();
            for (int i = 0; i < options.sackBlockCount(); i++) {
                boolean outside = SeqNum.le(end, options.sackLeft(i)) || SeqNum.ge(seq, options.sackRight(i));
                assertTrue(outside, retransmission + " resends SACKed data of " + sackAck);
            }
        }
    }

    /** {@code tcp-ecn-urg}: an ECN-setup handshake, ECT(0) data, and one urgent segment. */
    @Nested
    class EcnUrg {
        private final List<Segment> segments = tcpSegments("tcp-ecn-urg");

        @Test
        void ecnSetupSyn_setsEceAndCwr_andSynAckSetsEce() {
            // RFC 3168 §6.1.1: ECN-setup SYN has ECE and CWR; ECN-setup SYN-ACK has ECE only.
            assertEquals(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, segments.get(0).tcp().flags());
            assertEquals(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, segments.get(1).tcp().flags());
        }

        @Test
        void onlySegmentsWithData_areSentEct0() {
            for (Segment s : segments) {
                // RFC 3168 §6.1.1 and §6.1.4: SYNs and pure ACKs are not ECN-capable; Linux marks
                // data ECT(0) (ToS 0x02) and leaves the FINs Not-ECT.
                int expected = s.payload().length > 0 ? 0b10 : 0b00;
                assertEquals(expected, s.ip().tos(), s.toString());
            }
        }

        @Test
        void urgentSegment_hasUrgPshAck_andPointsOnePastTheUrgentByte() {
            Segment urgent = segments.get(7);
            assertEquals(TcpFlags.URG | TcpFlags.PSH | TcpFlags.ACK, urgent.tcp().flags());
            // RFC 9293 §3.1 (as RFC 6093 §4 settled it): the pointer is the octet after the urgent data.
            assertEquals(6, urgent.tcp().urgentPointer());
            assertEquals("URGENT", text(urgent.payload()));
            segments.stream().filter(s -> s != urgent).forEach(s -> {
                assertFalse(s.tcp().hasFlag(TcpFlags.URG), s.toString());
                assertEquals(0, s.tcp().urgentPointer(), s.toString());
            });
        }

        @Test
        void replyToUrgentData_isSplitAtTheMark() {
            assertEquals(List.of("normal data\n", "URGENT"), payloadsFrom(segments, CLIENT));
            // SO_OOBINLINE on the server: the read stops at the urgent mark, so "ok:URGENT" goes out in two writes.
            assertEquals(List.of("ok:normal data\n", "ok:URGEN", "ok:T"), payloadsFrom(segments, SERVER));
            assertContiguousSequenceSpace(segments);
        }
    }

    /** {@code tcp-small-mss}: MTU 576 on both ends. */
    @Nested
    class SmallMss {
        private final List<Segment> segments = tcpSegments("tcp-small-mss");

        @Test
        void synAndSynAck_advertiseMss536() {
            // RFC 9293 §3.7.1: MSS = MTU 576 - 20 (IPv4) - 20 (TCP).
            assertEquals(536, segments.get(0).options().mss());
            assertEquals(536, segments.get(1).options().mss());
        }

        @Test
        void serverData_isFiveFullSegmentsOf524_thenOneOf380() {
            assertEquals(List.of("GET\n"), payloadsFrom(segments, CLIENT));
            List<Segment> data = segments.stream()
                    .filter(s -> s.ip().source().bits() == SERVER && s.payload().length > 0).toList();
            assertEquals(List.of(524, 524, 524, 524, 524, 380), data.stream().map(s -> s.payload().length).toList());
            // 536 - 12 bytes of timestamps fills an IPv4 datagram of exactly the 576-byte MTU.
            data.subList(0, 5).forEach(s -> assertEquals(576, s.ip().totalLength(), s.toString()));
            assertContiguousSequenceSpace(segments);
        }

        @Test
        void serverClosesFirst() {
            Segment firstFin = segments.stream().filter(s -> s.tcp().hasFlag(TcpFlags.FIN)).findFirst().orElseThrow();
            assertEquals(SERVER, firstFin.ip().source().bits());
        }
    }

    // ---- shared TCP helpers ----

    /** A captured TCP segment decoded into values; {@code options} is the view's parse, kept per segment. */
    record Segment(int index, Ipv4Header ip, TcpHeader tcp, ParsedTcpOptions options, byte[] payload) {
        @Override
        public String toString() {
            return "#" + index + " " + tcp;
        }
    }

    static List<Segment> tcpSegments(String capture) {
        Capture c = Capture.load(capture);
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < c.packets().size(); i++) {
            segments.add(decodeTcp(i, c.bytes(i)));
        }
        return segments;
    }

    private static Segment decodeTcp(int index, byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
            assertNull(ip.check());
            assertEquals(Ipv4PacketView.PROTOCOL_TCP, ip.protocol());
            // A fresh view per segment, so each Segment keeps its own ParsedTcpOptions.
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            assertNull(tcp.check());
            byte[] payload = ByteBufUtil.getBytes(buf, tcp.payloadOffset(), tcp.payloadLength());
            return new Segment(index, Ipv4Header.parse(ip), TcpHeader.parse(tcp), tcp.options(), payload);
        } finally {
            buf.release();
        }
    }

    private static List<String> payloadsFrom(List<Segment> segments, int source) {
        return segments.stream().filter(s -> s.ip().source().bits() == source && s.payload().length > 0)
                .map(s -> text(s.payload())).toList();
    }

    /**
     * RFC 9293 §3.4: in each direction the first byte after the SYN is ISN + 1 and every segment
     * starts where the previous one ended (SEG.LEN counts SYN and FIN); every ACK acknowledges no
     * more than the peer has sent. Only for captures without loss or retransmission.
     */
    private static void assertContiguousSequenceSpace(List<Segment> segments) {
        Map<Integer, Integer> sndNxt = new HashMap<>();
        for (Segment s : segments) {
            int source = s.ip().source().bits();
            int seq = s.tcp().seq();
            if (s.tcp().hasFlag(TcpFlags.SYN)) {
                assertFalse(sndNxt.containsKey(source), "second SYN: " + s);
            } else {
                assertEquals(sndNxt.get(source), seq, "seq: " + s);
            }
            sndNxt.put(source, SeqNum.add(seq, segmentLength(s)));
            if (s.tcp().hasFlag(TcpFlags.ACK)) {
                Integer peerSndNxt = sndNxt.get(s.ip().destination().bits());
                assertTrue(peerSndNxt != null && SeqNum.le(s.tcp().ack(), peerSndNxt), "ack: " + s);
            }
        }
    }

    private static int segmentLength(Segment s) {
        return s.payload().length + (s.tcp().hasFlag(TcpFlags.SYN) ? 1 : 0) + (s.tcp().hasFlag(TcpFlags.FIN) ? 1 : 0);
    }

    // ---- icmp ----

    /** {@code icmp}: pings, record-route pings, a port unreachable, and a fragmented ping. */
    @Nested
    class Icmp {
        private final Capture capture = Capture.load("icmp");

        @Test
        void pings_areAnsweredWithTheSameIdSeqAndData() {
            int[] expectedSeq = {1, 2, 3, 1, 2};
            for (int pair = 0; pair < expectedSeq.length; pair++) {
                byte[] request = capture.bytes(2 * pair);
                byte[] reply = capture.bytes(2 * pair + 1);
                assertEcho(request, Icmpv4MessageView.TYPE_ECHO_REQUEST, CLIENT, expectedSeq[pair]);
                assertEcho(reply, Icmpv4MessageView.TYPE_ECHO_REPLY, SERVER, expectedSeq[pair]);
                // RFC 792 (echo): the reply returns the request's identifier, sequence and data.
                assertArrayEquals(icmpMessage(request, true), icmpMessage(reply, true), "pair " + pair);
                assertEquals(readUnsignedShort(icmpMessage(request, false), 4), readUnsignedShort(icmpMessage(reply, false), 4));
            }
        }

        private void assertEcho(byte[] bytes, int type, int source, int seq) {
            ByteBuf buf = Unpooled.wrappedBuffer(bytes);
            try {
                Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
                assertNull(ip.check());
                assertEquals(source, ip.sourceAddress());
                // ping sets DF on requests; Linux's echo replies go without it.
                assertEquals(type == Icmpv4MessageView.TYPE_ECHO_REQUEST, ip.dontFragment());
                Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
                assertEquals(type, icmp.type());
                assertEquals(0, icmp.code());
                assertEquals(seq, icmp.sequenceNumber());
                assertEquals(64, icmp.length());
            } finally {
                buf.release();
            }
        }

        @Test
        void recordRoutePings_carryFortyBytesOfOptions_thatCheckAccepts() {
            for (int i = 6; i <= 9; i++) {
                byte[] bytes = capture.bytes(i);
                ByteBuf buf = Unpooled.wrappedBuffer(bytes);
                try {
                    Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
                    assertNull(ip.check(), "#" + i);
                    assertEquals(Ipv4PacketView.MAX_HEADER_LENGTH, ip.headerLength(), "#" + i); // IHL 15
                    assertTrue(ip.headerChecksumValid(), "#" + i);
                    assertEquals(124, ip.totalLength(), "#" + i);
                    assertEquals(64, new Icmpv4MessageView().wrap(ip).length(), "#" + i);
                    byte[] options = Ipv4Header.parse(ip).options();
                    boolean request = i % 2 == 0;
                    List<Integer> recorded = recordRoute(options, request ? 1 : 0);
                    // The request has recorded its sender; the reply the round trip (README).
                    assertEquals(request ? List.of(CLIENT) : List.of(CLIENT, SERVER, SERVER), recorded, "#" + i);
                } finally {
                    buf.release();
                }
            }
        }

        /**
         * RFC 791 §3.1 record route: type 7, length, pointer (1-based, to the next free slot),
         * then room for addresses. The request puts a NOP first; the reply ends with EOL.
         */
        private List<Integer> recordRoute(byte[] options, int at) {
            if (at == 1) {
                assertEquals(1, options[0], "NOP before RR");
            }
            assertEquals(7, options[at], "RR type");
            int length = options[at + 1] & 0xFF;
            assertEquals(39, length, "RR length: 3 + 9 addresses");
            int pointer = options[at + 2] & 0xFF;
            assertTrue(pointer >= 4 && pointer <= length + 1 && pointer % 4 == 0, "pointer " + pointer);
            List<Integer> recorded = new ArrayList<>();
            for (int p = 3; p < pointer - 1; p += 4) {
                recorded.add(readInt(options, at + p));
            }
            for (int p = at + pointer - 1; p < at + length; p++) {
                assertEquals(0, options[p], "unused RR slot byte " + p);
            }
            return recorded;
        }

        @Test
        void portUnreachable_quotesTheWholeUdpDatagram() {
            byte[] udp = capture.bytes(10);
            byte[] unreachable = capture.bytes(11);
            ByteBuf buf = Unpooled.wrappedBuffer(unreachable);
            try {
                Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, unreachable.length);
                assertNull(ip.check());
                assertEquals(0xC0, ip.tos(), "Linux sends ICMP errors with precedence 6 (internetwork control)");
                Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
                assertEquals(Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE, icmp.type());
                assertEquals(Icmpv4MessageView.CODE_PORT_UNREACHABLE, icmp.code());
                assertTrue(icmp.isError());
                assertEquals(0, icmp.restOfHeader(), "unused field"); // RFC 792
                // RFC 792 asks for the IP header and 64 bits; Linux quotes all 45 bytes.
                assertArrayEquals(udp, ByteBufUtil.getBytes(buf, icmp.bodyOffset(), icmp.bodyLength()));
                Ipv4PacketView quoted = new Ipv4PacketView().wrap(buf, icmp.bodyOffset(), icmp.bodyLength());
                assertNull(quoted.check());
                assertEquals(Ipv4PacketView.PROTOCOL_UDP, quoted.protocol());
                assertEquals(CLIENT, quoted.sourceAddress());
                assertEquals(SERVER, quoted.destinationAddress());
                int udpAt = quoted.payloadOffset();
                assertEquals(40008, buf.getUnsignedShort(udpAt));
                assertEquals(33434, buf.getUnsignedShort(udpAt + 2));
                assertEquals(8 + 17, buf.getUnsignedShort(udpAt + 4), "UDP length");
                assertEquals("usertcp udp probe", buf.toString(udpAt + 8, 17, StandardCharsets.US_ASCII));
            } finally {
                buf.release();
            }
        }

        @Test
        void fragmentedPing_reassemblesToA3008ByteEcho_whoseChecksumVerifies() {
            byte[] request = reassemble(12);
            byte[] reply = reassemble(15);
            assertEquals(3008, request.length, "ping -s 3000: 8 bytes of header and 3000 of data");
            assertEquals(3008, reply.length);
            assertTrue(icmpChecksumValid(request), "request checksum over the reassembled message");
            assertTrue(icmpChecksumValid(reply), "reply checksum over the reassembled message");
            assertEquals(Icmpv4MessageView.TYPE_ECHO_REQUEST, request[0]);
            assertEquals(Icmpv4MessageView.TYPE_ECHO_REPLY, reply[0]);
            assertEquals(14888, readUnsignedShort(request, 4), "echo id");
            assertEquals(readUnsignedShort(request, 4), readUnsignedShort(reply, 4));
            assertEquals(readUnsignedShort(request, 6), readUnsignedShort(reply, 6));
            assertArrayEquals(Arrays.copyOfRange(request, 8, 3008), Arrays.copyOfRange(reply, 8, 3008));
        }

        /**
         * Joins the three fragments that start at packet {@code first} (RFC 791 §3.2): same id,
         * offsets 0, 1480 and 2960 bytes, MF on all but the last, total lengths 1500, 1500, 68.
         */
        private byte[] reassemble(int first) {
            int[] offsets = {0, 1480 / 8, 2960 / 8};
            int[] totalLengths = {1500, 1500, 68};
            byte[] message = new byte[3008];
            int id = -1;
            for (int k = 0; k < 3; k++) {
                byte[] bytes = capture.bytes(first + k);
                ByteBuf buf = Unpooled.wrappedBuffer(bytes);
                try {
                    Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, bytes.length);
                    assertNull(ip.check());
                    assertTrue(ip.isFragment());
                    assertEquals(Ipv4PacketView.PROTOCOL_ICMP, ip.protocol());
                    id = k == 0 ? ip.identification() : id;
                    assertEquals(id, ip.identification(), "fragment " + k);
                    assertEquals(offsets[k], ip.fragmentOffset(), "fragment " + k);
                    assertEquals(k < 2, ip.moreFragments(), "fragment " + k);
                    assertEquals(totalLengths[k], ip.totalLength(), "fragment " + k);
                    buf.getBytes(ip.payloadOffset(), message, ip.fragmentOffset() * 8, ip.payloadLength());
                } finally {
                    buf.release();
                }
            }
            return message;
        }

        private boolean icmpChecksumValid(byte[] message) {
            ByteBuf buf = Unpooled.wrappedBuffer(message);
            try {
                return new Icmpv4MessageView().wrap(buf, 0, message.length).checksumValid();
            } finally {
                buf.release();
            }
        }

        /** The ICMP message of a datagram, whole or from byte 8 on (the echo data). */
        private byte[] icmpMessage(byte[] datagram, boolean dataOnly) {
            int headerLength = (datagram[0] & 0x0F) * 4;
            return Arrays.copyOfRange(datagram, headerLength + (dataOnly ? 8 : 0), datagram.length);
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static int readUnsignedShort(byte[] bytes, int at) {
        return ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
    }

    private static int readInt(byte[] bytes, int at) {
        return (readUnsignedShort(bytes, at) << 16) | readUnsignedShort(bytes, at + 2);
    }
}
