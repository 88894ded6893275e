package io.usertcp.tools.demo;

import io.usertcp.apps.EchoServer;
import io.usertcp.apps.HttpServer;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.control.SsRow;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.TcpFlags;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code usertcp demo}: a namespace with a TUN device, our stack serving echo (port 7) and HTTP
 * (port 80) on it, real Linux clients (curl and a {@code java.net} socket) against it, both sides'
 * states as they change, a log of each connection, and the namespace deleted at the end. Finishes
 * by itself in a few seconds.
 */
public final class Demo {
    static final String PREFIX = "usertcp-demo";
    static final int ECHO_PORT = 7;
    static final int HTTP_PORT = 80;
    /** Longest wait for one connection to finish closing on both sides. */
    static final long SETTLE_MILLIS = 4_000;
    /** The java.net clients pause this long between steps, so that both sides' states can be seen. */
    static final long PAUSE_MILLIS = 150;
    /** The whole demo's bound: the kernel watcher stops by itself after this. */
    static final long MAX_DURATION_MILLIS = 120_000;

    /**
     * @param segments         show segments in the per-connection logs
     * @param holdSeconds      keep the stack running this long at the end (for {@code usertcp ss}), 0..3600
     * @param controlDirectory where the control socket goes; {@code null} for none
     * @param sinks            how each connection is drawn at the end (a ladder diagram; the event log)
     * @param pcap             where every segment of our stack is written; {@code null} for nowhere
     * @param profile          the behaviour profile our stack runs, with its reference's numbers
     */
    public record Options(boolean segments, long holdSeconds, Path controlDirectory, List<ConnectionLogSink> sinks, Path pcap,
                          TcpProfile profile) {
        public Options {
            if (holdSeconds < 0 || holdSeconds > 3600) {
                throw new IllegalArgumentException("hold: " + holdSeconds + " s (expected: 0..3600)");
            }
            sinks = List.copyOf(sinks);
            java.util.Objects.requireNonNull(profile, "profile");
        }

        /** The linux profile. */
        public Options(boolean segments, long holdSeconds, Path controlDirectory, List<ConnectionLogSink> sinks, Path pcap) {
            this(segments, holdSeconds, controlDirectory, sinks, pcap, TcpProfile.linux());
        }

        /** The linux profile, no pcap file. */
        public Options(boolean segments, long holdSeconds, Path controlDirectory, List<ConnectionLogSink> sinks) {
            this(segments, holdSeconds, controlDirectory, sinks, null);
        }
    }

    /** One connection of the demo, both sides. */
    public record ConnectionSummary(ConnectionId id, String label, String description, String closedFirstBy,
                                    List<TcpState> ourStates, List<String> kernelStates) {}

    /** What the demo did: checked by its test, summed up for the exit code. */
    public record Result(String namespace, List<ConnectionSummary> connections, boolean namespaceDeleted,
                         List<String> problems) {
        public boolean ok() {
            return namespaceDeleted && problems.isEmpty();
        }
    }

    private final Options options;
    private final Narrator n;
    private final List<String> problems = new ArrayList<>();
    private final List<ConnectionSummary> summaries = new ArrayList<>();
    private StackSession session;

    private Demo(Options options, Narrator narrator) {
        this.options = options;
        this.n = narrator;
    }

    /**
     * Runs the demo.
     *
     * @throws io.usertcp.tun.TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static Result run(Options options, Narrator narrator) throws Exception {
        return new Demo(options, narrator).run();
    }

    private Result run() throws Exception {
        introduce();
        n.step("1. Setting the stage");
        StackSession.Options so = StackSession.Options.of(PREFIX, MAX_DURATION_MILLIS + options.holdSeconds() * 1000)
                .withControl(options.controlDirectory(), Map.of("app", "demo: echo on port 7, http on port 80"))
                .withPcap(options.pcap()).withProfile(options.profile());
        session = StackSession.start(so, n);
        String namespace = session.namespace().name();
        try {
            for (ConnectionLogSink sink : options.sinks()) {
                sink.attach(session);
            }
            if (session.pcap() != null) {
                n.say("every segment of our stack also goes to " + session.pcap().file() + " (`tcpdump -r`, `usertcp ladder`)");
            }
            n.ok("namespace " + namespace + ": kernel at " + TunStackHost.KERNEL_ADDRESS + " on TUN device "
                    + TunStackHost.DEVICE + ", our stack at " + TunStackHost.STACK_ADDRESS + " on the other end of it"
                    + " (profile " + session.stack().profile().name() + ")");
            n.why("the namespace is a private copy of Linux networking: nothing we do can reach any other network");
            if (session.control() != null) {
                n.say("while it runs, `usertcp ss` and `usertcp stats` in another terminal show our stack's table");
            }
            n.step("2. Our stack opens two servers: echo on port 7, HTTP on port 80");
            n.why("a server does a passive OPEN: its socket waits in LISTEN for a SYN");
            try (EchoServer echo = new EchoServer(session.runner(), ECHO_PORT, 16);
                 HttpServer http = new HttpServer(session.runner(), HTTP_PORT, 16)) {
                curlKeepAlive();
                httpConnectionClose();
                javaEcho();
                bothTables();
                connectionLogs();
                hold();
            }
        } finally {
            Throwable death = session.runner().deathCause();
            if (death != null) {
                problems.add("the stack thread died (" + death + ")");
                n.fail("the stack thread died: " + death);
            }
            n.step("7. Cleaning up");
            session.close();
        }
        boolean deleted = !Files.exists(Path.of("/run/netns", namespace));
        if (deleted) {
            n.ok("stack stopped, namespace " + namespace + " and its TUN device deleted: nothing left behind");
        } else {
            n.fail("namespace " + namespace + " is still there");
        }
        n.say("next: `usertcp scenario --list` shows the classic TCP close stories, each against the real kernel");
        return new Result(namespace, List.copyOf(summaries), deleted, List.copyOf(problems));
    }

    private void introduce() {
        n.title("usertcp demo: a TCP stack written in Java, talking to the Linux kernel");
        n.say("Our stack reads and writes raw IPv4 packets on a TUN device; the Linux kernel on the other side\n"
                + "thinks it is talking to just another machine. Every state of each connection is shown as it\n"
                + "happens: " + "'ours' lines come from our stack, 'kernel' lines from the kernel's socket table (ss).");
    }

    // ------------------------------------------------------------------ the clients

    private void curlKeepAlive() throws Exception {
        n.step("3. curl fetches http://198.18.0.2/ : the kernel is the client, our stack the server");
        n.why("three-way handshake: SYN, SYN-ACK, ACK; curl closes first when it has the page");
        Set<ConnectionId> before = known();
        if (Programs.has("curl")) {
            curl("-sS", "--max-time", "5", "-w", "[curl: HTTP %{http_code}, %{size_download} bytes]\\n",
                    "http://" + TunStackHost.STACK_ADDRESS + "/");
        } else {
            n.warn(Programs.missing("curl", "curl", "the curl step") + "; a java.net client does the GET instead");
            n.block(KernelClients.httpGet(session.host(), HTTP_PORT, "/", false));
        }
        finish(before, "curl → http (keep-alive)");
    }

    private void httpConnectionClose() throws Exception {
        n.step("4. A java.net client asks for /bytes/2000 with 'Connection: close' and reads to the end");
        n.why("with 'Connection: close' our server closes after the response, before the client: now our stack\n"
                + "does the active close. Whoever sends the first FIN keeps TIME-WAIT afterwards");
        Set<ConnectionId> before = known();
        String answer;
        try (Socket s = KernelClients.connect(session.host(), HTTP_PORT)) {
            pause();
            s.getOutputStream().write(("GET /bytes/2000 HTTP/1.1\r\nHost: " + TunStackHost.STACK_ADDRESS
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            answer = new String(KernelClients.readToEnd(s), StandardCharsets.ISO_8859_1);
            pause(); // the client has read end-of-stream and not closed yet: CLOSE-WAIT on the kernel's side
        }
        n.block(answer.lines().findFirst().orElse("(no answer)") + "  ... " + answer.length() + " bytes, headers included");
        if (!answer.startsWith("HTTP/1.1 200")) {
            problems.add("GET /bytes/2000 answered: " + answer.lines().findFirst().orElse("nothing"));
        }
        finish(before, "java.net client → http (Connection: close)");
    }

    private void javaEcho() throws Exception {
        n.step("5. A java.net.Socket inside the namespace talks to our echo server");
        n.why("the client half-closes (shutdownOutput sends FIN) and keeps reading until the echo is done");
        Set<ConnectionId> before = known();
        byte[] message = "hello, userspace TCP\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket s = KernelClients.connect(session.host(), ECHO_PORT)) {
            pause();
            s.getOutputStream().write(message);
            byte[] first = KernelClients.readExactly(s, message.length);
            n.block("sent     " + new String(message, StandardCharsets.US_ASCII).strip()
                    + "\nechoed   " + new String(first, StandardCharsets.US_ASCII).strip());
            pause();
            s.shutdownOutput();
            byte[] rest = KernelClients.readToEnd(s);
            if (rest.length != 0 || !java.util.Arrays.equals(first, message)) {
                problems.add("echo answered " + first.length + "+" + rest.length + " bytes, not the " + message.length + " sent");
            }
        }
        finish(before, "java.net client → echo");
    }

    /** A person-sized pause in the java.net clients, so that each state lasts long enough to be seen. */
    private static void pause() throws InterruptedException {
        Thread.sleep(PAUSE_MILLIS);
    }

    private void curl(String... args) {
        List<String> command = new ArrayList<>(List.of("curl"));
        command.addAll(List.of(args));
        ExecResult r = session.namespace().exec(Duration.ofSeconds(10), command.toArray(String[]::new));
        n.block(r.output().isBlank() ? "(no output)" : r.output());
        if (!r.succeeded()) {
            problems.add("curl failed: " + r.describe());
            n.fail("curl failed: " + r.describe());
        }
    }

    private Set<ConnectionId> known() {
        return new HashSet<>(session.recorder().connections());
    }

    /** Waits for the step's connections to finish closing on both sides, then says who closed first. */
    private void finish(Set<ConnectionId> before, String description) throws InterruptedException {
        List<ConnectionId> mine = new ArrayList<>(session.recorder().connections());
        mine.removeAll(before);
        if (mine.isEmpty()) {
            problems.add(description + ": our stack saw no connection");
            n.fail("our stack saw no connection");
            return;
        }
        for (ConnectionId id : mine) {
            session.labels().describe(id, description);
            if (!settle(id)) {
                problems.add(description + ": not closed on both sides within " + SETTLE_MILLIS + " ms");
                n.warn("still closing after " + SETTLE_MILLIS + " ms");
            }
            String first = closedFirstBy(id);
            explain(first);
            summaries.add(new ConnectionSummary(id, session.labels().label(id), description, first,
                    session.recorder().statesOf(id), session.kernel().statesOf(id)));
        }
    }

    /** Ours CLOSED or in TIME-WAIT, and the kernel's socket gone or in TIME-WAIT. */
    private boolean settle(ConnectionId id) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            TcpState ours = session.recorder().lastState(id);
            KernelSocket kernel = session.kernel().current().get(id);
            boolean oursDone = ours == TcpState.CLOSED || ours == TcpState.TIME_WAIT;
            boolean kernelDone = kernel == null ? !session.kernel().statesOf(id).isEmpty() : kernel.state().equals("TIME-WAIT");
            if (oursDone && kernelDone) {
                return true;
            }
            Thread.sleep(10); // about two polls of the kernel's table
        }
        return false;
    }

    private String closedFirstBy(ConnectionId id) {
        for (StackEvent e : session.recorder().eventsFor(id)) {
            if (e instanceof StackEvent.Segment s && (s.has(TcpFlags.FIN) || s.has(TcpFlags.RST))) {
                return s.outbound() ? "ours" : "kernel";
            }
        }
        return "nobody";
    }

    private void explain(String first) {
        switch (first) {
            case "kernel" -> n.why("the kernel closed first (active close): its socket now waits in TIME-WAIT for 60 s (2·MSL),\n"
                    + "ready to re-ACK a lost last FIN; our side went CLOSE-WAIT → LAST-ACK → CLOSED");
            case "ours" -> n.why("our stack closed first (active close): our side waits in TIME-WAIT for 60 s (2·MSL);\n"
                    + "the kernel went CLOSE-WAIT → LAST-ACK and was done");
            default -> n.warn("neither side has closed yet");
        }
    }

    // ------------------------------------------------------------------ the tables and logs

    private void bothTables() {
        n.step("6. Both sides now: our `usertcp ss` and the kernel's `ss -tano`");
        List<SsRow> ours = session.runner().call(now -> ControlServer.ssRows(session.stack(), now));
        n.say("ours (198.18.0.2):");
        n.block(SsRow.table(ours));
        n.say("the kernel's (198.18.0.1), from `ip netns exec " + session.namespace().name() + " ss -tano`:");
        ExecResult ss = session.namespace().exec("ss", "-tano");
        n.block(ss.succeeded() ? ss.output() : "(ss failed: " + ss.describe() + ")");
        n.why("TIME-WAIT sits with whoever closed first; the timers show how long each entry has left");
        Map<String, Long> stats = session.runner().call(now -> session.stack().stats().snapshot());
        StringBuilder counters = new StringBuilder();
        for (String name : List.of("TcpPassiveOpens", "TcpActiveOpens", "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpCurrEstab")) {
            counters.append(String.format(Locale.ROOT, "%-16s %6d%n", name, stats.getOrDefault(name, 0L)));
        }
        n.say("a few of our counters (all of them: `usertcp stats`):");
        n.block(counters.toString());
    }

    private void connectionLogs() {
        n.step("What happened, connection by connection");
        session.live().enable(false);
        for (ConnectionSummary summary : summaries) {
            ConnectionLog log = session.log(summary.id());
            for (ConnectionLogSink sink : options.sinks()) {
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
                    sink.draw(log, out);
                }
                n.line(text.toString(StandardCharsets.UTF_8));
            }
        }
        StringBuilder table = new StringBuilder();
        for (ConnectionSummary s : summaries) {
            table.append(String.format(Locale.ROOT, "%-7s %-44s closed first: %s%n        ours:   %s%n        kernel: %s%n",
                    s.label(), s.description(), s.closedFirstBy(),
                    String.join(" → ", s.ourStates().stream().map(TcpState::rfcName).toList()),
                    String.join(" → ", s.kernelStates())));
        }
        n.say("in short:");
        n.block(table.toString());
        n.why("the kernel's list is what polling its socket table caught: states shorter than a few ms may be missing");
        session.live().enable(true);
    }

    private void hold() throws InterruptedException {
        if (options.holdSeconds() == 0) {
            return;
        }
        n.step("Holding the stack for " + options.holdSeconds() + " s");
        n.say("try `usertcp ss` or `usertcp stats` in another terminal, or `ip netns exec "
                + session.namespace().name() + " curl http://198.18.0.2/`; Ctrl-C ends it");
        long deadline = System.nanoTime() + options.holdSeconds() * 1_000_000_000L;
        // Ends at once when the stack thread stops: a dead stack is reported, not held.
        while (System.nanoTime() < deadline && !session.isClosed()
                && !session.runner().awaitTermination(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            // Ctrl-C closes the session, or the time runs out
        }
    }

    static String joined(List<?> items) {
        return String.join(" → ", items.stream().map(Object::toString).toList());
    }
}
