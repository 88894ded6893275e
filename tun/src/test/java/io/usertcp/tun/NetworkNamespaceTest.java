package io.usertcp.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Namespaces against the real kernel: creation, threads and processes inside, deletion on every path. */
@Tag("tun")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkNamespaceTest {
    private static final String PREFIX = "usertcp-nstest";

    @BeforeEach
    void requireTun() {
        TunTestSupport.requireTun(); // per test, so that a skip shows on each test with its reason
    }

    @AfterAll
    static void nothingLeft() {
        if (TunSupport.probe() == null) {
            TunTestSupport.assertNothingLeftInRootNamespace();
        }
    }

    private static boolean listed(String name) {
        ExecResult list = Commands.run(List.of(TunSupport.ipCommand(), "netns", "list"), Duration.ofSeconds(10));
        assertTrue(list.succeeded(), list::describe);
        return list.output().lines().anyMatch(line -> line.equals(name) || line.startsWith(name + " "));
    }

    @Test
    void create_uniqueNameWithPidAndSequence_listedUntilClosed() {
        String name;
        String other;
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX); NetworkNamespace second = NetworkNamespace.create(PREFIX)) {
            name = ns.name();
            other = second.name();
            assertTrue(name.matches("usertcp-nstest-p" + ProcessHandle.current().pid() + "-n[0-9]+"), name);
            assertNotEquals(name, other);
            assertTrue(listed(name));
            assertTrue(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name)));
        }
        assertFalse(listed(name));
        assertFalse(listed(other));
        assertFalse(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name)));
    }

    @Test
    void create_prefixNotStartingWithUsertcp_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.create("test"));
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.create("usertcp"));
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.create("usertcp-a/b"));
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.create(null));
    }

    @Test
    void create_loopbackUpAndNoOtherInterface() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            ExecResult links = ns.exec("ip", "-o", "link", "show");
            assertTrue(links.succeeded(), links::describe);
            List<String> lines = links.output().lines().toList();
            assertEquals(1, lines.size(), links.output());
            assertTrue(lines.get(0).contains("lo:") && lines.get(0).contains("UP"), links.output());
            if (Files.exists(Path.of("/proc/sys/net/ipv6"))) {
                // IPv4-only: a new interface gets no IPv6, so the kernel sends no solicitations on it.
                ExecResult ipv6 = ns.exec("cat", "/proc/sys/net/ipv6/conf/default/disable_ipv6");
                assertEquals("1", ipv6.output().strip(), ipv6::describe);
            }
        }
    }

    @Test
    void runInside_threadIsInTheNamespace_callerIsNot() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            NamespaceId inside = ns.runInside(NamespaceId::ofCurrentThread);
            assertEquals(NamespaceId.of(NetworkNamespace.NETNS_DIR.resolve(ns.name())), inside);
            assertNotEquals(NamespaceId.ofCurrentThread(), inside);
            assertSame(ns, ns.runInside(NetworkNamespace::current));
            assertNull(NetworkNamespace.current(), "the test thread is in the root namespace");
        }
    }

    @Test
    void runInside_exceptionOfTheTaskReachesTheCallerUnwrapped() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            IOException thrown = assertThrows(IOException.class,
                    () -> ns.runInside(() -> {
                        throw new IOException("from inside");
                    }));
            assertEquals("from inside", thrown.getMessage());
        }
    }

    @Test
    void socketOpenedInside_belongsToTheNamespace_andWorksFromAnyThread() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            // A listener on the namespace's own loopback, made inside, accepted on the test thread.
            try (ServerSocket server = ns.runInside(() -> new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))) {
                server.setSoTimeout(5_000);
                int port = server.getLocalPort();
                ExecResult listening = ns.exec("ss", "-Htln", "sport = :" + port);
                assertTrue(listening.output().contains(":" + port), listening::describe);
                Future<Integer> client = ns.submitInside(() -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
                        socket.getOutputStream().write(42);
                        return socket.getInputStream().read();
                    }
                });
                try (Socket accepted = server.accept()) {
                    InputStream in = accepted.getInputStream();
                    OutputStream out = accepted.getOutputStream();
                    assertEquals(42, in.read());
                    out.write(43);
                }
                assertEquals(43, client.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void exec_reportsExitCodeAndOutput() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            ExecResult result = ns.exec("sh", "-c", "echo hello; echo oops >&2; exit 3");
            assertEquals(3, result.exitCode());
            assertFalse(result.timedOut());
            assertTrue(result.output().contains("hello") && result.output().contains("oops"), result.output());
            assertEquals(List.of(TunSupport.ipCommand(), "netns", "exec", ns.name(), "sh", "-c",
                    "echo hello; echo oops >&2; exit 3"), result.command());
        }
    }

    @Test
    void exec_pastItsTimeLimit_isKilled() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            long start = System.nanoTime();
            ExecResult result = ns.exec(Duration.ofMillis(300), "sleep", "30");
            long tookNanos = System.nanoTime() - start;
            assertTrue(result.timedOut());
            assertEquals(-1, result.exitCode());
            assertFalse(result.succeeded());
            assertTrue(tookNanos < TimeUnit.SECONDS.toNanos(10), "took " + tookNanos + " ns");
        }
    }

    @Test
    void addAddressAndRoute_outsideTheBenchmarkRange_areRefusedAndNothingIsConfigured() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            // DESIGN.md §10: only 198.18.0.0/15.
            assertThrows(IllegalArgumentException.class, () -> ns.addAddress("lo", "10.0.0.1/24"));
            assertThrows(IllegalArgumentException.class, () -> ns.addAddress("lo", "198.20.0.1/24"));
            assertThrows(IllegalArgumentException.class, () -> ns.addAddress("lo", "198.18.0.1/8"));
            assertThrows(IllegalArgumentException.class, () -> ns.addRoute("0.0.0.0/0", "lo"));
            assertThrows(IllegalArgumentException.class, () -> ns.addRoute("default", "lo"));
            assertThrows(IllegalArgumentException.class, () -> ns.addRoute("198.18.1.0/24", "192.168.1.1", "lo"));
            assertThrows(IllegalArgumentException.class, () -> ns.addAddress("-bad", "198.18.0.1/24"));
            ExecResult addresses = ns.exec("ip", "-o", "-4", "addr", "show");
            assertFalse(addresses.output().contains("10.0.0.1") || addresses.output().contains("198.20.")
                    || addresses.output().contains("198.18."), addresses.output());
            ExecResult routes = ns.exec("ip", "-4", "route", "show");
            assertEquals("", routes.output().strip());
        }
    }

    @Test
    void addAddressAndRoute_insideTheBenchmarkRange_areConfigured() {
        try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
            ns.addAddress("lo", "198.19.255.1/32");
            ns.addRoute("198.18.7.0/24", "lo");
            assertTrue(ns.exec("ip", "-o", "-4", "addr", "show", "dev", "lo").output().contains("198.19.255.1/32"));
            assertTrue(ns.exec("ip", "-4", "route", "show").output().contains("198.18.7.0/24 dev lo"));
        }
    }

    @Test
    void bodyThrows_namespaceAndItsTunAreStillDeleted() {
        AtomicReference<String> name = new AtomicReference<>();
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> {
            try (NetworkNamespace ns = NetworkNamespace.create(PREFIX); TunDevice tun = ns.openTun("ufail0")) {
                name.set(ns.name());
                assertTrue(ns.exec("ip", "-o", "link", "show", "dev", tun.name()).succeeded());
                throw new IllegalStateException("the test body failed");
            }
        });
        assertEquals("the test body failed", failure.getMessage());
        assertEquals(0, failure.getSuppressed().length, "deletion itself did not fail");
        assertFalse(listed(name.get()));
        assertFalse(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name.get())));
        TunTestSupport.assertNothingLeftInRootNamespace();
    }

    @Test
    void delete_isIdempotent_andTheNamespaceRefusesUseAfterwards() {
        NetworkNamespace ns = NetworkNamespace.create(PREFIX);
        ns.delete();
        ns.delete();
        ns.close();
        assertTrue(ns.isDeleted());
        assertFalse(listed(ns.name()));
        assertThrows(IllegalStateException.class, () -> ns.runInside(() -> 1));
        assertThrows(IllegalStateException.class, () -> ns.exec("true"));
        assertThrows(IllegalStateException.class, () -> ns.linkUp("lo", 1500));
    }

    /** Starts {@link NamespaceChild} in a new JVM and returns it with the namespace name it printed. */
    private static Process startChild(String mode, AtomicReference<String> name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                NamespaceChild.class.getName(), mode)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        try {
            name.set(CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).get(30, TimeUnit.SECONDS));
        } catch (Exception e) {
            child.destroyForcibly();
            throw e;
        }
        assertTrue(name.get() != null && name.get().startsWith("usertcp-nschild-p" + child.pid() + "-n"), name.get());
        return child;
    }

    private static void deleteIfLeft(String name) {
        if (name != null && Files.exists(NetworkNamespace.NETNS_DIR.resolve(name))) {
            Commands.run(List.of(TunSupport.ipCommand(), "netns", "delete", name), Duration.ofSeconds(10));
        }
    }

    @Test
    void jvmExitsWithoutDeleting_shutdownHookDeletesTheNamespace() throws Exception {
        AtomicReference<String> name = new AtomicReference<>();
        try {
            Process child = startChild("exit", name);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            assertFalse(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name.get())), name.get() + " left behind");
        } finally {
            deleteIfLeft(name.get());
        }
    }

    @Test
    void jvmKilled_nextCreateDeletesTheOrphanedNamespace() throws Exception {
        AtomicReference<String> name = new AtomicReference<>();
        try {
            Process child = startChild("wait", name);
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertTrue(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name.get())), "a killed JVM leaves its namespace");
            try (NetworkNamespace ns = NetworkNamespace.create(PREFIX)) {
                assertFalse(Files.exists(NetworkNamespace.NETNS_DIR.resolve(name.get())), name.get() + " still there");
                assertTrue(Files.exists(NetworkNamespace.NETNS_DIR.resolve(ns.name())));
            }
        } finally {
            deleteIfLeft(name.get());
        }
    }

    @Test
    void tunOpen_onAThreadInANamespaceNotCreatedByUs_isRefused() throws Exception {
        // A namespace made behind NetworkNamespace's back: TunDevice.open must not trust it. (Even if
        // the guard failed, the device would land in this throwaway namespace, never the root one.)
        String ip = TunSupport.ipCommand();
        String foreign = "usertcp-nstest-foreign-p" + ProcessHandle.current().pid() + "-n0";
        assertTrue(Commands.run(List.of(ip, "netns", "add", foreign), Duration.ofSeconds(10)).succeeded());
        try {
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                int fd = LibC.open(NetworkNamespace.NETNS_DIR.resolve(foreign).toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
                try {
                    if (fd < 0 || LibC.setns(fd, LibC.CLONE_NEWNET) != 0) {
                        outcome.set(new AssertionError("could not enter " + foreign + ": " + LibC.describe(LibC.errno())));
                        return;
                    }
                } finally {
                    LibC.close(fd);
                }
                try (TunDevice device = TunDevice.open("uforeign0")) {
                    outcome.set(new AssertionError("opened " + device));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            }, "tun-test-foreign");
            thread.start();
            thread.join(10_000);
            assertTrue(outcome.get() instanceof IllegalStateException, String.valueOf(outcome.get()));
            assertTrue(outcome.get().getMessage().startsWith("refusing to open a TUN device outside a namespace"),
                    outcome.get().getMessage());
            ExecResult links = Commands.run(List.of(ip, "-n", foreign, "-o", "link", "show", "type", "tun"), Duration.ofSeconds(10));
            assertEquals("", links.output().strip());
        } finally {
            Commands.run(List.of(ip, "netns", "delete", foreign), Duration.ofSeconds(10));
        }
    }
}
