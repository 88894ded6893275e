package io.usertcp.tools.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import io.usertcp.tools.PcapChecks;
import io.usertcp.tools.ToolsTunSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each scenario of DESIGN.md §13 against the real kernel shows the states it promises on both sides.
 * The assertions read the scenario's structured result, independently of its own checks.
 */
@Tag("tun")
@Timeout(60)
class ScenariosTest {
    private String output = "";

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
    }

    @AfterEach
    void nothingLeft() {
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    private ScenarioResult play(String name) throws Exception {
        return play(name, null);
    }

    private ScenarioResult play(String name, Path pcap) throws Exception {
        return play(name, pcap, null);
    }

    /** {@code profile} null: the default, as {@code usertcp scenario} without {@code --profile}. */
    private ScenarioResult play(String name, Path pcap, TcpProfile profile) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        ScenarioResult result;
        try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
            Narrator n = new Narrator(out, false);
            List<ConnectionLogSink> sinks = List.of(new LadderLogSink());
            result = profile == null ? Scenarios.run(Scenarios.find(name), n, sinks, pcap)
                    : Scenarios.run(Scenarios.find(name), n, sinks, pcap, profile);
        }
        output = text.toString(StandardCharsets.UTF_8);
        ScenarioResult r = result;
        assertTrue(r.passed(), () -> r.checks().stream().filter(c -> !c.passed()).toList() + "\n" + output);
        assertTrue(r.namespaceDeleted());
        return r;
    }

    private void seen(ScenarioResult r, Set<TcpState> ours, Set<String> kernel) {
        assertTrue(r.oursSeen().containsAll(ours), () -> "ours saw " + r.oursSeen() + "\n" + output);
        assertTrue(r.kernelSeen().containsAll(kernel), () -> "kernel saw " + r.kernelSeen() + "\n" + output);
    }

    @Test
    void activeClose_oursFinWait2ThenTimeWaitThenClosed_kernelCloseWait(@TempDir Path dir) throws Exception {
        // RFC 9293 §3.6: the closing side passes FIN-WAIT-1/2 and TIME-WAIT; the other CLOSE-WAIT and LAST-ACK
        Path pcap = dir.resolve("active-close.pcap");
        ScenarioResult r = play("active-close", pcap);
        seen(r, Set.of(TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED), Set.of("CLOSE-WAIT"));
        // --pcap: the handshake and both FINs, read by pcap4j; the ladder module draws the connection
        List<PcapChecks.Seg> segs = PcapChecks.readWithPcap4j(pcap);
        assertFalse(segs.isEmpty(), "segments in " + pcap);
        PcapChecks.Seg syn = segs.get(0);
        PcapChecks.assertOpenedAndClosed(segs, syn.source(), syn.destination(), syn.destinationPort());
        assertTrue(output.contains("connection 1 of"), output);
        assertTrue(output.contains("FIN-WAIT-2"), output);
        // the default profile, linux, with the scenario's short TIME-WAIT on top
        assertEquals(TcpConfig.linux().toBuilder().timeWaitNanos(ActiveCloseScenario.TIME_WAIT_MILLIS * 1_000_000L).build(), r.tcp());
        assertTrue(output.contains("our stack at 198.18.0.2 (profile linux)"), output);
    }

    /**
     * --profile: the stack runs that profile with its reference's numbers, and the scenario's short
     * TIME-WAIT still applies on top (the rfc profile's own is 240 s, FreeBSD's 60 s): the promises
     * hold, TIME-WAIT ends in seconds.
     */
    @ParameterizedTest
    @ValueSource(strings = {"rfc", "freebsd"})
    void activeClose_inOtherProfiles_runsThatProfile_withTheScenariosShortTimeWaitOnTop(String name) throws Exception {
        TcpProfile profile = TcpProfile.of(name);
        ScenarioResult r = play("active-close", null, profile);
        seen(r, Set.of(TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED), Set.of("CLOSE-WAIT"));
        assertEquals(TcpConfig.forProfile(profile).toBuilder().timeWaitNanos(ActiveCloseScenario.TIME_WAIT_MILLIS * 1_000_000L)
                .build(), r.tcp());
        assertEquals(profile, r.tcp().profile());
        assertTrue(output.contains("our stack at 198.18.0.2 (profile " + name + ")"), output);
    }

    @Test
    void closeWaitLeak_oursCloseWait_kernelFinWait2_thenFixEndsInKernelTimeWait() throws Exception {
        ScenarioResult r = play("close-wait-leak");
        seen(r, Set.of(TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.CLOSED), Set.of("FIN-WAIT-2", "TIME-WAIT"));
        assertEquals(CloseWaitLeakScenario.CLIENTS, r.ourStates().size());
        r.ourStates().values().forEach(states -> assertFalse(states.contains(TcpState.TIME_WAIT), states.toString()));
    }

    @Test
    void timeWaitPileup_onTheSideThatClosesFirst_cappedOnOurs() throws Exception {
        ScenarioResult r = play("time-wait-pileup");
        // Linux tcp_max_tw_buckets: past the cap a closing connection skips TIME-WAIT
        assertEquals(TimeWaitPileupScenario.CONNECTIONS - TimeWaitPileupScenario.TIME_WAIT_CAP,
                r.counter("TcpExtTCPTimeWaitOverflow"));
        assertEquals(TimeWaitPileupScenario.CONNECTIONS, r.ourStates().size());
        long timeWaited = r.ourStates().values().stream().filter(s -> s.contains(TcpState.TIME_WAIT)).count();
        assertEquals(TimeWaitPileupScenario.CONNECTIONS, timeWaited, "every one of ours went to TIME-WAIT or overflowed from it");
        assertTrue(r.checks().stream().anyMatch(c -> c.passed() && c.what().contains("kernel holds 20 TIME-WAIT")));
    }

    @Test
    void simultaneousClose_bothSidesPassClosingToTimeWait() throws Exception {
        // RFC 9293 §3.6 figure 13: FINs cross, FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides
        ScenarioResult r = play("simultaneous-close");
        seen(r, Set.of(TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.TIME_WAIT), Set.of("CLOSING", "TIME-WAIT"));
        assertFalse(r.oursSeen().contains(TcpState.FIN_WAIT_2));
    }

    @Test
    void lingerAbort_rstBothWays_noTimeWaitAnywhere() throws Exception {
        // RFC 9293 §3.10.5 (ABORT), RFC 2525 §2.17 (close with unread data)
        ScenarioResult r = play("linger-abort");
        assertEquals(Set.of(CloseReason.ABORTED, CloseReason.RESET, CloseReason.ABORTED_UNREAD_DATA), r.reasons());
        assertFalse(r.oursSeen().contains(TcpState.TIME_WAIT));
        assertFalse(r.kernelSeen().contains("TIME-WAIT"));
        assertTrue(r.kernelSeen().contains(KernelWatcher.GONE));
    }

    @Test
    void halfClose_oursReadsInFinWait2_kernelSendsFromCloseWait() throws Exception {
        ScenarioResult r = play("half-close");
        seen(r, Set.of(TcpState.FIN_WAIT_2, TcpState.TIME_WAIT), Set.of("CLOSE-WAIT"));
        assertFalse(r.oursSeen().contains(TcpState.CLOSE_WAIT));
    }

    @Test
    void keepaliveDeadPeer_silentPeerTimesOut_rebootedPeerResets() throws Exception {
        ToolsTunSupport.requireCommand("nft", "nftables");
        // RFC 1122 §4.2.3.6
        ScenarioResult r = play("keepalive-dead-peer");
        assertEquals(Set.of(CloseReason.KEEPALIVE_TIMEOUT, CloseReason.RESET), r.reasons());
        assertTrue(r.kernelSeen().contains("ESTAB"));
    }

    @Test
    void finWait2Orphan_reclaimedAfterTimeout_kernelLeftInCloseWait() throws Exception {
        // Linux tcp_fin_timeout for orphaned FIN-WAIT-2
        ScenarioResult r = play("fin-wait-2-orphan");
        seen(r, Set.of(TcpState.FIN_WAIT_2, TcpState.CLOSED), Set.of("CLOSE-WAIT"));
        assertEquals(Set.of(CloseReason.FIN_WAIT_2_TIMEOUT), r.reasons());
    }

    /**
     * Linux tcp_twsk_unique() (tcp_tw_reuse=1): with 8 ephemeral ports all held by our TIME-WAIT
     * entries the next connect fails; once the entries' last timestamps are over 1 s old, connects
     * take them over. Also in the rfc profile: the scenario switches reuse on, as the sysctl would.
     */
    @ParameterizedTest
    @ValueSource(strings = {"linux", "rfc"})
    void timeWaitReuse_portsExhaustedBehindTimeWait_thenTakenOverOnceOlderThanOneSecond(String name) throws Exception {
        ScenarioResult r = play("time-wait-reuse", null, TcpProfile.of(name));
        assertEquals(TcpConfig.TimeWaitReuse.ON, r.tcp().timeWaitReuse());
        assertEquals(TimeWaitReuseScenario.REUSED, r.counter("TcpExtTWRecycled"));
        assertTrue(r.checks().stream().anyMatch(c -> c.passed() && c.what().contains("no free ephemeral port")), output);
        // one tuple per port of the range; REUSED of them opened twice (SYN-SENT twice, TIME-WAIT → CLOSED between)
        assertEquals(TimeWaitReuseScenario.PORTS, r.ourStates().size(), r.ourStates().toString());
        r.ourStates().keySet().forEach(id -> assertTrue(id.localPort() >= TimeWaitReuseScenario.PORT_LOW
                && id.localPort() <= TimeWaitReuseScenario.PORT_HIGH, id.toString()));
        long twice = r.ourStates().values().stream().filter(s -> java.util.Collections.frequency(s, TcpState.SYN_SENT) == 2).count();
        assertEquals(TimeWaitReuseScenario.REUSED, twice, r.ourStates().toString());
        // the kernel as the client: refused with its default tcp_tw_reuse=2, takes an entry over with 1
        assertTrue(r.checks().stream().anyMatch(c -> c.passed() && c.what().contains("net.ipv4.tcp_tw_reuse=1 the kernel connects")), output);
    }

    /**
     * A SYN+FIN to a listener: linux drops it (tcp_rcv_state_process()), rfc queues the FIN and ends
     * in CLOSE-WAIT (RFC 9293 §3.10.7.2), freebsd answers the SYN and forgets the FIN; the kernel
     * drops it; both listeners serve a legitimate client afterwards.
     */
    @ParameterizedTest
    @ValueSource(strings = {"linux", "rfc", "freebsd"})
    void synFinListen_linuxDrops_rfcCloseWait_freebsdEstablished_kernelDrops(String name) throws Exception {
        ScenarioResult r = play("synfin-listen", null, TcpProfile.of(name));
        List<TcpState> crafted = r.ourStates().get(SynFinListenScenario.oursCrafted());
        switch (name) {
            case "linux" -> {
                assertEquals(List.of(), crafted);
                assertEquals(1, r.counter("DropTCP_LISTEN_SYN_FIN"));
            }
            case "rfc" -> {
                assertEquals(TcpState.CLOSE_WAIT, crafted.get(crafted.size() - 1), crafted.toString());
                assertTrue(crafted.contains(TcpState.SYN_RECEIVED), crafted.toString());
                assertEquals(0, r.counter("DropTCP_LISTEN_SYN_FIN"));
            }
            default -> {
                assertEquals(TcpState.ESTABLISHED, crafted.get(crafted.size() - 1), crafted.toString());
                assertFalse(crafted.contains(TcpState.CLOSE_WAIT), crafted.toString());
            }
        }
        assertEquals(List.of(), r.kernelStates().get(SynFinListenScenario.kernelCrafted()), "the kernel kept nothing");
        assertTrue(r.checks().stream().anyMatch(c -> c.passed() && c.what().startsWith("our listener serves it")), output);
        assertTrue(r.checks().stream().anyMatch(c -> c.passed() && c.what().startsWith("the kernel's first accept is our legitimate")), output);
        assertTrue(output.contains("crafted SYN+FIN"), output);
    }
}
