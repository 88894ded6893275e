package io.usertcp.tools.demo;

import io.usertcp.tun.NetworkNamespace;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A server run by the kernel of the namespace, at its address ({@code 198.18.0.1:PORT} unless told otherwise), for our stack to
 * connect to: an echo server on a {@code java.net.ServerSocket} inside the namespace, or
 * {@code python3 -m http.server} run there. Closing stops it.
 */
public final class KernelListener implements AutoCloseable {
    /** How long to wait for python's server to listen. */
    static final long START_MILLIS = 5_000;

    private final AutoCloseable stop;
    private final String description;

    private KernelListener(AutoCloseable stop, String description) {
        this.stop = stop;
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** An echo server (RFC 862) in the kernel: each connection on its own thread inside the namespace, at most 16 at once. */
    public static KernelListener echo(NetworkNamespace namespace, Ipv4Address kernel, int port) throws Exception {
        ServerSocket server = namespace.runInside(() -> new ServerSocket(port, 16, InetAddress.getByName(kernel.toString())));
        Future<?> loop = namespace.submitInside(() -> {
            while (!server.isClosed()) {
                Socket s = server.accept();
                namespace.submitInside(() -> echoOne(s));
            }
            return null;
        });
        return new KernelListener(() -> {
            server.close();
            loop.cancel(true);
        }, "a java.net echo server at " + kernel + ":" + port);
    }

    private static Void echoOne(Socket s) throws IOException {
        try (s) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        }
        return null;
    }

    /**
     * {@code python3 -m http.server PORT --bind KERNEL} in the namespace, serving a temporary
     * folder with one index.html; returns once it listens.
     *
     * @throws MissingProgramException when python3 is not installed
     */
    public static KernelListener http(NetworkNamespace namespace, String ipCommand, Ipv4Address kernel, int port) throws Exception {
        String missing = Programs.missing("python3", "python3", "--kernel-listen http");
        if (missing != null) {
            throw new MissingProgramException(missing);
        }
        Path root = Files.createTempDirectory("usertcp-http");
        Files.writeString(root.resolve("index.html"), "<h1>Hello from the Linux kernel's side</h1>\n", StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(List.of(ipCommand, "netns", "exec", namespace.name(), "python3", "-m", "http.server",
                Integer.toString(port), "--bind", kernel.toString()))
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(root.resolve("server.log").toFile()).start();
        KernelListener listener = new KernelListener(() -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(2, TimeUnit.SECONDS);
            try (var files = Files.list(root)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(root);
        }, "python3 -m http.server at " + kernel + ":" + port);
        if (!awaitListening(namespace, port) || !process.isAlive()) {
            String log = Files.exists(root.resolve("server.log")) ? Files.readString(root.resolve("server.log")) : "";
            listener.close();
            throw new IllegalStateException("python3 -m http.server did not start listening within " + START_MILLIS + " ms: " + log.strip());
        }
        return listener;
    }

    private static boolean awaitListening(NetworkNamespace namespace, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_MILLIS);
        while (System.nanoTime() < deadline) {
            boolean listening = namespace.runInside(() -> KernelWatcher.read().stream()
                    .anyMatch(s -> s.isListener() && s.localPort() == port));
            if (listening) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        stop.close();
    }
}
