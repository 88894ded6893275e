package io.usertcp.tools.pcap;

import java.nio.file.Path;

/** Opens a {@link PcapWriter} in a fresh JVM and prints the one-line failure, for {@link PcapWriterTest}. */
public final class OpenPcapWriterMain {
    private OpenPcapWriterMain() {}

    public static void main(String[] args) {
        try (PcapWriter w = PcapWriter.open(Path.of(args[0]), PcapWriter.Precision.MICRO)) {
            System.out.println("opened " + w.file());
        } catch (Libpcap.MissingException e) {
            System.out.println(e.getMessage());
        } catch (Exception e) {
            System.out.println("unexpected: " + e);
        }
    }
}
