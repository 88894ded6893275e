package io.usertcp.tun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Says whether this machine can run the TUN layer, and if not, what is missing and how to get it,
 * in one line (DESIGN.md §7). Tests use it to decide: with {@code CI=true} they fail with the
 * reason, elsewhere they may skip with it.
 *
 * <p>{@link #check()} is cheap (files, capabilities, the {@code ip} command, the JNA binding);
 * {@link #probe()} also creates a namespace, opens a TUN device in it and deletes both, once per
 * JVM, which catches what only trying shows (a container without {@code /run/netns} mounts, a
 * seccomp filter).
 */
public final class TunSupport {
    /** The clone device every TUN interface is opened through. */
    public static final String DEV_NET_TUN = "/dev/net/tun";
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_SYS_ADMIN = 21;
    private static final String PREFIX = "TUN unavailable: ";
    private static final List<String> IP_FALLBACK_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private static final Object PROBE_LOCK = new Object();
    private static boolean probed;
    private static String probeResult;

    private TunSupport() {}

    /**
     * The cheap checks.
     *
     * @return {@code null} when TUN devices and namespaces should work, otherwise the one-line reason
     */
    public static String check() {
        String reason = reason(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
                effectiveCapabilities(), Files.exists(Path.of(DEV_NET_TUN)), ipCommand(), null);
        if (reason != null) {
            return reason;
        }
        // Loading the binding is last: it extracts JNA's native library, pointless when the rest fails.
        return reason("Linux", "amd64", -1L, true, "ip", LibC.loaded() ? null : LibC.loadFailure());
    }

    /**
     * The checks for network namespaces alone (no TUN device): Linux, capabilities, {@code ip},
     * the JNA binding (for {@code setns}).
     *
     * @return {@code null} when namespaces can be made here, otherwise the one-line reason
     */
    public static String checkNamespaces() {
        String reason = reason(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
                effectiveCapabilities(), true, ipCommand(), null);
        if (reason != null) {
            return reason;
        }
        return reason("Linux", "amd64", -1L, true, "ip", LibC.loaded() ? null : LibC.loadFailure());
    }

    /**
     * {@link #check()}, then (once per JVM, cached) a real namespace with a real TUN device in it.
     *
     * @return {@code null} when the TUN layer works here, otherwise the one-line reason
     */
    public static String probe() {
        synchronized (PROBE_LOCK) {
            if (!probed) {
                probeResult = liveProbe();
                probed = true;
            }
            return probeResult;
        }
    }

    /** @throws TunUnavailableException with the reason from {@link #check()} */
    public static void require() {
        String reason = check();
        if (reason != null) {
            throw new TunUnavailableException(reason);
        }
    }

    private static String liveProbe() {
        String reason = check();
        if (reason != null) {
            return reason;
        }
        try (NetworkNamespace ns = NetworkNamespace.create("usertcp-probe")) {
            ns.runInside(() -> {
                try (TunDevice device = TunDevice.open("uprobe%d")) {
                    return device.name();
                }
            });
            return null;
        } catch (TunUnavailableException e) {
            return e.getMessage();
        } catch (Exception e) {
            return PREFIX + "creating a namespace with a TUN device in it failed: " + e;
        }
    }

    /**
     * The reason for a given set of facts, first missing piece first; {@code null} when nothing is
     * missing. Pure, so that every message can be tested.
     *
     * @param capEff      the effective capability mask ({@code CapEff} in {@code /proc/self/status}),
     *                    or -1 when it is not to be judged
     * @param ipPath      the {@code ip} command, or {@code null} when there is none
     * @param libcFailure why the JNA binding failed to load, or {@code null}
     */
    static String reason(String osName, String arch, long capEff, boolean devNetTunExists, String ipPath,
                         Throwable libcFailure) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return PREFIX + "os.name is " + osName + " (expected: Linux; TUN devices and network namespaces are Linux features)";
        }
        if (!List.of("amd64", "x86_64", "aarch64").contains(arch)) {
            return PREFIX + "os.arch is " + arch + " (expected: amd64 or aarch64, the LP64 ABIs the libc binding assumes)";
        }
        if (capEff != -1L && (!hasCapability(capEff, CAP_NET_ADMIN) || !hasCapability(capEff, CAP_SYS_ADMIN))) {
            return PREFIX + "missing " + missingCapabilities(capEff)
                    + " (not root?): run as root (sudo), or start the container with --cap-add NET_ADMIN --cap-add SYS_ADMIN";
        }
        if (!devNetTunExists) {
            return PREFIX + "no " + DEV_NET_TUN
                    + ": load the module (modprobe tun), or start the container with --device /dev/net/tun";
        }
        if (ipPath == null) {
            return PREFIX + "no 'ip' command (needed for network namespaces): install iproute2 (apt-get install iproute2)";
        }
        if (libcFailure != null) {
            return PREFIX + "JNA could not bind libc (" + libcFailure
                    + "): needs JNA's native library for this platform, extractable to java.io.tmpdir";
        }
        return null;
    }

    private static boolean hasCapability(long capEff, int capability) {
        return (capEff & (1L << capability)) != 0;
    }

    private static String missingCapabilities(long capEff) {
        List<String> missing = new ArrayList<>();
        if (!hasCapability(capEff, CAP_NET_ADMIN)) {
            missing.add("CAP_NET_ADMIN");
        }
        if (!hasCapability(capEff, CAP_SYS_ADMIN)) {
            missing.add("CAP_SYS_ADMIN");
        }
        return String.join(" and ", missing);
    }

    /** The {@code CapEff} mask of this process, or 0 when it cannot be read. */
    static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** The {@code ip} command from iproute2: the first on the PATH, else the usual sbin places, else {@code null}. */
    static String ipCommand() {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    dirs.add(dir);
                }
            }
        }
        dirs.addAll(IP_FALLBACK_DIRS);
        for (String dir : dirs) {
            Path candidate = Path.of(dir, "ip");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
