package io.usertcp.netty;

import io.netty.channel.AbstractServerChannel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ServerSocketChannel;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.LoopHandler;
import io.usertcp.socket.LoopServer;
import io.usertcp.socket.StackLoop;
import io.usertcp.wire.Ipv4Address;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;

/**
 * A Netty {@link ServerSocketChannel} over usertcp listeners, for
 * {@code ServerBootstrap.channel(UsertcpServerChannel.class)}: binding listens on the port on every
 * shard of the {@link UsertcpEventLoopGroup}'s stack ({@link StackLoop#listen}); each connection
 * the stack accepts becomes a {@link UsertcpChannel} child, fired as {@code channelRead} into this
 * channel's pipeline, where {@code ServerBootstrap}'s acceptor registers it (on the loop of the
 * shard that owns its flow, see {@link UsertcpEventLoopGroup#register}). As NIO's server channel:
 * children are read while a read is pending (always, with auto-read), up to
 * {@code maxMessagesPerRead} per read, and then {@code channelReadComplete}; a port that already
 * has a listener fails the bind with java.net's {@link BindException}; {@code close()} stops
 * listening (connections not yet accepted are reset) and leaves accepted children alone.
 */
public class UsertcpServerChannel extends AbstractServerChannel implements ServerSocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final UsertcpServerChannelConfig config = new UsertcpServerChannelConfig(this);
    /** Accepted children not yet read (server loop only). */
    private final Queue<UsertcpChannel> accepted = new ArrayDeque<>();
    private volatile boolean open = true;
    private volatile LoopServer server;
    private volatile InetSocketAddress local;
    private boolean acceptPending;

    /** For {@code ServerBootstrap.channel(UsertcpServerChannel.class)}. */
    public UsertcpServerChannel() {
    }

    @Override
    public UsertcpServerChannelConfig config() {
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

    @Override
    public boolean isActive() {
        return open && server != null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof UsertcpEventLoop;
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        ((UsertcpEventLoop) eventLoop()).added(this);
        promise.setSuccess();
    }

    @Override
    protected void doDeregister() {
        ((UsertcpEventLoop) eventLoop()).removed(this);
    }

    /**
     * LISTEN on the port of {@code localAddress} (1..65535), on every shard.
     *
     * @throws BindException "Address already in use" when the port has a listener, or "Cannot assign
     *                       requested address" for an address that is neither the wildcard nor the stack's
     */
    @Override
    protected void doBind(SocketAddress localAddress) throws BindException {
        if (!(localAddress instanceof InetSocketAddress a) || a.isUnresolved()) {
            throw new IllegalArgumentException("local address: " + localAddress + " (expected: a resolved InetSocketAddress)");
        }
        if (a.getPort() < 1 || a.getPort() > 65535) {
            throw new IllegalArgumentException("port: " + a.getPort() + " (expected: 1..65535; the stack has no ephemeral"
                    + " listening ports)");
        }
        StackLoop stackLoop = ((UsertcpEventLoop) eventLoop()).parent().stackLoop();
        if (!a.getAddress().isAnyLocalAddress()) {
            Ipv4Address requested = Addresses.ipv4(a.getAddress());
            if (!stackLoop.runner().stack().stackConfig().localAddresses().contains(requested)) {
                throw new BindException("Cannot assign requested address: " + requested + " is not the stack's ("
                        + stackLoop.runner().stack().stackConfig().localAddresses() + ")");
            }
        }
        server = stackLoop.listen(a.getPort(), config.getBacklog(), () -> newChild(stackLoop));
        local = a;
    }

    /** On the accepting shard's thread: the child, whose connection lives there. */
    private LoopHandler newChild(StackLoop stackLoop) {
        StackRunner shard = null;
        for (StackRunner r : stackLoop.shards()) {
            if (r.inStackThread()) {
                shard = r;
            }
        }
        UsertcpChannel child = new UsertcpChannel(this, shard);
        if (config.getReceiveBufferSize() > 0) {
            child.config().setReceiveBufferSize(config.getReceiveBufferSize()); // inherited, as Linux's accepted sockets do
        }
        return child.events();
    }

    /** A child's connection opened (on its thread): queued for this channel's pipeline, on this channel's loop. */
    void childAccepted(UsertcpChannel child) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            childAccepted0(child);
            return;
        }
        try {
            loop.execute(() -> childAccepted0(child));
        } catch (RejectedExecutionException e) {
            child.abortUnaccepted(); // the server's loop is gone
        }
    }

    private void childAccepted0(UsertcpChannel child) {
        if (!open) {
            child.abortUnaccepted();
            return;
        }
        accepted.add(child);
        if (acceptPending) {
            acceptPending = false;
            readAccepted();
        }
    }

    @Override
    protected void doBeginRead() {
        if (accepted.isEmpty()) {
            acceptPending = true;
        } else {
            readAccepted();
        }
    }

    void clearAcceptPending() {
        if (isRegistered() && eventLoop().inEventLoop()) {
            acceptPending = false;
        } else if (isRegistered()) {
            eventLoop().execute(() -> acceptPending = false);
        }
    }

    /** As LocalServerChannel's readInbound: up to maxMessagesPerRead children, then channelReadComplete. */
    @SuppressWarnings("deprecation") // Channel.Unsafe still hands out the Handle type that Netty 4.2 deprecated
    private void readAccepted() {
        RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
        handle.reset(config);
        ChannelPipeline pipeline = pipeline();
        do {
            UsertcpChannel child = accepted.poll();
            if (child == null) {
                break;
            }
            handle.incMessagesRead(1);
            pipeline.fireChannelRead(child);
        } while (handle.continueReading());
        handle.readComplete();
        pipeline.fireChannelReadComplete();
    }

    /** Stops listening on every shard; children queued and not read are reset. */
    @Override
    protected void doClose() {
        open = false;
        LoopServer s = server;
        if (s != null) {
            s.close();
        }
        UsertcpChannel child;
        while ((child = accepted.poll()) != null) {
            child.abortUnaccepted();
        }
    }
}
