package io.usertcp.netty;

import static io.usertcp.netty.NettyPair.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.ReferenceCountUtil;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transport under ordinary Netty bootstraps and handlers, two stacks in one JVM: an echo of
 * length-framed messages, the peer's FIN with and without half closure, a reset, and the
 * java.net failures of connect and bind. {@code UsertcpBackPressureTest} has the bulk transfer and
 * the close with writes queued; {@code UsertcpEventLoopTest} the loop itself.
 */
class UsertcpChannelTest {
    final NettyPair pair = new NettyPair();

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    static String string(Object msg) {
        try {
            return ((ByteBuf) msg).toString(StandardCharsets.UTF_8);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    /** Echoes every frame, noting whether it ran on the stack's thread. */
    final class EchoFrames extends ChannelInboundHandlerAdapter {
        final List<Boolean> onStackThread = new CopyOnWriteArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            onStackThread.add(pair.server.inStackThread() && ctx.channel().eventLoop().inEventLoop());
            ctx.writeAndFlush(msg); // ownership passes on to the outbound side
        }
    }

    @Test
    void serverBootstrapEcho_ofLengthFramedMessages_withOrdinaryHandlers_onTheStackThread() throws Exception {
        EchoFrames echo = new EchoFrames();
        CompletableFuture<SocketChannel> child = new CompletableFuture<>();
        Channel server = pair.serve(7, new ChannelInitializer<SocketChannel>() { // a SocketChannel: the usual generic type
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4), new LengthFieldPrepender(4), echo);
                child.complete(ch);
            }
        });
        List<String> replies = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = new CompletableFuture<>();
        Channel client = await(pair.client(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4), new LengthFieldPrepender(4),
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                for (String s : List.of("one", "two", "three".repeat(10_000))) { // the last spans segments
                                    ctx.write(bytes(s));
                                }
                                ctx.flush();
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                replies.add(string(msg));
                                if (replies.size() == 3) {
                                    done.complete(List.copyOf(replies));
                                }
                            }
                        });
            }
        }).connect(NettyPair.server(7)), "connect").channel();

        assertEquals(List.of("one", "two", "three".repeat(10_000)), await(done, "three echoed frames"));
        SocketChannel accepted = await(child, "the accepted child");
        assertEquals(List.of(true, true, true), echo.onStackThread, "handlers run on the stack's thread, the channel's loop");
        assertSame(server, accepted.parent());
        assertSame(pair.serverGroup.loops().get(0), accepted.eventLoop(), "the child is on its shard's loop");
        assertEquals(new InetSocketAddress(Addresses.inet(NettyPair.SERVER), 7), accepted.localAddress());
        assertEquals(client.localAddress(), accepted.remoteAddress());
        assertEquals(NettyPair.server(7), client.remoteAddress());
        assertTrue(accepted.config().isTcpNoDelay(), "TCP_NODELAY on by default, as NIO's");
        await(client.close(), "client close");
        await(accepted.closeFuture(), "the server's side closes after the client's FIN (no half closure)");
        server.close().sync();
    }

    @Test
    void peersFin_withHalfClosure_firesInputShutdownEvents_andTheChannelStillWrites() throws Exception {
        List<Object> serverEvents = new CopyOnWriteArrayList<>();
        pair.serve(7, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.config().setAllowHalfClosure(true);
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        serverEvents.add("read " + string(msg));
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        SocketChannel ch = (SocketChannel) ctx.channel();
                        serverEvents.add(evt);
                        if (evt == ChannelInputShutdownEvent.INSTANCE) {
                            serverEvents.add("input shut " + ch.isInputShutdown() + ", output shut " + ch.isOutputShutdown()
                                    + ", active " + ch.isActive());
                            ctx.writeAndFlush(bytes("bye")).addListener(f -> ch.shutdownOutput());
                        }
                    }
                });
            }
        });
        StringBuilder got = new StringBuilder();
        CompletableFuture<String> clientSawEnd = new CompletableFuture<>();
        Channel client = await(pair.client(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                got.append(string(msg));
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt == ChannelInputShutdownEvent.INSTANCE) {
                    clientSawEnd.complete(got.toString());
                }
            }
        }).option(ChannelOption.ALLOW_HALF_CLOSURE, true).connect(NettyPair.server(7)), "connect").channel();
        client.writeAndFlush(bytes("hello"));
        await(((SocketChannel) client).shutdownOutput(), "client shutdownOutput");
        assertEquals("bye", await(clientSawEnd, "the server's reply after our FIN, then its FIN"));
        assertTrue(client.isOpen() && ((SocketChannel) client).isShutdown(), "both halves shut, the channel left open, as NIO");
        assertEquals(List.of("read hello", ChannelInputShutdownEvent.INSTANCE, "input shut true, output shut false, active true",
                ChannelOutputShutdownEvent.INSTANCE, // our own shutdownOutput, from the reply's listener
                ChannelInputShutdownReadComplete.INSTANCE), serverEvents);
        client.close().sync();
    }

    /**
     * A client with auto-read off that asks a question and half-closes; the server answers and
     * closes, so the client's TCP goes to TIME-WAIT (and the stack frees the connection) before the
     * application asks to read. The client reads on demand and notes what it read until it closes.
     */
    SocketChannel pausedClientWhoseConnectionEnded(List<String> events, CompletableFuture<List<String>> closed) throws Exception {
        pair.serve(7, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(bytes("the answer")).addListener(ChannelFutureListener.CLOSE);
            }
        });
        SocketChannel client = (SocketChannel) await(pair.client(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                events.add("read " + string(msg));
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                ctx.read(); // on demand: the next read finds the end, as with NIO
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                closed.complete(List.copyOf(events));
            }
        }).option(ChannelOption.AUTO_READ, false).connect(NettyPair.server(7)), "connect").channel();
        client.writeAndFlush(bytes("question"));
        await(client.shutdownOutput(), "shutdownOutput");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(NettyPair.WAIT_SECONDS);
        // In TIME-WAIT now, or already out of it (the pair's TIME-WAIT lasts 100 ms, which a loaded machine can
        // sleep through between two looks; TcpExtTW counts the entries that expired): a round trip to the stack each time.
        while (pair.client.call(now -> pair.client.stack().timeWaitCount()
                + pair.client.stack().stats().get(io.usertcp.core.StackStats.Counter.TcpExtTW)) == 0) {
            assertTrue(System.nanoTime() < deadline, "the client's connection reached TIME-WAIT");
        }
        return client;
    }

    @Test
    void bytesThatArrivedWhileReadingWasPaused_areStillRead_afterTheConnectionEnded() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> closed = new CompletableFuture<>();
        SocketChannel client = pausedClientWhoseConnectionEnded(events, closed);
        assertTrue(client.isOpen(), "the channel outlives its connection until the application has read");
        assertEquals(List.of(), events, "nothing read before read()");
        client.read();
        assertEquals(List.of("read the answer"), await(closed, "the answer, then the end (no half closure: the channel closes)"));
    }

    @Test
    void bytesKeptAfterTheConnectionEnded_areReleased_whenTheChannelClosesUnread() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> closed = new CompletableFuture<>();
        SocketChannel client = pausedClientWhoseConnectionEnded(events, closed);
        await(client.close(), "close");
        assertEquals(List.of(), await(closed, "channelInactive"), "never read; the leak check after the test finds no buffer");
    }

    @Test
    void aReset_reachesExceptionCaught_asConnectionReset_thenTheChannelCloses() throws Exception {
        pair.serve(7, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // close = abort
                ctx.close();
            }
        });
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        Channel client = await(pair.client(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                caught.complete(cause);
            }
        }).connect(NettyPair.server(7)), "connect").channel();
        Throwable reset = await(caught, "exceptionCaught after the server's RST");
        assertInstanceOf(SocketException.class, reset);
        assertEquals("Connection reset", reset.getMessage());
        await(client.closeFuture(), "the client channel closes after the reset");
    }

    @Test
    void connect_toAClosedPort_failsWithConnectException_andTheChannelCloses() throws Exception {
        ChannelFuture f = await(pair.client(new ChannelInboundHandlerAdapter()).connect(NettyPair.server(9)), "connect");
        assertInstanceOf(ConnectException.class, f.cause());
        assertTrue(f.cause().getMessage().startsWith("Connection refused"), f.cause().getMessage());
        assertTrue(f.cause().getMessage().contains("198.18.0.2:9"), "annotated with the address, as Netty does: " + f.cause());
        await(f.channel().closeFuture(), "Bootstrap closes a channel whose connect failed");
    }

    @Test
    void connect_toAHostThatNeverAnswers_failsAtConnectTimeoutMillis() throws Exception {
        InetSocketAddress silent = new InetSocketAddress(Addresses.inet(io.usertcp.wire.Ipv4Address.of("198.18.0.9")), 7);
        long start = System.nanoTime();
        ChannelFuture f = await(pair.client(new ChannelInboundHandlerAdapter())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 150).connect(silent), "connect");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(ConnectTimeoutException.class, f.cause(), String.valueOf(f.cause()));
        assertTrue(tookMillis >= 150, "not before the timeout: " + tookMillis + " ms");
        await(f.channel().closeFuture(), "closed after the timeout");
    }

    @Test
    void bind_toAPortInUse_isABindException_andToAnAddressNotTheStacks_too() throws Exception {
        Channel first = pair.serve(8, new ChannelInboundHandlerAdapter());
        ChannelFuture second = await(new io.netty.bootstrap.ServerBootstrap().group(pair.serverGroup)
                .channel(UsertcpServerChannel.class).childHandler(new ChannelInboundHandlerAdapter()).bind(8), "second bind");
        assertInstanceOf(BindException.class, second.cause());
        assertTrue(second.cause().getMessage().startsWith("Address already in use"), second.cause().getMessage());
        await(second.channel().closeFuture(), "ServerBootstrap closes the channel that could not bind");

        ChannelFuture elsewhere = await(new io.netty.bootstrap.ServerBootstrap().group(pair.serverGroup)
                .channel(UsertcpServerChannel.class).childHandler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(Addresses.inet(io.usertcp.wire.Ipv4Address.of("198.18.0.7")), 9)), "bind elsewhere");
        assertInstanceOf(BindException.class, elsewhere.cause());
        assertTrue(elsewhere.cause().getMessage().startsWith("Cannot assign requested address"), elsewhere.cause().getMessage());

        first.close().sync();
        Channel again = pair.serve(8, new ChannelInboundHandlerAdapter()); // closing stopped listening: the port is free
        again.close().sync();
    }
}
