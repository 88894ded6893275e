package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the runner does with google/packetdrill's language beyond parsing it: the {@code %{ }%}
 * evaluator, defaults.sh, fd numbers, NULL buffers, msghdr, and the UNSUPPORTED result.
 */
class LinuxDialectTest {
    private static final String CONNECTED = """
            `../common/defaults.sh`
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
               +0 setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
               +0 bind(4, ..., ...) = 0
               +0 listen(4, 1) = 0
               +0 < S 0:0(0) win 32792 <mss 1000,nop,nop,sackOK>
               +0 > S. 0:0(0) ack 1 <...>
             +.01 < . 1:1(0) ack 1 win 257
               +0 accept(4, ..., ...) = 5
            """;

    private static RunResult run(String script) {
        return ScriptRunner.run("t.pkt", script, Map.of(), RunOptions.of(TcpProfile.linux(), Comparison.RFC));
    }

    // ---- the Python evaluator ----

    private static PythonAssertions.Failed eval(String code, Map<String, Object> names) {
        List<String> skipped = new ArrayList<>();
        return PythonAssertions.run(code, names::get, skipped::add);
    }

    @Test
    void python_comparisonsArithmeticBooleansAndAssignments() {
        Map<String, Object> n = Map.of("tcpi_snd_cwnd", 10L, "tcpi_options", 7L, "TCPI_OPT_SACK", 2L);
        assertNull(eval("assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd", n));
        assertNull(eval("assert 5 < tcpi_snd_cwnd <= 10 and not tcpi_snd_cwnd == 11 # comment", n));
        assertNull(eval("assert tcpi_options & TCPI_OPT_SACK != 0, 'sack=%d' % tcpi_options", n));
        assertNull(eval("X = 0x7fffffff\nassert X - 2147483647 == 0 or tcpi_snd_cwnd * 2 // 4 == 5", n));
        assertNull(eval("assert (tcpi_snd_cwnd + 2) * 3 == 36; assert -tcpi_snd_cwnd % 3 == 2", n));
        PythonAssertions.Failed f = eval("assert tcpi_snd_cwnd == 12, tcpi_snd_cwnd", n);
        assertEquals("tcpi_snd_cwnd == 12", f.statement());
        assertEquals("tcpi_snd_cwnd == 10", f.values());
        assertNull(eval("assert tcpi_state == TCP_ESTABLISHED", Map.of("tcpi_state", TcpState.ESTABLISHED,
                "TCP_ESTABLISHED", TcpState.ESTABLISHED)));
    }

    @Test
    void python_backslashJoinsLines_asInTheCorpusTwoAssertBlocks() {
        // user-timeout-probe.pkt, tcp-info-rwnd-limited.pkt: "assert a, a; \" then "assert b, b" on the next line.
        Map<String, Object> n = Map.of("tcpi_probes", 0L, "tcpi_backoff", 0L);
        assertNull(eval("assert tcpi_probes == 0, tcpi_probes; \\\n      assert tcpi_backoff == 0, tcpi_backoff", n));
        PythonAssertions.Failed f = eval("assert tcpi_probes == 0, tcpi_probes;\\\nassert tcpi_backoff == 1, tcpi_backoff\\\n", n);
        assertEquals("tcpi_backoff == 1", f.statement());
        // tcp-info-rwnd-limited.pkt ends its block with ";\" right before "}%": nothing follows the backslash.
        assertNull(eval("assert tcpi_probes == 0, tcpi_probes;\\\n  assert tcpi_backoff == 0, tcpi_backoff;\\", n));
    }

    @Test
    void python_variablesLiveAcrossBlocks_andAugmentedAssignment() {
        Map<String, Object> locals = new java.util.HashMap<>();
        List<String> skipped = new ArrayList<>();
        assertNull(PythonAssertions.run("cwnd = 10", Map.of("tcpi_snd_cwnd", 10L)::get, locals, skipped::add));
        assertNull(PythonAssertions.run("print(tcpi_snd_cwnd); cwnd += 10; assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd",
                Map.of("tcpi_snd_cwnd", 20L)::get, locals, skipped::add));
        assertEquals(20L, locals.get("cwnd"));
        assertEquals(1, skipped.size());
    }

    @Test
    void codeBlocks_runAfterTheOtherEvents_asPacketdrillRunsThem() {
        // the block's assertion fails, but the packet mismatch after it is what packetdrill reports
        RunResult r = run(CONNECTED + "+0 %{ assert tcpi_snd_cwnd == 11 }%\n+0 write(5, ..., 10) = 10\n+0 > P. 1:11(10) ack 2\n");
        assertEquals(RunResult.Status.FAIL, r.status());
        assertTrue(r.failure().message().startsWith("ack: expected 2"), r.failure().message());
        // TCP_INFO as it was at the block's time, not at the end
        RunResult later = run(CONNECTED + "+0 %{ assert tcpi_snd_cwnd == 10 and tcpi_state == TCP_ESTABLISHED }%\n+0 close(5) = 0\n"
                + "+0 > F. 1:1(0) ack 1\n");
        assertTrue(later.passed(), () -> later.failure().format());
    }

    @Test
    void python_unknownNamesStatementsAndCalls_areUnsupported() {
        Map<String, Object> n = Map.of("tcpi_snd_cwnd", 10L);
        assertEquals("tcpi_ca_state", assertThrows(PythonAssertions.Unsupported.class,
                () -> eval("assert tcpi_ca_state == 0", n)).getMessage());
        assertTrue(assertThrows(PythonAssertions.Unsupported.class, () -> eval("import os", n)).getMessage().contains("import os"));
        assertTrue(assertThrows(PythonAssertions.Unsupported.class, () -> eval("assert hystart_update(1) == 1", n))
                .getMessage().contains("hystart_update"));
        assertThrows(PythonAssertions.Unsupported.class, () -> eval("assert tcpi_snd_cwnd // 0 == 1", n));
        assertThrows(PythonAssertions.Unsupported.class, () -> eval("assert (tcpi_snd_cwnd == 1", n));
    }

    // ---- whole scripts ----

    @Test
    void tcpInfo_cwndAndMssFromTheConnection_andUnknownFieldsAreUnsupported() {
        // tcpi_snd_mss: the SYN's MSS of 1000, bounded by the 257-byte window of the handshake's ACK, all of it since it is
        // below 536 (tcp_sync_mss(), tcp_bound_to_half_wnd(); the kernel reports 257 for this script too)
        RunResult ok = run(CONNECTED + "+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\nassert tcpi_snd_mss == 257 }%\n");
        assertTrue(ok.passed(), () -> ok.failure().format());
        RunResult wrong = run(CONNECTED + "+0 %{ assert tcpi_snd_cwnd == 11 }%\n");
        assertEquals(RunResult.Status.FAIL, wrong.status());
        assertEquals("tcpi_snd_cwnd == 11 does not hold", wrong.failure().message());
        RunResult unknown = run(CONNECTED + "+0 %{ assert tcpi_delivery_rate == 0 }%\n");
        assertEquals(RunResult.Status.UNSUPPORTED, unknown.status());
        assertTrue(unknown.failure().format().contains("unsupported: tcpi_delivery_rate"), unknown.failure().format());
        RunResult info = run(CONNECTED + "+0 %{ assert tcpi_ca_state == TCP_CA_Open; assert tcpi_unacked == 0; "
                + "assert tcpi_reordering == 3; assert tcpi_advmss == 1460 }%\n");
        assertTrue(info.passed(), () -> info.failure().format());
    }

    @Test
    void defaultsSh_appliesTheSysctlsItKnows_andReportsTheOthers() {
        RunResult r = run(CONNECTED);
        assertTrue(r.passed(), () -> r.failure().format());
        assertTrue(r.notes().stream().anyMatch(s -> s.startsWith("defaults.sh: sysctl net.ipv4.tcp_rmem=")), r.notes().toString());
        assertTrue(r.notes().contains("defaults.sh: sysctl net.ipv4.tcp_slow_start_after_idle=0"), r.notes().toString());
        assertTrue(r.skipped().stream().anyMatch(s -> s.startsWith("defaults.sh: sysctl net.ipv4.tcp_frto=2")), r.skipped().toString());
    }

    @Test
    void shellText_linesContinuationsCommentsAndSeparators() {
        assertEquals(List.of("../common/defaults.sh", "sysctl -q net.ipv4.tcp_ecn=1", "a", "b",
                        "set_sysctls.py /proc/sys/net/ipv4/x=0   /proc/sys/net/ipv4/y=1"),
                ShellCommands.simpleCommands("../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1  # fully enabled\na; b\n"
                        + "set_sysctls.py /proc/sys/net/ipv4/x=0 \\\n /proc/sys/net/ipv4/y=1\\"));
    }

    // open() and sendfile() over the files a script's shell lines make (sendfile/sendfile-simple.pkt): `dd` of zeros
    // makes one in memory, sendfile writes from it as write() would and moves the file's offset when given none,
    // returns 0 at its end, and a socket is no file to send from; opening any other path is unsupported.
    @Test
    void sendfile_fromAFileTheScriptMade() {
        RunResult r = run("`dd bs=10 count=3 if=/dev/zero of=/tmp/f status=none`\n" + CONNECTED
                + "+0 open(\"/tmp/f\", O_RDONLY) = 6\n"
                + "+0 sendfile(5, 6, NULL, 20) = 20\n"
                + "+0 > P. 1:21(20) ack 1\n"
                + "+0 sendfile(5, 6, NULL, 20) = 10\n"
                + "+0 sendfile(5, 6, [25], 20) = 5\n"
                + "+0 sendfile(5, 6, NULL, 20) = 0\n"
                + "+0 sendfile(5, 4, NULL, 20) = -1 EINVAL (Invalid argument)\n");
        assertTrue(r.passed(), () -> r.failure().format());
        RunResult other = run(CONNECTED + "+0 open(\"/tmp/other\", O_RDONLY) = 6\n");
        assertEquals(RunResult.Status.UNSUPPORTED, other.status(), "a host file: the runner cannot know it");
        assertTrue(other.failure().format().contains("only the files the script's shell lines make"), other.failure().format());
    }

    @Test
    void outboundIcmpUrgentAndFlaggedSends_areUnsupported_notFailures() {
        for (String line : List.of("+0 > icmp unreachable frag_needed mtu 800",
                "+0 < U. 1:11(10) ack 1 win 257 urg 10", "+0 send(5, ..., 10, 1) = 10", // MSG_OOB: no urgent data
                "+0 `tc qdisc replace dev tun0 root pfifo limit 0`", "+0 `tc qdisc replace dev tun0 root fq`")) {
            RunResult r = run(CONNECTED + line + "\n");
            assertEquals(RunResult.Status.UNSUPPORTED, r.status(), line);
            assertEquals(10, r.failure().line(), line);
        }
    }

    // RFC 2385 as Linux 6.x checks it (tcp_inbound_hash()): a signature where no key is configured is dropped
    // (TcpExtTCPMD5Unexpected), so the data never arrives; the same segment without the option is read.
    @Test
    void inboundMd5Option_withoutAKey_isDropped() {
        RunResult signed = run(CONNECTED + "+0 fcntl(5, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                + "+0 < P. 1:11(10) ack 1 win 257 <md5 000102030405060708090a0b0c0d0e0f,nop,nop>\n"
                + "+0 read(5, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n");
        assertEquals(RunResult.Status.PASS, signed.status(), () -> signed.failure().format());
        RunResult plain = run(CONNECTED + "+0 < P. 1:11(10) ack 1 win 257\n+0 read(5, ..., 100) = 10\n");
        assertEquals(RunResult.Status.PASS, plain.status(), () -> plain.failure().format());
    }

    // setsockopt(TCP_MD5SIG) with struct tcp_md5sig: a listener with a key for the script's address drops its
    // unsigned SYN unanswered (TcpExtTCPMD5NotFound); without the key the same SYN is answered, and the script fails.
    @Test
    void md5sigOnAListener_unsignedSynIsNotAnswered() {
        String script = """
                `../common/defaults.sh`
                    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
                %s   +0 bind(3, ..., ...) = 0
                   +0 listen(3, 1) = 0
                   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
                %s   +1 close(3) = 0
                """;
        String key = "   +0 setsockopt(3, IPPROTO_TCP, TCP_MD5SIG, {tcpm_addr=..., tcpm_keylen=6, tcpm_key=\"secret\"}, 216) = 0\n";
        String synAck = "   +0 > S. 0:0(0) ack 1 <...>\n";
        RunResult keyed = run(script.formatted(key, ""));
        assertEquals(RunResult.Status.PASS, keyed.status(), () -> keyed.failure().format());
        RunResult keyedExpectingSynAck = run(script.formatted(key, synAck));
        assertEquals(RunResult.Status.FAIL, keyedExpectingSynAck.status(), "no SYN,ACK comes");
        RunResult unkeyed = run(script.formatted("", synAck));
        assertEquals(RunResult.Status.PASS, unkeyed.status(), () -> unkeyed.failure().format());
    }

    // A client with a key signs its SYN (md5 first, no timestamps: Linux tcp_syn_options()); the script's unsigned
    // SYN,ACK is dropped, so the SYN goes again after the initial RTO. A key too long is EINVAL (tcp_v4_parse_md5_keys()).
    @Test
    void md5sigOnAClient_signsTheSyn_andDropsAnUnsignedSynAck() {
        RunResult r = run("""
                `../common/defaults.sh`
                    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
                   +0 setsockopt(3, IPPROTO_TCP, TCP_MD5SIG_EXT, {tcpm_addr=..., tcpm_keylen=81, tcpm_key="x"}, 216) = -1 EINVAL (Invalid argument)
                   +0 setsockopt(3, IPPROTO_TCP, TCP_MD5SIG_EXT, {tcpm_addr={sin_addr=inet_addr("192.0.2.1")}, tcpm_flags=1, tcpm_prefixlen=24, tcpm_keylen=6, tcpm_key="secret"}, 216) = 0
                   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
                   +0 > S 0:0(0) <nop,nop,md5,mss 1460,nop,nop,sackOK,nop,wscale 8>
                   +0 < S. 0:0(0) ack 1 win 65535 <mss 1460>
                   +1 > S 0:0(0) <nop,nop,md5,mss 1460,nop,nop,sackOK,nop,wscale 8>
                """);
        assertEquals(RunResult.Status.PASS, r.status(), () -> r.failure().format());
    }

    // TCP Fast Open is emulated (io.usertcp.tcp.FastOpen): FO options are sent and matched, a Fast Open option on a
    // segment without SYN means nothing (Linux parses it on SYNs only), TCP_FASTOPEN is refused on a connected socket.
    @Test
    void fastOpenOptionsAndSocketOptions_areEmulated() {
        RunResult r = run(CONNECTED + """
                +0 < P. 1:11(10) ack 1 win 257 <FO 1234abcd,nop,nop>
                +0 read(5, ..., 10) = 10
                +0 setsockopt(5, SOL_TCP, TCP_FASTOPEN, [1], 4) = -1 EINVAL (Invalid argument)
                """);
        assertTrue(r.passed(), () -> r.failure().format());
    }

    @Test
    void nullBufferIsEfault_andMsghdrSendsTheIovecTotal() {
        RunResult r = run(CONNECTED + """
                +0 write(5, NULL, 1000) = -1 EFAULT (Bad address)
                +0 sendmsg(5, {msg_name(...)=..., msg_iov(3)=[{..., 0}, {..., 40}, {..., 20}], msg_flags=0}, 0) = 60
                +0 > P. 1:61(60) ack 1
                """);
        assertTrue(r.passed(), () -> r.failure().format());
    }

    /** Bad input never crashes (DESIGN.md §7): the corpus's scripts, mutated, parse or fail with a line and a column. */
    @Test
    void mutatedCorpusScripts_parseOrGiveASyntaxErrorWithLineAndColumn() throws java.io.IOException {
        java.nio.file.Path root = LinuxCorpusTest.locate();
        java.util.Random random = new java.util.Random(13); // fixed: the same mutations every run
        String alphabet = "<>()[]{}=,.:`%\"'+-*~|&!#\n 0123456789abxyzSFPRWE";
        int errors = 0;
        for (String script : LinuxCorpusTest.allScripts(root)) {
            String text = ConformanceCorpus.read(root, script);
            for (int i = 0; i < 20; i++) {
                StringBuilder m = new StringBuilder(text);
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    int at = random.nextInt(m.length() + 1);
                    switch (random.nextInt(3)) {
                        case 0 -> m.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                        case 1 -> m.delete(at, Math.min(m.length(), at + 1));
                        default -> m.setLength(at);
                    }
                }
                try {
                    ScriptParser.parse(script, m.toString(), Map.of("CODE", "host_unreachable"));
                } catch (PacketdrillSyntaxException e) {
                    errors++;
                    assertTrue(e.line() >= 1 && e.column() >= 1, e.getMessage());
                }
            }
        }
        assertTrue(errors > 100, "the mutations should break scripts: " + errors);
    }

    @Test
    void runResult_statusAndFailureAgree() {
        RunResult.Failure f = new RunResult.Failure(3, "x", "what", null, null, true);
        assertEquals("line 3: unsupported: what\n  script:   x", f.format());
        assertThrows(IllegalArgumentException.class, () -> new RunResult("t", f, List.of(), List.of(), RunResult.Status.FAIL));
        assertEquals(RunResult.Status.FAIL, new RunResult("t", new RunResult.Failure(1, null, "m", null, null), List.of(), List.of()).status());
    }
}
