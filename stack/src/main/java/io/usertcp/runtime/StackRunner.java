package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.usertcp.tcp.TcpStack;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link TcpStack} in real time on its own thread. Each turn of the loop: run queued tasks,
 * feed every waiting packet to the stack, fire due timers, transmit, then wait on the link until
 * the next deadline (or a packet, or a task). Tasks from other threads wake the wait.
 */
public final class StackRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StackRunner.class);
    /** Packets read per turn before timers and tasks get a look in, so a flood cannot starve them. */
    private static final int RECEIVE_BUDGET = 256;
    /** The longest single wait: bounds how late a lost wakeup could be noticed. */
    private static final long MAX_WAIT_NANOS = 100_000_000L;

    private final TcpStack stack;
    private final WaitableLink link;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param name the thread's name, e.g. {@code usertcp-stack}
     */
    public StackRunner(TcpStack stack, WaitableLink link, String name) {
        this.stack = stack;
        this.link = link;
        // A FastThreadLocalThread gets Netty's per-thread buffer cache and object recycling; on a
        // plain Thread (Netty 4.2 default useCacheForAllThreads=false) every packet goes through
        // the shared arena's lock and allocates its ByteBuf object (benchmarks/README.md).
        this.thread = new FastThreadLocalThread(this::loop, name);
        this.thread.setDaemon(true);
    }

    public StackRunner start() {
        thread.start();
        return this;
    }

    /** The stack's monotonic clock, in nanoseconds. */
    public static long nowNanos() {
        return System.nanoTime();
    }

    public TcpStack stack() {
        return stack;
    }

    /** Whether the caller is the runner's thread (where the stack may be touched directly). */
    public boolean inStackThread() {
        return Thread.currentThread() == thread;
    }

    /** Queues {@code task} to run on the stack's thread. */
    public void execute(Runnable task) {
        if (!running) {
            throw new IllegalStateException("the stack runner is stopped");
        }
        tasks.add(task);
        link.wakeup();
    }

    /** Runs {@code task} on the stack's thread with the current time and returns its result as a future. */
    public <T> CompletableFuture<T> submit(LongFunction<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable r = () -> {
            try {
                result.complete(task.apply(nowNanos()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        };
        if (inStackThread()) {
            r.run();
        } else {
            execute(r);
        }
        return result;
    }

    /**
     * Runs {@code task} on the stack's thread and waits for its result. Exceptions the task throws
     * are rethrown here unchanged when unchecked.
     */
    public <T> T call(LongFunction<T> task) {
        CompletableFuture<T> f = submit(task);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the stack thread", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the stack thread did not answer within 30 s", e);
        }
    }

    private void loop() {
        try {
            while (running) {
                turn();
            }
        } catch (Throwable t) {
            log.error("stack thread failed; the stack stops", t);
        } finally {
            stack.close(nowNanos());
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run(); // let waiting callers see the stack closed rather than hang
            }
        }
    }

    private void turn() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
            // What a user call queued leaves before the next call runs, as a Linux system call sends
            // before it returns: otherwise a write followed at once by a close that resets (unread
            // data, linger 0) could run in the same turn, and the RST would discard the written data.
            stack.pollTransmit(nowNanos(), link);
        }
        int received = 0;
        ByteBuf packet;
        while (received < RECEIVE_BUDGET && (packet = link.receive()) != null) {
            stack.receive(nowNanos(), packet);
            received++;
        }
        long now = nowNanos();
        if (stack.nextDeadlineNanos() <= now) {
            stack.onTimeout(now);
        }
        stack.pollTransmit(nowNanos(), link);
        if (received == 0 && tasks.isEmpty()) {
            long wait = Math.min(MAX_WAIT_NANOS, stack.nextDeadlineNanos() - nowNanos());
            if (wait > 0) {
                link.awaitReadable(wait);
            }
        }
    }

    /** Stops the loop, closes the stack (dropping every connection) and waits for the thread. */
    @Override
    public void close() {
        running = false;
        link.wakeup();
        if (!inStackThread()) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
