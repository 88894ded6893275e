package io.usertcp.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.CloseReason;
import java.io.ByteArrayOutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CompletableFuture API: an echo server written as callbacks only, a client that never blocks the stack. */
class AsyncApiTest {
    ConcurrentLinkPair wire;
    StackRunner client;
    StackRunner server;

    @BeforeEach
    void start() {
        wire = new ConcurrentLinkPair(1500);
        client = SocketApiTest.runner(SocketApiTest.CLIENT, wire.a(), 3);
        server = SocketApiTest.runner(SocketApiTest.SERVER, wire.b(), 4);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        wire.clear();
    }

    /** Echoes until end of stream, then closes: each step is a callback, none blocks. */
    static void echo(AsyncTcpConnection c) {
        c.read().thenAccept(bytes -> {
            if (bytes == null) {
                c.close();
            } else {
                c.write(bytes).thenRun(() -> echo(c));
            }
        });
    }

    @Test
    void echo_ofOneHundredKilobytes_roundTripsIntact() throws Exception {
        byte[] message = new byte[100_000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 31 + 7);
        }
        try (AsyncTcpServer listener = AsyncTcpServer.listen(server, 7, 8, AsyncApiTest::echo)) {
            AsyncTcpConnection c = AsyncTcpConnection.connect(client, SocketApiTest.SERVER, 7).get(5, TimeUnit.SECONDS);
            c.write(message).thenCompose(v -> c.shutdownOutput()).get(5, TimeUnit.SECONDS);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            CompletableFuture<Void> done = new CompletableFuture<>();
            readAll(c, received, done);
            done.get(10, TimeUnit.SECONDS);
            assertArrayEquals(message, received.toByteArray());
            assertNull(c.read().get(5, TimeUnit.SECONDS), "end of stream stays end of stream");
            c.close();
            assertEquals(CloseReason.NORMAL, c.closedFuture().get(5, TimeUnit.SECONDS));
        }
    }

    private static void readAll(AsyncTcpConnection c, ByteArrayOutputStream into, CompletableFuture<Void> done) {
        c.read().whenComplete((bytes, error) -> {
            if (error != null) {
                done.completeExceptionally(error);
            } else if (bytes == null) {
                done.complete(null);
            } else {
                into.writeBytes(bytes);
                readAll(c, into, done);
            }
        });
    }

    @Test
    void connect_toClosedPort_failsWithConnectionRefused() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> AsyncTcpConnection.connect(client, SocketApiTest.SERVER, 9).get(5, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertEquals("Connection refused", e.getCause().getMessage());
    }

    @Test
    void write_ofText_isReadByABlockingPeer() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 8, 8)) {
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try (TcpSocket s = listener.accept()) {
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            AsyncTcpConnection c = AsyncTcpConnection.connect(client, SocketApiTest.SERVER, 8).get(5, TimeUnit.SECONDS);
            c.write("async hello".getBytes(StandardCharsets.US_ASCII)).thenCompose(v -> c.shutdownOutput()).get(5, TimeUnit.SECONDS);
            assertEquals("async hello", got.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void listen_onAPortThatHasAListener_throwsJavaNetsBindException() throws Exception {
        try (AsyncTcpServer first = AsyncTcpServer.listen(server, 7, 8, AsyncApiTest::echo)) {
            BindException e = assertThrows(BindException.class, () -> AsyncTcpServer.listen(server, 7, 8, AsyncApiTest::echo));
            assertEquals("Address already in use: port 7 already has a listener", e.getMessage());
            assertEquals(7, first.port(), "the first listener keeps its port");
        }
        try (AsyncTcpServer again = AsyncTcpServer.listen(server, 7, 8, AsyncApiTest::echo)) {
            assertEquals(7, again.port(), "free again once the first is closed");
        }
    }
}
