package io.usertcp.tools.bench;

import io.usertcp.socket.StreamEndpoint;
import io.usertcp.socket.TcpServerSocket;
import java.io.IOException;
import java.net.ServerSocket;

/** A listening socket, ours or the kernel's, handing out {@link StreamEndpoint}s. */
interface Acceptor extends AutoCloseable {
    /**
     * The next connection, waiting at most the timeout given when the acceptor was made.
     *
     * @throws java.net.SocketTimeoutException when none came in time
     */
    StreamEndpoint accept() throws IOException;

    @Override
    void close() throws IOException;

    /** Our listener; accept gives up after {@code timeoutMillis}; accepted sockets read with the same timeout. */
    static Acceptor of(TcpServerSocket server, int timeoutMillis) {
        server.setSoTimeout(timeoutMillis);
        return new Acceptor() {
            @Override
            public StreamEndpoint accept() throws IOException {
                var s = server.accept();
                s.setSoTimeout(timeoutMillis);
                return StreamEndpoint.of(s);
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }

    /** A kernel listener (bound inside its namespace); accept gives up after {@code timeoutMillis}. */
    static Acceptor of(ServerSocket server, int timeoutMillis) throws IOException {
        server.setSoTimeout(timeoutMillis);
        return new Acceptor() {
            @Override
            public StreamEndpoint accept() throws IOException {
                var s = server.accept();
                s.setSoTimeout(timeoutMillis);
                return StreamEndpoint.of(s);
            }

            @Override
            public void close() throws IOException {
                server.close();
            }
        };
    }
}
