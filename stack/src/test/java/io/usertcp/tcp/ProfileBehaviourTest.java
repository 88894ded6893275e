package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.PEER_SERVER_PORT;
import static io.usertcp.testkit.ConnectionHarness.REMOTE;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.RST;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.link.InMemoryLink;
import io.usertcp.tcp.TcpProfile.Reference;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpSegmentView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every behaviour of {@link TcpProfile}, in each of the three built-in profiles (linux, rfc,
 * freebsd), on the scripted-peer harness. Each test states what each reference does and the rule
 * it follows (the RFC section, or the Linux or FreeBSD function), as TcpProfile's Javadoc does;
 * where the answer differs, a {@code switch} over the reference gives it per profile. The
 * profile's run-time switches (RFC 5961 for RST and SYN, RFC 1337, drop_synfin,
 * rexmit_drop_options) are tested on and off.
 *
 * <p>Each profile runs with its own numbers ({@link TcpConfig#forProfile}): RTO, delayed ACK and
 * buffers differ, and the tests read them from the configuration where they matter. Unless a test
 * says otherwise the peer sends no options, so our send MSS is 536 and windows are unscaled; our
 * MSS (MTU 1500) is 1460.
 */
class ProfileBehaviourTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    // =====================================================================================
    // Helpers
    // =====================================================================================

    /** The reference's numbers with its built-in profile. */
    private static TcpConfig config(Reference ref) {
        return TcpConfig.forProfile(TcpProfile.of(ref.label()));
    }

    /** The reference's numbers and profile, with some switches changed. */
    private static TcpConfig config(Reference ref, UnaryOperator<TcpProfile.Switches> change) {
        TcpConfig base = config(ref);
        TcpProfile profile = base.profile();
        return base.toBuilder().profile(profile.withSwitches(change.apply(profile.switches()))).build();
    }

    private static long count(ConnectionHarness h, Counter counter) {
        return h.stack.stats().get(counter);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    private static void send(ConnectionHarness h, TcpConnection c, byte[] data) {
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        try {
            assertEquals(data.length, c.send(h.now(), buf));
        } finally {
            buf.release();
        }
    }

    private static String readAll(ConnectionHarness h, TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(Math.max(1, c.readableBytes()));
        try {
            c.read(h.now(), dst);
            return dst.toString(StandardCharsets.US_ASCII);
        } finally {
            dst.release();
        }
    }

    /** Moves time to the next armed deadline of the stack (firing it) and returns the time moved. */
    private static long advanceToNextDeadline(ConnectionHarness h) {
        long step = h.stack.nextDeadlineNanos() - h.now();
        h.advance(step);
        return step;
    }

    private static List<TcpOption.SackBlock> sackBlocks(Sent s) {
        return s.tcp().options().sack().map(TcpOption.Sack::blocks).orElse(List.of());
    }

    /**
     * The one packet the stack sends now, as the bytes it put on the wire (the harness decodes
     * segments into values; option order and padding need the bytes themselves).
     */
    private static byte[] nextPacketBytes(ConnectionHarness h) {
        InMemoryLink[] link = InMemoryLink.pair(1500);
        h.stack.pollTransmit(h.now(), link[0]);
        assertEquals(1, link[1].pending(), "packets sent");
        ByteBuf packet = link[1].receive();
        try {
            return ByteBufUtil.getBytes(packet);
        } finally {
            packet.release();
        }
    }

    private static TcpHeader tcpHeader(byte[] packet) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, packet.length);
            assertNull(ip.check());
            TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
            assertNull(tcp.check());
            return TcpHeader.parse(tcp);
        } finally {
            buf.release();
        }
    }

    /** The TCP options area of a raw IPv4 packet, padding included, as "02 04 05 b4 ..." hex. */
    private static String optionHex(byte[] packet) {
        int ipHeader = (packet[0] & 0x0f) * 4;
        int tcpHeader = ((packet[ipHeader + 12] & 0xff) >> 4) * 4;
        return HEX.formatHex(Arrays.copyOfRange(packet, ipHeader + 20, ipHeader + tcpHeader));
    }

    /** The timestamps option's 10 bytes, "08 0a" and the two values. */
    private static String timestampsHex(TcpOption.Timestamps ts) {
        return "08 0a " + HEX.formatHex(new byte[] {
            (byte) (ts.tsVal() >>> 24), (byte) (ts.tsVal() >>> 16), (byte) (ts.tsVal() >>> 8), (byte) ts.tsVal(),
            (byte) (ts.tsEcr() >>> 24), (byte) (ts.tsEcr() >>> 16), (byte) (ts.tsEcr() >>> 8), (byte) ts.tsEcr()});
    }

    /** An active OPEN whose SYN has not been polled yet (so options may still be set). */
    private static TcpConnection connect(ConnectionHarness h) {
        return h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
    }

    // =====================================================================================
    // RST and SYN in a synchronized state (RFC 9293 §3.10.7.4 second and fourth checks, RFC 5961)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void orphanedFinWait2_timeout_resetOrSilentAsTheProfileSays(Reference ref) {
        // No RFC defines the FIN-WAIT-2 timeout. linux: tcp_keepalive_timer sends a RST (tcp_send_active_reset);
        // rfc: reclaiming is an ABORT, which in FIN-WAIT-2 sends <SEQ=SND.NXT><CTL=RST> (RFC 9293 §3.10.5);
        // freebsd: tcp_timer_2msl closes silently (tcp_close).
        TcpConfig config = config(ref);
        try (ConnectionHarness h = new ConnectionHarness(config)) {
            TcpConnection c = h.finWait2();
            h.advance(config.finWait2TimeoutNanos() - 1);
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            h.advance(1);
            switch (ref) {
                case LINUX -> h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 1);
                case RFC -> h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS + 2, 0);
                case FREEBSD -> { }
            }
            h.expectNothingSent();
            assertEquals(CloseReason.FIN_WAIT_2_TIMEOUT, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_inWindowInexactRst_challengeAck(Reference ref) {
        // RFC 5961 §3.2 (RFC 9293 §3.10.7.4, second): an in-window RST not at RCV.NXT gets a challenge ACK
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. All three by default: Linux always, FreeBSD insecure_rst=0, the RFC.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1 + 1000));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(1, count(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_inWindowInexactRst_rstChallengeAckOff_resets(Reference ref) {
        // RFC 793 p. 70 (FreeBSD insecure_rst=1): with the switch off any RST in the window resets the connection.
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withRstChallengeAck(false)))) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 1 + 1000));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            assertEquals(0, count(h, Counter.TcpExtTCPChallengeACK));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_inWindowSyn_challengeAck(Reference ref) {
        // RFC 5961 §4.2 (RFC 9293 §3.10.7.4, fourth, MUST-60): a SYN in a synchronized state gets a challenge ACK,
        // whatever its sequence number. All three by default (FreeBSD insecure_syn=0).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 1 + 500));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(1, count(h, Counter.TcpExtTCPSYNChallenge));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_inWindowSyn_synChallengeAckOff_resetsInTheProfilesForm(Reference ref) {
        // RFC 793 p. 71 (FreeBSD insecure_syn=1): an in-window SYN is an error; "send a reset", enter CLOSED.
        // The form of that RST is TcpProfile.synResetForm().
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withSynChallengeAck(false)))) {
            TcpConnection c = h.established();
            int synSeq = REMOTE_ISS + 1 + 500;
            h.receive(h.segment().flags(SYN).seq(synSeq));
            Sent rst = h.expectSent();
            switch (ref) {
                // ANSWER_SEGMENT: RFC 793 §3.4 reset for a segment without ACK (old Linux tcp_v4_send_reset):
                // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
                case LINUX -> rst.assertFlags(RST | ACK).assertSeqAck(0, synSeq + 1);
                // CONNECTION_SEQUENCE: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, window 0 (FreeBSD tcp_drop; the RFC
                // profile takes the connection's own sequence space as ABORT does, RFC 9293 §3.10.5).
                case RFC, FREEBSD -> {
                    rst.assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertEquals(0, rst.window(), rst.line());
                }
            }
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            assertEquals(1, count(h, Counter.TcpEstabResets));
            assertEquals(0, count(h, Counter.TcpExtTCPSYNChallenge));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_oldSynCarryingDataIntoWindow_synChallengeAckOff_synTrimmedDataDelivered(Reference ref) {
        // RFC 793 mode, RFC 9293 §3.10.7.4 first check: SEQ = RCV.NXT-1, so the SYN lies before the window and only
        // the text reaches into it. Trimming removes the SYN ("process only the new part"): no reset, the text is
        // delivered and acknowledged. The same in every profile.
        TcpConfig tcp = config(ref, s -> s.withSynChallengeAck(false));
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).payload("hello"));
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(5, c.readableBytes());
            h.advance(tcp.delayedAckNanos());
            List<Sent> sent = h.drain();
            assertEquals(1, sent.size(), sent.toString());
            sent.get(0).assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 6);
            assertEquals(0, count(h, Counter.TcpOutRsts));
            assertEquals("hello", readAll(h, c));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void timeWait_inWindowSynAck_synChallengeAckOff_resetsInTheProfilesForm(Reference ref) {
        // RFC 793 mode: an in-window SYN in TIME-WAIT is an error "whether or not it carries an ACK": the entry
        // closes and a RST goes out in the profile's synResetForm().
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withSynChallengeAck(false)))) {
            h.timeWait();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS + 2 + 100).ack(LOCAL_ISS + 2));
            Sent rst = h.expectSent();
            switch (ref) {
                // RFC 793 §3.4 answering the segment: it carries an ACK, so <SEQ=SEG.ACK><CTL=RST>.
                case LINUX -> rst.assertFlags(RST).assertSeqAck(LOCAL_ISS + 2, 0);
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, window 0.
                case RFC, FREEBSD -> {
                    rst.assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                    assertEquals(0, rst.window(), rst.line());
                }
            }
            h.expectNothingSent();
            assertEquals(0, h.stack.timeWaitCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void timeWait_synAckBeyondTheAdvertisedWindowWithinTheBuffer_synChallengeAckOff_onlyFreebsdResets(Reference ref) {
        // TcpProfile.acceptanceWindow() also serves TIME-WAIT entries: RCV.NXT + 65700 lies beyond the window linux
        // and rfc advertised (65535, unscaled), but inside FreeBSD's max(sbspace, advertised) (its 64 KiB buffer
        // rounded to 123 · 536 = 65928). In RFC 793 mode the SYN,ACK is therefore in window for freebsd only (RST,
        // entry closed); linux and rfc find it unacceptable and answer <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withSynChallengeAck(false)))) {
            h.timeWait();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS + 2 + 65700).ack(LOCAL_ISS + 2));
            switch (ref) {
                case LINUX, RFC -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                    assertEquals(1, h.stack.timeWaitCount());
                }
                case FREEBSD -> {
                    Sent rst = h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                    assertEquals(0, rst.window(), rst.line());
                    assertEquals(0, h.stack.timeWaitCount());
                }
            }
            h.expectNothingSent();
        }
    }

    // =====================================================================================
    // drop_synfin
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void listen_synFin_dropSynFinOn_droppedBeforeAnyStateAndCounted(Reference ref) {
        // FreeBSD tcp_input, net.inet.tcp.drop_synfin=1: SYN and FIN together are dropped before any state is looked
        // at (DropReason.TCP_SYN_FIN); a plain SYN afterwards is answered as usual.
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withDropSynFin(true)))) {
            h.listen();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS));
            h.expectNothingSent();
            assertEquals(0, h.stack.connectionCount());
            assertEquals(1, h.stack.stats().drops(DropReason.TCP_SYN_FIN));
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(1, h.stack.stats().drops(DropReason.TCP_SYN_FIN));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_synFin_dropSynFinOn_droppedWithoutChallengeAck(Reference ref) {
        // drop_synfin acts before the connection is looked at: no challenge ACK either.
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withDropSynFin(true)))) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(1, h.stack.stats().drops(DropReason.TCP_SYN_FIN));
            assertEquals(0, count(h, Counter.TcpExtTCPSYNChallenge));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Reference.class, names = {"RFC", "FREEBSD"})
    void listen_synFin_dropSynFinOff_synProcessed(Reference ref) {
        // TcpProfile.dropsSynFin(): off by default in every profile (FreeBSD drop_synfin=0); the SYN is processed
        // and answered with SYN,ACK <SEQ=ISS><ACK=SEG.SEQ+1>, nothing counted as TCP_SYN_FIN. (linux discards a
        // SYN+FIN to a listener whatever the switch: TcpProfile.dropsSynFinInListen(), InputValidationAttackTest.)
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            h.listen();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(1, h.stack.connectionCount());
            assertEquals(0, h.stack.stats().drops(DropReason.TCP_SYN_FIN));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_synFin_dropSynFinOff_challengeAck(Reference ref) {
        // With drop_synfin off the SYN is processed: RFC 5961 §4.2 challenge ACK in ESTABLISHED.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(0, h.stack.stats().drops(DropReason.TCP_SYN_FIN));
            assertEquals(1, count(h, Counter.TcpExtTCPSYNChallenge));
        }
    }

    // =====================================================================================
    // TIME-WAIT (RFC 9293 §3.10.7.4, §3.6.1; RFC 6191; RFC 1337; FreeBSD tcp_twcheck)
    // =====================================================================================

    /** What a SYN reaching a TIME-WAIT entry gets, as seen on the wire. */
    private enum Answer {
        /** The entry closes; the listener answers SYN,ACK with an ISS above the old SND.NXT. */
        REOPEN,
        /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the entry stays. */
        ACK,
        /** <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>; the entry closes. */
        RST_ANSWERING_SYN,
        /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, window 0; the entry closes. */
        RST_FROM_CONNECTION,
        /** Nothing; the entry stays. */
        NOTHING
    }

    /** SYNs without timestamps, by where SEG.SEQ lies relative to the entry's RCV.NXT (REMOTE_ISS + 2). */
    private enum TimeWaitSyn {
        NEWER_BEYOND_WINDOW(200_000),
        NEWER_IN_WINDOW(100),
        AT_RCV_NXT(0),
        OLDER(-1000);

        final int offset;

        TimeWaitSyn(int offset) {
            this.offset = offset;
        }
    }

    static Stream<Arguments> synInTimeWaitWithoutTimestamps() {
        List<Arguments> out = new ArrayList<>();
        for (Reference ref : Reference.values()) {
            for (TimeWaitSyn syn : TimeWaitSyn.values()) {
                for (boolean rfc5961 : new boolean[] {true, false}) {
                    out.add(Arguments.of(ref, syn, rfc5961));
                }
            }
        }
        return out.stream();
    }

    /** The answer each reference gives (TcpProfile.synInTimeWait), without timestamps. */
    private static Answer expected(Reference ref, TimeWaitSyn syn, boolean synChallengeAck) {
        return switch (ref) {
            // Linux tcp_timewait_state_process: without timestamps (RFC 6191 §2) a SYN above RCV.NXT is a new
            // incarnation (TCP_TW_SYN, reopened by the listener); otherwise TCP_TW_ACK (RFC 5961), or with RFC 793
            // an in-window SYN resets, answering the SYN (RFC 793 §3.4).
            case LINUX -> switch (syn) {
                case NEWER_BEYOND_WINDOW, NEWER_IN_WINDOW -> Answer.REOPEN;
                case AT_RCV_NXT -> synChallengeAck ? Answer.ACK : Answer.RST_ANSWERING_SYN;
                case OLDER -> Answer.ACK;
            };
            // RFC 9293 §3.10.7.4 fourth check: RFC 5961 challenge ACK, or RFC 793's RST for an in-window SYN (in the
            // connection's sequence space); §3.6.1 MAY-2 (reopen) is not taken.
            case RFC -> switch (syn) {
                case NEWER_IN_WINDOW, AT_RCV_NXT -> synChallengeAck ? Answer.ACK : Answer.RST_FROM_CONNECTION;
                case NEWER_BEYOND_WINDOW, OLDER -> Answer.ACK;
            };
            // FreeBSD tcp_twcheck: SEG.SEQ > RCV.NXT reopens; anything else is dropped without an answer.
            case FREEBSD -> switch (syn) {
                case NEWER_BEYOND_WINDOW, NEWER_IN_WINDOW -> Answer.REOPEN;
                case AT_RCV_NXT, OLDER -> Answer.NOTHING;
            };
        };
    }

    @ParameterizedTest(name = "{0} {1} rfc5961-syn={2}")
    @MethodSource("synInTimeWaitWithoutTimestamps")
    void timeWait_synWithoutTimestamps_answeredAsTheProfileSays(Reference ref, TimeWaitSyn syn, boolean synChallengeAck) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withSynChallengeAck(synChallengeAck)))) {
            serverTimeWait(h);
            int synSeq = REMOTE_ISS + 2 + syn.offset;
            h.receive(h.segment().flags(SYN).seq(synSeq));
            expectAnswer(h, expected(ref, syn, synChallengeAck), synSeq);
        }
    }

    /** SYNs with timestamps, against TS.Recent = 1002 (RFC 6191 §2). */
    private enum TimeWaitTimestampSyn {
        /** TSval 500 (older), SEG.SEQ = RCV.NXT + 1000 (above, in the window). */
        OLDER_TSVAL_HIGHER_SEQ(500, 1000),
        /** TSval 2000 (newer), SEG.SEQ = RCV.NXT - 1000 (below). */
        NEWER_TSVAL_LOWER_SEQ(2000, -1000);

        final int tsVal;
        final int offset;

        TimeWaitTimestampSyn(int tsVal, int offset) {
            this.tsVal = tsVal;
            this.offset = offset;
        }
    }

    static Stream<Arguments> synInTimeWaitWithTimestamps() {
        List<Arguments> out = new ArrayList<>();
        for (Reference ref : Reference.values()) {
            for (TimeWaitTimestampSyn syn : TimeWaitTimestampSyn.values()) {
                for (boolean rfc5961 : new boolean[] {true, false}) {
                    out.add(Arguments.of(ref, syn, rfc5961));
                }
            }
        }
        return out.stream();
    }

    private static Answer expected(Reference ref, TimeWaitTimestampSyn syn, boolean synChallengeAck) {
        return switch (ref) {
            // Linux (RFC 6191 with timestamps): the TSval decides. An older one is an old duplicate whatever its
            // sequence number: challenge ACK, or RFC 793's RST (answering the SYN) when in the window.
            case LINUX -> switch (syn) {
                case OLDER_TSVAL_HIGHER_SEQ -> synChallengeAck ? Answer.ACK : Answer.RST_ANSWERING_SYN;
                case NEWER_TSVAL_LOWER_SEQ -> Answer.REOPEN;
            };
            // RFC 9293 §3.10.7.4 fourth check, timestamps or not.
            case RFC -> switch (syn) {
                case OLDER_TSVAL_HIGHER_SEQ -> synChallengeAck ? Answer.ACK : Answer.RST_FROM_CONNECTION;
                case NEWER_TSVAL_LOWER_SEQ -> Answer.ACK;
            };
            // FreeBSD tcp_twcheck: only SEG.SEQ > RCV.NXT counts.
            case FREEBSD -> switch (syn) {
                case OLDER_TSVAL_HIGHER_SEQ -> Answer.REOPEN;
                case NEWER_TSVAL_LOWER_SEQ -> Answer.NOTHING;
            };
        };
    }

    @ParameterizedTest(name = "{0} {1} rfc5961-syn={2}")
    @MethodSource("synInTimeWaitWithTimestamps")
    void timeWait_synWithTimestamps_answeredAsTheProfileSays(Reference ref, TimeWaitTimestampSyn syn,
                                                              boolean synChallengeAck) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withSynChallengeAck(synChallengeAck)))) {
            serverTimeWaitWithTimestamps(h);
            int synSeq = REMOTE_ISS + 2 + syn.offset;
            h.receive(h.segment().flags(SYN).seq(synSeq)
                    .options(new TcpOption.Mss(1460), new TcpOption.Timestamps(syn.tsVal, 0)));
            expectAnswer(h, expected(ref, syn, synChallengeAck), synSeq);
        }
    }

    private static void expectAnswer(ConnectionHarness h, Answer answer, int synSeq) {
        switch (answer) {
            case REOPEN -> {
                Sent synAck = h.expectSent().assertFlags(SYN | ACK);
                assertEquals(Integer.toUnsignedLong(synSeq + 1), Integer.toUnsignedLong(synAck.ack()), synAck.line());
                // RFC 9293 §3.6.1 MAY-2 (1): the new incarnation's ISS lies above the old SND.NXT.
                assertTrue(SeqNum.gt(synAck.seq(), LOCAL_ISS + 2), synAck.line());
                h.expectNothingSent();
                assertEquals(0, h.stack.timeWaitCount());
                assertEquals(1, h.stack.connectionCount());
                assertEquals(1, count(h, Counter.TcpExtTWRecycled));
            }
            case ACK -> {
                h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                h.expectNothingSent();
                assertEquals(1, h.stack.timeWaitCount());
                assertEquals(0, h.stack.connectionCount());
            }
            case RST_ANSWERING_SYN -> {
                h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, synSeq + 1);
                h.expectNothingSent();
                assertEquals(0, h.stack.timeWaitCount());
                assertEquals(0, h.stack.connectionCount());
            }
            case RST_FROM_CONNECTION -> {
                Sent rst = h.expectSent().assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                assertEquals(0, rst.window(), rst.line());
                h.expectNothingSent();
                assertEquals(0, h.stack.timeWaitCount());
                assertEquals(0, h.stack.connectionCount());
            }
            case NOTHING -> {
                h.expectNothingSent();
                assertEquals(1, h.stack.timeWaitCount());
                assertEquals(0, h.stack.connectionCount());
            }
        }
    }

    /** The harness stack as a server that closed first, in TIME-WAIT with its listener open; no options. */
    private static void serverTimeWait(ConnectionHarness h) {
        TcpConnection c = h.establishedPassive();
        c.close(h.now());
        h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(1, h.stack.timeWaitCount());
        assertEquals(0, h.stack.connectionCount());
    }

    /** As {@link #serverTimeWait}, with timestamps on; the peer's last TSval (TS.Recent) is 1002. */
    private static void serverTimeWaitWithTimestamps(ConnectionHarness h) {
        h.listen();
        h.receive(h.segment().flags(SYN).seq(REMOTE_ISS)
                .options(new TcpOption.Mss(1460), new TcpOption.Timestamps(1000, 0)));
        Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        int ourTsVal = synAck.tcp().options().timestamps().orElseThrow().tsVal();
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).options(new TcpOption.Timestamps(1001, ourTsVal)));
        TcpConnection c = h.listener().accept();
        assertNotNull(c);
        assertTrue(c.snapshot(h.now()).timestamps());
        c.close(h.now());
        Sent fin = h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        int finTsVal = fin.tcp().options().timestamps().orElseThrow().tsVal();
        h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2)
                .options(new TcpOption.Timestamps(1002, finTsVal)));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
        assertEquals(1, h.stack.timeWaitCount());
        assertEquals(0, h.stack.connectionCount());
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void timeWait_rst_freebsdIgnoresIt_linuxAndRfcCloseTheEntry(Reference ref) {
        // TcpProfile.ignoresRstInTimeWait(): RFC 1337 §3 ("ignore RST segments in TIME-WAIT state"). FreeBSD always;
        // Linux tcp_rfc1337=0 by default and the RFC (RFC 9293 §3.10.7.4 second check) let an exact RST close the
        // entry. An inexact in-window one gets a challenge ACK from the RFC (RFC 5961 §3.2); Linux drops it without an
        // answer (tcp_timewait_state_process(), as the kernel here does).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            h.timeWait();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2 + 100));
            switch (ref) {
                case RFC -> h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                case LINUX, FREEBSD -> { }
            }
            h.expectNothingSent();
            assertEquals(1, h.stack.timeWaitCount());
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.expectNothingSent();
            int expectedEntries = switch (ref) {
                case LINUX, RFC -> 0;
                case FREEBSD -> 1;
            };
            assertEquals(expectedEntries, h.stack.timeWaitCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void timeWait_exactRst_rfc1337SwitchFlipped_answerFlips(Reference ref) {
        // The rfc1337 switch (Linux tcp_rfc1337) turned the other way in each profile: on for linux and rfc, the RST
        // is ignored; off for freebsd, it closes the entry.
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withRfc1337(!s.rfc1337())))) {
            h.timeWait();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.expectNothingSent();
            int expectedEntries = switch (ref) {
                case LINUX, RFC -> 1;
                case FREEBSD -> 0;
            };
            assertEquals(expectedEntries, h.stack.timeWaitCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void timeWait_unacceptableSegmentWithoutAck_freebsdSilent_othersAck(Reference ref) {
        // TcpProfile.answersSegmentsWithoutAckInTimeWait(): linux and rfc follow RFC 9293 §3.10.7.4 first check, an
        // unacceptable segment gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; FreeBSD tcp_twcheck drops every segment
        // without ACK (the suite's rcv-fin-time-wait README, note 1).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            h.timeWait();
            for (int seq : new int[] {REMOTE_ISS + 2 + 200_000, REMOTE_ISS + 2 - 1000}) {
                h.receive(h.segment().flags(PSH).seq(seq).payload("stray"));
                switch (ref) {
                    case LINUX, RFC -> h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                    case FREEBSD -> { }
                }
                h.expectNothingSent();
                assertEquals(1, h.stack.timeWaitCount());
            }
        }
    }

    // =====================================================================================
    // LISTEN (RFC 9293 §3.10.7.2)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void listen_synAck_resetExceptFreebsd(Reference ref) {
        // TcpProfile.resetsSynAckInListen(): RFC 9293 §3.10.7.2 second check, any ACK in LISTEN gets
        // <SEQ=SEG.ACK><CTL=RST> (linux, rfc); FreeBSD tcp_input drops a "SYN|ACK on a listen socket" silently.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 12345));
            switch (ref) {
                case LINUX, RFC -> h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS + 12345, 0);
                case FREEBSD -> { }
            }
            h.expectNothingSent();
            assertEquals(0, h.stack.connectionCount());
            assertFalse(listener.isClosed());
        }
    }

    // =====================================================================================
    // Closing (RFC 9293 §3.10.7.4 fifth and eighth steps)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void finWait1_finBeforeOurFinIsAcked_freebsdResendsItsFin_othersBareAck(Reference ref) {
        // TcpProfile.retransmitsFinWhenClosing(): a simultaneous close, FIN-WAIT-1 to CLOSING. Linux tcp_fin and RFC
        // 9293 §3.10.7.4 (eighth step) acknowledge the FIN with a bare ACK; FreeBSD tcp_output sends our FIN again
        // together with the ACK of theirs.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.finWait1();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            switch (ref) {
                case LINUX, RFC -> h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
                case FREEBSD -> h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            }
            h.expectNothingSent();
            assertEquals(TcpState.CLOSING, c.state());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void closing_retransmittedFinCarryingTheAckOfOurFin_freebsdEntersTimeWait_othersOnlyAck(Reference ref) {
        // TcpProfile.processesAckOfOldDuplicate(): the peer's FIN again (wholly before RCV.NXT), now acknowledging
        // our FIN. linux and rfc (RFC 9293 §3.10.7.4 first check): unacceptable, ACK it and drop it, ACK field and
        // all, CLOSING stays. FreeBSD tcp_input: trims the duplicate, ACKs "to resynchronize" and keeps processing
        // the ACK, so CLOSING goes to TIME-WAIT.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.finWait1();
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            Sent answer = h.expectSent();
            assertEquals(Integer.toUnsignedLong(REMOTE_ISS + 2), Integer.toUnsignedLong(answer.ack()), answer.line());
            h.expectNothingSent();
            assertEquals(TcpState.CLOSING, c.state());

            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            h.expectNothingSent();
            switch (ref) {
                case LINUX, RFC -> {
                    assertEquals(TcpState.CLOSING, c.state());
                    assertEquals(0, h.stack.timeWaitCount());
                }
                case FREEBSD -> {
                    assertEquals(TcpState.TIME_WAIT, c.state());
                    assertEquals(1, h.stack.timeWaitCount());
                }
            }
        }
    }

    // =====================================================================================
    // SYN-SENT: text and FIN on a simultaneous-open SYN (RFC 9293 §3.10.7.3)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_simultaneousSynWithText_rfcAndFreebsdDeliverItAfterEstablished_linuxDiscardsIt(Reference ref) {
        // TcpProfile.keepsTextOnSimultaneousSyn(): RFC 9293 §3.10.7.3 (fourth, SYN without ACK) "queue them for
        // processing after the ESTABLISHED state has been reached" (rfc, freebsd); Linux
        // tcp_rcv_synsent_state_process discards it. Our SYN,ACK acknowledges the SYN only, in every profile.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).payload("early"));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            assertEquals(0, c.readableBytes(), "nothing is delivered before ESTABLISHED");

            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            assertEquals(TcpState.ESTABLISHED, c.state());
            switch (ref) {
                case RFC, FREEBSD -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 6);
                    assertEquals("early", readAll(h, c));
                }
                case LINUX -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertEquals(0, c.readableBytes());
                }
            }
            h.expectNothingSent();
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_simultaneousSynWithText_bareAckCompletes_textAcknowledged(Reference ref) {
        // The same text, the handshake completed by the peer's bare ACK of our SYN,ACK (RFC 9293 §3.10.7.4 fifth,
        // SYN-RECEIVED). rfc and freebsd process the queued text then, so it is delivered and acknowledged (RFC 9293
        // §3.10.7.4 seventh: RCV.NXT advances and an ACK is sent, at the latest after the delayed-ACK time);
        // linux discarded it and has nothing to acknowledge.
        TcpConfig tcp = config(ref);
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).payload("early"));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.advance(tcp.delayedAckNanos());
            List<Sent> sent = h.drain();
            switch (ref) {
                case RFC, FREEBSD -> {
                    assertEquals(1, sent.size(), "the ACK of the queued text: " + sent);
                    sent.get(0).assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 6);
                    assertEquals("early", readAll(h, c));
                }
                case LINUX -> {
                    assertEquals(List.of(), sent);
                    assertEquals(0, c.readableBytes());
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_simultaneousSynWithTextAndFin_onlyRfcKeepsTheFin(Reference ref) {
        // TcpProfile.keepsFinOnSimultaneousSyn(): rfc queues the FIN with the text (RFC 9293 §3.10.7.3) and goes to
        // CLOSE-WAIT once ESTABLISHED; FreeBSD keeps the text but ignores the FIN (the suite's SYN,FIN scripts expect
        // the ACK of the text only); Linux drops everything beyond the SYN.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | FIN).seq(REMOTE_ISS).payload("early"));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, c.state());

            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            switch (ref) {
                case RFC -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 7);
                    assertEquals(TcpState.CLOSE_WAIT, c.state());
                    assertEquals("early", readAll(h, c));
                    assertTrue(c.isEndOfStream());
                }
                case FREEBSD -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 6);
                    assertEquals(TcpState.ESTABLISHED, c.state());
                    assertEquals("early", readAll(h, c));
                    assertFalse(c.isEndOfStream());
                }
                case LINUX -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertEquals(TcpState.ESTABLISHED, c.state());
                    assertEquals(0, c.readableBytes());
                    assertFalse(c.isEndOfStream());
                }
            }
            h.expectNothingSent();
        }
    }

    // =====================================================================================
    // The receive window (RFC 9293 §3.10.7.4 first check, §3.8.6.2.2)
    // =====================================================================================

    static Stream<Arguments> referencesAndPeerMss() {
        List<Arguments> out = new ArrayList<>();
        for (Reference ref : Reference.values()) {
            for (int mss : new int[] {1460, 1000}) {
                out.add(Arguments.of(ref, mss));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} peer MSS {1}")
    @MethodSource("referencesAndPeerMss")
    void synSent_receiveBuffer_roundedUpToTheMssOnlyByFreebsd(Reference ref, int peerMss) {
        // TcpProfile.receiveBufferForMss(): FreeBSD tcp_mss_update rounds the socket buffer up to a multiple of the
        // MSS once it is known (65536 becomes 65700 at MSS 1460, which SO_RCVBUF then reports); Linux and the RFC
        // keep the size asked for.
        TcpConfig tcp = config(ref).toBuilder().receiveBufferBytes(65536).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.synSent();
            assertEquals(65536, c.receiveBufferSize(), "before the MSS is known");
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(peerMss)));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            int expected = switch (ref) {
                case LINUX, RFC -> 65536;
                case FREEBSD -> peerMss == 1460 ? 65700 : 66000; // 45 · 1460; 66 · 1000
            };
            assertEquals(expected, c.receiveBufferSize());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_dataBeyondTheAdvertisedWindowWithinTheBuffer_acceptedOnlyByFreebsd(Reference ref) {
        // TcpProfile.acceptanceWindow(): linux and rfc judge segments against RCV.WND as advertised (no window
        // scaling: 65535, or 64240 for linux, whose 128 KiB buffer offers half in whole segments); FreeBSD tcp_input
        // uses max(sbspace(so_rcv), rcv_adv - rcv_nxt), so with its 65700-byte buffer the 100 bytes at [65535, 65635)
        // beyond the advertised edge are accepted (held out of order, SACKed, and delivered once the hole fills).
        // linux and rfc answer the unacceptable segment with an ACK and drop it.
        TcpConfig tcp = config(ref).toBuilder().receiveBufferBytes(ref == Reference.LINUX ? 131072 : 65536).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(),
                            new TcpOption.SackPermitted()));
            Sent handshakeAck = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            int advertised = handshakeAck.window();
            assertEquals(ref == Reference.LINUX ? 64240 : 65535, advertised, "the advertised window");
            assertEquals(switch (ref) {
                case LINUX -> 131072;
                case RFC -> 65536;
                case FREEBSD -> 65700;
            }, c.receiveBufferSize());

            int beyond = REMOTE_ISS + 1 + advertised;
            h.receive(h.segment().flags(PSH | ACK).seq(beyond).ack(LOCAL_ISS + 1).payload(bytes(100)));
            Sent dupAck = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            int held = switch (ref) {
                case LINUX, RFC -> {
                    assertEquals(List.of(), sackBlocks(dupAck), dupAck.line());
                    yield 0;
                }
                case FREEBSD -> {
                    assertEquals(List.of(new TcpOption.SackBlock(beyond, beyond + 100)), sackBlocks(dupAck), dupAck.line());
                    yield 100;
                }
            };

            // Fill [0, advertised) in full segments: the held bytes (freebsd) join the stream.
            int offset = 0;
            while (offset < advertised) {
                int length = Math.min(1460, advertised - offset);
                h.receive(h.segment().flags(ACK).seq(REMOTE_ISS + 1 + offset).ack(LOCAL_ISS + 1).payload(bytes(length)));
                offset += length;
            }
            h.advance(tcp.delayedAckNanos());
            List<Sent> acks = h.drain();
            Sent last = acks.get(acks.size() - 1);
            last.assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1 + advertised + held);
            assertEquals(advertised + held, c.readableBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_pureAckAtTheRightEdge_rfcRejectsIt_linuxAndFreebsdAcceptIt(Reference ref) {
        // TcpProfile.acceptsAckAtRightEdge(): RFC 9293's letter for SEG.LEN = 0 is RCV.NXT =< SEG.SEQ <
        // RCV.NXT+RCV.WND, so rfc answers a pure ACK with SEG.SEQ = RCV.NXT+RCV.WND with an ACK and drops it
        // (its acknowledgment too). Linux tcp_sequence (!after(seq, rcv_nxt + window)) and FreeBSD (tcp_input
        // trims only text beyond the edge) accept it. A 16 KiB window keeps the edge at the advertised window in
        // every profile (FreeBSD's buffer is 31 · 536 = 16616 then; linux offers half its 32 KiB buffer, in whole
        // 1460-byte segments: 16060).
        TcpConfig tcp = config(ref).toBuilder().receiveBufferBytes(ref == Reference.LINUX ? 32768 : 16384).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.established();
            int window = (int) c.snapshot(h.now()).receiveWindowBytes();
            assertEquals(switch (ref) {
                case LINUX -> 16060;
                case RFC -> 16384;
                case FREEBSD -> 16616;
            }, window);
            send(h, c, "hello".getBytes(StandardCharsets.US_ASCII));
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);

            // One beyond the edge: unacceptable in every profile.
            h.receive(h.segment().seq(REMOTE_ISS + 1 + window + 1).ack(LOCAL_ISS + 6));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 6, REMOTE_ISS + 1);
            assertEquals(5, c.snapshot(h.now()).inFlightBytes());

            h.receive(h.segment().seq(REMOTE_ISS + 1 + window).ack(LOCAL_ISS + 6));
            switch (ref) {
                case RFC -> {
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 6, REMOTE_ISS + 1);
                    assertEquals(5, c.snapshot(h.now()).inFlightBytes(), "the ACK field was not processed");
                }
                case LINUX, FREEBSD -> {
                    h.expectNothingSent();
                    assertEquals(0, c.snapshot(h.now()).inFlightBytes(), "the ACK field was processed");
                    assertEquals(0, c.sendQueueBytes());
                }
            }
        }
    }

    static Stream<Arguments> referencesAndBuffers() {
        List<Arguments> out = new ArrayList<>();
        for (Reference ref : Reference.values()) {
            for (int buffer : new int[] {65535, 131072, 4 << 20}) {
                out.add(Arguments.of(ref, buffer));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "tcp_rmem[2] {0}: wscale {1}")
    @CsvSource({"6291456, 7", "15728640, 8", "131072, 2", "65536, 2", "262144, 3", "1073741824, 14"})
    void linux_windowShiftFollowsTcpRmemMax(int rmemMax, int expectedShift) {
        // Linux tcp_select_initial_window(): ilog2(max(space, tcp_rmem[2], rmem_max = 212992)) - 15, in 0..14.
        // 131072 and 65536 fall back to rmem_max (ilog2(212992) = 17: 2); 262144 is 2^18: 3; 1 GiB would be 15: 14.
        TcpConfig tcp = TcpConfig.linux().toBuilder().receiveBufferBytes(65536).receiveBufferMaxBytes(rmemMax).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            connect(h);
            Sent syn = h.expectSent().assertFlags(SYN);
            assertEquals(expectedShift, syn.tcp().options().windowScale().getAsInt(), syn.line());
        }
    }

    @ParameterizedTest(name = "{0} buffer {1}")
    @MethodSource("referencesAndBuffers")
    void synSent_windowShiftOffered(Reference ref, int buffer) {
        // TcpProfile.windowShift() (RFC 7323 §2.3 leaves the choice to the receiver). linux: Linux
        // tcp_select_initial_window() sizes it for max(buffer, tcp_rmem[2] = 6 MiB, rmem_max): ilog2(6 MiB) = 22,
        // 22 - 15 = 7 whatever the starting buffer (and 7 for 4 MiB too: ilog2(4 MiB) = 22). rfc: the smallest
        // shift whose window covers the receive buffer. freebsd: the smallest that covers kern.ipc.maxsockbuf
        // (2 MiB), hence the suite's wscale 6 whatever the buffer.
        TcpConfig tcp = config(ref).toBuilder().receiveBufferBytes(buffer).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            connect(h);
            Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            int expected = switch (ref) {
                case LINUX -> 7;
                case RFC -> switch (buffer) {
                    case 65535 -> 0;
                    case 131072 -> 2;
                    default -> 7; // 4 MiB >> 7 = 32768
                };
                case FREEBSD -> 6;
            };
            assertEquals(expected, syn.tcp().options().windowScale().getAsInt(), syn.line());
        }
    }

    // =====================================================================================
    // ACK policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_firstData_linuxAcksAtOnce_rfcAndFreebsdDelay(Reference ref) {
        // TcpProfile.quickAcksAtStart(): Linux quick ACK mode (tcp_incr_quickack) ACKs a new connection's first data
        // at once; rfc and freebsd apply the ordinary rule (RFC 9293 §3.8.6.3) from the first segment: a lone
        // segment waits the delayed-ACK time (200 ms rfc, 100 ms FreeBSD's delacktime).
        TcpConfig tcp = config(ref);
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload(bytes(100)));
            switch (ref) {
                case LINUX -> h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);
                case RFC, FREEBSD -> {
                    assertEquals(ref == Reference.RFC ? millis(200) : millis(100), tcp.delayedAckNanos());
                    h.expectNothingSent();
                    h.advance(tcp.delayedAckNanos() - 1);
                    h.expectNothingSent();
                    h.advance(1);
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);
                }
            }
            h.expectNothingSent();
            assertEquals(100, c.readableBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_replySoonAfterData_onlyLinuxEntersPingPong(Reference ref) {
        // TcpProfile.interactiveMode(): Linux tcp_event_data_sent, data sent soon after data arrived makes the
        // exchange interactive ("ping-pong") and suspends quick ACKs; a lone delayed ACK ends it
        // (tcp_delack_timer_handler). rfc and freebsd have no such mode: with quick ACKs on (TCP_QUICKACK), the
        // next segment is ACKed at once.
        TcpConfig tcp = config(ref);
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.established();
            c.setQuickAck(h.now(), true);
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload(bytes(100)));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);
            send(h, c, "reply".getBytes(StandardCharsets.US_ASCII));
            h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);

            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 101).ack(LOCAL_ISS + 6).payload(bytes(100)));
            switch (ref) {
                case LINUX -> {
                    h.expectNothingSent();
                    h.advance(tcp.delayedAckNanos() - 1);
                    h.expectNothingSent();
                    h.advance(1);
                    h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 6, REMOTE_ISS + 201);
                }
                case RFC, FREEBSD -> h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 6, REMOTE_ISS + 201);
            }
            h.expectNothingSent();

            // Linux: the lone delayed ACK ended ping-pong; quick ACKs resume. The others never left them.
            h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 201).ack(LOCAL_ISS + 6).payload(bytes(100)));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 6, REMOTE_ISS + 301);
            h.expectNothingSent();
        }
    }

    // =====================================================================================
    // SYN retransmission (RFC 6298 §5.5, FreeBSD rexmit_slop and rexmit_drop_options)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_synRetransmissionTimes(Reference ref) {
        // TcpProfile.backedOffRto(): linux and rfc double the RTO (RFC 6298 §5.5): SYNs at 0, 1, 3, 7 s, whatever
        // rtoSlopNanos says (set here for all three: the other profiles ignore it). FreeBSD's TCPT_RANGESET adds
        // rexmit_slop (200 ms by default, TcpConfig.rtoSlopNanos) to each backed-off value: 1 s, then 2.2 s, 4.2 s,
        // so SYNs at 0, 1, 3.2, 7.4 s.
        assertEquals(millis(200), TcpConfig.freebsd().rtoSlopNanos());
        TcpConfig tcp = config(ref).toBuilder().rtoSlopNanos(millis(200)).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            long start = h.now();
            TcpConnection c = h.synSent();
            long[] retransmitAtMillis = switch (ref) {
                case LINUX, RFC -> new long[] {1000, 3000, 7000};
                case FREEBSD -> new long[] {1000, 3200, 7400};
            };
            for (long at : retransmitAtMillis) {
                h.advance(start + millis(at) - 1 - h.now());
                h.expectNothingSent();
                h.advance(1);
                h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
                h.expectNothingSent();
                assertEquals(TcpState.SYN_SENT, c.state());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_rexmitDropOptionsOn_fromTheThirdRetransmissionOnlyMss(Reference ref) {
        // TcpProfile.synRetransmitDropsOptions(): FreeBSD rexmit_drop_options, a switch in every profile. From the
        // third retransmission on, the SYN carries MSS alone (against middleboxes that drop SYNs with options).
        try (ConnectionHarness h = new ConnectionHarness(config(ref, s -> s.withDropOptionsOnSynRetransmit(true)))) {
            connect(h);
            assertFullSynOptions(h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0));
            for (int retransmission = 1; retransmission <= 4; retransmission++) {
                advanceToNextDeadline(h);
                Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
                h.expectNothingSent();
                if (retransmission < 3) {
                    assertFullSynOptions(syn);
                } else {
                    assertEquals(List.of(new TcpOption.Mss(1460)), syn.tcp().options().list(),
                            "retransmission " + retransmission + ": " + syn.line());
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_rexmitDropOptionsOff_everyRetransmissionCarriesAllOptions(Reference ref) {
        // The switch is off by default in every profile (FreeBSD rexmit_drop_options=0).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.synSent();
            for (int retransmission = 1; retransmission <= 4; retransmission++) {
                advanceToNextDeadline(h);
                assertFullSynOptions(h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0));
                h.expectNothingSent();
            }
            assertEquals(TcpState.SYN_SENT, c.state());
        }
    }

    private static void assertFullSynOptions(Sent syn) {
        assertEquals(1460, syn.tcp().options().mss().getAsInt(), syn.line());
        assertTrue(syn.tcp().options().windowScale().isPresent(), syn.line());
        assertTrue(syn.tcp().options().sackPermitted(), syn.line());
        assertTrue(syn.tcp().options().timestamps().isPresent(), syn.line());
    }

    // =====================================================================================
    // TCP_KEEPINIT and TCP_NOOPT (FreeBSD only)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_connectTimeout_freebsdFailsTheOpen_linuxAndRfcHaveNoSuchOption(Reference ref) {
        // TcpProfile.hasKeepInit(): FreeBSD TCP_KEEPINIT bounds connection establishment (tcp_timer_keep): the open
        // fails with CONNECT_TIMEOUT when the handshake has not completed in time; tcp_drop sends nothing in SYN-SENT.
        // Linux has no such option, nor the RFCs: IllegalStateException naming the option and the profile it needs.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            long start = h.now();
            TcpConnection c = h.synSent();
            switch (ref) {
                case FREEBSD -> {
                    c.setConnectTimeout(h.now(), seconds(3));
                    assertEquals(seconds(3), c.connectTimeoutNanos());
                    h.advance(start + seconds(3) - 1 - h.now());
                    h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0); // the retransmission at 1 s
                    h.expectNothingSent();
                    assertEquals(TcpState.SYN_SENT, c.state());
                    h.advance(1);
                    h.expectNothingSent();
                    assertEquals(TcpState.CLOSED, c.state());
                    assertEquals(CloseReason.CONNECT_TIMEOUT, c.closeReason());
                    assertEquals(1, count(h, Counter.TcpAttemptFails));
                    assertEquals(0, h.stack.connectionCount());
                }
                case LINUX, RFC -> {
                    IllegalStateException e = assertThrows(IllegalStateException.class,
                            () -> c.setConnectTimeout(h.now(), seconds(3)));
                    assertTrue(e.getMessage().contains("TCP_KEEPINIT") && e.getMessage().contains("freebsd"),
                            e.getMessage());
                    assertEquals(0, c.connectTimeoutNanos());
                    h.advance(start + seconds(3) + millis(100) - h.now());
                    h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0); // 1 s
                    h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0); // 3 s
                    h.expectNothingSent();
                    assertEquals(TcpState.SYN_SENT, c.state(), "the refused option changed nothing");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_noOptions_freebsdSendsASynWithoutOptions_linuxAndRfcHaveNoSuchOption(Reference ref) {
        // TcpProfile.hasNoOptions(): FreeBSD TCP_NOOPT, the SYN carries no option at all, not even MSS, so none is
        // negotiated even when the peer's SYN,ACK offers them all. Linux and the RFCs have no such option.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = connect(h);
            switch (ref) {
                case FREEBSD -> {
                    c.setNoOptions(true);
                    assertTrue(c.noOptions());
                    Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
                    assertEquals(0, syn.tcp().options().areaLength(), syn.line());
                    assertEquals(20, syn.tcp().headerLength());
                    h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                            .options(new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(7, 0),
                                    new TcpOption.Nop(), new TcpOption.WindowScale(7)));
                    Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertEquals(0, ack.tcp().options().areaLength(), ack.line());
                    ConnectionSnapshot snap = c.snapshot(h.now());
                    assertEquals(TcpState.ESTABLISHED, snap.state());
                    assertFalse(snap.timestamps());
                    assertFalse(snap.sack());
                    assertEquals(0, snap.sendWindowShift());
                    assertEquals(0, snap.receiveWindowShift());
                }
                case LINUX, RFC -> {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.setNoOptions(true));
                    assertTrue(e.getMessage().contains("TCP_NOOPT") && e.getMessage().contains("freebsd"), e.getMessage());
                    assertFalse(c.noOptions());
                    assertFullSynOptions(h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0));
                }
            }
            h.expectNothingSent();
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void listen_noOptions_freebsdSynAckWithoutOptions_linuxAndRfcHaveNoSuchOption(Reference ref) {
        // TCP_NOOPT on a listening socket (FreeBSD): its children answer with a SYN,ACK carrying no options.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpListener listener = h.listen();
            switch (ref) {
                case FREEBSD -> listener.setNoOptions(true);
                case LINUX, RFC -> {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> listener.setNoOptions(true));
                    assertTrue(e.getMessage().contains("TCP_NOOPT") && e.getMessage().contains("freebsd"), e.getMessage());
                }
            }
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).options(new TcpOption.Mss(1460), new TcpOption.SackPermitted(),
                    new TcpOption.Timestamps(7, 0), new TcpOption.Nop(), new TcpOption.WindowScale(7)));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            ConnectionSnapshot child = h.onlyConnection().snapshot(h.now());
            switch (ref) {
                case FREEBSD -> {
                    assertEquals(0, synAck.tcp().options().areaLength(), synAck.line());
                    assertFalse(child.timestamps());
                    assertFalse(child.sack());
                }
                case LINUX, RFC -> {
                    assertFullSynOptions(synAck);
                    assertTrue(child.timestamps());
                    assertTrue(child.sack());
                }
            }
        }
    }

    // =====================================================================================
    // Option layout on the wire (TcpProfile.optionLayout)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_optionBytes_freebsdLayout_linuxLayoutOtherwise(Reference ref) {
        // FreeBSD tcp_addoptions: mss, nop,wscale, sackOK, TS (padded to 2 mod 4 before TS: here already).
        // Linux tcp_options_write: mss, sackOK folded into the TS option's padding, TS, nop,wscale. No RFC fixes an
        // order, so rfc uses Linux's. Shifts: linux 7 (tcp_rmem[2] = 6 MiB), rfc 2 (its 128 KiB buffer), FreeBSD 6.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            connect(h);
            byte[] packet = nextPacketBytes(h);
            TcpHeader syn = tcpHeader(packet);
            assertEquals(SYN, syn.flags());
            TcpOption.Timestamps ts = syn.options().timestamps().orElseThrow();
            assertEquals(0, ts.tsEcr());
            String expected = switch (ref) {
                case FREEBSD -> "02 04 05 b4 01 03 03 06 04 02 " + timestampsHex(ts);
                case LINUX -> "02 04 05 b4 04 02 " + timestampsHex(ts) + " 01 03 03 07";
                case RFC -> "02 04 05 b4 04 02 " + timestampsHex(ts) + " 01 03 03 02";
            };
            assertEquals(expected, optionHex(packet));
        }
    }

    /** What the peer's SYN offers, and the SYN,ACK each layout answers with (TSval left out: "TS", our shift: "WS"). */
    private enum Offer {
        ALL(new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(4242, 0),
            new TcpOption.Nop(), new TcpOption.WindowScale(7)},
            "02 04 05 b4 04 02 TS 01 03 03 WS",
            "02 04 05 b4 01 03 03 06 04 02 TS"),
        NO_SACK(new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(),
            new TcpOption.Timestamps(4242, 0), new TcpOption.Nop(), new TcpOption.WindowScale(7)},
            "02 04 05 b4 01 01 TS 01 03 03 WS",
            "02 04 05 b4 01 03 03 06 01 01 TS"),
        MSS_AND_SACK_ONLY(new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(),
            new TcpOption.SackPermitted()},
            "02 04 05 b4 01 01 04 02",
            "02 04 05 b4 04 02 00 00"); // FreeBSD pads with EOL at the end

        final TcpOption[] options;
        final String linuxLayout;
        final String freebsdLayout;

        Offer(TcpOption[] options, String linuxLayout, String freebsdLayout) {
            this.options = options;
            this.linuxLayout = linuxLayout;
            this.freebsdLayout = freebsdLayout;
        }
    }

    static Stream<Arguments> referencesAndOffers() {
        List<Arguments> out = new ArrayList<>();
        for (Reference ref : Reference.values()) {
            for (Offer offer : Offer.values()) {
                out.add(Arguments.of(ref, offer));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("referencesAndOffers")
    void listen_synAckOptionBytes_inTheProfilesLayout(Reference ref, Offer offer) {
        // The SYN,ACK answers only what the SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2), laid out as
        // TcpProfile.optionLayout() says: FreeBSD's tcp_addoptions (NOPs before TS to 2 mod 4, EOL padding at the
        // end) or Linux's tcp_options_write (nop,nop or sackOK before TS; nop,nop,sackOK without TS).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).options(offer.options));
            byte[] packet = nextPacketBytes(h);
            TcpHeader synAck = tcpHeader(packet);
            assertEquals(SYN | ACK, synAck.flags());
            String layout = switch (ref) {
                case FREEBSD -> offer.freebsdLayout;
                case LINUX -> offer.linuxLayout.replace("WS", "07"); // tcp_rmem[2] = 6 MiB: ilog2 22 - 15
                case RFC -> offer.linuxLayout.replace("WS", "02"); // the smallest shift covering 128 KiB
            };
            String expected = synAck.options().timestamps()
                    .map(ts -> {
                        assertEquals(4242, ts.tsEcr());
                        return layout.replace("TS", timestampsHex(ts));
                    })
                    .orElse(layout);
            assertEquals(expected, optionHex(packet));
        }
    }

    // =====================================================================================
    // PSH on retransmissions (RFC 9293 §3.9.1)
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_retransmission_pshOnlyWhenItReachesTheEndOfTheData(Reference ref) {
        // RFC 9293 §3.9.1 (PSH on the last segment of the data queued), FreeBSD (tcp_output: PSH when the segment
        // empties the send buffer) and Linux (the retransmitted head of a burst: tcp_fragment() leaves PSH on the
        // tail part) all set PSH on a retransmission only where the data sent ends. 1000 bytes at MSS 536:
        // [0, 536) and [536, 1000).
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            send(h, c, bytes(1000));
            Sent first = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(536, first.payload().length);
            Sent second = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 537, REMOTE_ISS + 1);
            assertEquals(464, second.payload().length);
            h.expectNothingSent();

            // RTO: the first segment again, which does not reach the end of the data.
            advanceToNextDeadline(h);
            Sent rexmit = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(536, rexmit.payload().length);
            rexmit.assertFlags(ACK);
            h.expectNothingSent();

            // Its ACK: the second segment goes again, reaching the end of the data: PSH in every profile.
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 537));
            Sent tail = h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 537, REMOTE_ISS + 1);
            assertEquals(464, tail.payload().length);
            h.expectNothingSent();
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_burstEndedByCwnd_pshOnEachGsoPacketsLastSegmentOnLinuxOnly(Reference ref) {
        // TcpProfile.pushesPerGsoPacket(): 20 segments' worth queued, IW10 (RFC 6928: 10 x 536 bytes) lets 10 go. Linux
        // sends them as two GSO packets of five (tcp_cwnd_test(): at most half of cwnd per packet; on this path of no
        // delay the pacing rate sizes them no smaller, tcp_tso_autosize()), and __tcp_transmit_skb() sets PSH on every
        // GSO packet, which segmentation leaves on its last segment: the 5th and the 10th. rfc and freebsd push only
        // the end of the data queued, which has not gone yet.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            send(h, c, bytes(20 * 536));
            for (int i = 0; i < 10; i++) {
                Sent seg = h.expectSent().assertSeqAck(LOCAL_ISS + 1 + i * 536, REMOTE_ISS + 1);
                assertEquals(536, seg.payload().length);
                boolean push = ref == Reference.LINUX && (i == 4 || i == 9);
                seg.assertFlags(push ? PSH | ACK : ACK);
            }
            h.expectNothingSent();
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_abort_rstInTheProfilesForm(Reference ref) {
        // TcpProfile.abortResetForm(): linux tcp_send_active_reset() sends RST,ACK through tcp_transmit_skb() (the
        // current window, timestamps when negotiated); rfc RFC 9293 §3.10.5 <SEQ=SND.NXT><CTL=RST>; freebsd tcp_drop()
        // through tcp_output(): RST,ACK with window 0.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.established();
            c.abort(h.now());
            Sent rst = h.expectSent();
            switch (ref) {
                case LINUX -> {
                    rst.assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertTrue(rst.window() > 0, rst.line());
                }
                case RFC -> rst.assertFlags(RST).assertSeqAck(LOCAL_ISS + 1, 0);
                case FREEBSD -> {
                    rst.assertFlags(RST | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
                    assertEquals(0, rst.window(), rst.line());
                }
            }
            h.expectNothingSent();
        }
    }
}
