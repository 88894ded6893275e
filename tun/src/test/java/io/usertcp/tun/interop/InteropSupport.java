package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.apps.GeneratedBytes;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.TunTestSupport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * What the interop tests share: whether they can run (under {@code CI=true} they must; elsewhere a
 * missing piece skips them with its reason, as {@code TunTestSupport} does for the tun package),
 * the root-namespace check of DESIGN.md §10, the kernel's socket table ({@code ss -tan}), and the
 * generated payloads compared by SHA-256.
 */
final class InteropSupport {
    static final String KERNEL = TunStackHost.KERNEL_ADDRESS.toString();
    static final String STACK = TunStackHost.STACK_ADDRESS.toString();
    /** Every wait on the kernel or the stack is bounded by this unless a test says otherwise. */
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final int CHUNK_BYTES = 64 * 1024;

    private InteropSupport() {}

    // ---------------------------------------------------------------- can we run here?

    /** Fails (CI) or skips (elsewhere) unless namespaces with TUN devices work here. */
    static void requireTun() {
        TunTestSupport.requireTun();
    }

    /** Fails (CI) or skips (elsewhere) unless {@code command} is installed. */
    static void requireCommand(String command, String debianPackage) {
        TunTestSupport.requireCommand(command, debianPackage);
    }

    static String findCommand(String command) {
        return TunTestSupport.findCommand(command);
    }

    /** DESIGN.md §10: what {@link TunTestSupport} checks, and no veth device of ours in the root namespace. */
    static void assertNothingLeftInRootNamespace() {
        TunTestSupport.assertNothingLeftInRootNamespace();
        ExecResult veth = run(Duration.ofSeconds(10), findCommand("ip"), "-o", "link", "show", "type", "veth");
        assertTrue(veth.succeeded(), veth::describe);
        assertTrue(!veth.output().contains(VethPair.DEVICE_PREFIX), "our veth devices in the root namespace: " + veth.output());
    }

    /** Runs a program in the root namespace (only ever {@code ip ... show}), bounded in time. */
    static ExecResult run(Duration timeout, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            return new ExecResult(List.of(command), done ? p.exitValue() : -1, new String(out, StandardCharsets.UTF_8), !done);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    // ---------------------------------------------------------------- our stack's profile

    /** The built-in profile of {@code reference}. */
    static TcpProfile profile(TcpProfile.Reference reference) {
        return TcpProfile.of(reference.label());
    }

    /**
     * Our stack's TCP configuration in {@code reference}'s profile: {@link TcpConfig#forProfile}, that
     * reference's numbers (TIME-WAIT, RTO bounds, delayed ACK, buffers), then {@code changes}, which
     * a test uses only for a number it depends on.
     */
    static TcpConfig tcp(TcpProfile.Reference reference, UnaryOperator<TcpConfig> changes) {
        return changes.apply(TcpConfig.forProfile(profile(reference)));
    }

    /** {@link #tcp(TcpProfile.Reference, UnaryOperator)} with nothing changed. */
    static TcpConfig tcp(TcpProfile.Reference reference) {
        return tcp(reference, UnaryOperator.identity());
    }

    // ---------------------------------------------------------------- the kernel's sockets

    /** One line of {@code ss -tan}. */
    record KernelSocket(String state, String local, String peer) {}

    /** The kernel's TCP sockets in the host's namespace ({@code ss -tan}), listeners included. */
    static List<KernelSocket> kernelSockets(TunStackHost host) {
        ExecResult ss = host.namespace().exec("ss", "-tan");
        assertTrue(ss.succeeded(), ss::describe);
        List<KernelSocket> out = new ArrayList<>();
        for (String line : ss.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && !f[0].equals("State")) {
                out.add(new KernelSocket(f[0], unmapped(f[3]), unmapped(f[4])));
            }
        }
        return out;
    }

    /** Java's sockets are dual-stack: ss shows {@code [::ffff:198.18.0.1]:6001} for {@code 198.18.0.1:6001}. */
    private static String unmapped(String endpoint) {
        return endpoint.startsWith("[::ffff:") ? endpoint.substring(8).replaceFirst("]:", ":") : endpoint;
    }

    /** The state {@code ss} shows for the kernel socket {@code KERNEL:kernelPort <-> STACK:stackPort}, or null. */
    static String kernelState(TunStackHost host, int kernelPort, int stackPort) {
        String local = KERNEL + ":" + kernelPort;
        String peer = STACK + ":" + stackPort;
        for (KernelSocket s : kernelSockets(host)) {
            if (s.local.equals(local) && s.peer.equals(peer)) {
                return s.state;
            }
        }
        return null;
    }

    /** Waits (at most {@link #WAIT}) until the kernel socket of that tuple is in {@code state} (null: gone). */
    static void awaitKernelState(TunStackHost host, int kernelPort, int stackPort, String state) {
        String[] last = new String[1];
        eventually(WAIT, () -> {
            last[0] = kernelState(host, kernelPort, stackPort);
            return state == null ? last[0] == null : state.equals(last[0]);
        }, () -> "kernel socket " + KERNEL + ":" + kernelPort + " <-> " + STACK + ":" + stackPort + " is " + last[0]
                + ", expected " + state + "\n" + host.kernelSockets());
    }

    /**
     * Checks {@code condition} until it holds or {@code timeout} passes, pausing a millisecond between
     * checks. Real time: the kernel's socket table and the stack's tables change on their own clocks
     * and tell nobody, so this is the one way to see them change (each check of the kernel is a
     * process run, several milliseconds by itself).
     */
    static void eventually(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + timeout.toMillis() + " ms: " + message.get());
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    // ---------------------------------------------------------------- captures

    /**
     * tcpdump on the TUN device of {@code host}, writing {@code pcap} (the first {@code snapBytes} of
     * each packet), in immediate mode: otherwise the kernel hands it packets a buffer (or a second)
     * at a time, and those of a short exchange are still in the buffer when it stops. Returns once
     * it listens; closing it stops it.
     */
    static BackgroundProgram captureTun(TunStackHost host, Path dir, Path pcap, int snapBytes) {
        BackgroundProgram tcpdump = BackgroundProgram.start(host.namespace(), Duration.ofSeconds(60), dir, "tcpdump", "-i",
                TunStackHost.DEVICE, "-n", "-U", "--immediate-mode", "-s", Integer.toString(snapBytes), "-w", pcap.toString());
        eventually(WAIT, () -> tcpdump.output().contains("listening on"), () -> "tcpdump did not start: " + tcpdump.output());
        return tcpdump;
    }

    /**
     * A capture as {@code tcpdump -n -r pcap options...} prints it, once the capture has stopped
     * (stopping tcpdump may cut its last record short, which tcpdump -r reports; the records before
     * it are read).
     */
    static List<String> readCapture(Path pcap, String... options) {
        List<String> command = new ArrayList<>(List.of(findCommand("tcpdump"), "-n"));
        command.addAll(List.of(options));
        command.addAll(List.of("-r", pcap.toString()));
        return run(WAIT, command.toArray(String[]::new)).output().lines().toList();
    }

    /** Deletes {@code dir} and the files in it (a capture's temporary directory). */
    static void deleteAll(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            files.forEach(f -> f.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    // ---------------------------------------------------------------- payloads

    /** What a receiver got: the byte count and their SHA-256, and when the end of stream arrived. */
    record Received(long bytes, byte[] sha256, long endNanos) {
        String hex() {
            return HexFormat.of().formatHex(sha256);
        }
    }

    /** Writes {@code length} bytes of {@link GeneratedBytes} to {@code out} in 64 KiB writes. */
    static void sendGenerated(OutputStream out, long length) throws IOException {
        byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, Math.max(1, length))];
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(chunk.length, length - done);
            GeneratedBytes.fill(done, chunk, 0, n);
            out.write(chunk, 0, n);
            done += n;
        }
        out.flush();
    }

    /** Reads {@code in} to its end, hashing as it goes. */
    static Received receiveAndHash(InputStream in) throws IOException {
        MessageDigest digest = GeneratedBytes.newSha256();
        byte[] chunk = new byte[CHUNK_BYTES];
        long total = 0;
        int n;
        while ((n = in.read(chunk, 0, chunk.length)) >= 0) {
            digest.update(chunk, 0, n);
            total += n;
        }
        return new Received(total, digest.digest(), System.nanoTime());
    }

    /** {@code bytes} in a human unit. */
    static String size(long bytes) {
        return bytes >= 1_000_000 ? bytes / 1_000_000 + " MB" : bytes + " B";
    }

    /** Megabytes per second (10^6 bytes). */
    static double megabytesPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    /** Megabits per second. */
    static double megabitsPerSecond(long bytes, long nanos) {
        return bytes * 8 / 1e6 / (nanos / 1e9);
    }
}
