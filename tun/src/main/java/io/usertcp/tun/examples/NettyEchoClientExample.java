package io.usertcp.tun.examples;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.usertcp.netty.UsertcpChannel;
import io.usertcp.netty.UsertcpEventLoopGroup;
import io.usertcp.tun.TunStackHost;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Netty over usertcp as a client: an ordinary {@code Bootstrap} with Netty's string codecs connects
 * from our stack to a kernel echo server (a java.net {@link ServerSocket} inside the namespace),
 * sends a line, half-closes, and reads the echo until the server closes.
 */
public final class NettyEchoClientExample {
    private NettyEchoClientExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run("hello from Netty over usertcp\n"));
    }

    /** Returns what came back from the kernel's echo server. */
    public static String run(String line) throws Exception {
        // README:begin
        try (TunStackHost host = TunStackHost.start("usertcp-example")) {
            // the kernel's echo server, made inside the namespace so that it is the namespace's
            ServerSocket listener = host.kernel(() -> new ServerSocket(7, 16, InetAddress.getByName(host.kernelAddress().toString())));
            Future<Void> served = host.namespace().submitInside(() -> {
                try (listener; Socket s = listener.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream()); // until our FIN, then closes
                }
                return null;
            });
            EventLoopGroup group = new UsertcpEventLoopGroup(host.runner());
            try {
                CompletableFuture<String> echoed = new CompletableFuture<>();
                new Bootstrap().group(group).channel(UsertcpChannel.class)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                StringBuilder received = new StringBuilder();
                                ch.pipeline().addLast(new StringEncoder(StandardCharsets.UTF_8), new StringDecoder(StandardCharsets.UTF_8),
                                        new SimpleChannelInboundHandler<String>() {
                                            @Override
                                            public void channelActive(ChannelHandlerContext ctx) {
                                                ctx.writeAndFlush(line).addListener(f -> ch.shutdownOutput()); // our FIN after the line
                                            }

                                            @Override
                                            protected void channelRead0(ChannelHandlerContext ctx, String text) {
                                                received.append(text);
                                            }

                                            @Override
                                            public void channelInactive(ChannelHandlerContext ctx) { // the server closed
                                                echoed.complete(received.toString());
                                            }
                                        });
                            }
                        })
                        .connect(new InetSocketAddress(host.kernelAddress().toString(), 7)).sync();
                String result = echoed.get(10, TimeUnit.SECONDS);
                served.get(10, TimeUnit.SECONDS);
                return result;
            } finally {
                group.shutdownGracefully().sync();
            }
        }
        // README:end
    }
}
