package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code usertcp packetdrill}: output per script and the exit status (0 all pass, 1 some fail, 2 usage). */
class PacketdrillCommandTest {
    /** A handshake and close as the stack plays it (RFC 9293 §3.5, §3.6), exact under the linux profile. */
    private static final String PASSING = """
            --tolerance_usecs=10000
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
            +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
            +0    > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 2>
            +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
            +0    > . 1:1(0) ack 1 win 65535
            +0.1  close(3) = 0
            #ifdef BROKEN
            +0    > R 1:1(0) win 0
            #else
            +0    > F. 1:1(0) ack 1 win 65535
            #endif
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = UsertcpMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void passingScript_printsPass_exitsZero() throws IOException {
        Path p = script("ok.pkt", PASSING);
        assertEquals(0, run("packetdrill", "--profile", "linux", p.toString()));
        assertEquals("PASS " + p + "\n1 passed, 0 failed (linux profile)\n", out.toString());
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
        assertTrue(lines[4].startsWith("  actual:   > F. 1:1(0) ack 1 win 65535  at 0.150000 s"), lines[4]);
        assertEquals("0 passed, 1 failed (rfc profile, defined: BROKEN)", lines[5]);
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
        assertTrue(text.endsWith("1 passed, 1 failed (rfc profile)\n"), text);
    }

    @Test
    void unknownProfileOrMissingFile_isAUsageError_exitTwo() throws IOException {
        Path p = script("ok.pkt", PASSING);
        assertEquals(2, run("packetdrill", "--profile", "bsd", p.toString()));
        assertTrue(err.toString().contains("--profile bsd: expected rfc or linux"), err.toString());
        assertEquals(2, run("packetdrill", dir.resolve("missing.pkt").toString()));
        assertTrue(err.toString().contains("missing.pkt: no such file or directory"), err.toString());
        assertEquals(2, run("packetdrill"));
    }

    @Test
    void syntaxError_isAFailedScriptWithItsLocation() throws IOException {
        Path p = script("syntax.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0 win 1\n");
        assertEquals(1, run("packetdrill", p.toString()));
        assertTrue(out.toString().contains("  line 2: syntax error: " + p + ":2:14: expected \")\", found \"win\""), out.toString());
    }
}
