package io.usertcp.netty;

import static io.usertcp.netty.NettyPair.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.nio.channels.ClosedChannelException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure through the transport: Netty's outbound buffer and writability over a send buffer
 * that fills, reading on demand with auto-read off (the proxy idiom), auto-read turned off and on
 * again, and a close with writes still queued, whose buffers are all released.
 */
class UsertcpBackPressureTest {
    static final int TOTAL = 8 * 1024 * 1024;
    static final int CHUNK = 16 * 1024;
    final NettyPair pair = new NettyPair();

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    /**
     * The server side, auto-read off: it asks for the next read only once the echo of the last is
     * written, and checks that nothing is read that was not asked for.
     */
    static final class OnDemandEcho extends ChannelDuplexHandler {
        boolean readRequested;
        boolean inBatch;
        int unrequestedReads;
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            readRequested = true;
            ctx.read();
        }

        // channel().read(), not ctx.read(): from the tail, so that the request passes through read() above
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.channel().read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reads++;
            if (!readRequested && !inBatch) {
                unrequestedReads++; // a batch began that no read() asked for
            }
            inBatch = true;
            readRequested = false; // this batch took the request: a read() from now on asks for the next one
            ctx.writeAndFlush(msg).addListener(f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                }
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            inBatch = false;
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ctx.channel().close(); // the client's FIN (half closure on): done
        }

    }

    /**
     * The client: writes {@link #TOTAL} seeded bytes while the channel is writable and again at each
     * writability change, reads the echo back with a pause of 20 ms (auto-read off, then on again by
     * a scheduled task) after the first megabyte, and digests both directions.
     */
    static final class Sender extends ChannelInboundHandlerAdapter {
        final Random random = new Random(42);
        final MessageDigest sentDigest = sha256();
        final MessageDigest receivedDigest = sha256();
        final CompletableFuture<byte[][]> done = new CompletableFuture<>();
        int sent;
        int received;
        int unwritable;
        boolean paused;
        boolean pausedOnce;
        int readsWhilePaused;

        static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ctx.channel().isWritable()) {
                unwritable++;
            }
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (ctx.channel().isWritable() && sent < TOTAL) {
                byte[] chunk = new byte[Math.min(CHUNK, TOTAL - sent)];
                random.nextBytes(chunk);
                sentDigest.update(chunk);
                sent += chunk.length;
                ctx.write(ctx.alloc().directBuffer(chunk.length).writeBytes(chunk));
            }
            ctx.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (paused) {
                readsWhilePaused++;
            }
            received += buf.readableBytes();
            receivedDigest.update(buf.nioBuffer());
            buf.release();
            if (!pausedOnce && received >= 1 << 20) {
                pausedOnce = true;
                paused = true;
                ctx.channel().config().setAutoRead(false);
                ctx.executor().schedule(() -> {
                    paused = false;
                    ctx.channel().config().setAutoRead(true);
                }, 20, TimeUnit.MILLISECONDS);
            }
            if (received == TOTAL) {
                done.complete(new byte[][] {sentDigest.digest(), receivedDigest.digest()});
            }
        }
    }

    @Test
    void eightMegabytesEchoed_withSmallBuffers_intact_throughWritabilityAndOnDemandReads() throws Exception {
        OnDemandEcho echo = new OnDemandEcho();
        new io.netty.bootstrap.ServerBootstrap().group(pair.serverGroup).channel(UsertcpServerChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.SO_RCVBUF, 32 * 1024)
                .childHandler(echo).bind(7).sync();
        Sender sender = new Sender();
        Channel client = await(pair.client(sender)
                .option(ChannelOption.SO_SNDBUF, 32 * 1024)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 128 * 1024))
                .connect(NettyPair.server(7)), "connect").channel();

        byte[][] digests = await(sender.done, "8 MB echoed (received so far: " + sender.received + ")");
        assertArrayEquals(digests[0], digests[1], "SHA-256 of what came back = of what was sent");
        assertTrue(sender.unwritable > 0, "the client's outbound buffer passed its high water mark: the send buffer was full");
        assertTrue(sender.pausedOnce, "auto-read was turned off and on again");
        assertEquals(0, sender.readsWhilePaused, "nothing is read while auto-read is off");
        CompletableFuture<int[]> serverCounts = new CompletableFuture<>();
        pair.server.execute(() -> serverCounts.complete(new int[] {echo.reads, echo.unrequestedReads}));
        int[] counts = await(serverCounts, "the server's counts");
        assertTrue(counts[0] > 0, "the server read");
        assertEquals(0, counts[1], "with auto-read off, nothing is read that was not asked for");
        client.close().sync();
    }

    @Test
    void close_withWritesQueued_failsThem_andReleasesEveryBuffer() throws Exception {
        // A server that never reads: its window closes, the client's send buffer fills, writes queue in Netty.
        pair.serve(7, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.config().setAutoRead(false).setReceiveBufferSize(16 * 1024);
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // the client's abort: "Connection reset", expected here
                    }
                });
            }
        });
        Channel client = await(pair.client(new ChannelInboundHandlerAdapter())
                .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                .option(ChannelOption.SO_LINGER, 0)
                .connect(NettyPair.server(7)), "connect").channel();
        List<ByteBuf> buffers = new ArrayList<>();
        List<ChannelFuture> writes = new ArrayList<>();
        CompletableFuture<Void> queued = new CompletableFuture<>();
        client.eventLoop().execute(() -> {
            for (int i = 0; i < 64; i++) { // 1 MB: far more than the two buffers hold
                // Unpooled: a released pooled buffer's object is recycled, and its refCnt() then tells of its next use.
                ByteBuf b = Unpooled.directBuffer(CHUNK).writeZero(CHUNK);
                buffers.add(b);
                writes.add(client.writeAndFlush(b));
            }
            queued.complete(null);
        });
        await(queued, "writes queued");
        // Wait (bounded) until the stack stops taking bytes: the last write stays pending.
        await(writes.get(0), "the first write taken by the stack");
        assertFalse(writes.get(writes.size() - 1).isDone(), "1 MB does not fit a closed window and a 32 KB send buffer");
        assertFalse(client.isWritable());

        await(client.close(), "close (SO_LINGER 0: an abort)");
        // Looked at on the loop, after the close's task: it fails the queued writes after completing the close future.
        CompletableFuture<List<String>> outcome = new CompletableFuture<>();
        client.eventLoop().execute(() -> outcome.complete(writes.stream()
                .map(w -> !w.isDone() ? "pending" : w.isSuccess() ? "written"
                        : w.cause() instanceof ClosedChannelException ? "ClosedChannelException" : w.cause().toString()).toList()));
        List<String> outcomes = await(outcome, "the writes' outcomes");
        assertFalse(outcomes.contains("pending"), outcomes.toString());
        assertTrue(outcomes.contains("written") && outcomes.contains("ClosedChannelException"),
                "some writes were taken, the ones still queued at the close failed: " + outcomes);
        assertEquals(List.of("written", "ClosedChannelException"), outcomes.stream().distinct().toList(), outcomes.toString());
        CompletableFuture<List<Integer>> refCounts = new CompletableFuture<>();
        client.eventLoop().execute(() -> refCounts.complete(buffers.stream().map(ByteBuf::refCnt).toList()));
        assertEquals(java.util.Collections.nCopies(64, 0), await(refCounts, "reference counts"),
                "Netty released the queued buffers and the abort released the stack's slices of the taken ones");
    }
}
