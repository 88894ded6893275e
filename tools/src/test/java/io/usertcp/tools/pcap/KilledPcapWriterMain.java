package io.usertcp.tools.pcap;

import java.nio.file.Path;

/**
 * Writes {@code N} records to a {@link PcapWriter} in a JVM of its own, prints {@code written}, and
 * then waits (at most 60 s, or until its standard input ends) without flushing or closing, so that
 * {@link PcapWriterTest} can kill it outright and read what the writer's own flushes left.
 */
public final class KilledPcapWriterMain {
    private KilledPcapWriterMain() {}

    public static void main(String[] args) throws Exception {
        int records = Integer.parseInt(args[1]);
        // A clock that stands still: only the record count makes the writer flush, so the test knows where it did.
        PcapWriter w = PcapWriter.open(Path.of(args[0]), PcapWriter.Precision.MICRO, () -> 0L);
        for (int i = 0; i < records; i++) {
            byte[] datagram = new byte[20];
            datagram[0] = 0x45;
            datagram[3] = 20;
            datagram[4] = (byte) (i >> 8);
            datagram[5] = (byte) i; // the identification field numbers the records
            w.write(1_700_000_000_000_000_000L + i * 1_000L, datagram);
        }
        System.out.println("written");
        System.out.flush();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && System.in.read() >= 0) {
            // killed before this ends
        }
    }
}
