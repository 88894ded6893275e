package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: the control socket cannot be starved. A client that connects and says nothing is cut
 * off after the read timeout while others are served; clients beyond the cap get one line at once;
 * a client gives up on a server that does not answer after its own short timeout. A stack on an
 * in-memory wire: no TUN.
 */
@Timeout(30)
class ControlSocketLimitsTest {
    @TempDir
    Path dir;
    ConcurrentLinkPair wire;
    StackRunner runner;
    ControlServer control;
    final List<SocketChannel> silent = new ArrayList<>();

    void start(ControlServer.Limits limits) {
        wire = new ConcurrentLinkPair(1500);
        StackConfig config = StackConfig.of(Ipv4Address.of("198.18.0.2"), RandomSource.seeded(1))
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        runner = new StackRunner(new TcpStack(config), wire.a(), "usertcp-control-limits-test").start();
        control = ControlServer.start(dir.resolve("control"), "usertcp-limits-test", runner, Map.of("app", "nothing"),
                null, limits);
    }

    @AfterEach
    void stop() throws IOException {
        for (SocketChannel c : silent) {
            c.close();
        }
        if (control != null) {
            control.close();
            runner.close();
            wire.clear();
        }
    }

    @Test
    void aClientThatSendsNothing_isCutOffAfterTheReadTimeout_whileAnotherIsServed() throws Exception {
        start(new ControlServer.Limits(4, 1, 300, 2_000));
        SocketChannel slow = connectSilently();
        long start = System.nanoTime();

        assertEquals("alive", ControlClient.info(control.path()).get(ControlServer.HEALTH), "a second client is served");
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(300),
                "served at once, not after the silent client's timeout");

        String said = CompletableFuture.supplyAsync(() -> readUntilClosed(slow)).get(5, TimeUnit.SECONDS);
        long took = System.nanoTime() - start;
        assertEquals("ERR no request within 300 ms\n", said);
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(250), "not before its timeout: " + took / 1_000_000 + " ms");
        assertEquals("alive", ControlClient.info(control.path()).get(ControlServer.HEALTH), "its slot is free again");
    }

    @Test
    void clientsBeyondTheCap_getOneLineAtOnce_andAreServedOnceASlotIsFree() throws Exception {
        start(new ControlServer.Limits(2, 1, 20_000, 2_000));
        connectSilently();
        connectSilently(); // both slots held by clients that say nothing (for 20 s)

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            IOException refused = assertThrows(IOException.class, () -> ControlClient.info(control.path()));
            assertEquals("usertcp-limits-test.sock answered: ERR busy: 2 requests are being answered (at most 2 at once);"
                    + " try again", refused.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "refused at once, not left hanging");
        }

        for (SocketChannel c : silent) {
            c.close();
        }
        silent.clear();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                assertEquals("alive", ControlClient.info(control.path()).get(ControlServer.HEALTH));
                break;
            } catch (IOException e) {
                // the slots are given back by the request threads, a moment after the clients went
                assertTrue(System.nanoTime() < deadline, "still refused 5 s after the silent clients went: " + e);
            }
        }
    }

    @Test
    void aServerThatNeverAnswers_theClientGivesUpAfterItsTimeout_withAClearMessage() throws Exception {
        Path socket = dir.resolve("mute.sock");
        try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            mute.bind(UnixDomainSocketAddress.of(socket)); // listens, never accepts nor answers
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> ControlClient.request(socket, ControlProtocol.SS, 300));
            long took = System.nanoTime() - start;
            assertEquals("no answer to 'ss' within 300 ms: the stack is stuck or too busy (is it still running?)", e.getMessage());
            assertTrue(took < TimeUnit.SECONDS.toNanos(2), "gave up after " + took / 1_000_000 + " ms");
        }
        assertTrue(ControlClient.ANSWER_MILLIS <= 5_000, "the default client timeout is short");
        assertTrue(ControlClient.ANSWER_MILLIS > ControlServer.REQUEST_MILLIS, "a slow stack says so itself first");
    }

    @Test
    void limitsOutOfRange_areRejectedWithWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ControlServer.Limits(2, 2, 1, 1));
        assertTrue(e.getMessage().contains("expected: clients >= 1, 0 <= captures < clients"), e.getMessage());
    }

    private SocketChannel connectSilently() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        silent.add(c);
        c.connect(UnixDomainSocketAddress.of(control.path()));
        return c;
    }

    /** What the server sent before it closed the connection. */
    private static String readUntilClosed(SocketChannel c) {
        ByteBuffer in = ByteBuffer.allocate(1024);
        try {
            while (c.read(in) >= 0 && in.hasRemaining()) {
                // until the server closes
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }
}
