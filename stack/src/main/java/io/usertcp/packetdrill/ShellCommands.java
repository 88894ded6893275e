package io.usertcp.packetdrill;

import io.usertcp.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The backquoted shell lines of scripts, interpreted in-process instead of run: {@code sysctl}
 * assignments go to {@link StackSettings}; a {@code sockstat ... | grep ... | grep -c STATE | grep N}
 * pipeline is evaluated over the sockets of the {@link SocketLayer} (FreeBSD's output format,
 * then each {@code grep} as grep would), and fails the script when grep would exit non-zero, as
 * packetdrill fails on a failing command. Anything else is reported as skipped.
 */
public final class ShellCommands {

    /** What became of one command. */
    record Outcome(Kind kind, String text) {
        enum Kind {
            OK,
            SKIPPED,
            FAILED,
            /** The command changes something the runner does not emulate; the script cannot be judged past it. */
            UNSUPPORTED
        }
    }

    private final StackSettings settings;
    private final SocketLayer sockets;
    private final int localAddress;
    private final int remoteAddress;
    private final List<String> notes;
    private final List<String> skipped;

    ShellCommands(StackSettings settings, SocketLayer sockets, int localAddress, int remoteAddress, List<String> notes,
                  List<String> skipped) {
        this.settings = settings;
        this.sockets = sockets;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.notes = notes;
        this.skipped = skipped;
    }

    /**
     * google/packetdrill's {@code gtests/net/common/defaults.sh}, which every script of the Linux
     * corpus runs first (the corpus holds only a link to it): the sysctls it sets, with its shell
     * arithmetic done. Its other lines ({@code ip tcp_metrics flush}, {@code tc qdisc add}) change
     * nothing here: the stack is new for each script and has no qdisc.
     */
    public static final List<String[]> LINUX_DEFAULTS = List.of(
            new String[] {"net.ipv4.tcp_rmem", "4096 540000 15728640"},
            new String[] {"net.ipv4.tcp_wmem", "4096 262144 4194304"},
            new String[] {"net.ipv4.tcp_timestamps", "1"},
            new String[] {"net.ipv4.tcp_syn_retries", "5"},
            new String[] {"net.ipv4.tcp_synack_retries", "5"},
            new String[] {"net.ipv4.tcp_frto", "2"},
            new String[] {"net.ipv4.tcp_sack", "1"},
            new String[] {"net.ipv4.tcp_dsack", "1"},
            new String[] {"net.ipv4.tcp_fack", "0"},
            new String[] {"net.ipv4.tcp_reordering", "3"},
            new String[] {"net.ipv4.tcp_congestion_control", "cubic"},
            new String[] {"net.ipv4.tcp_slow_start_after_idle", "0"},
            new String[] {"net.ipv4.tcp_early_retrans", "4"},
            new String[] {"net.ipv4.tcp_recovery", "1"},
            new String[] {"net.ipv4.tcp_tso_win_divisor", "3"},
            new String[] {"net.ipv4.tcp_ecn", "0"},
            new String[] {"net.ipv4.tcp_pacing_ss_ratio", "200"},
            new String[] {"net.ipv4.tcp_pacing_ca_ratio", "120"},
            new String[] {"net.ipv4.tcp_notsent_lowat", "4294967295"},
            new String[] {"net.ipv4.tcp_fastopen", "0x70403"},
            new String[] {"net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"},
            new String[] {"net.ipv4.tcp_syncookies", "1"},
            new String[] {"net.mptcp.enabled", "1"});

    /**
     * Runs one backquoted command, which may hold several lines and {@code ;}-separated commands
     * (the Linux corpus); a FAILED outcome's text says why. Nothing is ever run on the host.
     */
    Outcome run(String command) {
        List<String> simple = simpleCommands(command);
        if (simple.size() <= 1) {
            return runOne(simple.isEmpty() ? "" : simple.get(0));
        }
        Outcome last = new Outcome(Outcome.Kind.SKIPPED, "empty command");
        for (String c : simple) {
            Outcome o = runOne(c);
            if (o.kind() == Outcome.Kind.FAILED || o.kind() == Outcome.Kind.UNSUPPORTED) {
                return o;
            }
            last = o.kind() == Outcome.Kind.OK ? o : last;
        }
        return last;
    }

    /** The commands of a shell text: lines (after {@code \}-newline joins), then {@code ;} and {@code &&}. */
    public static List<String> simpleCommands(String text) {
        List<String> out = new ArrayList<>();
        String joined = text.strip();
        if (joined.endsWith("\\")) {
            joined = joined.substring(0, joined.length() - 1); // a continuation left before the closing backquote
        }
        for (String line : joined.replace("\\\n", " ").split("\n")) {
            int comment = line.indexOf(" #");
            if (comment >= 0) {
                line = line.substring(0, comment); // "sysctl -q net.ipv4.tcp_ecn=1  # fully enabled"
            }
            for (String part : line.split(";|&&")) {
                String c = part.strip();
                if (!c.isEmpty() && !c.startsWith("#")) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    /** Drops output redirections ({@code > /dev/null}, {@code 2>&1}, {@code 2>/dev/null}): nothing is written here. */
    private static String withoutRedirections(String command) {
        return command.replaceAll("\\s*[12]?>&[12]", "").replaceAll("\\s*[12]?>\\s*/dev/null", "").strip();
    }

    private Outcome runOne(String raw) {
        String command = withoutRedirections(raw);
        List<List<String>> stages = split(command);
        if (stages.isEmpty() || stages.get(0).isEmpty()) {
            return new Outcome(Outcome.Kind.SKIPPED, "empty command");
        }
        List<String> first = stages.get(0);
        String program = first.get(0);
        if (program.endsWith("/common/defaults.sh") && stages.size() == 1) {
            return linuxDefaults();
        }
        if (program.endsWith("/common/set_sysctls.py") && stages.size() == 1) {
            return setSysctls(first);
        }
        if (program.startsWith("/tmp/sysctl_restore_")) {
            return skip(command, "restores the host's sysctls after set_sysctls.py; each run has its own stack");
        }
        if (program.equals("tc")) {
            return trafficControl(command, first);
        }
        if (program.equals("ip") && first.size() >= 3 && first.get(1).equals("tcp_metrics") && first.get(2).equals("flush")) {
            return flushMetrics(command);
        }
        String name = program.substring(program.lastIndexOf('/') + 1);
        if (stages.size() == 1 && name.equals("dd")) {
            return makeFile(command, first);
        }
        if (stages.size() == 1 && name.equals("rm")) {
            return removeFiles(command, first);
        }
        return switch (program) {
            case "sysctl" -> stages.size() == 1 ? sysctl(first) : skip(command, "a sysctl pipeline");
            case "sockstat" -> sockstat(command, first, stages.subList(1, stages.size()));
            default -> skip(command, "no in-process equivalent of " + program);
        };
    }

    /**
     * {@code dd bs=N count=M if=/dev/zero of=PATH [status=none]}: a file of N·M zero bytes for the
     * script's open() and sendfile() (sendfile/sendfile-simple.pkt); any other source is not emulated.
     */
    private Outcome makeFile(String command, List<String> words) {
        long bs = 512;
        long count = -1;
        String in = null;
        String out = null;
        for (String w : words.subList(1, words.size())) {
            int eq = w.indexOf('=');
            String key = eq < 0 ? w : w.substring(0, eq);
            String value = eq < 0 ? "" : w.substring(eq + 1);
            switch (key) {
                case "bs" -> bs = number(value);
                case "count" -> count = number(value);
                case "if" -> in = value;
                case "of" -> out = value;
                case "status" -> { }
                default -> { return new Outcome(Outcome.Kind.UNSUPPORTED, "dd operand " + w + " (`" + command + "`)"); }
            }
        }
        if (!"/dev/zero".equals(in) || out == null || count < 0 || bs <= 0) {
            return new Outcome(Outcome.Kind.UNSUPPORTED, "a file other than zeros from /dev/zero (`" + command + "`)");
        }
        sockets.createFile(out, bs * count);
        notes.add("`" + command + "`: a file of " + bs * count + " zero bytes, in memory, for open()");
        return new Outcome(Outcome.Kind.OK, command);
    }

    /** {@code rm [-f] PATH...}: forgets files {@link #makeFile} made; others never existed here. */
    private Outcome removeFiles(String command, List<String> words) {
        for (String w : words.subList(1, words.size())) {
            if (!w.startsWith("-")) {
                sockets.removeFile(w);
            }
        }
        return new Outcome(Outcome.Kind.OK, command);
    }

    private static long number(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * {@code tc qdisc ...} on the script's device. A qdisc that drops everything ({@code pfifo
     * limit 0}, the corpus's way to emulate local congestion) or paces ({@code fq}) changes what
     * leaves the host, which the runner does not emulate; a plain pfifo or deleting the qdisc
     * changes nothing here.
     */
    private Outcome trafficControl(String command, List<String> words) {
        int limit = words.indexOf("limit");
        if (limit >= 0 && limit + 1 < words.size() && words.get(limit + 1).equals("0")) {
            return new Outcome(Outcome.Kind.UNSUPPORTED, "a local qdisc that drops every packet the stack sends (`" + command + "`)");
        }
        if (words.contains("fq")) {
            return new Outcome(Outcome.Kind.UNSUPPORTED, "the fq qdisc's pacing (`" + command + "`)");
        }
        return skip(command, "no qdisc here: the stack's packets go straight to the script");
    }

    /**
     * {@code ip tcp_metrics flush [all]}: this stack's only per-destination metrics are the TCP
     * Fast Open cache (cookie, MSS; Linux keeps them in tcp_metrics), which it forgets.
     */
    private Outcome flushMetrics(String command) {
        if (settings.stack() != null) {
            settings.stack().fastOpen().flushCache();
        }
        notes.add("`" + command + "`: the Fast Open cookie cache is flushed");
        return new Outcome(Outcome.Kind.OK, command);
    }

    /** The sysctls of google/packetdrill's defaults.sh ({@link #LINUX_DEFAULTS}). */
    private Outcome linuxDefaults() {
        for (String[] kv : LINUX_DEFAULTS) {
            record(settings.apply(kv[0], kv[1]), "defaults.sh: sysctl ");
        }
        return new Outcome(Outcome.Kind.OK, "defaults.sh");
    }

    /** {@code set_sysctls.py /proc/sys/net/ipv4/tcp_x=V ...}: each as {@code sysctl net.ipv4.tcp_x=V}. */
    private Outcome setSysctls(List<String> words) {
        for (String w : words.subList(1, words.size())) {
            int eq = w.indexOf('=');
            if (!w.startsWith("/proc/sys/") || eq < 0) {
                skipped.add("set_sysctls.py " + w + ": expected /proc/sys/NAME=VALUE");
                continue;
            }
            record(settings.apply(w.substring("/proc/sys/".length(), eq).replace('/', '.'), w.substring(eq + 1)), "sysctl ");
        }
        return new Outcome(Outcome.Kind.OK, String.join(" ", words));
    }

    private void record(StackSettings.Outcome o, String prefix) {
        (o.kind() == StackSettings.Outcome.Kind.SKIPPED ? skipped : notes).add(prefix + o.text());
    }

    private Outcome skip(String command, String why) {
        String text = "`" + command + "`: " + why;
        skipped.add(text);
        return new Outcome(Outcome.Kind.SKIPPED, text);
    }

    private Outcome sysctl(List<String> words) {
        boolean any = false;
        for (String w : words.subList(1, words.size())) {
            if (w.startsWith("-")) {
                continue;
            }
            int eq = w.indexOf('=');
            if (eq < 0) {
                skipped.add("sysctl " + w + ": reading a value is not supported");
                continue;
            }
            any = true;
            StackSettings.Outcome o = settings.apply(w.substring(0, eq), w.substring(eq + 1));
            if (o.kind() == StackSettings.Outcome.Kind.SKIPPED) {
                skipped.add("sysctl " + o.text());
            } else {
                notes.add("sysctl " + o.text());
            }
        }
        return new Outcome(any ? Outcome.Kind.OK : Outcome.Kind.SKIPPED, String.join(" ", words));
    }

    /** {@code sockstat [-4] [-P tcp] [-s] [-p ports] | grep ... }, evaluated as the shell would. */
    private Outcome sockstat(String command, List<String> args, List<List<String>> greps) {
        Set<Integer> ports = new HashSet<>();
        boolean ipv6Only = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-p") && i + 1 < args.size()) {
                for (String p : args.get(++i).split(",")) {
                    try {
                        ports.add(Integer.parseInt(p.strip()));
                    } catch (NumberFormatException e) {
                        return skip(command, "port list " + args.get(i));
                    }
                }
            } else if (a.equals("-P") && i + 1 < args.size()) {
                if (!args.get(++i).equals("tcp")) {
                    return skip(command, "protocol " + args.get(i));
                }
            } else if (a.equals("-6")) {
                ipv6Only = true;
            } else if (!Set.of("-4", "-s", "-n", "-N", "-c", "-l", "-q", "-w").contains(a)) {
                return skip(command, "sockstat option " + a);
            }
        }
        List<String> lines = new ArrayList<>();
        if (!ipv6Only) {
            for (SocketLayer.SockstatLine l : sockets.sockstat()) {
                if (ports.isEmpty() || ports.contains(l.localPort()) || ports.contains(l.remotePort())) {
                    lines.add(format(l));
                }
            }
        }
        List<String> table = List.copyOf(lines);
        for (List<String> grep : greps) {
            lines = grep(grep, lines);
            if (lines == null) {
                return skip(command, "unsupported pipeline stage \"" + String.join(" ", grep) + "\"");
            }
        }
        if (lines.isEmpty()) {
            return new Outcome(Outcome.Kind.FAILED, "`" + command + "` exits with status 1 (grep selected nothing); sockets: "
                    + (table.isEmpty() ? "none" : String.join(" | ", table)));
        }
        return new Outcome(Outcome.Kind.OK, command);
    }

    /** FreeBSD sockstat's columns: USER COMMAND PID FD PROTO LOCAL FOREIGN STATE. */
    private String format(SocketLayer.SockstatLine l) {
        String owner = l.ownedByProcess() ? "root     packetdrill 1     " + l.fd() : "?        ?          ?     ?";
        String local = Ipv4Address.format(localAddress) + ":" + (l.localPort() == 0 ? "*" : l.localPort());
        String foreign = l.remotePort() == 0 ? "*:*" : Ipv4Address.format(remoteAddress) + ":" + l.remotePort();
        return owner + "  tcp4  " + local + "  " + foreign + "  " + l.bsdState();
    }

    /** One {@code grep [-c] [-v] PATTERN} stage (fixed-string match), or null when not understood. */
    private static List<String> grep(List<String> stage, List<String> input) {
        if (stage.isEmpty() || !stage.get(0).equals("grep")) {
            return null;
        }
        boolean count = false;
        boolean invert = false;
        String pattern = null;
        for (String w : stage.subList(1, stage.size())) {
            switch (w) {
                case "-c" -> count = true;
                case "-v" -> invert = true;
                case "-q" -> { }
                default -> {
                    if (w.startsWith("-") || pattern != null) {
                        return null;
                    }
                    pattern = w;
                }
            }
        }
        if (pattern == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (String line : input) {
            if (line.contains(pattern) != invert) {
                out.add(line);
            }
        }
        return count ? List.of(Integer.toString(out.size())) : out;
    }

    /** Splits a command line into pipeline stages of words, honouring single and double quotes (removed). */
    public static List<List<String>> split(String command) {
        List<List<String>> stages = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (char c : command.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                if (word == null) {
                    word = new StringBuilder();
                }
            } else if (c == '|' || Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                if (c == '|') {
                    stages.add(words);
                    words = new ArrayList<>();
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        stages.add(words);
        return stages;
    }
}
