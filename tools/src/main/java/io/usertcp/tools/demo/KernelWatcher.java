package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tun.NetworkNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Watches the kernel's TCP sockets in a namespace by polling {@code /proc/thread-self/net/tcp}
 * (and {@code tcp6}, where dual-stack sockets list their IPv4 connections)
 * (the table {@code ss -tan} prints) from a thread inside it: a read costs microseconds, where
 * running {@code ss} costs a process, so states are seen within one poll interval.
 *
 * <p>Bounded (DESIGN.md §10): it stops by itself after {@code maxDurationMillis}, or at
 * {@link #close()}. Listeners are called on the watcher's thread.
 */
public final class KernelWatcher implements AutoCloseable {
    /** The {@code from} of a socket seen for the first time. */
    public static final String NEW = "(new)";
    /** The {@code to} of a socket that disappeared from the table. */
    public static final String GONE = "CLOSED";
    /** The thread's own view of /proc: the network namespace it has entered. */
    static final Path PROC_NET_TCP = Path.of("/proc/thread-self/net/tcp");
    /** Dual-stack sockets ({@code java.net}'s) list their IPv4 connections here, v4-mapped. */
    static final Path PROC_NET_TCP6 = Path.of("/proc/thread-self/net/tcp6");

    private final List<Consumer<KernelStateChange>> listeners = new CopyOnWriteArrayList<>();
    private final Map<ConnectionId, KernelSocket> current = new LinkedHashMap<>();
    private final Map<ConnectionId, List<String>> history = new LinkedHashMap<>();
    private final List<KernelStateChange> changes = new ArrayList<>();
    private final long pollNanos;
    private final long deadlineNanos;
    private volatile boolean stopped;
    private long polls;
    private Future<?> task;

    private KernelWatcher(long pollMillis, long maxDurationMillis) {
        this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
        this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxDurationMillis);
    }

    /**
     * Starts polling inside {@code namespace}.
     *
     * @param pollMillis        time between polls, 1..1000
     * @param maxDurationMillis the watcher stops by itself after this long
     */
    public static KernelWatcher start(NetworkNamespace namespace, long pollMillis, long maxDurationMillis) {
        if (pollMillis < 1 || pollMillis > 1000 || maxDurationMillis < 1) {
            throw new IllegalArgumentException("pollMillis " + pollMillis + ", maxDurationMillis " + maxDurationMillis
                    + " (expected: 1..1000 and > 0)");
        }
        KernelWatcher watcher = new KernelWatcher(pollMillis, maxDurationMillis);
        watcher.pollOnce(namespace); // the table as it is now, before anyone waits on it
        watcher.task = namespace.submitInside(() -> {
            watcher.loop();
            return null;
        });
        return watcher;
    }

    private void pollOnce(NetworkNamespace namespace) {
        try {
            namespace.runInside(() -> {
                update(read());
                return null;
            });
        } catch (Exception e) {
            throw new IllegalStateException("reading " + PROC_NET_TCP + " inside " + namespace.name() + ": " + e, e);
        }
    }

    /** Calls {@code listener} on the watcher's thread for every change from now on. */
    public void addListener(Consumer<KernelStateChange> listener) {
        listeners.add(listener);
    }

    private void loop() throws InterruptedException {
        while (!stopped && System.nanoTime() < deadlineNanos && !Thread.currentThread().isInterrupted()) {
            List<KernelSocket> table;
            try {
                table = read();
            } catch (IOException e) {
                return; // the namespace is going away
            }
            update(table);
            TimeUnit.NANOSECONDS.sleep(pollNanos);
        }
    }

    /** The namespace's TCP sockets; must run on a thread inside it. */
    static List<KernelSocket> read() throws IOException {
        List<KernelSocket> all = new ArrayList<>(
                KernelSocket.parseProcNetTcp(new String(Files.readAllBytes(PROC_NET_TCP), StandardCharsets.US_ASCII)));
        if (Files.exists(PROC_NET_TCP6)) {
            all.addAll(KernelSocket.parseProcNetTcp(new String(Files.readAllBytes(PROC_NET_TCP6), StandardCharsets.US_ASCII)));
        }
        return all;
    }

    /** Applies one poll's table: new sockets, changed states and vanished sockets become changes. */
    void update(List<KernelSocket> table) {
        long now = System.nanoTime();
        List<KernelStateChange> found = new ArrayList<>();
        synchronized (this) {
            polls++;
            Map<ConnectionId, KernelSocket> seen = new HashMap<>();
            for (KernelSocket s : table) {
                if (s.isListener()) {
                    continue;
                }
                ConnectionId id = s.asSeenByPeer();
                seen.put(id, s);
                KernelSocket before = current.get(id);
                if (before == null || !before.state().equals(s.state())) {
                    found.add(new KernelStateChange(now, id, before == null ? NEW : before.state(), s.state(), s));
                }
            }
            for (Map.Entry<ConnectionId, KernelSocket> e : current.entrySet()) {
                if (!seen.containsKey(e.getKey())) {
                    found.add(new KernelStateChange(now, e.getKey(), e.getValue().state(), GONE, e.getValue()));
                }
            }
            current.clear();
            current.putAll(seen);
            for (KernelStateChange c : found) {
                history.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(c.to());
                changes.add(c);
            }
            notifyAll();
        }
        for (KernelStateChange c : found) {
            for (Consumer<KernelStateChange> listener : listeners) {
                listener.accept(c);
            }
        }
    }

    /** The kernel's connections at the last poll (listeners excluded), keyed as our stack names them. */
    public synchronized Map<ConnectionId, KernelSocket> current() {
        return Map.copyOf(current);
    }

    /** The states the kernel's socket for {@code id} was seen in, in order ({@link #GONE} last once it vanished). */
    public synchronized List<String> statesOf(ConnectionId id) {
        return List.copyOf(history.getOrDefault(id, List.of()));
    }

    /** Every change seen so far, oldest first. */
    public synchronized List<KernelStateChange> changes() {
        return List.copyOf(changes);
    }

    /** Changes seen for one connection. */
    public synchronized List<KernelStateChange> changesOf(ConnectionId id) {
        return changes.stream().filter(c -> c.id().equals(id)).toList();
    }

    public synchronized long polls() {
        return polls;
    }

    /** Whether the watcher is still polling. */
    public boolean isRunning() {
        return task != null && !task.isDone();
    }

    /**
     * Waits until the table at some poll satisfies {@code wanted}, at most {@code timeoutMillis}.
     *
     * @return whether it did
     */
    public synchronized boolean await(Predicate<Map<ConnectionId, KernelSocket>> wanted, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!wanted.test(current)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !isRunning()) {
                return wanted.test(current);
            }
            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return true;
    }

    /** Waits until the kernel's socket for {@code id} has been seen in {@code state} (now or before). */
    public synchronized boolean awaitState(ConnectionId id, String state, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!history.getOrDefault(id, List.of()).contains(state)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !isRunning()) {
                return history.getOrDefault(id, List.of()).contains(state);
            }
            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return true;
    }

    /** How many kernel connections are in {@code state} now. */
    public synchronized long count(String state) {
        return current.values().stream().filter(s -> s.state().equals(state)).count();
    }

    /** Stops polling. Idempotent. */
    @Override
    public void close() {
        stopped = true;
        if (task != null) {
            task.cancel(true);
        }
    }
}
