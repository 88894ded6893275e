package io.usertcp.tools;

import io.usertcp.tools.control.ControlClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code usertcp stats}: the counters of each running stack, named like nstat's. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Prints the counters of each running usertcp stack, named as nstat names Linux's",
            "(TcpActiveOpens, TcpExtTW, ...), plus a count per drop reason. Counters that are 0 are left out.",
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

    @Override
    public Integer call() throws IOException {
        if (json) {
            return SsCommand.eachJson("stats", socket, controlDir, "counters", path -> {
                StringBuilder out = new StringBuilder("{");
                for (Map.Entry<String, Long> e : ControlClient.stats(path).entrySet()) {
                    out.append(out.length() > 1 ? "," : "").append(Json.string(e.getKey())).append(':').append(e.getValue());
                }
                return out.append('}').toString();
            });
        }
        return SsCommand.each("stats", socket, controlDir, path -> {
            for (Map.Entry<String, Long> e : ControlClient.stats(path).entrySet()) {
                System.out.printf("%-36s %14d%n", e.getKey(), e.getValue());
            }
        });
    }
}
