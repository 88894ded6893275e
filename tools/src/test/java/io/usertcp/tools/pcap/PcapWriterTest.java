package io.usertcp.tools.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.PcapFile;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.tools.pcap.TwoStackCaptures.Copied;
import io.usertcp.tools.pcap.TwoStackCaptures.Copier;
import io.usertcp.wire.TcpdumpFormatter;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * {@link PcapWriter} and {@link PcapTap}: a capture taken at stack A during a scripted exchange
 * with stack B is read back by three independent readers (pcap4j/libpcap, the stack's test-kit
 * {@link PcapFile}, our {@link PcapReader}) and by tcpdump, and each sees the same datagrams in the
 * same order with the stack clock's timestamps.
 */
class PcapWriterTest {
    @TempDir
    Path dir;

    /** Runs the handshake-data-close script with a tap and a byte copier at A. */
    private List<Copied> capture(Path file, PcapWriter.Precision precision) throws IOException {
        Copier copier = new Copier();
        try (PcapTap tap = PcapTap.open(file, precision, TwoStackCaptures.EPOCH_OFFSET_NANOS)) {
            try (TwoStacks net = TwoStackCaptures.twoStacks(new io.usertcp.tools.demo.ObserverFanOut(tap, copier), ConnectionObserver.NONE)) {
                TwoStackCaptures.handshakeDataClose(net);
            }
            assertEquals(copier.copies.size(), tap.packetCount());
        }
        return copier.copies;
    }

    @Test
    void tapAtA_handshakeDataClose_pcap4jReadsSamePacketsInOrderWithMicrosecondTimes() throws Exception {
        Path file = dir.resolve("a.pcap");
        List<Copied> sent = capture(file, PcapWriter.Precision.MICRO);
        // What A sent and received, in order: the handshake, hello, B's quick ACK of it (the first data
        // of the connection, Linux's quick ACK mode), world!, A's quick ACK of it, then the close. A sent
        // hello right after the handshake, before any data came: Linux tcp_event_data_sent() counts a
        // write as a reply (ping-pong mode, delayed ACKs) only within icsk_ack.ato of data received, and
        // ato is 0 until the first data arrives (tcp_event_data_recv()), so world! is ACKed at once.
        assertEquals(List.of("out S", "in S.", "out .", "out P.", "in .", "in P.", "out .", "out F.", "in .", "in F.", "out ."),
                sent.stream().map(PcapWriterTest::flags).toList());

        // pcap-savefile(5): magic a1b2c3d4 in host order (little-endian here), v2.4, snaplen, LINKTYPE_RAW.
        ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file), 0, 24).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xA1B2C3D4, header.getInt(0));
        assertEquals(2, header.getShort(4));
        assertEquals(4, header.getShort(6));
        assertEquals(PcapWriter.SNAPLEN, header.getInt(16));
        assertEquals(PcapWriter.LINKTYPE_RAW, header.getInt(20));

        PcapHandle handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.MICRO);
        try {
            assertEquals(DataLinkType.RAW, handle.getDlt());
            for (int i = 0; i < sent.size(); i++) {
                byte[] raw = handle.getNextRawPacketEx();
                assertArrayEquals(sent.get(i).ipv4(), raw, "packet " + i);
                long expectedMicros = (TwoStackCaptures.EPOCH_OFFSET_NANOS + sent.get(i).nanos()) / 1000;
                java.sql.Timestamp ts = handle.getTimestamp();
                assertEquals(expectedMicros, ts.getTime() / 1000 * 1_000_000 + ts.getNanos() / 1000, "time of packet " + i);
            }
            assertThrows(EOFException.class, handle::getNextRawPacketEx, "no packet after the last one");
        } finally {
            handle.close();
        }
    }

    @Test
    void tapAtA_handshakeDataClose_testKitPcapFileAndPcapReaderReadSamePackets() throws Exception {
        Path file = dir.resolve("a.pcap");
        List<Copied> sent = capture(file, PcapWriter.Precision.MICRO);

        List<PcapFile.Packet> kit = PcapFile.read(Files.readAllBytes(file));
        PcapReader.Capture ours = PcapReader.read(file);
        assertEquals(sent.size(), kit.size());
        assertEquals(sent.size(), ours.packets().size());
        assertEquals(0, ours.skippedRecords());
        assertFalse(ours.cutShort());
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < sent.size(); i++) {
            long micros = (TwoStackCaptures.EPOCH_OFFSET_NANOS + sent.get(i).nanos()) / 1000;
            assertArrayEquals(sent.get(i).ipv4(), kit.get(i).ipv4(), "test kit, packet " + i);
            assertEquals(micros, kit.get(i).timestampMicros(), "test kit, time of packet " + i);
            assertArrayEquals(sent.get(i).ipv4(), ours.packets().get(i).ipv4(), "PcapReader, packet " + i);
            assertEquals(micros * 1000, ours.packets().get(i).epochNanos(), "PcapReader, time of packet " + i);
            assertTrue(ours.packets().get(i).epochNanos() >= previous, "times never go back");
            previous = ours.packets().get(i).epochNanos();
        }
        // Sensible: within the script's span (handshake to the end of TIME-WAIT, about 65 s) after 2023-11-14T22:13:20Z.
        long first = ours.packets().get(0).epochNanos();
        long last = ours.packets().get(sent.size() - 1).epochNanos();
        assertEquals(1_700_000_000L, first / 1_000_000_000L);
        assertTrue(last - first > 0 && last - first < 70_000_000_000L, "span " + (last - first) + " ns");
    }

    @Test
    void nanosecondPrecision_keepsEveryNanosecond() throws Exception {
        Path file = dir.resolve("nano.pcap");
        byte[] datagram = firstSegmentOfExchange();
        long t0 = 1_700_000_000_123_456_789L;
        try (PcapWriter w = PcapWriter.open(file, PcapWriter.Precision.NANO)) {
            w.write(t0, datagram);
            w.write(t0 + 1, datagram);
        }
        assertEquals(0xA1B23C4D, ByteBuffer.wrap(Files.readAllBytes(file), 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        PcapReader.Capture read = PcapReader.read(file);
        assertEquals(List.of(t0, t0 + 1), read.packets().stream().map(CapturedPacket::epochNanos).toList());
        PcapHandle handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        try {
            handle.getNextRawPacketEx();
            assertEquals(123_456_789, handle.getTimestamp().getNanos());
            assertEquals(1_700_000_000L, handle.getTimestamp().getTime() / 1000);
        } finally {
            handle.close();
        }
        // The test kit reads nanosecond files too, at microsecond resolution.
        assertEquals(1_700_000_000_123_456L, PcapFile.read(Files.readAllBytes(file)).get(0).timestampMicros());
    }

    @Test
    void microsecondPrecision_dropsTheNanoseconds() throws Exception {
        Path file = dir.resolve("micro.pcap");
        try (PcapWriter w = PcapWriter.open(file, PcapWriter.Precision.MICRO)) {
            w.write(1_700_000_000_123_456_789L, firstSegmentOfExchange());
        }
        assertEquals(1_700_000_000_123_456_000L, PcapReader.read(file).packets().get(0).epochNanos());
    }

    @Test
    void tcpdump_readsTheTapsFile_sameLinesAndTimesAsTheStackSaw() throws Exception {
        requireTcpdump();
        Path file = dir.resolve("a.pcap");
        List<Copied> sent = capture(file, PcapWriter.Precision.MICRO);
        // -tt: seconds.micros since the epoch; -n -S: numeric, absolute sequence numbers (TcpdumpFormatter's notation).
        List<String> lines = run("tcpdump", "-n", "-S", "-tt", "-r", file.toString());
        assertEquals(sent.size(), lines.size(), String.join("\n", lines));
        for (int i = 0; i < sent.size(); i++) {
            long micros = (TwoStackCaptures.EPOCH_OFFSET_NANOS + sent.get(i).nanos()) / 1000;
            String time = String.format("%d.%06d", micros / 1_000_000, micros % 1_000_000);
            ByteBuf packet = Unpooled.wrappedBuffer(sent.get(i).ipv4());
            String expected = time + " IP " + TcpdumpFormatter.format(packet);
            packet.release();
            assertEquals(expected, lines.get(i), "packet " + i);
        }
    }

    @Test
    void tcpdump_readsNanosecondFiles() throws Exception {
        requireTcpdump();
        Path file = dir.resolve("nano.pcap");
        try (PcapWriter w = PcapWriter.open(file, PcapWriter.Precision.NANO)) {
            w.write(1_700_000_000_123_456_789L, firstSegmentOfExchange());
        }
        List<String> lines = run("tcpdump", "-n", "-S", "-tt", "--nano", "-r", file.toString());
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).startsWith("1700000000.123456789 IP 198.18.0.1."), lines.get(0));
    }

    @Test
    void wallClockOffset_mapsTheStackClockToNow() {
        long stackNow = 5_000_000_000L;
        long before = System.currentTimeMillis() * 1_000_000L;
        long offset = PcapTap.wallClockOffset(stackNow);
        long after = System.currentTimeMillis() * 1_000_000L + 1_000_000L;
        assertTrue(offset + stackNow >= before && offset + stackNow <= after, "epoch " + (offset + stackNow));
    }

    @Test
    void tap_afterClose_ignoresSegmentsAndClosesOnce() throws Exception {
        Path file = dir.resolve("closed.pcap");
        PcapTap tap = PcapTap.open(file, PcapWriter.Precision.MICRO, 0);
        tap.close();
        try (TwoStacks net = TwoStackCaptures.twoStacks(tap, ConnectionObserver.NONE)) {
            TwoStackCaptures.open(net);
        }
        tap.close();
        assertEquals(0, tap.packetCount());
        assertEquals(24, Files.size(file), "the global header only");
    }

    @Test
    void write_negativeTimeOrClosedWriter_throwsWithWhatWasGiven() throws Exception {
        PcapWriter w = PcapWriter.open(dir.resolve("x.pcap"), PcapWriter.Precision.MICRO);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(-1, new byte[20]));
        assertEquals("epochNanos: -1 (expected: >= 0)", e.getMessage());
        w.close();
        assertThrows(IllegalStateException.class, () -> w.write(0, new byte[20]));
    }

    @Test
    void open_unwritableDirectory_failsWithTheFileName() {
        Path file = dir.resolve("no-such-dir").resolve("x.pcap");
        IOException e = assertThrows(IOException.class, () -> PcapWriter.open(file, PcapWriter.Precision.MICRO));
        assertTrue(e.getMessage().startsWith(file + ": cannot create the pcap file"), e.getMessage());
    }

    /**
     * DESIGN.md §7: no libpcap → one line naming the package. pcap4j loads libpcap once per JVM, so
     * this runs a fresh JVM told to load a library that does not exist.
     */
    @Test
    void missingLibpcap_failsWithOneLineNamingThePackage() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> out = run(java, "-cp", System.getProperty("java.class.path"),
                "-D" + Libpcap.LIBRARY_NAME_PROPERTY + "=usertcp-no-such-libpcap",
                OpenPcapWriterMain.class.getName(), dir.resolve("never.pcap").toString());
        assertEquals(List.of("libpcap not found (library 'usertcp-no-such-libpcap'): install the package libpcap0.8"
                + " (apt-get install libpcap0.8)"), out);
        assertFalse(Files.exists(dir.resolve("never.pcap")));
    }

    // Issue 17: after kill -9 the file was empty (libpcap had buffered everything). The writer now flushes on its own:
    // after its first record and every 128 records, so a writer killed right after its 256th leaves all 256.
    @Test
    void killedOutright_theFileHoldsEveryRecordUpToTheWritersLastOwnFlush() throws Exception {
        Path file = dir.resolve("killed.pcap");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), KilledPcapWriterMain.class.getName(),
                file.toString(), Integer.toString(2 * PcapWriter.FLUSH_EVERY_RECORDS)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("written", out.readLine());
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        PcapReader.Capture capture = PcapReader.read(file);
        assertEquals(2 * PcapWriter.FLUSH_EVERY_RECORDS, capture.packets().size());
        assertFalse(capture.cutShort());
        for (int i = 0; i < capture.packets().size(); i++) {
            byte[] d = capture.packets().get(i).ipv4();
            assertEquals(i, ((d[4] & 0xff) << 8) | (d[5] & 0xff), "record " + i + " in order");
        }
    }

    @Test
    void ownFlushes_afterTheFirstRecord_afterFiftyMillisecondsAtTheNextRecord() throws Exception {
        Path file = dir.resolve("clocked.pcap");
        long[] now = {1_000_000_000L};
        int record = 16 + 20; // record header and a bare IPv4 header
        try (PcapWriter w = PcapWriter.open(file, PcapWriter.Precision.MICRO, () -> now[0])) {
            byte[] datagram = new byte[20];
            datagram[0] = 0x45;
            datagram[3] = 20;
            w.write(0, datagram);
            assertEquals(24 + record, Files.size(file), "the first record is flushed at once");
            for (int i = 0; i < 40; i++) {
                now[0] += 1_000_000L;
                w.write(0, datagram);
            }
            assertEquals(24 + record, Files.size(file), "40 more within 50 ms stay buffered (1,440 bytes)");
            now[0] += PcapWriter.FLUSH_EVERY_MILLIS * 1_000_000L;
            w.write(0, datagram);
            assertEquals(24 + 42L * record, Files.size(file), "50 ms after the last flush, the next record flushes");
        }
    }

    /** {@code out S.}: direction and tcpdump flags. */
    private static String flags(Copied c) {
        return (c.outbound() ? "out " : "in ") + io.usertcp.wire.TcpFlags.format(c.ipv4()[33]);
    }

    /** The first segment (the SYN) of the scripted exchange, as bytes. */
    private static byte[] firstSegmentOfExchange() {
        Copier copier = new Copier();
        try (TwoStacks net = TwoStackCaptures.twoStacks(copier, ConnectionObserver.NONE)) {
            TwoStackCaptures.open(net);
        }
        return copier.copies.get(0).ipv4();
    }

    /** The executable {@code command} on PATH (or in /usr/sbin, where Debian puts tcpdump), or null. */
    static Path which(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return Path.of(d, command);
            }
        }
        return null;
    }

    static boolean onPath(String command) {
        return which(command) != null;
    }

    /** Runs a command (bounded: 60 s), returns its stdout lines; stderr is dropped. */
    static List<String> run(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        if (!cmd.get(0).contains("/")) {
            cmd.set(0, which(cmd.get(0)).toString());
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after 60 s: " + cmd);
        }
        String text = new String(stdout, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    /** tcpdump reads our files back; the test command installs it, so under CI its absence is a failure. */
    private static void requireTcpdump() {
        String reason = "tcpdump is not installed (apt-get install tcpdump)";
        if ("true".equals(System.getenv("CI"))) {
            Assertions.assertTrue(onPath("tcpdump"), reason);
        } else {
            Assumptions.assumeTrue(onPath("tcpdump"), reason);
        }
    }
}
