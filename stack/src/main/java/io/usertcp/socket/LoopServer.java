package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpListener;
import java.util.List;

/** A listener, one per shard, whose connections are served on the loop ({@link StackLoop#listen}). */
public final class LoopServer implements AutoCloseable {
    private final List<StackRunner> shards;
    private final List<TcpListener> listeners;

    LoopServer(List<StackRunner> shards, List<TcpListener> listeners) {
        this.shards = shards;
        this.listeners = List.copyOf(listeners);
    }

    public int port() {
        return listeners.get(0).port();
    }

    /** Stops listening on every shard (connections not yet accepted are reset); accepted ones go on. From any thread. */
    @Override
    public void close() {
        for (int i = 0; i < listeners.size(); i++) {
            StackRunner runner = shards.get(i);
            TcpListener listener = listeners.get(i);
            if (runner.inStackThread()) {
                listener.close(StackRunner.nowNanos());
            } else {
                runner.call(now -> {
                    listener.close(now);
                    return null;
                });
            }
        }
    }
}
