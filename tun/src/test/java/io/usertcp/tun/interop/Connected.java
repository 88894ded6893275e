package io.usertcp.tun.interop;

import static io.usertcp.tun.interop.InteropSupport.STACK;

import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpState;
import io.usertcp.tun.TunStackHost;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Future;

/**
 * An established connection with both ends in the test's hands, to drive a close step by step: our
 * {@link TcpSocket} and the kernel's {@link Socket} (made inside the namespace, usable from any
 * thread). Closing this closes whatever is still open, the kernel's end abortively so that no
 * kernel state outlives the test's namespace by surprise.
 */
final class Connected implements AutoCloseable {
    static final int PORT = 6001;
    static final int READ_TIMEOUT_MILLIS = 10_000;

    final TcpSocket ours;
    final Socket kernel;
    private final AutoCloseable listener;

    private Connected(TcpSocket ours, Socket kernel, AutoCloseable listener) {
        this.ours = ours;
        this.kernel = kernel;
        this.listener = listener;
    }

    /** Our server accepts a kernel client. */
    static Connected kernelClient(TunStackHost host) throws Exception {
        TcpServerSocket listener = new TcpServerSocket(host.runner(), PORT, 8);
        try {
            Future<Socket> kernel = host.namespace().submitInside(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(STACK, PORT), Peers.CONNECT_TIMEOUT_MILLIS);
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                return s;
            });
            listener.setSoTimeout(Peers.CONNECT_TIMEOUT_MILLIS);
            TcpSocket ours = listener.accept();
            ours.setSoTimeout(READ_TIMEOUT_MILLIS);
            return new Connected(ours, Peers.get(kernel), listener);
        } catch (Exception | Error e) {
            listener.close();
            throw e;
        }
    }

    /** Our client connects to a kernel server. */
    static Connected ourClient(TunStackHost host) throws Exception {
        ServerSocket listener = Peers.kernelListener(host, PORT);
        try {
            Future<Socket> kernel = host.namespace().submitInside(() -> {
                Socket s = listener.accept();
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                return s;
            });
            TcpSocket ours = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, PORT, Peers.CONNECT_TIMEOUT_MILLIS);
            ours.setSoTimeout(READ_TIMEOUT_MILLIS);
            return new Connected(ours, Peers.get(kernel), listener);
        } catch (Exception | Error e) {
            listener.close();
            throw e;
        }
    }

    ConnectionId id() {
        return ours.id();
    }

    /** The kernel's port of this connection. */
    int kernelPort() {
        return ours.id().remotePort();
    }

    /** Our port of this connection. */
    int stackPort() {
        return ours.id().localPort();
    }

    TcpState ourState() {
        return ours.state();
    }

    /** The kernel's socket state for this connection as {@code ss} shows it, or null when it is gone. */
    String kernelState(TunStackHost host) {
        return InteropSupport.kernelState(host, kernelPort(), stackPort());
    }

    @Override
    public void close() throws Exception {
        try {
            ours.close();
        } finally {
            try {
                if (!kernel.isClosed()) {
                    kernel.setSoLinger(true, 0);
                    kernel.close();
                }
            } catch (IOException e) {
                // already reset
            } finally {
                listener.close();
            }
        }
    }
}
