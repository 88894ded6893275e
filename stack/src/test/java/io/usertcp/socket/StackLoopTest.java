package io.usertcp.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event-loop API: handlers on the stack's thread, an echo server in a few lines, back-pressure
 * through {@link LoopConnection#write}'s short count and {@link LoopHandler#onWritable}, errors as
 * java.net's, misuse from another thread refused.
 */
class StackLoopTest {
    ConcurrentLinkPair wire;
    StackRunner client;
    StackRunner server;
    StackLoop clientLoop;
    StackLoop serverLoop;

    @BeforeEach
    void start() {
        wire = new ConcurrentLinkPair(1500);
        client = SocketApiTest.runner(SocketApiTest.CLIENT, wire.a(), 3);
        server = SocketApiTest.runner(SocketApiTest.SERVER, wire.b(), 4);
        clientLoop = new StackLoop(client);
        serverLoop = new StackLoop(server);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        wire.clear();
    }

    /** Echoes what it reads, waiting for room when the send buffer is full, and closes after the peer's FIN. */
    static final class Echo implements LoopHandler {
        private ByteBuf pending;
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public void onOpen(LoopConnection c) {
            events.add("open, on the loop: " + c.inLoop());
        }

        @Override
        public void onData(LoopConnection c, ByteBuf data) throws IOException {
            if (pending != null) {
                pending.writeBytes(data); // the bytes we were given live only during the call: keep a copy
                c.setAutoRead(false);
                return;
            }
            c.write(data);
            if (data.isReadable()) {
                pending = Unpooled.buffer().writeBytes(data);
                c.setAutoRead(false); // back-pressure: the receive window closes while we cannot send
            }
        }

        @Override
        public void onWritable(LoopConnection c) throws IOException {
            c.write(pending);
            if (!pending.isReadable()) {
                pending.release();
                pending = null;
                c.setAutoRead(true);
            }
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            events.add("end");
            c.close();
        }

        @Override
        public void onClose(LoopConnection c, IOException error) {
            events.add("close " + error);
            if (pending != null) {
                pending.release();
                pending = null;
            }
            closed.complete(error);
        }
    }

    /** Collects what it reads and completes at the end of the stream. */
    static class Collector implements LoopHandler {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public void onData(LoopConnection c, ByteBuf data) {
            byte[] b = new byte[data.readableBytes()];
            data.readBytes(b);
            bytes.writeBytes(b);
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            done.complete(bytes.toByteArray());
            c.close();
        }

        @Override
        public void onClose(LoopConnection c, IOException error) {
            closed.complete(error);
            done.completeExceptionally(error != null ? error : new IOException("closed before the end of stream"));
        }
    }

    @Test
    void echo_ofFourMegabytes_roundTripsIntact_withBackPressure_andEveryCallbackOnTheStackThread() throws Exception {
        byte[] message = new byte[4_000_000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 31 + 7);
        }
        Echo echo = new Echo();
        try (LoopServer listener = serverLoop.listen(7, 8, () -> echo)) {
            Upload upload = new Upload(Unpooled.wrappedBuffer(message));
            clientLoop.connect(SocketApiTest.SERVER, 7, upload).get(5, TimeUnit.SECONDS);
            assertArrayEquals(message, upload.done.get(20, TimeUnit.SECONDS));
            assertNull(upload.closed.get(5, TimeUnit.SECONDS), "an orderly close");
            assertTrue(upload.blocked > 0, "4 MB does not fit the send buffer at once: onWritable resumed the writes");
        }
        assertNull(echo.closed.get(5, TimeUnit.SECONDS), "the server's side closed in order too (after the client's last ACK)");
        assertEquals("open, on the loop: true", echo.events.get(0), "callbacks run on the stack's own thread: " + echo.events);
        assertTrue(echo.events.contains("end") && echo.events.contains("close null"), echo.events.toString());
    }

    /** Writes a source as room comes (onOpen, then each onWritable), half-closes, and collects what comes back. */
    static final class Upload extends Collector {
        final ByteBuf source;
        int blocked;

        Upload(ByteBuf source) {
            this.source = source;
        }

        @Override
        public void onOpen(LoopConnection c) throws IOException {
            onWritable(c);
        }

        @Override
        public void onWritable(LoopConnection c) throws IOException {
            c.write(source);
            if (source.isReadable()) {
                blocked++;
                return;
            }
            source.release();
            c.shutdownOutput();
        }
    }

    @Test
    void busyPolling_servesTheSameBytes_andTakesOnlySaneTimes() throws Exception {
        server.setBusyPollNanos(200_000);
        client.setBusyPollNanos(200_000);
        assertEquals(200_000, server.busyPollNanos());
        byte[] message = new byte[300_000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 7);
        }
        try (LoopServer listener = serverLoop.listen(7, 8, Echo::new)) {
            Upload upload = new Upload(Unpooled.wrappedBuffer(message));
            clientLoop.connect(SocketApiTest.SERVER, 7, upload).get(5, TimeUnit.SECONDS);
            assertArrayEquals(message, upload.done.get(20, TimeUnit.SECONDS));
        }
        assertThrows(IllegalArgumentException.class, () -> server.setBusyPollNanos(-1));
        assertThrows(IllegalArgumentException.class, () -> server.setBusyPollNanos(StackRunner.MAX_BUSY_POLL_NANOS + 1));
    }

    @Test
    void connect_toClosedPort_failsWithConnectionRefused_andNoCallback() {
        Collector collector = new Collector();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> clientLoop.connect(SocketApiTest.SERVER, 9, collector).get(5, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertEquals("Connection refused", e.getCause().getMessage());
        assertTrue(!collector.closed.isDone(), "no callback for a connection that never opened");
    }

    @Test
    void listen_onAPortInUse_isABindException() throws Exception {
        try (LoopServer first = serverLoop.listen(8, 8, () -> new LoopHandler() {})) {
            BindException e = assertThrows(BindException.class, () -> serverLoop.listen(8, 8, () -> new LoopHandler() {}));
            assertTrue(e.getMessage().startsWith("Address already in use"), e.getMessage());
        }
    }

    @Test
    void aConnection_usedFromAnotherThread_isRefusedWithAClearMessage() throws Exception {
        try (LoopServer listener = serverLoop.listen(7, 8, Echo::new)) {
            LoopConnection c = clientLoop.connect(SocketApiTest.SERVER, 7, new Collector()).get(5, TimeUnit.SECONDS);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.write(Unpooled.buffer(1).writeByte(1)));
            assertTrue(e.getMessage().contains("expected: the stack's thread"), e.getMessage());
            c.execute(c::abort);
        }
    }

    @Test
    void aConnectionThatEnds_whileItsReadingIsPaused_isFreed_afterOnClose() throws Exception {
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        try (LoopServer listener = serverLoop.listen(7, 8, () -> new LoopHandler() {
            @Override
            public void onOpen(LoopConnection c) {
                c.setAutoRead(false); // what arrives stays in the receive buffer
            }

            @Override
            public void onClose(LoopConnection c, IOException error) {
                closed.complete(error);
            }
        })) {
            LoopConnection c = clientLoop.connect(SocketApiTest.SERVER, 7, new Collector()).get(5, TimeUnit.SECONDS);
            c.execute(() -> {
                try {
                    c.write(Unpooled.wrappedBuffer(new byte[10_000]));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            c.execute(c::abort); // a task of its own: the data leaves before the RST
            assertEquals("Connection reset", closed.get(5, TimeUnit.SECONDS).getMessage());
            // Linux keeps a reset socket's unread bytes until the application closes it; after onClose nobody can.
            assertEquals(0L, (long) server.call(now -> server.stack().receiveMemoryBytes()),
                    "the unread bytes of a connection that ended are freed once its handler heard of it");
        }
    }

    @Test
    void aReset_reachesOnClose_asConnectionReset_andWriteAfterItFails() throws Exception {
        CompletableFuture<LoopConnection> accepted = new CompletableFuture<>();
        try (LoopServer listener = serverLoop.listen(7, 8, () -> new LoopHandler() {
            @Override
            public void onOpen(LoopConnection c) {
                accepted.complete(c);
            }
        })) {
            Collector collector = new Collector();
            LoopConnection c = clientLoop.connect(SocketApiTest.SERVER, 7, collector).get(5, TimeUnit.SECONDS);
            LoopConnection serverSide = accepted.get(5, TimeUnit.SECONDS);
            serverSide.execute(serverSide::abort);
            IOException error = collector.closed.get(5, TimeUnit.SECONDS);
            assertInstanceOf(SocketException.class, error);
            assertEquals("Connection reset", error.getMessage());
            CompletableFuture<IOException> writeError = new CompletableFuture<>();
            c.execute(() -> {
                try {
                    c.write(Unpooled.buffer(1).writeByte(1));
                    writeError.complete(null);
                } catch (IOException e) {
                    writeError.complete(e);
                }
            });
            assertEquals("Connection reset", writeError.get(5, TimeUnit.SECONDS).getMessage());
        }
    }
}
