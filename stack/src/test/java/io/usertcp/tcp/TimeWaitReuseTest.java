package io.usertcp.tcp;

import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.seconds;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.FIN;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpOption;
import org.junit.jupiter.api.Test;

/**
 * tcp_tw_reuse as Linux has it (tcp_twsk_unique()): an active open may take over a TIME-WAIT
 * entry of its own four-tuple when timestamps were in use and the entry last took a TSval more than
 * a second ago; the new incarnation starts at the old SND.NXT + 65537 and keeps the old TS.Recent.
 * It is the classic remedy for a client that runs out of ports behind its own TIME-WAIT entries.
 */
class TimeWaitReuseTest {
    private static final int CLIENT_PORT = 40000;
    private static final int SERVER_PORT = 80;

    /** One connection from CLIENT_PORT, closed by the client first: A holds the TIME-WAIT entry. Returns A's SND.NXT. */
    private static int connectAndCloseClientFirst(TwoStacks net, TcpListener listener) {
        TcpConnection client = net.a.connect(net.now(), CLIENT_PORT, TwoStacks.B.bits(), SERVER_PORT);
        net.settle();
        TcpConnection server = listener.accept();
        client.close(net.now());
        net.settle();
        server.close(net.now());
        net.settle();
        assertEquals(1, net.a.timeWaitCount());
        assertEquals(TcpState.TIME_WAIT, client.state());
        return client.sender.nxt();
    }

    private static TwoStacks net(TcpConfig.TimeWaitReuse reuse, boolean timestamps) {
        return new TwoStacks(TcpConfig.linux().toBuilder().timeWaitReuse(reuse).timestamps(timestamps).build());
    }

    @Test
    void linuxDefault_loopbackOnly_ourAddressesAreNot_theTupleStaysTaken() {
        try (TwoStacks net = net(TcpConfig.TimeWaitReuse.LOOPBACK, true)) {
            connectAndCloseClientFirst(net, net.b.listen(net.now(), SERVER_PORT, 16));
            net.advance(seconds(5));
            assertThrows(IllegalStateException.class,
                    () -> net.a.connect(net.now(), CLIENT_PORT, TwoStacks.B.bits(), SERVER_PORT));
            assertEquals(1, net.a.timeWaitCount());
        }
    }

    @Test
    void reuseOn_afterOneSecond_takesOverTheEntry_issBeyondTheOldIncarnation() {
        try (TwoStacks net = net(TcpConfig.TimeWaitReuse.ON, true)) {
            int oldSndNxt = connectAndCloseClientFirst(net, net.b.listen(net.now(), SERVER_PORT, 16));
            net.advance(millis(1001));
            TcpConnection again = net.a.connect(net.now(), CLIENT_PORT, TwoStacks.B.bits(), SERVER_PORT);
            assertEquals(oldSndNxt + 65535 + 2, again.sender.iss(), "tcp_twsk_unique(): tw_snd_nxt + 65535 + 2");
            assertEquals(0, net.a.timeWaitCount());
            assertEquals(1, net.a.stats().get(Counter.TcpExtTWRecycled));
            net.settle();
            // The server's side of the old incarnation is closed (it sent the last ACK's FIN): the new SYN is a new connection.
            assertEquals(TcpState.ESTABLISHED, again.state());
        }
    }

    @Test
    void reuseOn_withinTheSecond_refused() {
        try (TwoStacks net = net(TcpConfig.TimeWaitReuse.ON, true)) {
            connectAndCloseClientFirst(net, net.b.listen(net.now(), SERVER_PORT, 16));
            net.advance(millis(900));
            assertThrows(IllegalStateException.class,
                    () -> net.a.connect(net.now(), CLIENT_PORT, TwoStacks.B.bits(), SERVER_PORT));
        }
    }

    @Test
    void reuseOn_withoutTimestamps_neverSafe_refused() {
        try (TwoStacks net = net(TcpConfig.TimeWaitReuse.ON, false)) {
            connectAndCloseClientFirst(net, net.b.listen(net.now(), SERVER_PORT, 16));
            net.advance(seconds(30));
            assertThrows(IllegalStateException.class,
                    () -> net.a.connect(net.now(), CLIENT_PORT, TwoStacks.B.bits(), SERVER_PORT));
        }
    }

    @Test
    void reusedIncarnation_synAckOlderThanTheInheritedTsRecent_droppedByPaws() {
        // Linux tcp_rcv_synsent_state_process(): the TS.Recent taken over from TIME-WAIT makes PAWS reject a SYN,ACK
        // carrying an older TSval (an old duplicate from the previous incarnation), counted in TcpExtPAWSActive.
        TcpConfig tcp = TcpConfig.linux().toBuilder().timeWaitReuse(TcpConfig.TimeWaitReuse.ON).build();
        try (ConnectionHarness h = new ConnectionHarness(tcp)) {
            TcpConnection c = h.synSent();
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(5000, 0)));
            h.expectSent().assertFlags(ACK);
            c.close(h.now());
            h.expectSent().assertFlags(FIN | ACK);
            h.receive(h.segment().flags(FIN | ACK).seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2)
                    .options(new TcpOption.Timestamps(5001, 0)));
            h.expectSent().assertFlags(ACK);
            assertEquals(TcpState.TIME_WAIT, c.state());
            h.advance(seconds(2));
            TcpConnection again = h.stack.connect(h.now(), ConnectionHarness.CLIENT_PORT, ConnectionHarness.REMOTE.bits(),
                    ConnectionHarness.PEER_SERVER_PORT);
            int iss = h.expectSent().assertFlags(SYN).seq();
            assertEquals(LOCAL_ISS + 2 + 65535 + 2, iss);
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS + 100000).ack(iss + 1)
                    .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(4000, 0)));
            h.expectNothingSent();
            assertEquals(TcpState.SYN_SENT, again.state());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtPAWSActive));
            h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS + 100000).ack(iss + 1)
                    .options(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(7000, 0)));
            h.expectSent().assertFlags(ACK);
            assertEquals(TcpState.ESTABLISHED, again.state());
        }
    }
}
