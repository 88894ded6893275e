package io.usertcp.tools;

import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code usertcp stats}: the counters of each running stack, named like nstat's. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Prints the counters of each running usertcp stack, named as nstat names Linux's",
            "(TcpActiveOpens, TcpExtTW, ...), plus a count per drop reason. Counters that are 0 are left out (-z shows them).",
            "The line above each stack's counters names it: namespace, pid, what it serves, its address and",
            "its behaviour profile."},
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

    @Option(names = {"-a", "--absolute"}, description = "Accepted for nstat's -a: the counters are always absolute, since"
            + " the stack started (there is no history file).")
    boolean absolute;

    @Override
    public Integer call() throws IOException {
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

    /** The stack's counters, without the zeros unless {@code -z}; the current-value gauges always. */
    private Map<String, Long> counters(Path path) throws IOException {
        Map<String, Long> all = ControlClient.stats(path);
        if (zeros) {
            return all;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        all.forEach((name, value) -> {
            if (value != 0 || name.equals("TcpCurrEstab") || name.equals(ControlServer.RECEIVE_MEMORY)) {
                out.put(name, value);
            }
        });
        return out;
    }
}
