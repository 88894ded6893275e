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
final class ShellCommands {

    /** What became of one command. */
    record Outcome(Kind kind, String text) {
        enum Kind {
            OK,
            SKIPPED,
            FAILED
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

    /** Runs one command; a FAILED outcome's text says why. */
    Outcome run(String command) {
        List<List<String>> stages = split(command);
        if (stages.isEmpty() || stages.get(0).isEmpty()) {
            return new Outcome(Outcome.Kind.SKIPPED, "empty command");
        }
        List<String> first = stages.get(0);
        return switch (first.get(0)) {
            case "sysctl" -> stages.size() == 1 ? sysctl(first) : skip(command, "a sysctl pipeline");
            case "sockstat" -> sockstat(command, first, stages.subList(1, stages.size()));
            default -> skip(command, "no in-process equivalent of " + first.get(0));
        };
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

    /** Splits a command line into pipeline stages of words, honouring single and double quotes. */
    static List<List<String>> split(String command) {
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
