package io.usertcp.bench;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JMH executor whose worker threads are Netty {@link FastThreadLocalThread}s, selected with
 * {@code -jvmArgsAppend "-Djmh.executor=CUSTOM -Djmh.executor.class=io.usertcp.bench.NettyThreadExecutor"}
 * ({@code scripts/bench-jmh-all.sh} does so for its "netty thread" rows).
 *
 * <p>Why it matters: Netty 4.2 pools {@code ByteBuf} objects ({@code Recycler}) and keeps a
 * per-thread allocation cache ({@code PoolThreadCache}) only on threads that clean their
 * fast thread-locals up, i.e. {@code FastThreadLocalThread}s
 * ({@code FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals()};
 * {@code io.netty.allocator.useCacheForAllThreads} defaults to false). On any other thread every
 * pooled buffer and every {@code retainedSlice} allocates a new wrapper object, and every
 * allocation goes to a shared arena. JMH's default workers are plain threads, and so is the
 * {@code StackRunner} thread today; running the same benchmark on both kinds of thread shows
 * what that costs (benchmarks/README.md).
 *
 * <p>JMH instantiates it reflectively through the {@code (int, String)} constructor.
 */
public final class NettyThreadExecutor extends ThreadPoolExecutor {

    /**
     * @param maxThreads the number of benchmark threads JMH asks for
     * @param prefix     the name prefix JMH gives its worker threads
     */
    public NettyThreadExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), new Factory(prefix));
    }

    private static final class Factory implements java.util.concurrent.ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();

        Factory(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            // "-jmh-worker-" as in JMH's own names, which CpuTimeProfiler looks for.
            Thread t = new FastThreadLocalThread(r, prefix + "-jmh-worker-netty-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
