package io.usertcp.netty;

import static io.usertcp.netty.NettyPair.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.BlockingOperationException;
import io.netty.util.concurrent.ScheduledFuture;
import io.usertcp.runtime.StackRunner;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event loop is the stack's thread: tasks and scheduled tasks run there (the scheduled ones
 * through the runner's {@code ScheduledWork} hook, never early), blocking on it is refused as on
 * any Netty loop, only usertcp channels register, and shutting the group down closes its channels
 * but not the stack, while a stack that stops takes its loops with it.
 */
class UsertcpEventLoopTest {
    final NettyPair pair = new NettyPair();

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    @Test
    void execute_andInEventLoop_areTheStackThreads() throws Exception {
        UsertcpEventLoop loop = pair.serverGroup.next();
        assertSame(pair.server, loop.runner());
        assertFalse(loop.inEventLoop());
        CompletableFuture<Boolean> onStack = new CompletableFuture<>();
        loop.execute(() -> onStack.complete(pair.server.inStackThread() && loop.inEventLoop()));
        assertTrue(await(onStack, "a task"));
        assertEquals(42, loop.submit(() -> 42).get(5, TimeUnit.SECONDS));
    }

    @Test
    void schedule_runsOnTheStackThread_notBeforeItsDelay_periodicTasksRepeat_andCancelledOnesNeverRun() throws Exception {
        UsertcpEventLoop loop = pair.clientGroup.next();
        long start = System.nanoTime();
        ScheduledFuture<long[]> once = loop.schedule(() -> new long[] {System.nanoTime(), pair.client.inStackThread() ? 1 : 0},
                30, TimeUnit.MILLISECONDS);
        AtomicBoolean cancelledRan = new AtomicBoolean();
        ScheduledFuture<?> cancelled = loop.schedule(() -> cancelledRan.set(true), 40, TimeUnit.MILLISECONDS);
        assertTrue(cancelled.cancel(false));
        AtomicInteger ticks = new AtomicInteger();
        CompletableFuture<Void> fiveTicks = new CompletableFuture<>();
        ScheduledFuture<?> periodic = loop.scheduleAtFixedRate(() -> {
            if (ticks.incrementAndGet() == 5) {
                fiveTicks.complete(null);
            }
        }, 1, 5, TimeUnit.MILLISECONDS);

        long[] ran = once.get(5, TimeUnit.SECONDS);
        assertTrue(ran[0] - start >= TimeUnit.MILLISECONDS.toNanos(30), "ran after " + (ran[0] - start) / 1_000 + " us");
        assertEquals(1, ran[1], "on the stack's thread");
        await(fiveTicks, "five ticks of a 5 ms periodic task");
        periodic.cancel(false);
        // A task scheduled from the loop itself, after the cancelled one's time: when it has run, the other would have.
        CompletableFuture<Void> later = new CompletableFuture<>();
        loop.execute(() -> loop.schedule(() -> later.complete(null), 60, TimeUnit.MILLISECONDS));
        await(later, "a task scheduled on the loop");
        assertFalse(cancelledRan.get(), "a cancelled task never runs");
    }

    @Test
    void blockingOnTheLoop_isRefused_asOnAnyNettyLoop() throws Exception {
        UsertcpEventLoop loop = pair.clientGroup.next();
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                loop.newPromise().await(1);
                refused.complete(null);
            } catch (Throwable t) {
                refused.complete(t);
            }
        });
        assertInstanceOf(BlockingOperationException.class, await(refused, "await on the loop"));
    }

    @Test
    void aNioChannel_isRefused_withNettysIncompatibleLoopMessage() throws Exception {
        NioSocketChannel nio = new NioSocketChannel();
        try {
            ChannelFuture f = await(pair.clientGroup.register(nio), "register");
            assertInstanceOf(IllegalStateException.class, f.cause());
            assertTrue(f.cause().getMessage().startsWith("incompatible event loop type"), f.cause().getMessage());
        } finally {
            nio.unsafe().closeForcibly();
        }
    }

    @Test
    void shutdownGracefully_closesTheGroupsChannels_terminates_andLeavesTheStackRunning() throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        pair.serve(7, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                accepted.complete(ctx.channel());
            }
        });
        List<String> clientEvents = new CopyOnWriteArrayList<>();
        Channel client = await(pair.client(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                clientEvents.add("inactive");
            }

            @Override
            public void channelUnregistered(ChannelHandlerContext ctx) {
                clientEvents.add("unregistered");
            }
        }).connect(NettyPair.server(7)), "connect").channel();
        Channel child = await(accepted, "accepted");

        UsertcpEventLoop loop = pair.clientGroup.loops().get(0);
        await(pair.clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS), "client group termination");
        assertTrue(pair.clientGroup.isTerminated() && loop.isShutdown());
        assertFalse(client.isOpen(), "the group's channels closed");
        assertEquals(List.of("inactive", "unregistered"), clientEvents);
        await(child.closeFuture(), "the peer saw our FIN and closed (no half closure)");
        assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> { }));
        assertTrue(pair.client.isAlive(), "the runner is not the group's: it keeps running");
        assertEquals(List.of(), pair.client.scheduledWorks(), "the loop gave the runner's hook back");

        UsertcpEventLoopGroup again = new UsertcpEventLoopGroup(pair.client); // the stack takes a new group
        try {
            assertEquals(7, again.next().submit(() -> 7).get(5, TimeUnit.SECONDS));
        } finally {
            await(again.shutdownGracefully(0, 5, TimeUnit.SECONDS), "second group termination");
        }
    }

    @Test
    void aRunnerThatStops_terminatesItsLoop_andItsChannelsHearTheStackClose() throws Exception {
        pair.serve(7, new ChannelInboundHandlerAdapter());
        CompletableFuture<Boolean> inactive = new CompletableFuture<>();
        Channel client = await(pair.client(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                inactive.complete(pair.client.inStackThread());
            }
        }).connect(NettyPair.server(7)), "connect").channel();
        StackRunner runner = pair.client;
        runner.close();
        assertTrue(await(inactive, "channelInactive after the stack closed"), "on the stack's thread, on its way out");
        await(pair.clientGroup.terminationFuture(), "the group terminates with its runner");
        assertFalse(client.isOpen());
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class,
                () -> pair.clientGroup.next().execute(() -> { }));
        assertNotNull(e.getMessage());
    }

    /** The usual {@code group(boss, worker)}: two groups on one stack, the server channel on the first, its children on the second. */
    @Test
    void parentAndChildGroups_onOneStack_asNettysBossAndWorker() throws Exception {
        UsertcpEventLoopGroup boss = new UsertcpEventLoopGroup(pair.server); // beside the pair's own group on that stack
        try {
            CompletableFuture<io.netty.channel.EventLoop> childLoop = new CompletableFuture<>();
            Channel server = await(new io.netty.bootstrap.ServerBootstrap().group(boss, pair.serverGroup)
                    .channel(UsertcpServerChannel.class).childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            childLoop.complete(ctx.channel().eventLoop());
                            ctx.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("hi", java.nio.charset.StandardCharsets.US_ASCII))
                                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                        }
                    }).bind(9), "bind").channel();
            assertTrue(boss.loops().contains(server.eventLoop()), "the server channel on the parent group");
            CompletableFuture<String> got = new CompletableFuture<>();
            StringBuilder text = new StringBuilder();
            await(pair.client(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) msg;
                    text.append(b.toString(java.nio.charset.StandardCharsets.US_ASCII));
                    b.release();
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    got.complete(text.toString());
                }
            }).connect(NettyPair.server(9)), "connect");
            assertEquals("hi", await(got, "the child's greeting, then its close"));
            assertTrue(pair.serverGroup.loops().contains(await(childLoop, "child active")), "the child on the child group");
            await(server.close(), "server close");
        } finally {
            await(boss.shutdownGracefully(0, 5, TimeUnit.SECONDS), "parent group termination");
        }
        assertEquals(1, pair.server.scheduledWorks().size(), "the child group's loop still has its hook; the parent's gave it back");
        assertEquals(5, pair.serverGroup.next().submit(() -> 5).get(5, TimeUnit.SECONDS), "the child group goes on");
    }
}
