package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TIME-WAIT as compact entries (RFC 9293 §3.6.1, like Linux's inet_timewait_sock): the table's
 * FIFO order, restarts, cap and per-port counts, the rules that classify a segment hitting an entry,
 * and the same rules through a stack whose connection reached TIME-WAIT by real segments.
 */
class TimeWaitTableTest {
    private static final Ipv4Address LOCAL = ConnectionHarness.LOCAL;
    private static final Ipv4Address REMOTE = ConnectionHarness.REMOTE;
    private static final long DURATION = seconds(60);
    /** RCV.NXT of the entries built here: one past the peer's FIN. */
    private static final int RCV_NXT = 5_000_101;
    private static final int SND_NXT = 1_000_201;
    private static final int WINDOW = 1000;

    /** The stack that hosts the connections entries are made from; nothing is ever sent through it. */
    private static final TcpStack HOST = new TcpStack(StackConfig.of(LOCAL, RandomSource.seeded(1)).withAllocator(UnpooledByteBufAllocator.DEFAULT));

    /** A connection about to enter TIME-WAIT: our FIN acknowledged, the peer's FIN received. */
    private static TcpConnection closing(int localPort, int remotePort, boolean timestamps, int tsRecent) {
        TcpConnection c = HOST.newConnection(new ConnectionId(LOCAL.bits(), localPort, REMOTE.bits(), remotePort), null, 0, TcpState.CLOSED);
        c.sender.start(SND_NXT - 1); // SND.NXT = ISS + 1
        // RCV.NXT with WINDOW advertised beyond it (as a cookie handshake leaves them), then the options.
        c.receiver.restoredFromCookie(RCV_NXT, WINDOW);
        c.receiver.negotiated(false, false, timestamps, tsRecent, 0);
        return c;
    }

    private static TcpConnection closing(int localPort, int remotePort) {
        return closing(localPort, remotePort, false, 0);
    }

    // ------------------------------------------------------------------------------------
    // The table
    // ------------------------------------------------------------------------------------

    @Test
    void add_keepsWhatTheAckNeeds_andGetFindsItByTuple() {
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        TimeWaitTable.Entry e = table.add(closing(80, 40000, true, 777), seconds(5));
        assertEquals(1, table.size());
        assertSame(e, table.get(LOCAL.bits(), 80, REMOTE.bits(), 40000));
        assertNull(table.get(LOCAL.bits(), 80, REMOTE.bits(), 40001));
        assertEquals(new ConnectionId(LOCAL.bits(), 80, REMOTE.bits(), 40000), e.id());
        assertEquals(SND_NXT, e.sndNxt);
        assertEquals(RCV_NXT, e.rcvNxt);
        assertEquals(WINDOW, e.windowField);
        assertEquals(WINDOW, e.acceptWindowBytes, "the linux profile judges segments against the window it advertised");
        assertTrue(e.timestamps);
        assertEquals(777, e.tsRecent);
        assertEquals(seconds(65), e.deadlineNanos);
        assertEquals(seconds(65), table.nextDeadlineNanos());
    }

    @Test
    void entries_expireInFifoOrder_eachAfterItsOwnDuration() {
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        TimeWaitTable.Entry first = table.add(closing(80, 1), 0);
        TimeWaitTable.Entry second = table.add(closing(80, 2), seconds(1));
        TimeWaitTable.Entry third = table.add(closing(80, 3), seconds(2));
        assertEquals(List.of(first, second, third), table.all());
        assertNull(table.pollExpired(seconds(60) - 1));
        assertSame(first, table.pollExpired(seconds(60)));
        assertNull(table.pollExpired(seconds(60)));
        assertEquals(seconds(61), table.nextDeadlineNanos());
        assertSame(second, table.pollExpired(seconds(100)));
        assertSame(third, table.pollExpired(seconds(100)));
        assertNull(table.pollExpired(Long.MAX_VALUE));
        assertEquals(0, table.size());
        assertEquals(Long.MAX_VALUE, table.nextDeadlineNanos());
        assertNull(table.get(LOCAL.bits(), 80, REMOTE.bits(), 2));
    }

    @Test
    void restart_movesTheEntryToTheTail_withAFullDurationFromNow() {
        // RFC 9293 §3.10.7.4 (TIME-WAIT, FIN bit): "restart the 2 MSL time-out".
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        TimeWaitTable.Entry first = table.add(closing(80, 1), 0);
        TimeWaitTable.Entry second = table.add(closing(80, 2), seconds(1));
        TimeWaitTable.Entry third = table.add(closing(80, 3), seconds(2));
        table.restart(first, seconds(30));
        assertEquals(List.of(second, third, first), table.all());
        assertEquals(seconds(90), first.deadlineNanos);
        assertEquals(seconds(61), table.nextDeadlineNanos());
        assertSame(second, table.pollExpired(seconds(89)));
        assertSame(third, table.pollExpired(seconds(89)));
        assertNull(table.pollExpired(seconds(89)));
        assertSame(first, table.pollExpired(seconds(90)));
        table.add(closing(80, 4), seconds(100));
        TimeWaitTable.Entry only = table.all().get(0);
        table.restart(only, seconds(110)); // the only entry: head and tail at once
        assertEquals(List.of(only), table.all());
        assertEquals(seconds(170), table.nextDeadlineNanos());
    }

    @Test
    void remove_fromTheMiddle_keepsTheOrderAndTheCounts() {
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        TimeWaitTable.Entry first = table.add(closing(80, 1), 0);
        TimeWaitTable.Entry second = table.add(closing(80, 2), 1);
        TimeWaitTable.Entry third = table.add(closing(80, 3), 2);
        table.remove(second);
        table.remove(second); // already gone: nothing happens
        assertEquals(List.of(first, third), table.all());
        assertEquals(2, table.size());
        assertEquals(2, table.countLocalPort(80));
        table.remove(third);
        table.remove(first);
        assertEquals(List.of(), table.all());
        assertEquals(0, table.countLocalPort(80));
        assertEquals(Long.MAX_VALUE, table.nextDeadlineNanos());
    }

    @Test
    void isFull_atTheCap_andNotAfterARemoval() {
        // Linux tcp_max_tw_buckets: the caller checks isFull before add.
        TimeWaitTable table = new TimeWaitTable(DURATION, 2);
        assertFalse(table.isFull());
        table.add(closing(80, 1), 0);
        assertFalse(table.isFull());
        TimeWaitTable.Entry second = table.add(closing(80, 2), 0);
        assertTrue(table.isFull());
        table.remove(second);
        assertFalse(table.isFull());
        assertTrue(new TimeWaitTable(DURATION, 0).isFull(), "a cap of 0 disables TIME-WAIT entries");
    }

    @Test
    void countLocalPort_followsAddsRemovesAndExpiries() {
        // What listen() checks when SO_REUSEADDR is off.
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        table.add(closing(80, 1), 0);
        table.add(closing(80, 2), 0);
        table.add(closing(443, 1), 0);
        TimeWaitTable.Entry late = table.add(closing(80, 3), seconds(10));
        assertEquals(3, table.countLocalPort(80));
        assertEquals(1, table.countLocalPort(443));
        assertEquals(0, table.countLocalPort(81));
        table.remove(late);
        assertEquals(2, table.countLocalPort(80));
        while (table.pollExpired(seconds(60)) != null) {
            // expire the three entries added at 0
        }
        assertEquals(0, table.countLocalPort(80));
        assertEquals(0, table.countLocalPort(443));
    }

    @Test
    void addingTheSameTupleAgain_replacesTheOldEntry() {
        TimeWaitTable table = new TimeWaitTable(DURATION, 10);
        TimeWaitTable.Entry old = table.add(closing(80, 1), 0);
        TimeWaitTable.Entry other = table.add(closing(80, 2), 0);
        TimeWaitTable.Entry fresh = table.add(closing(80, 1), seconds(5));
        assertEquals(2, table.size());
        assertEquals(2, table.countLocalPort(80));
        assertSame(fresh, table.get(LOCAL.bits(), 80, REMOTE.bits(), 1));
        assertEquals(List.of(other, fresh), table.all());
        assertTrue(old != fresh);
    }

    // ------------------------------------------------------------------------------------
    // classify(): what a segment hitting TIME-WAIT means
    // ------------------------------------------------------------------------------------

    /** Builds the peer's segment to the entry's tuple and classifies it. */
    private static final TcpProfile LINUX = TcpProfile.linux();
    private static final TcpProfile RFC = TcpProfile.rfc();
    private static final TcpProfile RFC1337 = LINUX.withSwitches(LINUX.switches().withRfc1337(true));
    private static final TcpProfile RFC793 = LINUX.withSwitches(LINUX.switches().withRstChallengeAck(false).withSynChallengeAck(false));

    private static TimeWaitTable.Action classify(TimeWaitTable.Entry e, int flags, int seq, int payloadLength,
                                                 TcpProfile config, TcpOption... options) {
        TcpHeader header = TcpHeader.of(e.remotePort, e.localPort, seq, SND_NXT, flags, 65535, TcpOptions.of(options));
        ByteBuf packet = Unpooled.wrappedBuffer(TestPackets.tcp(REMOTE, LOCAL, header, new byte[payloadLength]));
        try {
            Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, 0, packet.readableBytes());
            assertNull(ip.check());
            TcpSegmentView seg = new TcpSegmentView().wrap(ip);
            assertNull(seg.check());
            return TimeWaitTable.classify(e, seg, config);
        } finally {
            packet.release();
        }
    }

    private static TimeWaitTable.Entry entry(boolean timestamps, int tsRecent) {
        return new TimeWaitTable(DURATION, 10).add(closing(80, 40000, timestamps, tsRecent), 0);
    }

    @Test
    void classify_rst() {
        TimeWaitTable.Entry e = entry(false, 0);
        // RFC 9293 §3.10.7.4, second check (TIME-WAIT): a RST at exactly RCV.NXT closes the connection.
        assertEquals(TimeWaitTable.Action.KILL, classify(e, TcpFlags.RST, RCV_NXT, 0, LINUX));
        assertEquals(TimeWaitTable.Action.KILL, classify(e, TcpFlags.RST | TcpFlags.ACK, RCV_NXT, 0, LINUX));
        assertEquals(TimeWaitTable.Action.KILL, classify(e, TcpFlags.RST, RCV_NXT, 0, RFC));
        // RFC 5961 §3.2: in the window but not exact: challenge ACK.
        assertEquals(TimeWaitTable.Action.CHALLENGE_ACK, classify(e, TcpFlags.RST, RCV_NXT + 1, 0, RFC));
        assertEquals(TimeWaitTable.Action.CHALLENGE_ACK, classify(e, TcpFlags.RST, RCV_NXT + WINDOW - 1, 0, RFC));
        // Linux tcp_timewait_state_process(): only a RST at RCV.NXT counts; any other is dropped without an answer.
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT + 1, 0, LINUX));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT + WINDOW - 1, 0, LINUX));
        // Outside the window: dropped silently.
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT + WINDOW, 0, LINUX));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT - 1, 0, LINUX));
        // RFC 1337 (Linux tcp_rfc1337=1): every RST is ignored, against TIME-WAIT assassination.
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT, 0, RFC1337));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT + 1, 0, RFC1337));
    }

    @Test
    void classify_synWithoutTimestamps_newerSequenceReopens() {
        TimeWaitTable.Entry e = entry(false, 0);
        // RFC 9293 §3.6.1 MAY-2 / RFC 6191 §2 without timestamps: a SYN above RCV.NXT may start a new incarnation.
        assertEquals(TimeWaitTable.Action.REOPEN, classify(e, TcpFlags.SYN, RCV_NXT + 1, 0, LINUX));
        assertEquals(TimeWaitTable.Action.REOPEN, classify(e, TcpFlags.SYN, RCV_NXT + 1_000_000, 0, LINUX));
        // At or below RCV.NXT it is an old duplicate: answer with an ACK (RFC 9293 §3.10.7.4 first check).
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.SYN, RCV_NXT, 0, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.SYN, RCV_NXT - 100, 0, LINUX));
        // A SYN,ACK is never a new connection request.
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.SYN | TcpFlags.ACK, RCV_NXT + 1, 0, LINUX));
    }

    @Test
    void classify_synWithTimestamps_theTsValDecidesBeforeTheSequence() {
        // RFC 6191 §2: with timestamps on both sides a newer TSval reopens whatever the sequence number.
        TimeWaitTable.Entry e = entry(true, 5000);
        assertEquals(TimeWaitTable.Action.REOPEN,
                classify(e, TcpFlags.SYN, RCV_NXT - 100, 0, LINUX, new TcpOption.Timestamps(5001, 0)));
        // An older TSval is an old duplicate (PAWS would reject it), whatever the sequence number.
        assertEquals(TimeWaitTable.Action.ACK,
                classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, LINUX, new TcpOption.Timestamps(4000, 0)));
        // The same TSval: the sequence number decides (Linux tcp_timewait_state_process).
        assertEquals(TimeWaitTable.Action.REOPEN,
                classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, LINUX, new TcpOption.Timestamps(5000, 0)));
        assertEquals(TimeWaitTable.Action.ACK,
                classify(e, TcpFlags.SYN, RCV_NXT, 0, LINUX, new TcpOption.Timestamps(5000, 0)));
        // A SYN without the option falls back to the sequence-number rule.
        assertEquals(TimeWaitTable.Action.REOPEN, classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.SYN, RCV_NXT - 100, 0, LINUX));
    }

    @Test
    void classify_finRetransmission_isAckedAndRestarts() {
        TimeWaitTable.Entry e = entry(false, 0);
        // RFC 9293 §3.10.7.4 (eighth, TIME-WAIT): the only thing that can arrive is a retransmitted FIN.
        assertEquals(TimeWaitTable.Action.ACK_AND_RESTART, classify(e, TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 1, 0, LINUX));
        // The FIN may come again with the data before it.
        assertEquals(TimeWaitTable.Action.ACK_AND_RESTART, classify(e, TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 101, 100, LINUX));
        // A FIN that does not end at RCV.NXT is not our peer's FIN: plain ACK, no restart.
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.FIN | TcpFlags.ACK, RCV_NXT, 0, LINUX));
    }

    @Test
    void classify_acksAndData() {
        TimeWaitTable.Entry e = entry(false, 0);
        // An acceptable bare ACK needs no answer (Linux tcp_timewait_state_process: "bare ack").
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.ACK, RCV_NXT, 0, LINUX));
        // An old ACK or any data is unacceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (first check).
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.ACK, RCV_NXT - 1, 0, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.ACK, RCV_NXT + 5, 0, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.ACK | TcpFlags.PSH, RCV_NXT, 10, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.ACK | TcpFlags.PSH, RCV_NXT - 50, 10, LINUX));
    }

    @Test
    void classify_segmentWithoutAck_inWindowDropped_outsideAcked() {
        TimeWaitTable.Entry e = entry(false, 0);
        // RFC 9293 §3.10.7.4, fifth check: "if the ACK bit is off, drop the segment and return".
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.PSH, RCV_NXT, 10, RFC));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.FIN, RCV_NXT, 0, RFC));
        // ... but only once it passed the first check; an unacceptable one is acknowledged.
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.PSH, RCV_NXT - 50, 10, RFC));
        // Linux answers every segment but a bare one at RCV.NXT (tcp_timewait_state_process()).
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.PSH, RCV_NXT, 10, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.FIN, RCV_NXT, 0, LINUX));
        assertEquals(TimeWaitTable.Action.ACK, classify(e, TcpFlags.PSH, RCV_NXT - 50, 10, LINUX));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, 0, RCV_NXT, 0, LINUX));
    }

    @Test
    void restarts_linuxOnEverySegmentWithAck_rfcOnlyOnTheRetransmittedFin() {
        TimeWaitTable.Entry e = entry(false, 0);
        // Linux tcp_timewait_state_process(): inet_twsk_reschedule() for a bare segment at RCV.NXT and for any other
        // with the ACK bit; not for a RST (without RFC 1337), nor a SYN without ACK.
        assertTrue(restarts(e, TcpFlags.ACK, RCV_NXT, 0, LINUX));
        assertTrue(restarts(e, 0, RCV_NXT, 0, LINUX));
        assertTrue(restarts(e, TcpFlags.ACK, RCV_NXT + 5, 0, LINUX));
        assertTrue(restarts(e, TcpFlags.ACK | TcpFlags.PSH, RCV_NXT - 50, 10, LINUX));
        assertFalse(restarts(e, TcpFlags.PSH, RCV_NXT - 50, 10, LINUX));
        assertFalse(restarts(e, TcpFlags.RST, RCV_NXT + 1, 0, LINUX));
        assertFalse(restarts(e, TcpFlags.SYN, RCV_NXT - 100, 0, LINUX));
        assertFalse(restarts(e, TcpFlags.SYN, RCV_NXT + 1, 0, LINUX), "a new incarnation's SYN");
        assertTrue(restarts(e, TcpFlags.RST, RCV_NXT, 0, RFC1337), "an exact RST ignored under RFC 1337");
        // RFC 9293: only the retransmitted FIN restarts 2MSL, through its own action; nothing else does.
        assertFalse(restarts(e, TcpFlags.ACK, RCV_NXT, 0, RFC));
        assertFalse(restarts(e, TcpFlags.ACK, RCV_NXT + 5, 0, RFC));
        assertFalse(restarts(e, TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 1, 0, RFC));
        assertEquals(TimeWaitTable.Action.ACK_AND_RESTART, classify(e, TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 1, 0, RFC));
    }

    private static boolean restarts(TimeWaitTable.Entry e, int flags, int seq, int payloadLength, TcpProfile profile) {
        TcpHeader header = TcpHeader.of(e.remotePort, e.localPort, seq, SND_NXT, flags, 65535, TcpOptions.NONE);
        ByteBuf packet = Unpooled.wrappedBuffer(TestPackets.tcp(REMOTE, LOCAL, header, new byte[payloadLength]));
        try {
            TcpSegmentView seg = new TcpSegmentView().wrap(new Ipv4PacketView().wrap(packet, 0, packet.readableBytes()));
            return TimeWaitTable.restarts(e, seg, TimeWaitTable.classify(e, seg, profile), profile);
        } finally {
            packet.release();
        }
    }

    @Test
    void classify_rfc793Behaviour_inWindowRstKills_inWindowSynResets() {
        TimeWaitTable.Entry e = entry(true, 5000);
        // rstChallengeAck off (RFC 793): any RST in the window closes; outside it is still dropped.
        assertEquals(TimeWaitTable.Action.KILL, classify(e, TcpFlags.RST, RCV_NXT + 1, 0, RFC793));
        assertEquals(TimeWaitTable.Action.DROP, classify(e, TcpFlags.RST, RCV_NXT + WINDOW, 0, RFC793));
        // synChallengeAck off (RFC 793 fourth check): a SYN in the window that is not a newer
        // incarnation is an error, answered with RST; one outside the window is only acknowledged.
        assertEquals(TimeWaitTable.Action.RESET,
                classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, RFC793, new TcpOption.Timestamps(4000, 0)));
        assertEquals(TimeWaitTable.Action.ACK,
                classify(e, TcpFlags.SYN, RCV_NXT - 100, 0, RFC793, new TcpOption.Timestamps(4000, 0)));
        assertEquals(TimeWaitTable.Action.REOPEN,
                classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, RFC793, new TcpOption.Timestamps(5001, 0)));
        // With RFC 5961 on (Linux), the same in-window SYN only gets an ACK.
        assertEquals(TimeWaitTable.Action.ACK,
                classify(e, TcpFlags.SYN, RCV_NXT + 100, 0, LINUX, new TcpOption.Timestamps(4000, 0)));
    }

    // ------------------------------------------------------------------------------------
    // Through a stack (the other TIME-WAIT behaviours of the stack are in TimeWaitTest and Rfc5961Test)
    // ------------------------------------------------------------------------------------

    @Test
    void timeWait_newerSynWithoutAListener_keepsTheEntryAndAcks() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            h.timeWait();
            h.receive(h.segment().flags(TcpFlags.SYN).seq(REMOTE_ISS + 100_000));
            // Only a listener can accept a new incarnation (RFC 9293 §3.6.1 MAY-2). Without one the
            // SYN is not acceptable: TIME-WAIT stays and answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            // (RFC 9293 §3.10.7.4 fourth check with RFC 5961 §4; Linux tcp_v4_rcv: TCP_TW_SYN with
            // no listener falls through to TCP_TW_ACK).
            h.expectSent().assertFlags(TcpFlags.ACK).assertSeqAck(LOCAL_ISS + 2, REMOTE_ISS + 2);
            assertEquals(1, h.stack.timeWaitCount());
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTWRecycled));
        }
    }
}
