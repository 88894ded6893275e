package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18 (3): idle connections cannot starve new ones. 600 silent connections used to lock every
 * new client out of the bundled servers (one thread each, at most 256, no idle timeout). Now a
 * connection that sends nothing for the idle timeout is closed, and when the cap is reached the
 * connection idle the longest makes room. Two stacks on an in-memory wire, real threads.
 */
@Timeout(60)
class IdleConnectionsTest {

    @Test
    void sixHundredSilentConnections_aNewClientIsStillEchoed() throws Exception {
        int silentCount = 600;
        int cap = 256;
        List<TcpSocket> silent = new ArrayList<>();
        try (TwoRunners net = new TwoRunners();
             EchoServer echo = new EchoServer(net.server, 7, new SocketServerConfig(cap, 30_000))) {
            try {
                for (int i = 0; i < silentCount; i++) {
                    silent.add(net.connect(7)); // connect and say nothing
                }
                try (TcpSocket fresh = net.connect(7)) {
                    fresh.getOutputStream().write('x');
                    assertEquals('x', fresh.getInputStream().read(), "a new client is served while 600 silent ones are open");
                }
                assertEquals(silentCount + 1, echo.connectionsAccepted());
                assertTrue(echo.activeConnections() <= cap, echo.activeConnections() + " served at once");
                assertEquals(silentCount + 1 - cap, echo.connectionsEvicted(),
                        "the silent ones beyond the cap were closed, the longest idle first");
                // the most recent silent connections are still open and served
                TcpSocket last = silent.get(silentCount - 1);
                last.getOutputStream().write('y');
                assertEquals('y', last.getInputStream().read());
            } finally {
                for (TcpSocket s : silent) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aConnectionThatSendsNothing_isClosedAfterTheIdleTimeout() throws Exception {
        try (TwoRunners net = new TwoRunners();
             EchoServer echo = new EchoServer(net.server, 7, new SocketServerConfig(4, 300));
             TcpSocket s = net.connect(7)) {
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "the server closes an idle connection (FIN)");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis >= 250 && tookMillis < 4_000, "closed after " + tookMillis + " ms, idle timeout 300 ms");
            awaitTrue(() -> echo.connectionsIdleClosed() == 1 && echo.activeConnections() == 0);
            assertEquals(0, echo.connectionsEvicted());
        }
    }

    @Test
    void aConnectionThatKeepsTalking_outlivesTheIdleTimeout() throws Exception {
        try (TwoRunners net = new TwoRunners();
             EchoServer echo = new EchoServer(net.server, 7, new SocketServerConfig(4, 300));
             TcpSocket s = net.connect(7)) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(900);
            int rounds = 0;
            while (System.nanoTime() < end) { // three idle timeouts long, never idle for one
                s.getOutputStream().write('k');
                assertEquals('k', s.getInputStream().read());
                rounds++;
            }
            assertTrue(rounds > 0);
            assertEquals(0, echo.connectionsIdleClosed());
            s.getOutputStream().write('z');
            assertEquals('z', s.getInputStream().read(), "still served after " + rounds + " round trips");
        }
    }

    @Test
    void aClientThatNeverReads_isClosedOnceTheServerCouldNotWriteForTheIdleTimeout() throws Exception {
        try (TwoRunners net = new TwoRunners();
             EchoServer echo = new EchoServer(net.server, 7, new SocketServerConfig(4, 300));
             TcpSocket s = net.connect(7)) {
            // Sends 4 MB and reads nothing: the echo stalls once our receive buffer and its send
            // buffer are full. Our write then stalls too, until the server gives up.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(new byte[4 << 20]);
                } catch (IOException e) {
                    // reset when the server closes with our bytes unread: expected
                }
            });
            awaitTrue(() -> echo.connectionsIdleClosed() == 1 && echo.activeConnections() == 0);
            assertEquals(0, echo.connectionsEvicted());
            s.close(); // frees our writer, whichever way it stalled
            writer.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void allConnectionsBusy_aNewOneWaitsInTheBacklog_untilOneFinishes() throws Exception {
        try (TwoRunners net = new TwoRunners(); Busy busy = new Busy(net.server, 2);
             TcpSocket a = net.connect(9); TcpSocket b = net.connect(9)) {
            assertTrue(busy.started.tryAcquire(2, 5, TimeUnit.SECONDS), "both served");
            try (TcpSocket c = net.connect(9)) {
                assertFalse(busy.started.tryAcquire(300, TimeUnit.MILLISECONDS),
                        "busy connections (not waiting for their peer) are not closed to make room");
                assertEquals(0, busy.idleConnections());
                busy.finish.release(); // one finishes
                assertTrue(busy.started.tryAcquire(5, TimeUnit.SECONDS), "the waiting one is served once one finished");
                assertEquals(0, busy.connectionsEvicted());
                assertEquals(3, busy.connectionsAccepted());
                busy.finish.release(2);
            }
        }
    }

    @Test
    void configOutOfRange_isRejectedWithWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SocketServerConfig(4, 0));
        assertEquals("idleTimeoutMillis: 0 (expected: 1..2147483647)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SocketServerConfig.of(4097));
        assertEquals("maxConnections: 4097 (expected: 1..4096)", e.getMessage());
    }

    /** A server whose connections are busy (not reading) until the test lets one finish. */
    private static final class Busy extends SocketServer {
        final Semaphore started = new Semaphore(0);
        final Semaphore finish = new Semaphore(0);

        Busy(StackRunner runner, int maxConnections) throws java.net.BindException {
            super(runner, 9, new SocketServerConfig(maxConnections, 30_000), "busy");
        }

        @Override
        protected void serve(TcpSocket socket) throws IOException {
            started.release();
            try {
                finish.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing
            }
        }
    }

    private interface Condition {
        boolean holds();
    }

    /**
     * A server over two shards (here two stacks, each with its own client, as a sharded host's
     * shards share nothing but the address): each shard's listener accepts its own connections,
     * and the cap holds over both: with two connections served, one on each shard, a third evicts
     * the one idle the longest, which is on the other shard.
     */
    @Test
    void twoShards_eachAcceptsItsOwn_andTheCapHoldsOverBoth() throws Exception {
        try (TwoRunners shard0 = new TwoRunners(); TwoRunners shard1 = new TwoRunners();
             EchoServer echo = new EchoServer(List.of(shard0.server, shard1.server), 7, new SocketServerConfig(2, 30_000));
             TcpSocket a = shard0.connect(7)) {
            assertEquals(2, echo.shards());
            a.getOutputStream().write('a');
            assertEquals('a', a.getInputStream().read(), "served on shard 0");
            awaitTrue(() -> echo.idleConnections() == 1); // its thread waits for a's next byte: idle since
            try (TcpSocket b = shard1.connect(7)) {
                b.getOutputStream().write('b');
                assertEquals('b', b.getInputStream().read(), "served on shard 1");
                awaitTrue(() -> echo.idleConnections() == 2);
                try (TcpSocket c = shard1.connect(7)) {
                    c.getOutputStream().write('c');
                    assertEquals('c', c.getInputStream().read(), "a third is served: room was made");
                    assertEquals(-1, a.getInputStream().read(), "a, on the other shard and idle the longest, was closed");
                    assertEquals(1, echo.connectionsEvicted());
                    assertEquals(3, echo.connectionsAccepted());
                    b.getOutputStream().write('B');
                    assertEquals('B', b.getInputStream().read(), "b is still served");
                    assertTrue(echo.activeConnections() <= 2, echo.activeConnections() + " served at once");
                }
            }
        }
    }

    private static void awaitTrue(Condition c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!c.holds()) {
            assertTrue(System.nanoTime() < deadline, "condition still false after 5 s");
            LockSupport.parkNanos(1_000_000); // polls a condition, with a deadline
        }
    }
}
