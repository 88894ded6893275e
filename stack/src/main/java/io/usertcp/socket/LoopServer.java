package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpListener;

/** A listener whose connections are served on the loop ({@link StackLoop#listen}). */
public final class LoopServer implements AutoCloseable {
    private final StackRunner runner;
    private final TcpListener listener;

    LoopServer(StackRunner runner, TcpListener listener) {
        this.runner = runner;
        this.listener = listener;
    }

    public int port() {
        return listener.port();
    }

    /** Stops listening (connections not yet accepted are reset); accepted ones go on. From any thread. */
    @Override
    public void close() {
        if (runner.inStackThread()) {
            listener.close(StackRunner.nowNanos());
            return;
        }
        runner.call(now -> {
            listener.close(now);
            return null;
        });
    }
}
