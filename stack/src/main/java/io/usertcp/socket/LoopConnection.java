package io.usertcp.socket;

import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionHandler;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import java.io.IOException;

/**
 * A connection served on the stack's thread by a {@link LoopHandler}. Every method is for that
 * thread only (the handler's callbacks, or a task given to {@link #execute}); called from another
 * thread they throw {@link IllegalStateException}, since they touch the connection directly.
 *
 * <p>Reading needs no call: data comes to {@link LoopHandler#onData} as it arrives, until
 * {@link #setAutoRead(boolean) setAutoRead(false)} pauses it; then the bytes stay in the receive
 * buffer, whose window closes as it fills, which slows the peer down (back-pressure, as
 * Netty's autoRead).
 */
public final class LoopConnection implements ConnectionHandler {
    private final StackLoop loop;
    /** The shard that owns this connection's flow: its thread is the only one that may touch it. */
    private final StackRunner runner;
    private final TcpConnection connection;
    private final LoopHandler handler;
    private boolean opened;
    private boolean endDelivered;
    private boolean closeDelivered;
    private boolean autoRead = true;
    private boolean writeBlocked;

    LoopConnection(StackLoop loop, StackRunner runner, TcpConnection connection, LoopHandler handler) {
        this.loop = loop;
        this.runner = runner;
        this.connection = connection;
        this.handler = handler;
    }

    public ConnectionId id() {
        return connection.id();
    }

    /** The loop this connection is served on. */
    public StackLoop loop() {
        return loop;
    }

    /** Runs {@code task} on this connection's thread (its shard's), after what is queued before it. From any thread. */
    public void execute(Runnable task) {
        runner.execute(task);
    }

    /** Whether the calling thread is this connection's (its shard's stack thread). */
    public boolean inLoop() {
        return runner.inStackThread();
    }

    private void requireInLoop() {
        if (!runner.inStackThread()) {
            throw new IllegalStateException("a LoopConnection is used on thread '" + Thread.currentThread().getName()
                    + "' (expected: the stack's thread: a LoopHandler callback, or a task given to LoopConnection.execute)");
        }
    }

    /** The TCP connection itself, for its options and TCP_INFO (on the stack's thread). */
    public TcpConnection tcp() {
        requireInLoop();
        return connection;
    }

    /**
     * Queues what fits of {@code data} in the send buffer; it goes out in this turn of the loop
     * (Nagle, cwnd and the peer's window permitting).
     *
     * @param data borrowed; its reader index moves past what was taken, and the bytes taken must
     *             not be written to afterwards: the send buffer keeps them as a retained slice until
     *             the peer acknowledges them (as {@link TcpConnection#send} says)
     * @return the bytes taken; when fewer than offered, {@link LoopHandler#onWritable} follows
     *         once there is room
     * @throws IOException when the connection can no longer send (closed, reset, shut down)
     */
    public int write(ByteBuf data) throws IOException {
        requireInLoop();
        if (connection.isClosed()) {
            IOException e = failure();
            throw e != null ? e : new java.net.SocketException("Socket is closed");
        }
        int taken;
        try {
            taken = connection.send(StackLoop.now(), data);
        } catch (IllegalStateException e) {
            throw new java.net.SocketException("Socket output is shutdown or closed: " + e.getMessage());
        }
        if (data.isReadable()) {
            writeBlocked = true;
        }
        return taken;
    }

    /** TCP_NODELAY: small writes go out at once rather than wait for the ACK of the last (Nagle off). */
    public void setNoDelay(boolean on) {
        requireInLoop();
        if (!connection.isClosed()) {
            connection.setNoDelay(StackLoop.now(), on);
        }
    }

    /** Room in the send buffer now. */
    public int writableBytes() {
        requireInLoop();
        return connection.isClosed() ? 0 : connection.sendSpace();
    }

    /** Pauses ({@code false}) or resumes the delivery of received data; resuming delivers what waits. */
    public void setAutoRead(boolean on) {
        requireInLoop();
        boolean resumed = on && !autoRead;
        autoRead = on;
        if (resumed) {
            deliverData();
        }
    }

    /** Half close: our FIN after what is queued. */
    public void shutdownOutput() {
        requireInLoop();
        if (!connection.isClosed()) {
            connection.shutdownOutput(StackLoop.now());
        }
    }

    /** CLOSE: the FIN after what is queued; {@link LoopHandler#onClose} when it is over. */
    public void close() {
        requireInLoop();
        if (!connection.isClosed()) {
            connection.close(StackLoop.now());
        }
    }

    /** ABORT: a RST now. */
    public void abort() {
        requireInLoop();
        if (!connection.isClosed()) {
            connection.abort(StackLoop.now());
        }
    }

    /** Whether the connection is over. */
    public boolean isClosed() {
        return connection.isClosed();
    }

    // ---------------------------------------------------------------- from the stack (ConnectionHandler)

    /** An accepted connection is handed over: opened at once, and what arrived before is delivered. */
    void accepted() {
        connection.setHandler(this);
        open();
        if (connection.readableBytes() > 0 || connection.isEndOfStream()) {
            deliverData();
        }
        if (connection.isClosed()) {
            onClosed(connection, connection.closeReason(), StackLoop.now());
        }
    }

    private void open() {
        if (!opened) {
            opened = true;
            try {
                handler.onOpen(this);
            } catch (IOException e) {
                failed(e);
            }
        }
    }

    /** The handler threw an IOException: the connection is aborted and the exception is what onClose reports. */
    private void failed(IOException e) {
        if (closeDelivered) {
            return;
        }
        closeDelivered = true;
        if (!connection.isClosed()) {
            connection.abort(StackLoop.now());
        }
        handler.onClose(this, e);
    }

    @Override
    public void onEstablished(TcpConnection c, long nowNanos) {
        loop.connected(this);
        open();
    }

    @Override
    public void onReadable(TcpConnection c, long nowNanos) {
        deliverData();
    }

    @Override
    public void onWritable(TcpConnection c, long nowNanos) {
        if (writeBlocked && !connection.isClosed() && connection.sendSpace() > 0) {
            writeBlocked = false;
            try {
                handler.onWritable(this);
            } catch (IOException e) {
                failed(e);
            }
        }
    }

    @Override
    public void onClosed(TcpConnection c, CloseReason reason, long nowNanos) {
        if (closeDelivered) {
            return;
        }
        if (!opened) {
            loop.connectFailed(this, SocketErrors.connectFailure(reason));
            closeDelivered = true;
            return;
        }
        deliverData(); // what arrived before the end is still the application's
        closeDelivered = true;
        try {
            handler.onClose(this, reason.isError() ? SocketErrors.ioFailure(reason) : null);
        } finally {
            // The stack keeps a connection that ended without the application's CLOSE (a reset, a
            // timeout, TIME-WAIT after a half close) until it is closed: nothing reads it from now on.
            connection.close(nowNanos); // on a closed connection: frees its buffers and forgets it
        }
    }

    /**
     * Reads what waits and hands it to the handler, then the end of stream once. Each read goes
     * into a new pooled buffer released after the call, so that a handler may write the bytes it
     * was given straight back (the send buffer keeps them as a retained slice) or retain them.
     */
    private void deliverData() {
        int readable;
        while (autoRead && opened && !closeDelivered && (readable = connection.readableBytes()) > 0) {
            ByteBuf buffer = runner.stack().allocator().buffer(Math.min(readable, StackLoop.READ_CHUNK));
            try {
                int n = connection.read(StackLoop.now(), buffer);
                if (n <= 0) {
                    break;
                }
                handler.onData(this, buffer);
            } catch (IOException e) {
                failed(e);
                return;
            } finally {
                buffer.release();
            }
        }
        if (autoRead && opened && !endDelivered && connection.isEndOfStream() && connection.readableBytes() == 0) {
            endDelivered = true;
            try {
                handler.onEndOfStream(this);
            } catch (IOException e) {
                failed(e);
            }
        }
    }

    private IOException failure() {
        CloseReason reason = connection.closeReason();
        return reason != null && reason.isError() ? SocketErrors.ioFailure(reason) : null;
    }

    @Override
    public String toString() {
        return "LoopConnection[" + connection.id() + ", " + connection.state() + "]";
    }
}
