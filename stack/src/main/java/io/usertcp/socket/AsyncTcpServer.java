package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import java.util.function.Consumer;

/**
 * A listener for event-driven code: each established connection is handed to a callback on the
 * stack's thread, as an {@link AsyncTcpConnection}. The callback must not block.
 */
public final class AsyncTcpServer implements AutoCloseable {
    private final StackRunner runner;
    private final TcpListener listener;

    private AsyncTcpServer(StackRunner runner, TcpListener listener) {
        this.runner = runner;
        this.listener = listener;
    }

    /** Listens on {@code port} of every local address and accepts every connection as it completes. */
    public static AsyncTcpServer listen(StackRunner runner, int port, int backlog, Consumer<AsyncTcpConnection> onAccept) {
        TcpListener listener = runner.call(now -> {
            TcpListener l = runner.stack().listen(now, port, backlog);
            l.setOnAcceptable(() -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    onAccept.accept(AsyncTcpConnection.accepted(runner, c));
                }
            });
            return l;
        });
        return new AsyncTcpServer(runner, listener);
    }

    public int port() {
        return listener.port();
    }

    /** Stops listening; connections not yet accepted are reset. */
    @Override
    public void close() {
        runner.call(now -> {
            listener.close(now);
            return null;
        });
    }
}
