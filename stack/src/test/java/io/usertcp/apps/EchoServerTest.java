package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RFC 862 echo on our stack, a client on a second stack. */
@Timeout(30)
class EchoServerTest {

    @Test
    void echo_returnsEveryByte_thenClosesAfterClientFin() throws Exception {
        try (TwoRunners net = new TwoRunners(); EchoServer echo = new EchoServer(net.server, 7, 4);
             TcpSocket s = net.connect(7)) {
            int length = 300_000; // more than the send and receive buffers hold: reader and writer must overlap
            byte[] sent = new byte[length];
            GeneratedBytes.fill(0, sent, 0, length);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(sent);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] received = s.getInputStream().readNBytes(length);
            writer.get(10, TimeUnit.SECONDS);
            assertArrayEquals(sent, received);
            assertEquals(-1, s.getInputStream().read(), "RFC 862: the server closes after the client's FIN");
            assertEquals(length, echo.bytesEchoed());
            assertEquals(1, echo.connectionsAccepted());
        }
    }

    @Test
    void moreClientsThanMaxConnections_theExtraWaitsForAFreeThread() throws Exception {
        try (TwoRunners net = new TwoRunners(); EchoServer echo = new EchoServer(net.server, 7, 2);
             TcpSocket first = net.connect(7); TcpSocket second = net.connect(7); TcpSocket third = net.connect(7)) {
            assertEquals('a', roundTrip(first, 'a'));
            assertEquals('b', roundTrip(second, 'b'));
            third.getOutputStream().write('c');
            third.setSoTimeout(300);
            // Accepted by the stack (in the backlog), but no thread serves it while two are busy.
            assertThrows(SocketTimeoutException.class, () -> third.getInputStream().read());
            assertEquals(2, echo.activeConnections());

            first.shutdownOutput();
            assertEquals(-1, first.getInputStream().read());
            third.setSoTimeout(5_000);
            assertEquals('c', third.getInputStream().read(), "served once the first connection freed its thread");
            assertEquals(3, echo.connectionsAccepted());
        }
    }

    @Test
    void close_closesOpenConnections() throws Exception {
        try (TwoRunners net = new TwoRunners(); TcpSocket s = connectedThenServerClosed(net)) {
            assertEquals(-1, s.getInputStream().read(), "the client sees the server's FIN");
        }
    }

    private static TcpSocket connectedThenServerClosed(TwoRunners net) throws IOException {
        EchoServer echo = new EchoServer(net.server, 7, 4);
        TcpSocket s = net.connect(7);
        assertEquals('x', roundTrip(s, 'x'));
        echo.close();
        assertEquals(0, echo.activeConnections());
        assertEquals(1, echo.connectionsAccepted());
        return s;
    }

    private static int roundTrip(TcpSocket s, char c) throws IOException {
        s.getOutputStream().write(c);
        return s.getInputStream().read();
    }
}
