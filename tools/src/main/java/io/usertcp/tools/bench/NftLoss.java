package io.usertcp.tools.bench;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tools.demo.Programs;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loss at a kernel receiver's ingress, with nftables inside one of our namespaces (DESIGN.md §10:
 * netem is not in this kernel; loss may use nftables there). The rule drops a share of the TCP
 * datagrams with data that arrive on one device, before routing, so the sender's stack saw them
 * leave and the receiver never sees them: a lossy path, like netem at the far end of a link.
 * The table goes with the namespace.
 */
final class NftLoss {
    static final String TABLE = "usertcp_bench_loss";
    private static final Pattern COUNTER = Pattern.compile("counter packets ([0-9]+)");

    private NftLoss() {}

    /** One line saying how to get nft, or null when it is installed. */
    static String missing() {
        return Programs.missing("nft", "nftables", "the loss case");
    }

    /**
     * Drops {@code rate} of the TCP datagrams longer than {@link LossyLink#DATA_THRESHOLD_BYTES}
     * arriving on {@code device} in {@code ns}.
     *
     * @throws MissingProgramException when nft is not installed
     */
    static void add(NetworkNamespace ns, String device, LossRate rate) {
        String why = missing();
        if (why != null) {
            throw new MissingProgramException(why);
        }
        nft(ns, "add", "table", "inet", TABLE);
        // priority raw (-300): before conntrack and everything else on prerouting
        nft(ns, "add", "chain", "inet", TABLE, "ingress", "{ type filter hook prerouting priority -300; policy accept; }");
        nft(ns, "add", "rule", "inet", TABLE, "ingress", "iifname", "\"" + device + "\"", "ip", "protocol", "tcp",
                "ip", "length", "gt", Integer.toString(LossyLink.DATA_THRESHOLD_BYTES),
                "numgen", "random", "mod", "1000", "lt", Integer.toString(rate.perMille()), "counter", "drop");
    }

    /** How many datagrams the rule dropped so far (-1 when it cannot be read). */
    static long dropped(NetworkNamespace ns) {
        ExecResult list = ns.exec("nft", "list", "table", "inet", TABLE);
        if (!list.succeeded()) {
            return -1;
        }
        Matcher m = COUNTER.matcher(list.output());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void nft(NetworkNamespace ns, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "nft";
        System.arraycopy(args, 0, command, 1, args.length);
        ExecResult r = ns.exec(command);
        if (!r.succeeded()) {
            throw new IllegalStateException("nft failed in " + ns.name() + ": " + r.describe());
        }
    }
}
