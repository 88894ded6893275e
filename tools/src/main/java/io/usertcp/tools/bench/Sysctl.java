package io.usertcp.tools.bench;

import io.usertcp.tun.NetworkNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-namespace kernel settings (net.ipv4.ip_local_port_range, net.core.somaxconn,
 * net.ipv4.tcp_max_tw_buckets are all per network namespace): written from a thread inside the
 * namespace, where {@code /proc/sys/net} shows that namespace's values. The root namespace is
 * never touched.
 */
public final class Sysctl {
    private Sysctl() {}

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
