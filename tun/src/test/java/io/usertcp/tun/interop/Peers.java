package io.usertcp.tun.interop;

import io.usertcp.socket.StreamEndpoint;
import static io.usertcp.tun.interop.InteropSupport.KERNEL;
import static io.usertcp.tun.interop.InteropSupport.STACK;
import static io.usertcp.tun.interop.InteropSupport.receiveAndHash;
import static io.usertcp.tun.interop.InteropSupport.sendGenerated;

import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection between our stack and the kernel with each side's part running at once: ours on
 * the calling thread, the kernel's on a thread inside the namespace. Also the sender and receiver
 * that every transfer test (and the veth baseline) runs on both ends.
 */
final class Peers {
    /** Reads on either side give up after this, so a stuck transfer fails instead of hanging. */
    static final int READ_TIMEOUT_MILLIS = 60_000;
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final long KERNEL_PART_TIMEOUT_SECONDS = 120;

    private Peers() {}

    /** Work on one end of a connection. */
    @FunctionalInterface
    interface Part<T> {
        T run(StreamEndpoint endpoint) throws Exception;
    }

    /** Both parts' results. */
    record Outcome<A, B>(A ours, B kernel) {}

    /** Which end of the handshake our stack plays. */
    enum OurRole { SERVER, CLIENT }

    /**
     * Our server ({@code listener}) accepts a connection from a kernel client in the namespace;
     * {@code ours} and {@code kernel} then run at once.
     */
    static <A, B> Outcome<A, B> kernelClient(TunStackHost host, TcpServerSocket listener, Part<A> ours, Part<B> kernel)
            throws Exception {
        Future<B> kernelSide = host.namespace().submitInside(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(STACK, listener.getLocalPort()), CONNECT_TIMEOUT_MILLIS);
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                return kernel.run(StreamEndpoint.of(s));
            }
        });
        A a;
        listener.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
        try (TcpSocket s = listener.accept()) {
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            a = ours.run(StreamEndpoint.of(s));
        } catch (Exception | Error e) {
            kernelSide.cancel(true);
            throw e;
        }
        return new Outcome<>(a, get(kernelSide));
    }

    /**
     * Our client connects to {@code kernelListener} (a server socket opened in the namespace with
     * {@link #kernelListener}); {@code ours} and {@code kernel} then run at once.
     */
    static <A, B> Outcome<A, B> ourClient(TunStackHost host, ServerSocket kernelListener, Part<A> ours, Part<B> kernel)
            throws Exception {
        Future<B> kernelSide = host.namespace().submitInside(() -> {
            try (Socket s = kernelListener.accept()) {
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                return kernel.run(StreamEndpoint.of(s));
            }
        });
        A a;
        try (TcpSocket s = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, kernelListener.getLocalPort(),
                CONNECT_TIMEOUT_MILLIS)) {
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            a = ours.run(StreamEndpoint.of(s));
        } catch (Exception | Error e) {
            kernelSide.cancel(true);
            throw e;
        }
        return new Outcome<>(a, get(kernelSide));
    }

    /** A listening kernel socket on {@code KERNEL:port} in {@code ns}, accepting for at most {@link #CONNECT_TIMEOUT_MILLIS}. */
    static ServerSocket kernelListener(NetworkNamespace ns, String address, int port) throws Exception {
        return ns.runInside(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, port), 256);
            s.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
            return s;
        });
    }

    /** {@link #kernelListener(NetworkNamespace, String, int)} on the kernel's address of the TUN host. */
    static ServerSocket kernelListener(TunStackHost host, int port) throws Exception {
        return kernelListener(host.namespace(), KERNEL, port);
    }

    static <T> T get(Future<T> future) throws Exception {
        try {
            return future.get(KERNEL_PART_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        }
    }

    // ---------------------------------------------------------------- the transfer protocol

    /** What the sender saw: when it started writing, and the digest the receiver sent back. */
    record Sent(long startNanos, byte[] receiverDigest) {}

    /**
     * Sends {@code length} generated bytes, half-closes, then reads the receiver's 32-byte SHA-256
     * and the end of the stream, and closes.
     */
    static Sent send(StreamEndpoint e, long length) throws IOException {
        long start = System.nanoTime();
        sendGenerated(e.out(), length);
        e.shutdownOutput();
        byte[] digest = e.in().readNBytes(32);
        int after = e.in().read();
        if (after != -1) {
            throw new IOException("expected the end of the stream after the digest, read " + after);
        }
        e.close();
        return new Sent(start, digest);
    }

    /** Reads to the end of the stream, hashing, then sends the SHA-256 back and closes. */
    static Received receive(StreamEndpoint e) throws IOException {
        Received r = receiveAndHash(e.in());
        e.out().write(r.sha256());
        e.out().flush();
        e.close();
        return r;
    }
}
