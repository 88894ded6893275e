package io.usertcp.tools.ladder;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.tools.pcap.PcapTap;
import io.usertcp.tools.pcap.PcapWriter;
import io.usertcp.tools.pcap.TwoStackCaptures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simultaneous-close.pcap}, the capture behind the simultaneous-close ladder goldens, is
 * made by {@link TwoStackCaptures#simultaneousClose} with a {@link PcapTap} at stack A (the client):
 * the same script on the virtual clock must give the same file, byte for byte.
 */
class SimultaneousCloseCaptureTest {
    static final String NAME = "simultaneous-close.pcap";

    @TempDir
    Path dir;

    @Test
    void simultaneousCloseScript_tappedAtClient_givesTheCommittedCaptureByteForByte() throws Exception {
        Path file = dir.resolve(NAME);
        try (PcapTap tap = PcapTap.open(file, PcapWriter.Precision.MICRO, TwoStackCaptures.EPOCH_OFFSET_NANOS);
             TwoStacks net = TwoStackCaptures.twoStacks(tap, ConnectionObserver.NONE)) {
            TwoStackCaptures.simultaneousClose(net);
        }
        Goldens.checkBytes(NAME, Files.readAllBytes(file));
    }
}
