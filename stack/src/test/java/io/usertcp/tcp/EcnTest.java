package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.CLIENT_PORT;
import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.PEER_SERVER_PORT;
import static io.usertcp.testkit.ConnectionHarness.REMOTE;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.CWR;
import static io.usertcp.wire.TcpFlags.ECE;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.TcpConfig.EcnMode;
import io.usertcp.tcp.TcpProfile.Reference;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Explicit Congestion Notification (RFC 3168) as Linux's tcp_ecn, per profile and per mode
 * (net.ipv4.tcp_ecn / net.inet.tcp.ecn.enable: 0 off, 1 ask and accept, 2 accept only): the
 * negotiation in both directions, ECT(0) on new data only, a CE mark echoed as ECE until CWR, the
 * sender's reduction once per window with CWR on its next data, and the counters.
 */
class EcnTest {
    private static final int NOT_ECT = 0;
    private static final int ECT_1 = 1;
    private static final int ECT_0 = 2;
    private static final int CE = 3;
    /** Our send MSS when the peer sends no MSS option (RFC 9293 §3.7.1). */
    private static final int MSS = 536;

    private static TcpConfig config(Reference ref, EcnMode mode) {
        return TcpConfig.forProfile(TcpProfile.of(ref.label())).toBuilder().ecn(mode).build();
    }

    static Stream<Arguments> profilesAndModes() {
        return Stream.of(Reference.values()).flatMap(r -> Stream.of(EcnMode.values()).map(m -> Arguments.of(r, m)));
    }

    /** Active open, the peer answering with {@code synAckFlags}; the ACK of the handshake checked. */
    private static TcpConnection activeOpen(ConnectionHarness h, int synAckFlags) {
        TcpConnection c = h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
        Sent syn = h.expectSent();
        assertEquals(NOT_ECT, syn.ecn(), "RFC 3168 §6.1.1: a SYN is never ECT: " + syn);
        h.receive(h.segment().flags(synAckFlags).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
        Sent ack = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(NOT_ECT, ack.ecn(), "a pure ACK is never ECT: " + ack);
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }

    /** An established connection that negotiated ECN: tcp_ecn=1, the peer's SYN,ACK carries ECE. */
    private static TcpConnection ecnConnection(ConnectionHarness h) {
        TcpConnection c = activeOpen(h, SYN | ACK | ECE);
        assertTrue(c.ecn, "ECN negotiated");
        return c;
    }

    private static void send(ConnectionHarness h, TcpConnection c, int bytes) {
        ByteBuf data = Unpooled.wrappedBuffer(new byte[bytes]);
        try {
            assertEquals(bytes, c.send(h.now(), data));
        } finally {
            data.release();
        }
    }

    // =====================================================================================
    // Negotiation
    // =====================================================================================

    // RFC 3168 §6.1.1: an ECN-setup SYN (SYN+ECE+CWR) only with tcp_ecn=1 (Linux tcp_ecn_send_syn()); ECN holds when
    // the SYN,ACK is an ECN-setup SYN,ACK (ECE, no CWR: Linux tcp_ecn_rcv_synack()); then new data is ECT(0).
    @ParameterizedTest
    @MethodSource("profilesAndModes")
    void activeOpen_asksOnlyInModeOn_andUsesEcnWhenTheSynAckAgrees(Reference ref, EcnMode mode) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, mode))) {
            TcpConnection c = h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
            Sent syn = h.expectSent();
            syn.assertFlags(mode == EcnMode.ON ? SYN | ECE | CWR : SYN);
            assertEquals(NOT_ECT, syn.ecn());
            h.receive(h.segment().flags(SYN | ACK | ECE).seq(REMOTE_ISS).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(ACK);
            assertEquals(mode == EcnMode.ON, c.ecn);
            assertEquals(mode == EcnMode.ON, c.snapshot(h.now()).ecn(), "ss and TCP_INFO see it");
            send(h, c, 100);
            Sent data = h.expectSent().assertFlags(ACK | PSH);
            assertEquals(mode == EcnMode.ON ? ECT_0 : NOT_ECT, data.ecn(), data.toString());
        }
    }

    // Linux tcp_ecn_rcv_synack(): a SYN,ACK with ECE and CWR (a reflected ECN-setup SYN), or without ECE, refuses ECN.
    @ParameterizedTest
    @EnumSource(Reference.class)
    void activeOpen_synAckWithoutEceOrWithCwr_noEcn(Reference ref) {
        for (int synAck : new int[] {SYN | ACK, SYN | ACK | ECE | CWR}) {
            try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.ON))) {
                TcpConnection c = activeOpen(h, synAck);
                assertFalse(c.ecn, TcpFlags.format(synAck));
                send(h, c, 100);
                assertEquals(NOT_ECT, h.expectSent().ecn());
            }
        }
    }

    // RFC 3168 §6.1.1: an ECN-setup SYN is answered with an ECN-setup SYN,ACK (ECE only, not ECT) when ECN is enabled
    // at all (Linux tcp_ecn_create_request(): any tcp_ecn but 0; FreeBSD syncache_add()).
    @ParameterizedTest
    @MethodSource("profilesAndModes")
    void passiveOpen_acceptsAnEcnSetupSynUnlessOff(Reference ref, EcnMode mode) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, mode))) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS));
            Sent synAck = h.expectSent().assertFlags(mode == EcnMode.OFF ? SYN | ACK : SYN | ACK | ECE);
            assertEquals(NOT_ECT, synAck.ecn(), "RFC 3168 §6.1.1: a SYN,ACK is never ECT");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(synAck.seq() + 1));
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertEquals(mode != EcnMode.OFF, c.ecn);
            send(h, c, 100);
            assertEquals(mode == EcnMode.OFF ? NOT_ECT : ECT_0, h.expectSent().ecn());
        }
    }

    // Linux reads net.ipv4.tcp_ecn for every SYN (tcp_ecn_create_request()): TcpStack.setEcn acts on the next SYN
    // of a running stack.
    @Test
    void setEcn_onARunningStack_actsOnTheNextSyn() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.OFF))) {
            h.listen();
            h.stack.setEcn(EcnMode.PASSIVE);
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK | ECE);
            assertEquals(EcnMode.PASSIVE, h.stack.ecn());
        }
    }

    // A SYN with only one of ECE and CWR is no ECN-setup SYN (RFC 3168 §6.1.1).
    @ParameterizedTest
    @EnumSource(Reference.class)
    void passiveOpen_synWithEceAlone_plainSynAck(Reference ref) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.ON))) {
            h.listen();
            h.receive(h.segment().flags(SYN | ECE).seq(REMOTE_ISS));
            h.expectSent().assertFlags(SYN | ACK);
        }
    }

    // An ECN-setup SYN that is itself ECT (RFC 3168 §6.1.1 forbids sending one): Linux tcp_ecn_create_request() refuses
    // ECN; rfc and freebsd judge only the TCP flags.
    @ParameterizedTest
    @EnumSource(Reference.class)
    void passiveOpen_ectSyn_refusedByLinuxOnly(Reference ref) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.PASSIVE))) {
            h.listen();
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS).ecn(ECT_0));
            h.expectSent().assertFlags(ref == Reference.LINUX ? SYN | ACK : SYN | ACK | ECE);
        }
    }

    // Simultaneous open, our SYN plain (tcp_ecn=2), the peer's an ECN-setup SYN: Linux tcp_ecn_rcv_syn() only keeps an
    // ECN our SYN asked for; RFC 3168 §6.1.1 and FreeBSD answer with an ECN-setup SYN,ACK (suite: ...-ecn01.pkt).
    // With tcp_ecn=1 every profile agrees; the SYN,ACK never carries CWR (Linux tcp_ecn_send_synack()).
    @ParameterizedTest
    @MethodSource("profilesAndModes")
    void simultaneousOpen_ecnSetupSynFromThePeer(Reference ref, EcnMode mode) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, mode))) {
            TcpConnection c = h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
            h.expectSent();
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS));
            boolean agreed = mode == EcnMode.ON || mode == EcnMode.PASSIVE && ref != Reference.LINUX;
            h.expectSent().assertFlags(agreed ? SYN | ACK | ECE : SYN | ACK).assertSeqAck(LOCAL_ISS, REMOTE_ISS + 1);
            assertEquals(agreed, c.ecn);
        }
    }

    // RFC 3168 §6.1.1.1: a retransmitted ECN-setup SYN MAY go as a plain SYN. Linux (tcp_ecn_fallback=1) falls back on
    // the first retransmission, FreeBSD (ecn.maxretries=1) on the second, rfc as Linux.
    @ParameterizedTest
    @EnumSource(Reference.class)
    void synRetransmission_fallsBackToAPlainSyn(Reference ref) {
        TcpConfig tcp = config(ref, EcnMode.ON);
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            h.stack.connect(h.now(), CLIENT_PORT, REMOTE.bits(), PEER_SERVER_PORT);
            h.expectSent().assertFlags(SYN | ECE | CWR);
            int ecnRetransmissions = ref == Reference.FREEBSD ? 1 : 0;
            assertEquals(ecnRetransmissions, tcp.ecnSetupSynRetries());
            for (int i = 1; i <= 3; i++) {
                h.advance(h.stack.nextDeadlineNanos() - h.now());
                h.expectSent().assertFlags(i <= ecnRetransmissions ? SYN | ECE | CWR : SYN);
            }
        }
    }

    // Linux cookie_init_timestamp() / cookie_ecn_ok(): a cookie SYN,ACK agrees to ECN only when timestamps can carry
    // the agreement (TS_OPT_ECN, bit 5 of our TSval); the final ACK's echo restores it.
    @Test
    void synCookie_carriesEcnInTheTimestamp() {
        TcpConfig tcp = TcpConfig.linux().toBuilder().synCookies(TcpConfig.SynCookieMode.ALWAYS).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS).options(new TcpOption.Timestamps(7777, 0)));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK | ECE);
            int tsVal = synAck.tcp().options().timestamps().orElseThrow().tsVal();
            assertTrue((tsVal & (1 << 5)) != 0, "TS_OPT_ECN in the cookie timestamp");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(synAck.seq() + 1).options(new TcpOption.Timestamps(7778, tsVal)));
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertTrue(c.ecn);
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesRecv));
        }
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(SYN | ECE | CWR).seq(REMOTE_ISS));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK); // no timestamps: nowhere to remember ECN
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(synAck.seq() + 1));
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertFalse(c.ecn);
        }
    }

    // =====================================================================================
    // ECT(0) on new data only (RFC 3168 §6.1.2, §6.1.5; Linux tcp_ecn_send())
    // =====================================================================================

    @Test
    void ect0_onNewDataOnly_notOnRetransmissionsPureAcksOrAFinAlone() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            send(h, c, 100);
            Sent data = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(ECT_0, data.ecn(), "new data: " + data);
            h.advance(c.sender.rtoNanos());
            Sent again = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(100, again.payload().length);
            assertEquals(NOT_ECT, again.ecn(), "RFC 3168 §6.1.5: a retransmission is not ECT: " + again);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 101).payload("x"));
            h.advance(millis(200));
            Sent ack = h.expectSent().assertFlags(ACK);
            assertEquals(NOT_ECT, ack.ecn(), "a pure ACK: " + ack);
            ByteBuf sink = Unpooled.buffer(16);
            try {
                assertEquals(1, c.read(h.now(), sink));
            } finally {
                sink.release();
            }
            c.close(h.now());
            Sent fin = h.expectSent().assertFlags(FIN | ACK);
            assertEquals(NOT_ECT, fin.ecn(), "a FIN without data: " + fin);
        }
    }

    // =====================================================================================
    // Receiver: CE echoed as ECE until CWR (RFC 3168 §6.1.3; Linux tcp_ecn_check_ce(), tcp_ecn_accept_cwr())
    // =====================================================================================

    @Test
    void ceMark_ackedAtOnceWithEce_everyAckEchoesUntilCwr() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            c.setQuickAck(h.now(), false); // delayed ACKs, so "at once" is the CE mark's doing (tcp_enter_quickack_mode)
            int seq = REMOTE_ISS + 1;
            h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).payload("a").ecn(ECT_0));
            h.expectNothingSent();
            h.advance(millis(40));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, seq + 1); // the delayed ACK, no ECE
            seq += 1;
            h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).payload("b").ecn(CE));
            h.expectSent().assertFlags(ACK | ECE).assertSeqAck(LOCAL_ISS + 1, seq + 1); // at once, with ECE
            seq += 1;
            for (int i = 0; i < 3; i++) { // ECE on every ACK, CE or not, until CWR
                h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).payload("c").ecn(ECT_0));
                h.advance(millis(40));
                seq += 1;
                h.expectSent().assertFlags(ACK | ECE).assertSeqAck(LOCAL_ISS + 1, seq);
            }
            // Our own data echoes too (every segment of an ECN connection carries ECE while it is demanded).
            send(h, c, 10);
            h.expectSent().assertFlags(ACK | PSH | ECE);
            h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 11).flags(ACK | CWR).payload("d").ecn(ECT_0));
            seq += 1;
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 11, seq); // CWR: at once, and the echo stops
            h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 11).payload("e").ecn(ECT_0));
            h.advance(millis(40));
            h.expectSent().assertFlags(ACK);
        }
    }

    // CE on a connection that did not negotiate ECN is not echoed (RFC 3168 §6.1.1: ECN only once agreed).
    @Test
    void ceMark_withoutEcn_noEce() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.PASSIVE))) {
            TcpConnection c = activeOpen(h, SYN | ACK);
            assertFalse(c.ecn);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("a").ecn(CE));
            h.advance(millis(200));
            for (Sent s : h.drain()) {
                assertFalse(s.has(ECE), s.toString());
            }
            assertEquals(1, h.stack.stats().get(Counter.IpExtInCEPkts));
        }
    }

    // A discarded segment changes no ECN state: CE on a segment outside the window, and CWR on a segment whose ACK
    // acknowledges what was never sent (RFC 9293 §3.10.7.4 fifth check: drop), are ignored.
    @Test
    void discardedSegments_changeNoEcnState() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            h.receive(h.segment().seq(REMOTE_ISS + 1 + 1_000_000).ack(LOCAL_ISS + 1).payload("x").ecn(CE));
            h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1); // unacceptable: ACK, no ECE
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("a").ecn(CE));
            h.expectSent().assertFlags(ACK | ECE).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 2);
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 5000).flags(ACK | CWR).payload("b").ecn(ECT_0));
            h.advance(millis(200));
            Sent challenge = h.expectSent(); // the challenge ACK of a segment acknowledging unsent data: still ECE
            assertTrue(challenge.has(ECE), challenge.toString());
            h.receive(h.segment().seq(REMOTE_ISS + 2).ack(LOCAL_ISS + 1).payload("c").ecn(ECT_0));
            h.advance(millis(40));
            assertTrue(h.expectSent().has(ECE), "the discarded CWR did not end the echo");
        }
    }

    // =====================================================================================
    // Sender: ECE → one reduction per window, CWR on the next new data (RFC 3168 §6.1.2; Linux tcp_enter_cwr())
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(Reference.class)
    void eceOnAnAck_reducesOncePerWindow_andTheNextDataCarriesCwr(Reference ref) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            CongestionControl cc = c.congestionControl();
            long iw = cc.cwndBytes();
            send(h, c, 40 * MSS);
            List<Sent> burst = h.drain();
            assertEquals(iw / MSS, burst.size(), "the initial window");
            int highData = LOCAL_ISS + 1 + burst.size() * MSS; // SND.NXT when the echo arrives
            for (Sent s : burst) {
                assertEquals(ECT_0, s.ecn());
                assertFalse(s.has(CWR));
            }
            int una = LOCAL_ISS + 1 + MSS;
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una).flags(ACK | ECE));
            long reduced = cc.cwndBytes();
            assertTrue(reduced < iw, "cwnd " + reduced + " after ECE (was " + iw + ")");
            assertEquals(reduced, cc.ssthreshBytes());
            assertTrue(c.sender.inCwr());
            // More ECE within the same window: no further reduction and no growth (Linux TCP_CA_CWR); new data goes
            // once the flight is below cwnd, and the first new segment carries CWR, the others not.
            List<Sent> after = h.drain();
            boolean ece = true;
            while (after.isEmpty()) {
                una += MSS;
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una).flags(ece ? ACK | ECE : ACK));
                ece = !ece;
                assertEquals(reduced, cc.cwndBytes(), "one reduction per window of data");
                after = h.drain();
            }
            assertTrue(after.get(0).has(CWR), "the first new data after the reduction: " + after.get(0));
            assertEquals(ECT_0, after.get(0).ecn());
            for (int i = 1; i < after.size(); i++) {
                assertFalse(after.get(i).has(CWR), "CWR only once: " + after.get(i));
            }
            // Once SND.UNA passes the data in flight at the reduction, a new ECE reduces again.
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(highData + MSS).flags(ACK | ECE));
            assertTrue(cc.cwndBytes() < reduced, "a second window, a second reduction: " + cc.cwndBytes());
            assertTrue(h.drain().stream().anyMatch(x -> x.has(CWR)), "CWR again");
            assertTrue(h.stack.stats().get(Counter.TcpExtTCPDeliveredCE) >= 3);
        }
    }

    // RFC 3168 §6.1.2: at most one reaction per window, whether to ECE or to loss. A loss in the window an ECE already
    // reduced starts fast recovery without a second reduction (Linux tcp_enter_recovery() in CWR); a third duplicate
    // ACK that also carries ECE leaves ssthresh where the loss alone puts it (Linux tcp_fastretrans_alert() decides
    // recovery first).
    @ParameterizedTest
    @EnumSource(Reference.class)
    void eceAndLossInOneWindow_reduceOnce(Reference ref) {
        long afterLossOnly;
        long afterLossWithEce;
        try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            CongestionControl cc = c.congestionControl();
            send(h, c, 40 * MSS);
            h.drain();
            int una = LOCAL_ISS + 1 + MSS;
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una).flags(ACK | ECE));
            long reduced = cc.cwndBytes();
            // ACKs within the window until cwnd is full again with new data, so that a second reduction (of a flight
            // of about cwnd) would show.
            while (h.drain().isEmpty()) {
                una += MSS;
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una));
            }
            assertTrue(c.sender.inCwr());
            assertTrue(c.sender.flightSize() >= reduced - MSS, "cwnd full: flight " + c.sender.flightSize());
            for (int i = 0; i < 3; i++) {
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una));
            }
            assertTrue(cc.inRecovery(), "three duplicate ACKs: fast recovery");
            assertEquals(reduced, cc.ssthreshBytes(), "no second reduction in the window ECE already reduced");
            int lost = una;
            assertTrue(h.drain().stream().anyMatch(x -> x.seq() == lost), "the fast retransmission");
        }
        afterLossOnly = ssthreshAfterThreeDuplicates(ref, false);
        afterLossWithEce = ssthreshAfterThreeDuplicates(ref, true);
        assertEquals(afterLossOnly, afterLossWithEce, "a third duplicate ACK with ECE: one reduction, for the loss");
    }

    private static long ssthreshAfterThreeDuplicates(Reference ref, boolean eceOnTheThird) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref, EcnMode.ON))) {
            TcpConnection c = ecnConnection(h);
            send(h, c, 40 * MSS);
            h.drain();
            int una = LOCAL_ISS + 1 + MSS;
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una));
            for (int i = 0; i < 3; i++) {
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(una).flags(eceOnTheThird && i == 2 ? ACK | ECE : ACK));
            }
            assertTrue(c.congestionControl().inRecovery());
            h.drain();
            return c.congestionControl().ssthreshBytes();
        }
    }

    // ECE on an ACK of a connection without ECN is not a congestion signal (Linux tcp_ecn_rcv_ecn_echo(): TCP_ECN_OK).
    @Test
    void eceWithoutEcn_noReduction() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.PASSIVE))) {
            TcpConnection c = activeOpen(h, SYN | ACK);
            long iw = c.congestionControl().cwndBytes();
            send(h, c, 20 * MSS);
            h.drain();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + MSS).flags(ACK | ECE));
            assertTrue(c.congestionControl().cwndBytes() >= iw);
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPDeliveredCE));
        }
    }

    // =====================================================================================
    // Counters (Linux ip_rcv_core(): IpExtIn*Pkts by the ECN field)
    // =====================================================================================

    @Test
    void ipExtCounters_countEveryDatagramByItsEcnField() {
        try (ConnectionHarness h = new ConnectionHarness(config(Reference.LINUX, EcnMode.ON))) {
            ecnConnection(h); // the SYN,ACK: not-ECT
            int seq = REMOTE_ISS + 1;
            for (int codepoint : new int[] {ECT_0, ECT_0, ECT_1, CE, NOT_ECT}) {
                h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).payload("z").ecn(codepoint));
                seq += 1;
            }
            assertEquals(2, h.stack.stats().get(Counter.IpExtInNoECTPkts));
            assertEquals(2, h.stack.stats().get(Counter.IpExtInECT0Pkts));
            assertEquals(1, h.stack.stats().get(Counter.IpExtInECT1Pkts));
            assertEquals(1, h.stack.stats().get(Counter.IpExtInCEPkts));
            assertTrue(h.stack.stats().snapshot().containsKey("IpExtInCEPkts"));
        }
    }

    // The sysctl values: 0, 1, 2 and nothing else.
    @Test
    void ecnMode_sysctlValues() {
        for (EcnMode m : EcnMode.values()) {
            assertEquals(m, EcnMode.ofSysctl(m.sysctlValue()));
        }
        assertEquals(EcnMode.PASSIVE, TcpConfig.linux().ecn());
        assertEquals(EcnMode.PASSIVE, TcpConfig.rfc().ecn());
        assertEquals(EcnMode.PASSIVE, TcpConfig.freebsd().ecn());
        assertThrows(IllegalArgumentException.class, () -> EcnMode.ofSysctl(3));
        assertThrows(IllegalArgumentException.class, () -> TcpConfig.linux().toBuilder().ecn(null).build());
        assertEquals(seconds(1), TcpConfig.linux().rtoInitialNanos()); // the SYN retransmission test's timing
    }
}
