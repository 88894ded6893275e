package io.usertcp.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SocketCloseRaceTest {
    ConcurrentLinkPair wire;
    StackRunner client;
    StackRunner server;

    @BeforeEach
    void start() {
        wire = new ConcurrentLinkPair(1500);
        client = SocketApiTest.runner(SocketApiTest.CLIENT, wire.a(), 1);
        server = SocketApiTest.runner(SocketApiTest.SERVER, wire.b(), 2);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        wire.clear();
    }

    // Linux: write() sends before it returns, so a reply written before a resetting close (unread data) arrives first
    @Test
    void writeThenCloseWithUnreadData_theWrittenBytesLeaveBeforeTheRst() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 80, 8)) {
            for (int i = 0; i < 100; i++) {
                CompletableFuture<Void> srv = CompletableFuture.runAsync(() -> {
                    try {
                        TcpSocket s = listener.accept();
                        s.read(new byte[2], 0, 2);
                        s.write("reply".getBytes(StandardCharsets.US_ASCII), 0, 5);
                        s.close(); // unread data: RST
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                try (TcpSocket c = TcpSocket.connect(client, SocketApiTest.SERVER, 80, 2000)) {
                    c.setSoTimeout(2000);
                    c.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
                    srv.get(5, TimeUnit.SECONDS);
                    assertEquals("reply", new String(c.getInputStream().readNBytes(5), StandardCharsets.US_ASCII), "connection " + i);
                    SocketException e = assertThrows(SocketException.class, () -> c.getInputStream().read());
                    assertEquals("Connection reset", e.getMessage());
                }
            }
        }
    }

    // java.net.Socket: a read blocked in one thread fails when another thread closes the socket
    @Test
    void closeFromAnotherThread_failsABlockedRead() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 80, 8)) {
            CompletableFuture<TcpSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (TcpSocket c = TcpSocket.connect(client, SocketApiTest.SERVER, 80, 2000);
                 TcpSocket peer = accepted.get(5, TimeUnit.SECONDS)) {
                CompletableFuture<Exception> reader = CompletableFuture.supplyAsync(() -> {
                    try {
                        c.read(new byte[1], 0, 1);
                        return null;
                    } catch (Exception e) {
                        return e;
                    }
                });
                // the reader blocks: the peer sends nothing
                assertThrows(java.util.concurrent.TimeoutException.class, () -> reader.get(200, TimeUnit.MILLISECONDS));
                c.close();
                Exception e = reader.get(2, TimeUnit.SECONDS);
                assertEquals(SocketException.class, e.getClass());
            }
        }
    }
}
