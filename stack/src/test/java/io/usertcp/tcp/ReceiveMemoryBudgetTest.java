package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpFlags;
import org.junit.jupiter.api.Test;

/**
 * The stack-wide receive memory budget (Linux tcp_mem): every connection's received data is
 * charged by what it really holds; from three quarters of the limit no window grows; at the limit
 * new text is refused (counted as TcpExtTCPRcvQDrop) and ACKed so the peer sends it again, after
 * the connection's own out-of-order queue was pruned (TcpExtTCPOFODrop). Reading frees the memory
 * and the data flows again, none lost.
 */
class ReceiveMemoryBudgetTest {
    private static final int SEGMENT = 1000;
    private static final long LIMIT = 16 * 1024;

    private static TcpConfig config() {
        return TcpConfig.linux().toBuilder().receiveMemoryLimitBytes(LIMIT).receiveBufferBytes(131072).build(); // a 64 KiB window: the linux profile offers half
    }

    private static void send(ConnectionHarness h, int offset) {
        byte[] payload = new byte[SEGMENT];
        java.util.Arrays.fill(payload, (byte) (offset / SEGMENT));
        h.receive(h.segment().seq(REMOTE_ISS + 1 + offset).ack(LOCAL_ISS + 1).payload(payload));
    }

    @Test
    void atTheLimit_newTextRefusedAndAcked_readingFreesMemory_dataFlowsAgain() {
        try (ConnectionHarness h = new ConnectionHarness(config())) {
            TcpConnection c = h.established();
            int offset = 0;
            while (h.stack.receiveMemoryBytes() < LIMIT) {
                send(h, offset);
                offset += SEGMENT;
                h.drain();
            }
            int accepted = offset;
            assertEquals(accepted, c.readableBytes(), "everything before the limit was kept");
            long before = h.stack.stats().get(Counter.TcpExtTCPRcvQDrop);
            send(h, offset);
            Sent ack = h.expectSent();
            assertTrue(ack.has(TcpFlags.ACK));
            assertEquals(REMOTE_ISS + 1 + accepted, ack.ack(), "the refused segment is not acknowledged");
            assertEquals(before + 1, h.stack.stats().get(Counter.TcpExtTCPRcvQDrop));
            assertEquals(accepted, c.readableBytes());
            assertTrue(h.stack.receiveMemoryBytes() <= LIMIT + 2 * SEGMENT + 64, "memory stays at the limit");

            ByteBuf dst = Unpooled.buffer(accepted);
            try {
                assertEquals(accepted, c.read(h.now(), dst));
            } finally {
                dst.release();
            }
            assertEquals(0, h.stack.receiveMemoryBytes(), "reading gives the memory back");
            h.drain();
            send(h, offset); // the peer's retransmission
            assertEquals(SEGMENT, c.readableBytes(), "accepted once memory is free");
        }
    }

    @Test
    void underPressure_theAdvertisedWindowDoesNotGrow() {
        try (ConnectionHarness h = new ConnectionHarness(config())) {
            TcpConnection c = h.established();
            int offset = 0;
            // Well into the pressure band (3/4 of the limit and more), so that reading two segments leaves it there.
            while (h.stack.receiveMemoryBytes() < LIMIT / 4 * 3 + 3 * SEGMENT) {
                send(h, offset);
                offset += SEGMENT;
                h.drain();
            }
            long promisedEdge = offset + c.receiver.window();
            ByteBuf dst = Unpooled.buffer(2 * SEGMENT);
            try {
                c.read(h.now(), dst); // frees buffer space, but the stack is still under pressure
            } finally {
                dst.release();
            }
            assertEquals(io.usertcp.core.MemoryBudget.Level.PRESSURE, memoryLevel(h));
            send(h, offset);
            offset += SEGMENT;
            Sent ack = h.expectSent();
            long edge = (ack.ack() - (REMOTE_ISS + 1)) + ack.window(); // no window scaling in the harness
            assertTrue(edge <= promisedEdge, "right edge " + edge + " moved beyond " + promisedEdge + " under pressure");
        }
    }

    private static io.usertcp.core.MemoryBudget.Level memoryLevel(ConnectionHarness h) {
        io.usertcp.core.MemoryBudget probe = new io.usertcp.core.MemoryBudget(LIMIT);
        probe.charge(h.stack.receiveMemoryBytes());
        return probe.level();
    }

    @Test
    void outOfOrderQueuePruned_beforeTextIsRefused() {
        try (ConnectionHarness h = new ConnectionHarness(config())) {
            TcpConnection c = h.established();
            // Hold out-of-order data beyond a hole at the start, up to the limit.
            int offset = SEGMENT;
            while (h.stack.receiveMemoryBytes() < LIMIT) {
                send(h, offset);
                offset += SEGMENT;
                h.drain();
            }
            long drops = h.stack.stats().get(Counter.TcpExtTCPOFODrop);
            send(h, 0); // the hole's data: the held queue is pruned to make room for it
            h.drain();
            assertEquals(drops + 1, h.stack.stats().get(Counter.TcpExtTCPOFODrop));
            assertEquals(SEGMENT, c.readableBytes(), "the in-order text is kept");
            assertTrue(h.stack.receiveMemoryBytes() < LIMIT);
        }
    }
}
