package io.usertcp.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.StackLoop;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's {@link EventLoopGroup} over a usertcp stack: one {@link UsertcpEventLoop} per shard of a
 * {@link StackLoop} (one per {@link StackRunner}, each a TUN queue's stack and thread), so that an
 * ordinary {@code ServerBootstrap} or {@code Bootstrap} runs over usertcp with only the group and
 * the channel classes changed:
 * <pre>
 *   EventLoopGroup group = new UsertcpEventLoopGroup(host.runners());
 *   new ServerBootstrap().group(group).channel(UsertcpServerChannel.class).childHandler(...).bind(80);
 * </pre>
 *
 * <p>Where channels go ({@link #register(Channel)}):
 * <ul>
 *   <li>an accepted child goes to the loop of the shard that owns its flow (the stack decided it
 *       when the SYN came in: its TCP connection lives on that shard's thread and nowhere else), so
 *       {@code ServerBootstrap}'s {@code childGroup.register(child)} puts every connection on its
 *       own shard. The child group must therefore run the shards the server listens on: the same
 *       group as the parent ({@code ServerBootstrap.group(group)}), or, as Netty's usual
 *       {@code group(boss, worker)}, a second group on the same stack (each group's loops share
 *       the shards' threads, each with its own scheduled tasks);</li>
 *   <li>a server channel goes to the first shard's loop: it listens on every shard, which is a
 *       call into each shard's thread, and only that loop's thread ever waits on another shard's,
 *       so two servers binding at once cannot wait on each other;</li>
 *   <li>a client channel goes to the next loop, round robin ({@link #next()}), and connects from
 *       that shard's stack.</li>
 * </ul>
 *
 * <p>Lifecycle: the group does not own the runners. {@link #shutdownGracefully} shuts every loop
 * down (their channels close) and leaves the stacks running; stop them as they were started.
 */
public final class UsertcpEventLoopGroup extends AbstractEventExecutorGroup implements EventLoopGroup {
    private final StackLoop stackLoop;
    private final List<UsertcpEventLoop> loops;
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final AtomicInteger terminatedLoops = new AtomicInteger();
    private final Promise<Void> terminationFuture = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);

    /** A group on one stack. */
    public UsertcpEventLoopGroup(StackRunner runner) {
        this(new StackLoop(runner));
    }

    /** A group on the shards of one stack, shard {@code i} at index {@code i} ({@code TunStackHost.runners()}). */
    public UsertcpEventLoopGroup(List<StackRunner> shards) {
        this(new StackLoop(shards));
    }

    /** A group on the shards of {@code stackLoop}; other groups may run on the same stack. */
    public UsertcpEventLoopGroup(StackLoop stackLoop) {
        if (stackLoop == null) {
            throw new IllegalArgumentException("stackLoop: null (expected: the stack, or its shards, to run on)");
        }
        this.stackLoop = stackLoop;
        List<UsertcpEventLoop> made = new ArrayList<>();
        try {
            for (int i = 0; i < stackLoop.shards().size(); i++) {
                made.add(new UsertcpEventLoop(this, stackLoop.shards().get(i), i));
            }
        } catch (RuntimeException e) {
            made.forEach(l -> l.shutdownGracefully(0, 0, TimeUnit.SECONDS)); // the loops made so far give their hooks back
            throw e;
        }
        this.loops = List.copyOf(made);
    }

    /** The stack (its shards) this group runs on; servers listen through it. */
    public StackLoop stackLoop() {
        return stackLoop;
    }

    /** The loops, shard {@code i} at index {@code i}. */
    public List<UsertcpEventLoop> loops() {
        return loops;
    }

    /** The number of loops (usable while the loops are being made: their names quote it). */
    int executorCount() {
        return stackLoop.shards().size();
    }

    /** The loop of {@code runner}'s shard, or null when this group does not run it. */
    UsertcpEventLoop loopOf(StackRunner runner) {
        for (UsertcpEventLoop l : loops) {
            if (l.runner() == runner) {
                return l;
            }
        }
        return null;
    }

    /** The loop whose thread is the caller's, or null. */
    UsertcpEventLoop currentLoop() {
        for (UsertcpEventLoop l : loops) {
            if (l.inEventLoop()) {
                return l;
            }
        }
        return null;
    }

    @Override
    public UsertcpEventLoop next() {
        return loops.get(Math.floorMod(nextLoop.getAndIncrement(), loops.size()));
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        return new ArrayList<EventExecutor>(loops).iterator();
    }

    @Override
    public ChannelFuture register(Channel channel) {
        UsertcpEventLoop loop = loopFor(channel); // once: for a client channel it takes the next loop
        return loop.register(new DefaultChannelPromise(channel, loop));
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return loopFor(promise.channel()).register(promise);
    }

    /** @deprecated as in {@link EventLoopGroup}: use {@link #register(ChannelPromise)}. */
    @Deprecated
    @Override
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        channel.unsafe().register(loopFor(channel), promise);
        return promise;
    }

    /**
     * The loop a channel belongs on (see the class comment).
     *
     * @throws IllegalStateException for an accepted child whose shard this group does not run
     */
    private UsertcpEventLoop loopFor(Channel channel) {
        if (channel instanceof UsertcpChannel c && c.runner() != null) {
            UsertcpEventLoop loop = loopOf(c.runner());
            if (loop == null) {
                throw new IllegalStateException("channel " + c + ": its connection lives on the thread of " + c.runner()
                        + ", which this group does not run (expected: the server channel's group as the child group)");
            }
            return loop;
        }
        if (channel instanceof ServerChannel) {
            return loops.get(0);
        }
        return next();
    }

    // ---------------------------------------------------------------- shutdown

    /** Shuts every loop down (see {@link UsertcpEventLoop#shutdownGracefully}); the runners keep running. */
    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        for (UsertcpEventLoop l : loops) {
            l.shutdownGracefully(quietPeriod, timeout, unit);
        }
        return terminationFuture;
    }

    void loopTerminated() {
        if (terminatedLoops.incrementAndGet() == loops.size()) {
            terminationFuture.trySuccess(null);
        }
    }

    @Override
    public Future<?> terminationFuture() {
        return terminationFuture;
    }

    /** @deprecated as in Netty: use {@link #shutdownGracefully()}. */
    @Deprecated
    @Override
    public void shutdown() {
        shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @Override
    public boolean isShuttingDown() {
        return loops.stream().allMatch(UsertcpEventLoop::isShuttingDown);
    }

    @Override
    public boolean isShutdown() {
        return loops.stream().allMatch(UsertcpEventLoop::isShutdown);
    }

    @Override
    public boolean isTerminated() {
        return loops.stream().allMatch(UsertcpEventLoop::isTerminated);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminationFuture.await(timeout, unit);
    }
}
