package io.usertcp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.LoopConnection;
import io.usertcp.socket.LoopHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Netty {@link SocketChannel} over a usertcp connection, served on the stack's thread: the
 * channel is the {@link LoopHandler} of a {@link LoopConnection}, and its event loop
 * ({@link UsertcpEventLoop}) is that connection's shard's {@link StackRunner}. It behaves as
 * Netty's {@code NioSocketChannel} does, contract by contract:
 *
 * <ul>
 *   <li><b>Reading</b> follows {@code read()} and {@code AUTO_READ}: data is delivered while a read
 *       is pending (always, with auto-read on); after a read completes with none pending the
 *       connection is paused ({@link LoopConnection#setAutoRead}), so the bytes stay in the
 *       receive buffer and its window closes on the peer, as a NIO channel stops selecting
 *       OP_READ. Each arrival of up to 64 KB is one {@code channelRead} of a {@link ByteBuf}
 *       whose ownership passes to the pipeline (the last handler to use it releases it), followed
 *       by {@code channelReadComplete}. What the connection received before it ended (a reset, or
 *       TIME-WAIT after our half close) with reading paused is still read, as from a socket
 *       ({@link ChannelReader}).</li>
 *   <li><b>The peer's FIN</b>: with {@code ALLOW_HALF_CLOSURE} the input is shut down and
 *       {@link ChannelInputShutdownEvent} then {@link ChannelInputShutdownReadComplete} fire; without
 *       it the channel closes (NIO's {@code closeOnRead}).</li>
 *   <li><b>Writing</b>: flushed {@link ByteBuf}s go to the connection's send buffer
 *       ({@link LoopConnection#write}); a write's promise succeeds when all its bytes were taken, as
 *       NIO's does when the kernel took them. What does not fit waits in Netty's outbound buffer
 *       until the stack says there is room ({@link LoopHandler#onWritable}), then is flushed again;
 *       writability and {@code bytesBeforeUnwritable} are the outbound buffer's against
 *       {@code WRITE_BUFFER_WATER_MARK}. The bytes taken stay referenced by the stack until the
 *       peer acknowledges them (no copy into a kernel): do not write into a buffer after handing
 *       it to {@code write}. {@link FileRegion} is refused: there is no kernel socket to
 *       {@code sendfile(2)} into.</li>
 *   <li><b>Connecting</b> ({@code Bootstrap.connect}) to an IPv4 {@link InetSocketAddress} opens
 *       the connection from the loop's shard; failures are java.net's ({@code ConnectException:
 *       Connection refused}, ...) annotated with the address as Netty does, and
 *       {@code CONNECT_TIMEOUT_MILLIS} fails the connect with {@link ConnectTimeoutException}.</li>
 *   <li><b>Closing</b>: {@code close()} is TCP's CLOSE (our FIN after what is queued), or an abort
 *       (RST) with {@code SO_LINGER} 0; what waits in the outbound buffer is failed and released
 *       by Netty. {@code shutdownOutput()} sends our FIN and keeps reading. A reset or timeout
 *       from the network fires {@code exceptionCaught} with java.net's exception
 *       ({@code SocketException: Connection reset}), then closes the channel.</li>
 * </ul>
 *
 * <p>Threads: as for any Netty channel, its handlers run on its event loop, here the stack's
 * thread, which every connection of that shard shares: handlers must not block.
 */
public class UsertcpChannel extends AbstractChannel implements SocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final UsertcpChannelConfig config;
    private final ConnectionEvents events = new ConnectionEvents();
    /** The thread the connection lives on: fixed at accept, or when a connect starts. */
    private volatile StackRunner runner;
    private volatile LoopConnection connection;
    private volatile boolean open = true;
    private volatile boolean established;
    private volatile boolean outputShutdown;
    private volatile InetSocketAddress local;
    private volatile InetSocketAddress remote;
    private final ChannelReader reader = new ChannelReader(this);

    // The rest is touched on the connection's thread only.
    /** A write did not fit: the next flush waits for onWritable. */
    private boolean writeBlocked;
    private ChannelPromise connectPromise;
    private ScheduledFuture<?> connectTimeout;
    private InetSocketAddress requestedRemote;
    /** The connection ended before the channel was registered: handled once it is. */
    private boolean endedUnregistered;
    private IOException endedUnregisteredError;

    /** A client channel, for {@code Bootstrap.channel(UsertcpChannel.class)}. */
    public UsertcpChannel() {
        this(null, null);
    }

    /** An accepted child of {@code parent}, whose connection is on {@code runner}'s thread. */
    UsertcpChannel(UsertcpServerChannel parent, StackRunner runner) {
        super(parent);
        this.runner = runner;
        this.config = new UsertcpChannelConfig(this);
    }

    /** The handler to give the connection (accepted children get theirs from the listener). */
    LoopHandler events() {
        return events;
    }

    /** The runner the connection lives on, or null before a connect. */
    StackRunner runner() {
        return runner;
    }

    /**
     * Runs {@code action} on the open connection's thread (now when already there), or nothing
     * before the connection exists: {@link UsertcpChannelConfig#applyTo} applies the options then.
     */
    void withConnection(Consumer<LoopConnection> action) {
        LoopConnection c = connection;
        if (c == null) {
            return;
        }
        Runnable task = () -> {
            if (!c.isClosed()) {
                action.accept(c);
            }
        };
        if (c.inLoop()) {
            task.run();
        } else {
            try {
                c.execute(task);
            } catch (IllegalStateException stackStopped) {
                // the stack is gone, and the connection with it: nothing to set
            }
        }
    }

    @Override
    public UsertcpServerChannel parent() {
        return (UsertcpServerChannel) super.parent();
    }

    @Override
    public UsertcpChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Open and connected, as NIO's {@code isOpen() && isConnected()}: true until closed, also after both halves shut. */
    @Override
    public boolean isActive() {
        return open && established;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        StackRunner r = runner;
        return loop instanceof UsertcpEventLoop l && (r == null || l.runner() == r);
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new UsertcpUnsafe();
    }

    // ---------------------------------------------------------------- registration

    @Override
    protected void doRegister(ChannelPromise promise) {
        UsertcpEventLoop loop = (UsertcpEventLoop) eventLoop();
        loop.added(this);
        promise.setSuccess();
        if (endedUnregistered) {
            loop.execute(() -> connectionEnded(endedUnregisteredError)); // after channelRegistered and channelActive
        }
    }

    @Override
    protected void doDeregister() {
        ((UsertcpEventLoop) eventLoop()).removed(this);
        reader.clearReadPending(); // no loop to deliver to until registered again
    }

    // ---------------------------------------------------------------- reading

    /** As NIO sets OP_READ: see {@link ChannelReader}. */
    @Override
    protected void doBeginRead() {
        reader.beginRead();
    }

    /** {@code setAutoRead(false)}: as NIO's {@code clearReadPending()}, now on the loop or soon from elsewhere. */
    void clearReadPending() {
        if (isRegistered() && !eventLoop().inEventLoop()) {
            eventLoop().execute(reader::clearReadPending);
        } else if (isRegistered()) {
            reader.clearReadPending();
        }
    }

    /**
     * The connection is over: a reset or a timeout (java.net's exception) goes to
     * {@code exceptionCaught} and closes the channel, as NIO's failed read does; an orderly end
     * closes it unless both halves were shut down with the channel left open (NIO keeps those
     * open until the application closes them).
     */
    void connectionEnded(IOException error) {
        if (!open) {
            return;
        }
        if (!isRegistered()) {
            endedUnregistered = true;
            endedUnregisteredError = error;
            return;
        }
        if (error != null) {
            pipeline().fireExceptionCaught(error);
            unsafe().close(unsafe().voidPromise());
        } else if (!(reader.inputShutdown() && outputShutdown)) {
            unsafe().close(unsafe().voidPromise());
        }
    }

    // ---------------------------------------------------------------- writing

    /** ByteBufs only, as they are: no copy (see the class comment on ownership). */
    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            return msg;
        }
        if (msg instanceof FileRegion) {
            throw new UnsupportedOperationException("unsupported message type: " + msg.getClass().getSimpleName()
                    + " (expected: ByteBuf; a FileRegion needs a kernel socket to sendfile(2) into, which usertcp has"
                    + " not: write the file as ByteBufs, e.g. ChunkedWriteHandler with a ChunkedNioFile)");
        }
        throw new UnsupportedOperationException("unsupported message type: "
                + (msg == null ? "null" : msg.getClass().getName()) + " (expected: ByteBuf)");
    }

    /**
     * Hands the flushed buffers to the send buffer until it is full; each buffer is removed from
     * the outbound buffer (released, its promise completed) once the stack took all of its bytes.
     */
    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        LoopConnection c = connection;
        for (;;) {
            ByteBuf buf = (ByteBuf) in.current();
            if (buf == null) {
                return;
            }
            if (buf.isReadable()) {
                int taken = c.write(buf); // moves buf's reader index past what was taken
                if (taken > 0) {
                    in.progress(taken);
                }
                if (buf.isReadable()) {
                    writeBlocked = true; // LoopHandler.onWritable comes when there is room
                    return;
                }
            }
            in.remove();
        }
    }

    // ---------------------------------------------------------------- closing and shutting down

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("bind " + localAddress + ": a usertcp client channel takes an ephemeral"
                + " port of its stack when it connects (expected: connect without a local address)");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        open = false;
        failConnect(new ClosedChannelException());
        reader.releaseLeftover();
        LoopConnection c = connection;
        if (c == null) {
            return;
        }
        boolean abort = config.getSoLinger() == 0;
        Runnable close = () -> {
            if (!c.isClosed()) {
                c.setAutoRead(false);
                if (abort) {
                    c.abort();
                } else {
                    c.close();
                }
            }
        };
        if (c.inLoop()) {
            close.run();
        } else {
            try {
                c.execute(close); // a child never registered, force-closed by ServerBootstrap from the server's loop
            } catch (IllegalStateException stackStopped) {
                // the stack closed, and the connection with it
            }
        }
    }

    /**
     * A child the server never handed to its pipeline (the server closed, or its loop is gone):
     * reset, as Linux resets the connections of a closed listener's accept queue. Any thread.
     */
    void abortUnaccepted() {
        open = false;
        LoopConnection c = connection;
        Runnable abort = () -> {
            if (!c.isClosed()) {
                c.abort();
            }
        };
        if (c.inLoop()) {
            abort.run();
        } else {
            try {
                c.execute(abort);
            } catch (IllegalStateException stackStopped) {
                // the stack closed, and the connection with it
            }
        }
    }

    @Override
    protected void doShutdownOutput() {
        outputShutdown = true;
        LoopConnection c = connection;
        if (c != null && !c.isClosed()) {
            c.shutdownOutput();
        }
    }

    @Override
    public boolean isInputShutdown() {
        return reader.inputShutdown() || !isActive();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public boolean isShutdown() {
        return reader.inputShutdown() && outputShutdown || !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    /** Our FIN after what the send buffer holds; reading goes on. Pending writes fail, as with NIO. */
    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        onLoop(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    /** SHUT_RD: no more {@code channelRead}; what arrives is discarded (nothing is sent to the peer). */
    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        onLoop(() -> {
            try {
                reader.shutdownInput();
                promise.setSuccess();
            } catch (RuntimeException e) {
                promise.setFailure(e);
            }
        });
        return promise;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    /** Output, then input, as NIO's {@code shutdown(promise)}; the promise fails with the first failure. */
    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        shutdownOutput().addListener((ChannelFutureListener) out -> shutdownInput().addListener((ChannelFutureListener) in -> {
            Throwable cause = out.cause() != null ? out.cause() : in.cause();
            if (cause != null) {
                promise.setFailure(cause);
            } else {
                promise.setSuccess();
            }
        }));
        return promise;
    }

    private void onLoop(Runnable task) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    // ---------------------------------------------------------------- connecting

    private void failConnect(Throwable cause) {
        ChannelPromise p = connectPromise;
        connectPromise = null;
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (p != null) {
            p.tryFailure(cause);
        }
    }

    private static InetSocketAddress requireIpv4(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress a) || a.isUnresolved() || a.getAddress().getAddress().length != 4) {
            throw new IllegalArgumentException("remote address: " + remote + " (expected: a resolved IPv4 InetSocketAddress;"
                    + " usertcp speaks IPv4 only)");
        }
        return a;
    }

    /** Netty's side of the connection's events; see the class comment. */
    private final class ConnectionEvents implements LoopHandler {
        @Override
        public void onOpen(LoopConnection c) {
            connection = c;
            reader.opened(c); // nothing is delivered before the channel is registered and a read is asked for
            local = new InetSocketAddress(Addresses.inet(c.id().local()), c.id().localPort());
            remote = new InetSocketAddress(Addresses.inet(c.id().remote()), c.id().remotePort());
            config.applyTo(c);
            established = true;
            UsertcpServerChannel server = parent();
            if (server != null) {
                server.childAccepted(UsertcpChannel.this);
            } else if (!open) {
                c.abort(); // closed (timed out, say) while the handshake went on
            } else {
                connected();
            }
        }

        /** As NIO's {@code fulfillConnectPromise}: the promise, then channelActive; a cancelled promise closes. */
        private void connected() {
            ChannelPromise p = connectPromise;
            connectPromise = null;
            if (connectTimeout != null) {
                connectTimeout.cancel(false);
                connectTimeout = null;
            }
            boolean promiseSet = p != null && p.trySuccess();
            pipeline().fireChannelActive();
            if (!promiseSet) {
                unsafe().close(unsafe().voidPromise());
            }
        }

        @Override
        public void onData(LoopConnection c, ByteBuf data) {
            reader.onData(data);
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            reader.onEndOfStream();
        }

        @Override
        public void onWritable(LoopConnection c) {
            writeBlocked = false;
            if (open) {
                ((UsertcpUnsafe) unsafe()).forceFlush();
            }
        }

        /** Before the stack frees the connection: what the application has not read yet is kept for it first. */
        @Override
        public void onClose(LoopConnection c, IOException error) {
            if (open && !reader.keepUnread(error)) {
                connectionEnded(error);
            }
        }
    }

    private final class UsertcpUnsafe extends AbstractUnsafe {
        /** As NIO's {@code connect}: the promise completes when the handshake does. */
        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            try {
                if (connectPromise != null) {
                    throw new ConnectionPendingException();
                }
                if (connection != null) {
                    throw new AlreadyConnectedException();
                }
                if (localAddress != null) {
                    doBind(localAddress);
                }
                InetSocketAddress target = requireIpv4(remoteAddress);
                UsertcpEventLoop loop = (UsertcpEventLoop) eventLoop();
                runner = loop.runner();
                connectPromise = promise;
                requestedRemote = target;
                loop.connector().connect(Addresses.ipv4(target.getAddress()), target.getPort(), events)
                        .whenComplete((c, failure) -> {
                            if (failure != null) {
                                onLoop(() -> connectFailed(failure));
                            }
                        });
                int timeoutMillis = config.getConnectTimeoutMillis();
                if (timeoutMillis > 0) {
                    connectTimeout = loop.schedule(() -> {
                        ChannelPromise p = connectPromise;
                        if (p != null && !p.isDone() && p.tryFailure(new ConnectTimeoutException(
                                "connection timed out after " + timeoutMillis + " ms: " + target))) {
                            close(voidPromise());
                        }
                    }, timeoutMillis, TimeUnit.MILLISECONDS);
                }
            } catch (Throwable t) {
                promise.tryFailure(annotateConnectException(t, remoteAddress));
                closeIfClosed();
            }
        }

        private void connectFailed(Throwable failure) {
            if (connectPromise != null) {
                failConnect(annotateConnectException(failure, requestedRemote));
                closeIfClosed();
            }
        }

        /** While a write waits for room, a flush waits too (NIO: while OP_WRITE is set). */
        @Override
        protected void flush0() {
            if (!writeBlocked) {
                super.flush0();
            }
        }

        void forceFlush() {
            super.flush0();
        }
    }
}
