package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.socket.TcpSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RFC 863 discard on our stack, clients on a second stack. */
@Timeout(30)
class DiscardServerTest {

    @Test
    void discard_countsEveryByte_sendsNothing_andClosesAfterClientFin() throws Exception {
        try (TwoRunners net = new TwoRunners(); DiscardServer discard = new DiscardServer(net.server, 9, 4)) {
            int length = 500_000;
            byte[] data = new byte[length];
            GeneratedBytes.fill(0, data, 0, length);
            for (int i = 0; i < 3; i++) {
                try (TcpSocket s = net.connect(9)) {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                    assertEquals(-1, s.getInputStream().read(), "RFC 863: nothing comes back, then the server's FIN");
                }
            }
            assertEquals(3L * length, discard.bytesDiscarded());
            assertEquals(3, discard.connectionsAccepted());
            assertEquals(3, discard.connectionsCompleted());
            assertEquals(0, discard.connectionsFailed());
        }
    }
}
