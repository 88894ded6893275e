package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.usertcp.core.Shard;
import io.usertcp.netty.UsertcpChannel;
import io.usertcp.netty.UsertcpEventLoop;
import io.usertcp.netty.UsertcpEventLoopGroup;
import io.usertcp.netty.UsertcpServerChannel;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Netty transport on two shards of a multi-queue TUN device, against the kernel: each accepted
 * channel is registered on the loop of the shard that owns its flow and its handlers run on that
 * shard's thread; client channels connect from the loops in turn, each from ports its shard owns.
 */
@Tag("tun")
@Timeout(60)
class NettyShardsInteropTest {
    private static final int PORT = 5021;

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
    }

    @AfterEach
    void nothingLeft() {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    private static TunStackHost start() {
        return TunStackHost.startSharded("usertcp-interop-netty", 2);
    }

    /** The shard that owns a flow, as our stack sees it. */
    private static int owner(InetSocketAddress local, InetSocketAddress remote) {
        return Shard.of(bits(local), local.getPort(), bits(remote), remote.getPort(), 2);
    }

    private static int bits(InetSocketAddress a) {
        return Ipv4Address.of(a.getAddress().getHostAddress()).bits();
    }

    /** "loop shard / flow's owner / on that shard's thread" for a channel, from one of its handlers. */
    private static String placement(TunStackHost host, Channel ch) {
        UsertcpEventLoop loop = (UsertcpEventLoop) ch.eventLoop();
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        return loop.shard() + "/" + owner(local, remote) + "/" + host.runners().get(loop.shard()).inStackThread();
    }

    @Test
    void acceptedChannels_areOnTheirFlowsShard_andClientsConnectFromEachShardInTurn() throws Exception {
        try (TunStackHost host = start()) {
            UsertcpEventLoopGroup group = new UsertcpEventLoopGroup(host.runners());
            try {
                List<String> served = new CopyOnWriteArrayList<>();
                new ServerBootstrap().group(group).channel(UsertcpServerChannel.class)
                        .childHandler(new EchoOneByte(host, served)).bind(PORT).sync();
                // Kernel clients from ports chosen so that each shard owns two flows.
                InetSocketAddress stack = new InetSocketAddress(host.stackAddress().toString(), PORT);
                List<Integer> ports = new ArrayList<>();
                for (int port = 40_000, wanted = 0; ports.size() < 4; port++) {
                    InetSocketAddress kernel = new InetSocketAddress(host.kernelAddress().toString(), port);
                    if (owner(stack, kernel) == wanted % 2) {
                        ports.add(port);
                        wanted++;
                    }
                }
                host.kernel(() -> {
                    for (int port : ports) {
                        try (Socket s = new Socket()) {
                            s.setReuseAddress(true);
                            s.bind(new InetSocketAddress(host.kernelAddress().toString(), port));
                            s.connect(stack, Peers.CONNECT_TIMEOUT_MILLIS);
                            s.setSoTimeout(Peers.CONNECT_TIMEOUT_MILLIS);
                            s.getOutputStream().write(port & 0x7f);
                            assertEquals(port & 0x7f, s.getInputStream().read());
                            assertEquals(-1, s.getInputStream().read());
                        }
                    }
                    return null;
                });
                assertEquals(List.of("0/0/true", "1/1/true", "0/0/true", "1/1/true"), served,
                        "loop shard / owner of the flow / handler on that shard's thread");

                // Our clients: the group's loops in turn, each connecting from its own shard.
                try (ServerSocket kernel = Peers.kernelListener(host, PORT + 1)) {
                    List<String> clients = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        Future<Void> accepted = host.namespace().submitInside(() -> {
                            try (Socket s = kernel.accept()) {
                                s.getOutputStream().write(7);
                            }
                            return null;
                        });
                        CompletableFuture<String> got = new CompletableFuture<>();
                        new Bootstrap().group(group).channel(UsertcpChannel.class).handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                got.complete(placement(host, ctx.channel()) + " read " + b.readByte());
                                b.release();
                                ctx.close();
                            }
                        }).connect(new InetSocketAddress(host.kernelAddress().toString(), PORT + 1)).sync();
                        clients.add(got.get(10, TimeUnit.SECONDS));
                        Peers.get(accepted);
                    }
                    assertEquals(List.of("0/0/true read 7", "1/1/true read 7"), clients);
                }
            } finally {
                group.shutdownGracefully().sync();
            }
        }
    }

    /** Notes where it runs, echoes one byte and closes. */
    @ChannelHandler.Sharable
    static final class EchoOneByte extends ChannelInboundHandlerAdapter {
        private final TunStackHost host;
        private final List<String> served;

        EchoOneByte(TunStackHost host, List<String> served) {
            this.host = host;
            this.served = served;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            served.add(placement(host, ctx.channel()));
            ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
