package io.usertcp.tun.interop;

import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * One end of a connection, ours ({@link TcpSocket}) or the kernel's ({@link Socket}), so that the
 * same sender and receiver code runs on both and the measurements compare like with like.
 */
interface Endpoint extends AutoCloseable {
    InputStream in() throws IOException;

    OutputStream out() throws IOException;

    void shutdownOutput() throws IOException;

    @Override
    void close() throws IOException;

    static Endpoint of(TcpSocket s) {
        return new Endpoint() {
            @Override
            public InputStream in() {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() {
                return s.getOutputStream();
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

    static Endpoint of(Socket s) {
        return new Endpoint() {
            @Override
            public InputStream in() throws IOException {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() throws IOException {
                return s.getOutputStream();
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
