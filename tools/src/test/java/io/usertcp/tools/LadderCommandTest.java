package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code usertcp ladder} through the real top-level command line: output, formats, file output,
 * connection selection, exit codes (0 / 1 / 2 as {@link UsertcpMain} documents) and the one line
 * it prints for each problem.
 */
class LadderCommandTest {
    private static final String LINUX = "/io/usertcp/wire/golden/";
    private static final String GOLDEN = "/io/usertcp/tools/ladder/";

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run usertcp(String... args) {
        CommandLine cl = UsertcpMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = LadderCommandTest.class.getResourceAsStream(path)) {
            assertNotNull(in, path);
            return in.readAllBytes();
        }
    }

    private Path copy(String resource) throws IOException {
        Path file = dir.resolve(Path.of(resource).getFileName().toString());
        Files.write(file, resource(resource));
        return file;
    }

    @Test
    void ladder_linuxCapture_printsTheTextLadderAndExitsZero() throws Exception {
        Path pcap = copy(LINUX + "tcp-handshake-data-close.pcap");
        Run r = usertcp("ladder", pcap.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertEquals(new String(resource(GOLDEN + "tcp-handshake-data-close.txt"), StandardCharsets.UTF_8), r.out());
    }

    @Test
    void ladder_formatSvgWithOutput_writesTheSvgFileAndNothingToStdout() throws Exception {
        Path pcap = copy(LINUX + "tcp-handshake-data-close.pcap");
        Path svg = dir.resolve("out.svg");
        Run r = usertcp("ladder", "--format", "svg", "--output", svg.toString(), pcap.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(new String(resource(GOLDEN + "tcp-handshake-data-close.svg"), StandardCharsets.UTF_8), Files.readString(svg));
    }

    @Test
    void ladder_formatIsCaseInsensitive_mermaid() throws Exception {
        Path pcap = copy(GOLDEN + "simultaneous-close.pcap");
        Run r = usertcp("ladder", "-f", "MERMAID", pcap.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(new String(resource(GOLDEN + "simultaneous-close.mmd"), StandardCharsets.UTF_8), r.out());
    }

    @Test
    void ladder_connectionTwo_drawsOnlyItUnderItsOwnNumber() throws Exception {
        Path pcap = copy(LINUX + "tcp-rst-closed-port.pcap");
        Run r = usertcp("ladder", "--connection", "2", pcap.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("connection 2 of 2: 198.18.0.1:40004 > 198.18.0.2:5000, 8 segments"), r.out());
        assertTrue(!r.out().contains("40003"), r.out());
    }

    @Test
    void ladder_connectionOutOfRange_exitsTwoWithOneLine() throws Exception {
        Path pcap = copy(LINUX + "tcp-rst-closed-port.pcap");
        Run r = usertcp("ladder", "--connection", "3", pcap.toString());
        assertEquals(2, r.exit());
        assertEquals("usertcp ladder: --connection 3: " + pcap + " holds 2 connections\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void ladder_missingFile_exitsTwoWithOneLine() {
        Path missing = dir.resolve("none.pcap");
        Run r = usertcp("ladder", missing.toString());
        assertEquals(2, r.exit());
        assertEquals("usertcp ladder: " + missing + ": no such file\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void ladder_directory_exitsTwoWithOneLine() {
        Run r = usertcp("ladder", dir.toString());
        assertEquals(2, r.exit());
        assertEquals("usertcp ladder: " + dir + ": is a directory (expected a pcap or pcapng file)\n", r.err());
    }

    @Test
    void ladder_notACapture_exitsOneWithOneLine() throws Exception {
        Path text = dir.resolve("notes.pcap");
        Files.writeString(text, "hello, not a capture\n");
        Run r = usertcp("ladder", text.toString());
        assertEquals(1, r.exit());
        assertEquals("usertcp ladder: " + text + ": not a pcap or pcapng file: magic 0x68656c6c\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void ladder_captureWithoutTcp_exitsOneWithOneLine() throws Exception {
        Path icmp = copy(LINUX + "icmp.pcap");
        Run r = usertcp("ladder", icmp.toString());
        assertEquals(1, r.exit());
        // 18 records: pings, record-route pings, a UDP probe with its port unreachable, fragments.
        assertEquals("usertcp ladder: " + icmp + ": no TCP segment in 18 IPv4 packets\n", r.err());
    }

    @Test
    void ladder_fileCutMidRecord_warnsAndDrawsWhatIsThere() throws Exception {
        byte[] whole = resource(LINUX + "tcp-handshake-data-close.pcap");
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 10)); // the last ACK loses its tail
        Run r = usertcp("ladder", cut.toString());
        assertEquals(0, r.exit());
        assertEquals("usertcp ladder: " + cut + ": the file ends in the middle of a record; drawing the 13 IPv4 packets before it\n",
                r.err());
        assertTrue(r.out().startsWith("connection 1 of 1: 198.18.0.1:40001 > 198.18.0.2:5000, 13 segments"), r.out());
    }

    @Test
    void ladder_unknownFormat_exitsTwoNamingTheChoices() throws Exception {
        Path pcap = copy(LINUX + "tcp-handshake-data-close.pcap");
        Run r = usertcp("ladder", "--format", "png", pcap.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("'png' (expected: text, mermaid or svg)"), r.err());
    }

    @Test
    void ladder_outputInMissingDirectory_exitsOneWithOneLine() throws Exception {
        Path pcap = copy(LINUX + "tcp-handshake-data-close.pcap");
        Path out = dir.resolve("no-such-dir").resolve("x.svg");
        Run r = usertcp("ladder", "--format", "svg", "-o", out.toString(), pcap.toString());
        assertEquals(1, r.exit());
        assertEquals("usertcp ladder: cannot write " + out + ": no such directory\n", r.err());
    }

    @Test
    void ladder_noFile_exitsTwoWithOneLineAndAHint() {
        Run r = usertcp("ladder");
        assertEquals(2, r.exit());
        assertEquals("usertcp ladder: Missing required parameter: 'FILE.pcap' (see 'usertcp ladder --help')\n", r.err());
    }

    @Test
    void ladder_help_exitsZeroAndDescribesFormatsAndExitCodes() {
        Run r = usertcp("ladder", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("Usage: usertcp ladder [-hV] [-c=N] [-f=FORMAT] [-o=FILE] FILE.pcap"), r.out());
        assertTrue(r.out().contains("text (terminal), mermaid"), r.out());
        assertTrue(r.out().contains("Exit status: 0 drawn; 1"), r.out());
    }

    @Test
    void usertcpHelp_listsLadder() {
        Run r = usertcp("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("ladder"), r.out());
    }
}
