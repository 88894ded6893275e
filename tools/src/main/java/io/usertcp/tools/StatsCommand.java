package io.usertcp.tools;

import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
            + "grew by and its rate per second, in nstat's three columns (name, increment, rate)."},
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
            return SsCommand.eachJson("stats", socket, controlDir, "counters", path -> {
                StringBuilder out = new StringBuilder("{");
                for (Map.Entry<String, Long> e : counters(path).entrySet()) {
                    out.append(out.length() > 1 ? "," : "").append(Json.string(e.getKey())).append(':').append(e.getValue());
                }
                return out.append('}').toString();
            });
        }
        return SsCommand.each("stats", socket, controlDir, path -> {
            for (Map.Entry<String, Long> e : counters(path).entrySet()) {
                System.out.printf("%-36s %14d%n", e.getKey(), e.getValue());
            }
        });
    }

    /**
     * Rate mode: the counters of every stack, read {@code count + 1} times {@code interval} apart; after
     * each interval, for each counter that grew (all with {@code -z}), its increment and rate.
     */
    private int rates() throws IOException, InterruptedException {
        long intervalNanos = (long) (intervalSeconds * 1e9);
        Map<Path, Map<String, Long>> before = new LinkedHashMap<>();
        long startNanos = System.nanoTime();
        int exit = SsCommand.each("stats", socket, controlDir, false, path -> before.put(path, ControlClient.stats(path)));
        if (exit == UsertcpMain.EXIT_MISSING) {
            return exit;
        }
        for (int i = 0; i < count; i++) {
            Thread.sleep(Math.max(1, (startNanos + (i + 1) * intervalNanos - System.nanoTime()) / 1_000_000L));
            double seconds = (System.nanoTime() - startNanos - i * intervalNanos) / 1e9;
            exit = Math.max(exit, SsCommand.each("stats", socket, controlDir, path -> {
                Map<String, Long> now = ControlClient.stats(path);
                System.out.print(rateLines(before.getOrDefault(path, Map.of()), now, seconds, zeros));
                before.put(path, now);
            }));
        }
        return exit;
    }

    /** nstat's columns for one interval: name, increment, rate per second; gauges as their value now. */
    static String rateLines(Map<String, Long> before, Map<String, Long> now, double seconds, boolean zeros) {
        StringBuilder out = new StringBuilder();
        now.forEach((name, value) -> {
            boolean gauge = gauge(name);
            long delta = gauge ? value : value - before.getOrDefault(name, 0L);
            if (delta != 0 || zeros) {
                out.append(String.format(Locale.ROOT, "%-36s %14d %14.1f%n", name, delta,
                        gauge ? 0.0 : delta / Math.max(1e-9, seconds)));
            }
        });
        return out.toString();
    }

    /** Whether {@code name} is a value now (open connections, memory held), not a count since start. */
    private static boolean gauge(String name) {
        return name.equals("TcpCurrEstab") || name.equals(ControlServer.RECEIVE_MEMORY);
    }

    /** The stack's counters, without the zeros unless {@code -z}; the current-value gauges always. */
    private Map<String, Long> counters(Path path) throws IOException {
        Map<String, Long> all = ControlClient.stats(path);
        if (zeros) {
            return all;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        all.forEach((name, value) -> {
            if (value != 0 || gauge(name)) {
                out.put(name, value);
            }
        });
        return out;
    }
}
