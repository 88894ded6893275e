package io.usertcp.tools;

import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlDirectory;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.control.SsRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code usertcp ss}: the connection table of each running stack, like {@code ss -tan}. */
@Command(name = "ss", mixinStandardHelpOptions = true,
        description = {"Prints the connection table of each running usertcp stack (usertcp serve, usertcp demo --hold), "
            + "like ss -tano: state, queues, local and peer, timers with time left, RTT, RTO, MSS, and the congestion "
            + "control as ss -i shows it (cubic cwnd:10 ssthresh:7, windows in segments). The line above each "
            + "table names the stack: namespace, pid, what it serves, its address and its behaviour profile. "
            + "With -o or -i the table is ss's own (ss -tanoi): timer:(on,195ms,0) after the peer, and under each "
            + "connection TCP_INFO's key:value line (ts sack cubic wscale:7,7 rto:204 rtt:... bytes_sent:... segs_in:...). "
            + "Every socket is shown, as ss -a; -l keeps listeners only; 'state NAME' (repeatable, ss's names: "
            + "established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, closing, "
            + "listening, connected, synchronized, all) keeps those. A stack of several shards (usertcp serve "
            + "--shards N) shows the sockets of every shard: the header says how many, the table has a last "
            + "column Shard, ss's layout with -i ends each socket's key:value line with shard:N (a listener gets a "
            + "line of its own; one LISTEN row per shard, as ss shows SO_REUSEPORT listeners), and --json gives each "
            + "socket a shard field."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed", "1:a stack did not answer, or its stack thread died",
            "3:no running stack found, or the control directory is not private"})
public final class SsCommand implements Callable<Integer> {
    @Option(names = "--socket", description = "One stack's control socket (default: every one in the control directory).")
    Path socket;

    @Option(names = "--control-dir", description = "Where control sockets are (default: $USERTCP_CONTROL_DIR, /run/usertcp as root, else $XDG_RUNTIME_DIR/usertcp; it must be private).")
    Path controlDir;

    @Option(names = "--json", description = "JSON instead of the table: an array with one object per stack, its"
            + " header's fields, its number of shards and its connections, each with its shard.")
    boolean json;

    @Option(names = {"-i", "--info"}, description = "ss's layout, with TCP_INFO's key:value line under each connection.")
    boolean info;

    @Option(names = {"-o", "--options"}, description = "ss's layout, with each connection's timer as ss -o shows it.")
    boolean timers;

    @Option(names = {"-l", "--listening"}, description = "Listening sockets only.")
    boolean listening;

    @Option(names = {"-a", "--all"}, description = "Every socket (the default, as ss -a).")
    boolean all;

    @Option(names = {"-t", "--tcp"}, description = "Accepted for ss's -t: there are only TCP sockets.")
    boolean tcp;

    @Option(names = {"-n", "--numeric"}, description = "Accepted for ss's -n: addresses and ports are always numeric.")
    boolean numeric;

    @picocli.CommandLine.Parameters(description = "A state filter as ss takes it: state NAME [state NAME ...].")
    List<String> filter = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        SsStates states;
        try {
            states = SsStates.parse(filter, listening);
        } catch (IllegalArgumentException e) {
            System.err.println("usertcp ss: " + e.getMessage());
            return UsertcpMain.EXIT_USAGE;
        }
        if (json) {
            return eachJson("ss", socket, controlDir, (path, stack) -> Json.string("connections") + ":["
                    + String.join(",", rows(path, states).stream().map(SsRow::toJson).toList()) + "]");
        }
        if (info || timers) {
            return each("ss", socket, controlDir, (path, stack) -> System.out.print(
                    SsRow.ssLayout(rows(path, states), timers, info, shards(stack) > 1)));
        }
        return each("ss", socket, controlDir, (path, stack) -> System.out.print(SsRow.table(rows(path, states), shards(stack) > 1)));
    }

    /** How many shards the stack has, as its {@code info} says (1 when it does not say). */
    static int shards(Map<String, String> info) {
        try {
            return Integer.parseInt(info.getOrDefault(ControlServer.SHARDS, "1"));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static List<SsRow> rows(Path path, SsStates states) throws IOException {
        return ControlClient.ss(path).stream().filter(r -> states.keeps(r.state())).toList();
    }

    /** What ss and stats do for one stack, given its socket and what it answered to {@code info}. */
    interface PerStack {
        void print(Path socket, Map<String, String> info) throws IOException;
    }

    /** What ss and stats show of one stack in JSON: its members (say {@code "counters":{...}}). */
    interface PerStackJson {
        String members(Path socket, Map<String, String> info) throws IOException;
    }

    /**
     * {@link #each} in JSON: an array, one object per stack with its header's fields (namespace, pid,
     * app, stack, profile, health), its number of shards, then what {@code action} gives. A stack that
     * does not answer is left out and reported on stderr, as in the table form.
     */
    static int eachJson(String command, Path socket, Path controlDir, PerStackJson action) throws IOException {
        List<String> stacks = new ArrayList<>();
        int exit = each(command, socket, controlDir, false, (path, info) -> {
            StringBuilder out = new StringBuilder("{");
            for (String key : List.of("namespace", "pid", "app", "stack", ControlServer.PROFILE, ControlServer.HEALTH)) {
                out.append(Json.string(key)).append(':').append(Json.string(info.getOrDefault(key, ""))).append(',');
            }
            out.append(Json.string(ControlServer.SHARDS)).append(':').append(shards(info)).append(',');
            stacks.add(out.append(action.members(path, info)).append('}').toString());
        });
        if (exit != UsertcpMain.EXIT_MISSING) {
            System.out.println("[" + String.join(",\n", stacks) + "]");
        }
        return exit;
    }


    /**
     * The line above each stack's table or counters: {@code # NAMESPACE (pid N, APP, stack ADDR, profile P)},
     * the profile as the stack itself reports it; {@code , N shards} after it for a stack of several.
     */
    static String header(Path socket, Map<String, String> info) {
        int shards = shards(info);
        return "# " + info.getOrDefault("namespace", socket.getFileName().toString()) + " (pid "
                + info.getOrDefault("pid", "?") + ", " + info.getOrDefault("app", "?") + ", stack "
                + info.getOrDefault("stack", "?") + ", profile " + info.getOrDefault(ControlServer.PROFILE, "?")
                + (shards > 1 ? ", " + shards + " shards" : "") + health(info) + ")";
    }

    /** Nothing while the stack serves; {@code , stack thread dead: CAUSE} when it died. */
    private static String health(Map<String, String> info) {
        String health = info.getOrDefault(ControlServer.HEALTH, "alive");
        return health.equals("alive") ? "" : ", stack thread " + health;
    }

    /** Runs {@code action} for the given socket, or every running stack, with a header line per stack. */
    static int each(String command, Path socket, Path controlDir, PerStack action) throws IOException {
        return each(command, socket, controlDir, true, action);
    }

    /** @param headers whether each stack's header line is printed (not for JSON) */
    static int each(String command, Path socket, Path controlDir, boolean headers, PerStack action) throws IOException {
        Path dir = null;
        if (socket == null) {
            try {
                dir = controlDir != null ? controlDir : ControlServer.defaultDirectory();
                if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    ControlDirectory.requirePrivate(dir); // else anyone could have planted a fake stack there
                }
            } catch (ControlDirectory.RefusedException e) {
                System.err.println("usertcp " + command + ": " + e.getMessage());
                return UsertcpMain.EXIT_MISSING;
            }
        }
        List<Path> sockets = socket != null ? List.of(socket) : ControlClient.discover(dir);
        if (sockets.isEmpty()) {
            System.err.println("usertcp " + command + ": no running usertcp stack in " + dir
                    + " (start one with `usertcp serve`, or `usertcp demo --hold 60`)");
            return UsertcpMain.EXIT_MISSING;
        }
        int exit = UsertcpMain.EXIT_OK;
        for (Path path : sockets) {
            try {
                Map<String, String> info = ControlClient.info(path);
                if (headers) {
                    System.out.println(header(path, info));
                }
                String health = info.getOrDefault(ControlServer.HEALTH, "alive");
                if (!health.equals("alive")) {
                    System.err.println("usertcp " + command + ": " + path + ": the stack is not serving (" + health + ")");
                    exit = UsertcpMain.EXIT_FAILED;
                    continue;
                }
                action.print(path, info);
            } catch (IOException e) {
                System.err.println("usertcp " + command + ": " + path + " did not answer: " + e.getMessage());
                exit = UsertcpMain.EXIT_FAILED;
            }
        }
        return exit;
    }
}
