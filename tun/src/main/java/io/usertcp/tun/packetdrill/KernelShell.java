package io.usertcp.tun.packetdrill;

import io.usertcp.packetdrill.ShellCommands;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The backquoted shell lines of a script, run for real but only inside the run's network
 * namespace ({@code ip netns exec}), with the script's directory as working directory. Sysctls
 * are set inside the namespace too, and only those that are per network namespace: a {@code net.*}
 * name that exists in the namespace's {@code /proc/sys/net} (names registered for the initial
 * namespace alone, such as {@code net.ipv4.tcp_mem}, do not), never {@code kernel.*}, {@code vm.*} or
 * {@code /sys}; any other one is skipped with a note and the host is left as it was. Restoring
 * sysctls ({@code /tmp/sysctl_restore_*.sh}) is left to deleting the namespace.
 *
 * <p>One exception: outside the initial namespace Linux lets {@code net.ipv4.tcp_congestion_control}
 * name only an algorithm of the host's {@code tcp_allowed_congestion_control}
 * (tcp_set_default_congestion_control(), tcp_cong.c: EPERM). Rather than change the host's list,
 * the algorithm is then set on each socket the script creates ({@code TCP_CONGESTION}, which
 * root may set), which is what the default would have given them.
 */
final class KernelShell {
    /** What became of one command line. */
    record Outcome(boolean failed, String text) {}

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final NetworkNamespace namespace;
    private final KernelSockets sockets;
    private final Path scriptDir;
    private final List<String> notes;
    private final List<String> skipped;
    private volatile String fastOpenKey;

    KernelShell(NetworkNamespace namespace, KernelSockets sockets, Path scriptDir, List<String> notes, List<String> skipped) {
        this.namespace = namespace;
        this.sockets = sockets;
        this.scriptDir = scriptDir;
        this.notes = notes;
        this.skipped = skipped;
    }

    /**
     * Runs a backquoted command (several lines, {@code ;} and {@code &&} allowed). Without a sysctl
     * or anything else handled here it runs as written, in one shell; otherwise command by command,
     * where, as the shell would report it, only the last command's failure fails the line.
     */
    Outcome run(String command) {
        List<String> simple = ShellCommands.simpleCommands(command);
        if (simple.stream().noneMatch(KernelShell::handledHere)) {
            return exec(command.strip().endsWith("\\") ? command.strip().substring(0, command.strip().length() - 1) : command);
        }
        Outcome last = new Outcome(false, "ran");
        for (String c : simple) {
            if (last.failed()) {
                notes.add("`" + c + "` ran after a failed command: " + last.text());
            }
            last = runOne(c);
        }
        return last;
    }

    /** Whether a simple command is one this class handles instead of running it as written. */
    private static boolean handledHere(String command) {
        List<String> words = words(command);
        String program = words.isEmpty() ? "" : words.get(0);
        return program.endsWith("/common/defaults.sh") || program.endsWith("/common/set_sysctls.py")
                || program.startsWith("/tmp/sysctl_restore_") || program.equals("sysctl") && command.contains("=")
                || command.contains("/sys/") && command.contains(">");
    }

    private Outcome runOne(String command) {
        List<String> words = words(command);
        if (words.isEmpty()) {
            return new Outcome(false, "empty");
        }
        String program = words.get(0);
        if (program.endsWith("/common/defaults.sh") && words.size() == 1 && !isScript(program)) {
            // The corpus holds only a link to google/packetdrill's defaults.sh: its sysctls, as the stack runner knows them.
            notes.add(program + " is a link to a file not in the corpus: its sysctls were set in the namespace");
            for (String[] s : ShellCommands.LINUX_DEFAULTS) {
                Outcome o = sysctl(s[0], s[1]);
                if (o.failed()) {
                    return o;
                }
            }
            // Its other commands (google/packetdrill gtests/net/common/defaults.sh): Fast Open cookies and
            // metrics flushed, and "Override the default qdisc on the tun device" (pfifo, not the host's
            // default_qdisc), its last line, whose status is the script's.
            exec("ip tcp_metrics flush all > /dev/null 2>&1");
            return exec("tc qdisc add dev " + KernelScriptRunner.DEVICE + " root pfifo");
        }
        if (program.endsWith("/common/set_sysctls.py")) {
            return sysctls(words.subList(1, words.size()), true);
        }
        if (program.startsWith("/tmp/sysctl_restore_")) {
            skipped.add(command + ": not run; the namespace, and with it every sysctl set in it, is deleted after the run");
            return new Outcome(false, "skipped");
        }
        if (program.equals("sysctl") && command.contains("=")) {
            return sysctls(words.subList(1, words.size()), false);
        }
        if (command.contains("/sys/") && command.contains(">")) {
            skipped.add(command + ": not run: it writes outside the network namespace (the host is not changed)");
            return new Outcome(false, "skipped");
        }
        return exec(command);
    }

    /** Runs shell text inside the namespace, in the script's directory. */
    private Outcome exec(String command) {
        ExecResult r = namespace.exec(COMMAND_TIMEOUT, "sh", "-c", "cd '" + scriptDir.toString().replace("'", "'\\''")
                + "' && " + command);
        return r.succeeded() ? new Outcome(false, "ran") : new Outcome(true, "error executing `" + command + "`: "
                + (r.timedOut() ? "timed out after " + COMMAND_TIMEOUT.toSeconds() + " s" : "exit status " + r.exitCode())
                + (r.output().isBlank() ? "" : ": " + r.output().strip().replace('\n', ' ')));
    }

    /** {@code name=value} words ({@code sysctl -q a=b}) or {@code /proc/sys/path=value} ones (set_sysctls.py). */
    private Outcome sysctls(List<String> args, boolean paths) {
        for (String a : args) {
            int eq = a.indexOf('=');
            if (a.startsWith("-") || eq < 0) {
                continue;
            }
            String key = a.substring(0, eq);
            String name = paths ? key.replaceFirst("^/proc/sys/", "").replace('/', '.') : key;
            Outcome o = sysctl(name, a.substring(eq + 1));
            if (o.failed()) {
                return o;
            }
        }
        return new Outcome(false, "ran");
    }

    /** Sets one sysctl inside the namespace when it is per network namespace; skips it (noted) otherwise. */
    private Outcome sysctl(String name, String value) {
        if (!name.startsWith("net.")) {
            skipped.add("sysctl " + name + "=" + value + ": not per network namespace, not set (the host is not changed)");
            return new Outcome(false, "skipped");
        }
        Path file = Path.of("/proc/sys", name.replace('.', '/'));
        try {
            String problem = namespace.runInside(() -> {
                if (!Files.exists(file)) {
                    return "absent";
                }
                try {
                    Files.write(file, (value + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    if (name.equals("net.ipv4.tcp_congestion_control")) {
                        return "per socket";
                    }
                    throw e;
                }
                return null;
            });
            if ("per socket".equals(problem)) {
                sockets.congestionControl(value.strip());
                notes.add("sysctl " + name + "=" + value + ": not allowed as a default outside the host's namespace"
                        + " (tcp_allowed_congestion_control); set on each socket instead (TCP_CONGESTION)");
                return new Outcome(false, "ran");
            }
            if (problem != null) {
                skipped.add("sysctl " + name + "=" + value + ": not per network namespace (absent inside it), not set");
                return new Outcome(false, "skipped");
            }
            if (name.equals("net.ipv4.tcp_fastopen_key")) {
                fastOpenKey = value.strip();
            }
            return new Outcome(false, "ran");
        } catch (IOException e) {
            return new Outcome(true, "sysctl " + name + "=" + value + ": " + e.getMessage());
        } catch (Exception e) {
            return new Outcome(true, "sysctl " + name + "=" + value + " inside the namespace: " + e);
        }
    }

    private boolean isScript(String program) {
        Path p = scriptDir.resolve(program);
        try {
            return Files.isRegularFile(p) && Files.readString(p, StandardCharsets.UTF_8).startsWith("#!");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The namespace's tcp_fastopen_key as the script last set it, or null. */
    String fastOpenKey() {
        return fastOpenKey;
    }

    /** The words of a simple command's first pipeline stage, quotes removed ({@code "4096 50000 4194304"} is one word). */
    static List<String> words(String command) {
        List<List<String>> stages = ShellCommands.split(command);
        return stages.isEmpty() ? List.of() : stages.get(0);
    }
}
