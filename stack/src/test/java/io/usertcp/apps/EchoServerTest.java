package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    void moreClientsThanMaxConnections_theLongestIdleIsClosed_andTheNewOneServedAtOnce() throws Exception {
        try (TwoRunners net = new TwoRunners(); EchoServer echo = new EchoServer(net.server, 7, 2);
             TcpSocket first = net.connect(7)) {
            assertEquals('a', roundTrip(first, 'a'));
            awaitIdle(echo, 1); // first waits for its peer from now on: it has been idle the longest
            try (TcpSocket second = net.connect(7)) {
                assertEquals('b', roundTrip(second, 'b'));
                try (TcpSocket third = net.connect(7)) {
                    assertEquals('c', roundTrip(third, 'c'), "served at once, though two connections were being served");
                    assertEquals(-1, first.getInputStream().read(), "the longest idle was closed to make room (FIN)");
                    assertEquals('d', roundTrip(second, 'd'), "the other idle one is still served");
                    assertEquals(1, echo.connectionsEvicted());
                    assertEquals(3, echo.connectionsAccepted());
                }
            }
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

    /** Waits (bounded) until {@code n} connections wait for their peer. */
    static void awaitIdle(SocketServer server, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.idleConnections() < n) {
            assertTrue(System.nanoTime() < deadline, server.idleConnections() + " idle connections, expected " + n);
            LockSupport.parkNanos(1_000_000); // polls a condition, with a deadline
        }
    }

    private static int roundTrip(TcpSocket s, char c) throws IOException {
        s.getOutputStream().write(c);
        return s.getInputStream().read();
    }
}
