package io.usertcp.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.AsyncTcpConnection;
import io.usertcp.socket.AsyncTcpServer;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, "a stack that cannot die silently": a fault while the stack handles one packet or one
 * task is contained (the connection it concerns is aborted, the others keep working); a thread that
 * dies fails every pending and later call at once, and wakes blocked callers. Real threads and real
 * time over the in-memory wire; every wait is bounded, none is a sleep.
 */
class StackRunnerFaultTest extends TwoRunners {
    static final Ipv4Address CLIENT = Ipv4Address.of("198.18.0.1");
    static final Ipv4Address SERVER = Ipv4Address.of("198.18.0.2");
    /** Data of this size is what the faulty observer trips on (nothing else in the tests is as long). */
    static final int POISON_BYTES = 777;


    static StackRunner runner(Ipv4Address address, WaitableLink link, long seed, ConnectionObserver observer) {
        TcpConfig tcp = TcpConfig.linux().toBuilder().timeWaitNanos(100_000_000L).synRetries(1)
                .rtoInitialNanos(200_000_000L).build();
        StackConfig config = StackConfig.of(address, RandomSource.seeded(seed)).withTcp(tcp)
                .withAllocator(PooledByteBufAllocator.DEFAULT).withObserver(observer);
        return new StackRunner(new TcpStack(config), link, "usertcp-" + address).start();
    }

    /** An observer with a bug: it throws, once, on the segment that carries {@link #POISON_BYTES} of data. */
    static final class PoisonedObserver implements ConnectionObserver {
        final AtomicBoolean tripped = new AtomicBoolean();

        @Override
        public void segmentIn(long nowNanos, Ipv4PacketView packet) {
            int data = packet.payloadLength();
            if (data >= POISON_BYTES + 20 && data <= POISON_BYTES + 60 && tripped.compareAndSet(false, true)) {
                throw new IllegalStateException("injected fault: an observer with a bug");
            }
        }
    }

    static TcpSocket acceptOrFail(TcpServerSocket listener) {
        try {
            return listener.accept();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void faultOnOnePacket_abortsThatConnection_andTheOthersKeepWorking() throws Exception {
        PoisonedObserver poisoned = new PoisonedObserver();
        client = runner(CLIENT, wire.a(), 1, ConnectionObserver.NONE);
        server = runner(SERVER, wire.b(), 2, poisoned);
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8);
                TcpSocket victim = TcpSocket.connect(client, SERVER, 7, 2000);
                TcpSocket bystander = TcpSocket.connect(client, SERVER, 7, 2000)) {
            TcpSocket first = CompletableFuture.supplyAsync(() -> acceptOrFail(listener)).get(5, TimeUnit.SECONDS);
            TcpSocket second = CompletableFuture.supplyAsync(() -> acceptOrFail(listener)).get(5, TimeUnit.SECONDS);
            boolean firstIsVictim = first.id().remotePort() == victim.id().localPort();
            try (TcpSocket victimPeer = firstIsVictim ? first : second; TcpSocket bystanderPeer = firstIsVictim ? second : first) {
                victimPeer.setSoTimeout(5000);
                victim.getOutputStream().write(new byte[POISON_BYTES]);

                // The connection the faulty packet was for is aborted; its reader hears why.
                SocketException e = assertThrows(SocketException.class, () -> victimPeer.read(new byte[1], 0, 1));
                assertTrue(e.getMessage().startsWith("Connection aborted: the stack failed while handling it"), e.getMessage());
                assertInstanceOf(IllegalStateException.class, e.getCause());
                assertTrue(poisoned.tripped.get());
                // ... and the peer, reset, hears it too.
                victim.setSoTimeout(5000);
                SocketException reset = assertThrows(SocketException.class, () -> victim.read(new byte[1], 0, 1));
                assertEquals("Connection reset", reset.getMessage());

                // The stack goes on serving the other connection, and new ones.
                byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
                bystander.getOutputStream().write(ping);
                bystanderPeer.setSoTimeout(5000);
                assertArrayEquals(ping, bystanderPeer.getInputStream().readNBytes(ping.length));
                bystanderPeer.getOutputStream().write(ping);
                bystander.setSoTimeout(5000);
                assertArrayEquals(ping, bystander.getInputStream().readNBytes(ping.length));
                try (TcpSocket late = TcpSocket.connect(client, SERVER, 7, 2000)) {
                    listener.setSoTimeout(5000);
                    listener.accept().close();
                }
                assertTrue(server.isAlive());
                assertEquals("alive", server.health());
                assertEquals(1L, (long) server.call(now -> server.stack().stats().get(Counter.UsertcpStackFaults)));
                assertEquals(1L, (long) server.call(now -> server.stack().stats().get(Counter.UsertcpFaultAborts)));
            }
        }
    }

    @Test
    void faultInATask_isContained_andCounted() throws Exception {
        client = runner(CLIENT, wire.a(), 1, ConnectionObserver.NONE);
        client.execute(() -> {
            throw new IllegalStateException("injected fault: a task with a bug");
        });
        client.execute(() -> {
            throw new OutOfMemoryError("Direct buffer memory"); // what ByteBuffer.allocateDirect throws
        });
        assertEquals(1L, (long) client.call(now -> client.stack().stats().get(Counter.UsertcpStackFaults)));
        assertEquals(1L, (long) client.call(now -> client.stack().stats().get(Counter.UsertcpNoMemDrops)));
        assertTrue(client.isAlive());
    }

    @Test
    void threadDeath_failsPendingAndLaterCallsAtOnce_andWakesBlockedCallers() throws Exception {
        client = runner(CLIENT, wire.a(), 1, ConnectionObserver.NONE);
        server = runner(SERVER, wire.b(), 2, ConnectionObserver.NONE);
        TcpServerSocket listener = new TcpServerSocket(server, 7, 8);
        TcpSocket socket = TcpSocket.connect(client, SERVER, 7, 2000);
        TcpSocket peer = CompletableFuture.supplyAsync(() -> acceptOrFail(listener)).get(5, TimeUnit.SECONDS);
        CountDownLatch blocked = new CountDownLatch(1);
        CompletableFuture<Integer> blockedRead = CompletableFuture.supplyAsync(() -> {
            try {
                blocked.countDown();
                return peer.read(new byte[1], 0, 1);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<TcpSocket> blockedAccept = CompletableFuture.supplyAsync(() -> acceptOrFail(listener));
        blocked.await(5, TimeUnit.SECONDS);

        // A test hook as blunt as a real death: a virtual-machine error on the stack thread.
        CountDownLatch release = new CountDownLatch(1);
        InternalError killer = new InternalError("killed on purpose by the test");
        server.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw killer;
        });
        CompletableFuture<Integer> pending = server.submit(now -> 42); // queued behind the killer
        long killedAt = System.nanoTime();
        release.countDown();

        // The pending call fails with the cause.
        ExecutionException pendingFailure = assertThrows(ExecutionException.class, () -> pending.get(1, TimeUnit.SECONDS));
        StackStoppedException stopped = assertInstanceOf(StackStoppedException.class, pendingFailure.getCause());
        assertSame(killer, stopped.getCause());
        assertTrue(stopped.died());
        // Blocked callers wake, with an IOException that says the stack died and why.
        ExecutionException readFailure = assertThrows(ExecutionException.class, () -> blockedRead.get(1, TimeUnit.SECONDS));
        SocketException readError = assertInstanceOf(SocketException.class, readFailure.getCause().getCause());
        assertTrue(readError.getMessage().contains("died (java.lang.InternalError: killed on purpose by the test)"), readError.getMessage());
        ExecutionException acceptFailure = assertThrows(ExecutionException.class, () -> blockedAccept.get(1, TimeUnit.SECONDS));
        assertInstanceOf(SocketException.class, acceptFailure.getCause().getCause());
        assertTrue(server.awaitTermination(1, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(1), "callers fail at once");

        // Later calls fail at once too.
        StackStoppedException later = assertThrows(StackStoppedException.class, () -> server.call(now -> 1));
        assertSame(killer, later.getCause());
        assertThrows(StackStoppedException.class, () -> server.execute(() -> { }));
        assertThrows(SocketException.class, () -> peer.write(new byte[1], 0, 1));
        assertFalse(server.isAlive());
        assertEquals("dead: java.lang.InternalError: killed on purpose by the test", server.health());
        assertSame(killer, server.deathCause());
        // Closing what belonged to the dead stack neither throws nor hangs.
        peer.close();
        listener.close();
        socket.close();
    }

    @Test
    void threadDeath_failsAsyncOperations_pendingAndLater() throws Exception {
        client = runner(CLIENT, wire.a(), 1, ConnectionObserver.NONE);
        server = runner(SERVER, wire.b(), 2, ConnectionObserver.NONE);
        try (AsyncTcpServer listener = AsyncTcpServer.listen(server, 7, 8, c -> { })) {
            AsyncTcpConnection c = AsyncTcpConnection.connect(client, SERVER, 7).get(5, TimeUnit.SECONDS);
            CompletableFuture<byte[]> pendingRead = c.read();
            client.execute(() -> {
                throw new InternalError("killed on purpose by the test");
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> pendingRead.get(1, TimeUnit.SECONDS));
            SocketException cause = assertInstanceOf(SocketException.class, e.getCause());
            assertTrue(cause.getMessage().contains("died (java.lang.InternalError: killed on purpose by the test)"), cause.getMessage());
            ExecutionException later = assertThrows(ExecutionException.class, () -> c.write(new byte[1]).get(1, TimeUnit.SECONDS));
            assertInstanceOf(SocketException.class, later.getCause());
            assertEquals(io.usertcp.tcp.CloseReason.STACK_CLOSED, c.closedFuture().get(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void orderlyClose_failsLaterCalls_withoutACause() {
        client = runner(CLIENT, wire.a(), 1, ConnectionObserver.NONE);
        client.close();
        StackStoppedException e = assertThrows(StackStoppedException.class, () -> client.call(now -> 1));
        assertFalse(e.died());
        assertEquals("stopped", client.health());
        assertEquals(null, client.deathCause());
    }
}
