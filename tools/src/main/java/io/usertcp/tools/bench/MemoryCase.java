package io.usertcp.tools.bench;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.AsyncTcpConnection;
import io.usertcp.socket.AsyncTcpServer;
import io.usertcp.tools.bench.HolderProcess.Opened;
import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tools.bench.Setup.Loss;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.TunUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Memory per idle established connection and per TIME-WAIT entry, at each of
 * {@link BenchOptions#memoryCounts}. The kernel's ends are held by {@link ConnectionHolder}
 * processes inside the namespace (several: one process may hold only 20 000 sockets here), each
 * dialling from an address of its own, 198.18.0.10, .11, ..., and ports 20000.., so that 100 000
 * connections need no more than 15 000 ports per address. Three passes per count, each in a fresh
 * namespace:
 * <ol>
 *   <li>established: the holders open and keep N connections to our server, which keeps each
 *       accepted connection. Ours = (heap + direct after GC) delta / N; the kernel's = its socket
 *       slab caches' delta plus one file each, / N ({@link KernelMemory}), for its ends of the same
 *       connections;</li>
 *   <li>our TIME-WAIT: our server closes each connection at once and the holder closes when it
 *       sees the end of stream, so the entries are ours; heap delta / our TIME-WAIT count;</li>
 *   <li>the kernel's TIME-WAIT: the holders close first, our server closes on the end of stream;
 *       slab delta / the namespace's TIME-WAIT count (sockstat).</li>
 * </ol>
 * Our TIME-WAIT is lengthened to 30 minutes here (the entry's size does not depend on it) so that
 * no entry expires while they are counted; the kernel's lasts its fixed 60 s, so the passes are
 * bounded well below that. The per-namespace tcp_max_tw_buckets is raised in our namespace only.
 */
final class MemoryCase {
    static final int PER_HOLDER = 15_000;
    static final int FIRST_CLIENT_HOST = 10;
    /** Each holder dials from ports 20000.. of its own address (15 000 of them at most). */
    static final int FIRST_CLIENT_PORT = 20_000;
    private static final int PORT = 5005;
    private static final long LONG_TIME_WAIT_NANOS = 30 * 60 * 1_000_000_000L;
    private static final long HOLDER_START_MILLIS = 60_000;
    private static final long SETTLE_MILLIS = 20_000;

    private MemoryCase() {}

    /** Both sides' figures of one pass, or one failure for both. */
    record Pair(Figure ours, Figure kernel) {}

    /** The memory case: two rows per count. */
    static List<Measurement> run(BenchOptions o, Progress p) {
        List<Measurement> rows = new ArrayList<>();
        for (int n : o.memoryCounts()) {
            Pair established = attempt(p, "memory established " + n, () -> established(n, o));
            rows.add(Figure.row(BenchCase.MEMORY, "idle established, " + n + " connections", "B/conn", Better.LOWER,
                    established.ours(), established.kernel()));
            Figure oursTw = Figure.attempt(p, "memory usertcp TIME-WAIT " + n, "B/entry", () -> oursTimeWait(n, o));
            Figure kernelTw = Figure.attempt(p, "memory kernel TIME-WAIT " + n, "B/entry", () -> kernelTimeWait(n, o));
            rows.add(Figure.row(BenchCase.MEMORY, "TIME-WAIT, " + n + " entries", "B/entry", Better.LOWER, oursTw, kernelTw));
        }
        return rows;
    }

    private interface PairSource {
        Pair measure() throws Exception;
    }

    private static Pair attempt(Progress p, String what, PairSource source) {
        Pair[] result = new Pair[1];
        Figure ours = Figure.attempt(p, what, "B/conn (ours)", () -> {
            result[0] = source.measure();
            return result[0].ours();
        });
        if (result[0] == null) {
            return new Pair(ours, Figure.failed(ours.error()));
        }
        p.say(what + ": kernel " + ResultTable.number(result[0].kernel().value()) + " B/conn");
        return result[0];
    }

    // ---------------------------------------------------------------- the passes

    private static Pair established(int n, BenchOptions o) throws Exception {
        AsyncTcpConnection[] kept = new AsyncTcpConnection[n];
        AtomicInteger accepted = new AtomicInteger();
        try (TunSetup s = start(n, o)) {
            try (AsyncTcpServer server = AsyncTcpServer.listen(s.runner(), PORT, 4096, c -> {
                int i = accepted.getAndIncrement();
                if (i < kept.length) {
                    kept[i] = c; // an application that holds its connections, as a server would
                } else {
                    c.abort();
                }
            })) {
                Holders holders = Holders.start(s.clientNamespace(), n);
                try {
                    HeapMeter.Sample heap0 = HeapMeter.measure();
                    KernelMemory.Snapshot kernel0 = KernelMemory.snapshot(s.clientNamespace());
                    long opened = holders.open("hold", n, o);
                    awaitCount(() -> accepted.get(), opened, "connections accepted by our server");
                    HeapMeter.Sample heap1 = HeapMeter.measure();
                    KernelMemory.Snapshot kernel1 = KernelMemory.snapshot(s.clientNamespace());
                    long ours = Math.min(accepted.get(), kept.length);
                    Map<String, Object> od = oursDetails(heap0, heap1, ours);
                    // each kernel end holds a file descriptor in its holder process
                    Map<String, Object> kd = kernelDetails(kernel0, kernel1, opened, opened);
                    return new Pair(Figure.of((double) (heap1.total() - heap0.total()) / ours, od),
                            Figure.of((double) kernel1.bytesSince(kernel0, opened) / opened, kd));
                } finally {
                    holders.close();
                }
            }
        }
    }

    private static Figure oursTimeWait(int n, BenchOptions o) throws Exception {
        try (TunSetup s = start(n, o)) {
            StackRunner runner = s.runner();
            // our side closes first, at once: FIN-WAIT-1, -2, then TIME-WAIT when the holder closes
            try (AsyncTcpServer server = AsyncTcpServer.listen(runner, PORT, 4096, AsyncTcpConnection::close)) {
                Holders holders = Holders.start(s.clientNamespace(), n);
                try {
                    HeapMeter.Sample heap0 = HeapMeter.measure();
                    long opened = holders.open("await", n, o);
                    LongSupplier tw = () -> runner.call(now -> (long) runner.stack().timeWaitCount());
                    awaitCount(tw, opened, "our TIME-WAIT entries");
                    HeapMeter.Sample heap1 = HeapMeter.measure();
                    long entries = tw.getAsLong();
                    Map<String, Object> details = oursDetails(heap0, heap1, entries);
                    if (entries < opened) {
                        details.put("stackAfter", stackSummary(runner)); // where the others went
                    }
                    return Figure.of((double) (heap1.total() - heap0.total()) / entries, details);
                } finally {
                    holders.close();
                }
            }
        }
    }

    private static Figure kernelTimeWait(int n, BenchOptions o) throws Exception {
        try (TunSetup s = start(n, o)) {
            StackRunner runner = s.runner();
            NetworkNamespace ns = s.clientNamespace();
            // the holder closes first; we close when we read its end of stream: LAST-ACK, CLOSED
            try (AsyncTcpServer server = AsyncTcpServer.listen(runner, PORT, 4096, MemoryCase::closeAtEndOfStream)) {
                Holders holders = Holders.start(ns, n);
                try {
                    KernelMemory.Snapshot kernel0 = KernelMemory.snapshot(ns);
                    long opened = holders.open("close", n, o);
                    awaitCount(() -> opened - runner.call(now -> (long) runner.stack().connectionCount()), opened,
                            "our side's closes");
                    awaitCount(() -> sockstatTimeWait(ns), opened, "kernel TIME-WAIT entries");
                    KernelMemory.Snapshot kernel1 = KernelMemory.snapshot(ns);
                    long entries = kernel1.tcp().timeWait();
                    // a TIME-WAIT entry has no file: its socket was closed
                    return Figure.of((double) kernel1.bytesSince(kernel0, 0) / entries, kernelDetails(kernel0, kernel1, entries, 0));
                } finally {
                    holders.close();
                }
            }
        }
    }

    /** Our connections by state, and the stack's non-zero counters: for a pass that fell short. */
    static String stackSummary(StackRunner runner) {
        return runner.call(now -> {
            Map<String, Integer> states = new TreeMap<>();
            runner.stack().snapshot(now).forEach(c -> states.merge(c.state().name(), 1, Integer::sum));
            return "states " + states + ", counters " + runner.stack().stats().snapshot();
        });
    }

    private static void closeAtEndOfStream(AsyncTcpConnection c) {
        c.read().whenComplete((bytes, failure) -> {
            if (failure != null || bytes == null) {
                c.close();
            } else {
                closeAtEndOfStream(c); // the holder sends nothing; read on until its FIN
            }
        });
    }

    private static long sockstatTimeWait(NetworkNamespace ns) {
        try {
            return KernelMemory.sockstat(ns).timeWait();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- set-up and helpers

    /**
     * Our stack in the run's profile, its TIME-WAIT lengthened, and the namespace made ready for
     * {@code n} kernel sockets.
     */
    private static TunSetup start(int n, BenchOptions o) {
        TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE,
                tcp -> tcp.toBuilder().timeWaitNanos(LONG_TIME_WAIT_NANOS).maxTimeWaitEntries(Math.max(262_144, 2 * n)).build(),
                TunStackHost.offloadsByDefault());
        try {
            NetworkNamespace ns = s.clientNamespace();
            Sysctl.set(ns, "net.ipv4.tcp_max_tw_buckets", Integer.toString(Math.max(262_144, 2 * n)));
            for (int i = 0; i < holderCount(n); i++) {
                ns.addAddress(TunStackHost.DEVICE, clientAddress(i) + "/32");
            }
            return s;
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    static int holderCount(int n) {
        return (n + PER_HOLDER - 1) / PER_HOLDER;
    }

    /** The address holder {@code i} dials from: 198.18.0.10 + i. */
    static String clientAddress(int i) {
        if (i < 0 || FIRST_CLIENT_HOST + i > 250) {
            throw new IllegalArgumentException("holder: " + i + " (expected: 0.." + (250 - FIRST_CLIENT_HOST) + ")");
        }
        return "198.18.0." + (FIRST_CLIENT_HOST + i);
    }

    /**
     * Waits (bounded) until {@code count} reaches {@code target}, or stops moving for 5 s.
     *
     * @return the count reached
     * @throws IllegalStateException when it stayed below 90 % of the target: something is stuck
     */
    private static long awaitCount(LongSupplier count, long target, String what) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000L;
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            long now = count.getAsLong();
            if (now >= target) {
                return now;
            }
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            }
            if (System.nanoTime() > deadline || System.nanoTime() - lastChange > 5_000_000_000L) {
                if (now < target * 0.9) {
                    throw new IllegalStateException(what + ": " + now + " of " + target + " after waiting");
                }
                return now;
            }
            Thread.sleep(20); // polling another thread's counter; the stack has no event for "N reached"
        }
    }

    private static Map<String, Object> oursDetails(HeapMeter.Sample before, HeapMeter.Sample after, long count) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("count", count);
        d.put("heapDeltaBytes", after.heapBytes() - before.heapBytes());
        d.put("directDeltaBytes", after.directBytes() - before.directBytes());
        return d;
    }

    private static Map<String, Object> kernelDetails(KernelMemory.Snapshot before, KernelMemory.Snapshot after, long count,
                                                     long socketFiles) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("count", count);
        d.put("bytes", after.bytesSince(before, socketFiles));
        after.cacheDeltas(before).forEach((cache, bytes) -> d.put("cache." + cache, bytes));
        d.put("socketFilesCounted", socketFiles);
        d.put("bytesPerSocketFile", after.fileObjectBytes());
        after.fileCacheDeltas(before).forEach((cache, bytes) -> d.put("measuredNotCounted." + cache, bytes));
        d.put("tcpMemDeltaPages", after.tcp().memPages() - before.tcp().memPages());
        d.put("allSlabDeltaBytes", after.slabActiveBytes() - before.slabActiveBytes());
        return d;
    }

    /** The holder processes of one pass, N connections split among them. */
    private static final class Holders implements AutoCloseable {
        private final List<HolderProcess> processes;

        private Holders(List<HolderProcess> processes) {
            this.processes = processes;
        }

        /** Starts as many holders as {@code n} connections need, and waits until each is ready. */
        static Holders start(NetworkNamespace ns, int n) throws Exception {
            List<HolderProcess> started = new ArrayList<>();
            Holders h = new Holders(started);
            try {
                for (int i = 0; i < holderCount(n); i++) {
                    started.add(HolderProcess.start(ns));
                }
                for (HolderProcess holder : started) {
                    holder.awaitReady(HOLDER_START_MILLIS);
                }
                return h;
            } catch (Exception | Error e) {
                h.close();
                throw e;
            }
        }

        /**
         * Has every holder open its share in {@code mode}, all at once, and waits for them.
         *
         * @return connections opened
         */
        long open(String mode, int total, BenchOptions o) throws Exception {
            long millis = openBudgetMillis(o);
            int threads = o.quick() ? 2 : 4;
            for (int i = 0; i < processes.size(); i++) {
                int share = Math.min(PER_HOLDER, total - i * PER_HOLDER);
                processes.get(i).open(mode, share, clientAddress(i), FIRST_CLIENT_PORT, TunStackHost.STACK_ADDRESS.toString(),
                        PORT, threads, millis);
            }
            long ok = 0;
            long failed = 0;
            String firstError = null;
            for (HolderProcess holder : processes) {
                Opened r = holder.awaitOpened(millis + HOLDER_START_MILLIS);
                ok += r.ok();
                failed += r.failed();
                firstError = firstError == null ? r.firstError() : firstError;
            }
            // a few failed connects (a loaded machine) leave the figure valid: it divides by the
            // count reached; many mean something is broken
            if (ok < total * 0.99) {
                throw new IllegalStateException("opened " + ok + " of " + total + " connections in mode " + mode + " ("
                        + failed + " failed" + (firstError == null ? "" : ", first: " + firstError) + ")");
            }
            return ok;
        }

        /** The kernel's TIME-WAIT lasts 60 s: open them all well within it. */
        private static long openBudgetMillis(BenchOptions o) {
            return o.quick() ? 20_000 : 45_000;
        }

        @Override
        public void close() {
            for (HolderProcess holder : processes) {
                holder.close();
            }
        }
    }

    /** Throws when the memory case cannot run here, before anything is made. */
    static void requireAvailable() {
        String why = KernelMemory.missing();
        if (why != null) {
            throw new TunUnavailableException(why);
        }
        HolderProcess.javaCommand();
    }
}
