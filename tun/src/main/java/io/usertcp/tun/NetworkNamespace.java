package io.usertcp.tun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux network namespace this JVM created ({@code ip netns add usertcp-...}) and deletes again:
 * the only place a TUN device of ours may live (DESIGN.md §10).
 *
 * <p>What it offers:
 * <ul>
 *   <li>{@link #create(String)} a uniquely named namespace ({@code PREFIX-pPID-nSEQ}), loopback up,
 *       IPv6 off (our namespaces are IPv4-only, so the kernel sends no router solicitations);
 *   <li>{@link #runInside(Callable)} / {@link #submitInside(Callable)}: code on a dedicated thread
 *       that has done {@code setns(CLONE_NEWNET)} into the namespace, so that a {@link TunDevice}
 *       or a {@code java.net} socket opened there belongs to it (the socket then works from any
 *       thread);
 *   <li>{@link #exec(String...)}: a process inside ({@code ip netns exec NAME ...}), bounded by a
 *       time limit, returning its exit status and output;
 *   <li>{@link #addAddress}, {@link #linkUp}, {@link #addRoute}: configuration that refuses any
 *       address outside 198.18.0.0/15 ({@link BenchmarkRange});
 *   <li>{@link #close()} / {@link #delete()}: idempotent removal. Namespaces still alive when the
 *       JVM exits are deleted by a shutdown hook, and namespaces left by a JVM that was killed
 *       (their name carries its pid) are deleted by the next {@link #create}.
 * </ul>
 *
 * <p>Thread-safe. The inside threads are daemon threads owned by this object; {@link #delete()}
 * stops them before removing the namespace.
 */
public final class NetworkNamespace implements AutoCloseable {
    /** Every namespace name starts with this. */
    public static final String NAME_PREFIX = "usertcp-";
    /** The time limit of {@link #exec(String...)} and of the {@code ip} commands run here. */
    public static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(10);

    static final Path NETNS_DIR = Path.of("/run/netns");
    private static final Logger LOG = LoggerFactory.getLogger(NetworkNamespace.class);
    private static final Pattern PREFIX_PATTERN = Pattern.compile("usertcp-[A-Za-z0-9_.-]{0,32}");
    private static final Pattern CREATED_NAME = Pattern.compile("usertcp-(?:.*-)?p([0-9]+)-n[0-9]+");
    private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}");
    private static final int MAX_INSIDE_THREADS = 32;
    private static final int CREATE_ATTEMPTS = 8;
    private static final long STOP_THREADS_MILLIS = 2_000;

    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final Set<NetworkNamespace> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean SHUTDOWN_HOOK_INSTALLED = new AtomicBoolean();

    private final String name;
    private final String ip;
    private final NamespaceId id;
    private final ThreadPoolExecutor insideThreads;
    private final AtomicInteger threadCount = new AtomicInteger();
    private final AtomicBoolean deleted = new AtomicBoolean();

    private NetworkNamespace(String name, String ip, NamespaceId id) {
        this.name = name;
        this.ip = ip;
        this.id = id;
        this.insideThreads = new ThreadPoolExecutor(0, MAX_INSIDE_THREADS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), InsideThread::new);
    }

    /**
     * Creates a namespace named {@code PREFIX-pPID-nSEQ}, unique on this machine.
     *
     * @param prefix starts with {@code "usertcp-"}, then up to 32 of {@code [A-Za-z0-9_.-]}
     * @throws IllegalArgumentException  when the prefix does not have that form
     * @throws TunUnavailableException   when namespaces cannot be made here (not root, no {@code ip})
     * @throws IllegalStateException     when {@code ip netns add} fails for another reason
     */
    public static NetworkNamespace create(String prefix) {
        if (prefix == null || !PREFIX_PATTERN.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix: '" + prefix
                    + "' (expected: 'usertcp-' followed by up to 32 of [A-Za-z0-9_.-])");
        }
        String reason = TunSupport.checkNamespaces();
        if (reason != null) {
            throw new TunUnavailableException(reason);
        }
        String ip = TunSupport.ipCommand();
        installShutdownHookOnce();
        deleteOrphans(ip);
        String base = prefix.endsWith("-") ? prefix : prefix + "-";
        for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
            String name = base + "p" + ProcessHandle.current().pid() + "-n" + SEQUENCE.incrementAndGet();
            if (Files.exists(NETNS_DIR.resolve(name))) {
                continue;
            }
            ExecResult added = Commands.run(List.of(ip, "netns", "add", name), DEFAULT_EXEC_TIMEOUT);
            if (!added.succeeded()) {
                if (added.output().contains("exists")) {
                    continue;
                }
                if (added.timedOut() && Files.exists(NETNS_DIR.resolve(name))) {
                    Commands.run(List.of(ip, "netns", "delete", name), DEFAULT_EXEC_TIMEOUT);
                }
                throw new IllegalStateException("could not create namespace " + name + ": " + added.describe());
            }
            return initialize(name, ip);
        }
        throw new IllegalStateException("could not find a free namespace name for prefix " + prefix
                + " in " + CREATE_ATTEMPTS + " attempts");
    }

    private static NetworkNamespace initialize(String name, String ip) {
        NetworkNamespace ns;
        try {
            ns = new NetworkNamespace(name, ip, NamespaceId.of(NETNS_DIR.resolve(name)));
        } catch (RuntimeException e) {
            Commands.run(List.of(ip, "netns", "delete", name), DEFAULT_EXEC_TIMEOUT);
            throw e;
        }
        LIVE.add(ns);
        try {
            ns.ipCommand("link", "set", "dev", "lo", "up");
            ns.disableIpv6();
        } catch (RuntimeException e) {
            ns.deleteQuietly(e);
            throw e;
        }
        LOG.debug("created network namespace {}", name);
        return ns;
    }

    /** The namespace's name, as {@code ip netns list} shows it. */
    public String name() {
        return name;
    }

    /** Whether {@link #delete()} has run. */
    public boolean isDeleted() {
        return deleted.get();
    }

    /**
     * The namespace the calling thread is in, if it is one that this JVM created and has not
     * deleted; otherwise {@code null}.
     */
    public static NetworkNamespace current() {
        NamespaceId here;
        try {
            here = NamespaceId.ofCurrentThread();
        } catch (RuntimeException e) {
            return null;
        }
        for (NetworkNamespace ns : LIVE) {
            if (!ns.deleted.get() && ns.id.equals(here)) {
                return ns;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- code and processes inside

    /**
     * Runs {@code task} on a thread inside the namespace and waits for its result.
     *
     * @throws Exception whatever the task threw, as it threw it
     */
    public <T> T runInside(Callable<T> task) throws Exception {
        Future<T> future = submitInside(task);
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    /**
     * Starts {@code task} on a thread inside the namespace (at most 32 run at once).
     *
     * @throws java.util.concurrent.RejectedExecutionException when 32 are already running or the
     *         namespace was deleted
     */
    public <T> Future<T> submitInside(Callable<T> task) {
        if (task == null) {
            throw new IllegalArgumentException("task: null (expected: a Callable)");
        }
        requireLive();
        return insideThreads.submit(() -> {
            enterOnThisThread();
            return task.call();
        });
    }

    /** {@link #openTun(String, int)} with {@link TunDevice#DEFAULT_FLAGS}. */
    public TunDevice openTun(String name) {
        return openTun(name, TunDevice.DEFAULT_FLAGS);
    }

    /**
     * Opens a TUN device in this namespace ({@link TunDevice#open(String, int)} on an inside
     * thread). The caller owns the device.
     */
    public TunDevice openTun(String name, int flags) {
        try {
            return runInside(() -> TunDevice.open(name, flags));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("opening TUN device " + name + " in " + this.name + ": " + e, e);
        }
    }

    /** {@link #exec(Duration, String...)} with {@link #DEFAULT_EXEC_TIMEOUT}. */
    public ExecResult exec(String... command) {
        return exec(DEFAULT_EXEC_TIMEOUT, command);
    }

    /**
     * Runs a process inside the namespace ({@code ip netns exec NAME command...}) and waits for it,
     * at most {@code timeout}; past that it is killed and the result says {@code timedOut}.
     */
    public ExecResult exec(Duration timeout, String... command) {
        if (command == null || command.length == 0) {
            throw new IllegalArgumentException("command: empty (expected: a program and its arguments)");
        }
        requireLive();
        List<String> line = new ArrayList<>(List.of(ip, "netns", "exec", name));
        line.addAll(List.of(command));
        return Commands.run(line, timeout);
    }

    // ---------------------------------------------------------------- configuration

    /**
     * {@code ip addr add CIDR dev DEVICE} inside the namespace.
     *
     * @param cidr such as {@code "198.18.0.1/24"}; refused unless inside 198.18.0.0/15
     */
    public void addAddress(String device, String cidr) {
        requireDeviceName(device);
        BenchmarkRange.requirePrefix(cidr);
        ipCommand("addr", "add", cidr, "dev", device);
    }

    /** {@code ip link set dev DEVICE mtu MTU up} inside the namespace. */
    public void linkUp(String device, int mtu) {
        requireDeviceName(device);
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: 68..65535)");
        }
        ipCommand("link", "set", "dev", device, "mtu", Integer.toString(mtu), "up");
    }

    /**
     * {@code ip route add CIDR dev DEVICE} inside the namespace.
     *
     * @param cidr refused unless inside 198.18.0.0/15 (so never {@code default})
     */
    public void addRoute(String cidr, String device) {
        BenchmarkRange.requirePrefix(cidr);
        requireDeviceName(device);
        ipCommand("route", "add", cidr, "dev", device);
    }

    /**
     * {@code ip route add CIDR via GATEWAY dev DEVICE} inside the namespace.
     *
     * @param cidr    refused unless inside 198.18.0.0/15
     * @param gateway refused unless inside 198.18.0.0/15
     */
    public void addRoute(String cidr, String gateway, String device) {
        BenchmarkRange.requirePrefix(cidr);
        BenchmarkRange.requireAddress(gateway);
        requireDeviceName(device);
        ipCommand("route", "add", cidr, "via", gateway, "dev", device);
    }

    /** Runs {@code ip -n NAME args...}; throws {@link IllegalStateException} with its output when it fails. */
    private void ipCommand(String... args) {
        requireLive();
        List<String> line = new ArrayList<>(List.of(ip, "-n", name));
        line.addAll(List.of(args));
        ExecResult result = Commands.run(line, DEFAULT_EXEC_TIMEOUT);
        if (!result.succeeded()) {
            throw new IllegalStateException(result.describe());
        }
    }

    private static void requireDeviceName(String device) {
        if (device == null || !DEVICE_NAME.matcher(device).matches()) {
            throw new IllegalArgumentException("device: '" + device
                    + "' (expected: 1..15 of [A-Za-z0-9_.-], not starting with '.' or '-')");
        }
    }

    /** Our namespaces are IPv4-only: no IPv6 on any interface made in them (best effort). */
    private void disableIpv6() {
        try {
            runInside(() -> {
                for (String scope : List.of("all", "default")) {
                    Path knob = Path.of("/proc/sys/net/ipv6/conf", scope, "disable_ipv6");
                    if (Files.exists(knob)) {
                        Files.write(knob, "1\n".getBytes(StandardCharsets.US_ASCII));
                    }
                }
                return null;
            });
        } catch (Exception e) {
            LOG.debug("could not disable IPv6 in {}: {}", name, e.toString());
        }
    }

    // ---------------------------------------------------------------- deletion

    /** {@link #delete()}. */
    @Override
    public void close() {
        delete();
    }

    /**
     * Stops the inside threads and deletes the namespace ({@code ip netns delete}). Idempotent.
     * Close TUN devices and sockets opened inside first: while they are open the kernel keeps the
     * (then nameless) namespace alive.
     *
     * @throws IllegalStateException when the namespace is still there afterwards
     */
    public void delete() {
        if (!deleted.compareAndSet(false, true)) {
            return;
        }
        stopInsideThreads();
        Path path = NETNS_DIR.resolve(name);
        ExecResult result = null;
        for (int attempt = 0; attempt < 2 && Files.exists(path); attempt++) {
            result = Commands.run(List.of(ip, "netns", "delete", name), DEFAULT_EXEC_TIMEOUT);
        }
        if (Files.exists(path)) {
            throw new IllegalStateException("could not delete namespace " + name
                    + (result == null ? "" : ": " + result.describe()) + " (the shutdown hook tries again)");
        }
        LIVE.remove(this);
        LOG.debug("deleted network namespace {}", name);
    }

    private void deleteQuietly(Throwable primary) {
        try {
            delete();
        } catch (RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    private void stopInsideThreads() {
        insideThreads.shutdownNow();
        try {
            if (!insideThreads.awaitTermination(STOP_THREADS_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("threads inside namespace {} still running after {} ms; deleting it anyway", name, STOP_THREADS_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void requireLive() {
        if (deleted.get()) {
            throw new IllegalStateException("namespace " + name + " was deleted");
        }
    }

    private static void installShutdownHookOnce() {
        if (SHUTDOWN_HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(NetworkNamespace::deleteAllAtExit, "usertcp-netns-cleanup"));
        }
    }

    /** Last resort: namespaces a JVM created and did not delete go when it exits. */
    private static void deleteAllAtExit() {
        for (NetworkNamespace ns : LIVE) {
            try {
                Path path = NETNS_DIR.resolve(ns.name);
                if (Files.exists(path)) {
                    ns.insideThreads.shutdownNow();
                    Commands.run(List.of(ns.ip, "netns", "delete", ns.name), DEFAULT_EXEC_TIMEOUT);
                }
            } catch (RuntimeException e) {
                System.err.println("usertcp: could not delete namespace " + ns.name + " at exit: " + e);
            }
        }
    }

    /**
     * Deletes namespaces named {@code usertcp-...-pPID-nSEQ} whose process is gone: left by a JVM
     * that was killed before its shutdown hook ran. Namespaces of live processes are left alone.
     */
    private static void deleteOrphans(String ip) {
        if (!Files.isDirectory(NETNS_DIR)) {
            return;
        }
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(NETNS_DIR, NAME_PREFIX + "*")) {
            for (Path entry : entries) {
                String candidate = entry.getFileName().toString();
                Matcher matcher = CREATED_NAME.matcher(candidate);
                if (!matcher.matches()) {
                    continue;
                }
                long pid = Long.parseLong(matcher.group(1));
                if (pid != self && ProcessHandle.of(pid).isEmpty()) {
                    LOG.info("deleting namespace {} left by process {}, which is gone", candidate, pid);
                    Commands.run(List.of(ip, "netns", "delete", candidate), DEFAULT_EXEC_TIMEOUT);
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("could not look for orphaned namespaces: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- threads inside

    /** Moves the calling inside thread into the namespace, once per thread. */
    private void enterOnThisThread() {
        if (!(Thread.currentThread() instanceof InsideThread thread) || thread.owner() != this) {
            throw new IllegalStateException("not a thread of namespace " + name);
        }
        if (thread.entered) {
            return;
        }
        LibC.requireLoaded();
        String path = NETNS_DIR.resolve(name).toString();
        int fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open " + path + ": " + LibC.describe(LibC.errno()));
        }
        try {
            if (LibC.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns(" + path + ", CLONE_NEWNET): " + LibC.describe(LibC.errno()));
            }
        } finally {
            LibC.close(fd);
        }
        NamespaceId now = NamespaceId.ofCurrentThread();
        if (!now.equals(id)) {
            throw new IllegalStateException("after setns the thread is in " + now + ", not in " + name + " (" + id + ")");
        }
        thread.entered = true;
    }

    /** A daemon thread of one namespace; enters it before its first task. */
    private final class InsideThread extends Thread {
        private boolean entered;

        InsideThread(Runnable runnable) {
            super(runnable, name + "-inside-" + threadCount.incrementAndGet());
            setDaemon(true);
        }

        NetworkNamespace owner() {
            return NetworkNamespace.this;
        }
    }
}
