package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.LOCAL;
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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.PcapFile;
import io.usertcp.testkit.TransitionRecorder;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpSegmentView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The three-way handshake in detail: what our SYN and SYN-ACK offer and how the peer's options are
 * applied (RFC 9293 §3.7.1 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK-permitted),
 * SYN and SYN-ACK retransmission, simultaneous open, old duplicate SYNs (RFC 9293 §3.5, Figures 7
 * to 10), and initial sequence numbers (RFC 6528).
 */
class HandshakeTest {
    /**
     * Our receive buffer in the Linux profile is 128 KiB, and the shift is sized for tcp_rmem[2] = 6 MiB
     * as Linux tcp_select_initial_window() does: ilog2(6 MiB) - 15 = 7.
     */
    private static final int OUR_SHIFT = 7;
    /**
     * The window the linux profile offers from the default 128 KiB buffer: half of it (tcp_win_from_space()),
     * rounded down to whole 1460-byte segments (tcp_select_initial_window()), as a Linux SYN's "win 64240".
     */
    private static final int OUR_WINDOW = 64240;
    /** {@link #OUR_WINDOW} once scaled by {@link #OUR_SHIFT}: rounded up to whole units (Linux __tcp_select_window()). */
    private static final int OUR_SCALED_WINDOW = (OUR_WINDOW + (1 << OUR_SHIFT) - 1) >> OUR_SHIFT;

    private final TransitionRecorder recorder = new TransitionRecorder();

    private ConnectionHarness harness() {
        return new ConnectionHarness(TcpConfig.linux(), c -> c.withObserver(recorder));
    }

    private static void send(ConnectionHarness h, TcpConnection c, int bytes) {
        ByteBuf data = Unpooled.buffer(bytes);
        try {
            for (int i = 0; i < bytes; i++) {
                data.writeByte('a' + i % 26);
            }
            assertEquals(bytes, c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    private static TcpOption.Timestamps timestamps(Sent s) {
        return s.tcp().options().list().stream().filter(o -> o instanceof TcpOption.Timestamps)
                .map(o -> (TcpOption.Timestamps) o).findFirst()
                .orElseThrow(() -> new AssertionError("no timestamp option in " + s));
    }

    private static List<Class<?>> optionKinds(TcpHeader tcp) {
        return tcp.options().list().stream().<Class<?>>map(Object::getClass).toList();
    }

    /** An active OPEN and the SYN it sent. */
    private record Opened(TcpConnection connection, Sent syn) {}

    /** SYN-SENT, with our SYN returned for tests that look at its options. */
    private static Opened connect(ConnectionHarness h) {
        TcpConnection c = h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
        Sent syn = h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
        h.expectNothingSent();
        return new Opened(c, syn);
    }

    // =====================================================================================
    // MSS (RFC 9293 §3.7.1, RFC 6691)
    // =====================================================================================

    @Test
    void synSent_announcesMtuMinus40() {
        // RFC 9293 §3.7.1 (MUST-14/-16): the MSS option announces the largest segment we can receive: the
        // MTU minus the fixed IPv4 and TCP headers (RFC 6691 §2: options are not subtracted).
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux(), c -> c.withMtu(9000))) {
            Sent syn = connect(h).syn();
            assertEquals(8960, syn.tcp().options().mss().getAsInt());
        }
        try (ConnectionHarness h = harness()) {
            assertEquals(1460, connect(h).syn().tcp().options().mss().getAsInt());
        }
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux(), c -> c.withMtu(576))) {
            // The passive side announces the same in its SYN,ACK.
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(536, synAck.tcp().options().mss().getAsInt());
        }
    }

    @Test
    void synSent_peerMss_limitsOurSegments() {
        // RFC 9293 §3.7.1 (MUST-15/-16): the effective send MSS is the peer's MSS option (less than ours).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(1000)));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(1000, c.mss());
            send(h, c, 2500);
            assertEquals(1000, h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1).payload().length);
            assertEquals(1000, h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1001, REMOTE_ISS + 1).payload().length);
            assertEquals(500, h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 2001, REMOTE_ISS + 1).payload().length);
            h.expectNothingSent();
        }
    }

    @Test
    void synSent_peerMssAboveOurs_cappedByOurMtu() {
        // RFC 9293 §3.7.1: we never send more than our own interface allows (Linux tcp_sync_mss).
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(9000)));
            h.expectSent().assertFlags(ACK);
            assertEquals(1460, c.mss());
        }
    }

    @Test
    void synSent_noMssOption_assumes536() {
        // RFC 9293 §3.7.1 (MUST-15): "If an MSS Option is not received at connection setup, TCP
        // implementations MUST assume a default send MSS of 536 (576 - 40) for IPv4".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            assertEquals(536, c.mss());
            send(h, c, 1000);
            assertEquals(536, h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1).payload().length);
            assertEquals(464, h.expectSent().assertFlags(PSH | ACK).assertSeqAck(LOCAL_ISS + 537, REMOTE_ISS + 1).payload().length);
            h.expectNothingSent();
        }
    }

    @Test
    void synSent_timestampsNegotiated_effectiveMssReducedBy12() {
        // RFC 9293 §3.7.1 / RFC 6691 §2: options sent on every segment (TSopt, 10 bytes padded to 12) come out
        // of the payload: 1460 - 12 = 1448, as Linux's data segments in the golden capture show.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(100, 0)));
            h.expectSent().assertFlags(ACK);
            assertEquals(1448, c.mss());
            send(h, c, 2000);
            Sent first = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(1448, first.payload().length);
            assertEquals(1500, first.ip().totalLength(), "a full-sized segment fills the MTU exactly");
            assertEquals(552, h.expectSent().assertFlags(PSH | ACK).payload().length);
        }
    }

    // =====================================================================================
    // Window scale (RFC 7323 §2)
    // =====================================================================================

    @Test
    void synSent_offersWindowScale_synWindowUnscaled() {
        // RFC 7323 §2.2: we offer our shift in the SYN; §2.2 also: "The window field in a segment where the SYN
        // bit is set (i.e., a <SYN> or <SYN,ACK>) MUST NOT be scaled."
        try (ConnectionHarness h = harness()) {
            Sent syn = connect(h).syn();
            assertEquals(OUR_SHIFT, syn.tcp().options().windowScale().getAsInt());
            assertEquals(OUR_WINDOW, syn.window());
        }
    }

    @Test
    void synSent_peerOffersWindowScale_bothShiftsApply() {
        // RFC 7323 §2.2-2.3: with the option on both SYNs, the peer's windows are shifted by its shift and ours
        // by ours; the SYN,ACK's own window is not scaled.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).window(1000)
                    .options(new TcpOption.Nop(), new TcpOption.WindowScale(7)));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(OUR_SCALED_WINDOW, ack.window(), "our window, scaled down by our shift");
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(7, s.sendWindowShift());
            assertEquals(OUR_SHIFT, s.receiveWindowShift());
            assertEquals(1000, s.sendWindowBytes(), "the SYN,ACK's window is taken as is");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(100));
            assertEquals(100 << 7, c.snapshot(h.now()).sendWindowBytes());
        }
    }

    @Test
    void synSent_peerWithoutWindowScale_neitherShiftApplies() {
        // RFC 7323 §2.2: "If a Window Scale option is received ... but not sent in a <SYN> (or vice versa),
        // both sides MUST use a scale factor of zero" — the window field says at most 65535.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).window(1000));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(OUR_WINDOW, ack.window());
            ConnectionSnapshot s = c.snapshot(h.now());
            assertEquals(0, s.sendWindowShift());
            assertEquals(0, s.receiveWindowShift());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(100));
            assertEquals(100, c.snapshot(h.now()).sendWindowBytes());
        }
    }

    @Test
    void windowScalingOff_noOptionInOurSyn_peerShiftIgnored() {
        // RFC 7323 §2.2, the other direction: the peer offered a shift but our SYN did not, so both shifts are 0.
        TcpConfig tcp = TcpConfig.linux().toBuilder().windowScaling(false).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp, c -> c.withObserver(recorder))) {
            Opened opened = connect(h);
            assertTrue(opened.syn().tcp().options().windowScale().isEmpty(), opened.syn().toString());
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Nop(), new TcpOption.WindowScale(7)));
            assertEquals(OUR_WINDOW, h.expectSent().assertFlags(ACK).window());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(100));
            ConnectionSnapshot s = opened.connection().snapshot(h.now());
            assertEquals(0, s.sendWindowShift());
            assertEquals(0, s.receiveWindowShift());
            assertEquals(100, s.sendWindowBytes());
        }
    }

    @Test
    void synSent_peerShiftAbove14_usedAs14() {
        // RFC 7323 §2.3: "If a Window Scale option is received with a shift.cnt value larger than 14, the TCP
        // SHOULD log the error but MUST use 14 instead of the specified value."
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Nop(), new TcpOption.WindowScale(15)));
            h.expectSent().assertFlags(ACK);
            assertEquals(14, c.snapshot(h.now()).sendWindowShift());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(3));
            assertEquals(3L << 14, c.snapshot(h.now()).sendWindowBytes());
        }
    }

    @Test
    void synSent_firstAckWindow_neverBeyondReceiveBuffer_whateverThePeerIsn() {
        // RFC 9293 §3.8.6.2 / RFC 7323 §2.3: the window we advertise must be backed by buffer space. Our SYN
        // went out before RCV.NXT was known; the ACK that completes the handshake must still offer exactly
        // the window the buffer backs, for every peer ISN (here one far "ahead" of 0 in sequence space).
        for (int irs : new int[] {REMOTE_ISS, 0xF0000000, 0x80000001, -2, 1000}) {
            try (ConnectionHarness h = harness()) {
                TcpConnection c = h.synSent();
                h.receive(h.segment().flags(SYN | ACK).seq(irs).ack(LOCAL_ISS + 1)
                        .options(new TcpOption.Nop(), new TcpOption.WindowScale(7)));
                Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, irs + 1);
                assertEquals(OUR_SCALED_WINDOW, ack.window(), "window field for IRS " + Integer.toUnsignedString(irs));
                assertEquals(OUR_SCALED_WINDOW << OUR_SHIFT, c.snapshot(h.now()).receiveWindowBytes(),
                        "RCV.WND for IRS " + Integer.toUnsignedString(irs));
            }
        }
    }

    @Test
    void listen_synWithWindowScale_synAckAnswersWithOurs_unscaledWindow() {
        // RFC 7323 §2.2: a SYN,ACK carries the option only if the SYN did; its own window is never scaled.
        try (ConnectionHarness h = harness()) {
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).window(500).options(new TcpOption.Nop(), new TcpOption.WindowScale(3)));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(OUR_SHIFT, synAck.tcp().options().windowScale().getAsInt());
            assertEquals(OUR_WINDOW, synAck.window());
            TcpConnection child = h.onlyConnection();
            assertEquals(500, child.snapshot(h.now()).sendWindowBytes(), "the SYN's window is not scaled");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).window(500));
            assertEquals(500 << 3, child.snapshot(h.now()).sendWindowBytes(), "the ACK's window is scaled");
        }
    }

    @Test
    void listen_synWithoutOptions_synAckOffersOnlyMss() {
        // RFC 7323 §2.2, §3.2 and RFC 2018 §2: window scale, timestamps and SACK-permitted are answered only
        // when the SYN offered them; the MSS option is always sent (RFC 9293 §3.7.1, SHLD-5 in practice).
        try (ConnectionHarness h = harness()) {
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(List.of(new TcpOption.Mss(1460)), synAck.tcp().options().list());
        }
    }

    // =====================================================================================
    // SACK-permitted and timestamps (RFC 2018 §2, RFC 7323 §3-§4)
    // =====================================================================================

    @Test
    void synSent_timestampsAndSack_negotiated_echoedAndAdvancing() {
        // RFC 7323 §3.2: once both SYNs carried TSopt, every segment carries it; TSecr echoes TS.Recent,
        // TSval is our clock (1 ms tick, RFC 7323 §5.4). RFC 2018 §2: SACK-permitted in both SYNs.
        try (ConnectionHarness h = harness()) {
            Opened opened = connect(h);
            Sent syn = opened.syn();
            int tsVal0 = timestamps(syn).tsVal();
            assertEquals(0, timestamps(syn).tsEcr(), "RFC 7323 §3.2: TSecr is 0 in a SYN");
            assertTrue(syn.tcp().options().sackPermitted());
            h.advance(millis(3));
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(1460),
                    new TcpOption.SackPermitted(), new TcpOption.Timestamps(777, tsVal0)));
            Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(new TcpOption.Timestamps(tsVal0 + 3, 777), timestamps(ack));
            assertEquals(12, ack.tcp().options().areaLength(), "nop,nop,TS like Linux");
            TcpConnection c = opened.connection();
            assertEquals(TcpState.ESTABLISHED, c.state());
            ConnectionSnapshot s = c.snapshot(h.now());
            assertTrue(s.sack());
            assertTrue(s.timestamps());
            assertEquals(millis(3), s.srttNanos(), "RFC 7323 §4.1: the RTT measured from the echoed TSval");

            h.advance(millis(10));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("x").options(new TcpOption.Timestamps(787, tsVal0 + 3)));
            // The first data is acknowledged at once (quick ACK mode), echoing the segment's TSval.
            Sent quick = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            assertEquals(new TcpOption.Timestamps(tsVal0 + 13, 787), timestamps(quick));
        }
    }

    @Test
    void synSent_peerWithoutTimestampsOrSack_neitherIsUsed() {
        // RFC 7323 §3.2: no TSopt in the SYN,ACK means no TSopt on any later segment; RFC 2018 §2 likewise.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(1460)));
            Sent ack = h.expectSent().assertFlags(ACK);
            assertEquals(0, ack.tcp().options().areaLength());
            assertFalse(c.snapshot(h.now()).timestamps());
            assertFalse(c.snapshot(h.now()).sack());
            assertEquals(1460, c.mss(), "no option bytes to subtract");
        }
    }

    @Test
    void listen_synWithLinuxOptions_synAckAnswersInLinuxLayout() {
        // Linux tcp_options_write: mss, sackOK folded into the TS option's padding, TS, nop, wscale; TSecr
        // echoes the SYN's TSval (RFC 7323 §3.2).
        try (ConnectionHarness h = harness()) {
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS).options(new TcpOption.Mss(1460), new TcpOption.SackPermitted(),
                    new TcpOption.Timestamps(4242, 0), new TcpOption.Nop(), new TcpOption.WindowScale(10)));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            List<TcpOption> options = synAck.tcp().options().list();
            assertEquals(List.of(TcpOption.Mss.class, TcpOption.SackPermitted.class, TcpOption.Timestamps.class,
                    TcpOption.Nop.class, TcpOption.WindowScale.class), optionKinds(synAck.tcp()));
            assertEquals(4242, ((TcpOption.Timestamps) options.get(2)).tsEcr());
            assertEquals(new TcpOption.WindowScale(OUR_SHIFT), options.get(4));
            TcpConnection child = h.onlyConnection();
            assertTrue(child.snapshot(h.now()).sack());
            assertTrue(child.snapshot(h.now()).timestamps());
            assertEquals(10, child.snapshot(h.now()).sendWindowShift());
        }
    }

    @Test
    void synSent_optionLayout_equalsLinuxGoldenSyn() throws IOException {
        // The SYN Linux 6.18 sent in golden/tcp-handshake-data-close.pcap: mss 1460,sackOK,TS,nop,wscale. Ours
        // (MTU 1500, every option on) has the same options in the same order and the same 20-byte area.
        PcapFile.Packet goldenSyn = PcapFile.readResource(TcpFlags.class, "golden/tcp-handshake-data-close.pcap").get(0);
        TcpHeader linux = parseTcp(goldenSyn.ipv4());
        assertEquals(SYN, linux.flags());
        try (ConnectionHarness h = harness()) {
            TcpHeader ours = connect(h).syn().tcp();
            assertEquals(optionKinds(linux), optionKinds(ours));
            assertEquals(linux.options().areaLength(), ours.options().areaLength());
            assertEquals(linux.headerLength(), ours.headerLength());
            assertEquals(linux.options().mss(), ours.options().mss());
        }
    }

    private static TcpHeader parseTcp(byte[] ipv4) {
        ByteBuf buf = Unpooled.wrappedBuffer(ipv4);
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, 0, ipv4.length);
            return TcpHeader.parse(new TcpSegmentView().wrap(ip));
        } finally {
            buf.release();
        }
    }

    // =====================================================================================
    // Retransmission of SYN and SYN-ACK (RFC 6298 §5, RFC 9293 §3.8.3)
    // =====================================================================================

    @Test
    void synSent_synRetransmittedWithBackoff_connectFailsAfter127Seconds() {
        // RFC 6298 §2.1/§5.5: initial RTO 1 s, doubled on each timeout: SYNs at 0, 1, 3, 7, 15, 31, 63 s; after
        // the sixth retransmission (Linux tcp_syn_retries = 6) the last timeout (64 s) fails the open at 127 s.
        try (ConnectionHarness h = harness()) {
            long start = h.now();
            TcpConnection c = h.synSent();
            long[] retransmitAt = {1, 3, 7, 15, 31, 63};
            for (long at : retransmitAt) {
                h.advance(start + seconds(at) - 1 - h.now());
                h.expectNothingSent();
                h.advance(1);
                h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
                h.expectNothingSent();
                assertEquals(TcpState.SYN_SENT, c.state());
            }
            h.advance(start + seconds(127) - 1 - h.now());
            assertEquals(TcpState.SYN_SENT, c.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.CONNECT_TIMEOUT, c.closeReason());
            assertEquals(6, h.stack.stats().get(Counter.TcpExtTCPSynRetrans));
            assertEquals(6, h.stack.stats().get(Counter.TcpRetransSegs));
            assertEquals(1, h.stack.stats().get(Counter.TcpAttemptFails));
            assertEquals(start + seconds(127), recorder.transitions().get(recorder.transitions().size() - 1).nowNanos());
        }
    }

    @Test
    void listen_synAckRetransmittedWithBackoff_halfOpenChildDroppedAfterSynAckRetries() {
        // Linux tcp_synack_retries = 5: SYN,ACKs at 0, 1, 3, 7, 15, 31 s, the request dropped at 63 s without
        // a RST (the peer never completed the handshake; RFC 9293 §3.8.3 R2 for a SYN-ACK).
        try (ConnectionHarness h = harness()) {
            long start = h.now();
            TcpConnection child = h.synReceivedPassive();
            for (long at : new long[] {1, 3, 7, 15, 31}) {
                h.advance(start + seconds(at) - 1 - h.now());
                h.expectNothingSent();
                h.advance(1);
                h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
                h.expectNothingSent();
            }
            recorder.clear();
            h.advance(start + seconds(63) - 1 - h.now());
            assertEquals(TcpState.SYN_RECEIVED, child.state());
            h.advance(1);
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, child.state());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.listener().synQueueLength());
            assertFalse(h.listener().isClosed());
            recorder.expectOnly(TcpState.SYN_RECEIVED, TcpState.CLOSED, "SYN-ACK retries exhausted");
            assertEquals(5, h.stack.stats().get(Counter.TcpExtTCPSynRetrans));
        }
    }

    @Test
    void synReceived_retransmittedSyn_getsSynAckAgain() {
        // The SYN,ACK was lost and the peer repeats its SYN: answer with the same SYN,ACK, keep the one
        // child (Linux tcp_check_req: "Retransmitted SYN ... inet_rtx_syn_ack").
        try (ConnectionHarness h = harness()) {
            TcpConnection child = h.synReceivedPassive();
            recorder.clear();
            h.advance(millis(500));
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_RECEIVED, child.state());
            assertEquals(1, h.stack.connectionCount());
            recorder.expectNone();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            assertEquals(TcpState.ESTABLISHED, child.state());
        }
    }

    @Test
    void synReceived_closedBeforeSynAcked_rtoResendsSynAckThenFin() {
        // RFC 9293 §3.10.4: CLOSE in SYN-RECEIVED sent the FIN at once; while neither is acknowledged, the
        // retransmission timer (RFC 6298 §5.4) resends the SYN,ACK and then the FIN.
        try (ConnectionHarness h = harness()) {
            long start = h.now();
            TcpConnection c = h.synReceivedSimultaneous();
            c.close(h.now());
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.advance(start + seconds(1) - h.now());
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.expectSent().assertFlags(FIN | ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2));
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            assertFalse(c.snapshot(h.now()).timersLeftNanos().containsKey(TcpTimer.RETRANSMIT));
        }
    }

    // =====================================================================================
    // Simultaneous open (RFC 9293 §3.5, Figure 7)
    // =====================================================================================

    @Test
    void simultaneousOpen_twoStacks_bothEstablished() {
        // Figure 7: both send SYN, both move to SYN-RECEIVED and send SYN,ACK, both reach ESTABLISHED.
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection a = net.a.connect(net.now(), 7000, TwoStacks.B.bits(), 8000);
            TcpConnection b = net.b.connect(net.now(), 8000, TwoStacks.A.bits(), 7000);
            net.settle();
            assertEquals(TcpState.ESTABLISHED, a.state(), net.lastTrace(10));
            assertEquals(TcpState.ESTABLISHED, b.state(), net.lastTrace(10));
            assertEquals(0, net.a.stats().get(Counter.TcpOutRsts) + net.b.stats().get(Counter.TcpOutRsts), net.lastTrace(10));
            long synAcks = net.trace().stream().filter(l -> l.contains("Flags [S.]")).count();
            assertEquals(2, synAcks, net.lastTrace(10));
            ByteBuf ping = Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII);
            ByteBuf dst = Unpooled.buffer(16);
            try {
                a.send(net.now(), ping);
                net.settle();
                b.read(net.now(), dst);
                assertEquals("ping", dst.toString(StandardCharsets.US_ASCII));
            } finally {
                ping.release();
                dst.release();
            }
            assertTrue(a.snapshot(net.now()).timestamps() && b.snapshot(net.now()).timestamps());
            a.close(net.now());
            b.close(net.now());
        }
    }

    @Test
    void simultaneousOpen_peerSynAck_sendsAck_entersEstablished() {
        // Figure 7 line 6: in SYN-RECEIVED (from SYN-SENT) the peer's SYN,ACK acknowledges our SYN; we ACK it.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Test
    void simultaneousOpen_peerBareAck_entersEstablishedSilently() {
        // RFC 9293 §3.10.7.4 (fifth, SYN-RECEIVED): an ACK of our SYN completes the handshake.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synReceivedSimultaneous();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    // =====================================================================================
    // Old duplicate SYNs and half-open connections (RFC 9293 §3.5, Figures 8 to 10), RST in SYN-SENT
    // =====================================================================================

    @Test
    void synSent_synAckWithWrongAck_sendsRst_staysSynSent() {
        // RFC 9293 §3.10.7.3 (first): "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit
        // is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>" — Figure 8 ("Recovery from Old Duplicate SYN"), line 5.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            recorder.clear();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS - 1000).ack(LOCAL_ISS - 50));
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS - 50, 0);
            h.expectNothingSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS - 1000).ack(LOCAL_ISS)); // SEG.ACK = ISS
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS, 0);
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS - 1000).ack(LOCAL_ISS + 2)); // beyond SND.NXT
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS + 2, 0);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_SENT, c.state());
            recorder.expectNone();
            // The genuine SYN,ACK still completes the handshake.
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Test
    void listen_oldDuplicateSyn_resetByPeer_returnsToListen_thenRealSynCompletes() {
        // RFC 9293 Figure 8 ("Recovery from Old Duplicate SYN") from B's side: an old SYN (seq 90) makes a SYN-RECEIVED child; A answers our
        // SYN,ACK with <SEQ=91><CTL=RST>, which is exact (RFC 5961 §3.2), so the child returns to LISTEN
        // (RFC 9293 §3.10.7.4, second, passive SYN-RECEIVED). Then the real SYN (seq 100) connects.
        try (ConnectionHarness h = harness()) {
            h.listen();
            int oldSeq = REMOTE_ISS - 10;
            h.receive(h.segment().flags(SYN).seq(oldSeq));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, oldSeq + 1);
            TcpConnection historical = h.onlyConnection();
            h.receive(h.segment().flags(RST).seq(oldSeq + 1));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, historical.state());
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.listener().synQueueLength());
            // RFC 1213 tcpAttemptFails counts "direct transitions to LISTEN from SYN-RCVD" (Linux tcp_check_req).
            assertEquals(1, h.stack.stats().get(Counter.TcpAttemptFails));

            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            TcpConnection real = h.listener().accept();
            assertNotNull(real);
            assertEquals(TcpState.ESTABLISHED, real.state());
            real.close(h.now());
        }
    }

    @Test
    void established_peerRestartsWithNewSyn_challengeAck_thenItsRstResets() {
        // RFC 9293 Figure 9 ("Half-Open Connection Discovery") from B's side, with RFC 5961 §4.2: the restarted
        // peer's SYN gets a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>; the peer, in SYN-SENT, answers it with
        // <SEQ=SEG.ACK><CTL=RST>, which is exactly our RCV.NXT, so the stale connection is reset.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 400_000));
            Sent challenge = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
            h.receive(h.segment().flags(RST).seq(challenge.ack()));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            // The peer's retransmitted SYN now finds a closed port (here nobody listens): RST,ACK.
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS + 400_000));
            h.expectSent().assertFlags(RST | ACK).assertSeqAck(0, REMOTE_ISS + 400_001);
        }
    }

    @Test
    void synSent_ackOfAnOldConnection_sendsRst() {
        // RFC 9293 Figure 9 from A's side: A restarted and is in SYN-SENT; B's ACK (for the connection A forgot)
        // is unacceptable (SEG.ACK not in ISS+1..SND.NXT), so A sends <SEQ=SEG.ACK><CTL=RST> and stays in SYN-SENT.
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().seq(REMOTE_ISS + 7).ack(LOCAL_ISS - 300_000));
            h.expectSent().assertFlags(RST).assertSeqAck(LOCAL_ISS - 300_000, 0);
            h.expectNothingSent();
            assertEquals(TcpState.SYN_SENT, c.state());
        }
    }

    @Test
    void listen_oldDuplicateSyn_inexactRst_getsChallengeAck_childStays() {
        // RFC 5961 §3.2 applies in SYN-RECEIVED too (RFC 9293 §3.10.7.4 second check, "In all states except
        // SYN-SENT"): an in-window RST that is not exactly RCV.NXT gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
        try (ConnectionHarness h = harness()) {
            TcpConnection child = h.synReceivedPassive();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS + 2));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(TcpState.SYN_RECEIVED, child.state());
        }
    }

    @Test
    void synSent_rstWithoutAck_ignored() {
        // RFC 9293 §3.10.7.3 (second): "If the ACK bit is off, drop the segment and return" — RFC 5961 §3.2
        // makes a RST in SYN-SENT acceptable only if it acknowledges the SYN.
        try (ConnectionHarness h = harness()) {
            long start = h.now();
            TcpConnection c = h.synSent();
            recorder.clear();
            h.receive(h.segment().flags(RST).seq(REMOTE_ISS));
            h.receive(h.segment().flags(RST).seq(0));
            h.expectNothingSent();
            assertEquals(TcpState.SYN_SENT, c.state());
            recorder.expectNone();
            h.advance(start + seconds(1) - h.now());
            h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0); // the open goes on
        }
    }

    @Test
    void synSent_rstWithUnacceptableAck_droppedWithoutReply() {
        // RFC 9293 §3.10.7.3 (first): an unacceptable ACK on a RST: "drop the segment and return".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(RST | ACK).seq(0).ack(LOCAL_ISS));
            h.receive(h.segment().flags(RST | ACK).seq(0).ack(LOCAL_ISS + 2));
            h.expectNothingSent();
            assertEquals(TcpState.SYN_SENT, c.state());
            assertEquals(0, h.stack.stats().get(Counter.TcpOutRsts));
        }
    }

    @Test
    void synSent_rstWithAcceptableAck_refused() {
        // RFC 9293 §3.10.7.3 (second): "If the ACK was acceptable, then signal to the user 'error: connection
        // reset' ... enter CLOSED state"; the socket layer says "Connection refused".
        try (ConnectionHarness h = harness()) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(RST | ACK).seq(0).ack(LOCAL_ISS + 1));
            h.expectNothingSent();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.REFUSED, c.closeReason());
            assertEquals("Connection refused", c.closeReason().message());
            h.advance(seconds(5));
            h.expectNothingSent();
        }
    }

    // =====================================================================================
    // Initial sequence numbers (RFC 9293 §3.4.1, RFC 6528)
    // =====================================================================================

    @Test
    void rfc6528Isn_differsPerFourTuple_andTicksEvery4Microseconds() {
        // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs timer.
        IsnGenerator isn = IsnGenerator.rfc6528(0x0123456789abcdefL, 0x0fedcba987654321L);
        long t = 1_000_000_000_000L;
        int la = LOCAL.bits();
        int ra = REMOTE.bits();
        int base = isn.isn(t, la, 40000, ra, 80);
        assertEquals(base, isn.isn(t, la, 40000, ra, 80), "a function of the tuple and the time only");
        assertNotEquals(base, isn.isn(t, la, 40001, ra, 80));
        assertNotEquals(base, isn.isn(t, la, 40000, ra, 81));
        assertNotEquals(base, isn.isn(t, la, 40000, ra + 1, 80));
        assertNotEquals(base, isn.isn(t, la + 1, 40000, ra, 80));
        assertEquals(base, isn.isn(t + 3_999, la, 40000, ra, 80), "M ticks every 4 µs");
        assertEquals(base + 1, isn.isn(t + 4_000, la, 40000, ra, 80));
        assertEquals(base + 250_000, isn.isn(t + 1_000_000_000L, la, 40000, ra, 80), "250 000 ticks a second");
        // Another secret gives another F: off-path attackers cannot compute it.
        assertNotEquals(base, IsnGenerator.rfc6528(1, 2).isn(t, la, 40000, ra, 80));
    }

    @Test
    void stackWithoutInjectedIsn_usesRfc6528_perTupleAndPerSecret() {
        // DESIGN.md §2: production ISNs follow RFC 6528, keyed from the stack's RandomSource: they differ per
        // four-tuple and per stack secret, and a fixed seed reproduces them.
        int[] first = synSeqs(42);
        assertNotEquals(first[0], first[1], "another tuple, another ISN");
        assertEquals(first[0], synSeqs(42)[0], "the same seed gives the same key");
        assertNotEquals(first[0], synSeqs(43)[0], "another seed, another key");
    }

    /** The ISNs a stack seeded with {@code seed} and no injected generator picks for two tuples. */
    private static int[] synSeqs(long seed) {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux(),
                c -> StackConfig.of(LOCAL, RandomSource.seeded(seed)).withAllocator(c.allocator()))) {
            h.stack.connect(h.now(), 40000, REMOTE.bits(), 80);
            h.stack.connect(h.now(), 40001, REMOTE.bits(), 80);
            int a = h.expectSent().assertFlags(SYN).seq();
            int b = h.expectSent().assertFlags(SYN).seq();
            assertNotEquals(LOCAL_ISS, a);
            return new int[] {a, b};
        }
    }

    @Test
    void harness_usesFixedIsn_forEveryTuple() {
        // ConnectionHarness injects IsnGenerator.fixed(LOCAL_ISS) so tests can write sequence numbers by hand.
        try (ConnectionHarness h = harness()) {
            h.stack.connect(h.now(), 40000, REMOTE.bits(), 80);
            h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            h.advance(seconds(3));
            h.drain(); // the first SYN's retransmissions
            h.stack.connect(h.now(), 40001, REMOTE.bits(), 81);
            h.expectSent().assertFlags(SYN).assertSeqAck(LOCAL_ISS, 0);
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
        }
    }
}
