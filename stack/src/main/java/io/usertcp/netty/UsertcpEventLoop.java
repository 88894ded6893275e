package io.usertcp.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.usertcp.runtime.ScheduledWork;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.socket.StackLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty {@link EventLoop} whose thread is a {@link StackRunner}'s: a channel's handlers run on
 * the thread that owns its TCP connection, so a read and the write it answers cost no handoff
 * (DESIGN.md §6). Tasks ({@link #execute}) go into the runner's task queue; scheduled tasks
 * ({@link #schedule}) stay in Netty's own scheduled-task queue, which the runner runs through its
 * {@link ScheduledWork} hook, waking up for the nearest deadline as it does for its TCP timers.
 *
 * <p><b>Ownership of the thread.</b> The loop does not own its runner: whoever started the
 * runner (a {@code TunStackHost}, say) stops it. {@link #shutdownGracefully} closes every channel
 * registered to this loop, cancels its scheduled tasks and takes its hook back from the runner,
 * then terminates; the runner and the stack keep running, and a new group may be made on them.
 * If the runner stops first, the loop terminates with it: its channels hear the stack close
 * ({@code channelInactive}), and later tasks are rejected ({@link RejectedExecutionException}, as
 * a Netty loop that was shut down rejects them).
 *
 * <p>Handlers must not block: the whole stack, every connection of this shard, waits for them.
 * {@code future.sync()} on the loop fails with Netty's {@code BlockingOperationException}, since
 * {@link #inEventLoop()} is true there.
 */
public final class UsertcpEventLoop extends AbstractScheduledEventExecutor implements EventLoop {
    private static final Logger log = LoggerFactory.getLogger(UsertcpEventLoop.class);
    /** Tasks run after the runner stopped, on its last breath: bounded, in case they keep queueing more. */
    private static final int MAX_LATE_TASKS = 100_000;

    private enum State { RUNNING, SHUTTING_DOWN, TERMINATED }

    private final UsertcpEventLoopGroup parent;
    private final StackRunner runner;
    private final int shard;
    /** The connects of channels on this loop go out from this shard's stack (its own ephemeral ports). */
    private final StackLoop connector;
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final Promise<Void> terminationFuture = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
    /** Tasks queued on the loop while the runner was stopping (stack thread only). */
    private final Queue<Runnable> lateTasks = new ArrayDeque<>();
    private final Runnable onRunnerTermination = this::runnerTerminated;
    private final ScheduledWork scheduledWork = new ScheduledWork() {
        @Override
        public long nextDeadlineNanos() {
            long deadline = nextScheduledTaskDeadlineNanos();
            return deadline == -1 ? Long.MAX_VALUE : deadline + ticker().initialNanoTime();
        }

        @Override
        public void runDue(long nowNanos) {
            runScheduledTasks(nowNanos - ticker().initialNanoTime());
        }

        @Override
        public String toString() {
            return "the scheduled tasks of " + UsertcpEventLoop.this;
        }
    };
    private volatile State state = State.RUNNING;

    UsertcpEventLoop(UsertcpEventLoopGroup parent, StackRunner runner, int shard) {
        super(parent);
        this.parent = parent;
        this.runner = runner;
        this.shard = shard;
        this.connector = new StackLoop(runner);
        runner.addScheduledWork(scheduledWork);
        runner.onTermination(onRunnerTermination);
    }

    /** The runner whose thread this loop is. */
    public StackRunner runner() {
        return runner;
    }

    /** This loop's shard: its index among the {@link UsertcpEventLoopGroup}'s loops. */
    public int shard() {
        return shard;
    }

    StackLoop connector() {
        return connector;
    }

    @Override
    public UsertcpEventLoopGroup parent() {
        return parent;
    }

    @Override
    public UsertcpEventLoop next() {
        return this;
    }

    @Override
    public boolean inEventLoop(Thread thread) {
        return runner.isStackThread(thread);
    }

    // ---------------------------------------------------------------- registration

    @Override
    public ChannelFuture register(Channel channel) {
        return register(new DefaultChannelPromise(channel, this));
    }

    /**
     * Registers a usertcp channel ({@link UsertcpChannel}, {@link UsertcpServerChannel}); another
     * kind fails the promise with the {@code IllegalStateException} of Netty's
     * {@code AbstractChannel} ("incompatible event loop type"), as a NIO loop refuses an epoll channel.
     */
    @Override
    public ChannelFuture register(ChannelPromise promise) {
        if (promise == null) {
            throw new IllegalArgumentException("promise: null (expected: a promise of the channel to register)");
        }
        promise.channel().unsafe().register(this, promise);
        return promise;
    }

    /** @deprecated as in {@link EventLoop}: use {@link #register(ChannelPromise)}. */
    @Deprecated
    @Override
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        channel.unsafe().register(this, promise);
        return promise;
    }

    /** A channel registered (its {@code doRegister}): closed when the loop shuts down. */
    void added(Channel channel) {
        channels.add(channel);
    }

    void removed(Channel channel) {
        channels.remove(channel);
    }

    // ---------------------------------------------------------------- tasks

    /**
     * Runs {@code task} on the stack's thread, after what is queued before it (also when called
     * from that thread: Netty's {@code invokeLater} relies on it).
     *
     * @throws RejectedExecutionException once the loop terminated, or the runner stopped
     */
    @Override
    public void execute(Runnable task) {
        if (task == null) {
            throw new IllegalArgumentException("task: null (expected: a task to run on the loop)");
        }
        if (state == State.TERMINATED) {
            throw new RejectedExecutionException(this + " has terminated");
        }
        try {
            runner.execute(task);
        } catch (StackStoppedException e) {
            if (runner.inStackThread() && state != State.TERMINATED) {
                lateTasks.add(task); // the stack is closing its connections: the channels' last events still run
            } else {
                throw new RejectedExecutionException(this + ": its stack stopped (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Runs the scheduled tasks due at {@code tickerNanos} (Netty's ticker time), each contained. */
    private void runScheduledTasks(long tickerNanos) {
        Runnable task;
        while ((task = pollScheduledTask(tickerNanos)) != null) {
            safeExecute(task); // a ScheduledFutureTask keeps its own failure in its future; a periodic one re-queues itself
        }
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public boolean isShuttingDown() {
        return state != State.RUNNING;
    }

    @Override
    public boolean isShutdown() {
        return state == State.TERMINATED;
    }

    @Override
    public boolean isTerminated() {
        return state == State.TERMINATED;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminationFuture.await(timeout, unit);
    }

    @Override
    public Future<?> terminationFuture() {
        return terminationFuture;
    }

    /**
     * Closes every channel on this loop, cancels the scheduled tasks, gives the runner's hook back
     * and terminates, as soon as the channels have deregistered (the stack thread outlives the
     * loop, so there is no queue of the loop's own to let drain: {@code quietPeriod} is not waited
     * for). The runner is not stopped. {@code timeout} bounds the wait for the channels; past it the
     * loop terminates all the same.
     */
    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        if (quietPeriod < 0 || timeout < quietPeriod || unit == null) {
            throw new IllegalArgumentException("quietPeriod " + quietPeriod + ", timeout " + timeout + " " + unit
                    + " (expected: 0 <= quietPeriod <= timeout, and a unit)");
        }
        synchronized (this) {
            if (state != State.RUNNING) {
                return terminationFuture;
            }
            state = State.SHUTTING_DOWN;
        }
        long deadline = StackRunner.nowNanos() + unit.toNanos(timeout);
        try {
            runner.execute(() -> {
                for (Channel c : new ArrayList<>(channels)) {
                    c.unsafe().close(c.unsafe().voidPromise());
                }
                awaitChannelsGone(deadline);
            });
        } catch (StackStoppedException e) {
            terminate(); // the runner stopped: its termination listener terminates us too
        }
        return terminationFuture;
    }

    /** Terminates once every channel deregistered (their last events are queued tasks), or at the deadline. */
    private void awaitChannelsGone(long deadline) {
        if (channels.isEmpty() || StackRunner.nowNanos() - deadline >= 0) {
            terminate();
        } else {
            schedule(() -> awaitChannelsGone(deadline), 1, TimeUnit.MILLISECONDS);
        }
    }

    /** @deprecated as in Netty: use {@link #shutdownGracefully()}. */
    @Deprecated
    @Override
    public void shutdown() {
        shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /** The runner stopped (on its thread, after the stack closed every connection). */
    private void runnerTerminated() {
        int ran = 0;
        Runnable task;
        while ((task = lateTasks.poll()) != null && ran++ < MAX_LATE_TASKS) {
            safeExecute(task);
        }
        state = State.TERMINATED;
        terminate();
    }

    private void terminate() {
        if (runner.inStackThread()) {
            cancelScheduledTasks();
        }
        state = State.TERMINATED;
        runner.removeScheduledWork(scheduledWork);
        runner.removeTerminationListener(onRunnerTermination);
        lateTasks.clear();
        if (terminationFuture.trySuccess(null)) {
            List<Channel> left = new ArrayList<>(channels);
            if (!left.isEmpty()) {
                log.debug("{} terminated with channels still registered: {}", this, left);
            }
            parent.loopTerminated();
        }
    }

    @Override
    public String toString() {
        return "UsertcpEventLoop[shard " + shard + " of " + parent.executorCount() + ", " + runner + "]";
    }
}
