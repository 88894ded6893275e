package io.usertcp.tools;

import io.usertcp.tools.bench.Bench;
import io.usertcp.tools.bench.BenchCase;
import io.usertcp.tools.bench.BenchOptions;
import io.usertcp.tools.bench.BenchReport;
import io.usertcp.tools.bench.JsonReport;
import io.usertcp.tools.bench.LossRate;
import io.usertcp.tools.bench.Progress;
import io.usertcp.tools.bench.ResultTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code usertcp bench}: our stack against the kernel, end to end, in namespaces it creates; each
 * figure beside the kernel's, measured the same way in the same run, and the ratio.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures our stack end to end against the Linux kernel, in network namespaces "
            + "it creates and deletes: bulk transfer each way (MTU 1500 and 65520), 1-byte "
            + "request/response (rate, p50, p99), connection rate, memory per idle connection "
            + "and per TIME-WAIT entry (10 000 and 100 000), and goodput with 0.1, 1 and 5 %% loss. "
            + "Each figure is printed beside the kernel's, measured by the same program kernel "
            + "to kernel over a veth pair in the same run, and their ratio (ours / kernel). "
            + "Progress goes to stderr, the table to stdout. --profile chooses how our stack "
            + "behaves (the kernel keeps its own defaults, except that it runs cubic, as ours). "
            + "Needs root; the loss case needs nft and ethtool."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every figure was measured", "1:a measurement failed (the table says which)", "2:bad usage",
            "3:something it needs is missing (root, TUN, nft, ethtool)"})
public final class BenchCommand implements Callable<Integer> {
    /** The default --duration, in seconds. */
    static final double DEFAULT_DURATION_SECONDS = 5;

    @Spec
    CommandSpec spec;

    @Option(names = "--cases", paramLabel = "LIST", defaultValue = "all",
            description = "Cases to run, comma separated: all, or some of bulk,rr,connrate,memory,loss"
                    + " (default: ${DEFAULT-VALUE}).")
    String cases;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Seconds each timed measurement runs, each side (default: 5; with --quick 0.4; at most "
                    + BenchOptions.MAX_DURATION_SECONDS + ").")
    Double durationSeconds;

    @Option(names = "--quick", description = "A fast run with short durations and small counts (what the tests run).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Mixin
    ProfileOption profile;

    @Option(names = "--memory-counts", paramLabel = "N", split = ",",
            description = "Connection counts of the memory case (default: 10000,100000; with --quick 300,600).")
    List<Integer> memoryCounts;

    @Option(names = "--loss", paramLabel = "PERCENT", split = ",",
            description = "Loss rates of the loss case, in percent, steps of 0.1 (default: 0.1,1,5; with --quick 1).")
    List<String> lossRates;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        BenchOptions options;
        try {
            options = options();
        } catch (IllegalArgumentException e) {
            err.println("usertcp bench: " + e.getMessage());
            err.flush();
            return UsertcpMain.EXIT_USAGE;
        }
        String missing = Bench.missing(options);
        if (missing != null) {
            err.println("usertcp bench: " + missing);
            err.flush();
            return UsertcpMain.EXIT_MISSING;
        }
        return CommandSupport.runWithStack("bench", () -> run(options));
    }

    /** The options the flags describe. */
    public BenchOptions options() {
        Set<BenchCase> chosen = BenchCase.parseList(cases);
        BenchOptions o = quick ? BenchOptions.quick(chosen) : BenchOptions.full(chosen, DEFAULT_DURATION_SECONDS);
        o = o.withProfile(profile.profile());
        if (durationSeconds != null) {
            o = o.withDuration(durationSeconds);
        }
        if (memoryCounts != null) {
            o = o.withMemoryCounts(memoryCounts);
        }
        if (lossRates != null) {
            o = o.withLossRates(lossRates.stream().map(LossRate::parsePercent).toList());
        }
        Path folder = json == null ? null : json.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            // said now, not after minutes of measuring
            throw new IllegalArgumentException("--json " + json + ": no folder " + folder);
        }
        return o;
    }

    private int run(BenchOptions options) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchReport report = Bench.run(options, new Progress(err));
        out.print(ResultTable.format(report));
        out.flush();
        if (json != null) {
            Files.writeString(json, JsonReport.write(report), StandardCharsets.UTF_8);
            err.println("usertcp bench: JSON written to " + json);
            err.flush();
        }
        return report.allComplete() ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
    }
}
