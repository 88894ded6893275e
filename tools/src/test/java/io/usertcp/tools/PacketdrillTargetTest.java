package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code usertcp packetdrill --target stack|kernel|both}: the stack by default, the real kernel in
 * a namespace of its own (needs root and TUN: under {@code CI=true} these tests must run), or both
 * with the first event where they diverge.
 */
class PacketdrillTargetTest {
    /** A passive open whose SYN-ACK (line 6) options are not compared: passes on Linux and on every profile. */
    private static final String HANDSHAKE;

    static {
        try (var in = PacketdrillTargetTest.class.getResourceAsStream("/io/usertcp/packetdrill/kernel/passive-open-any-options.pkt")) {
            HANDSHAKE = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anUnknownTargetIsAUsageError(@TempDir Path dir) throws IOException {
        Path script = CapturedCommand.script(dir, "handshake.pkt", HANDSHAKE);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = CapturedCommand.run(out, err, "packetdrill", "--target", "freebsd", script.toString());
        assertEquals(UsertcpMain.EXIT_USAGE, exit, err::toString);
        assertEquals("usertcp packetdrill: --target freebsd: expected stack, kernel or both", err.toString().strip());
    }

    @Test
    void theStackTargetIsTheDefault(@TempDir Path dir) throws IOException {
        Path script = CapturedCommand.script(dir, "handshake.pkt", HANDSHAKE);
        StringWriter defaultOut = new StringWriter();
        StringWriter stackOut = new StringWriter();
        assertEquals(0, CapturedCommand.run(defaultOut, new StringWriter(), "packetdrill", script.toString()));
        assertEquals(0, CapturedCommand.run(stackOut, new StringWriter(), "packetdrill", "--target", "stack", script.toString()));
        assertEquals(defaultOut.toString(), stackOut.toString());
        assertEquals("PASS " + script + "\n1 passed, 0 failed (linux profile, exact comparison)\n", stackOut.toString());
    }

    @Test
    void theKernelTargetPlaysTheScriptAgainstLinuxWithTheSameLinesAndJson(@TempDir Path dir) throws IOException {
        ToolsTunSupport.requireTun();
        Path script = CapturedCommand.script(dir, "handshake.pkt", HANDSHAKE);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, CapturedCommand.run(out, err, "packetdrill", "--target", "kernel", "--json", "-", script.toString()),
                () -> out + "\n" + err);
        assertTrue(err.toString().startsWith("PASS " + script + "\n"), err::toString);
        assertTrue(err.toString().contains("1 passed, 0 failed (the Linux kernel, exact comparison)"), err::toString);
        assertTrue(out.toString().contains("\"target\": \"kernel\""), out::toString);
        assertTrue(out.toString().contains("\"status\": \"PASS\""), out::toString);
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void bothShowsWhereTheKernelAndTheFreeBsdProfileFirstDiverge(@TempDir Path dir) throws IOException {
        ToolsTunSupport.requireTun();
        Path script = CapturedCommand.script(dir, "handshake.pkt", HANDSHAKE);
        InJvmCommand.Printed printed = InJvmCommand.run("packetdrill", "--target", "both", "--profile", "freebsd", script.toString());
        String text = printed.out();
        assertEquals(UsertcpMain.EXIT_FAILED, printed.exit(), () -> text + printed.err());
        assertTrue(text.startsWith("PASS " + script + "  (kernel: PASS)\n"), text);
        assertTrue(text.contains("\n  the kernel and the stack diverge at line 6: +0 > S. 0:0(0) ack 1 <...>\n"), text);
        assertTrue(text.matches("(?s).*\n    kernel: > S\\. 0:0\\(0\\) ack 1 win \\d+ <mss 1460,nop,nop,sackOK,nop,wscale \\d+>\n.*"),
                text);
        assertTrue(text.matches("(?s).*\n    stack:  > S\\. 0:0\\(0\\) ack 1 win \\d+ <mss 1460,nop,wscale \\d+,sackOK.*>\n.*"), text);
        assertTrue(text.endsWith("the kernel and the stack diverge on 1 of 1 script(s)\n"), text);
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void bothWritesTheKernelsRunAndTheDivergenceInTheJson(@TempDir Path dir) throws IOException {
        ToolsTunSupport.requireTun();
        Path script = CapturedCommand.script(dir, "handshake.pkt", HANDSHAKE);
        InJvmCommand.Printed printed = InJvmCommand.run("packetdrill", "--target", "both", "--profile", "freebsd", "--json", "-",
                script.toString());
        String json = printed.out();
        assertEquals(UsertcpMain.EXIT_FAILED, printed.exit(), () -> json + printed.err());
        assertTrue(json.contains("\"target\": \"both\""), json);
        assertTrue(json.matches("(?s).*\"kernel\": \\{\\s*\"status\": \"PASS\",\\s*\"failure\": null\\s*}.*"), json);
        assertTrue(json.matches("(?s).*\"divergence\": \\{\\s*\"line\": 6,.*\"kernel\": \"> S\\. 0:0\\(0\\) ack 1 win .*"), json);
        ToolsTunSupport.assertNoNamespaceLeft();
    }
}
