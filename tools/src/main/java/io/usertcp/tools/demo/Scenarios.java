package io.usertcp.tools.demo;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The scenarios of DESIGN.md §13, and how one is run: a fresh namespace each, deleted at the end. */
public final class Scenarios {
    /** A scenario's bound: the kernel watcher stops after this. */
    static final long MAX_DURATION_MILLIS = 60_000;

    private Scenarios() {}

    /** Every scenario, in the order {@code --list} shows them. */
    public static List<Scenario> all() {
        return List.of(new ActiveCloseScenario(), new CloseWaitLeakScenario(), new TimeWaitPileupScenario(),
                new SimultaneousCloseScenario(), new LingerAbortScenario(), new HalfCloseScenario(),
                new KeepaliveDeadPeerScenario(), new FinWait2OrphanScenario(), new TimeWaitReuseScenario(),
                new SynFinListenScenario());
    }

    /** The scenario called {@code name}, or {@code null}. */
    public static Scenario find(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * Runs one scenario in a namespace of its own.
     *
     * @throws MissingProgramException when a program it needs is not installed
     * @throws io.usertcp.tun.TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static ScenarioResult run(Scenario scenario, Narrator n, List<ConnectionLogSink> sinks) throws Exception {
        return run(scenario, n, sinks, null);
    }

    /**
     * Runs one scenario in a namespace of its own, writing every segment of our stack to {@code pcap}
     * (null: nowhere).
     *
     * @throws MissingProgramException when a program it needs is not installed
     * @throws io.usertcp.tun.TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static ScenarioResult run(Scenario scenario, Narrator n, List<ConnectionLogSink> sinks, Path pcap) throws Exception {
        return run(scenario, n, sinks, pcap, TcpProfile.linux());
    }

    /**
     * Runs one scenario in a namespace of its own, our stack with {@code profile}: that profile's
     * reference numbers ({@link io.usertcp.tcp.TcpConfig#forProfile}) with the scenario's short
     * timers on top. Writes every segment of our stack to {@code pcap} (null: nowhere).
     *
     * @throws MissingProgramException when a program it needs is not installed
     * @throws io.usertcp.tun.TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static ScenarioResult run(Scenario scenario, Narrator n, List<ConnectionLogSink> sinks, Path pcap,
                                     TcpProfile profile) throws Exception {
        String missing = scenario.missing();
        if (missing != null) {
            throw new MissingProgramException(missing);
        }
        n.title("scenario " + scenario.name() + ": " + scenario.summary());
        StackSession.Options options = StackSession.Options.of("usertcp-scenario", MAX_DURATION_MILLIS).withProfile(profile)
                .withTcp(scenario.tcp()).withStack(scenario.stack()).withPcap(pcap);
        StackSession session = StackSession.start(options, n);
        String namespace = session.namespace().name();
        TcpConfig tcp = session.stack().config();
        ScenarioRun run = new ScenarioRun(session);
        Map<ConnectionId, List<TcpState>> ours = new LinkedHashMap<>();
        Map<ConnectionId, List<String>> kernel = new LinkedHashMap<>();
        Map<ConnectionId, CloseReason> reasons = new LinkedHashMap<>();
        Map<String, Long> counters;
        try {
            for (ConnectionLogSink sink : sinks) {
                sink.attach(session);
            }
            n.say("namespace " + namespace + ": the kernel at 198.18.0.1, our stack at 198.18.0.2 (profile "
                    + tcp.profile().name() + ")");
            try {
                scenario.play(run);
            } catch (Exception | AssertionError e) {
                run.check("the scenario runs to its end", false, e.toString());
            }
            session.live().enable(false);
            n.step("Each connection, both sides");
            int shown = 0;
            for (ConnectionId id : run.connections()) {
                ConnectionLog log = session.log(id);
                for (ConnectionLogSink sink : shown++ < scenario.logsShown() ? sinks : List.<ConnectionLogSink>of()) {
                    ByteArrayOutputStream text = new ByteArrayOutputStream();
                    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
                        sink.draw(log, out);
                    }
                    n.line(text.toString(StandardCharsets.UTF_8));
                }
                if (shown == scenario.logsShown() + 1) {
                    n.say("(the other connections went the same way)");
                }
                ours.put(id, session.recorder().statesOf(id));
                kernel.put(id, session.kernel().statesOf(id));
            }
            for (Map.Entry<ConnectionId, TcpConnection> e : run.ourConnections().entrySet()) {
                CloseReason r = run.closeReason(e.getValue());
                if (r != null) {
                    reasons.put(e.getKey(), r);
                }
            }
            counters = run.counters();
        } finally {
            run.closeAll();
            session.close();
        }
        boolean deleted = !Files.exists(Path.of("/run/netns", namespace));
        ScenarioResult result = new ScenarioResult(scenario.name(), run.checks(), ours, kernel, reasons, counters, deleted, tcp);
        long passed = result.checks().stream().filter(ScenarioResult.Check::passed).count();
        n.step("Result: " + passed + " of " + result.checks().size() + " promises held"
                + (deleted ? "; namespace deleted" : "; NAMESPACE LEFT BEHIND"));
        return result;
    }
}
