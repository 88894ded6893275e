package io.usertcp.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.usertcp.core.RandomSource;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Two stacks on their own runners over the thread-safe in-memory wire (as {@code StackLoopTest}),
 * each with a {@link UsertcpEventLoopGroup}: the server's bootstraps go on {@link #serverGroup},
 * the client's on {@link #clientGroup}. Real threads, real time; every wait is bounded.
 */
final class NettyPair implements AutoCloseable {
    static final Ipv4Address CLIENT = Ipv4Address.of("198.18.0.1");
    static final Ipv4Address SERVER = Ipv4Address.of("198.18.0.2");
    static final long WAIT_SECONDS = 10;

    final ConcurrentLinkPair wire = new ConcurrentLinkPair(1500);
    final StackRunner client = runner(CLIENT, wire.a(), 1);
    final StackRunner server = runner(SERVER, wire.b(), 2);
    final UsertcpEventLoopGroup clientGroup = new UsertcpEventLoopGroup(client);
    final UsertcpEventLoopGroup serverGroup = new UsertcpEventLoopGroup(server);

    static StackRunner runner(Ipv4Address address, WaitableLink link, long seed) {
        TcpConfig tcp = TcpConfig.linux().toBuilder().timeWaitNanos(100_000_000L).synRetries(1)
                .rtoInitialNanos(200_000_000L).build();
        StackConfig config = StackConfig.of(address, RandomSource.seeded(seed)).withTcp(tcp)
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        return new StackRunner(new TcpStack(config), link, "usertcp-netty-" + address).start();
    }

    /** An ordinary ServerBootstrap on the server stack, bound to {@code port}. */
    Channel serve(int port, ChannelHandler childHandler) throws Exception {
        return await(new ServerBootstrap().group(serverGroup).channel(UsertcpServerChannel.class)
                .childHandler(childHandler).bind(port), "bind " + port).channel();
    }

    /** An ordinary Bootstrap on the client stack, connecting to the server stack. */
    Bootstrap client(ChannelHandler handler) {
        return new Bootstrap().group(clientGroup).channel(UsertcpChannel.class).handler(handler);
    }

    static InetSocketAddress server(int port) {
        return new InetSocketAddress(Addresses.inet(SERVER), port);
    }

    /** Waits for a Netty future, failing the test with {@code what} when it does not finish in time. */
    static <F extends io.netty.util.concurrent.Future<?>> F await(F future, String what) throws InterruptedException {
        if (!future.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError(what + ": not done within " + WAIT_SECONDS + " s");
        }
        return future;
    }

    /** Waits for a value, failing the test with {@code what} when it does not come in time. */
    static <T> T await(CompletableFuture<T> future, String what) throws InterruptedException, ExecutionException {
        try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": not within " + WAIT_SECONDS + " s", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        await(clientGroup.terminationFuture(), "client group termination");
        await(serverGroup.terminationFuture(), "server group termination");
        client.close();
        server.close();
        wire.clear();
    }
}
