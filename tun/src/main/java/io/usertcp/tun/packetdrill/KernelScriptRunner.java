package io.usertcp.tun.packetdrill;

import io.usertcp.packetdrill.Comparison;
import io.usertcp.packetdrill.RunResult;
import io.usertcp.packetdrill.Script;
import io.usertcp.packetdrill.ScriptRunner;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunDevice;
import io.usertcp.tun.TunSupport;
import io.usertcp.tun.TunUnavailableException;
import io.usertcp.wire.Ipv4Address;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Plays packetdrill scripts against the real Linux kernel ({@code usertcp packetdrill --target kernel}),
 * each in a network namespace of its own that the run creates and deletes (DESIGN.md §10):
 *
 * <pre>
 *   String missing = KernelScriptRunner.unavailable();   // null when root, TUN and JNA are there
 *   RunResult r = KernelScriptRunner.run("x.pkt", text, scriptDir, Map.of(), Map.of(), Comparison.EXACT);
 * </pre>
 *
 * In the namespace: a TUN device {@code tun0} with the kernel at {@value #KERNEL_ADDRESS}/24; the
 * script's remote side (packetdrill's 192.0.2.1) is {@value #REMOTE_ADDRESS} on that link, so what
 * the kernel sends it comes out of the TUN device and nothing leaves the namespace. The result has
 * the same statuses and messages as {@link ScriptRunner}'s, and a per-event trace.
 */
public final class KernelScriptRunner {
    /** The kernel's address (packetdrill's local 192.168.0.1). */
    public static final String KERNEL_ADDRESS = "198.18.13.1";
    /** The script's remote side (packetdrill's 192.0.2.1). */
    public static final String REMOTE_ADDRESS = "198.18.13.2";
    /** Every namespace a run creates is named {@code usertcp-pdkernel-p<pid>-n<seq>}. */
    public static final String NAMESPACE_PREFIX = "usertcp-pdkernel";
    static final String DEVICE = "tun0";
    private static final int DEFAULT_MTU = 1500;
    /**
     * Played once per JVM before the first script, its result discarded: the interpreter's code
     * paths are then compiled and loaded, so that the first real script is not late by the JVM's
     * warm-up (milliseconds, beyond a 4 ms tolerance).
     */
    private static final String WARM_UP = String.join("\n",
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
            "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
            "+0 bind(3, ..., ...) = 0",
            "+0 listen(3, 1) = 0",
            "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>",
            "+0 > S. 0:0(0) ack 1 <...>",
            "+.002 < . 1:1(0) ack 1 win 257",
            "+0 accept(3, ..., ...) = 4",
            "+0 < P. 1:101(100) ack 1 win 257",
            "+0 > . 1:1(0) ack 101 <...>",
            "+0 read(4, ..., 1000) = 100",
            "+0 write(4, ..., 100) = 100",
            "+0 > P. 1:101(100) ack 101 <...>",
            "+0 %{ assert tcpi_state == TCP_ESTABLISHED }%",
            "+0 close(4) = 0",
            "+0 > F. 101:101(0) ack 101 <...>",
            "");
    private static final Object WARM_UP_LOCK = new Object();
    private static boolean warmedUp;

    private KernelScriptRunner() {}

    /**
     * Why scripts cannot run against the kernel here (not root, no {@code /dev/net/tun}, no {@code ip},
     * JNA cannot bind libc), in one line; null when they can.
     */
    public static String unavailable() {
        String reason = TunSupport.check();
        if (reason != null) {
            return reason;
        }
        Throwable jna = SocketCalls.loadFailure();
        return jna == null ? null : "the kernel backend cannot bind the socket calls through JNA: " + jna;
    }

    /**
     * Parses and runs script text against the kernel; a syntax error becomes a failed result.
     *
     * @param workingDir where the script's shell lines run ({@code ../common/defaults.sh} is relative to it)
     * @param defines    {@code -D NAME=VALUE}
     * @param flags      packetdrill command-line flags ({@code tolerance_usecs}), the script's own win
     * @param comparison how strictly the kernel's packets are compared (scripts written against Linux: exact)
     * @throws TunUnavailableException when the namespace or the TUN device cannot be made here
     */
    public static RunResult run(String name, String text, Path workingDir, Map<String, String> defines,
                                Map<String, String> flags, Comparison comparison) {
        // The kernel selftests define TFO_COOKIE: the server cookie of packetdrill's addresses under defaults.sh's key.
        Map<String, String> all = ScriptRunner.withFastOpenCookie(defines, text);
        return ScriptRunner.parseAndRun(name, text, all, flags, script -> run(script, workingDir, comparison));
    }

    /** Runs a parsed script against the kernel in a new namespace, deleted afterwards whatever happens. */
    public static RunResult run(Script script, Path workingDir, Comparison comparison) {
        synchronized (WARM_UP_LOCK) {
            if (!warmedUp) {
                warmedUp = true;
                ScriptRunner.parseAndRun("warm-up", WARM_UP, Map.of(), Map.of(), s -> play(s, workingDir, comparison));
            }
        }
        return play(script, workingDir, comparison);
    }

    private static RunResult play(Script script, Path workingDir, Comparison comparison) {
        int mtu;
        try {
            mtu = Integer.parseInt(script.option("mtu", Integer.toString(DEFAULT_MTU)));
        } catch (NumberFormatException e) {
            return new RunResult(script.name(), new RunResult.Failure(0, null, "--mtu=" + script.option("mtu", "")
                    + ": not a number", null, null), List.of(), List.of());
        }
        try (NetworkNamespace namespace = NetworkNamespace.create(NAMESPACE_PREFIX)) {
            TunDevice device = namespace.openTun(DEVICE, OffloadTun.FLAGS);
            OffloadTun link;
            try {
                // Datagrams of any size both ways: the kernel's TSO segments, and a script's inbound segments
                // larger than the interface MTU (packetdrill writes them to the TUN fd as they are).
                link = new OffloadTun(device);
            } catch (RuntimeException e) {
                device.close();
                throw e;
            }
            try (link) {
                namespace.linkUp(DEVICE, mtu);
                namespace.addAddress(DEVICE, KERNEL_ADDRESS + "/24");
                link.startSniffing(namespace);
                return new KernelInterpreter(script, comparison, namespace, link, workingDir,
                        Ipv4Address.parse(KERNEL_ADDRESS), Ipv4Address.parse(REMOTE_ADDRESS)).run();
            }
        }
    }
}
