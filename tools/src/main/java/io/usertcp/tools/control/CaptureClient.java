package io.usertcp.tools.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The reading end of a capture stream ({@link ControlProtocol#CAPTURE}): connects to a running
 * stack's control socket, asks for its segments and hands each frame to a {@link CaptureFrames.Receiver}.
 *
 * <p>{@link #poll(long, CaptureFrames.Receiver)} waits at most the time given, so a caller can keep
 * its own deadline; {@link #wakeup()} (from any thread, a Ctrl-C hook say) ends a wait early. Not
 * thread-safe otherwise: one thread polls.
 */
public final class CaptureClient implements AutoCloseable {
    /** Longest wait for the stack's first answer line. */
    static final long ANSWER_MILLIS = 5_000;

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(512 * 1024);
    private boolean ended;

    private CaptureClient(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /**
     * Connects and asks for the capture.
     *
     * @throws IOException when the stack does not answer, or refuses ({@code ERR ...}, the message says why)
     */
    public static CaptureClient open(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = null;
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer request = ByteBuffer.wrap((ControlProtocol.CAPTURE + "\n").getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            CaptureClient client = new CaptureClient(channel, selector);
            client.readAnswerLine(socket);
            return client;
        } catch (IOException | RuntimeException e) {
            if (selector != null) {
                selector.close();
            }
            channel.close();
            throw e;
        }
    }

    /** Reads {@code OK} (leaving what follows it in the buffer) or fails with the {@code ERR} line. */
    private void readAnswerLine(Path socket) throws IOException {
        long deadline = System.nanoTime() + ANSWER_MILLIS * 1_000_000L;
        while (true) {
            for (int i = 0; i < in.position(); i++) {
                if (in.get(i) == '\n') {
                    String line = new String(in.array(), 0, i, StandardCharsets.UTF_8);
                    if (!line.equals(ControlProtocol.OK)) {
                        throw new IOException(socket.getFileName() + " answered: " + line);
                    }
                    in.flip().position(i + 1);
                    in.compact();
                    return;
                }
            }
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0 || in.position() > ControlProtocol.MAX_REQUEST_BYTES) {
                throw new IOException(socket.getFileName() + " did not answer the capture request within " + ANSWER_MILLIS + " ms");
            }
            selector.select(left);
            selector.selectedKeys().clear();
            if (channel.read(in) < 0) {
                throw new IOException(socket.getFileName() + " closed the connection without an answer");
            }
        }
    }

    /**
     * Waits at most {@code timeoutMillis} for frames and hands every complete one to {@code receiver}.
     *
     * @return false once the stream is over: the end frame came, or the stack closed the connection
     * @throws IOException when reading fails or a frame is malformed, or the receiver throws
     */
    public boolean poll(long timeoutMillis, CaptureFrames.Receiver receiver) throws IOException {
        if (ended || drain(receiver)) {
            return false;
        }
        // What is left in the buffer is at most a partial frame: wait for more.
        selector.select(Math.max(1, timeoutMillis));
        selector.selectedKeys().clear();
        int n = channel.read(in);
        if (drain(receiver)) {
            return false;
        }
        if (n < 0) {
            ended = true; // the stack went away without its end frame (killed, say)
        }
        return !ended;
    }

    /** Hands the complete frames in the buffer to {@code receiver}; whether the end frame was among them. */
    private boolean drain(CaptureFrames.Receiver receiver) throws IOException {
        in.flip();
        try {
            ended = CaptureFrames.drain(in, receiver);
        } finally {
            in.compact();
        }
        return ended;
    }

    /** Ends a {@link #poll} wait at once; callable from any thread. */
    public void wakeup() {
        selector.wakeup();
    }

    /** Closes the connection: the stack sees the reader gone and stops the stream. */
    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
