package io.usertcp.tools.demo;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.tun.TunStackHost;
import java.net.Socket;

/**
 * Keep-alive (RFC 1122 §4.2.3.6): an idle connection is probed; a peer that has silently vanished
 * (nftables in the namespace drops everything between the two) is declared dead after
 * idle + interval × count; a peer that rebooted (forgot the connection) answers a probe with RST.
 */
final class KeepaliveDeadPeerScenario implements Scenario {
    static final int PORT = 8006;
    static final long IDLE_MILLIS = 1_000;
    static final long INTERVAL_MILLIS = 1_000; // Linux's least TCP_KEEPINTVL: 1 s
    static final int PROBES = 3;
    static final String TABLE = "usertcp_scenario";

    @Override
    public String name() {
        return "keepalive-dead-peer";
    }

    @Override
    public String summary() {
        return "keep-alive finds a silent dead peer after idle + interval × count, and a rebooted one by its RST";
    }

    @Override
    public String missing() {
        return Programs.missing("nft", "nftables", "keepalive-dead-peer, which silences the kernel with a firewall rule");
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        run.session().live().showSegments(true);
        ScenarioRun.OurListener listener = run.listen(PORT);
        silentPeer(run, listener);
        rebootedPeer(run, listener);
    }

    private void silentPeer(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        Narrator n = run.narrator();
        n.step("1. An idle connection with keep-alive: idle " + IDLE_MILLIS + " ms, interval " + INTERVAL_MILLIS
                + " ms, " + PROBES + " probes");
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("keep-alive, the peer goes silent");
        ConnectionId id = c.id();
        run.keepAlive(c, IDLE_MILLIS, INTERVAL_MILLIS, PROBES);
        n.why("a probe is an ACK with the sequence number one below what the peer expects: a live peer answers with an ACK");
        StackEvent firstProbe = run.session().recorder().await(e -> e instanceof StackEvent.TimerFired t
                && t.id().equals(id) && t.timer() == TcpTimer.KEEPALIVE, IDLE_MILLIS + ScenarioRun.WAIT_MILLIS);
        boolean answered = firstProbe != null && run.session().recorder().await(e -> e instanceof StackEvent.Segment s
                && s.id().equals(id) && !s.outbound() && s.nanos() >= firstProbe.nanos(), ScenarioRun.WAIT_MILLIS) != null;
        run.check("the kernel answers the first probe", answered, firstProbe == null ? "no probe sent" : "no answer");

        n.step("The peer vanishes: a firewall rule in the namespace drops everything between the two");
        run.nft("add", "table", "inet", TABLE);
        for (String hook : new String[] {"input", "output"}) {
            run.nft("add", "chain", "inet", TABLE, hook, "{", "type", "filter", "hook", hook, "priority", "0", ";", "}");
        }
        run.nft("add", "rule", "inet", TABLE, "output", "ip", "daddr", TunStackHost.STACK_ADDRESS.toString(), "tcp", "dport",
                Integer.toString(PORT), "drop");
        run.nft("add", "rule", "inet", TABLE, "input", "ip", "saddr", TunStackHost.STACK_ADDRESS.toString(), "tcp", "sport",
                Integer.toString(PORT), "drop");
        long silentSince = System.nanoTime();
        n.why("like a machine that lost power: no FIN, no RST, nothing. Only probing can find out");
        run.expectOurs(id, TcpState.CLOSED, IDLE_MILLIS + INTERVAL_MILLIS * PROBES + ScenarioRun.WAIT_MILLIS);
        long tookMillis = (System.nanoTime() - silentSince) / 1_000_000L;
        run.check("our close reason is KEEPALIVE_TIMEOUT", run.closeReason(c) == CloseReason.KEEPALIVE_TIMEOUT,
                "was " + run.closeReason(c));
        long budget = IDLE_MILLIS * 2 + INTERVAL_MILLIS * PROBES + 500;
        run.check("declared dead within idle + interval × count (" + tookMillis + " ms after the peer went silent)",
                tookMillis <= budget, "budget " + budget + " ms");
        KernelSocket k = run.session().kernel().current().get(id);
        run.check("the kernel, which never heard a thing, still shows ESTAB", k != null && k.state().equals("ESTAB"),
                k == null ? "no socket" : k.state());
        n.why("probes went unanswered " + PROBES + " times: our stack gave up (Linux: tcp_keepalive_probes). The kernel's\n"
                + "socket has no keep-alive on, so it would wait for ever: a half-open connection");
        run.nft("delete", "table", "inet", TABLE);
        kernel.close();
    }

    private void rebootedPeer(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        Narrator n = run.narrator();
        n.step("2. A peer that reboots: it forgets the connection without telling us");
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("keep-alive, the peer reboots");
        ConnectionId id = c.id();
        run.keepAlive(c, IDLE_MILLIS, INTERVAL_MILLIS, PROBES);
        run.nft("add", "table", "inet", TABLE);
        run.nft("add", "chain", "inet", TABLE, "output", "{", "type", "filter", "hook", "output", "priority", "0", ";", "}");
        run.nft("add", "rule", "inet", TABLE, "output", "ip", "daddr", TunStackHost.STACK_ADDRESS.toString(), "drop");
        kernel.setSoLinger(true, 0);
        kernel.close();
        run.expectKernel(id, KernelWatcher.GONE, ScenarioRun.WAIT_MILLIS);
        run.nft("delete", "table", "inet", TABLE);
        n.why("the kernel dropped its socket (its RST was filtered out): like a machine that rebooted");
        run.expectOurs(id, TcpState.CLOSED, IDLE_MILLIS + ScenarioRun.WAIT_MILLIS);
        run.check("the next probe is answered with RST: our close reason is RESET", run.closeReason(c) == CloseReason.RESET,
                "was " + run.closeReason(c));
        n.why("a segment for a connection nobody has is answered with RST (RFC 9293 §3.10.7.1)");
    }
}
