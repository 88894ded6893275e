package io.usertcp.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * One end of a byte stream, ours ({@link TcpSocket}) or the kernel's ({@link Socket}), so that the
 * same program drives both and a measurement or an interop check compares like with like (the
 * benchmarks and the interop tests use it).
 */
public interface StreamEndpoint extends AutoCloseable {
    InputStream in() throws IOException;

    OutputStream out() throws IOException;

    /** TCP_NODELAY on (request/response must not wait for Nagle, on either stack). */
    void noDelay() throws IOException;

    void shutdownOutput() throws IOException;

    @Override
    void close() throws IOException;

    /** Our socket. */
    static StreamEndpoint of(TcpSocket s) {
        return new StreamEndpoint() {
            @Override
            public InputStream in() {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() {
                return s.getOutputStream();
            }

            @Override
            public void noDelay() {
                s.setTcpNoDelay(true);
            }

            @Override
            public void shutdownOutput() throws IOException {
                s.shutdownOutput();
            }

            @Override
            public void close() {
                s.close();
            }

            @Override
            public String toString() {
                return "usertcp " + s.id();
            }
        };
    }

    /** A kernel socket. */
    static StreamEndpoint of(Socket s) {
        return new StreamEndpoint() {
            @Override
            public InputStream in() throws IOException {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() throws IOException {
                return s.getOutputStream();
            }

            @Override
            public void noDelay() throws IOException {
                s.setTcpNoDelay(true);
            }

            @Override
            public void shutdownOutput() throws IOException {
                s.shutdownOutput();
            }

            @Override
            public void close() throws IOException {
                s.close();
            }

            @Override
            public String toString() {
                return "kernel " + s.getLocalSocketAddress() + " <-> " + s.getRemoteSocketAddress();
            }
        };
    }
}
