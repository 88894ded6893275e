package io.usertcp.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler reporting {@code cpu.time.norm}: CPU time the benchmark threads spent per op
 * ({@code -prof io.usertcp.bench.CpuTimeProfiler}; {@code scripts/bench-jmh-all.sh} always adds
 * it). JMH's own score is wall time, which on a shared machine also counts the time the thread
 * waited for a core; CPU time does not, so on a loaded 2-core box it is the steadier figure
 * (still not immune: caches and the core are shared). Measured with
 * {@link ThreadMXBean#getThreadCpuTime} over the threads JMH names {@code *-jmh-worker-*} (ours
 * too: {@link NettyThreadExecutor} keeps the prefix), divided by the iteration's operations
 * ({@code @OperationsPerInvocation} included, as {@code gc.alloc.rate.norm} is).
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private static final String WORKER = "jmh-worker";
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> cpuBefore = new HashMap<>();

    @Override
    public String getDescription() {
        return "CPU time of the benchmark threads per op (ThreadMXBean)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        cpuBefore.clear();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains(WORKER)) {
                cpuBefore.put(t.getThreadId(), threads.getThreadCpuTime(t.getThreadId()));
            }
        }
    }

    @Override
    public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                    IterationResult result) {
        long cpuNanos = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains(WORKER)) {
                long now = threads.getThreadCpuTime(t.getThreadId());
                if (now >= 0) {
                    // A worker started during the iteration counts from its start (only the first warm-up).
                    cpuNanos += now - cpuBefore.getOrDefault(t.getThreadId(), 0L);
                }
            }
        }
        long ops = result.getMetadata().getAllOps();
        double perOp = ops == 0 ? Double.NaN : (double) cpuNanos / ops;
        return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG));
    }
}
