package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A connection whose sending side is shut down in SYN-RECEIVED goes to FIN-WAIT-1 (RFC 9293
 * §3.10.4, CLOSE in SYN-RECEIVED) and, once its SYN and FIN are acknowledged, to FIN-WAIT-2, never
 * passing ESTABLISHED. It may still receive, and the application read. Found by
 * StateMachineFuzzTest (inputs crash-38549d1c, crash-87b3c460): with the linux profile's receive
 * autotuning, which starts measuring when the connection is established (Linux
 * tcp_init_buffer_space()), the first read a round trip later divided by zero in
 * tcp_rcv_space_adjust()'s {@code grow / rcvq_space.space}.
 */
class ClosedInSynReceivedReadTest {

    @Test
    void simultaneousOpen_shutdownInSynReceived_dataAfterwards_isRead() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux().toBuilder().receiveBufferBytes(4096).build())) {
            TcpConnection c = h.synReceivedSimultaneous();
            c.shutdownOutput(h.now());
            List<ConnectionHarness.Sent> fin = h.drain(); // our FIN after the SYN,ACK
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            assertEquals(1460, fin.get(fin.size() - 1).window(), "the window the segments below fill");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2)); // SYN and FIN acknowledged
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            // Two segments that fill the window offered: the receiver takes its window-based RTT sample (tcp_rcv_rtt_measure()).
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 2).payload(new byte[318]));
            h.receive(h.segment().seq(REMOTE_ISS + 319).ack(LOCAL_ISS + 2).payload(new byte[1142]));
            h.advance(millis(250)); // a round trip later
            h.drain();
            ByteBuf dst = Unpooled.buffer(4096);
            try {
                assertEquals(1460, c.read(h.now(), dst));
                h.drain(); // the window update: the peer may send again
                h.receive(h.segment().seq(REMOTE_ISS + 1461).ack(LOCAL_ISS + 2).payload(new byte[1000]));
                h.advance(millis(250));
                assertEquals(1000, c.read(h.now(), dst), "autotuning measures from the first read on");
            } finally {
                dst.release();
            }
        }
    }
}
