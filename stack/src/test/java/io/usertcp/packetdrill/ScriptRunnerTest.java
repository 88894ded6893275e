package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import io.usertcp.tcp.TcpProfile;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The interpreter: packets in and out, the comparison rules, time and tolerance, blocking calls,
 * settings, state checks. Each script runs against a fresh stack on virtual time.
 */
class ScriptRunnerTest {
    /** Our SYN as the default (Linux) configuration sends it, byte for byte. */
    private static final String SYN = "> S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>";
    private static final String CONNECTED = """
            --tolerance_usecs=10000
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
            +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
            +0    %s
            +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
            +0    > . 1:1(0) ack 1 win 64240
            """.formatted(SYN);

    /** The linux stack, compared as {@code comparison} says: these tests are about the comparison, not the behaviour. */
    private static RunResult run(Comparison comparison, String script) {
        return ScriptRunner.run("t.pkt", script, Set.of(), RunOptions.of(TcpProfile.linux(), comparison));
    }

    private static RunResult.Failure failure(Comparison profile, String script) {
        RunResult r = run(profile, script);
        assertFalse(r.passed(), "expected the script to fail");
        return r.failure();
    }

    private static void assertPasses(Comparison profile, String script) {
        RunResult r = run(profile, script);
        assertTrue(r.passed(), () -> r.failure().format());
    }

    // ---- packets and their comparison ----

    // RFC 9293 §3.5: the three-way handshake, our ISN learned from our SYN, the ACK mapped back.
    @Test
    void activeOpen_handshakeAndClose_passesExactly() {
        assertPasses(Comparison.EXACT, CONNECTED + """
                +0.1  close(3) = 0
                +0    > F. 1:1(0) ack 1 win 64240
                +0.05 < F. 1:1(0) ack 2 win 65535
                +0    > . 2:2(0) ack 2 win 64239
                """);
    }

    @Test
    void outboundFlagsDiffer_failureNamesLineExpectedAndActual() {
        RunResult.Failure f = failure(Comparison.RFC, CONNECTED + "+0.1 close(3) = 0\n+0 > R 1:1(0) win 0\n");
        assertEquals(9, f.line());
        assertEquals("flags: expected R but got F.", f.message());
        assertEquals("> R 1:1(0) win 0", f.expected());
        assertEquals("> F. 1:1(0) ack 1 win 64240  at 0.150000 s", f.actual());
    }

    @Test
    void sequenceAndAckNumbers_areComparedInScriptSpace() {
        RunResult.Failure seq = failure(Comparison.RFC, CONNECTED + "+0.1 close(3) = 0\n+0 > F. 2:2(0) ack 1 win 64240\n");
        assertEquals("sequence number: expected 2 but got 1", seq.message());
        RunResult.Failure ack = failure(Comparison.RFC, CONNECTED + "+0.1 close(3) = 0\n+0 > F. 1:1(0) ack 7 win 64240\n");
        assertEquals("ack: expected 7 but got 1", ack.message());
    }

    // The rfc profile: windows and the window-scale shift are local choices; options are a set.
    @Test
    void rfcProfile_ignoresWindowShiftAndOptionOrder_linuxProfileDoesNot() {
        String freebsdStyle = CONNECTED.replace(SYN, "> S 0:0(0) win 1234 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>");
        assertPasses(Comparison.RFC, freebsdStyle);
        RunResult.Failure linux = failure(Comparison.EXACT, freebsdStyle);
        assertEquals("window: expected 1234 but got 64240", linux.message());
        RunResult.Failure order = failure(Comparison.EXACT, CONNECTED.replace(SYN,
                "> S 0:0(0) win 64240 <mss 1460,nop,wscale 7,sackOK,TS val 100 ecr 0>"));
        assertTrue(order.message().startsWith("options: expected <mss 1460,nop,wscale 7,sackOK,TS val 100 ecr 0> but got <mss 1460,sackOK,"),
                order.message());
    }

    @Test
    void rfcProfile_stillComparesMssAndMissingOrExtraOptions() {
        assertEquals("options: expected mss 1400 but got mss 1460",
                failure(Comparison.RFC, CONNECTED.replace(SYN, "> S 0:0(0) win 64240 <mss 1400,sackOK,TS val 100 ecr 0,nop,wscale 7>")).message());
        assertTrue(failure(Comparison.RFC, CONNECTED.replace(SYN, "> S 0:0(0) win 64240 <mss 1460,sackOK,nop,wscale 7>")).message()
                .startsWith("options: unexpected TS val"));
        assertPasses(Comparison.RFC, CONNECTED.replace(SYN, "> S 0:0(0) win 64240 <...>"));
    }

    // RFC 7323 §3: our TSval is learned from the script, the peer's TSecr mapped back to it; the
    // RTT sample taken from that echo (50 ms) gives Linux's RTO, SRTT + max(2·50 ms, RTO.min) = 250 ms
    // (tcp_rtt_estimator(), __tcp_set_rto()).
    @Test
    void timestampEcho_isMappedToOurLiveTsVal() {
        assertPasses(Comparison.EXACT, """
                --tolerance_usecs=10000
                0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
                +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
                +0    > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
                +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 7000 ecr 100>
                +0    > . 1:1(0) ack 1 win 64240 <nop,nop,TS val 150 ecr 7000>
                +0    %{ assert tcpi_rto == 250000 }%
                +0    %{ assert tcpi_options == TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK }%
                """);
    }

    // Several MSS-sized segments may match one large scripted one (a script written with TSO).
    @Test
    void onePacketdrillSegment_matchesConsecutiveLiveSegmentsThatTileIt() {
        assertPasses(Comparison.EXACT, CONNECTED + """
                +0    write(3, ..., 3000) = 3000
                +0    > P. 1:3001(3000) ack 1 win 64240
                +0.05 < . 1:1(0) ack 3001 win 65535
                """);
        RunResult.Failure tooLong = failure(Comparison.EXACT, CONNECTED + "+0 write(3, ..., 3000) = 3000\n+0 > P. 1:3101(3100) ack 1 win 64240\n");
        // The tiles do not add up: the first live segment is reported against the scripted one.
        assertEquals("flags: expected P. but got .", tooLong.message());
        assertEquals("> . 1:1461(1460) ack 1 win 64240  at 0.050000 s", tooLong.actual());
    }

    @Test
    void outboundNeverSent_failsSayingNothingCame() {
        RunResult.Failure f = failure(Comparison.RFC, CONNECTED + "+0.1 > F. 1:1(0) ack 1 win 64240\n");
        assertTrue(f.message().startsWith("expected an outbound packet at 0.150000 s (tolerance 0.012500 s) but the stack sent nothing"),
                f.message());
        assertEquals("(nothing)", f.actual());
    }

    // ---- time ----

    // RFC 6298 §2.1: the SYN is retransmitted after the initial RTO of 1 s, then 2 s.
    @Test
    void tolerance_isTheLargerOfTheOptionAnd12point5PercentOfTheGap() {
        String syn = "> S 0:0(0) win 64240 <...>";
        String head = "--tolerance_usecs=10000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                + "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS\n+0 " + syn + "\n";
        assertPasses(Comparison.RFC, head + "+1.0 " + syn + "\n+2.0 " + syn + "\n");
        // 1.1 s after the last event: 137.5 ms of tolerance covers the 100 ms difference.
        assertPasses(Comparison.RFC, head + "+1.1 " + syn + "\n");
        RunResult.Failure late = failure(Comparison.RFC, head + "+1.2 " + syn + "\n");
        assertTrue(late.message().startsWith("timing error: expected the outbound packet at 1.200000 s (tolerance 0.150000 s) but it was sent at 1.000000 s"),
                late.message());
    }

    @Test
    void anyTime_waitsForTheNextSegment_andRelativeTimesFollowIt() {
        assertPasses(Comparison.RFC, """
                0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
                +0 connect(3, ..., ...) = -1 EINPROGRESS
                +0 > S 0:0(0) <...>
                *  > S 0:0(0) <...>
                *  > S 0:0(0) <...>
                +4 > S 0:0(0) <...>
                """);
    }

    // ---- system calls ----

    @Test
    void blockingConnect_returnsWhenTheSynAckArrives_andIsCheckedAgainstItsEndTime() {
        String script = """
                0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0...%s connect(3, ..., ...) = 0
                +0   > S 0:0(0) <...>
                +0.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>
                +0   > . 1:1(0) ack 1
                +0   getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
                """;
        assertPasses(Comparison.RFC, script.formatted("0.1"));
        RunResult.Failure f = failure(Comparison.RFC, script.formatted("0.05"));
        assertEquals(2, f.line());
        assertTrue(f.message().startsWith("timing error: the call should return at 0.050000 s"), f.message());
    }

    // Linux tcp_syn_retries: after the last retransmission's RTO the connect fails with ETIMEDOUT.
    @Test
    void blockingConnect_synRetriesExhausted_failsWithEtimedoutAtTheRightTime() {
        assertPasses(Comparison.RFC, """
                0 `sysctl -w net.ipv4.tcp_syn_retries=1`
                +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0...3 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)
                +0 > S 0:0(0) <...>
                +1 > S 0:0(0) <...>
                """);
    }

    @Test
    void blockingCallWithoutEndTime_failsSayingItBlocked() {
        RunResult.Failure f = failure(Comparison.RFC, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 accept(3, ..., ...) = 4\n");
        assertEquals(3, f.line());
        assertEquals("(blocked)", f.actual());
    }

    // RFC 9293 §3.10.7.3: a RST,ACK acknowledging our SYN means "connection refused".
    @Test
    void refusedConnect_reportsEconnrefusedOnceThroughSoError() {
        assertPasses(Comparison.EXACT, """
                0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
                +0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
                +0 connect(3, ..., ...) = -1 EINPROGRESS
                +0 connect(3, ..., ...) = -1 EALREADY (Operation already in progress)
                +0 > S 0:0(0) <...>
                +0.01 < R. 0:0(0) ack 1 win 0
                +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
                +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
                +0 write(3, ..., 10) = -1 EPIPE
                """);
    }

    @Test
    void resultOrErrnoMismatch_failsWithBothCalls() {
        RunResult.Failure f = failure(Comparison.RFC, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n"
                + "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n+0 accept(3, ..., ...) = -1 ECONNRESET\n");
        assertEquals("returned -1 EAGAIN, the script expects -1 ECONNRESET", f.message());
        assertEquals("accept(3, ..., ...) = -1 ECONNRESET", f.expected());
        assertEquals("accept(3, ..., ...) = -1 EAGAIN", f.actual());
        assertPasses(Comparison.RFC, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n"
                + "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n+0 accept(3, ..., ...) = -1 EWOULDBLOCK\n");
    }

    @Test
    void bufferSizes_comparedByTheExactComparisonOnly() {
        String script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0\n";
        RunResult rfc = run(Comparison.RFC, script);
        assertTrue(rfc.passed());
        assertTrue(rfc.notes().contains("SO_RCVBUF is 131072 (the script expects 65700; buffer sizes are not compared in the rfc comparison)"),
                rfc.notes().toString());
        assertEquals("getsockopt: SO_RCVBUF is [131072], the script expects [65700]", failure(Comparison.EXACT, script).message());
    }

    @Test
    void socketOptionsWithoutEquivalent_areAcceptedAndReportedAsSkipped_unknownOnesFail() {
        // FreeBSD's own options exist in the freebsd profile only; elsewhere they fail as on Linux.
        String keepInit = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPINIT, [5], 4) = 0\n";
        RunResult freebsd = ScriptRunner.run("t.pkt", keepInit, Set.of(), RunOptions.of(TcpProfile.freebsd()));
        assertTrue(freebsd.passed(), () -> freebsd.failure().format());
        assertEquals(List.of(), freebsd.skipped());
        assertTrue(failure(Comparison.RFC, keepInit).message().startsWith("returned -1 ENOPROTOOPT (TCP_KEEPINIT is FreeBSD's; the linux"
                + " profile has no such option"), failure(Comparison.RFC, keepInit).message());
        assertEquals("returned -1 ENOPROTOOPT (SO_PEERCRED is not supported by this stack), the script expects 0",
                failure(Comparison.RFC, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_PEERCRED, [1], 4) = 0\n").message());
        assertEquals("system call recvmmsg() is not supported",
                failure(Comparison.RFC, "0 recvmmsg(..., 1, 0) = 0\n").message());
    }

    // ---- settings and checks ----

    // RFC 5961 §3.2 by default: a RST in the window but not at RCV.NXT gets a challenge ACK;
    // FreeBSD's insecure_rst=1 asks for RFC 793, where it resets the connection.
    @Test
    void insecureRstSysctl_mapsToRfc793RstHandling() {
        String rst = "+0.1 < R 100:100(0) win 0\n";
        assertPasses(Comparison.RFC, CONNECTED + rst + "+0 > . 1:1(0) ack 1 win 64240\n+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n");
        assertPasses(Comparison.RFC, "0 `sysctl -w net.inet.tcp.insecure_rst=1`\n" + CONNECTED.replace("0     socket", "+0    socket")
                + rst + "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n");
    }

    @Test
    void settingsWithoutEquivalent_andOtherCommands_areReportedAsSkipped() {
        RunResult r = run(Comparison.RFC, """
                0  `sysctl -w net.inet.tcp.sack.maxholes=128`
                +0 `sysctl -w net.inet.tcp.blackhole=0`
                +0 `tcpdrop -s TIME_WAIT`
                +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 listen(3, 1) = 0
                +0 `sysctl -w net.inet.tcp.insecure_rst=1`
                +0 %{ print(tcpi_state) }%
                """);
        assertTrue(r.passed(), () -> r.failure().format());
        assertEquals(4, r.skipped().size(), r.skipped().toString());
        assertTrue(r.skipped().get(0).startsWith("sysctl net.inet.tcp.sack.maxholes=128: no equivalent"), r.skipped().get(0));
        assertTrue(r.skipped().get(1).startsWith("`tcpdrop -s TIME_WAIT`: no in-process equivalent"), r.skipped().get(1));
        assertTrue(r.skipped().get(2).contains("too late, the stack is already running"), r.skipped().get(2));
        assertTrue(r.skipped().get(3).startsWith("line 7: %{ print(tcpi_state) }%"), r.skipped().get(3));
        assertTrue(r.notes().contains("sysctl net.inet.tcp.blackhole=0: this stack always behaves so"), r.notes().toString());
    }

    @Test
    void checksBeforeTheFirstSocket_doNotFreezeTheSettings() {
        RunResult r = run(Comparison.RFC, "0 `sockstat -4 -P tcp -s | grep -c LISTEN | grep 0`\n"
                + "+0 `sysctl -w net.inet.tcp.insecure_rst=1`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n");
        assertTrue(r.passed(), () -> r.failure().format());
        assertEquals(List.of(), r.skipped());
        assertEquals(List.of("sysctl net.inet.tcp.insecure_rst=1"), r.notes());
    }

    @Test
    void sockstatPipeline_countsStatesAndFailsLikeGrepWould() {
        String listen = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
                + "+0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n";
        assertPasses(Comparison.RFC, listen + "+0 `sockstat -4 -P tcp -s -p 8080 | grep -c SYN_RCVD | grep 1`\n"
                + "+0 `sockstat -4 -P tcp -s | grep packetdril | grep -c LISTEN | grep 1`\n"
                + "+0 `sockstat -4 -P tcp -s | grep packetdril | grep -c SYN_RCVD | grep 0`\n");
        RunResult.Failure f = failure(Comparison.RFC, listen + "+0 `sockstat -4 -P tcp -s -p 8080 | grep -c ESTABLISHED | grep 1`\n");
        assertTrue(f.message().contains("exits with status 1 (grep selected nothing); sockets: root     packetdrill 1     3  tcp4  "
                + "198.18.0.1:8080  *:*  LISTEN | ?        ?          ?     ?  tcp4  198.18.0.1:8080  198.18.0.2:48123  SYN_RCVD"),
                f.message());
    }

    @Test
    void tcpiStateAssertion_failsWithExpectedAndActualState() {
        RunResult.Failure f = failure(Comparison.RFC, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n"
                + "+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%\n");
        assertEquals(3, f.line());
        assertEquals("tcpi_state == TCPI_ESTABLISHED does not hold", f.message());
        assertEquals("tcpi_state == TCPI_LISTEN", f.actual());
    }

    // ---- whole scripts ----

    @Test
    void syntaxError_isAFailedResultNamingTheLine() {
        RunResult r = ScriptRunner.run("bad.pkt", "0 close(3) = 0\n+0 > Q 0:0(0)\n", Set.of(), RunOptions.of(TcpProfile.linux(), Comparison.RFC));
        assertFalse(r.passed());
        assertEquals(2, r.failure().line());
        assertTrue(r.failure().message().startsWith("syntax error: bad.pkt:2:6: unknown TCP flag 'Q'"), r.failure().message());
    }

    @Test
    void ipv6Scripts_areRefused() {
        RunResult.Failure f = failure(Comparison.RFC, "--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
        assertEquals("--ip_version=ipv6: only IPv4 scripts are supported", f.message());
    }

    @Test
    void ifdefDefines_selectTheBranch() {
        String script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n#ifdef STANDARD\n+0 close(3) = 0\n#else\n+0 close(3) = -1\n#endif\n";
        assertTrue(ScriptRunner.run("t.pkt", script, Set.of("STANDARD"), RunOptions.of(TcpProfile.linux(), Comparison.RFC)).passed());
        RunResult other = ScriptRunner.run("t.pkt", script, Set.of(), RunOptions.of(TcpProfile.linux(), Comparison.RFC));
        assertNotNull(other.failure());
        assertEquals(5, other.failure().line());
    }

    @Test
    void runsAreDeterministic() {
        String script = CONNECTED + "+0.1 close(3) = 0\n+0 > F. 1:1(0) ack 1 win 1\n";
        assertEquals(run(Comparison.EXACT, script), run(Comparison.EXACT, script));
    }
}
