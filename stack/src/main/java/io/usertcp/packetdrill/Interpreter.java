package io.usertcp.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.link.Link;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of one script: the event loop on virtual time. Inbound segments are injected at their
 * time; outbound ones are taken from what the stack sent, in order, and compared; timers fire as
 * time moves on; a blocking call waits until the stack lets it return.
 *
 * <p>Time, as packetdrill has it: {@code +t} is relative to when the previous event finished,
 * {@code *} is whenever; an outbound segment must come within max(tolerance_usecs, 12.5 % of the
 * gap since the previous event's time) of its scripted time.
 */
final class Interpreter implements Syscalls.Host, SocketLayer.Environment, BlockingCalls.Clock {
    static final int LOCAL_ADDRESS = Ipv4Address.parse("198.18.0.1");
    static final int REMOTE_ADDRESS = Ipv4Address.parse("198.18.0.2");
    /** packetdrill's defaults: the stack listens on (or connects to) port 8080. */
    static final int DEFAULT_PORT = ScriptHeader.DEFAULT_PORT;
    /** The script's remote port when it connects to the stack. */
    static final int REMOTE_PORT = 48123;
    static final long START_NANOS = 1_000_000_000_000L;
    /** How long a {@code *} outbound event waits for a packet. */
    private static final long ANY_TIME_LIMIT_NANOS = 3600L * 1_000_000_000L;

    private final Script script;
    private final RunOptions options;
    private final List<String> skipped = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final StackSettings settings;
    private final SocketLayer sockets;
    private final Syscalls syscalls;
    private final ShellCommands shell;
    private final PacketSteps steps;
    private final List<RunResult.Observation> trace = new ArrayList<>();
    private final ArrayDeque<LivePacket> captured = new ArrayDeque<>();
    private final CodeBlocks codeBlocks = new CodeBlocks();
    private final Link link = new Link() {
        @Override
        public ByteBuf receive() {
            return null;
        }

        @Override
        public void transmit(ByteBuf packet) {
            try {
                captured.addLast(steps.decode(packet, now));
            } finally {
                packet.release();
            }
        }

        @Override
        public int mtu() {
            return settings.mtu();
        }
    };

    private TcpStack stack;
    private long now = START_NANOS;
    private long lastEventNanos = START_NANOS;
    private ScriptHeader header = ScriptHeader.DEFAULTS;
    /** The addresses the script was written for (--local_ip, --remote_ip; packetdrill's by default): its cookies are theirs. */
    private int scriptLocalAddress = Ipv4Address.parse("192.168.0.1");
    private int scriptRemoteAddress = Ipv4Address.parse("192.0.2.1");
    private int localPort = DEFAULT_PORT;
    private int remotePort = REMOTE_PORT;
    private int listens;
    private int currentFd = -1;
    private int ipId = 1;
    private final BlockingCalls blocking = new BlockingCalls(this);
    private Event current;

    Interpreter(Script script, RunOptions options) {
        this.script = script;
        this.options = options;
        this.steps = new PacketSteps(START_NANOS, options.isnRelative());
        this.settings = new StackSettings(options.baseConfig(), 1500);
        this.sockets = new SocketLayer(this);
        this.syscalls = new Syscalls(sockets, options.comparison(), this, notes, skipped);
        this.shell = new ShellCommands(settings, sockets, LOCAL_ADDRESS, REMOTE_ADDRESS, notes, skipped);
    }

    RunResult run() {
        RunResult.Failure failure = null;
        boolean unsupported = false;
        try {
            headerOptions();
            for (Event e : script.events()) {
                current = e;
                execute(e);
            }
            current = null;
            blocking.awaitPending();
            codeBlocks.run(skipped, e -> current = e);
            current = null;
            if (!captured.isEmpty()) {
                notes.add("the stack sent " + captured.size() + " more segment(s) after the last scripted one, first: "
                        + describe(captured.peekFirst()));
            }
        } catch (ScriptFailure f) {
            failure = f.failure;
            unsupported = f.unsupported;
        } catch (RuntimeException e) {
            failure = new RunResult.Failure(current == null ? 0 : current.line(), current == null ? null : current.text(),
                    "the runner or the stack threw " + e, null, null);
        } finally {
            if (stack != null) {
                stack.close(now);
            }
        }
        return Trace.result(script.name(), failure, unsupported, skipped, notes, trace);
    }

    private void headerOptions() {
        header = ScriptHeader.parse(script.options(), (key, value) -> switch (key) {
            case "mtu" -> {
                settings.setMtu(Integer.parseInt(value));
                yield true;
            }
            // The script's addresses (packetdrill: 192.168.0.1 local, 192.0.2.1 remote) are always
            // mapped into 198.18.0.0/15, the range set aside for benchmarking.
            case "tcp_ts_tick_usecs" -> notes.add("--tcp_ts_tick_usecs=" + value
                    + ": TS values are mapped from the stack's own clock, not checked against a tick");
            case "local_ip", "remote_ip", "gateway_ip", "netmask_ip" -> {
                if (key.equals("local_ip")) {
                    scriptLocalAddress = Ipv4Address.parse(value);
                } else if (key.equals("remote_ip")) {
                    scriptRemoteAddress = Ipv4Address.parse(value);
                }
                yield notes.add("--" + key + "=" + value + ": mapped, the stack is " + Ipv4Address.format(LOCAL_ADDRESS)
                        + " and the remote side " + Ipv4Address.format(REMOTE_ADDRESS));
            }
            default -> false;
        }, skipped);
        localPort = header.bindPort();
    }

    // =====================================================================================
    // The stack and virtual time
    // =====================================================================================

    @Override
    public TcpStack stack() {
        if (stack == null) {
            settings.freeze();
            TcpConfig tcp = settings.config();
            StackConfig config = new StackConfig(List.of(new Ipv4Address(LOCAL_ADDRESS)), settings.mtu(),
                    ChecksumPolicy.VERIFY, tcp, ByteBufAllocator.DEFAULT, RandomSource.seeded(options.seed()), null,
                    ConnectionObserver.NONE, 32768, 60999, io.usertcp.core.Shard.ONLY);
            stack = new TcpStack(config);
            settings.attach(stack);
            steps.cookies(new FastOpenCookies());
        }
        return stack;
    }

    /**
     * The stack's Fast Open server cookie (a keyed hash of the addresses: Linux
     * tcp_fastopen_cookie_gen()) in script space is the one of the addresses the script was written
     * for, under the same key; other cookies (the script's own, as a server) are left as they are.
     */
    private final class FastOpenCookies implements PacketSteps.CookieMapping {
        @Override
        public byte[] toLive(byte[] script) {
            return swap(script, scriptRemoteAddress, scriptLocalAddress, REMOTE_ADDRESS, LOCAL_ADDRESS);
        }

        @Override
        public byte[] toScript(byte[] live) {
            return swap(live, REMOTE_ADDRESS, LOCAL_ADDRESS, scriptRemoteAddress, scriptLocalAddress);
        }

        private byte[] swap(byte[] cookie, int fromClient, int fromServer, int toClient, int toServer) {
            io.usertcp.tcp.FastOpen fo = stack.fastOpen();
            return java.util.Arrays.equals(cookie, fo.cookie(fromClient, fromServer)) ? fo.cookie(toClient, toServer) : cookie;
        }
    }

    @Override
    public TcpStack existingStack() {
        return stack;
    }

    @Override
    public long nowNanos() {
        return now;
    }

    @Override
    public TcpConfig config() {
        return settings.config();
    }

    /** Sends what the stack has to send, then lets a blocked call return if it can. */
    private void pump() {
        transmit();
        blocking.poll();
    }

    @Override
    public void transmit() {
        if (stack != null) {
            stack.pollTransmit(now, link);
            sockets.transmitted();
        }
    }

    @Override
    public long scriptStartNanos() {
        return START_NANOS;
    }

    @Override
    public boolean fireNextTimer(long limit) {
        if (stack == null || stack.nextDeadlineNanos() > limit) {
            return false;
        }
        now = Math.max(now, stack.nextDeadlineNanos());
        stack.onTimeout(now);
        pump();
        return true;
    }

    @Override
    public void returned(Event.Syscall s, Syscalls.Outcome o) {
        trace.add(Trace.of(s, o));
    }

    @Override
    public long tolerance(long start, long end) {
        return header.tolerance(start, end);
    }

    /** Fires every timer due up to {@code t}, in order, then moves the clock to {@code t}. */
    private void advanceTo(long t) {
        while (fireNextTimer(t)) {
            // each step fires the timers due at the next deadline
        }
        now = Math.max(now, t);
    }

    /** The next segment the stack sends, waiting (firing timers) at most until {@code limit}; null if none. */
    private LivePacket awaitPacket(long limit) {
        while (true) {
            while (captured.isEmpty()) {
                if (!fireNextTimer(limit)) {
                    return null;
                }
            }
            LivePacket live = captured.pollFirst();
            if (!ofAnotherSocket(live)) {
                return live;
            }
            notes.add("ignored " + describe(live) + ": a segment of an earlier socket, not the one under test"
                    + " (google/packetdrill matches outbound packets of the socket under test only)");
        }
    }

    /**
     * google/packetdrill (with {@link RunOptions#isnRelative()}) sniffs only the socket under test's
     * packets (find_socket_for_live_packet()): a FIN of a socket closed before the script opened the
     * next one is skipped, not compared.
     */
    private boolean ofAnotherSocket(LivePacket live) {
        return options.isnRelative() && live.isTcp()
                && (live.tcp().sourcePort() != localPort || live.tcp().destinationPort() != remotePort);
    }

    // =====================================================================================
    // Events
    // =====================================================================================

    private void execute(Event e) {
        long base = now;
        long expected = switch (e.time().kind()) {
            case ABSOLUTE -> START_NANOS + e.time().startMicros() * 1000;
            case RELATIVE -> now + e.time().startMicros() * 1000;
            case ANY -> now;
        };
        long tolerance = tolerance(expected);
        Unemulated.check(e);
        if (e instanceof Event.Packet p && !p.packet().inbound()) {
            outbound(p, expected, tolerance);
            return;
        }
        if (e instanceof Event.Syscall) {
            blocking.awaitPending();
        }
        if (e.time().kind() != EventTime.Kind.ANY) {
            advanceTo(expected);
            if (now > expected + tolerance) {
                throw fail(e, "timing error: the " + e.kind() + " was due at " + seconds(expected)
                        + " s but could only run at " + seconds(now) + " s (tolerance " + duration(tolerance) + " s)",
                        null, null);
            }
        }
        if (e instanceof Event.Packet p) {
            inbound(p.packet());
        } else if (e instanceof Event.Icmp i) {
            // An ICMP error from the script's side, quoting one of the stack's segments (RFC 5927): the stack acts on it.
            stack().receive(now, steps.icmp(i, REMOTE_ADDRESS, LOCAL_ADDRESS, localPort, remotePort, ipId++,
                    ByteBufAllocator.DEFAULT));
            pump();
        } else if (e instanceof Event.Syscall s) {
            syscall(s, expected, base);
        } else if (e instanceof Event.Command c) {
            ShellCommands.Outcome o = shell.run(c.command());
            if (o.kind() == ShellCommands.Outcome.Kind.FAILED) {
                throw fail(e, o.text(), null, null);
            }
            if (o.kind() == ShellCommands.Outcome.Kind.UNSUPPORTED) {
                throw ScriptFailure.unsupported(e, o.text());
            }
        } else if (e instanceof Event.Code c) {
            code(c);
        }
        lastEventNanos = e.time().kind() == EventTime.Kind.ANY ? now : expected;
    }

    private long tolerance(long expected) {
        return tolerance(lastEventNanos, expected);
    }

    // ---- packets ----

    private void inbound(PacketSpec p) {
        TcpStack s = stack();
        s.receive(now, steps.inbound(current, p, REMOTE_ADDRESS, LOCAL_ADDRESS, remotePort, localPort, ipId++, notes,
                ByteBufAllocator.DEFAULT));
        pump();
    }

    private void outbound(Event.Packet e, long expected, long tolerance) {
        PacketSpec spec = e.packet();
        boolean any = e.time().kind() == EventTime.Kind.ANY;
        long latest = (e.time().isRange() ? expected + (e.time().rangeEndMicros() - e.time().startMicros()) * 1000 : expected)
                + tolerance;
        LivePacket live = awaitPacket(any ? now + ANY_TIME_LIMIT_NANOS : latest);
        if (live == null) {
            throw nothingSent(e, expected, tolerance, any, latest);
        }
        long limit = any ? now + ANY_TIME_LIMIT_NANOS : latest;
        live = steps.match(e, live, options.comparison(), () -> awaitPacket(limit));
        trace.add(Trace.of(e, steps.format(live)));
        if (!any && (live.timeNanos() < expected - tolerance || live.timeNanos() > latest)) {
            throw fail(e, "timing error: expected the outbound packet at " + seconds(expected) + " s (tolerance "
                    + duration(tolerance) + " s) but it was sent at " + seconds(live.timeNanos()) + " s",
                    spec.format() + "  at " + seconds(expected) + " s",
                    steps.format(live) + "  at " + seconds(live.timeNanos()) + " s");
        }
        lastEventNanos = any ? live.timeNanos() : expected;
    }

    private ScriptFailure nothingSent(Event.Packet e, long expected, long tolerance, boolean any, long latest) {
        String when = any ? "" : " by " + seconds(latest) + " s";
        String later = "";
        if (stack != null && !any) {
            LivePacket late = awaitPacket(latest + 60_000_000_000L);
            if (late != null) {
                later = "; the next segment came at " + seconds(late.timeNanos()) + " s: " + steps.format(late);
            }
        }
        return fail(e, "expected an outbound packet" + (any ? "" : " at " + seconds(expected) + " s (tolerance "
                + duration(tolerance) + " s)") + " but the stack sent nothing" + when + later, e.packet().format(), "(nothing)");
    }

    // ---- system calls ----

    private void syscall(Event.Syscall s, long expected, long base) {
        Syscalls.Call call;
        try {
            call = syscalls.prepare(s);
        } catch (Syscalls.Unsupported u) {
            throw ScriptFailure.unsupported(s, u.getMessage());
        }
        blocking.start(s, call, expected, blockingEnd(s.time(), expected, base), expected + tolerance(expected));
    }

    private static long blockingEnd(EventTime t, long start, long base) {
        if (!t.isBlocking()) {
            return -1;
        }
        if (t.blockingEndRelative()) {
            return start + t.blockingEndMicros() * 1000;
        }
        return (t.kind() == EventTime.Kind.RELATIVE ? base : START_NANOS) + t.blockingEndMicros() * 1000;
    }

    // ---- code ----

    /** A {@code %{ }%} block records TCP_INFO now; the blocks run once every other event has passed. */
    private void code(Event.Code c) {
        codeBlocks.record(c, sockets.state(currentFd), sockets.connection(currentFd), now);
    }

    // =====================================================================================
    // Syscalls.Host: following the socket under test
    // =====================================================================================

    @Override
    public void socketCreated(int fd) {
        currentFd = fd;
    }

    @Override
    public void bound(int fd, int port) {
        localPort = port;
    }

    @Override
    public void listening(int fd) {
        currentFd = fd;
        localPort = sockets.boundPort(fd);
        // google/packetdrill gives each passive connection a new remote port (next_ephemeral_port()), so a script
        // may listen again on the port while the first connection is still open.
        remotePort = options.isnRelative() ? REMOTE_PORT + listens++ : REMOTE_PORT;
    }

    @Override
    public void connecting(int fd) {
        currentFd = fd;
        if (sockets.connection(fd) != null) {
            localPort = sockets.connection(fd).id().localPort();
            remotePort = sockets.connection(fd).id().remotePort();
        }
    }

    @Override
    public void accepted(int fd) {
        currentFd = fd;
    }

    @Override
    public ScriptHeader header() {
        return header;
    }

    @Override
    public int remoteAddress() {
        return REMOTE_ADDRESS;
    }

    @Override
    public int scriptRemoteAddress() {
        return scriptRemoteAddress;
    }

    // =====================================================================================
    // Failures
    // =====================================================================================

    private static ScriptFailure fail(Event e, String message, String expected, String actual) {
        return ScriptFailure.at(e, message, expected, actual);
    }

    private static ScriptFailure fail(int line, String text, String message, String expected, String actual) {
        return new ScriptFailure(new RunResult.Failure(line, text, message, expected, actual));
    }

    private String describe(LivePacket p) {
        return steps.describe(p);
    }

    /** A virtual time as script seconds (since the script's time 0). */
    static String seconds(long nanos) {
        return duration(nanos - START_NANOS);
    }

    /** A duration in seconds. */
    static String duration(long nanos) {
        return PacketSteps.duration(nanos);
    }
}
