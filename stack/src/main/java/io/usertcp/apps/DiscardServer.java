package io.usertcp.apps;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The discard service (RFC 863): every byte received is read and thrown away; at the peer's FIN
 * the connection is closed. Counts what it discarded, which makes it a simple sink for throughput
 * tests.
 */
public final class DiscardServer extends SocketServer {
    /** RFC 863's port. */
    public static final int DEFAULT_PORT = 9;
    private static final int CHUNK_BYTES = 64 * 1024;

    private final AtomicLong bytesDiscarded = new AtomicLong();

    /**
     * @param maxConnections connections served at once (one thread each), 1..4096; idle timeout
     *                       {@link SocketServerConfig#DEFAULT_IDLE_TIMEOUT_MILLIS}
     */
    public DiscardServer(StackRunner runner, int port, int maxConnections) throws BindException {
        super(runner, port, maxConnections, "discard");
    }

    /** A server with the given limits: connections at once, idle timeout. */
    public DiscardServer(StackRunner runner, int port, SocketServerConfig config) throws BindException {
        super(runner, port, config, "discard");
    }

    /**
     * A server on every shard of a stack ({@code TunStackHost.runners()}), each connection on the
     * thread of the shard that owns it; the limits hold over all shards.
     */
    public DiscardServer(List<StackRunner> shards, int port, SocketServerConfig config) throws BindException {
        super(shards, port, config, "discard");
    }

    /** Bytes read and discarded so far, over every connection. */
    public long bytesDiscarded() {
        return bytesDiscarded.get();
    }

    @Override
    protected void serve(TcpSocket socket) throws IOException {
        byte[] buffer = new byte[CHUNK_BYTES];
        int n;
        while ((n = read(socket, buffer, 0, buffer.length)) > 0) {
            bytesDiscarded.addAndGet(n);
        }
    }
}
