package io.usertcp.runtime.jfr;

import static io.usertcp.testkit.VirtualClock.millis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.testkit.TestPackets;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JFR events of a stack, recorded in this JVM and read back from the file as {@code jfr print} would. */
class JfrObserverTest {

    @Test
    void stateChangesRetransmissionTimerAndDrop_recorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("usertcp.jfr");
        try (Recording recording = new Recording()) {
            for (String name : List.of("usertcp.StateChange", "usertcp.Retransmission", "usertcp.TimerFired", "usertcp.Drop")) {
                recording.enable(name);
            }
            recording.start();
            JfrObserver jfr = new JfrObserver();
            try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 1, c -> c.withObserver(jfr), false)) {
                TcpListener listener = net.b.listen(net.now(), 80, 16);
                TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
                net.settle();
                assertNotNull(listener.accept());
                AtomicBoolean lost = new AtomicBoolean();
                net.dropAtoB(packet -> packet.readableBytes() > 52 && lost.compareAndSet(false, true)); // the first data
                ByteBuf data = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
                try {
                    assertEquals(5, client.send(net.now(), data));
                } finally {
                    data.release();
                }
                net.advance(millis(1000)); // it is resent
                assertTrue(lost.get());
                byte[] bad = TestPackets.tcp(TwoStacks.B, TwoStacks.A,
                        TcpHeader.of(80, 40000, 1, 1, TcpFlags.ACK, 1000, TcpOptions.NONE), new byte[] {1, 2, 3});
                bad[bad.length - 1] ^= 0x55; // the checksum no longer holds
                net.a.receive(net.now(), Unpooled.wrappedBuffer(bad));
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        RecordedEvent established = events.stream().filter(e -> e.getEventType().getName().equals("usertcp.StateChange")
                && e.getString("to").equals("ESTABLISHED") && e.getString("connection").startsWith("198.18.0.1:"))
                .findFirst().orElseThrow(() -> new AssertionError("no StateChange to ESTABLISHED: " + events));
        assertEquals("SYN-SENT", established.getString("from"));
        assertEquals("rcv SYN,ACK", established.getString("cause"));
        RecordedEvent retransmission = one(events, "usertcp.Retransmission");
        assertEquals(5, retransmission.getInt("length"));
        assertTrue(retransmission.getString("connection").startsWith("198.18.0.1:"), retransmission.toString());
        // the linux profile's tail loss probe (RFC 8985 §7) resends it before the RTO would
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("usertcp.TimerFired")
                && e.getString("timer").equals("LOSS_PROBE")), "the loss probe fired: " + events);
        assertEquals("TCP_BAD_CHECKSUM", one(events, "usertcp.Drop").getString("reason"));
    }

    private static RecordedEvent one(List<RecordedEvent> events, String name) {
        List<RecordedEvent> found = events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
        assertEquals(1, found.size(), name + ": " + found);
        return found.get(0);
    }
}
