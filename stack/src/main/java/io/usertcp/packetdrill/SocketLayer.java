package io.usertcp.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * BSD sockets over a {@link TcpStack}, as packetdrill scripts call them: file descriptors from 3,
 * non-blocking mode through {@code fcntl}, results and errno values as Linux returns them
 * ({@code connect} on a non-blocking socket: -1 EINPROGRESS; {@code accept} with nothing queued:
 * -1 EAGAIN; {@code SO_ERROR} after the peer reset: ECONNRESET, reported once; a read after the
 * peer's FIN: 0).
 *
 * <p>A call that would block on a blocking socket returns {@link SyscallResult#BLOCKED} and is
 * called again by the caller whenever the stack has moved on; each call checks where things stand
 * without redoing what the first call did. Calls take effect at {@link Environment#nowNanos()};
 * the caller runs the stack's {@code pollTransmit} afterwards. Single-threaded, like the stack.
 */
public final class SocketLayer implements SocketApi {
    /** {@code O_RDWR} and {@code O_NONBLOCK} with Linux's values, for {@code fcntl}. */
    public static final int O_RDWR = 0x2;
    public static final int O_NONBLOCK = 0x800;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** What the layer needs from its driver. */
    public interface Environment {
        /** The stack; built on first use. */
        TcpStack stack();

        /** The stack if it has been built, else null (then nothing holds a port or a connection yet). */
        default TcpStack existingStack() {
            return stack();
        }

        long nowNanos();

        /** The configuration the stack has, or will have when built (for SO_RCVBUF before it exists). */
        TcpConfig config();

        /** The clock's reading at the script's time 0, for the times the socket layer reports (timestamps). */
        default long scriptStartNanos() {
            return 0;
        }
    }

    private final Environment env;
    private final TreeMap<Integer, OpenSocket> sockets = new TreeMap<>();
    private final SocketReadiness readiness;
    /** Where sockets whose script descriptor was taken over go (see {@link #freeFd()}): beyond any script's numbers. */
    private static final int SHADOWED_FDS = 1 << 20;
    private int preferredFd = -1;

    public SocketLayer(Environment env) {
        this.env = env;
        this.readiness = new SocketReadiness(sockets, env::nowNanos, this::updateErrors);
    }

    // =====================================================================================
    // Creating, binding, listening, connecting
    // =====================================================================================

    /** {@code socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)}: the lowest free descriptor from 3. */
    @Override
    public SyscallResult socket() {
        OpenSocket s = new OpenSocket(freeFd());
        sockets.put(s.fd, s);
        return SyscallResult.ok(s.fd);
    }

    /**
     * packetdrill's fd numbers: a script writes {@code socket(...) = 4} and then uses 4. The next
     * descriptor created gets {@code fd} if it is free (one time), the lowest free one otherwise.
     */
    @Override
    public void preferFd(int fd) {
        preferredFd = fd;
    }

    private int freeFd() {
        int preferred = preferredFd;
        preferredFd = -1;
        if (preferred >= 3 && sockets.containsKey(preferred)) {
            // packetdrill maps script descriptors to live ones: a script that reuses a number it never closed
            // (accept() = 4 while 4 is still open) gets a new socket under it; the old one stays open, out of reach.
            sockets.put(Math.max(SHADOWED_FDS, sockets.lastKey() + 1), sockets.remove(preferred));
        }
        if (preferred >= 3 && !sockets.containsKey(preferred)) {
            return preferred;
        }
        int fd = 3;
        while (sockets.containsKey(fd)) {
            fd++;
        }
        return fd;
    }

    /**
     * {@code bind} to {@code port} on every local address. Like Linux, a port held by a listener,
     * a connection or a TIME-WAIT entry is in use unless SO_REUSEADDR is set (a listener always is).
     */
    @Override
    public SyscallResult bind(int fd, int port) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.boundPort != 0 || s.listener != null || s.connection != null) {
            return SyscallResult.error(Errno.EINVAL, "already bound");
        }
        TcpStack stack = env.existingStack();
        if (stack == null) {
            s.boundPort = port;
            return SyscallResult.ok(0);
        }
        for (TcpListener l : stack.listeners()) {
            if (l.port() == port) {
                return SyscallResult.error(Errno.EADDRINUSE, "a listener holds port " + port);
            }
        }
        if (!s.reuseAddress) {
            for (ConnectionSnapshot c : stack.snapshot(env.nowNanos())) {
                if (c.id().localPort() == port) {
                    return SyscallResult.error(Errno.EADDRINUSE, "a " + c.state().rfcName() + " connection holds port " + port
                            + " and SO_REUSEADDR is off");
                }
            }
        }
        s.boundPort = port;
        return SyscallResult.ok(0);
    }

    @Override
    public SyscallResult listen(int fd, int backlog, int defaultPort) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.connection != null) {
            return SyscallResult.error(Errno.EINVAL, "the socket is connected");
        }
        if (s.listener != null) {
            return SyscallResult.ok(0);
        }
        int port = s.boundPort != 0 ? s.boundPort : defaultPort;
        try {
            s.listener = env.stack().listen(env.nowNanos(), port, Math.max(0, backlog), s.reuseAddress);
            if (s.maxSegment > 0) {
                s.listener.setMaxSegment(s.maxSegment); // Linux: children inherit the listener's user_mss
            }
            if (s.noOptions) {
                s.listener.setNoOptions(true);
            }
            if (s.receiveBufferRequest >= 0) {
                s.listener.setReceiveBufferSize((int) s.receiveBufferRequest); // SO_RCVBUF set before listen()
            }
            if (s.fastOpenQueue >= 0) {
                s.listener.setFastOpenQueueLimit(s.fastOpenQueue); // TCP_FASTOPEN set before listen()
            }
            if (s.md5Keys != null) {
                s.md5Keys.all().forEach(s.listener::setMd5Key); // TCP_MD5SIG set before listen()
            }
        } catch (IllegalStateException e) {
            return SyscallResult.error(Errno.EADDRINUSE, e.getMessage());
        }
        s.boundPort = port;
        return SyscallResult.ok(0);
    }

    /**
     * {@code connect} to {@code remoteAddress:remotePort}. Non-blocking: -1 EINPROGRESS, then the
     * outcome through SO_ERROR. Blocking: returns when the handshake completes or fails.
     */
    @Override
    public SyscallResult connect(int fd, int remoteAddress, int remotePort) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.listener != null) {
            return SyscallResult.error(Errno.EISCONN, "the socket is listening");
        }
        if (s.connection == null) {
            try {
                s.connection = env.stack().connect(env.nowNanos(), s.boundPort, remoteAddress, remotePort);
            } catch (IllegalStateException e) {
                return SyscallResult.error(Errno.EADDRNOTAVAIL, e.getMessage());
            }
            SocketOptions.apply(s, env);
            if (s.fastOpenConnect && s.connection.deferForFastOpen()) {
                return SyscallResult.ok(0); // Linux tcp_fastopen_defer_connect(): the SYN waits for the first write
            }
            return s.nonBlocking ? SyscallResult.error(Errno.EINPROGRESS) : connectProgress(s);
        }
        if (s.connection.fastOpenDeferred()) {
            return SyscallResult.error(Errno.EISCONN); // Linux __inet_stream_connect(): DEFER_CONNECT, not from sendmsg
        }
        if (!s.nonBlocking) {
            return connectProgress(s);
        }
        TcpConnection c = s.connection;
        if (c.isClosed() && c.state() != TcpState.TIME_WAIT) {
            Errno e = takeError(s);
            return e != null ? SyscallResult.error(e) : SyscallResult.error(Errno.EINVAL, "the connection is closed");
        }
        return c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED
                ? SyscallResult.error(Errno.EALREADY) : SyscallResult.error(Errno.EISCONN);
    }

    private SyscallResult connectProgress(OpenSocket s) {
        TcpConnection c = s.connection;
        if (c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED) {
            return SyscallResult.BLOCKED;
        }
        if (c.isClosed()) {
            Errno e = takeError(s);
            if (e != null) {
                return SyscallResult.error(e);
            }
        }
        s.connected = true;
        return SyscallResult.ok(0);
    }

    /** {@code accept}: the oldest established connection, or EAGAIN / blocking when none is queued. */
    @Override
    public SyscallResult accept(int fd) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.listener == null || s.listener.isClosed()) {
            return SyscallResult.error(Errno.EINVAL, "the socket is not listening");
        }
        TcpConnection c = s.listener.accept();
        if (c == null) {
            return s.nonBlocking ? SyscallResult.error(Errno.EAGAIN) : SyscallResult.BLOCKED;
        }
        OpenSocket child = new OpenSocket(freeFd());
        sockets.put(child.fd, child);
        // Linux: the child inherits the listener's socket options (not O_NONBLOCK).
        child.keepAlive = s.keepAlive;
        child.keepIdleSeconds = s.keepIdleSeconds;
        child.keepIntervalSeconds = s.keepIntervalSeconds;
        child.keepCount = s.keepCount;
        child.lingerOn = s.lingerOn;
        child.lingerSeconds = s.lingerSeconds;
        child.noDelay = s.noDelay;
        child.cork = s.cork;
        child.notSentLowat = s.notSentLowat;
        child.maxSegment = s.maxSegment;
        child.userTimeoutMillis = s.userTimeoutMillis;
        child.sendBufferRequest = s.sendBufferRequest;
        child.zeroCopy = s.zeroCopy; // sock_copy_flags(): SOCK_ZEROCOPY
        child.inq = s.inq; // the tcp_sock is cloned: recvmsg_inq
        child.mark = s.mark;
        child.receiveBufferRequest = s.receiveBufferRequest;
        child.boundPort = s.boundPort;
        child.connection = c;
        SocketOptions.apply(child, env);
        return SyscallResult.ok(child.fd);
    }

    // =====================================================================================
    // Data
    // =====================================================================================

    /**
     * {@code read} of up to {@code count} bytes (the bytes themselves are dropped: scripts check
     * the count). 0 at end of stream; -1 EAGAIN when nothing is buffered on a non-blocking socket;
     * the connection's error (ECONNRESET) once after it failed, 0 afterwards.
     */
    @Override
    public SyscallResult read(int fd, int count) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        TcpConnection c = s.connection;
        if (c == null) {
            return SyscallResult.error(Errno.ENOTCONN);
        }
        if (count <= 0) {
            return SyscallResult.ok(0);
        }
        ByteBuf dst = Unpooled.buffer(count);
        try {
            int n = c.read(env.nowNanos(), dst);
            if (n > 0) {
                return SyscallResult.ok(n);
            }
            if (n < 0 || s.shutRead) {
                Errno e = takeError(s);
                return e != null ? SyscallResult.error(e) : SyscallResult.ok(0);
            }
        } finally {
            dst.release();
        }
        return s.nonBlocking ? SyscallResult.error(Errno.EAGAIN) : SyscallResult.BLOCKED;
    }

    /**
     * {@code write} of {@code count} zero bytes. Before the handshake completes: -1 EAGAIN (or
     * blocks); a non-blocking socket takes what fits; a blocking one returns when all is queued.
     * After shutdown or close by the peer's RST: the error once (ECONNRESET), then EPIPE.
     */
    @Override
    public SyscallResult write(int fd, int count) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.connection != null && (s.connection.fastOpenDeferred() || s.fastOpenCopied >= 0)) {
            return fastOpenSend(s, count, s.nonBlocking, 0, 0); // Linux tcp_sendmsg(): DEFER_CONNECT sends the SYN
        }
        return write(s, count, s.nonBlocking);
    }

    private SyscallResult write(OpenSocket s, int count, boolean nonBlocking) {
        return write(s, count, nonBlocking, 0);
    }

    /** A write with send flags: MSG_MORE and MSG_EOR reach the stack with each part of it taken. */
    private SyscallResult write(OpenSocket s, int count, boolean nonBlocking, long flags) {
        TcpConnection c = s.connection;
        if (c == null) {
            return SyscallResult.error(Errno.EPIPE, "not connected");
        }
        if (c.isClosed()) {
            s.writeQueued = -1;
            Errno e = takeError(s);
            return SyscallResult.error(e != null ? e : Errno.EPIPE);
        }
        if (s.shutWrite || !c.state().canSend()) {
            s.writeQueued = -1;
            return SyscallResult.error(Errno.EPIPE, "the sending side is shut down");
        }
        if ((c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED) && !c.sendsBeforeEstablished()) {
            return nonBlocking ? SyscallResult.error(Errno.EAGAIN) : SyscallResult.BLOCKED;
        }
        if (s.writeQueued >= 0 && !c.sendWakes()) {
            return SyscallResult.BLOCKED; // a blocked writer waits to be woken (sk_stream_wait_memory())
        }
        long done = Math.max(0, s.writeQueued);
        long left = count - done;
        int n = (int) Math.min(left, c.sendSpace());
        if (n > 0) {
            ByteBuf data = Unpooled.wrappedBuffer(new byte[n]);
            try {
                int[] pieces = (flags & MSG_ZEROCOPY) != 0 && s.zeroCopy && zeroCopyPieces != null
                        ? pieces(zeroCopyPieces, done, n) : null;
                n = c.send(env.nowNanos(), data, (flags & MSG_MORE) != 0, (flags & MSG_EOR) != 0, pieces);
            } finally {
                data.release();
            }
        }
        done += n;
        s.bytesWritten += n;
        if (done == count || (nonBlocking && done > 0)) {
            s.writeQueued = -1;
            if (s.timestamping != 0) {
                // Linux tcp_tx_timestamp(): the write's last byte is the one timestamped
                errors(s).mark(s.bytesWritten - 1, s.timestamping, s.bytesWritten - 1 - s.timestampKeyBase);
            }
            return SyscallResult.ok(done);
        }
        if (nonBlocking) {
            s.writeQueued = -1;
            return SyscallResult.error(Errno.EAGAIN);
        }
        s.writeQueued = done;
        return SyscallResult.BLOCKED;
    }

    /** Linux's values of the send flags this layer emulates. */
    static final long MSG_DONTWAIT = 0x40L;
    static final long MSG_NOSIGNAL = 0x4000L;
    static final long MSG_FASTOPEN = 0x20000000L;
    static final long MSG_MORE = 0x8000L;
    static final long MSG_EOR = 0x80L;
    /** The iovecs of the MSG_ZEROCOPY sendmsg in progress, null otherwise. */
    private int[] zeroCopyPieces;

    @Override
    public boolean takesFlags() {
        return true;
    }

    /** MSG_FASTOPEN, MSG_ZEROCOPY, MSG_DONTWAIT, MSG_NOSIGNAL (no signals here), MSG_MORE and MSG_EOR. */
    @Override
    public long emulatedSendFlags() {
        return MSG_FASTOPEN | MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR;
    }

    /**
     * {@code send}/{@code sendto}/{@code sendmsg} with flags: MSG_DONTWAIT makes this call
     * non-blocking; MSG_FASTOPEN (or a deferred TCP_FASTOPEN_CONNECT) connects with data in the SYN;
     * MSG_ZEROCOPY on a socket with SO_ZEROCOPY numbers the send for its completion; MSG_MORE corks
     * the write's tail (Linux tcp_push() with TCP_NAGLE_CORK) and MSG_EOR ends a record (the stack's
     * {@link TcpConnection#send(long, ByteBuf, boolean, boolean, int[])}).
     */
    @Override
    public SyscallResult send(int fd, int count, long flags, int remoteAddress, int remotePort) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        boolean nonBlocking = s.nonBlocking || (flags & MSG_DONTWAIT) != 0;
        if ((flags & MSG_FASTOPEN) != 0 || s.connection != null && (s.connection.fastOpenDeferred() || s.fastOpenCopied >= 0)) {
            return fastOpenSend(s, count, nonBlocking, remoteAddress, remotePort);
        }
        if (s.connection == null) {
            return SyscallResult.error(Errno.EPIPE, "not connected");
        }
        SyscallResult r = write(s, count, nonBlocking, flags);
        if ((flags & MSG_ZEROCOPY) != 0 && s.zeroCopy && r.errno() == null && !r.isBlocked() && r.value() > 0) {
            errors(s).zeroCopySent(s.bytesWritten); // numbered for its completion (ErrorQueue; ignored without SO_ZEROCOPY)
        }
        return r;
    }

    /**
     * {@code sendmsg} of several iovecs: as {@link #send} of their sum, except that with MSG_ZEROCOPY
     * on a socket with SO_ZEROCOPY the iovecs reach the stack as the page fragments Linux pins
     * (skb_zerocopy_iter_stream()), MAX_SKB_FRAGS to an skb.
     */
    @Override
    public SyscallResult sendmsg(int fd, int[] lengths, long flags) {
        if ((flags & MSG_ZEROCOPY) == 0) {
            return SocketApi.super.sendmsg(fd, lengths, flags);
        }
        zeroCopyPieces = lengths;
        try {
            return send(fd, java.util.Arrays.stream(lengths).sum(), flags, 0, 0);
        } finally {
            zeroCopyPieces = null;
        }
    }

    /** The lengths of the parts of {@code lengths}' pieces that bytes [from, from + n) of their concatenation cover. */
    static int[] pieces(int[] lengths, long from, int n) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        long start = 0;
        for (int length : lengths) {
            long lo = Math.max(start, from);
            long hi = Math.min(start + length, from + n);
            if (hi > lo) {
                out.add((int) (hi - lo));
            }
            start += length;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code sendto} to an AF_UNSPEC address: MSG_FASTOPEN refuses it (Linux tcp_sendmsg_fastopen(): EOPNOTSUPP). */
    @Override
    public SyscallResult sendUnspecified(int fd, int count, long flags, int remoteAddress, int remotePort) {
        if ((flags & MSG_FASTOPEN) != 0 && sockets.containsKey(fd)) {
            return SyscallResult.error(Errno.EOPNOTSUPP, "MSG_FASTOPEN to an AF_UNSPEC address");
        }
        return send(fd, count, flags, remoteAddress, remotePort);
    }

    /**
     * Linux tcp_sendmsg_fastopen() and __inet_stream_connect(): connects (unless a deferred
     * TCP_FASTOPEN_CONNECT connection waits for this write) with as much data in the SYN as
     * {@link TcpConnection#sendFastOpen} takes. Non-blocking: the bytes the SYN carries, or
     * EINPROGRESS when it carries none. Blocking: waits for the handshake, then writes the rest.
     */
    private SyscallResult fastOpenSend(OpenSocket s, int count, boolean nonBlocking, int remoteAddress, int remotePort) {
        if (s.fastOpenCopied >= 0) {
            return fastOpenProgress(s, count);
        }
        if (s.connection == null || !s.connection.fastOpenDeferred()) {
            if (!env.stack().fastOpen().has(io.usertcp.tcp.FastOpen.CLIENT_ENABLE)) {
                return SyscallResult.error(Errno.EOPNOTSUPP, "net.ipv4.tcp_fastopen has no client bit (0x1)");
            }
            if (s.listener != null) {
                return SyscallResult.error(Errno.EISCONN, "the socket is listening");
            }
            if (s.connection != null) {
                return fastOpenOnConnecting(s, count, nonBlocking);
            }
            try {
                s.connection = env.stack().connect(env.nowNanos(), s.boundPort, remoteAddress, remotePort);
            } catch (IllegalStateException e) {
                return SyscallResult.error(Errno.EADDRNOTAVAIL, e.getMessage());
            }
            SocketOptions.apply(s, env);
        }
        TcpConnection c = s.connection;
        int copied;
        ByteBuf data = Unpooled.wrappedBuffer(new byte[count]);
        try {
            copied = c.sendFastOpen(env.nowNanos(), data);
        } finally {
            data.release();
        }
        if (nonBlocking) {
            return copied > 0 ? SyscallResult.ok(copied) : SyscallResult.error(Errno.EINPROGRESS);
        }
        s.fastOpenCopied = copied;
        c.setWritePending(copied < count); // Linux inet_wait_for_connect(): writebias while data is left to send
        return fastOpenProgress(s, count);
    }

    /**
     * MSG_FASTOPEN on a socket that has connected or is connecting: no Fast Open is in progress any
     * more, so Linux __inet_stream_connect() answers as connect() would: EISCONN once the socket is
     * connected (SS_CONNECTED); while the handshake runs EALREADY, or a blocking call waits for it;
     * a socket left connecting (SS_CONNECTING) whose handshake is over becomes connected, and the
     * call sends as write() does.
     */
    private SyscallResult fastOpenOnConnecting(OpenSocket s, int count, boolean nonBlocking) {
        TcpConnection c = s.connection;
        if (s.connected) {
            return SyscallResult.error(Errno.EISCONN);
        }
        if (!c.isClosed() && (c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED)) {
            if (nonBlocking) {
                return SyscallResult.error(Errno.EALREADY);
            }
            s.fastOpenCopied = 0;
            return fastOpenProgress(s, count);
        }
        if (c.isClosed() && c.state() != TcpState.TIME_WAIT) {
            Errno e = takeError(s);
            return SyscallResult.error(e != null ? e : Errno.EPIPE);
        }
        s.connected = true;
        return write(s, count, nonBlocking);
    }

    /** A blocking Fast Open send: blocked until the handshake ends; then the rest is written as write() does. */
    private SyscallResult fastOpenProgress(OpenSocket s, int count) {
        TcpConnection c = s.connection;
        if (!c.isClosed() && (c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED)) {
            return SyscallResult.BLOCKED;
        }
        int copied = s.fastOpenCopied;
        s.fastOpenCopied = -1;
        c.setWritePending(false);
        if (c.isClosed() && c.state() != TcpState.TIME_WAIT) {
            Errno e = takeError(s);
            return SyscallResult.error(e != null ? e : Errno.EPIPE);
        }
        s.connected = true;
        s.writeQueued = copied;
        return write(s, count, false);
    }

    // =====================================================================================
    // Closing
    // =====================================================================================

    /** {@code close}: a listener stops listening (resetting what was not accepted); a connection closes. */
    @Override
    public SyscallResult close(int fd) {
        OpenSocket s = sockets.remove(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.listener != null) {
            s.listener.close(env.nowNanos());
        }
        if (s.connection != null) {
            s.connection.close(env.nowNanos());
        }
        return SyscallResult.ok(0);
    }

    @Override
    public SyscallResult shutdown(int fd, int how) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (how < SHUT_RD || how > SHUT_RDWR) {
            return SyscallResult.error(Errno.EINVAL);
        }
        TcpConnection c = s.connection;
        if (c == null || c.isClosed()) {
            return SyscallResult.error(Errno.ENOTCONN);
        }
        if (how != SHUT_WR) {
            s.shutRead = true;
        }
        if (how != SHUT_RD) {
            try {
                c.shutdownOutput(env.nowNanos());
            } catch (IllegalStateException e) {
                return SyscallResult.error(Errno.ENOTCONN, c.state().rfcName());
            }
            s.shutWrite = true;
        }
        return SyscallResult.ok(0);
    }

    /** Closes every descriptor still open, as a process exit would. */
    public void closeAll() {
        for (int fd : new ArrayList<>(sockets.keySet())) {
            close(fd);
        }
    }

    // =====================================================================================
    // Options
    // =====================================================================================

    /** {@code fcntl(fd, F_GETFL)}. */
    @Override
    public SyscallResult getFlags(int fd) {
        OpenSocket s = sockets.get(fd);
        return s == null ? SyscallResult.error(Errno.EBADF) : SyscallResult.ok(O_RDWR | (s.nonBlocking ? O_NONBLOCK : 0));
    }

    /** {@code fcntl(fd, F_SETFL, flags)}: only O_NONBLOCK matters. */
    @Override
    public SyscallResult setFlags(int fd, long flags) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        s.nonBlocking = (flags & O_NONBLOCK) != 0;
        return SyscallResult.ok(0);
    }

    /**
     * {@code setsockopt} with an integer value: SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY,
     * TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (seconds, count), TCP_USER_TIMEOUT (ms).
     * FreeBSD's TCP_KEEPINIT (seconds) and TCP_NOOPT exist only in the freebsd profile (ENOPROTOOPT
     * otherwise, as on Linux). SO_RCVBUF and SO_SNDBUF size the connection's buffers as the profile
     * computes them (Linux doubles the request); set on a listener, they reach each accepted child,
     * after its handshake (Linux sizes the child from the listener before its SYN,ACK).
     */
    @Override
    public SyscallResult setOption(int fd, String name, long value) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        TcpStack stack = env.existingStack();
        int fastOpenMode = stack != null ? stack.fastOpen().mode() : env.config().fastOpen();
        SyscallResult r = name.equals("SO_TIMESTAMPING") ? setTimestamping(s, value)
                : SocketOptions.set(s, name, value, env.config().profile(), fastOpenMode);
        if (r.errno() == null) {
            SocketOptions.apply(s, env);
        }
        return r;
    }

    /**
     * {@code setsockopt(TCP_MD5SIG)} (Linux tcp_v4_parse_md5_keys()): the key joins the socket's
     * keys, or leaves them for a removal (ENOENT when it is not there); a listener uses them per
     * peer, a connection the one for its peer, from its SYN on if set before connect.
     */
    @Override
    public SyscallResult setMd5Key(int fd, io.usertcp.tcp.TcpMd5Key key) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (s.md5Keys == null) {
            s.md5Keys = new io.usertcp.tcp.TcpMd5Keys();
        }
        if (!s.md5Keys.set(key)) {
            return SyscallResult.error(Errno.ENOENT, "TCP_MD5SIG: no key for " + key + " to remove");
        }
        if (s.listener != null) {
            s.listener.setMd5Key(key);
        }
        SocketOptions.apply(s, env);
        return SyscallResult.ok(0);
    }

    /** {@code setsockopt(SO_LINGER, {onoff, linger})}. */
    @Override
    public SyscallResult setLinger(int fd, boolean on, int seconds) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (seconds < 0) {
            return SyscallResult.error(Errno.EINVAL);
        }
        s.lingerOn = on;
        s.lingerSeconds = seconds;
        SocketOptions.apply(s, env);
        return SyscallResult.ok(0);
    }

    /**
     * {@code getsockopt} of an integer option; the option's value is in {@link SyscallResult#value()}.
     * SO_ERROR reports and clears the connection's error.
     */
    @Override
    public SyscallResult getOption(int fd, String name) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (name.equals("SO_ERROR")) {
            Errno e = takeError(s);
            return SyscallResult.ok(e == null ? 0 : e.number());
        }
        return SocketOptions.get(s, name, env.config());
    }

    /** {@code getsockopt(SO_LINGER)}: {onoff, linger}. */
    @Override
    public int[] getLinger(int fd) {
        OpenSocket s = sockets.get(fd);
        return s == null ? null : new int[] {s.lingerOn ? 1 : 0, s.lingerSeconds};
    }

    // =====================================================================================
    // poll and epoll (SocketReadiness)
    // =====================================================================================

    @Override
    public boolean polls() {
        return true;
    }

    @Override
    public SyscallResult poll(int[] fds, int[] events, int[] revents, int timeoutMillis) {
        return readiness.poll(fds, events, revents, timeoutMillis);
    }

    @Override
    public boolean epolls() {
        return true;
    }

    // =====================================================================================
    // Files: what the script's shell lines made (`dd ... of=PATH`), for open() and sendfile()
    // =====================================================================================

    /** The sizes of the files the script made; their bytes are zeros (`dd if=/dev/zero`). */
    private final Map<String, Long> files = new HashMap<>();

    /** A file of {@code size} zero bytes at {@code path} (replacing one there). */
    void createFile(String path, long size) {
        files.put(path, size);
    }

    /** {@code rm -f PATH}: whether there was a file. */
    boolean removeFile(String path) {
        return files.remove(path) != null;
    }

    @Override
    public boolean files() {
        return true;
    }

    /** Only the files the script's shell lines made exist here. */
    @Override
    public boolean emulatesFile(String path) {
        return files.containsKey(path);
    }

    /** {@code open(path, O_RDONLY)}: a descriptor for a file the script made, ENOENT for any other. */
    @Override
    public SyscallResult open(String path, int flags) {
        Long size = files.get(path);
        if (size == null) {
            return SyscallResult.error(Errno.ENOENT, path + ": only files the script's shell lines made (dd ... of=PATH) exist here");
        }
        OpenSocket f = new OpenSocket(freeFd());
        f.fileSize = size;
        sockets.put(f.fd, f);
        return SyscallResult.ok(f.fd);
    }

    /**
     * {@code sendfile(out, in, [offset] or NULL, count)}: the file's bytes from the offset (or its own
     * position, which then moves) written to the socket as write() writes them; 0 at the end of the
     * file; EINVAL when {@code in} is not a file (Linux do_sendfile() needs a readable file).
     */
    @Override
    public SyscallResult sendfile(int outFd, int inFd, long offset, int count) {
        OpenSocket in = sockets.get(inFd);
        OpenSocket out = sockets.get(outFd);
        if (in == null || out == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (in.fileSize < 0) {
            return SyscallResult.error(Errno.EINVAL, "sendfile: descriptor " + inFd + " is not a file");
        }
        long start = offset >= 0 ? offset : in.filePosition;
        int n = (int) Math.max(0, Math.min(count, in.fileSize - start));
        if (n == 0) {
            return SyscallResult.ok(0);
        }
        SyscallResult r = write(out, n, out.nonBlocking);
        if (offset < 0 && r.errno() == null && !r.isBlocked()) {
            in.filePosition += r.value();
        }
        return r;
    }

    @Override
    public SyscallResult epollCreate() {
        OpenSocket s = new OpenSocket(freeFd());
        s.epoll = new TreeMap<>();
        sockets.put(s.fd, s);
        return SyscallResult.ok(s.fd);
    }

    @Override
    public SyscallResult epollCtl(int epfd, int op, int fd, int events) {
        return readiness.epollCtl(epfd, op, fd, events);
    }

    @Override
    public SyscallResult epollWait(int epfd, int maxEvents, int timeoutMillis, int[] first) {
        return readiness.epollWait(epfd, maxEvents, timeoutMillis, first);
    }

    // =====================================================================================
    // Errors and state
    // =====================================================================================

    /** The connection's error, once: what SO_ERROR, read and write report after a failure. */
    private static Errno takeError(OpenSocket s) {
        TcpConnection c = s.connection;
        if (c == null || s.errorReported || c.closeReason() == null) {
            return null;
        }
        Errno e = Errno.of(c.closeReason());
        if (e != null) {
            s.errorReported = true;
        }
        return e;
    }

    /** Whether {@code fd} is open. */
    @Override
    public boolean isOpen(int fd) {
        return sockets.containsKey(fd);
    }

    @Override
    public long readableBytes(int fd) {
        TcpConnection c = connection(fd);
        return c == null ? 0 : c.readableBytes();
    }

    /** The connection behind {@code fd}, or null (fresh socket, listener, unknown descriptor). */
    public TcpConnection connection(int fd) {
        OpenSocket s = sockets.get(fd);
        return s == null ? null : s.connection;
    }

    /** The listener behind {@code fd}, or null. */
    public TcpListener listener(int fd) {
        OpenSocket s = sockets.get(fd);
        return s == null ? null : s.listener;
    }

    /** The local port {@code fd} is bound to, or 0. */
    public int boundPort(int fd) {
        OpenSocket s = sockets.get(fd);
        return s == null ? 0 : s.boundPort;
    }

    /**
     * The TCP state of {@code fd} as TCP_INFO reports it: LISTEN for a listener, the connection's
     * state, TIME-WAIT while the stack keeps the pair in TIME-WAIT, CLOSED otherwise.
     */
    public TcpState state(int fd) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return null;
        }
        if (s.listener != null && !s.listener.isClosed()) {
            return TcpState.LISTEN;
        }
        TcpConnection c = s.connection;
        if (c == null) {
            return TcpState.CLOSED;
        }
        if (!c.isClosed()) {
            return c.state();
        }
        if (c.state() == TcpState.TIME_WAIT) {
            for (ConnectionSnapshot snap : env.stack().snapshot(env.nowNanos())) {
                if (snap.state() == TcpState.TIME_WAIT && snap.id().equals(c.id())) {
                    return TcpState.TIME_WAIT;
                }
            }
        }
        return TcpState.CLOSED;
    }

    // =====================================================================================
    // recvmsg and the error queue (zero-copy completions, transmit timestamps)
    // =====================================================================================

    private static final long MSG_ZEROCOPY = 0x4000000;
    private static final long MSG_ERRQUEUE = 0x2000;
    private static final long MSG_TRUNC = 0x20;
    private static final int SOL_TCP = 6;
    private static final int TCP_CM_INQ = 36;

    private static ErrorQueue errors(OpenSocket s) {
        if (s.errors == null) {
            s.errors = new ErrorQueue();
        }
        return s.errors;
    }

    /**
     * Brings a socket's error queue up to date: what was handed to the link (every byte written
     * less what is not sent yet) and what was acknowledged (less what is still queued).
     */
    private void updateErrors(OpenSocket s) {
        TcpConnection c = s.connection;
        if (s.errors != null && c != null) {
            s.errors.progress(s.bytesWritten - c.unsentBytes(), s.bytesWritten - c.sendQueueBytes(),
                    env.nowNanos() - env.scriptStartNanos());
        }
    }

    /** The stack has just sent what it had to send: transmit timestamps and completions that became due are queued now. */
    public void transmitted() {
        for (OpenSocket s : sockets.values()) {
            updateErrors(s);
        }
    }

    /**
     * SO_TIMESTAMPING: the flags, and with OPT_ID (newly set) the keys count bytes from SND.UNA
     * (Linux sock_set_timestamping(): EINVAL when the socket is not connected).
     */
    private SyscallResult setTimestamping(OpenSocket s, long value) {
        int flags = (int) value;
        if ((flags & ErrorQueue.OPT_ID) != 0 && (s.timestamping & ErrorQueue.OPT_ID) == 0) {
            TcpConnection c = s.connection;
            if (c == null || !c.state().isSynchronized()) {
                return SyscallResult.error(Errno.EINVAL, "SOF_TIMESTAMPING_OPT_ID on a socket that is not connected");
            }
            s.timestampKeyBase = s.bytesWritten - c.sendQueueBytes();
        }
        s.timestamping = flags;
        return SyscallResult.ok(0);
    }

    @Override
    public boolean receivesMessages() {
        return true;
    }

    /**
     * {@code recvmsg}: with MSG_ERRQUEUE the oldest zero-copy completion as an IP_RECVERR control
     * message (0 bytes; EAGAIN when the error queue is empty); otherwise a read, with a TCP_CM_INQ
     * control message when TCP_INQ is on: the bytes left to read, or 1 once the peer's FIN has
     * arrived and every byte was read, so that a reader knows to read again (Linux tcp_inq_hint()).
     */
    @Override
    public SyscallResult recvmsg(int fd, int count, long flags, List<ControlMessage> control, int[] msgFlags) {
        OpenSocket s = sockets.get(fd);
        if (s == null) {
            return SyscallResult.error(Errno.EBADF);
        }
        if ((flags & MSG_ERRQUEUE) != 0) {
            updateErrors(s);
            ErrorQueue.Entry e = s.errors == null ? null : s.errors.take();
            if (e == null) {
                return SyscallResult.error(Errno.EAGAIN);
            }
            control.addAll(e.control());
            msgFlags[0] = (int) (MSG_ERRQUEUE | (e.truncated() && count == 0 ? MSG_TRUNC : 0));
            return SyscallResult.ok(0);
        }
        SyscallResult r = read(fd, count);
        if (s.inq && r.errno() == null && !r.isBlocked() && s.connection != null) {
            TcpConnection c = s.connection;
            long inq = c.readableBytes() == 0 && (c.isEndOfStream() || c.isClosed()) ? 1 : c.readableBytes();
            control.add(new ControlMessage(SOL_TCP, TCP_CM_INQ, java.nio.ByteBuffer.allocate(4)
                    .order(java.nio.ByteOrder.nativeOrder()).putInt((int) inq).array()));
        }
        return r;
    }


    /** One socket as {@code sockstat -s} lists it. */
    public record SockstatLine(boolean ownedByProcess, int fd, int localPort, int remotePort, TcpState state) {
        /** FreeBSD's spelling of the state: SYN_RCVD, TIME_WAIT, ... */
        public String bsdState() {
            return state == TcpState.SYN_RECEIVED ? "SYN_RCVD" : state.name();
        }
    }

    /**
     * Every TCP socket: the descriptors this layer holds (with their process), then connections
     * and TIME-WAIT entries no descriptor holds (orphans, connections not yet accepted).
     */
    public List<SockstatLine> sockstat() {
        List<SockstatLine> out = new ArrayList<>();
        List<Object> owned = new ArrayList<>();
        for (OpenSocket s : sockets.values()) {
            TcpState st = state(s.fd);
            int lp = s.boundPort;
            int rp = 0;
            if (s.connection != null) {
                lp = s.connection.id().localPort();
                rp = s.connection.id().remotePort();
                owned.add(s.connection.id());
            }
            out.add(new SockstatLine(true, s.fd, lp, rp, st));
        }
        TcpStack stack = env.existingStack();
        for (ConnectionSnapshot snap : stack == null ? List.<ConnectionSnapshot>of() : stack.snapshot(env.nowNanos())) {
            if (!owned.contains(snap.id())) {
                out.add(new SockstatLine(false, -1, snap.id().localPort(), snap.id().remotePort(), snap.state()));
            }
        }
        return out;
    }
}
