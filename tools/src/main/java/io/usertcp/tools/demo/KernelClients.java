package io.usertcp.tools.demo;

import io.usertcp.tun.TunStackHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Clients that the Linux kernel runs against our stack: {@code java.net} sockets opened on a thread
 * inside the namespace, so that the kernel of the namespace is the peer. Every read has a time
 * limit and a size limit.
 */
public final class KernelClients {
    /** Connect and read time limit of these clients. */
    public static final int TIMEOUT_MILLIS = 5_000;
    /** Bytes read at most from one answer. */
    public static final int MAX_ANSWER_BYTES = 1 << 20;

    private KernelClients() {}

    /** A kernel socket connected to our stack's {@code port} (opened inside the namespace), at the host's stack address. */
    public static Socket connect(TunStackHost host, int port) throws Exception {
        return host.kernel(() -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host.stackAddress().toString(), port), TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            return s;
        });
    }

    /** Reads until end of stream, at most {@link #MAX_ANSWER_BYTES}. */
    public static byte[] readToEnd(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while (out.size() < MAX_ANSWER_BYTES && (n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** Reads exactly {@code n} bytes (fewer at end of stream). */
    public static byte[] readExactly(Socket s, int n) throws IOException {
        byte[] buf = new byte[n];
        int done = 0;
        InputStream in = s.getInputStream();
        while (done < n) {
            int r = in.read(buf, done, n - done);
            if (r < 0) {
                break;
            }
            done += r;
        }
        return java.util.Arrays.copyOf(buf, done);
    }

    /**
     * A plain HTTP/1.1 GET through a kernel socket: with {@code connectionClose} it asks the server
     * to close after the response and reads until it does; otherwise it half-closes after the
     * request (the server answers, sees the FIN and closes).
     *
     * @return the response, headers and body
     */
    public static String httpGet(TunStackHost host, int port, String path, boolean connectionClose) throws Exception {
        try (Socket s = connect(host, port)) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + host.stackAddress() + "\r\n"
                    + (connectionClose ? "Connection: close\r\n" : "") + "\r\n";
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            if (!connectionClose) {
                s.shutdownOutput();
            }
            return new String(readToEnd(s), StandardCharsets.ISO_8859_1);
        }
    }
}
