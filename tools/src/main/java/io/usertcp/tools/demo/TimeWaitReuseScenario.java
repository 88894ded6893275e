package io.usertcp.tools.demo;

import io.usertcp.apps.EchoServer;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tools.bench.Sysctl;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.TcpFlags;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A client that closes first keeps a TIME-WAIT entry per connection; with a small ephemeral range
 * and one server, the entries hold every port and the next connect fails (Linux: EADDRNOTAVAIL).
 * tcp_tw_reuse (Linux tcp_twsk_unique()) lets an active open take over an entry whose last
 * timestamp is more than a second old: the client goes on. Shown on our stack as the client, and
 * on the kernel as the client with the same settings made inside the namespace.
 */
final class TimeWaitReuseScenario implements Scenario {
    /** The kernel's echo server our clients use. */
    static final int KERNEL_PORT = 9011;
    /** Our echo server the kernel's clients use. */
    static final int OUR_PORT = 8011;
    static final int PORT_LOW = 40000;
    static final int PORT_HIGH = 40007;
    static final int PORTS = PORT_HIGH - PORT_LOW + 1;
    /** The kernel's ip_local_port_range inside the namespace: as narrow as ours. */
    static final int KERNEL_PORT_LOW = 41000;
    static final int KERNEL_PORT_HIGH = 41007;
    /** How many connections take over a TIME-WAIT entry in the last step. */
    static final int REUSED = 4;
    static final long TIME_WAIT_MILLIS = 5_000;
    /** Linux tcp_tw_reuse_delay: an entry must have taken its last timestamp longer ago than this. */
    static final long REUSE_DELAY_MILLIS = 1_000;
    /** Margin past the delay (the kernel's clock ticks in milliseconds, ours in nanoseconds). */
    static final long MARGIN_MILLIS = 100;
    /** tcp_twsk_unique(): the new ISS is the old SND.NXT + 65535 + 2. */
    static final int ISS_JUMP = 65535 + 2;

    @Override
    public String name() {
        return "time-wait-reuse";
    }

    @Override
    public String summary() {
        return "a client exhausts its ephemeral ports behind TIME-WAIT entries, then tcp_tw_reuse lets it go on";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().timeWaitNanos(TimeUnit.MILLISECONDS.toNanos(TIME_WAIT_MILLIS))
                .timeWaitReuse(TcpConfig.TimeWaitReuse.ON).build();
    }

    @Override
    public UnaryOperator<StackConfig> stack() {
        return c -> c.withEphemeralPorts(PORT_LOW, PORT_HIGH);
    }

    @Override
    public int logsShown() {
        return 2;
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.say("our stack: ephemeral ports " + PORT_LOW + ".." + PORT_HIGH + " (" + PORTS + "), TIME-WAIT " + TIME_WAIT_MILLIS / 1000
                + " s (60 s on Linux), and tcp_tw_reuse switched on\n"
                + "as sysctl net.ipv4.tcp_tw_reuse=1 would (Linux's default 2 means loopback only, so off on this link;\n"
                + "the rfc and freebsd profiles keep it off unless told)");
        run.session().live().enable(false);
        try (KernelListener echo = KernelListener.echo(run.session().namespace(), TunStackHost.KERNEL_ADDRESS, KERNEL_PORT)) {
            List<TcpConnection> first = exhaust(run, n);
            refusedWhileYoung(run, n, first);
            kernelAsClient(run, n);
            takeOver(run, n, first);
        }
        run.session().live().enable(true);
        n.why("TIME-WAIT keeps a four-tuple out of use so that an old segment cannot land in a new connection;\n"
                + "timestamps do that job too (PAWS drops a segment older than TS.Recent), which is what makes\n"
                + "tcp_tw_reuse safe for the side that opens: the new SYN starts beyond the old sequence space\n"
                + "and carries a newer timestamp. It does nothing for servers, whose TIME-WAIT entries hold no\n"
                + "port anyone needs");
    }

    /** Step 1: every port of the range ends in a TIME-WAIT entry of ours. */
    private List<TcpConnection> exhaust(ScenarioRun run, Narrator n) throws Exception {
        n.step("1. Our client opens " + PORTS + " connections to the kernel's echo server (one per ephemeral port), sends\n"
                + "  a byte, reads the echo and closes first");
        List<TcpConnection> conns = new ArrayList<>();
        for (int i = 0; i < PORTS; i++) {
            conns.add(run.connect(KERNEL_PORT, "our client " + (i + 1) + " → kernel echo server"));
        }
        int echoed = 0;
        for (TcpConnection c : conns) {
            run.send(c, "x");
            echoed += "x".equals(run.read(c, 1)) ? 1 : 0;
        }
        run.check("the kernel's server echoed each of the " + PORTS + " connections", echoed == PORTS, echoed + " did");
        for (TcpConnection c : conns) {
            run.close(c);
        }
        int timeWait = 0;
        for (TcpConnection c : conns) {
            timeWait += run.session().recorder().awaitState(c.id(), TcpState.TIME_WAIT, ScenarioRun.WAIT_MILLIS) ? 1 : 0;
        }
        TreeSet<Integer> ports = new TreeSet<>();
        conns.forEach(c -> ports.add(c.id().localPort()));
        run.check("all " + PORTS + " of ours are in TIME-WAIT (we sent the first FIN), one per port " + PORT_LOW + ".." + PORT_HIGH,
                timeWait == PORTS && run.countOurs(TcpState.TIME_WAIT) == PORTS && ports.size() == PORTS,
                timeWait + " reached it, " + run.countOurs(TcpState.TIME_WAIT) + " now, ports " + ports);
        run.tables(PORTS + 1);
        return conns;
    }

    /** Step 2: a connect while the entries are younger than a second fails. */
    private void refusedWhileYoung(ScenarioRun run, Narrator n, List<TcpConnection> first) {
        n.step("2. A ninth connect to the same server, at once");
        long age = ageMillis(run, first);
        String error = tryOpen(run, "our client " + (PORTS + 1) + " (no port for it)");
        run.check("connect fails, no free ephemeral port (Linux: EADDRNOTAVAIL), the oldest entry being " + age + " ms old",
                error != null && error.contains("no free ephemeral port") && age < REUSE_DELAY_MILLIS,
                error == null ? "it got a port" : error + " (age " + age + " ms)");
        n.why("each port of the range is held by a TIME-WAIT entry towards this very server (198.18.0.1:" + KERNEL_PORT
                + "); tcp_tw_reuse\n"
                + "takes over only an entry whose last timestamp is more than " + REUSE_DELAY_MILLIS + " ms old (tcp_tw_reuse_delay), and\n"
                + "without it the client waits out 2·MSL. Linux's connect() fails here with EADDRNOTAVAIL\n"
                + "(\"Cannot assign requested address\"), the error busy clients know");
    }

    /** Step 4: older than a second, the entries are taken over, and the kernel's server accepts the new incarnations. */
    private void takeOver(ScenarioRun run, Narrator n, List<TcpConnection> first) throws Exception {
        awaitAge(run, first);
        n.step("4. Our client again, the entries now " + ageMillis(run, first) + " ms old: " + REUSED + " connects");
        long recycledBefore = run.counters().getOrDefault("TcpExtTWRecycled", 0L);
        Map<ConnectionId, String> before = new HashMap<>();
        first.forEach(c -> before.put(c.id(), run.session().labels().description(c.id())));
        List<Reused> all = new ArrayList<>();
        for (int i = 0; i < REUSED; i++) {
            Reused r = reuseOne(run, PORTS + 1 + i, before);
            if (r == null) {
                return;
            }
            all.add(r);
        }
        long recycled = run.counters().getOrDefault("TcpExtTWRecycled", 0L) - recycledBefore;
        run.check(REUSED + " connects succeed by taking over TIME-WAIT entries (TcpExtTWRecycled +" + recycled + ")",
                recycled == REUSED, "TcpExtTWRecycled rose by " + recycled);
        List<String> jumps = all.stream().map(Reused::line).toList();
        n.block(String.join("\n", jumps));
        run.check("each new incarnation's ISS is the old SND.NXT + 65537 (beyond all the old one used)",
                all.stream().allMatch(Reused::issBeyond), jumps.toString());
        long served = all.stream().filter(Reused::served).count();
        run.check("the kernel's server accepted and echoed all " + REUSED, served == REUSED, served + " did");
        n.why("the kernel's side of each old connection is closed (it closed second, LAST-ACK → CLOSED), so the\n"
                + "SYN is simply a new connection there; had the kernel been the one in TIME-WAIT, the SYN's higher\n"
                + "sequence number and timestamp would have let it reopen all the same (RFC 9293 §3.6.1, RFC 6191)");
        run.tables(PORTS + 1);
    }

    /** One connection of step 4: echoed or not, its ISS beyond the old incarnation's or not, and a line saying so. */
    private record Reused(boolean served, boolean issBeyond, String line) {}

    /** Our client number {@code client} connects, sends a byte, reads the echo and closes; {@code null} when refused. */
    private static Reused reuseOne(ScenarioRun run, int client, Map<ConnectionId, String> before) throws InterruptedException {
        ScenarioRun.Opened o;
        try {
            o = run.open(KERNEL_PORT, "our client " + client + " → kernel echo server");
        } catch (IllegalStateException e) {
            run.check("our client " + client + " takes over a TIME-WAIT entry", false, e.getMessage());
            return null;
        }
        TcpConnection c = o.connection();
        run.show(c.id(), before.getOrDefault(c.id(), "a new port") + "; then our client " + client
                + " from the same port, taking over its TIME-WAIT entry (tcp_tw_reuse)");
        boolean established = run.session().recorder().awaitState(c.id(), TcpState.ESTABLISHED, o.nanos(), ScenarioRun.WAIT_MILLIS);
        run.send(c, "x");
        boolean served = established && "x".equals(run.read(c, 1));
        run.close(c);
        run.session().recorder().awaitState(c.id(), TcpState.TIME_WAIT, o.nanos(), ScenarioRun.WAIT_MILLIS);
        int[] iss = incarnations(run, c.id(), true);
        return new Reused(served, iss != null && iss[1] == iss[0] + ISS_JUMP, run.session().labels().label(c.id())
                + " (port " + c.id().localPort() + "): " + (iss == null ? "?" : describe(iss)));
    }

    // ------------------------------------------------------------------ the kernel as the client

    /** Step 3: the kernel in the same corner, with its own settings made inside the namespace only. */
    private void kernelAsClient(ScenarioRun run, Narrator n) throws Exception {
        NetworkNamespace ns = run.session().namespace();
        n.step("3. Meanwhile, the kernel as the client: the same corner");
        Sysctl.set(ns, "net.ipv4.ip_local_port_range", KERNEL_PORT_LOW + " " + KERNEL_PORT_HIGH);
        String reuse = Sysctl.get(ns, "net.ipv4.tcp_tw_reuse");
        n.say("inside the namespace only: net.ipv4.ip_local_port_range = " + KERNEL_PORT_LOW + " " + KERNEL_PORT_HIGH
                + ", net.ipv4.tcp_tw_reuse = " + reuse + " (its default)");
        try (EchoServer server = new EchoServer(run.runner(), OUR_PORT, PORTS * 2)) {
            long lastTimeWait = kernelFillsItsPorts(run);
            String young = kernelConnectError(run);
            run.check("its ninth connect fails at once: " + young, young != null && young.contains("Cannot assign requested address"),
                    young == null ? "it connected" : young);
            sleepUntil(lastTimeWait + TimeUnit.MILLISECONDS.toNanos(REUSE_DELAY_MILLIS + MARGIN_MILLIS));
            String old = kernelConnectError(run);
            run.check("with tcp_tw_reuse=" + reuse + ", still after " + REUSE_DELAY_MILLIS + " ms: " + old + " (198.18.0.1 is not loopback)",
                    "2".equals(reuse) && old != null && old.contains("Cannot assign requested address"), old == null ? "it connected" : old);
            kernelReuses(run, ns);
        }
        n.why("the same rule in the kernel (tcp_twsk_unique()): its default tcp_tw_reuse=2 reuses only on loopback,\n"
                + "so a real client behind a real link is stuck until 2·MSL (60 s) unless it is set to 1");
    }

    /**
     * The kernel's clients connect to our echo server from each port of its range and close first.
     *
     * @return when the last of its TIME-WAIT entries was seen ({@code System.nanoTime()})
     */
    private static long kernelFillsItsPorts(ScenarioRun run) throws Exception {
        for (int i = 0; i < PORTS; i++) {
            try (Socket k = KernelClients.connect(run.session().host(), OUR_PORT)) {
                ScenarioRun.write(k, "x");
                ScenarioRun.read(k, 1);
            }
        }
        KernelWatcher kernel = run.session().kernel();
        boolean all = kernel.await(t -> kernel.count("TIME-WAIT") >= PORTS, ScenarioRun.WAIT_MILLIS);
        run.check("the kernel's " + PORTS + " clients closed first: " + PORTS + " TIME-WAIT entries in the kernel", all,
                kernel.count("TIME-WAIT") + " seen");
        return kernel.changes().stream().filter(c -> "TIME-WAIT".equals(c.to()))
                .mapToLong(KernelStateChange::nanos).max().orElse(System.nanoTime());
    }

    /** With tcp_tw_reuse=1 (in the namespace) the kernel's next connect takes over one of its entries. */
    private static void kernelReuses(ScenarioRun run, NetworkNamespace ns) throws Exception {
        Sysctl.set(ns, "net.ipv4.tcp_tw_reuse", "1");
        long recycledBefore = kernelCounter(ns, "TWRecycled");
        int port = kernelConnectWithReuse(run);
        long recycled = kernelCounter(ns, "TWRecycled") - recycledBefore;
        run.check("with net.ipv4.tcp_tw_reuse=1 the kernel connects from port " + port + ", taking over its TIME-WAIT entry"
                + " (TcpExtTWRecycled +" + recycled + ")", port >= KERNEL_PORT_LOW && port <= KERNEL_PORT_HIGH && recycled == 1,
                "port " + port + ", TcpExtTWRecycled +" + recycled);
        if (port > 0) {
            ConnectionId id = new ConnectionId(TunStackHost.STACK_ADDRESS.bits(), OUR_PORT, TunStackHost.KERNEL_ADDRESS.bits(), port);
            int[] iss = incarnations(run, id, false);
            run.check("the kernel's new ISS is its old SND.NXT + 65537 too, as our stack saw them",
                    iss != null && iss[1] == iss[0] + ISS_JUMP, iss == null ? "not seen" : describe(iss));
        }
    }

    /** What the kernel's connect() says: {@code null} when it connected (the socket is closed at once). */
    private static String kernelConnectError(ScenarioRun run) {
        try (Socket ignored = KernelClients.connect(run.session().host(), OUR_PORT)) {
            return null;
        } catch (Exception e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /**
     * The kernel connects with tcp_tw_reuse=1, sends a byte, reads the echo and closes; tried again
     * for a moment while its clock has not yet passed the delay (it may count in whole ticks).
     *
     * @return the local port it connected from, or -1
     */
    private static int kernelConnectWithReuse(ScenarioRun run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REUSE_DELAY_MILLIS + ScenarioRun.WAIT_MILLIS);
        for (int attempt = 0; attempt < 100 && System.nanoTime() < deadline; attempt++) {
            try (Socket k = KernelClients.connect(run.session().host(), OUR_PORT)) {
                ScenarioRun.write(k, "x");
                ScenarioRun.read(k, 1);
                return k.getLocalPort();
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("Cannot assign requested address")) {
                    throw e;
                }
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /** One TcpExt counter of the namespace's kernel ({@code nstat -az TcpExtNAME}), from /proc/net/netstat. */
    static long kernelCounter(NetworkNamespace ns, String name) throws Exception {
        List<String> lines = ns.runInside(() -> Files.readAllLines(Path.of("/proc/thread-self/net/netstat")));
        for (int i = 0; i + 1 < lines.size(); i++) {
            String[] names = lines.get(i).split("\\s+");
            String[] values = lines.get(i + 1).split("\\s+");
            if (names[0].equals("TcpExt:") && values[0].equals("TcpExt:")) {
                for (int k = 1; k < names.length && k < values.length; k++) {
                    if (names[k].equals(name)) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new IllegalStateException("no TcpExt " + name + " in /proc/net/netstat");
    }

    // ------------------------------------------------------------------ helpers

    /** Tries a connect; the error's message when our stack refuses it, {@code null} when it started one. */
    private static String tryOpen(ScenarioRun run, String description) {
        try {
            run.open(KERNEL_PORT, description);
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** How long ago the first of our first connections entered TIME-WAIT (stack clock), in ms. */
    private static long ageMillis(ScenarioRun run, List<TcpConnection> first) {
        long oldest = timeWaitEntered(run, first)[0];
        return run.runner().call(now -> TimeUnit.NANOSECONDS.toMillis(now - oldest));
    }

    /** Lets time pass until the youngest of our first entries is past the reuse delay: the rule under test is about age. */
    private static void awaitAge(ScenarioRun run, List<TcpConnection> first) throws InterruptedException {
        sleepUntil(timeWaitEntered(run, first)[1] + TimeUnit.MILLISECONDS.toNanos(REUSE_DELAY_MILLIS + MARGIN_MILLIS));
    }

    /** When the first and the last of {@code conns} entered TIME-WAIT (stack clock); now when none did. */
    private static long[] timeWaitEntered(ScenarioRun run, List<TcpConnection> conns) {
        long oldest = Long.MAX_VALUE;
        long youngest = Long.MIN_VALUE;
        for (StackEvent e : run.session().recorder().events()) {
            if (e instanceof StackEvent.StateChange sc && sc.to() == TcpState.TIME_WAIT
                    && conns.stream().anyMatch(c -> c.id().equals(sc.id()))) {
                oldest = Math.min(oldest, sc.nanos());
                youngest = Math.max(youngest, sc.nanos());
            }
        }
        long now = System.nanoTime();
        return oldest == Long.MAX_VALUE ? new long[] {now, now} : new long[] {oldest, youngest};
    }

    /** Sleeps until {@code System.nanoTime()} reaches {@code deadline} (both clocks, ours and the stack's, are it). */
    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(REUSE_DELAY_MILLIS + MARGIN_MILLIS)));
        }
    }

    private static String describe(int[] iss) {
        return "old SND.NXT " + Integer.toUnsignedString(iss[0]) + ", new ISS " + Integer.toUnsignedString(iss[1]);
    }

    /**
     * The old incarnation's SND.NXT (after its FIN) and the new one's ISS, for a four-tuple used
     * twice, from the segments our stack saw: {@code sender} true for ours, false for the kernel's.
     *
     * @return {old SND.NXT, new ISS}, or {@code null} when the segments are not there
     */
    private static int[] incarnations(ScenarioRun run, ConnectionId id, boolean sender) {
        List<StackEvent.Segment> segs = run.session().recorder().eventsFor(id).stream()
                .filter(e -> e instanceof StackEvent.Segment s && s.outbound() == sender).map(e -> (StackEvent.Segment) e).toList();
        StackEvent.Segment fin = null;
        boolean sawSyn = false;
        for (StackEvent.Segment s : segs) {
            if (s.has(TcpFlags.SYN) && sawSyn && fin != null) {
                return new int[] {fin.header().seq() + fin.payloadBytes() + 1, s.header().seq()};
            }
            sawSyn |= s.has(TcpFlags.SYN);
            if (s.has(TcpFlags.FIN)) {
                fin = s;
            }
        }
        return null;
    }
}
