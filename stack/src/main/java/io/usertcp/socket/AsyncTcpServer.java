package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import java.net.BindException;
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

    /**
     * Listens on {@code port} of every local address and accepts every connection as it completes.
     *
     * @throws BindException when the port already has a listener ("Address already in use"), as java.net's
     */
    public static AsyncTcpServer listen(StackRunner runner, int port, int backlog, Consumer<AsyncTcpConnection> onAccept)
            throws BindException {
        TcpListener listener = SocketErrors.listen(runner, port, backlog, l -> () -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                onAccept.accept(AsyncTcpConnection.accepted(runner, c));
            }
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
