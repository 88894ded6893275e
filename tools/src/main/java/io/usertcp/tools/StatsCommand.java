package io.usertcp.tools;

import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code usertcp stats}: the counters of each running stack, named like nstat's. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Prints the counters of each running usertcp stack, named as nstat names Linux's "
            + "(TcpActiveOpens, TcpExtTW, ...), plus a count per drop reason. Counters that are 0 are left out (-z shows them). "
            + "The line above each stack's counters names it: namespace, pid, what it serves, its address and "
            + "its behaviour profile. --interval S prints, every S seconds and --count times, what each counter "
            + "grew by and its rate per second, in nstat's three columns (name, increment, rate). A stack of several "
            + "shards (usertcp serve --shards N) shows the sum over its shards, as nstat shows one kernel (its header "
            + "says how many); --per-shard shows each shard's values instead, a column each."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed", "1:a stack did not answer, or its stack thread died",
            "3:no running stack found, or the control directory is not private"})
public final class StatsCommand implements Callable<Integer> {
    @Option(names = "--socket", description = "One stack's control socket (default: every one in the control directory).")
    Path socket;

    @Option(names = "--control-dir", description = "Where control sockets are (default: $USERTCP_CONTROL_DIR, /run/usertcp as root, else $XDG_RUNTIME_DIR/usertcp; it must be private).")
    Path controlDir;

    @Option(names = "--json", description = "JSON instead of the list: an array with one object per stack, its"
            + " header's fields and its counters.")
    boolean json;

    @Option(names = {"-z", "--zeros"}, description = "Show counters that are 0 too (nstat -z).")
    boolean zeros;

    @Option(names = "--interval", paramLabel = "SECONDS", description = "Rate mode: every SECONDS (0.1 to 3600), each"
            + " counter's increment and rate per second, as nstat's columns.")
    Double intervalSeconds;

    @Option(names = "--count", paramLabel = "N", defaultValue = "5", description = "How many intervals in rate mode"
            + " (1 to 100000; default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = {"-a", "--absolute"}, description = "Accepted for nstat's -a: the counters are always absolute, since"
            + " the stack started (there is no history file).")
    boolean absolute;

    @Option(names = "--per-shard", description = "For a stack of several shards: a column per shard (shard:0, shard:1,"
            + " ...) instead of their sum; in rate mode an increment and a rate per shard; in JSON a per_shard array,"
            + " an object of counters per shard, beside the summed counters.")
    boolean perShard;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (intervalSeconds != null) {
            if (!(intervalSeconds >= 0.1 && intervalSeconds <= 3600) || count < 1 || count > 100_000 || json) {
                System.err.println("usertcp stats: --interval takes 0.1 to 3600 seconds and --count 1 to 100000, without --json");
                return UsertcpMain.EXIT_USAGE;
            }
            return rates();
        }
        if (json) {
            return SsCommand.eachJson("stats", socket, controlDir, (path, info) -> {
                Map<String, long[]> shards = ControlClient.statsPerShard(path);
                String counters = Json.string("counters") + ":" + jsonObject(shards, -1);
                if (!perShard) {
                    return counters;
                }
                List<String> each = new ArrayList<>();
                for (int i = 0; i < SsCommand.shards(info); i++) {
                    each.add(jsonObject(shards, i));
                }
                return counters + "," + Json.string("per_shard") + ":[" + String.join(",", each) + "]";
            });
        }
        return SsCommand.each("stats", socket, controlDir, (path, info) -> {
            if (perShard) {
                System.out.print(shardHeading(SsCommand.shards(info), false));
            }
            System.out.print(absoluteLines(values(path), zeros));
        });
    }

    /**
     * Rate mode: the counters of every stack, read {@code count + 1} times {@code interval} apart; after
     * each interval, for each counter that grew (all with {@code -z}), its increment and rate.
     */
    private int rates() throws IOException, InterruptedException {
        long intervalNanos = (long) (intervalSeconds * 1e9);
        Map<Path, Map<String, long[]>> before = new LinkedHashMap<>();
        long startNanos = System.nanoTime();
        int exit = SsCommand.each("stats", socket, controlDir, false, (path, info) -> before.put(path, values(path)));
        if (exit == UsertcpMain.EXIT_MISSING) {
            return exit;
        }
        for (int i = 0; i < count; i++) {
            Thread.sleep(Math.max(1, (startNanos + (i + 1) * intervalNanos - System.nanoTime()) / 1_000_000L));
            double seconds = (System.nanoTime() - startNanos - i * intervalNanos) / 1e9;
            exit = Math.max(exit, SsCommand.each("stats", socket, controlDir, (path, info) -> {
                Map<String, long[]> now = values(path);
                if (perShard) {
                    System.out.print(shardHeading(SsCommand.shards(info), true));
                }
                System.out.print(rateLines(before.getOrDefault(path, Map.of()), now, seconds, zeros));
                before.put(path, now);
            }));
        }
        return exit;
    }

    /**
     * What is shown of a stack: each counter's value per shard with {@code --per-shard}, else their
     * sum (one value), as nstat shows one kernel.
     */
    private Map<String, long[]> values(Path path) throws IOException {
        Map<String, long[]> shards = ControlClient.statsPerShard(path);
        if (perShard) {
            return shards;
        }
        Map<String, long[]> sums = new LinkedHashMap<>();
        ControlClient.sum(shards).forEach((name, sum) -> sums.put(name, new long[] {sum}));
        return sums;
    }

    /**
     * The line under the header of {@code --per-shard}: {@code #counter} and each column's shard (in
     * rate mode two columns per shard: {@code shard:N} for the increment and {@code shard:N/s}).
     * It starts with {@code #}, as nstat's {@code #kernel} line, so a reader of nstat's form skips it.
     */
    static String shardHeading(int shards, boolean rates) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-36s", "#counter"));
        for (int i = 0; i < shards; i++) {
            out.append(String.format(Locale.ROOT, " %14s", "shard:" + i));
            if (rates) {
                out.append(String.format(Locale.ROOT, " %14s", "shard:" + i + "/s"));
            }
        }
        return out.append(System.lineSeparator()).toString();
    }

    /** nstat's columns: name, then each value; a counter 0 everywhere is left out unless {@code zeros}, gauges never. */
    static String absoluteLines(Map<String, long[]> values, boolean zeros) {
        StringBuilder out = new StringBuilder();
        values.forEach((name, v) -> {
            if (zeros || gauge(name) || java.util.Arrays.stream(v).anyMatch(x -> x != 0)) {
                out.append(String.format(Locale.ROOT, "%-36s", name));
                for (long x : v) {
                    out.append(String.format(Locale.ROOT, " %14d", x));
                }
                out.append(System.lineSeparator());
            }
        });
        return out.toString();
    }

    /**
     * nstat's columns for one interval: name, increment, rate per second (a pair per shard with
     * {@code --per-shard}); gauges as their value now.
     */
    static String rateLines(Map<String, long[]> before, Map<String, long[]> now, double seconds, boolean zeros) {
        StringBuilder out = new StringBuilder();
        now.forEach((name, values) -> {
            boolean gauge = gauge(name);
            long[] was = before.getOrDefault(name, new long[values.length]);
            long[] delta = new long[values.length];
            boolean changed = false;
            for (int i = 0; i < values.length; i++) {
                delta[i] = gauge ? values[i] : values[i] - (i < was.length ? was[i] : 0);
                changed |= delta[i] != 0;
            }
            if (changed || zeros) {
                out.append(String.format(Locale.ROOT, "%-36s", name));
                for (long d : delta) {
                    out.append(String.format(Locale.ROOT, " %14d %14.1f", d, gauge ? 0.0 : d / Math.max(1e-9, seconds)));
                }
                out.append(System.lineSeparator());
            }
        });
        return out.toString();
    }

    /** Whether {@code name} is a value now (open connections, memory held), not a count since start. */
    private static boolean gauge(String name) {
        return name.equals("TcpCurrEstab") || name.equals(ControlServer.RECEIVE_MEMORY);
    }

    /**
     * A JSON object of the counters (without the zeros unless {@code -z}; the gauges always): summed
     * over the shards when {@code shard} is -1, else shard {@code shard}'s.
     */
    private String jsonObject(Map<String, long[]> shards, int shard) {
        StringBuilder out = new StringBuilder("{");
        shards.forEach((name, values) -> {
            long value = shard < 0 ? java.util.Arrays.stream(values).sum() : values[shard];
            if (value != 0 || zeros || gauge(name)) {
                out.append(out.length() > 1 ? "," : "").append(Json.string(name)).append(':').append(value);
            }
        });
        return out.append('}').toString();
    }
}
