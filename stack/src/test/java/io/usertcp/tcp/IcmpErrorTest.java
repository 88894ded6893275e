package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.TcpProfile.Reference;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ICMP errors about our segments (RFC 792, RFC 1122 §4.2.3.9, RFC 5927) and "fragmentation
 * needed" (RFC 1191), as each profile acts on them ({@link TcpProfile#icmpError}).
 */
class IcmpErrorTest {
    /** A router on the path, in the benchmarking range like everything else. */
    private static final Ipv4Address ROUTER = Ipv4Address.of("198.18.0.254");
    private static final int UNREACHABLE = Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE;
    private static final int MSS = 1460;

    private static TcpConfig config(Reference ref) {
        return TcpConfig.forProfile(switch (ref) {
            case LINUX -> TcpProfile.linux();
            case RFC -> TcpProfile.rfc();
            case FREEBSD -> TcpProfile.freebsd();
        });
    }

    /** ESTABLISHED by an active open with MSS 1460 on both sides and no other option; returns the connection. */
    private static TcpConnection establishedMss1460(ConnectionHarness h) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1).options(new TcpOption.Mss(MSS)));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        return c;
    }

    /** Two full segments in flight; returns the first. */
    private static Sent twoSegmentsInFlight(ConnectionHarness h, TcpConnection c) {
        c.send(h.now(), Unpooled.wrappedBuffer(new byte[2 * MSS]));
        Sent first = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        assertEquals(MSS, first.payload().length);
        assertEquals(MSS, h.expectSent().payload().length);
        h.expectNothingSent();
        return first;
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_hostUnreachable_linuxEndsTheConnect_rfcAndFreebsdKeepTrying(Reference ref) {
        // Linux tcp_v4_err(): in SYN-SENT every error ends the connect with its errno (EHOSTUNREACH). RFC 1122 §4.2.3.9:
        // host unreachable is soft, "MUST NOT abort". FreeBSD tcp_notify(): a soft error until the SYN was sent 4 times.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.synSent();
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.HOST_UNREACHABLE, 0, h.lastSyn());
            h.expectNothingSent(); // no RST in any profile
            if (ref == Reference.LINUX) {
                assertEquals(TcpState.CLOSED, c.state());
                assertEquals(CloseReason.HOST_UNREACHABLE, c.closeReason());
                assertEquals(1, h.stack.stats().get(Counter.TcpAttemptFails));
            } else {
                assertEquals(TcpState.SYN_SENT, c.state());
                assertEquals(CloseReason.HOST_UNREACHABLE, c.softError());
            }
            assertEquals(1, h.stack.stats().get(Counter.IcmpInDestUnreachs));
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void synSent_portUnreachable_isHard_everyProfileEndsTheConnect(Reference ref) {
        // RFC 1122 §4.2.3.9: port unreachable is a hard error (SHOULD abort); Linux (any error in SYN-SENT) and FreeBSD
        // (tcp_drop_syn_sent()) agree here: ECONNREFUSED.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = h.synSent();
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.PORT_UNREACHABLE, 0, h.lastSyn());
            h.expectNothingSent();
            assertEquals(CloseReason.REFUSED, c.closeReason());
            assertEquals(0, h.stack.connectionCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void established_portUnreachable_softOnLinux_abortOnRfc_ignoredOnFreebsd(Reference ref) {
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.PORT_UNREACHABLE, 0, first);
            h.expectNothingSent();
            switch (ref) {
                case LINUX -> {
                    assertEquals(TcpState.ESTABLISHED, c.state());
                    assertEquals(CloseReason.REFUSED, c.softError(), "tcp_v4_err(): sk_err_soft");
                }
                case RFC -> assertEquals(CloseReason.REFUSED, c.closeReason(), "RFC 1122 §4.2.3.9: hard, abort");
                case FREEBSD -> {
                    assertEquals(TcpState.ESTABLISHED, c.state());
                    assertNull(c.softError(), "tcp_drop_syn_sent() acts in SYN-SENT only");
                }
            }
        }
    }

    @Test
    void linux_softErrorIsWhatATimeoutReports() {
        // Linux tcp_write_err(): sk_err = sk_err_soft ?: ETIMEDOUT. A host unreachable while data is in flight changes
        // nothing at once; when the retransmissions run out, the connection fails with EHOSTUNREACH, not ETIMEDOUT.
        TcpConfig tcp = TcpConfig.linux().toBuilder().dataRetries(2).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.HOST_UNREACHABLE, 0, first);
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(CloseReason.HOST_UNREACHABLE, c.softError());
            h.advance(seconds(60));
            h.drain();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.HOST_UNREACHABLE, c.closeReason());
        }
    }

    @Test
    void freebsd_established_hostUnreachable_ignored() {
        // FreeBSD tcp_notify(): on an established connection EHOSTUNREACH, ENETUNREACH and EHOSTDOWN are ignored.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.freebsd())) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.HOST_UNREACHABLE, 0, first);
            assertNull(c.softError());
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @ParameterizedTest
    @EnumSource(Reference.class)
    void quoteOutsideSndUnaToSndNxt_ignoredAndCounted(Reference ref) {
        // RFC 5927 §4.1: an error whose quoted sequence number is not in flight is not about this connection's
        // current segments (or is forged): nothing changes; Linux counts it in TcpExtOutOfWindowIcmps.
        try (ConnectionHarness h = new ConnectionHarness(config(ref))) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + MSS)); // the first segment is acknowledged
            h.drain();
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.PORT_UNREACHABLE, 0, first); // quotes SEQ = ISS+1 < SND.UNA
            h.expectNothingSent();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertNull(c.softError());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtOutOfWindowIcmps));
        }
    }

    @Test
    void fragmentationNeeded_mssLowered_outstandingDataResentAtTheNewSize_cwndKept() {
        // RFC 1191 §6.4 / Linux tcp_v4_mtu_reduced(): MTU 1000 on the path: MSS 1000 - 40 = 960. Everything outstanding
        // goes again in 960-byte segments (tcp_simple_retransmit()), with no congestion response.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            long cwnd = c.snapshot(h.now()).cwndBytes();
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.FRAGMENTATION_NEEDED, 1000, first); // next-hop MTU in the low 16 bits
            List<Sent> resent = h.drain();
            // 2 x 1460 = 2920 bytes outstanding: 960 + 960 + 960 + 40.
            assertEquals(List.of(960, 960, 960, 40), resent.stream().map(s -> s.payload().length).toList(), resent.toString());
            assertEquals(LOCAL_ISS + 1, resent.get(0).seq());
            assertTrue(resent.get(3).has(PSH), "the last one reaches the end of the data");
            assertEquals(960, c.snapshot(h.now()).mss());
            // No congestion response: cwnd keeps its number of segments (Linux counts cwnd in packets), at the new size.
            assertEquals(cwnd / MSS, c.snapshot(h.now()).cwndBytes() / 960, "cwnd " + cwnd + " then " + c.snapshot(h.now()).cwndBytes());
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertNull(c.softError());
        }
    }

    @Test
    void fragmentationNeeded_belowLinuxMinimumPmtu_flooredAt552() {
        // __ip_rt_update_pmtu(): a path MTU below net.ipv4.route.min_pmtu (552) is taken as 552: MSS 512.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.FRAGMENTATION_NEEDED, 68, first);
            assertEquals(512, h.expectSent().payload().length);
            assertEquals(512, c.snapshot(h.now()).mss());
        }
    }

    @Test
    void linux_passiveHalfOpenChild_portUnreachableIgnored_hostUnreachableDropsItSilently() {
        // Linux tcp_req_err(): a request sock goes only for parameter problem, time exceeded, net or host unreachable.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            h.listen();
            h.receive(h.segment().flags(SYN).seq(REMOTE_ISS));
            Sent synAck = h.expectSent().assertFlags(SYN | ACK);
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.PORT_UNREACHABLE, 0, synAck);
            assertEquals(1, h.stack.connectionCount());
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.HOST_UNREACHABLE, 0, synAck);
            h.expectNothingSent();
            assertEquals(0, h.stack.connectionCount());
            assertEquals(0, h.listener().synQueueLength());
        }
    }

    @Test
    void errorQuotingNoConnection_countedAsIcmpInErrors() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = establishedMss1460(h);
            Sent first = twoSegmentsInFlight(h, c);
            c.abort(h.now());
            h.drain();
            h.receiveIcmp(ROUTER, UNREACHABLE, IcmpErrors.HOST_UNREACHABLE, 0, first);
            assertEquals(1, h.stack.stats().get(Counter.IcmpInErrors));
            assertEquals(1, h.stack.stats().drops(DropReason.ICMP_NO_CONNECTION));
        }
    }
}
