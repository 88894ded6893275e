package io.usertcp.tools.bench;

import io.usertcp.socket.StreamEndpoint;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The programs both sides run: the same code on our sockets and on the kernel's, through
 * {@link StreamEndpoint}. Every loop is bounded by a count and a deadline; every read has the socket's
 * timeout.
 */
final class Workloads {
    /** Bytes per write and per read in bulk transfers. */
    static final int CHUNK_BYTES = 64 * 1024;
    /** Upper bound of one bulk transfer, whatever the duration (far above what 600 s could carry here). */
    static final long MAX_TRANSFER_BYTES = 1L << 40;
    /** Upper bound of round trips or connections in one timed loop. */
    static final long MAX_ITERATIONS = 100_000_000L;

    private Workloads() {}

    /**
     * A kernel client: connects with {@code java.net}. Must run on a thread inside the client's
     * namespace, where the socket is then created.
     */
    static StreamEndpoint connectKernel(String address, int port, int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(address, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            return StreamEndpoint.of(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- bulk

    /** What the sender did: when it started writing and how many bytes it wrote. */
    record Sent(long startNanos, long bytes) {}

    /** What the receiver got, and when it saw the end of the stream. */
    record Received(long bytes, long endNanos) {}

    /**
     * Writes for {@code durationNanos} (at most {@link #MAX_TRANSFER_BYTES}), half-closes, waits for
     * the receiver to close in turn (so that the receiver's time is the one that counts), closes.
     */
    static Sent sendFor(StreamEndpoint e, long durationNanos) throws IOException {
        byte[] chunk = new byte[CHUNK_BYTES];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + 7); // not all zeros: nothing on the path may shortcut zeros
        }
        OutputStream out = e.out();
        long start = System.nanoTime();
        long deadline = start + durationNanos;
        long bytes = 0;
        while (System.nanoTime() < deadline && bytes < MAX_TRANSFER_BYTES) {
            out.write(chunk, 0, chunk.length);
            bytes += chunk.length;
        }
        e.shutdownOutput();
        int after = e.in().read();
        if (after != -1) {
            throw new IOException("expected the receiver's end of stream, read " + after);
        }
        e.close();
        return new Sent(start, bytes);
    }

    /** Reads to the end of the stream, counting, notes the time, then closes. */
    static Received receiveAll(StreamEndpoint e) throws IOException {
        byte[] buffer = new byte[CHUNK_BYTES];
        InputStream in = e.in();
        long bytes = 0;
        int n;
        while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
            bytes += n;
        }
        long end = System.nanoTime();
        e.close();
        return new Received(bytes, end);
    }

    // ---------------------------------------------------------------- request/response

    /** Round trips measured after the warm-up, over how long, and all of them, warm-up included. */
    record RoundTrips(long count, long nanos, long total) {}

    /**
     * The client: writes one byte, reads it back, again and again, TCP_NODELAY on. Round trips
     * during the first {@code warmupNanos} are not recorded; the rest go into {@code samples}.
     */
    static RoundTrips requestResponse(StreamEndpoint e, long warmupNanos, long durationNanos, Latencies samples)
            throws IOException {
        e.noDelay();
        OutputStream out = e.out();
        InputStream in = e.in();
        byte[] request = {42};
        byte[] reply = new byte[1];
        long measureFrom = System.nanoTime() + warmupNanos;
        long end = measureFrom + durationNanos;
        long count = 0;
        long last = measureFrom;
        long i = 0;
        for (; i < MAX_ITERATIONS; i++) {
            long t0 = System.nanoTime();
            if (t0 >= end) {
                break;
            }
            out.write(request, 0, 1);
            if (in.read(reply, 0, 1) != 1) {
                throw new EOFException("the echo server closed after " + i + " round trips");
            }
            long t1 = System.nanoTime();
            if (t0 >= measureFrom) {
                samples.add(t1 - t0);
                count++;
                last = t1;
            }
        }
        e.shutdownOutput();
        if (in.read() != -1) {
            throw new IOException("expected the echo server's end of stream");
        }
        e.close();
        return new RoundTrips(count, last - measureFrom, i);
    }

    /** The server: echoes each byte at once until the end of the stream, then closes. */
    static long echo(StreamEndpoint e) throws IOException {
        e.noDelay();
        OutputStream out = e.out();
        InputStream in = e.in();
        byte[] one = new byte[1];
        long n = 0;
        while (n < MAX_ITERATIONS && in.read(one, 0, 1) == 1) {
            out.write(one, 0, 1);
            n++;
        }
        e.close();
        return n;
    }

    // ---------------------------------------------------------------- connection rate

    /**
     * One short connection from the client's side: connect, send one byte, read the one-byte
     * answer, read the server's end of stream (the server closes first), close. Must run inside the
     * client's namespace.
     */
    static void shortConnection(String address, int port, int timeoutMillis) throws IOException {
        try (StreamEndpoint e = connectKernel(address, port, timeoutMillis)) {
            e.noDelay();
            e.out().write(1);
            if (e.in().read() != 1) {
                throw new EOFException("no answer");
            }
            if (e.in().read() != -1) {
                throw new IOException("expected the server to close after its answer");
            }
        }
    }

    /** The server's side of {@link #shortConnection}: read one byte, answer it, close first. */
    static void answerAndClose(StreamEndpoint e) throws IOException {
        try (e) {
            e.noDelay();
            int b = e.in().read();
            if (b < 0) {
                throw new EOFException("the client closed without a request");
            }
            e.out().write(b);
        }
    }
}
