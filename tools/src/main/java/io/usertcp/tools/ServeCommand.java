package io.usertcp.tools;

import io.usertcp.apps.DiscardServer;
import io.usertcp.apps.EchoServer;
import io.usertcp.apps.HttpServer;
import io.usertcp.apps.SocketServer;
import io.usertcp.apps.SocketServerConfig;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tools.control.ControlDirectory;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.demo.Narrator;
import io.usertcp.tools.demo.StackSession;
import io.usertcp.tun.TunStackHost;
import java.net.BindException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.usertcp.wire.Ipv4Address;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code usertcp serve}: our stack serving echo, discard or HTTP in a new namespace until Ctrl-C or a duration. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Runs our stack in a new network namespace, serving echo, discard or HTTP at 198.18.0.2, "
            + "until Ctrl-C or --duration. Prints how to reach it from the namespace's kernel; `usertcp ss`, "
            + "`usertcp stats` and `usertcp capture` read it meanwhile. --dev and the address options name the "
            + "TUN device and pick other addresses in 198.18.0.0/15; --profile chooses how our stack behaves. "
            + "--shards N runs N stacks, one per queue of a multi-queue TUN device and each on its own thread, "
            + "the server listening on every one: a connection is served by the shard its four-tuple hashes to, "
            + "and ss, stats and capture show every shard. Needs root."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:served and stopped cleanly", "1:failed (the stack thread died, say)", "2:bad usage (a bad --dev name, address, --profile or --shards, say)",
            "3:something it needs is missing (root, TUN, libpcap for --pcap, a private control directory)"})
public final class ServeCommand implements Callable<Integer> {
    /** Connections served at once; reaching it closes the longest idle one rather than stop accepting. */
    static final int MAX_CONNECTIONS = 256;
    /** The longest --idle-timeout. */
    static final int MAX_IDLE_TIMEOUT_SECONDS = 86_400;
    /** The longest --duration. */
    static final long MAX_DURATION_SECONDS = 86_400;
    /** The most --shards: a queue, a stack and a thread each. */
    static final int MAX_SHARDS = 8;
    /**
     * A test hook: when set (to milliseconds), the stack thread (the last shard's, with several) is
     * killed on purpose that long after the server listens, by a virtual-machine error the runner
     * does not contain, so tests can see serve report a dead stack and exit non-zero (issue 18).
     */
    static final String KILL_STACK_PROPERTY = "usertcp.test.killStackThreadAfterMillis";

    enum App { echo, discard, http }

    @Option(names = "--app", defaultValue = "http", description = "echo, discard or http (default: ${DEFAULT-VALUE}).")
    App app;

    @Option(names = "--port", description = "Port to serve on (default: 7 echo, 9 discard, 80 http).")
    Integer port;

    @Option(names = "--netns-prefix", defaultValue = "usertcp-serve",
            description = "Namespace name prefix; must start with usertcp- (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this many seconds; 0 serves until Ctrl-C (at most " + MAX_DURATION_SECONDS + ").")
    long durationSeconds;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Close a connection that sends nothing for this long (default: ${DEFAULT-VALUE}; 1.."
                    + MAX_IDLE_TIMEOUT_SECONDS + "). With " + MAX_CONNECTIONS + " connections served, the one idle the"
                    + " longest is closed to serve a new one.")
    int idleTimeoutSeconds;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "1",
            description = "Stacks sharing the TUN device, one per queue (IFF_MULTI_QUEUE) and thread, each owning the"
                    + " connections its four-tuple hashes to; the server listens on every one (default: ${DEFAULT-VALUE};"
                    + " 1.." + MAX_SHARDS + "; more than 1 needs `usertcp capture` instead of --pcap).")
    int shards;

    @Option(names = "--control-dir", description = "Where the control socket goes (default: $USERTCP_CONTROL_DIR, /run/usertcp as root, else $XDG_RUNTIME_DIR/usertcp); created with mode 0700, refused when it exists and is not private.")
    Path controlDir;

    @Option(names = {"-q", "--quiet"}, description = "Do not print each connection's state changes.")
    boolean quiet;

    @Option(names = "--no-color", description = "Plain text, no colours (also: NO_COLOR=1).")
    boolean noColor;

    @Mixin
    DeviceOptions device;

    @Mixin
    ProfileOption profile;

    @Mixin
    PcapOption pcap;

    @Override
    public Integer call() {
        if (durationSeconds < 0 || durationSeconds > MAX_DURATION_SECONDS) {
            System.err.println("usertcp serve: --duration " + durationSeconds + " (expected: 0.." + MAX_DURATION_SECONDS + ")");
            return UsertcpMain.EXIT_USAGE;
        }
        if (idleTimeoutSeconds < 1 || idleTimeoutSeconds > MAX_IDLE_TIMEOUT_SECONDS) {
            return CommandSupport.usage("serve", "--idle-timeout " + idleTimeoutSeconds + " (expected: 1.." + MAX_IDLE_TIMEOUT_SECONDS + ")");
        }
        if (shards < 1 || shards > MAX_SHARDS) {
            return CommandSupport.usage("serve", "--shards " + shards + " (expected: 1.." + MAX_SHARDS + ")");
        }
        if (shards > 1 && pcap.file() != null) {
            // One pcap writer is written on one stack thread; a capture stream takes every shard's segments.
            return CommandSupport.usage("serve", "--pcap with --shards " + shards + " (expected: one shard; with several,"
                    + " `usertcp capture -w FILE` records every shard)");
        }
        int servePort = port != null ? port : switch (app) {
            case echo -> EchoServer.DEFAULT_PORT;
            case discard -> DiscardServer.DEFAULT_PORT;
            case http -> 80;
        };
        if (servePort < 1 || servePort > 65535) {
            System.err.println("usertcp serve: --port " + servePort + " (expected: 1..65535)");
            return UsertcpMain.EXIT_USAGE;
        }
        TunStackHost.Layout layout;
        TcpProfile tcpProfile;
        try {
            layout = device.layout();
            tcpProfile = profile.profile();
        } catch (IllegalArgumentException e) {
            return CommandSupport.usage("serve", e.getMessage());
        }
        return CommandSupport.runWithStack("serve", pcap, () -> serve(servePort, layout, tcpProfile));
    }

    private int serve(int servePort, TunStackHost.Layout layout, TcpProfile tcpProfile) throws InterruptedException {
        Path dir;
        try {
            dir = controlDir != null ? controlDir : ControlServer.defaultDirectory();
            ControlDirectory.createPrivate(dir);
        } catch (ControlDirectory.RefusedException e) {
            System.err.println("usertcp serve: " + e.getMessage());
            return UsertcpMain.EXIT_MISSING;
        }
        Narrator n = new Narrator(System.out, !noColor && Narrator.colorByDefault());
        long bound = (durationSeconds == 0 ? MAX_DURATION_SECONDS : durationSeconds) * 1000L;
        StackSession.Options options = StackSession.Options.of(prefix, bound).withKernelPollMillis(0)
                .withRecordSegments(false).withLive(!quiet)
                .withControl(dir, Map.of("app", app + " on port " + servePort))
                .withLayout(layout).withPcap(pcap.file()).withProfile(tcpProfile).withShards(shards);
        try (StackSession session = StackSession.start(options, n)) {
            String ns = session.namespace().name();
            n.title("usertcp serve: " + app + " on " + layout.stackAddress() + ":" + servePort + " in namespace " + ns
                    + " (TUN device " + layout.device() + ", the kernel at " + layout.kernelAddress() + "/" + layout.prefixLength()
                    + ", profile " + session.stack().profile().name() + (shards > 1 ? ", " + shards + " shards" : "") + ")");
            Throwable death;
            try {
                death = serve(session, n, servePort, bound);
            } catch (BindException e) {
                System.err.println("usertcp serve: port " + servePort + ": " + e.getMessage());
                return UsertcpMain.EXIT_FAILED;
            }
            if (death != null) {
                // Reported before the teardown, which deletes the namespace, so the cause comes first.
                System.err.println("usertcp serve: the stack thread died (" + death + "); stopping");
                n.fail("the stack thread died: " + death);
                session.close();
                n.ok("namespace deleted");
                return UsertcpMain.EXIT_FAILED;
            }
        }
        n.ok("namespace deleted");
        return UsertcpMain.EXIT_OK;
    }

    /** Serves until Ctrl-C, the duration or the stack thread's death; what killed it, or null. */
    private Throwable serve(StackSession session, Narrator n, int servePort, long bound)
            throws InterruptedException, BindException {
        String ns = session.namespace().name();
        try (SocketServer server = start(session, servePort)) {
            n.say("reach it from the namespace's kernel:");
            n.block(example(ns, session.host().stackAddress(), servePort));
            n.say("our connection table and counters meanwhile: `usertcp ss`, `usertcp stats`; its segments: "
                    + "`usertcp capture -w FILE` (control socket " + session.control().path() + ")");
            if (session.pcap() != null) {
                n.say("every segment also goes to " + session.pcap().file());
            }
            n.say(durationSeconds == 0 ? "Ctrl-C stops it and deletes the namespace." : "stops by itself after " + durationSeconds + " s.");
            CountDownLatch stopped = new CountDownLatch(1);
            session.runners().forEach(r -> r.onTermination(stopped::countDown));
            killStackOnPurposeIfAsked(session);
            long deadline = System.nanoTime() + bound * 1_000_000L;
            // Wakes at once when a stack thread ends: a dead stack (or shard) is reported, not served on.
            while (!session.isClosed() && System.nanoTime() < deadline && !stopped.await(100, TimeUnit.MILLISECONDS)) {
                // Ctrl-C closes the session; the duration runs out; or a stack stops
            }
            n.step("Stopping: " + server.connectionsAccepted() + " connections served");
            return session.runners().stream().map(StackRunner::deathCause).filter(Objects::nonNull).findFirst().orElse(null);
        }
    }

    /** The {@link #KILL_STACK_PROPERTY} test hook. */
    private static void killStackOnPurposeIfAsked(StackSession session) {
        Long afterMillis = Long.getLong(KILL_STACK_PROPERTY);
        if (afterMillis == null) {
            return;
        }
        CompletableFuture.delayedExecutor(afterMillis, TimeUnit.MILLISECONDS).execute(() -> {
            System.err.println("usertcp serve: test hook " + KILL_STACK_PROPERTY + ": killing the stack thread at "
                    + System.currentTimeMillis() + " ms since the epoch");
            session.runners().get(session.runners().size() - 1).execute(() -> {
                throw new InternalError("killed on purpose by " + KILL_STACK_PROPERTY);
            });
        });
    }

    private SocketServer start(StackSession session, int servePort) throws BindException {
        SocketServerConfig config = new SocketServerConfig(MAX_CONNECTIONS, idleTimeoutSeconds * 1000);
        return switch (app) {
            case echo -> new EchoServer(session.runners(), servePort, config);
            case discard -> new DiscardServer(session.runners(), servePort, config);
            case http -> new HttpServer(session.runners(), servePort, config);
        };
    }

    private String example(String ns, Ipv4Address stack, int servePort) {
        return switch (app) {
            case http -> "ip netns exec " + ns + " curl http://" + stack + ":" + servePort + "/\n"
                    + "ip netns exec " + ns + " curl -o /dev/null http://" + stack + ":" + servePort + "/bytes/10000000";
            case echo -> "ip netns exec " + ns + " bash -c 'exec 3<>/dev/tcp/" + stack + "/" + servePort
                    + "; echo hello >&3; head -1 <&3'";
            case discard -> "ip netns exec " + ns + " bash -c 'head -c 10000000 /dev/zero > /dev/tcp/"
                    + stack + "/" + servePort + "'";
        };
    }
}
