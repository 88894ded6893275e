package io.usertcp.tun.examples;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.usertcp.netty.UsertcpEventLoopGroup;
import io.usertcp.netty.UsertcpServerChannel;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Netty over usertcp: an ordinary {@code ServerBootstrap} with Netty's HTTP codec, whose channels
 * are usertcp's and whose event loop is the stack's own thread; {@code curl}, run inside the
 * namespace, is the client (where curl is not installed, java.net.http's client, run inside the
 * namespace too).
 */
public final class NettyHttpServerExample {
    private NettyHttpServerExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run("/hello", curlInstalled()));
    }

    // README:begin
    /** Answers every request with a line of text, keeping the connection open when the client asks to. */
    static final class Hello extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            ByteBuf body = Unpooled.copiedBuffer("hello from Netty over usertcp: " + request.uri() + "\n", StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            ChannelFuture sent = ctx.writeAndFlush(response);
            if (!keepAlive) {
                sent.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Serves HTTP on port 80 of a stack in a namespace of its own; returns what a kernel client got from {@code path}. */
    public static String run(String path, boolean withCurl) throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-example")) {
            EventLoopGroup group = new UsertcpEventLoopGroup(host.runners()); // a loop per shard: the stack's own threads
            try {
                new ServerBootstrap().group(group).channel(UsertcpServerChannel.class)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Hello());
                            }
                        })
                        .bind(80).sync();
                String url = "http://" + host.stackAddress() + path;
                return withCurl ? curl(host, url) : javaGet(host, url);
            } finally {
                group.shutdownGracefully().sync(); // closes the channels; the stack stops with the host
            }
        }
    }
    // README:end

    /** GET with curl, run inside the namespace (as the kernel's program). */
    static String curl(TunStackHost host, String url) {
        ExecResult r = host.namespace().exec(Duration.ofSeconds(15), "curl", "--silent", "--show-error", "--max-time", "10", url);
        if (!r.succeeded()) {
            throw new IllegalStateException("curl failed: " + r.describe());
        }
        return r.output();
    }

    /** GET with java.net.http's client, made and run on a thread inside the namespace, so that its sockets are the kernel's there. */
    static String javaGet(TunStackHost host, String url) throws Exception {
        return host.kernel(() -> {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
            return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
        });
    }

    /** Whether curl is on the PATH (else main uses java.net.http's client; apt-get install curl gets it). */
    static boolean curlInstalled() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "curl"))) {
                return true;
            }
        }
        return false;
    }
}
