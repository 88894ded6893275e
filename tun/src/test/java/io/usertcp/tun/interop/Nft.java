package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nftables rules inside one of our namespaces (DESIGN.md §10: loss may use nftables there). Each rule
 * lives in a table of its own ({@code inet usertcp_LABEL}), so that removing it is deleting the
 * table. The namespace's deletion removes whatever is left.
 */
final class Nft {
    private static final Pattern COUNTER = Pattern.compile("counter packets ([0-9]+)");

    private Nft() {}

    /** A kernel hook and the priority of our chain on it. */
    enum Hook {
        /** Packets the kernel sends (after routing). */
        OUTPUT("output", 0),
        /** Packets for the kernel's own sockets. */
        INPUT("input", 0),
        /** Every packet that enters, before routing (sees packets for addresses nobody has). */
        PREROUTING("prerouting", -300);

        final String name;
        final int priority;

        Hook(String name, int priority) {
            this.name = name;
            this.priority = priority;
        }
    }

    /**
     * Adds {@code rule} (nft words, e.g. {@code ip daddr 198.18.0.2 drop}) in a table and chain of
     * its own on {@code hook}.
     */
    static void add(NetworkNamespace ns, String label, Hook hook, String... rule) {
        String table = "usertcp_" + label;
        nft(ns, "add", "table", "inet", table);
        nft(ns, "add", "chain", "inet", table, "c",
                "{ type filter hook " + hook.name + " priority " + hook.priority + "; policy accept; }");
        List<String> words = new ArrayList<>(List.of("add", "rule", "inet", table, "c"));
        words.addAll(List.of(rule));
        nft(ns, words.toArray(String[]::new));
    }

    /** Removes the rule added under {@code label}. */
    static void remove(NetworkNamespace ns, String label) {
        nft(ns, "delete", "table", "inet", "usertcp_" + label);
    }

    /** The packet count of the {@code counter} in the rule under {@code label}. */
    static long counterPackets(NetworkNamespace ns, String label) {
        ExecResult list = ns.exec("nft", "list", "table", "inet", "usertcp_" + label);
        assertTrue(list.succeeded(), list::describe);
        Matcher m = COUNTER.matcher(list.output());
        assertTrue(m.find(), () -> "no counter in " + list.output());
        return Long.parseLong(m.group(1));
    }

    private static void nft(NetworkNamespace ns, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "nft";
        System.arraycopy(args, 0, command, 1, args.length);
        ExecResult r = ns.exec(command);
        assertTrue(r.succeeded(), r::describe);
    }
}
