package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.ConnectionHarness.SERVER_PORT;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.testkit.RecordingObserver;
import io.usertcp.testkit.TestPackets;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SYN cookies (RFC 4987 §3.6, Linux's layout) and their keyed hash: SipHash-2-4's reference vector,
 * cookie round trips and rejections, handshakes that keep no SYN-queue state, and a SYN flood that
 * legitimate clients get through.
 */
class SynCookieTest {
    private static final long K0 = 0x0123456789abcdefL;
    private static final long K1 = 0x0fedcba987654321L;
    private static final int LA = Ipv4Address.parse("198.18.0.2");
    private static final int RA = Ipv4Address.parse("198.18.0.1");
    private static final int LP = 80;
    private static final int RP = 43210;
    private static final int CLIENT_ISN = 0x7a3b9c01;
    private static final long MINUTE = seconds(60);
    /** A time well away from zero, at the start of a cookie minute. */
    private static final long T0 = 1000 * MINUTE;

    // ------------------------------------------------------------------------------------
    // SipHash-2-4
    // ------------------------------------------------------------------------------------

    // Aumasson & Bernstein, "SipHash: a fast short-input PRF" (2012), Appendix A: key 00..0f, message 00..0e
    // (15 bytes) -> a129ca6149be45e5.
    @Test
    void sipHash24_referenceVectorFromThePaper() {
        SipHash h = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
        byte[] message = new byte[15];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        assertEquals(0xa129ca6149be45e5L, h.hashBytes(message));
    }

    // The word forms the stack uses are the byte form over the same little-endian message.
    @Test
    void sipHash24_wordFormsEqualTheByteFormOnTheSameMessage() {
        SipHash h = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
        byte[] message = new byte[24];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        long m0 = 0x0706050403020100L;
        long m1 = 0x0f0e0d0c0b0a0908L;
        long m2 = 0x1716151413121110L;
        assertEquals(h.hashBytes(java.util.Arrays.copyOf(message, 16)), h.hash(m0, m1));
        assertEquals(h.hashBytes(message), h.hash(m0, m1, m2));
        assertEquals(h.hash(m0, m1), h.hash(m0, m1), "no state leaks from one hash to the next");
    }

    // ------------------------------------------------------------------------------------
    // The cookie itself
    // ------------------------------------------------------------------------------------

    // Linux msstab {536, 1300, 1440, 1460}: the largest table value not above the peer's MSS.
    @ParameterizedTest(name = "peer MSS {0} -> index {1}")
    @CsvSource({"100, 0", "536, 0", "1299, 0", "1300, 1", "1439, 1", "1440, 2", "1459, 2", "1460, 3", "9000, 3"})
    void mssIndex_largestTableValueNotAboveThePeers(int peerMss, int index) {
        assertEquals(index, SynCookies.mssIndex(peerMss));
        assertTrue(SynCookies.MSS_TABLE[index] <= Math.max(peerMss, 536));
    }

    // RFC 4987 §3.6: the cookie carries the MSS index through the client's ACK and back.
    @ParameterizedTest(name = "MSS index {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void cookie_roundTripsEveryMssIndex(int index) {
        SynCookies cookies = new SynCookies(new SipHash(K0, K1));
        int cookie = cookies.encode(T0, LA, LP, RA, RP, CLIENT_ISN, index);
        assertEquals(index, cookies.decode(T0, LA, LP, RA, RP, CLIENT_ISN, cookie));
        assertEquals(index, cookies.decode(T0 + seconds(30), LA, LP, RA, RP, CLIENT_ISN, cookie));
    }

    // Linux MAX_SYNCOOKIE_AGE = 2 with check_tcp_syn_cookie's "diff >= MAX_SYNCOOKIE_AGE": a cookie is valid for at
    // most 2 * 60 s, whatever the phase of the minute counter when it was made.
    @ParameterizedTest(name = "made {0} s into its minute")
    @ValueSource(longs = {0, 1, 30, 59})
    void cookie_validAMinuteLater_rejectedOnceTwoMinutesOld(long secondsIntoMinute) {
        SynCookies cookies = new SynCookies(new SipHash(K0, K1));
        long made = T0 + seconds(secondsIntoMinute);
        int cookie = cookies.encode(made, LA, LP, RA, RP, CLIENT_ISN, 3);
        assertEquals(3, cookies.decode(made + seconds(60), LA, LP, RA, RP, CLIENT_ISN, cookie));
        assertEquals(-1, cookies.decode(made + seconds(120), LA, LP, RA, RP, CLIENT_ISN, cookie));
        assertEquals(-1, cookies.decode(made + seconds(121), LA, LP, RA, RP, CLIENT_ISN, cookie));
        assertEquals(-1, cookies.decode(made + seconds(180), LA, LP, RA, RP, CLIENT_ISN, cookie));
        assertEquals(-1, cookies.decode(made + 10 * MINUTE, LA, LP, RA, RP, CLIENT_ISN, cookie));
    }

    // RFC 4987 §3.6: the cookie is a keyed hash of the connection; another tuple, another client ISN or another
    // secret does not validate it.
    @Test
    void cookie_changedTupleIsnOrSecret_fails() {
        SynCookies cookies = new SynCookies(new SipHash(K0, K1));
        for (int index = 0; index < 4; index++) {
            int cookie = cookies.encode(T0, LA, LP, RA, RP, CLIENT_ISN, index);
            String at = "index " + index;
            assertEquals(-1, cookies.decode(T0, LA + 1, LP, RA, RP, CLIENT_ISN, cookie), at + ": local address");
            assertEquals(-1, cookies.decode(T0, LA, LP + 1, RA, RP, CLIENT_ISN, cookie), at + ": local port");
            assertEquals(-1, cookies.decode(T0, LA, LP, RA + 1, RP, CLIENT_ISN, cookie), at + ": remote address");
            assertEquals(-1, cookies.decode(T0, LA, LP, RA, RP + 1, CLIENT_ISN, cookie), at + ": remote port");
            assertEquals(-1, cookies.decode(T0, LA, LP, RA, RP, CLIENT_ISN + 100_000, cookie), at + ": client ISN");
            assertEquals(-1, cookies.decode(T0, LA, LP, RA, RP, CLIENT_ISN, cookie + 0x5a5a5a), at + ": cookie");
            SynCookies other = new SynCookies(new SipHash(K0 + 1, K1));
            assertEquals(-1, other.decode(T0, LA, LP, RA, RP, CLIENT_ISN, cookie), at + ": secret");
        }
    }

    // Linux cookie_init_timestamp: window shift and SACK-permitted ride in the low bits of our TSval, which never
    // runs ahead of the clock.
    @Test
    void cookieTimestamp_carriesWindowShiftAndSack() {
        for (int shift = -1; shift <= 14; shift++) {
            for (boolean sack : new boolean[] {false, true}) {
                int tsNow = 0x12345678;
                int ts = SynCookies.encodeTimestamp(tsNow, shift, sack);
                assertEquals(shift, SynCookies.windowShiftOf(ts), "shift " + shift);
                assertEquals(sack, SynCookies.sackPermittedOf(ts));
                assertTrue(ts - tsNow <= 0 && tsNow - ts < 64, "within 64 ms behind the clock: " + (tsNow - ts));
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Handshakes with cookies
    // ------------------------------------------------------------------------------------

    private static TcpConfig always() {
        return TcpConfig.linux().toBuilder().synCookies(TcpConfig.SynCookieMode.ALWAYS).build();
    }

    // RFC 4987 §3.6 (Linux tcp_syncookies=2): the SYN is answered with a cookie and nothing is remembered; the
    // client's ACK (SEG.ACK - 1 = cookie) creates the connection directly in ESTABLISHED, with the table MSS.
    @Test
    void alwaysCookies_handshakeKeepsNoSynQueueState_mssIsTheTableValue() {
        try (ConnectionHarness h = new ConnectionHarness(always())) {
            TcpListener listener = h.listen();
            h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS).options(new TcpOption.Mss(1400)));
            Sent synAck = h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK);
            assertEquals(REMOTE_ISS + 1, synAck.ack());
            assertEquals(TcpOptions.of(new TcpOption.Mss(1460)).list(), synAck.tcp().options().list(),
                    "no timestamps from the client: nothing but MSS can be remembered");
            h.expectNothingSent();
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, listener.synQueueLength());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesSent));

            int cookie = synAck.seq();
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(cookie + 1));
            h.expectNothingSent();
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesRecv));
            TcpConnection c = listener.accept();
            assertNotNull(c);
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(1300, c.mss(), "1400 is carried as the table's 1300");
            ConnectionSnapshot s = c.snapshot(h.now());
            assertFalse(s.timestamps());
            assertFalse(s.sack());
            assertEquals(0, s.sendWindowShift());
            assertEquals(1, h.stack.stats().get(Counter.TcpPassiveOpens));
            assertEquals(1, h.stack.stats().currentEstablished());
        }
    }

    // RFC 9293 §3.10.7.2 (LISTEN, ACK: <SEQ=SEG.ACK><CTL=RST>): an ACK whose cookie does not validate is answered with
    // RST (TcpExtSyncookiesFailed) and creates nothing.
    @Test
    void alwaysCookies_ackWithForgedCookie_answeredWithRst() {
        try (ConnectionHarness h = new ConnectionHarness(always())) {
            h.listen();
            h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS));
            int cookie = h.expectSent().seq();
            int forged = cookie + 1 + 0x10000;
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(forged));
            h.expectSent().assertFlags(TcpFlags.RST).assertSeqAck(forged, 0);
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesFailed));
            assertEquals(0, h.stack.connectionCount());
        }
    }

    // Linux cookie_v4_check returns early while tcp_synq_no_recent_overflow holds: an ACK to a listener is checked as
    // a cookie only within TCP_SYNCOOKIE_VALID (2 min) of the last cookie sent. Otherwise it is an ordinary stray ACK,
    // answered <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2), and no failed cookie is counted.
    @Test
    void onOverflow_ackCheckedAsCookieOnlyWhileCookiesWereRecentlySent() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.stack.listen(h.now(), SERVER_PORT, 1);
            h.receive(h.segment().ports(50009, SERVER_PORT).seq(123).ack(456));
            h.expectSent().assertFlags(TcpFlags.RST).assertSeqAck(456, 0);
            assertEquals(0, h.stack.stats().get(Counter.TcpExtSyncookiesFailed), "no cookie was ever sent");

            h.receive(h.segment().ports(50001, SERVER_PORT).flags(TcpFlags.SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK);
            h.receive(h.segment().ports(50002, SERVER_PORT).flags(TcpFlags.SYN).seq(REMOTE_ISS));
            h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK);
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesSent), "the SYN queue (1) overflowed");
            h.receive(h.segment().ports(50001, SERVER_PORT).seq(REMOTE_ISS + 1).ack(ConnectionHarness.LOCAL_ISS + 1));
            h.expectNothingSent();

            h.receive(h.segment().ports(50009, SERVER_PORT).seq(123).ack(456));
            h.expectSent().assertFlags(TcpFlags.RST).assertSeqAck(456, 0);
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesFailed), "during the overflow it is checked");

            h.advance(seconds(120) + 1);
            h.receive(h.segment().ports(50009, SERVER_PORT).seq(123).ack(456));
            h.expectSent().assertFlags(TcpFlags.RST).assertSeqAck(456, 0);
            assertEquals(1, h.stack.stats().get(Counter.TcpExtSyncookiesFailed), "two minutes later it is not");
            assertEquals(1, h.stack.connectionCount());
        }
    }

    /** A handshake with a client that offers MSS 1460, SACK, timestamps and window scale 7; the server's snapshot. */
    private static ConnectionSnapshot handshakeWithOptions(TcpConfig tcp, boolean timestamps) {
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpListener listener = h.listen();
            TcpOption[] synOptions = timestamps
                    ? new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(7777, 0),
                            new TcpOption.Nop(), new TcpOption.WindowScale(7)}
                    : new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(),
                            new TcpOption.SackPermitted(), new TcpOption.Nop(), new TcpOption.WindowScale(7)};
            h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS).options(synOptions));
            Sent synAck = h.expectSent().assertFlags(TcpFlags.SYN | TcpFlags.ACK);
            TcpOptions o = synAck.tcp().options();
            if (timestamps) {
                TcpOption.Timestamps ts = o.timestamps().orElseThrow();
                assertEquals(7777, ts.tsEcr());
                assertEquals(7, o.windowScale().orElseThrow(), "our shift, sized for tcp_rmem[2] = 6 MiB (ilog2 22 - 15)");
                assertTrue(o.sackPermitted());
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(synAck.seq() + 1).window(1000)
                        .options(new TcpOption.Timestamps(7778, ts.tsVal())));
            } else {
                h.receive(h.segment().seq(REMOTE_ISS + 1).ack(synAck.seq() + 1).window(1000));
            }
            h.expectNothingSent();
            TcpConnection c = listener.accept();
            assertNotNull(c, "handshake completed");
            return c.snapshot(h.now());
        }
    }

    // Linux cookie_init_timestamp / cookie_timestamp_decode: with timestamps, the client's window scale and
    // SACK-permitted survive the stateless handshake through our TSval's low bits, and the connection negotiates
    // exactly what a normal handshake would.
    @Test
    void alwaysCookies_withTimestamps_windowScaleAndSackSurvive() {
        ConnectionSnapshot cookie = handshakeWithOptions(always(), true);
        ConnectionSnapshot normal = handshakeWithOptions(TcpConfig.linux().toBuilder()
                .synCookies(TcpConfig.SynCookieMode.OFF).build(), true);
        assertTrue(cookie.timestamps());
        assertTrue(cookie.sack());
        assertEquals(7, cookie.sendWindowShift());
        assertEquals(7, cookie.receiveWindowShift()); // linux: sized for tcp_rmem[2] = 6 MiB
        assertEquals(1000L << 7, cookie.sendWindowBytes());
        assertEquals(1460 - 12, cookie.mss(), "table MSS 1460 less the timestamp option");
        assertEquals(List.of(normal.mss(), normal.sendWindowShift(), normal.receiveWindowShift(), normal.sack(),
                        normal.timestamps(), normal.sendWindowBytes()),
                List.of(cookie.mss(), cookie.sendWindowShift(), cookie.receiveWindowShift(), cookie.sack(),
                        cookie.timestamps(), cookie.sendWindowBytes()));
    }

    // RFC 4987 §3.6: without timestamps there is nowhere to keep window scale and SACK-permitted: the cookie SYN-ACK
    // does not offer them, and the connection runs without (RFC 7323 §2.2: scaling needs both SYNs).
    @Test
    void alwaysCookies_withoutTimestamps_windowScaleAndSackAreLost() {
        ConnectionSnapshot s = handshakeWithOptions(always(), false);
        assertFalse(s.timestamps());
        assertFalse(s.sack());
        assertEquals(0, s.sendWindowShift());
        assertEquals(0, s.receiveWindowShift());
        assertEquals(1000, s.sendWindowBytes());
        // the cookie's MSS, 1460, bounded by half the 1000-byte window of the ACK that made the connection (linux:
        // tcp_sync_mss(), tcp_bound_to_half_wnd(), from tcp_create_openreq_child()'s max_window)
        assertEquals(500, s.mss());
    }

    // Two stacks, cookies always on: the server's connection goes LISTEN -> ESTABLISHED with no SYN-RECEIVED, both
    // sides agree on what was negotiated, and data flows in full-sized segments.
    @Test
    void alwaysCookies_twoStacks_establishedWithoutSynReceived_dataFlows() {
        RecordingObserver rec = new RecordingObserver();
        try (TwoStacks net = CloseScenariosTest.twoStacks(always(), rec)) {
            TcpConnection[] cs = CloseScenariosTest.open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            assertEquals(List.of("LISTEN -> ESTABLISHED"), rec.transitions(server.id()));
            assertEquals(1, net.b.stats().get(Counter.TcpExtSyncookiesSent));
            assertEquals(1, net.b.stats().get(Counter.TcpExtSyncookiesRecv));
            ConnectionSnapshot s = server.snapshot(net.now());
            ConnectionSnapshot c = client.snapshot(net.now());
            assertEquals(1448, s.mss());
            assertEquals(1448, c.mss());
            assertTrue(s.sack() && c.sack());
            assertTrue(s.timestamps() && c.timestamps());
            assertEquals(c.receiveWindowShift(), s.sendWindowShift());
            assertEquals(s.receiveWindowShift(), c.sendWindowShift());

            String text = "x".repeat(4000);
            CloseScenariosTest.write(net, client, text);
            net.settle();
            assertEquals(text, CloseScenariosTest.read(net, server).text());
            assertEquals(List.of(1448, 1448, 1104), rec.sentBy(TwoStacks.A).stream()
                    .filter(g -> g.payloadLength() > 0).map(RecordingObserver.Segment::payloadLength).toList());
            CloseScenariosTest.write(net, server, "ok");
            net.settle();
            assertEquals("ok", CloseScenariosTest.read(net, client).text());
        }
    }

    // RFC 4987 §3.6 / Linux tcp_syncookies=1: a flood of spoofed SYNs fills the SYN queue (bounded by the backlog,
    // inet_csk_reqsk_queue_is_full); every SYN past it is answered statelessly with a cookie, so legitimate clients
    // still connect, and the server's memory stays bounded by backlog + real connections.
    @Test
    void synFlood_legitimateClientsGetThroughOnCookies_stateStaysBounded() {
        final int spoofed = 10_000;
        final int legitimate = 20;
        final int backlog = 16;
        try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 11, c -> c, false)) {
            TcpListener listener = net.b.listen(net.now(), 80, backlog);
            // B's SYN-ACKs to the spoofed sources go nowhere (the wire leads only to A).
            net.dropBtoA(p -> RecordingObserver.destinationAddress(p) != TwoStacks.A.bits());
            SplittableRandom random = new SplittableRandom(2024);
            List<TcpConnection> clients = new ArrayList<>();
            List<TcpConnection> servers = new ArrayList<>();
            int maxSynQueue = 0;
            int maxConnections = 0;
            for (int i = 0; i < spoofed; i++) {
                int source;
                do {
                    source = Ipv4Address.parse("198.18.0.0") | random.nextInt(1 << 17); // 198.18.0.0/15
                } while (source == TwoStacks.A.bits() || source == TwoStacks.B.bits());
                TcpHeader syn = TcpHeader.of(1024 + random.nextInt(64000), 80, random.nextInt(), 0, TcpFlags.SYN, 64240,
                        TcpOptions.of(new TcpOption.Mss(1460)));
                net.b.receive(net.now(), Unpooled.wrappedBuffer(TestPackets.tcp(new Ipv4Address(source), TwoStacks.B, syn, new byte[0])));
                if (i % (spoofed / legitimate) == spoofed / legitimate / 2) {
                    clients.add(net.a.connect(net.now(), TwoStacks.B.bits(), 80));
                }
                net.advance(100_000); // 100 µs between spoofed SYNs: 10 000 in one second
                TcpConnection accepted;
                while ((accepted = listener.accept()) != null) {
                    servers.add(accepted);
                }
                maxSynQueue = Math.max(maxSynQueue, listener.synQueueLength());
                maxConnections = Math.max(maxConnections, net.b.connectionCount());
            }
            assertEquals(legitimate, clients.size());
            for (TcpConnection client : clients) {
                assertEquals(TcpState.ESTABLISHED, client.state(), client.toString());
            }
            assertEquals(legitimate, servers.size(), "every legitimate client was accepted");
            assertEquals(clients.stream().map(c -> c.id().localPort()).toList(),
                    servers.stream().map(s -> s.id().remotePort()).toList());
            assertEquals(backlog, maxSynQueue, "the SYN queue filled up to the backlog and no further");
            assertTrue(maxConnections <= backlog + legitimate, "connections: " + maxConnections);
            assertEquals(spoofed - backlog + legitimate, net.b.stats().get(Counter.TcpExtSyncookiesSent));
            assertEquals(legitimate, net.b.stats().get(Counter.TcpExtSyncookiesRecv));
            assertEquals(0, net.b.stats().get(Counter.TcpExtSyncookiesFailed));

            for (int i = 0; i < legitimate; i++) {
                CloseScenariosTest.write(net, clients.get(i), "hello " + i);
            }
            net.settle();
            assertEquals(IntStream.range(0, legitimate).mapToObj(i -> "hello " + i).toList(),
                    servers.stream().map(s -> CloseScenariosTest.read(net, s).text()).toList());

            // The spoofed half-open entries give up after tcp_synack_retries (5: 1+2+4+8+16+32 = 63 s).
            net.advance(seconds(64));
            assertEquals(0, listener.synQueueLength());
            assertEquals(legitimate, net.b.connectionCount());
        }
    }
}
