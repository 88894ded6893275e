package io.usertcp.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionHandler;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A connection for event-driven code: every operation returns at once with a
 * {@link CompletableFuture}; nothing blocks a thread. All work happens on the stack's thread, and
 * futures complete there too: chain with the {@code *Async} stages (or your own executor) before
 * doing anything slow, or the stack stalls.
 *
 * <pre>
 *   AsyncTcpConnection.connect(runner, server, 80)
 *       .thenCompose(c -&gt; c.write(request).thenCompose(v -&gt; c.read()))
 *       .thenAcceptAsync(bytes -&gt; ...);
 * </pre>
 *
 * <p>When the stack's thread dies, pending and later operations fail with a {@link SocketException}
 * that says so and carries the cause.
 */
public final class AsyncTcpConnection implements ConnectionHandler {
    private static final int READ_CHUNK = 64 * 1024;

    private final StackRunner runner;
    private final TcpConnection connection;
    private final CompletableFuture<AsyncTcpConnection> established = new CompletableFuture<>();
    private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    // Room for one pending operation each to start with (ArrayDeque's default, 16, is 84 bytes apiece on
    // every connection, most of which never has two operations pending); they grow when there are more.
    private final ArrayDeque<CompletableFuture<byte[]>> pendingReads = new ArrayDeque<>(1);
    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>(1);

    private record PendingWrite(byte[] data, int[] offset, CompletableFuture<Void> done) {}

    /** Fails what is pending if the stack thread stops without closing the connection first. */
    private final Runnable stackStopped = this::stackStopped;

    /** On the stack thread. */
    private AsyncTcpConnection(StackRunner runner, TcpConnection connection) {
        this.runner = runner;
        this.connection = connection;
        runner.onTermination(stackStopped);
    }

    /**
     * Opens a connection; the future completes when it is established, or exceptionally with the
     * {@code java.net} exception for why it failed ({@code ConnectException} "Connection refused", ...).
     */
    public static CompletableFuture<AsyncTcpConnection> connect(StackRunner runner, Ipv4Address address, int port) {
        return runner.submit(now -> {
            TcpConnection c = runner.stack().connect(now, address.bits(), port);
            AsyncTcpConnection async = new AsyncTcpConnection(runner, c);
            c.setHandler(async);
            return async;
        }).thenCompose(async -> async.established);
    }

    /** Wraps an accepted connection (on the stack thread). */
    static AsyncTcpConnection accepted(StackRunner runner, TcpConnection connection) {
        AsyncTcpConnection async = new AsyncTcpConnection(runner, connection);
        connection.setHandler(async);
        async.established.complete(async);
        return async;
    }

    public ConnectionId id() {
        return connection.id();
    }

    /**
     * The next bytes received: completes with at least one byte, with {@code null} at the end of the
     * stream (the peer's FIN), or exceptionally ("Connection reset", ...).
     */
    public CompletableFuture<byte[]> read() {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        execute(f, () -> {
            pendingReads.addLast(f);
            serveReads(StackRunner.nowNanos());
        });
        return f;
    }

    /** Queues all of {@code data}; completes when the stack has taken the last byte into its send buffer. */
    public CompletableFuture<Void> write(byte[] data) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        byte[] copy = data.clone(); // the caller may reuse its array at once
        execute(f, () -> {
            pendingWrites.addLast(new PendingWrite(copy, new int[1], f));
            serveWrites(StackRunner.nowNanos());
        });
        return f;
    }

    /** Half close: FIN after the queued data. */
    public CompletableFuture<Void> shutdownOutput() {
        return runner.submit(now -> {
            if (!connection.isClosed()) {
                connection.shutdownOutput(now);
            }
            return null;
        });
    }

    /** CLOSE; the returned future is {@link #closedFuture()}, which completes when the connection is over. */
    public CompletableFuture<CloseReason> close() {
        execute(closed, () -> connection.close(StackRunner.nowNanos()));
        return closed;
    }

    /** ABORT: RST now. */
    public CompletableFuture<CloseReason> abort() {
        execute(closed, () -> connection.abort(StackRunner.nowNanos()));
        return closed;
    }

    /** Completes with the reason when the connection is over (CLOSED, or handed to TIME-WAIT). */
    public CompletableFuture<CloseReason> closedFuture() {
        return closed;
    }

    /** Queues {@code task} on the stack thread, or fails {@code f} when that thread has stopped. */
    private void execute(CompletableFuture<?> f, Runnable task) {
        try {
            runner.execute(task);
        } catch (StackStoppedException e) {
            f.completeExceptionally(SocketErrors.stackStopped(e));
        }
    }

    private void serveReads(long now) {
        while (!pendingReads.isEmpty()) {
            int available = connection.readableBytes();
            if (available > 0) {
                ByteBuf dst = Unpooled.buffer(Math.min(available, READ_CHUNK));
                try {
                    connection.read(now, dst);
                    byte[] bytes = new byte[dst.readableBytes()];
                    dst.readBytes(bytes);
                    pendingReads.pollFirst().complete(bytes);
                } finally {
                    dst.release();
                }
            } else if (failure() != null) {
                pendingReads.pollFirst().completeExceptionally(failure());
            } else if (connection.isEndOfStream() || connection.isClosed()) {
                pendingReads.pollFirst().complete(null);
            } else {
                return;
            }
        }
    }

    private void serveWrites(long now) {
        while (!pendingWrites.isEmpty()) {
            PendingWrite w = pendingWrites.peekFirst();
            if (connection.isClosed() || !connection.state().canSend()) {
                IOException e = failure() != null ? failure() : new SocketException("Socket output is closed");
                pendingWrites.pollFirst().done().completeExceptionally(e);
                continue;
            }
            int left = w.data().length - w.offset()[0];
            ByteBuf src = Unpooled.wrappedBuffer(w.data(), w.offset()[0], left);
            try {
                // The buffer is ours until the future completes; send() keeps a slice of it.
                w.offset()[0] += connection.send(now, src);
            } finally {
                src.release();
            }
            if (w.offset()[0] < w.data().length) {
                return; // the send buffer is full: onWritable resumes
            }
            pendingWrites.pollFirst().done().complete(null);
        }
    }

    private IOException failure() {
        StackStoppedException stopped = runner.stoppedFailure();
        if (stopped != null && stopped.died()) {
            return SocketErrors.stackStopped(stopped);
        }
        CloseReason reason = connection.closeReason();
        return reason != null && reason.isError() ? SocketErrors.ioFailure(reason) : null;
    }

    @Override
    public void onEstablished(TcpConnection c, long nowNanos) {
        established.complete(this);
    }

    @Override
    public void onReadable(TcpConnection c, long nowNanos) {
        serveReads(nowNanos);
    }

    @Override
    public void onWritable(TcpConnection c, long nowNanos) {
        serveWrites(nowNanos);
    }

    /**
     * The stack thread stopped (on that thread, its last act): normally {@link #onClosed} has run
     * already, with STACK_CLOSED; if closing the stack failed, the futures still must not hang.
     */
    private void stackStopped() {
        StackStoppedException stopped = runner.stoppedFailure();
        IOException e = SocketErrors.stackStopped(stopped != null ? stopped : new IllegalStateException("the stack stopped"));
        established.completeExceptionally(e);
        CompletableFuture<byte[]> read;
        while ((read = pendingReads.pollFirst()) != null) {
            read.completeExceptionally(e);
        }
        PendingWrite write;
        while ((write = pendingWrites.pollFirst()) != null) {
            write.done().completeExceptionally(e);
        }
        closed.complete(CloseReason.STACK_CLOSED);
    }

    @Override
    public void onClosed(TcpConnection c, CloseReason reason, long nowNanos) {
        runner.removeTerminationListener(stackStopped);
        if (!established.isDone()) {
            IOException death = failure();
            established.completeExceptionally(death != null && runner.deathCause() != null ? death : SocketErrors.connectFailure(reason));
        }
        serveReads(nowNanos);
        serveWrites(nowNanos);
        closed.complete(reason);
    }
}
