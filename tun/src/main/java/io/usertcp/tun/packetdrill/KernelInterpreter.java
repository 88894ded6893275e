package io.usertcp.tun.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.packetdrill.BlockingCalls;
import io.usertcp.packetdrill.CodeBlocks;
import io.usertcp.packetdrill.Comparison;
import io.usertcp.packetdrill.Event;
import io.usertcp.packetdrill.EventTime;
import io.usertcp.packetdrill.LivePacket;
import io.usertcp.packetdrill.PacketSpec;
import io.usertcp.packetdrill.PacketSteps;
import io.usertcp.packetdrill.RunResult;
import io.usertcp.packetdrill.Script;
import io.usertcp.packetdrill.ScriptHeader;
import io.usertcp.packetdrill.ScriptFailure;
import io.usertcp.packetdrill.Syscalls;
import io.usertcp.packetdrill.Trace;
import io.usertcp.packetdrill.Unemulated;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.wire.TcpFlags;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One run of one script against the Linux kernel, in real time, as google/packetdrill runs it:
 * inbound lines are written into the TUN device at their time, outbound lines are sniffed on it
 * (each packet stamped when the kernel sent it; {@link OffloadTun}) and matched, system calls are
 * made on real sockets on a thread inside the namespace (a blocking one keeps blocking there while
 * the script goes on, and its return time is checked against its {@code ...end}), shell lines run
 * inside the namespace.
 *
 * <p>Time, as packetdrill's run.c has it: {@code +t} is relative to when the previous event
 * finished (a call when it returned on its thread, a packet when it was written or sent),
 * consecutive inbound packets to the previous one's scheduled time; absolute times to the
 * start, which is after the leading untimed commands; an event must happen within
 * max(tolerance_usecs, tolerance_percent of the gap since the previous event's time). A {@code *}
 * outbound line waits at most {@link #ANY_TIME_LIMIT_NANOS}. Lateness is judged as packetdrill
 * judges it, from when this thread came to the event ({@code +t} after it started the event), so
 * that this JVM's own delays (a first call, a collection) are not blamed on the kernel; earliness
 * (a packet sent before its time) from when the previous event finished. No event is scheduled later than
 * {@link #MAX_SCRIPT_NANOS}: every wait is bounded.
 *
 * <p>Single-threaded except for the system calls; the TUN link belongs to this thread.
 */
final class KernelInterpreter implements Syscalls.Host {
    static final int REMOTE_PORT = 48123;
    /**
     * How long a call written without an end time may take before it counts as blocked: packetdrill
     * asks whether its thread sleeps in the kernel; a call that merely runs slowly (the first of a
     * run, a large write) is not blocked.
     */
    static final long BLOCKED_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long past its time an outbound packet is still waited for, to report it late rather than missing. */
    static final long LATE_PACKET_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long a {@code *} outbound line waits for a packet (real time). */
    static final long ANY_TIME_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The latest script time an event may be scheduled at (real time is spent waiting for it). */
    static final long MAX_SCRIPT_NANOS = TimeUnit.SECONDS.toNanos(300);

    /** A call on the system-call thread, its outcome and when it returned. */
    private record Done(Syscalls.Outcome outcome, long returnedNanos) {}

    /** A blocking call still running. */
    private record Pending(Event.Syscall event, Future<Done> future, long endNanos, long toleranceNanos) {}

    private final Script script;
    private final Comparison comparison;
    private final NetworkNamespace namespace;
    private final OffloadTun link;
    private final int localAddress;
    private final int remoteAddress;
    private final List<String> skipped = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<RunResult.Observation> trace = new ArrayList<>();
    private final KernelSockets sockets;
    private final Syscalls syscalls;
    private final KernelShell shell;
    private final CodeBlocks codeBlocks = new CodeBlocks();
    private final ArrayDeque<LivePacket> captured = new ArrayDeque<>();
    private PacketSteps steps;

    private long start;
    private long lastScriptNanos;
    /** When the previous event finished (what {@code +t} is relative to). */
    private long lastDoneNanos;
    private Event previous;
    private Event current;
    private Pending pending;
    private ScriptHeader header = ScriptHeader.DEFAULTS;
    private int ipId = 1;
    private int listens;
    /** Whether this thread and the system-call threads run at real-time priority (as packetdrill's). */
    private boolean realTime;
    // Set by the system-call thread (Syscalls.Host), read here.
    private volatile int localPort = ScriptHeader.DEFAULT_PORT;
    private volatile int remotePort = REMOTE_PORT;
    private volatile int currentFd = -1;
    /** The remote address the script was written for; set before the clock starts, read by the system-call thread. */
    private volatile int scriptRemoteAddress = io.usertcp.wire.Ipv4Address.parse("192.0.2.1");

    KernelInterpreter(Script script, Comparison comparison, NetworkNamespace namespace, OffloadTun link, Path workingDir,
                      int localAddress, int remoteAddress) {
        this.script = script;
        this.comparison = comparison;
        this.namespace = namespace;
        this.link = link;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.sockets = new KernelSockets(localAddress);
        this.syscalls = new Syscalls(sockets, comparison, this, notes, skipped);
        this.shell = new KernelShell(namespace, sockets, workingDir, notes, skipped);
    }

    RunResult run() {
        RunResult.Failure failure = null;
        boolean unsupported = false;
        try {
            headerOptions();
            List<Event> events = script.events();
            int i = 0;
            for (; i < events.size() && events.get(i) instanceof Event.Command c && c.time().kind() == EventTime.Kind.ANY; i++) {
                current = c;
                command(c); // packetdrill's init command: before the clock starts
            }
            warmUp();
            realTime = Runtime.getRuntime().availableProcessors() > 1 && SocketCalls.realTime(true);
            start = System.nanoTime();
            sockets.scriptStarted(java.time.Instant.now()); // SO_TIMESTAMPING reports CLOCK_REALTIME
            lastScriptNanos = start;
            lastDoneNanos = start;
            steps = new PacketSteps(start, true); // google/packetdrill: the remote side relative to its ISN
            steps.cookies(new FastOpenCookies(shell::fastOpenKey, remoteAddress, localAddress));
            for (; i < events.size(); i++) {
                current = events.get(i);
                lastDoneNanos = execute(current);
                previous = current;
            }
            current = null;
            awaitPending();
            codeBlocks.run(skipped, e -> current = e);
            current = null;
            drain();
            if (!captured.isEmpty()) {
                notes.add("the kernel sent " + captured.size() + " more packet(s) after the last scripted one, first: "
                        + steps.describe(captured.peekFirst()));
            }
        } catch (ScriptFailure f) {
            failure = f.failure();
            unsupported = f.isUnsupported();
        } catch (RuntimeException e) {
            failure = new RunResult.Failure(current == null ? 0 : current.line(), current == null ? null : current.text(),
                    "the kernel backend threw " + e, null, null);
        } finally {
            if (realTime) {
                SocketCalls.realTime(false); // this thread is the caller's: back to the normal policy
            }
            sockets.closeAll(); // wakes a call still blocked, so that the namespace's threads end
            if (pending != null) {
                pending.future().cancel(true);
            }
        }
        return Trace.result(script.name(), failure, unsupported, skipped, notes, trace);
    }

    /**
     * Starts the system-call thread and binds the socket calls before the clock starts, so that
     * the first call does not pay for a thread, a namespace switch and JNA's first binding.
     */
    private void warmUp() {
        try {
            namespace.runInside(() -> {
                try (com.sun.jna.Memory scratch = new com.sun.jna.Memory(8)) {
                    return SocketCalls.getsockopt(-1, SocketCalls.SOL_SOCKET, SocketCalls.SO_LINGER, Pointer.nativeValue(scratch),
                            0) + SocketCalls.errno(); // EBADF: the binding and the thread are ready
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("starting the system-call thread in " + namespace.name() + ": " + e, e);
        }
    }

    private void headerOptions() {
        header = ScriptHeader.parse(script.options(), (key, value) -> switch (key) {
            case "mtu" -> notes.add("--mtu=" + value + ": the TUN device's MTU");
            case "local_ip", "remote_ip", "gateway_ip", "netmask_ip" -> {
                if (key.equals("remote_ip")) {
                    scriptRemoteAddress = io.usertcp.wire.Ipv4Address.parse(value);
                }
                yield notes.add("--" + key + "=" + value + ": mapped into 198.18.0.0/15, the kernel is "
                        + io.usertcp.wire.Ipv4Address.format(localAddress) + " and the remote side "
                        + io.usertcp.wire.Ipv4Address.format(remoteAddress));
            }
            default -> false;
        }, skipped);
        localPort = header.bindPort();
    }

    // =====================================================================================
    // Real time and the TUN device
    // =====================================================================================

    private static long now() {
        return System.nanoTime();
    }

    /**
     * Reads every packet the kernel sent that is waiting on the packet socket, each stamped when the
     * kernel sent it (as packetdrill stamps them, packet_socket_receive(): SIOCGSTAMP), in this
     * clock; a malformed one is noted, not thrown (and taken off the device's queue).
     */
    private void drain() {
        PacketSniffer.Sniffed sniffed;
        while ((sniffed = link.receive()) != null) {
            long at = sniffed.sentRealtimeNanos() == 0 ? now() : Math.min(now(), sniffed.sentRealtimeNanos() - realtimeOffset());
            ByteBuf packet = sniffed.packet();
            try {
                captured.addLast(steps.decode(packet, at, !sniffed.checksumLeftToDevice()));
            } catch (IllegalStateException e) {
                notes.add("a malformed packet from the kernel at " + steps.seconds(at) + " s was dropped: " + e.getMessage());
                link.consumed();
            } finally {
                packet.release();
            }
        }
    }

    /** CLOCK_REALTIME minus this clock ({@link #now()}, CLOCK_MONOTONIC), now. */
    private static long realtimeOffset() {
        try (com.sun.jna.Memory ts = new com.sun.jna.Memory(16)) {
            long before = now();
            SocketCalls.clock_gettime(SocketCalls.CLOCK_REALTIME, Pointer.nativeValue(ts));
            long after = now();
            return ts.getLong(0) * 1_000_000_000L + ts.getLong(8) - (before + (after - before) / 2);
        }
    }

    /**
     * A packet of a connection the script has closed (its FIN, an ACK it still owes) is passed over
     * when the script has moved on to another connection: when it expects a new connection's SYN,
     * or the packet's ports are not the current connection's. packetdrill matches what it sniffs
     * against the socket the script expects a packet from.
     */
    private LivePacket skipClosedConnections(PacketSpec spec, LivePacket live, long limit) {
        boolean newConnection = (spec.flags() & TcpFlags.SYN) != 0 && (spec.flags() & TcpFlags.ACK) == 0;
        while (live != null && live.isTcp() && !live.tcp().hasFlag(TcpFlags.SYN)
                && sockets.closed(live.tcp().sourcePort(), live.tcp().destinationPort())
                && (newConnection || live.tcp().sourcePort() != localPort || live.tcp().destinationPort() != remotePort)) {
            notes.add("line " + current.line() + ": a packet of a connection the script had closed was passed over: "
                    + steps.describe(live));
            live = awaitPacket(limit);
        }
        return live;
    }

    /** Waits (reading packets, letting a blocked call finish) until {@code until} or until {@code done} holds. */
    private void waitUntil(long until, java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            long left = until - now();
            if (left <= 0) {
                drain();
                return;
            }
            link.awaitReadable(left);
            drain();
            pollPending();
        }
    }

    /**
     * The next packet the kernel sends, waiting at most until {@code limit}; null if none came. The
     * packet taken leaves the device's queue now, as packetdrill reads its tun device after each sniff.
     */
    private LivePacket awaitPacket(long limit) {
        waitUntil(limit, () -> !captured.isEmpty());
        LivePacket next = captured.pollFirst();
        if (next != null) {
            link.consumed();
        }
        return next;
    }

    private long tolerance(long lastEvent, long expected) {
        return header.tolerance(lastEvent, expected);
    }

    // =====================================================================================
    // Events
    // =====================================================================================

    /** Runs one event; returns when it finished. */
    private long execute(Event e) {
        long anchor = lastDoneNanos;
        long startedAt = now();
        boolean anchored = previous instanceof Event.Packet p1 && p1.packet().inbound()
                && e instanceof Event.Packet p2 && p2.packet().inbound();
        long expected = switch (e.time().kind()) {
            case ABSOLUTE -> start + e.time().startMicros() * 1000;
            case RELATIVE -> (anchored ? lastScriptNanos : anchor) + e.time().startMicros() * 1000;
            case ANY -> anchor;
        };
        if (expected - start > MAX_SCRIPT_NANOS) {
            throw ScriptFailure.unsupported(e, "an event at " + steps.seconds(expected) + " s: the kernel backend runs scripts"
                    + " of at most " + MAX_SCRIPT_NANOS / 1_000_000_000L + " s of real time");
        }
        long tolerance = tolerance(lastScriptNanos, expected);
        // packetdrill's own reference for lateness: +t from when it started the event.
        long dueBy = e.time().kind() == EventTime.Kind.RELATIVE && !anchored
                ? Math.max(expected, startedAt + e.time().startMicros() * 1000) : expected;
        Unemulated.check(e, true); // the kernel does TCP Fast Open (FO and FOEXP options) and takes ICMP errors
        if (e instanceof Event.Packet p && !p.packet().inbound()) {
            return outbound(p, expected, dueBy, tolerance);
        }
        if (e instanceof Event.Syscall) {
            awaitPending();
        }
        if (e.time().kind() != EventTime.Kind.ANY) {
            waitUntil(expected, () -> false);
            long late = now();
            if (previous != null && late > dueBy + tolerance) { // packetdrill does not check the first event's time
                throw ScriptFailure.at(e, "timing error: the " + e.kind() + " was due at " + steps.seconds(expected)
                        + " s but could only run at " + steps.seconds(late) + " s (tolerance "
                        + PacketSteps.duration(tolerance) + " s)", null, null);
            }
        }
        long done = now();
        if (e instanceof Event.Packet p) {
            link.transmit(steps.inbound(e, p.packet(), remoteAddress, localAddress, remotePort, localPort, ipId++, notes,
                    ByteBufAllocator.DEFAULT));
            done = now();
        } else if (e instanceof Event.Icmp i) {
            link.transmit(steps.icmp(i, remoteAddress, localAddress, localPort, remotePort, ipId++, ByteBufAllocator.DEFAULT));
            done = now();
        } else if (e instanceof Event.Syscall s) {
            done = syscall(s, expected, anchor, tolerance);
        } else if (e instanceof Event.Command c) {
            command(c);
            done = now();
        } else if (e instanceof Event.Code c) {
            TcpInfo info = sockets.tcpInfo(currentFd);
            codeBlocks.record(c, info == null ? null : info.state(), name -> info == null ? TcpInfo.constant(name) : info.value(name),
                    "the kernel's");
        }
        lastScriptNanos = e.time().kind() == EventTime.Kind.ANY ? done : expected;
        return done;
    }

    private void command(Event.Command c) {
        KernelShell.Outcome o = shell.run(c.command());
        if (o.failed()) {
            throw ScriptFailure.at(c, o.text(), null, null);
        }
    }

    private long outbound(Event.Packet e, long expected, long dueBy, long tolerance) {
        boolean any = e.time().kind() == EventTime.Kind.ANY;
        long latest = (e.time().isRange() ? dueBy + (e.time().rangeEndMicros() - e.time().startMicros()) * 1000 : dueBy)
                + tolerance;
        long limit = any ? now() + ANY_TIME_LIMIT_NANOS : latest;
        LivePacket live = skipClosedConnections(e.packet(), awaitPacket(limit), limit);
        if (live == null && !any) {
            // As packetdrill reports it: a packet that comes late is a timing error, with when it came.
            LivePacket late = awaitPacket(limit + LATE_PACKET_NANOS);
            if (late != null) {
                throw ScriptFailure.at(e, "timing error: expected the outbound packet at " + steps.seconds(expected)
                        + " s (tolerance " + PacketSteps.duration(tolerance) + " s) but it was sent at "
                        + steps.seconds(late.timeNanos()) + " s", e.packet().format() + "  at " + steps.seconds(expected) + " s",
                        steps.describe(late));
            }
        }
        if (live == null) {
            throw ScriptFailure.at(e, "expected an outbound packet" + (any ? "" : " at " + steps.seconds(expected)
                    + " s (tolerance " + PacketSteps.duration(tolerance) + " s)") + " but the kernel sent nothing by "
                    + steps.seconds(limit) + " s", e.packet().format(), "(nothing)");
        }
        live = steps.match(e, live, comparison, () -> awaitPacket(limit));
        if (live.isTcp() && live.tcp().hasFlag(TcpFlags.SYN) && !live.tcp().hasFlag(TcpFlags.ACK)) {
            // The kernel connects: its ephemeral port, before connect() returns. From the SYN that matched: another
            // socket's retransmitted SYN may have come first (PacketSteps.match passes over it, as packetdrill does).
            localPort = live.tcp().sourcePort();
            remotePort = live.tcp().destinationPort();
        }
        trace.add(Trace.of(e, steps.format(live)));
        if (!any && (live.timeNanos() < expected - tolerance || live.timeNanos() > latest)) {
            throw ScriptFailure.at(e, "timing error: expected the outbound packet at " + steps.seconds(expected)
                    + " s (tolerance " + PacketSteps.duration(tolerance) + " s) but it was sent at "
                    + steps.seconds(live.timeNanos()) + " s", e.packet().format() + "  at " + steps.seconds(expected) + " s",
                    steps.describe(live));
        }
        lastScriptNanos = any ? live.timeNanos() : expected;
        return live.timeNanos();
    }

    // ---- system calls ----

    /** Makes the call; returns when it returned (a blocking one: when it started). */
    private long syscall(Event.Syscall s, long expected, long anchor, long tolerance) {
        Syscalls.Call call;
        try {
            call = syscalls.prepare(s);
        } catch (Syscalls.Unsupported u) {
            throw ScriptFailure.unsupported(s, u.getMessage());
        }
        CompletableFuture<Done> future = new CompletableFuture<>();
        boolean rt = realTime;
        namespace.submitInside(() -> {
            try {
                if (rt) {
                    SocketCalls.realTime(true); // the namespace's thread, deleted with it
                }
                future.complete(new Done(call.attempt(), now()));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            } finally {
                link.wakeup(); // after completing, so that this thread sees the call done when it wakes
            }
            return null;
        });
        EventTime t = s.time();
        if (t.isBlocking()) {
            long end = t.blockingEndRelative() ? expected + t.blockingEndMicros() * 1000
                    : (t.kind() == EventTime.Kind.RELATIVE ? anchor : start) + t.blockingEndMicros() * 1000;
            pending = new Pending(s, future, end, tolerance(expected, end));
            return now();
        }
        waitUntil(Math.max(now(), expected + tolerance) + BLOCKED_AFTER_NANOS, future::isDone);
        if (!future.isDone()) {
            throw ScriptFailure.at(s, "the call blocked; a blocking call is written start...end in a script",
                    BlockingCalls.expectedResult(s), "(blocked)");
        }
        Done done = outcome(s, future);
        check(s, done);
        return done.returnedNanos();
    }

    private void check(Event.Syscall s, Done done) {
        trace.add(Trace.of(s, done.outcome()));
        BlockingCalls.checkResult(s, done.outcome());
    }

    private static Done outcome(Event.Syscall s, Future<Done> future) {
        try {
            return future.get(0, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Syscalls.Unsupported u) {
                throw ScriptFailure.unsupported(s, u.getMessage());
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + s.call() + " ran", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(s.call() + " has not returned", e);
        }
    }

    /** A blocked call that has returned meanwhile is checked now (its return time is when it returned). */
    private void pollPending() {
        if (pending != null && pending.future().isDone()) {
            finishPending();
        }
    }

    /** Waits for the blocked call, if any, until its end time plus tolerance; fails if it has not returned. */
    private void awaitPending() {
        Pending p = pending;
        if (p == null) {
            return;
        }
        long limit = p.endNanos() + p.toleranceNanos();
        waitUntil(limit, () -> pending == null || p.future().isDone());
        if (pending == null) {
            return;
        }
        if (!p.future().isDone()) {
            throw ScriptFailure.at(p.event(), "the blocking call had not returned by " + steps.seconds(limit) + " s",
                    BlockingCalls.expectedResult(p.event()) + " at " + steps.seconds(p.endNanos()) + " s", "(still blocked)");
        }
        finishPending();
    }

    private void finishPending() {
        Pending p = pending;
        pending = null;
        Done done = outcome(p.event(), p.future());
        long end = p.endNanos();
        long tol = p.toleranceNanos();
        if (done.returnedNanos() < end - tol || done.returnedNanos() > end + tol) {
            throw ScriptFailure.at(p.event(), "timing error: the call should return at " + steps.seconds(end) + " s (tolerance "
                    + PacketSteps.duration(tol) + " s) but returned at " + steps.seconds(done.returnedNanos()) + " s",
                    BlockingCalls.expectedResult(p.event()), null);
        }
        check(p.event(), done);
    }

    // =====================================================================================
    // Syscalls.Host: following the socket under test (called on the system-call thread)
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
        int port = sockets.boundPort(fd);
        localPort = port == 0 ? localPort : port;
        // packetdrill gives each listening socket's connection a fresh remote port (a unique 4-tuple),
        // so that a script's second connection is not taken for its first one, still open.
        remotePort = REMOTE_PORT + listens++;
    }

    @Override
    public void connecting(int fd) {
        currentFd = fd;
        int port = sockets.boundPort(fd);
        if (port != 0) {
            localPort = port;
        }
        remotePort = header.connectPort();
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
        return remoteAddress;
    }

    /** The script's remote address (packetdrill's 192.0.2.1, or --remote_ip): a TCP_MD5SIG key that covers it is the peer's. */
    @Override
    public int scriptRemoteAddress() {
        return scriptRemoteAddress;
    }
}
