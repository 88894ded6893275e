package io.usertcp.tools.bench;

import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-namespace kernel settings (net.ipv4.ip_local_port_range, net.core.somaxconn,
 * net.ipv4.tcp_max_tw_buckets are all per network namespace): written from a thread inside the
 * namespace, where {@code /proc/sys/net} shows that namespace's values. The root namespace is
 * never touched.
 */
public final class Sysctl {
    /**
     * The congestion control every kernel of the bench runs: Linux's default (CONFIG_DEFAULT_TCP_CONG),
     * and the algorithm our stack runs. A machine may choose another (this machine kind's image sets
     * bbr), and BBR does not reduce its rate on random loss, so the loss case would compare our
     * CUBIC with the kernel's BBR.
     */
    public static final String CONGESTION_CONTROL = "cubic";

    private Sysctl() {}

    /**
     * Every route of {@code ns}'s main table gets {@code congctl }{@link #CONGESTION_CONTROL}, which
     * each TCP connection over it then runs (the route's RTAX_CC_ALGO, Linux tcp_ca_dst_init()). Not
     * the namespace's {@code net.ipv4.tcp_congestion_control}: outside the root namespace Linux lets
     * that name only algorithms in the machine-wide tcp_allowed_congestion_control (EPERM otherwise;
     * here "reno bbr"), which belongs to the root namespace and is not ours to change. Call it once
     * the namespace's addresses and routes are in place.
     */
    static void pinCongestionControl(NetworkNamespace ns) {
        ExecResult routes = ns.exec("ip", "-o", "-4", "route", "show", "table", "main");
        if (!routes.succeeded()) {
            throw new IllegalStateException("could not list the routes of " + ns.name() + ": " + routes.describe());
        }
        for (String line : routes.output().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            List<String> command = new ArrayList<>(List.of("ip", "route", "replace"));
            command.addAll(Arrays.asList(line.trim().split("\\s+")));
            command.addAll(List.of("congctl", CONGESTION_CONTROL));
            ExecResult r = ns.exec(command.toArray(String[]::new));
            if (!r.succeeded()) {
                throw new IllegalStateException("could not set congctl " + CONGESTION_CONTROL + " on the route '" + line.trim()
                        + "' of " + ns.name() + ": " + r.describe());
            }
        }
    }

    /** The congestion control new namespaces start with here: the root namespace's, read without changing it. */
    static String machineCongestionControl() {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * Writes {@code value} to {@code key} (dotted, e.g. {@code net.ipv4.ip_local_port_range}) in
     * {@code ns}.
     *
     * @throws IllegalArgumentException when the key is not a net.* setting
     * @throws IllegalStateException    when the write fails
     */
    public static void set(NetworkNamespace ns, String key, String value) {
        if (!key.matches("net\\.[a-z0-9_.]+")) {
            throw new IllegalArgumentException("sysctl key: '" + key + "' (expected: a net.* setting, which is per namespace)");
        }
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        try {
            ns.runInside(() -> {
                Files.write(file, (value + "\n").getBytes(StandardCharsets.US_ASCII));
                return null;
            });
        } catch (Exception e) {
            throw new IllegalStateException("could not set " + key + " = " + value + " in " + ns.name() + ": " + e, e);
        }
    }

    /** Reads {@code key} in {@code ns}, trimmed. */
    public static String get(NetworkNamespace ns, String key) {
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        try {
            return ns.runInside(() -> Files.readString(file).trim());
        } catch (Exception e) {
            throw new IllegalStateException("could not read " + key + " in " + ns.name() + ": " + e, e);
        }
    }
}
