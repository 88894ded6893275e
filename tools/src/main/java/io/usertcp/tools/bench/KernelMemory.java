package io.usertcp.tools.bench;

import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's memory for TCP sockets, from the slab. Two kinds of cache:
 * <ul>
 *   <li>the socket's own caches, measured as objects in use × slab size before and after:
 *       {@code TCP} (struct tcp_sock), {@code sock_inode_cache} (struct socket and its inode),
 *       {@code tw_sock_TCP} (a TIME-WAIT entry), {@code request_sock_TCP}, and
 *       {@code tcp_bind_bucket}/{@code tcp_bind2_bucket} (one per bound port). SLUB merges small
 *       caches of equal size into one; {@code /sys/kernel/slab/NAME} then is a link to the merged
 *       cache, which is counted once (with whatever else shares it);</li>
 *   <li>the caches every open file uses, {@code dentry} and {@code filp}: a socket with a file
 *       descriptor has exactly one of each (sock_alloc_file), but every process on the machine
 *       allocates and frees them all the time (a build deleting its output frees thousands of
 *       dentries at once), so their delta is mostly other people's noise. They are counted, not
 *       measured: one of each, at its slab size, per socket that holds a file. Their measured
 *       deltas are reported beside.</li>
 * </ul>
 * TCP's pages for buffered data ({@code /proc/net/sockstat} "mem") are reported too but not
 * added: idle connections buffer nothing, and the counter is machine-wide.
 */
final class KernelMemory {
    static final Path SLABINFO = Path.of("/proc/slabinfo");
    static final Path SYS_SLAB = Path.of("/sys/kernel/slab");
    static final List<String> SOCKET_CACHES = List.of("TCP", "sock_inode_cache", "tw_sock_TCP", "request_sock_TCP",
            "tcp_bind_bucket", "tcp_bind2_bucket");
    static final List<String> FILE_CACHES = List.of("dentry", "filp");

    private KernelMemory() {}

    /**
     * One look at the slab and at one namespace's TCP counters.
     *
     * @param cacheBytes      bytes in use per socket cache (keyed by its /sys/kernel/slab directory)
     * @param fileCacheBytes  bytes in use in dentry and filp (for the details only)
     * @param fileObjectBytes slab size of one dentry plus one filp: what a socket's file costs
     */
    record Snapshot(Map<String, Long> cacheBytes, Map<String, Long> fileCacheBytes, long fileObjectBytes,
                    long slabActiveBytes, SockStat tcp) {
        /** Bytes more than {@code before}: the socket caches' delta, plus one file per socket holding one. */
        long bytesSince(Snapshot before, long socketFiles) {
            long sum = 0;
            for (var e : cacheBytes.entrySet()) {
                sum += e.getValue() - before.cacheBytes.getOrDefault(e.getKey(), 0L);
            }
            return sum + socketFiles * fileObjectBytes;
        }

        /** Per-cache deltas of the socket caches, for the details. */
        Map<String, Long> cacheDeltas(Snapshot before) {
            return deltas(cacheBytes, before.cacheBytes);
        }

        /** Measured dentry and filp deltas (noisy), for the details. */
        Map<String, Long> fileCacheDeltas(Snapshot before) {
            return deltas(fileCacheBytes, before.fileCacheBytes);
        }

        private static Map<String, Long> deltas(Map<String, Long> after, Map<String, Long> before) {
            Map<String, Long> d = new LinkedHashMap<>();
            after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
            return d;
        }
    }

    /** The TCP line of {@code /proc/net/sockstat} in a namespace. */
    record SockStat(long inUse, long orphans, long timeWait, long allocated, long memPages) {}

    /** Whether the slab can be read here (root, and a kernel that shows it). */
    static String missing() {
        if (!Files.isReadable(SLABINFO) || !Files.isDirectory(SYS_SLAB)) {
            return "cannot read " + SLABINFO + " and " + SYS_SLAB
                    + " (needed for the kernel's side of the memory case): run as root";
        }
        return null;
    }

    static Snapshot snapshot(NetworkNamespace ns) throws IOException {
        long fileObject = 0;
        for (String name : FILE_CACHES) {
            fileObject += Long.parseLong(Files.readString(SYS_SLAB.resolve(name).toRealPath().resolve("slab_size")).trim());
        }
        return new Snapshot(caches(SOCKET_CACHES), caches(FILE_CACHES), fileObject,
                slabActiveBytes(Files.readAllLines(SLABINFO)), sockstat(ns));
    }

    /**
     * Bytes in use per cache, keyed by the cache's directory under /sys/kernel/slab (so a merged
     * cache appears once, under its merged name, e.g. {@code :A-0000128}).
     */
    static Map<String, Long> caches(List<String> names) throws IOException {
        Map<String, Long> bytes = new LinkedHashMap<>();
        for (String name : names) {
            Path dir = SYS_SLAB.resolve(name);
            if (!Files.exists(dir)) {
                continue; // not in this kernel (e.g. no bind2 buckets before 6.1)
            }
            Path real = dir.toRealPath();
            String key = real.getFileName().toString();
            if (bytes.containsKey(key)) {
                continue;
            }
            long objects = Long.parseLong(Files.readString(real.resolve("objects")).trim().split("\\s+")[0]);
            long size = Long.parseLong(Files.readString(real.resolve("slab_size")).trim());
            bytes.put(key, objects * size);
        }
        return bytes;
    }

    /**
     * Σ active_objs × objsize over the caches of a slabinfo 2.x text (two heading lines, then
     * {@code name active_objs num_objs objsize ...}).
     */
    static long slabActiveBytes(List<String> lines) {
        long total = 0;
        for (String line : lines) {
            if (line.startsWith("slabinfo") || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            try {
                total += Long.parseLong(f[1]) * Long.parseLong(f[3]);
            } catch (NumberFormatException e) {
                // not a cache line
            }
        }
        return total;
    }

    /** {@code /proc/net/sockstat} as the namespace sees it. */
    static SockStat sockstat(NetworkNamespace ns) throws IOException {
        ExecResult r = ns.exec("cat", "/proc/net/sockstat");
        if (!r.succeeded()) {
            throw new IOException("cannot read /proc/net/sockstat in " + ns.name() + ": " + r.describe());
        }
        return parseSockstat(r.output());
    }

    /** Parses {@code TCP: inuse 3 orphan 0 tw 12 alloc 4 mem 1}. */
    static SockStat parseSockstat(String text) throws IOException {
        for (String line : text.split("\n")) {
            if (!line.startsWith("TCP:")) {
                continue;
            }
            String[] f = line.substring(4).trim().split("\\s+");
            long inUse = 0;
            long orphans = 0;
            long tw = 0;
            long alloc = 0;
            long mem = 0;
            for (int i = 0; i + 1 < f.length; i += 2) {
                long v = Long.parseLong(f[i + 1]);
                switch (f[i]) {
                    case "inuse" -> inUse = v;
                    case "orphan" -> orphans = v;
                    case "tw" -> tw = v;
                    case "alloc" -> alloc = v;
                    case "mem" -> mem = v;
                    default -> { }
                }
            }
            return new SockStat(inUse, orphans, tw, alloc, mem);
        }
        throw new IOException("no TCP line in sockstat: " + text);
    }
}
