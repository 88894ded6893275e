package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpMd5Key;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * A listening socket, like {@code java.net.ServerSocket}, on a userspace stack. Thread-safe. When
 * the stack's thread dies, a blocked {@link #accept} wakes up and fails with a {@link SocketException}
 * that says so.
 */
public final class TcpServerSocket implements Closeable {
    private final StackRunner runner;
    private final EventGate gate = new EventGate();
    private final TcpListener listener;
    private volatile int soTimeoutMillis;
    private volatile boolean closed;
    private final Runnable wake = gate::signal;

    /**
     * Listens on {@code port} of every local address, with SO_REUSEADDR on.
     *
     * @throws BindException when the port already has a listener ("Address already in use", as
     *                       java.net's ServerSocket says it)
     */
    public TcpServerSocket(StackRunner runner, int port, int backlog) throws BindException {
        this.runner = runner;
        this.listener = SocketErrors.listen(runner, port, backlog, l -> gate::signal);
        runner.onTermination(wake);
    }

    /**
     * Waits for the next established connection.
     *
     * @throws SocketTimeoutException when SO_TIMEOUT passes first
     * @throws SocketException        when the server socket is closed
     */
    public TcpSocket accept() throws IOException {
        long timeout = soTimeoutMillis;
        long deadline = timeout > 0 ? System.nanoTime() + timeout * 1_000_000L : Long.MAX_VALUE;
        while (true) {
            if (closed) {
                throw new SocketException("Socket is closed");
            }
            long seen = gate.version();
            TcpSocket socket;
            try {
                socket = runner.call(now -> {
                    TcpConnection c = listener.accept();
                    return c == null ? null : TcpSocket.accepted(runner, c);
                });
            } catch (StackStoppedException e) {
                throw SocketErrors.stackStopped(e);
            }
            if (socket != null) {
                return socket;
            }
            if (!gate.awaitChange(seen, deadline)) {
                throw new SocketTimeoutException("Accept timed out");
            }
        }
    }

    public void setSoTimeout(int millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("timeout: " + millis + " ms (expected: >= 0)");
        }
        soTimeoutMillis = millis;
    }

    /**
     * TCP_MD5SIG on the listening socket (RFC 2385, Linux's {@code struct tcp_md5sig} with
     * TCP_MD5SIG_EXT's prefix length): peers that {@code key} covers must sign with it, and the
     * connections they open inherit it; {@code key} with an empty secret removes the key for its
     * address and prefix. See {@link TcpListener#setMd5Key}.
     *
     * @return false for a removal of a key that is not there (Linux: ENOENT)
     */
    public boolean setMd5Key(TcpMd5Key key) {
        return runner.call(now -> listener.setMd5Key(key));
    }

    public int getLocalPort() {
        return listener.port();
    }

    /** Stops listening; connections not yet accepted are reset. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runner.removeTerminationListener(wake);
        try {
            runner.call(now -> {
                listener.close(now);
                return null;
            });
        } catch (StackStoppedException e) {
            // The stack is gone, and the listener with it.
        }
        gate.signal();
    }
}
