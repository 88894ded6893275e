package io.usertcp.apps;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The echo service (RFC 862): every byte received is sent back; at the peer's FIN the connection
 * is closed once everything has been echoed.
 *
 * <pre>
 *   try (EchoServer echo = new EchoServer(runner, 7, 64)) { ... }
 * </pre>
 */
public final class EchoServer extends SocketServer {
    /** RFC 862's port. */
    public static final int DEFAULT_PORT = 7;
    private static final int CHUNK_BYTES = 16 * 1024;

    private final AtomicLong bytesEchoed = new AtomicLong();

    /**
     * @param maxConnections connections served at once (one thread each), 1..4096; idle timeout
     *                       {@link SocketServerConfig#DEFAULT_IDLE_TIMEOUT_MILLIS}
     */
    public EchoServer(StackRunner runner, int port, int maxConnections) throws BindException {
        super(runner, port, maxConnections, "echo");
    }

    /** A server with the given limits: connections at once, idle timeout. */
    public EchoServer(StackRunner runner, int port, SocketServerConfig config) throws BindException {
        super(runner, port, config, "echo");
    }

    /**
     * A server on every shard of a stack ({@code TunStackHost.runners()}), each connection on the
     * thread of the shard that owns it; the limits hold over all shards.
     */
    public EchoServer(List<StackRunner> shards, int port, SocketServerConfig config) throws BindException {
        super(shards, port, config, "echo");
    }

    /** Bytes sent back so far, over every connection. */
    public long bytesEchoed() {
        return bytesEchoed.get();
    }

    @Override
    protected void serve(TcpSocket socket) throws IOException {
        byte[] buffer = new byte[CHUNK_BYTES];
        int n;
        while ((n = read(socket, buffer, 0, buffer.length)) > 0) {
            write(socket, buffer, 0, n);
            bytesEchoed.addAndGet(n);
        }
    }
}
