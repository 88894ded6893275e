package io.usertcp.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpMd5Key;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The blocking socket API on two stacks, each on its own {@link StackRunner}, joined by a
 * thread-safe in-memory wire. Real threads and real time; every wait is bounded.
 */
class SocketApiTest {
    static final Ipv4Address CLIENT = Ipv4Address.of("198.18.0.1");
    static final Ipv4Address SERVER = Ipv4Address.of("198.18.0.2");

    ConcurrentLinkPair wire;
    StackRunner client;
    StackRunner server;

    @BeforeEach
    void start() {
        wire = new ConcurrentLinkPair(1500);
        client = runner(CLIENT, wire.a(), 1);
        server = runner(SERVER, wire.b(), 2);
    }

    static StackRunner runner(Ipv4Address address, io.usertcp.runtime.WaitableLink link, long seed) {
        TcpConfig tcp = TcpConfig.linux().toBuilder().timeWaitNanos(100_000_000L).synRetries(1)
                .rtoInitialNanos(200_000_000L).build();
        StackConfig config = StackConfig.of(address, RandomSource.seeded(seed)).withTcp(tcp)
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        return new StackRunner(new TcpStack(config), link, "usertcp-" + address).start();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        wire.clear();
    }

    static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] out = in.readNBytes(n);
        assertEquals(n, out.length, "stream ended early");
        return out;
    }

    @Test
    void echo_roundTrip_thenEndOfStreamOnBothSides() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8)) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (TcpSocket s = listener.accept()) {
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = s.read(buf, 0, buf.length)) > 0) {
                        s.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (TcpSocket s = TcpSocket.connect(client, SERVER, 7, 2000)) {
                byte[] message = "hello, userspace".getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(message);
                assertArrayEquals(message, readExactly(s.getInputStream(), message.length));
                s.shutdownOutput();
                assertEquals(-1, s.getInputStream().read(), "the server closes after our FIN");
            }
            echo.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void connect_toClosedPort_isRefused() {
        ConnectException e = assertThrows(ConnectException.class, () -> TcpSocket.connect(client, SERVER, 9, 2000));
        assertEquals("Connection refused", e.getMessage());
    }

    @Test
    void md5_sameKeyOnBothSockets_connectsAndEchoes_anotherKeyNeverConnects() throws Exception {
        byte[] key = "bgp-secret".getBytes(StandardCharsets.US_ASCII);
        try (TcpServerSocket listener = new TcpServerSocket(server, 179, 8)) {
            assertTrue(listener.setMd5Key(TcpMd5Key.forPeer(CLIENT, key)));
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (TcpSocket s = listener.accept()) {
                    byte[] buf = new byte[64];
                    int n = s.read(buf, 0, buf.length);
                    s.write(buf, 0, n);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (TcpSocket s = TcpSocket.connect(client, SERVER, 179, 2000, TcpMd5Key.forPeer(SERVER, key))) {
                byte[] message = "OPEN".getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(message);
                assertArrayEquals(message, readExactly(s.getInputStream(), message.length));
            }
            echo.get(5, TimeUnit.SECONDS);
            // RFC 2385: the listener drops every SYN signed with another key, in silence; the connect gives up.
            byte[] other = "not-the-secret".getBytes(StandardCharsets.US_ASCII);
            assertThrows(ConnectException.class, () -> TcpSocket.connect(client, SERVER, 179, 5000, TcpMd5Key.forPeer(SERVER, other)));
            long failures = server.call(now -> server.stack().stats().get(io.usertcp.core.StackStats.Counter.TcpExtTCPMD5Failure));
            assertEquals(2, failures, "the SYN and its one retransmission (synRetries 1)");
            assertThrows(IllegalArgumentException.class, () -> TcpSocket.connect(client, SERVER, 179, 5000, TcpMd5Key.forPeer(CLIENT, key)),
                    "a key that does not cover the peer");
        }
    }

    @Test
    void read_withSoTimeout_timesOut() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8)) {
            CompletableFuture<TcpSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (TcpSocket s = TcpSocket.connect(client, SERVER, 7, 2000); TcpSocket peer = accepted.get(5, TimeUnit.SECONDS)) {
                s.setSoTimeout(50);
                assertThrows(SocketTimeoutException.class, () -> s.read(new byte[1], 0, 1));
                assertEquals(TcpState.ESTABLISHED, peer.state());
            }
        }
    }

    @Test
    void peerAbort_readFailsWithConnectionReset() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8)) {
            CompletableFuture<TcpSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (TcpSocket s = TcpSocket.connect(client, SERVER, 7, 2000)) {
                TcpSocket peer = accepted.get(5, TimeUnit.SECONDS);
                peer.setSoLinger(true, 0);
                peer.close();
                s.setSoTimeout(2000);
                SocketException e = assertThrows(SocketException.class, () -> s.read(new byte[1], 0, 1));
                assertEquals("Connection reset", e.getMessage());
                assertEquals(CloseReason.RESET, s.closeReason());
                assertThrows(SocketException.class, () -> s.write(new byte[1], 0, 1));
            }
        }
    }

    @Test
    void accept_withSoTimeout_timesOut() throws Exception {
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8)) {
            listener.setSoTimeout(50);
            assertThrows(SocketTimeoutException.class, listener::accept);
        }
    }

    @Test
    void listen_onAPortThatHasAListener_bindException_asJavaNetSays() throws Exception {
        // java.net.ServerSocket.bind on a port in use: BindException "Address already in use" (issue 17).
        try (TcpServerSocket first = new TcpServerSocket(server, 7, 8)) {
            java.net.BindException e = assertThrows(java.net.BindException.class, () -> new TcpServerSocket(server, 7, 8));
            assertEquals(true, e.getMessage().startsWith("Address already in use"), e.getMessage());
        }
        try (TcpServerSocket again = new TcpServerSocket(server, 7, 8)) {
            assertEquals(7, again.getLocalPort(), "the port is free again once the first closed");
        }
    }
}
