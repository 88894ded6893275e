package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.wire.TcpFlags;
import org.junit.jupiter.api.Test;

/**
 * A bug met while processing one connection stays with that connection: it is aborted with a RST
 * and {@link CloseReason#INTERNAL_ERROR}, the fault is counted, and the stack goes on serving.
 * The bug is simulated by an application handler that throws (handlers run after segment
 * processing, inside the stack's call).
 */
class FaultContainmentTest {
    @Test
    void handlerThrows_connectionAbortedWithRst_stackKeepsServing() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setHandler(new ConnectionHandler() {
                @Override
                public void onReadable(TcpConnection connection, long nowNanos) {
                    throw new IllegalStateException("a bug in the application's handler");
                }
            });
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1).payload("boom"));
            assertEquals(CloseReason.INTERNAL_ERROR, c.closeReason());
            assertEquals(1, h.stack.stats().get(Counter.UsertcpStackFaults));
            assertEquals(1, h.stack.stats().get(Counter.UsertcpFaultAborts));
            h.expectSent().assertFlags(TcpFlags.RST | TcpFlags.ACK); // the abort RST (linux: RST,ACK, tcp_send_active_reset())
            assertEquals(0, h.stack.connectionCount());
            // The stack still answers: a segment for the gone connection gets the CLOSED state's RST.
            h.receive(h.segment().seq(REMOTE_ISS + 5).ack(LOCAL_ISS + 1));
            h.expectSent().assertFlags(TcpFlags.RST);
        }
    }
}
