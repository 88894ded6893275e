package io.usertcp.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs every benchmark of this module and prints one table (benchmark, params, thread, ns/op,
 * ± error, CPU ns/op, B/op), the entry point of {@code scripts/bench-jmh-all.sh}.
 *
 * <p>Arguments are JMH's own command line ({@code -f}, {@code -wi}, {@code -prof}, include
 * regexps...); the script supplies the defaults. Two passes:
 * <ol>
 *   <li>every benchmark (or those the include regexps select) on JMH's ordinary worker threads;</li>
 *   <li>when no include was given, the stack-level benchmarks again (lookup at 100 000
 *       connections only) on Netty {@code FastThreadLocalThread}s ({@link NettyThreadExecutor}):
 *       the "netty" rows, where Netty pools buffer objects and caches allocations per thread.
 *       Forked runs only ({@code -f} &ge; 1): the executor is chosen in the fork's JVM.</li>
 * </ol>
 * ns/op is JMH's average (wall) time per op with its 99.9 % confidence half-width; CPU ns/op is
 * {@link CpuTimeProfiler}'s {@code cpu.time.norm}, always added; B/op is {@code gc.alloc.rate.norm}
 * from {@code -prof gc} ("n/a" without it).
 */
public final class AllBenchmarks {
    /** The benchmarks that drive a whole {@code TcpStack}. */
    static final String STACK_LEVEL = "io\\.usertcp\\.bench\\.(InOrderSegmentBenchmark|AckProcessingBenchmark"
            + "|ReassemblyBenchmark)\\..*|io\\.usertcp\\.bench\\.ConnectionLookupBenchmark\\.pureAckToOneOf";

    private AllBenchmarks() {}

    /** One row of the table. */
    record Row(String benchmark, String params, String thread, double score, double error, double cpuPerOp,
               double bytesPerOp) { }

    public static void main(String[] args) throws CommandLineOptionException, RunnerException {
        CommandLineOptions cmd = new CommandLineOptions(args);
        List<Row> rows = new ArrayList<>();
        rows.addAll(rows(new Runner(new OptionsBuilder().parent(cmd).addProfiler(CpuTimeProfiler.class).build()).run(), "jmh"));
        if (cmd.getIncludes().isEmpty()) {
            List<String> jvmArgs = new ArrayList<>(cmd.getJvmArgsAppend().orElse(List.of()));
            jvmArgs.add("-Djmh.executor=CUSTOM");
            jvmArgs.add("-Djmh.executor.class=" + NettyThreadExecutor.class.getName());
            Options netty = new OptionsBuilder().parent(cmd).addProfiler(CpuTimeProfiler.class)
                    .include(STACK_LEVEL).param("connections", "100000")
                    .jvmArgsAppend(jvmArgs.toArray(new String[0])).build();
            rows.addAll(rows(new Runner(netty).run(), "netty"));
        }
        print(rows, System.out);
    }

    static List<Row> rows(Collection<RunResult> results, String thread) {
        List<Row> rows = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            Result<?> primary = r.getPrimaryResult();
            rows.add(new Row(p.getBenchmark().replace("io.usertcp.bench.", ""), params(p), thread,
                    primary.getScore(), primary.getScoreError(), secondary(r, "cpu.time.norm"),
                    secondary(r, "gc.alloc.rate.norm")));
        }
        return rows;
    }

    private static double secondary(RunResult r, String label) {
        Result<?> result = r.getSecondaryResults().get(label);
        return result == null ? Double.NaN : result.getScore();
    }

    private static String params(BenchmarkParams p) {
        List<String> out = new ArrayList<>();
        for (String key : new TreeSet<>(p.getParamsKeys())) {
            out.add(key + "=" + p.getParam(key));
        }
        return out.isEmpty() ? "—" : String.join(", ", out);
    }

    /** A Markdown table, so that a run can be pasted into benchmarks/README.md as it is. */
    static void print(List<Row> rows, PrintStream out) {
        out.println();
        out.println("| benchmark | params | thread | ns/op | ± error (99.9 %) | CPU ns/op | B/op |");
        out.println("|---|---|---|---:|---:|---:|---:|");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", r.benchmark(), r.params(), r.thread(),
                    number(r.score()), number(r.error()), number(r.cpuPerOp()), bytes(r.bytesPerOp()));
        }
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** JMH's bookkeeping leaves a few thousandths of a byte per op where nothing is allocated. */
    private static String bytes(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, v < 1 ? "%.3f" : "%.1f", v);
    }
}
