package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp packetdrill}: output per script and the exit status (0 all pass, 1 some fail, 2
 * usage); {@code --profile} chooses the stack's behaviour, {@code --compare} the strictness.
 */
class PacketdrillCommandTest {
    /** A handshake and close as the stack plays it (RFC 9293 §3.5, §3.6), exact under the linux profile. */
    private static final String PASSING = """
            --tolerance_usecs=10000
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
            +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
            +0    > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
            +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
            +0    > . 1:1(0) ack 1 win 64240
            +0.1  close(3) = 0
            #ifdef BROKEN
            +0    > R 1:1(0) win 0
            #else
            +0    > F. 1:1(0) ack 1 win 64240
            #endif
            """;

    /**
     * A SYN,ACK reaching a listener, then a SYN. RFC 9293 §3.10.7.2 (linux, rfc): the SYN,ACK is
     * answered with <SEQ=SEG.ACK><CTL=RST>, which the script does not expect; FreeBSD's tcp_input
     * drops it silently (the FreeBSD suite's rcv-syn-ack-listen), so only the freebsd profile passes.
     */
    private static final String SYN_ACK_TO_LISTENER = """
            --tolerance_usecs=10000
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
            +0    bind(3, ..., ...) = 0
            +0    listen(3, 1) = 0
            +0.1  < S. 0:0(0) ack 34 win 32767
            +1    < S 0:0(0) win 32767 <mss 1460>
            +0    > S. 0:0(0) ack 1 win 64240 <mss 1460>
            +0    close(3) = 0
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CapturedCommand.run(out, err, args);
    }

    private Path script(String name, String text) throws IOException {
        return CapturedCommand.script(dir, name, text);
    }

    @Test
    void passingScript_printsPass_exitsZero() throws IOException {
        Path p = script("ok.pkt", PASSING);
        assertEquals(0, run("packetdrill", "--profile", "linux", p.toString()));
        assertEquals("PASS " + p + "\n1 passed, 0 failed (linux profile, exact comparison)\n", out.toString());
    }

    @Test
    void failingScript_printsFirstMismatchAsExpectedAndActual_exitsOne() throws IOException {
        Path p = script("bad.pkt", PASSING);
        assertEquals(1, run("packetdrill", "-D", "BROKEN", p.toString()));
        String[] lines = out.toString().split("\n");
        assertEquals("FAIL " + p, lines[0]);
        assertEquals("  line 10: flags: expected R but got F.", lines[1]);
        assertEquals("  script:   +0    > R 1:1(0) win 0", lines[2]);
        assertEquals("  expected: > R 1:1(0) win 0", lines[3]);
        assertTrue(lines[4].startsWith("  actual:   > F. 1:1(0) ack 1 win 64240  at 0.150000 s"), lines[4]);
        assertEquals("0 passed, 1 failed (linux profile, exact comparison, defined: BROKEN)", lines[5]);
    }

    @Test
    void directory_runsEveryScriptUnderIt_inPathOrder() throws IOException {
        Path a = script("sub/a.pkt", PASSING);
        Path b = script("sub/deeper/b.pkt", PASSING.replace("close(3) = 0", "close(3) = -1"));
        script("sub/readme.txt", "not a script");
        assertEquals(1, run("packetdrill", "--verbose", dir.resolve("sub").toString()));
        String text = out.toString();
        assertTrue(text.startsWith("PASS " + a + "\n"), text);
        assertTrue(text.contains("FAIL " + b + "\n  line 8: returned 0, the script expects -1\n"), text);
        assertTrue(text.endsWith("1 passed, 1 failed (linux profile, exact comparison)\n"), text);
    }

    @Test
    void unknownProfileOrComparisonOrMissingFile_isAUsageError_exitTwo() throws IOException {
        Path p = script("ok.pkt", PASSING);
        assertEquals(2, run("packetdrill", "--profile", "bsd", p.toString()));
        assertEquals("usertcp packetdrill: --profile bsd: expected linux, rfc or freebsd\n", err.toString());
        assertEquals("", out.toString(), "no script ran");
        err.getBuffer().setLength(0);
        assertEquals(2, run("packetdrill", "--compare", "linux", p.toString()));
        assertEquals("usertcp packetdrill: --compare linux: expected exact or rfc\n", err.toString());
        assertEquals("", out.toString(), "no script ran");
        assertEquals(2, run("packetdrill", dir.resolve("missing.pkt").toString()));
        assertTrue(err.toString().contains("missing.pkt: no such file or directory"), err.toString());
        assertEquals(2, run("packetdrill"));
    }

    @Test
    void profile_choosesTheStacksBehaviour_synAckToAListenerIsResetByLinuxAndRfc_droppedByFreebsd() throws IOException {
        Path p = script("syn-ack-to-listener.pkt", SYN_ACK_TO_LISTENER);
        assertEquals(0, run("packetdrill", "--profile", "freebsd", p.toString()));
        assertEquals("PASS " + p + "\n1 passed, 0 failed (freebsd profile, rfc comparison)\n", out.toString());
        for (String profile : new String[] {"linux", "rfc"}) {
            out.getBuffer().setLength(0);
            assertEquals(1, run("packetdrill", "--profile", profile, p.toString()), profile);
            String[] lines = out.toString().split("\n");
            assertEquals("FAIL " + p, lines[0]);
            assertEquals("  line 8: flags: expected S. but got R", lines[1]);
            assertTrue(lines[4].startsWith("  actual:   > R 34:34(0) win 0  at 0.100000 s"), lines[4]);
            String compare = profile.equals("linux") ? "exact" : "rfc";
            assertEquals("0 passed, 1 failed (" + profile + " profile, " + compare + " comparison)", lines[5]);
        }
        // any case, as TcpProfile.of reads it
        out.getBuffer().setLength(0);
        assertEquals(0, run("packetdrill", "--profile", "FreeBSD", p.toString()));
    }

    @Test
    void compare_choosesTheStrictness_byDefaultExactForLinuxAndRfcOtherwise() throws IOException {
        // the stack offers window 64240 (linux) or 65535 in its SYN; the window is a local choice the rfc comparison leaves out
        Path p = script("window.pkt", PASSING.replace("> S 0:0(0) win 64240", "> S 0:0(0) win 5840"));
        String[][] cases = {
            {"1", "linux profile, exact comparison"},
            {"0", "linux profile, rfc comparison", "--compare", "rfc"},
            {"0", "rfc profile, rfc comparison", "--profile", "rfc"},
            {"1", "rfc profile, exact comparison", "--profile", "rfc", "--compare", "exact"},
            {"0", "freebsd profile, rfc comparison", "--profile", "freebsd"},
            {"1", "freebsd profile, exact comparison", "--compare", "EXACT", "--profile", "freebsd"},
        };
        for (String[] c : cases) {
            out.getBuffer().setLength(0);
            List<String> args = new ArrayList<>(List.of("packetdrill"));
            args.addAll(List.of(c).subList(2, c.length));
            args.add(p.toString());
            assertEquals(Integer.parseInt(c[0]), run(args.toArray(String[]::new)), args + ": " + out);
            assertTrue(out.toString().endsWith((c[0].equals("0") ? "1 passed, 0 failed (" : "0 passed, 1 failed (") + c[1] + ")\n"),
                    args + ": " + out);
            if (c[0].equals("1")) {
                // linux offers half its 128 KiB buffer in whole segments (64240), rfc and freebsd 65535
                String window = c[1].startsWith("linux") ? "64240" : "65535";
                assertTrue(out.toString().contains("  line 5: window: expected 5840 but got " + window + "\n"), out.toString());
            }
        }
    }

    @Test
    void help_namesBothOptions() {
        assertEquals(0, run("packetdrill", "--help"));
        for (String word : new String[] {"--profile=linux|rfc|freebsd", "--compare=exact|rfc", "Exit codes:"}) {
            assertTrue(out.toString().contains(word), word + " missing from:\n" + out);
        }
    }

    @Test
    void syntaxError_isAFailedScriptWithItsLocation() throws IOException {
        Path p = script("syntax.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0 win 1\n");
        assertEquals(1, run("packetdrill", p.toString()));
        assertTrue(out.toString().contains("  line 2: syntax error: " + p + ":2:14: expected \")\", found \"win\""), out.toString());
    }

    @Test
    void expectedList_countsListedStatusesAsExpected_exitsZeroUntilAStatusChanges() throws IOException {
        Path ok = script("corpus/gtests/a/ok.pkt", PASSING);
        Path bad = script("corpus/gtests/a/bad.pkt", PASSING.replace("close(3) = 0", "close(3) = -1"));
        Path icmp = script("corpus/gtests/b/icmp.pkt", PASSING.replace("+0.1  close(3) = 0",
                "+0.1  > icmp unreachable frag_needed mtu 800"));
        Path list = script("expected.txt", "# known\ngtests/a/bad.pkt  FAIL  close() returns 0 where the script expects -1\n"
                + "gtests/b/icmp.pkt  UNSUPPORTED  an ICMP error sent by the stack is not matched by the runner\n");
        assertEquals(0, run("packetdrill", "--expected", list.toString(), dir.resolve("corpus").toString()));
        String text = out.toString();
        assertTrue(text.contains("PASS " + ok + "\n"), text);
        assertTrue(text.contains("FAIL " + bad + " (as listed)\n"), text);
        assertTrue(text.contains("UNSUPPORTED " + icmp + " (as listed)\n  line 8: unsupported: ICMP out"), text);
        assertTrue(text.endsWith("1 passed, 1 failed, 1 unsupported (linux profile, exact comparison)\n"
                + "every script as " + list + " lists it\n"), text);

        out.getBuffer().setLength(0);
        Files.writeString(list, "gtests/a/bad.pkt  FAIL  close() returns 0 where the script expects -1\n");
        assertEquals(1, run("packetdrill", "--expected", list.toString(), dir.resolve("corpus").toString()));
        assertTrue(out.toString().contains("UNSUPPORTED " + icmp + " (listed: PASS)\n"), out.toString());
        assertTrue(out.toString().endsWith("1 script(s) not as " + list + " lists them\n"), out.toString());

        Files.writeString(list, "not a list\n");
        assertEquals(2, run("packetdrill", "--expected", list.toString(), ok.toString()));
        assertTrue(err.toString().contains("line 1: expected \"path.pkt  [FAIL|UNSUPPORTED]  reason\""), err.toString());
    }

    @Test
    void packetdrillFlags_definesWithValuesAndTolerance() throws IOException {
        Path p = script("code.pkt", PASSING.replace("--tolerance_usecs=10000\n", "").replace("+0    > F. 1:1(0) ack 1 win 64240",
                "+0.004 > F. 1:1(0) ack 1 win 64240").replace("#ifdef BROKEN", "#ifdef WHAT").replace("> R 1:1(0) win 0", "> WHAT 1:1(0) win 0"));
        assertEquals(0, run("packetdrill", "--tolerance_usecs=5000", "--ip_version=ipv4", "--local_ip=192.168.0.1",
                "--remote_ip=192.0.2.1", p.toString()));
        out.getBuffer().setLength(0);
        assertEquals(1, run("packetdrill", "--tolerance_usecs=1000", p.toString()));
        assertTrue(out.toString().contains("timing error"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(1, run("packetdrill", "--tolerance_usecs=5000", "-D", "WHAT=R", p.toString()));
        assertTrue(out.toString().contains("  line 9: flags: expected R but got F."), out.toString());
    }
}
