package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.testkit.ConnectionHarness;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Received data is charged by the memory it holds (Linux sk_rmem_alloc against sk_rcvbuf): a peer
 * that fills the window with segment sizes that waste packet buffers (tiny segments between
 * full-sized ones) cannot make a connection hold much more than its receive buffer. The queue is
 * collapsed into compact chunks (tcp_collapse()) and the window offers only what memory is left
 * (tcp_space()). Issue 18.
 */
class ReceiveMemoryTest {
    private static final int PACKET_BUFFER = 1501; // MTU 1500 + 1, as TunLink reads

    @Test
    void mixedSegmentSizes_nobodyReads_memoryStaysWithinTheReceiveBuffer_andEveryByteIsKept() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            int limit = h.stack.config().receiveBufferBytes();
            int sent = 0;
            long mostCharged = 0;
            for (int i = 0; i < 2000; i++) {
                int size = i % 2 == 0 ? 1448 : 1 + i % 7;
                byte[] payload = new byte[size];
                Arrays.fill(payload, (byte) i);
                h.receiveInPacketBuffer(h.segment().seq(REMOTE_ISS + 1 + sent).ack(LOCAL_ISS + 1).payload(payload), PACKET_BUFFER);
                h.drain();
                int accepted = c.readableBytes() - sent;
                if (accepted == 0) {
                    break; // the window is closed
                }
                sent += accepted;
                mostCharged = Math.max(mostCharged, h.stack.receiveMemoryBytes());
            }
            System.out.printf("mixed sizes: %d B accepted, at most %d B charged (receive buffer %d B)%n", sent, mostCharged, limit);
            assertTrue(sent >= limit / 4, sent + " B accepted before the window closed");
            // Linux's bound: past the buffer the next segment is refused (tcp_prune_queue()), so at most one more packet.
            assertTrue(mostCharged <= limit + PACKET_BUFFER, mostCharged + " B charged (receive buffer " + limit + ")");
            assertEquals(sent, c.readableBytes(), "every byte kept");
        }
    }

    @Test
    void promisedWindowFilledWithTinySegmentsAfterTheApplicationStopsReading_memoryStaysNearTheData() {
        // The application read everything, so the window offered all the buffer could take; then it stops, and the
        // peer fills that promised window four bytes per segment. Compact chunks hold about what they buffer.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            int limit = h.stack.config().receiveBufferBytes();
            int next = REMOTE_ISS + 1;
            for (int i = 0; i < 40; i++) {
                h.receiveInPacketBuffer(h.segment().seq(next).ack(LOCAL_ISS + 1).payload(new byte[1448]), PACKET_BUFFER);
                next += 1448;
                drainReads(h, c);
            }
            h.drain();
            long mostCharged = 0;
            int accepted = 0;
            for (int i = 0; i < 50_000; i++) {
                int before = c.readableBytes();
                h.receiveInPacketBuffer(h.segment().seq(next).ack(LOCAL_ISS + 1).payload(new byte[4]), PACKET_BUFFER);
                h.drain();
                int taken = c.readableBytes() - before;
                if (taken == 0) {
                    break; // past the window
                }
                next += taken;
                accepted += taken;
                mostCharged = Math.max(mostCharged, h.stack.receiveMemoryBytes());
            }
            System.out.printf("promised window: %d B in 4-byte segments, at most %d B charged (receive buffer %d B)%n",
                    accepted, mostCharged, limit);
            assertTrue(accepted > limit / 4, accepted + " B taken");
            assertTrue(mostCharged <= accepted + 4096, mostCharged + " B charged for " + accepted + " B");
        }
    }

    @Test
    void bufferShrunkBelowWhatIsQueued_nextSegmentRefused_asLinuxPrunes() {
        // Linux tcp_try_rmem_schedule() → tcp_prune_queue(): sk_rmem_alloc past sk_rcvbuf (here SO_RCVBUF lowered under
        // queued data), collapsing frees nothing, and the queue is not empty: the segment is dropped, within the
        // window or not (TcpExtRcvPruned), and an ACK tells the peer what we hold. It is taken once there is room.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = h.established();
            int next = REMOTE_ISS + 1;
            for (int i = 0; i < 20; i++) {
                h.receiveInPacketBuffer(h.segment().seq(next).ack(LOCAL_ISS + 1).payload(new byte[1448]), PACKET_BUFFER);
                next += 1448;
            }
            h.drain();
            int queued = c.readableBytes();
            c.setReceiveBufferSize(h.now(), 4096); // doubled to 8192, far below the 28 KiB queued
            h.receiveInPacketBuffer(h.segment().seq(next).ack(LOCAL_ISS + 1).payload(new byte[1448]), PACKET_BUFFER);
            h.expectSent().assertSeqAck(LOCAL_ISS + 1, next);
            assertEquals(queued, c.readableBytes(), "refused");
            assertEquals(1, h.stack.stats().get(io.usertcp.core.StackStats.Counter.TcpExtRcvPruned));
            assertTrue(h.stack.receiveMemoryBytes() <= queued + 4096, "collapsed first: " + h.stack.receiveMemoryBytes());
            drainReads(h, c);
            h.drain();
            h.receiveInPacketBuffer(h.segment().seq(next).ack(LOCAL_ISS + 1).payload(new byte[1448]), PACKET_BUFFER);
            assertEquals(1448, c.readableBytes(), "taken once there is room");
        }
    }

    private static void drainReads(ConnectionHarness h, TcpConnection c) {
        while (c.readableBytes() > 0) {
            h.readText(c);
        }
    }
}
