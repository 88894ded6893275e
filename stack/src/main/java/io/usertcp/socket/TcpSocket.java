package io.usertcp.socket;

import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionHandler;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpMd5Key;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4Address;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * A TCP connection with blocking streams, like {@code java.net.Socket}, on a userspace stack. Every
 * method is thread-safe; reads and writes block the calling thread (never the stack's).
 *
 * <pre>
 *   try (TcpSocket s = TcpSocket.connect(runner, Ipv4Address.of("198.18.0.1"), 80, 5000)) {
 *       s.getOutputStream().write(request);
 *       int n = s.getInputStream().read(buffer);   // -1 at the peer's FIN
 *   }
 * </pre>
 *
 * <p>When the stack's thread dies, every blocked call wakes up and every call fails at once with a
 * {@link SocketException} that says so and carries the cause.
 */
public final class TcpSocket implements Closeable {
    /** The most one write copies ahead of knowing the room in the send buffer. */
    private static final int COPY_AHEAD_BYTES = 256 * 1024;
    /** The least: below it a copy is cheap whatever the room. */
    private static final int MIN_COPY_BYTES = 16 * 1024;

    private final StackRunner runner;
    private final EventGate gate = new EventGate();
    /** The connection's handler: {@link Events}. */
    private final ConnectionHandler events = new Events();
    /** Reads waiting for data, oldest first; only the stack thread touches it. */
    private final ArrayDeque<Taken> parked = new ArrayDeque<>(1);
    /** Whether the parked reads will be answered at the end of the stack thread's next turn; stack thread only. */
    private boolean answerAtTurnEnd;
    private final InputStream in = new In();
    private final OutputStream out = new Out();
    private volatile TcpConnection connection;
    private volatile int soTimeoutMillis;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private volatile boolean closed;
    /** Wakes blocked callers when the stack thread stops. */
    private final Runnable wake = gate::signal;
    /** The unexpected failure the runner pinned on this connection before aborting it, or null. */
    private volatile Throwable fault;

    private TcpSocket(StackRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
        runner.onTermination(wake);
    }

    /**
     * Opens a connection and waits until it is established.
     *
     * @param timeoutMillis 0 waits as long as the stack keeps retrying the SYN
     * @throws java.net.ConnectException       refused, or the SYN retries ran out
     * @throws SocketTimeoutException          {@code timeoutMillis} passed first (the attempt is aborted)
     */
    public static TcpSocket connect(StackRunner runner, Ipv4Address address, int port, int timeoutMillis) throws IOException {
        return connect(runner, address, port, timeoutMillis, null);
    }

    /**
     * Opens a connection signed with TCP MD5 signatures (RFC 2385), as Linux's
     * {@code setsockopt(TCP_MD5SIG)} before {@code connect} does: the SYN and every segment after it
     * carry a signature made with {@code md5Key}, and only segments signed with it are accepted; a
     * peer that signs nothing, or with another key, is never heard (the connect times out).
     *
     * @param md5Key a key whose prefix covers {@code address}, or null for none
     * @throws IllegalArgumentException when the key does not cover {@code address}
     * @see #connect(StackRunner, Ipv4Address, int, int)
     */
    public static TcpSocket connect(StackRunner runner, Ipv4Address address, int port, int timeoutMillis, TcpMd5Key md5Key)
            throws IOException {
        TcpSocket socket = new TcpSocket(runner);
        try {
            socket.connection = socket.call(now -> {
                TcpConnection c = runner.stack().connect(now, address.bits(), port);
                try {
                    c.setMd5Key(md5Key); // before the SYN goes out, on the next transmit
                } catch (IllegalArgumentException e) {
                    c.abort(now);
                    throw e;
                }
                c.setHandler(socket.events);
                runner.watch(c, socket::faulted);
                return c;
            });
            socket.awaitEstablished(timeoutMillis);
        } catch (IOException | RuntimeException e) {
            socket.forget();
            throw e;
        }
        return socket;
    }

    /**
     * Opens a connection with TCP Fast Open (RFC 7413, Linux's sendto(MSG_FASTOPEN)): with a cookie
     * cached for the destination, the SYN carries the start of {@code data}; without one, it asks
     * for a cookie (the next connection to that destination can use it). What the SYN does not carry
     * is written once the connection is established, before this returns. Needs the stack's Fast
     * Open client side ({@link io.usertcp.tcp.TcpConfig#fastOpen()} bit 0x1, on in the linux profile).
     *
     * @param data the first bytes to send; copied, the caller may reuse the array
     * @return the socket, established, with every byte of {@code data} queued
     * @throws java.net.ConnectException refused, or the SYN retries ran out
     * @throws SocketTimeoutException    {@code timeoutMillis} passed first (the attempt is aborted)
     * @throws IllegalStateException     when the stack's Fast Open client side is off
     */
    public static TcpSocket connectFastOpen(StackRunner runner, Ipv4Address address, int port, byte[] data, int timeoutMillis)
            throws IOException {
        TcpSocket socket = new TcpSocket(runner);
        int carried;
        try {
            int[] taken = new int[1];
            socket.connection = socket.call(now -> {
                TcpConnection c = runner.stack().connect(now, address.bits(), port);
                c.setHandler(socket.events);
                runner.watch(c, socket::faulted);
                ByteBuf copy = runner.stack().allocator().buffer(Math.max(1, data.length));
                try {
                    copy.writeBytes(data);
                    taken[0] = c.sendFastOpen(now, copy);
                } finally {
                    copy.release();
                }
                return c;
            });
            carried = taken[0];
            socket.awaitEstablished(timeoutMillis);
        } catch (IOException | RuntimeException e) {
            socket.forget();
            throw e;
        }
        if (carried < data.length) {
            socket.write(data, carried, data.length - carried);
        }
        return socket;
    }

    /** A connect that failed: the runner stops watching the connection and telling this socket of its end. */
    private void forget() {
        runner.removeTerminationListener(wake);
        TcpConnection c = connection;
        if (c != null) {
            try {
                runner.call(now -> {
                    runner.unwatch(c);
                    return null;
                });
            } catch (StackStoppedException stopped) {
                // nothing is left to forget
            }
        }
    }

    /** Wraps a connection taken from a listener's accept queue; must run on the stack thread. */
    static TcpSocket accepted(StackRunner runner, TcpConnection connection) {
        TcpSocket socket = new TcpSocket(runner);
        socket.connection = connection;
        connection.setHandler(socket.events);
        runner.watch(connection, socket::faulted);
        return socket;
    }

    private void awaitEstablished(int timeoutMillis) throws IOException {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : Long.MAX_VALUE;
        TcpConnection c = connection;
        while (true) {
            long seen = gate.version();
            Object[] status = call(now -> new Object[] {c.state(), c.closeReason()});
            TcpState state = (TcpState) status[0];
            CloseReason reason = (CloseReason) status[1];
            if (reason != null && state != TcpState.TIME_WAIT && !state.isSynchronized()) {
                throw fault != null ? faultFailure() : SocketErrors.connectFailure(reason);
            }
            if (state.isSynchronized() || reason != null) {
                return;
            }
            if (!gate.awaitChange(seen, deadline)) {
                call(now -> {
                    c.abort(now);
                    return null;
                });
                throw new SocketTimeoutException("Connect timed out");
            }
        }
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    /**
     * Reads up to {@code length} bytes, blocking until at least one is available.
     *
     * @return bytes read, or -1 at the end of the stream (the peer's FIN)
     * @throws SocketException        "Connection reset" and the other failures of the connection
     * @throws SocketTimeoutException when SO_TIMEOUT passes with nothing to read
     */
    public int read(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        checkOpen();
        if (inputShutdown) {
            return -1;
        }
        if (length == 0) {
            return 0;
        }
        int timeout = soTimeoutMillis;
        long deadline = timeout > 0 ? System.nanoTime() + timeout * 1_000_000L : Long.MAX_VALUE;
        TcpConnection c = connection;
        Taken taken = new Taken(length);
        try {
            post(now -> fillOrPark(c, now, taken));
            while (true) {
                long seen = gate.version();
                int n = taken.copyTo(buffer, offset);
                if (n != Taken.UNANSWERED) {
                    if (n > 0 || n == -1 && fault == null) {
                        return n;
                    }
                    if (fault != null) {
                        throw faultFailure();
                    }
                    throw SocketErrors.ioFailure(taken.failure);
                }
                if (fault != null) {
                    throw faultFailure();
                }
                if (!runner.isAlive()) {
                    throw SocketErrors.stackStopped(runner.stoppedFailure()); // the read will never be answered
                }
                if (!gate.awaitChange(seen, deadline)) {
                    throw new SocketTimeoutException("Read timed out");
                }
                checkOpen(); // java.net: a read blocked when another thread closes the socket fails with "Socket closed"
            }
        } finally {
            taken.abandon(); // releases whatever was not copied, also when the read gave up before an answer came
        }
    }

    /**
     * On the stack thread: answers a read at once with what the receive buffer holds, or parks it,
     * to be answered by the segment that brings data or the end of the connection ({@link Events}).
     * Readers are answered in the order they came.
     */
    private Void fillOrPark(TcpConnection c, long now, Taken taken) {
        answerParked(c, now);
        if (parked.isEmpty() && taken.fill(c, now)) {
            gate.signal();
        } else {
            parked.addLast(taken);
        }
        return null;
    }

    /** On the stack thread: answers the parked reads there is something for (data, the end, a failure), oldest first. */
    private void answerParked(TcpConnection c, long now) {
        boolean answered = false;
        while (!parked.isEmpty() && parked.peekFirst().fill(c, now)) {
            parked.pollFirst();
            answered = true;
        }
        if (answered) {
            gate.signal();
        }
    }

    /**
     * The connection's events, on the stack thread: data or the end of the connection answers the
     * parked reads first; every event then wakes the callers blocked on the gate.
     */
    private final class Events implements ConnectionHandler {
        @Override
        public void onEstablished(TcpConnection connection, long nowNanos) {
            gate.signal();
        }

        /**
         * Data came. A waiting read it fills is answered now; one it does not fill is answered at
         * the end of the stack thread's next turn ({@link StackRunner#atEndOfNextTurn}), with
         * what has come by then: a lone request is answered before the thread sleeps, one turn
         * later, and the reader of a busy stream takes the next batch too, as the second request
         * of a read that asked twice used to (answering at the first batch cut a blocking bulk
         * receiver's bytes per read and its throughput by a sixth). Nobody waits on the gate for
         * data: a read waits for its answer.
         */
        @Override
        public void onReadable(TcpConnection connection, long nowNanos) {
            if (parked.isEmpty()) {
                return;
            }
            if (connection.readableBytes() >= parked.peekFirst().length) {
                answerParked(connection, nowNanos);
            } else if (!answerAtTurnEnd) {
                answerAtTurnEnd = true;
                runner.atEndOfNextTurn(() -> {
                    answerAtTurnEnd = false;
                    answerParked(connection, StackRunner.nowNanos());
                });
            }
        }

        @Override
        public void onWritable(TcpConnection connection, long nowNanos) {
            gate.signal();
        }

        @Override
        public void onClosed(TcpConnection connection, CloseReason reason, long nowNanos) {
            answerParked(connection, nowNanos);
            gate.signal();
        }
    }

    /**
     * One read's bytes, handed from the stack thread to the reader without a copy there, and
     * without the reader asking twice. The read posts itself to the stack thread and waits: the
     * stack thread answers it at once when the receive buffer holds data, or parks it and answers
     * it when data comes, taking the bytes out as buffers ({@link TcpConnection#take}) and waking
     * the reader, which copies them into its array and releases them. A blocked read thus costs
     * one wakeup each way, as a blocking recvmsg() on Linux costs its reader one (the data's
     * arrival wakes it, and it copies in its own context); asking again after being woken, as this
     * socket did until now, cost two more thread handoffs per read, which halved the
     * request/response rate of a blocking server (benchmarks: rr, blocking). The lock decides who
     * releases what the stack thread took after the reader gave up (timed out, interrupted,
     * closed): the reader's abandon() releases what is there, and a later fill takes nothing.
     */
    private static final class Taken {
        /** What copyTo returns while the stack thread has not answered. */
        static final int UNANSWERED = Integer.MIN_VALUE;
        private final int length;
        private final List<ByteBuf> buffers = new ArrayList<>(4);
        /** Bytes taken, 0 for none yet, -1 at the end of the stream. */
        private int result;
        /** Why the connection failed, when the stream ended that way. */
        CloseReason failure;
        private boolean answered;
        private boolean abandoned;

        Taken(int length) {
            this.length = length;
        }

        /**
         * On the stack thread: takes up to {@code length} bytes. Returns whether the read is
         * answered (bytes, the end of the stream, a failure) or was abandoned, either way done
         * with; false when there is nothing to read yet.
         */
        synchronized boolean fill(TcpConnection c, long now) {
            if (abandoned) {
                return true;
            }
            int n = c.take(now, length, buffers);
            if (n == 0) {
                return false;
            }
            if (n == -1 && c.closeReason() == CloseReason.STACK_CLOSED) {
                // Not the end of the stream: the stack stopped (closed, or its thread died), which the
                // reader learns from the runner when the gate wakes it, as every other call does.
                return true;
            }
            result = n;
            if (n == -1 && c.closeReason() != null && c.closeReason().isError()) {
                result = 0;
                failure = c.closeReason();
            }
            answered = true;
            return true;
        }

        /** On the reader's thread: {@link #UNANSWERED}, or copies what was taken and returns its count, 0 (a failure) or -1. */
        synchronized int copyTo(byte[] buffer, int offset) {
            if (!answered) {
                return UNANSWERED;
            }
            int at = offset;
            for (ByteBuf b : buffers) {
                int k = b.readableBytes();
                b.readBytes(buffer, at, k);
                at += k;
            }
            return result;
        }

        /** Releases what was taken; a fill that comes after this takes nothing. */
        synchronized void abandon() {
            abandoned = true;
            for (ByteBuf b : buffers) {
                b.release();
            }
            buffers.clear();
        }
    }

    /**
     * Writes all {@code length} bytes, blocking while the send buffer is full.
     *
     * @throws SocketException "Connection reset", "Socket output is shutdown", ...
     */
    public void write(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        checkOpen();
        if (outputShutdown) {
            throw new SocketException("Socket output is shutdown");
        }
        TcpConnection c = connection;
        int done = 0;
        int room = COPY_AHEAD_BYTES;
        while (done < length) {
            long seen = gate.version();
            // Copy on this thread, not the stack's (the caller may reuse its array once write returns); the stack
            // thread then keeps the copy as a retained slice. What the send buffer did not take is copied again next
            // time round, so the copy is no larger than the room the last attempt found (at least one chunk).
            int chunk = Math.min(length - done, room);
            ByteBuf copy = runner.stack().allocator().buffer(chunk, chunk);
            int n;
            try {
                copy.writeBytes(buffer, offset + done, chunk);
                n = call(now -> writeNow(c, now, copy));
            } finally {
                copy.release();
            }
            if (n < 0) {
                throw fault != null ? faultFailure() : SocketErrors.ioFailure(CloseReason.values()[-n - 1]);
            }
            done += n;
            room = n < chunk ? Math.max(n, MIN_COPY_BYTES) : Math.min(2 * chunk, COPY_AHEAD_BYTES);
            if (n == 0 && !gate.awaitChange(seen, Long.MAX_VALUE)) {
                throw new SocketTimeoutException("Write timed out");
            }
            checkOpen(); // likewise a blocked write
        }
    }

    /**
     * On the stack thread: bytes of {@code data} queued, or -(reason ordinal + 1) when the connection failed.
     *
     * @param data borrowed; the bytes taken stay referenced by the send buffer (a retained slice) until acknowledged
     */
    private static int writeNow(TcpConnection c, long now, ByteBuf data) {
        if (c.isClosed() || !c.state().canSend()) {
            CloseReason reason = c.closeReason() != null ? c.closeReason() : CloseReason.ABORTED;
            return -(reason.ordinal() + 1);
        }
        return c.sendSpace() == 0 ? 0 : c.send(now, data);
    }

    /** Half close: sends FIN after the queued data; reading continues. */
    public void shutdownOutput() throws IOException {
        checkOpen();
        if (outputShutdown) {
            return;
        }
        outputShutdown = true;
        TcpConnection c = connection;
        call(now -> {
            if (!c.isClosed()) {
                c.shutdownOutput(now);
            }
            return null;
        });
    }

    /** Further reads return -1; data that arrives is not delivered. */
    public void shutdownInput() throws IOException {
        checkOpen();
        inputShutdown = true;
    }

    /**
     * Closes the connection: FIN after the queued data, or RST when unread data remains or
     * SO_LINGER is {on, 0}. Never blocks for the close handshake.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runner.removeTerminationListener(wake);
        TcpConnection c = connection;
        try {
            runner.call(now -> {
                runner.unwatch(c);
                c.close(now);
                return null;
            });
        } catch (StackStoppedException e) {
            // The stack is gone, and the connection with it: nothing is left to close.
        }
        gate.signal();
    }

    /** {@link StackRunner#execute} of a task that needs no answer, failing as {@code IOException}s do. */
    private void post(LongFunction<Void> task) throws SocketException {
        try {
            runner.execute(() -> task.apply(StackRunner.nowNanos()));
        } catch (StackStoppedException e) {
            throw SocketErrors.stackStopped(e);
        }
    }

    /** {@link StackRunner#call}, for calls that report failures as {@code IOException}s. */
    private <T> T call(LongFunction<T> task) throws SocketException {
        try {
            return runner.call(task);
        } catch (StackStoppedException e) {
            throw SocketErrors.stackStopped(e);
        }
    }

    /** On the stack thread: the runner aborted this connection because handling it failed. */
    private void faulted(Throwable cause) {
        fault = cause;
    }

    private SocketException faultFailure() {
        SocketException e = new SocketException("Connection aborted: the stack failed while handling it (" + fault + ")");
        e.initCause(fault);
        return e;
    }

    /** SO_LINGER; only {on, 0} changes CLOSE, into an abort with RST. */
    public void setSoLinger(boolean on, int seconds) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setLinger(on, seconds);
            return null;
        });
    }

    /** SO_KEEPALIVE with the stack's default idle, interval and count. */
    public void setKeepAlive(boolean on) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setKeepAlive(now, on);
            return null;
        });
    }

    /** SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT. */
    public void setKeepAlive(boolean on, int idleSeconds, int intervalSeconds, int count) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setKeepAlive(now, on, idleSeconds * 1_000_000_000L, intervalSeconds * 1_000_000_000L, count);
            return null;
        });
    }

    /** TCP_NODELAY: small writes go out at once instead of waiting under Nagle's rule (RFC 9293 §3.7.4). */
    public void setTcpNoDelay(boolean on) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setNoDelay(now, on);
            return null;
        });
    }

    public boolean getTcpNoDelay() {
        TcpConnection c = connection;
        return runner.call(now -> c.noDelay());
    }

    /** SO_SNDBUF, bytes. */
    public void setSendBufferSize(int bytes) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setSendBufferSize(now, bytes);
            return null;
        });
    }

    public int getSendBufferSize() {
        TcpConnection c = connection;
        return runner.call(now -> c.sendBufferSize());
    }

    /** SO_RCVBUF, bytes: bounds the window we advertise (within the window scale agreed on the SYN). */
    public void setReceiveBufferSize(int bytes) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setReceiveBufferSize(now, bytes);
            return null;
        });
    }

    public int getReceiveBufferSize() {
        TcpConnection c = connection;
        return runner.call(now -> c.receiveBufferSize());
    }

    /** TCP_USER_TIMEOUT (RFC 5482) in milliseconds; 0 turns it off. */
    public void setUserTimeout(int millis) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setUserTimeout(millis * 1_000_000L);
            return null;
        });
    }

    /** SO_TIMEOUT for reads, in milliseconds; 0 waits forever. */
    /**
     * TCP_MD5SIG on the connection (RFC 2385): signs with {@code key} from now on, or stops signing
     * for a removal; see {@link TcpConnection#setMd5Key}.
     *
     * @throws IllegalArgumentException when the key does not cover the peer's address
     */
    public void setMd5Key(TcpMd5Key key) {
        TcpConnection c = connection;
        runner.call(now -> {
            c.setMd5Key(key);
            return null;
        });
    }

    public void setSoTimeout(int millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("timeout: " + millis + " ms (expected: >= 0)");
        }
        soTimeoutMillis = millis;
    }

    public int getSoTimeout() {
        return soTimeoutMillis;
    }

    /** The connection's state now (after close, the last state it reached). */
    public TcpState state() {
        TcpConnection c = connection;
        return runner.call(now -> c.state());
    }

    /** Why the connection ended, or null while it is open. */
    public CloseReason closeReason() {
        TcpConnection c = connection;
        return runner.call(now -> c.closeReason());
    }

    /** The four-tuple. */
    public ConnectionId id() {
        return connection.id();
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public String toString() {
        return "TcpSocket[" + connection.id() + "]";
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = TcpSocket.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return TcpSocket.this.read(b, off, len);
        }

        @Override
        public void close() {
            TcpSocket.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            TcpSocket.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            TcpSocket.this.write(b, off, len);
        }

        @Override
        public void close() {
            TcpSocket.this.close();
        }
    }
}
