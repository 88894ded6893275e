package io.usertcp.tools.bench;

import io.usertcp.tun.BenchmarkRange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The kernel's ends of the memory case, in a process of their own: a JVM may hold only as many
 * sockets as its file limit allows (20 000 here, and not raisable without CAP_SYS_RESOURCE), and
 * sockets held by the measuring JVM would sit in the very heap being measured. {@code MemoryCase}
 * starts several of these inside the namespace ({@code ip netns exec}), and talks to each through
 * its standard input and output, one line per command:
 * <pre>
 *   &lt;- ready
 *   -&gt; open MODE COUNT LOCAL FIRSTPORT REMOTE PORT THREADS MILLIS
 *   &lt;- opened OK FAILED MILLIS [first error]
 *   -&gt; quit
 *   &lt;- bye
 * </pre>
 * MODE {@code hold} keeps each connection open; {@code close} closes it at once (this side closes
 * first: the TIME-WAIT entry is the kernel's); {@code await} reads until the server closes, then
 * closes (the TIME-WAIT entry is the server's). Connection k binds LOCAL:FIRSTPORT+k: ports the
 * kernel picked at random would now and then repeat a four-tuple that is still in TIME-WAIT at the
 * server, and recycle its entry instead of adding one. Addresses must lie in 198.18.0.0/15 (DESIGN.md
 * §10); every loop is bounded by COUNT and MILLIS. The process exits when its standard input
 * closes (the parent is gone) or after {@link #MAX_LIFETIME_MILLIS}, closing every socket.
 */
public final class ConnectionHolder {
    /** However it is driven, a holder lives at most this long. */
    static final long MAX_LIFETIME_MILLIS = 30 * 60 * 1000L;
    static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final List<Socket> held = new ArrayList<>();

    ConnectionHolder() {}

    /** Reads commands from stdin until {@code quit} or its end. */
    public static void main(String[] args) throws IOException {
        Thread reaper = new Thread(() -> {
            try {
                Thread.sleep(MAX_LIFETIME_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            System.exit(4); // the parent forgot us: end, and the kernel closes every socket
        }, "holder-lifetime");
        reaper.setDaemon(true);
        reaper.start();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ConnectionHolder holder = new ConnectionHolder();
        out.println("ready");
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words[0].equals("quit")) {
                break;
            }
            out.println(words[0].equals("open") ? holder.open(words) : "error unknown command: " + line);
        }
        holder.closeAll();
        out.println("bye");
    }

    /** {@code open MODE COUNT LOCAL FIRSTPORT REMOTE PORT THREADS MILLIS}; answers with the {@code opened} line. */
    String open(String[] w) {
        if (w.length != 9) {
            return "error expected: open MODE COUNT LOCAL FIRSTPORT REMOTE PORT THREADS MILLIS";
        }
        try {
            String mode = w[1];
            if (!List.of("hold", "close", "await").contains(mode)) {
                return "error mode: " + mode + " (expected: hold, close or await)";
            }
            int count = Integer.parseInt(w[2]);
            BenchmarkRange.requireAddress(w[3]);
            int firstPort = Integer.parseInt(w[4]);
            if (count < 0 || firstPort < 1024 || firstPort + count > 65536) {
                return "error ports: " + firstPort + " + " + count + " (expected: within 1024..65535)";
            }
            BenchmarkRange.requireAddress(w[5]);
            int port = Integer.parseInt(w[6]);
            int threads = Math.max(1, Math.min(16, Integer.parseInt(w[7])));
            long deadline = System.nanoTime() + Long.parseLong(w[8]) * 1_000_000L;
            return run(mode, count, w[3], firstPort, new InetSocketAddress(w[5], port), threads, deadline);
        } catch (RuntimeException e) {
            return "error " + e;
        }
    }

    private String run(String mode, int count, String local, int firstPort, InetSocketAddress remote, int threads,
                       long deadline) {
        AtomicLong next = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                long k;
                while ((k = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
                    try {
                        one(mode, new InetSocketAddress(local, firstPort + (int) k), remote);
                        ok.incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, e.toString());
                    }
                }
            }, "holder-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "error interrupted";
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000L;
        String error = firstError.get();
        return String.format(Locale.ROOT, "opened %d %d %d%s", ok.get(), failed.get(), millis,
                error == null ? "" : " " + error.replace('\n', ' '));
    }

    private void one(String mode, InetSocketAddress local, InetSocketAddress remote) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(local);
            s.connect(remote, CONNECT_TIMEOUT_MILLIS);
            switch (mode) {
                case "hold" -> {
                    synchronized (held) {
                        held.add(s);
                    }
                    return;
                }
                case "await" -> {
                    s.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
                    if (s.getInputStream().read() != -1) {
                        throw new IOException("expected the server to close without sending");
                    }
                }
                default -> { } // close: this side closes first
            }
            s.close();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void closeAll() {
        synchronized (held) {
            for (Socket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing is all we want; the process ends next
                }
            }
            held.clear();
        }
    }
}
