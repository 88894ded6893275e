package io.usertcp.tun.interop;

import static io.usertcp.tun.interop.InteropSupport.KERNEL;
import static io.usertcp.tun.interop.InteropSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.apps.EchoServer;
import io.usertcp.apps.GeneratedBytes;
import io.usertcp.apps.HttpServer;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real programs as the kernel-side peers: curl against our {@link HttpServer}, our client against
 * {@code python3 -m http.server}, and socat against our echo server and as an echo server for our
 * client. Payloads are compared by SHA-256; every program runs inside the namespace, bounded in time.
 */
@Tag("tun")
@Timeout(90)
class RealProgramsInteropTest {
    static final int HTTP_PORT = 8080;
    static final int PYTHON_PORT = 8000;
    static final int ECHO_PORT = 7;
    static final int SOCAT_PORT = 9007;
    static final Duration PROGRAM_LIMIT = Duration.ofSeconds(30);

    TunStackHost host;
    Path dir;

    @BeforeAll
    static void needPrograms() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("curl", "curl");
        InteropSupport.requireCommand("python3", "python3");
        InteropSupport.requireCommand("socat", "socat");
        InteropSupport.requireCommand("timeout", "coreutils");
    }

    @BeforeEach
    void start() throws IOException {
        dir = Files.createTempDirectory("usertcp-interop-");
        host = TunStackHost.start("usertcp-interop-programs");
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (host != null) {
                host.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    // RFC 9112: curl fetches two resources over one persistent HTTP/1.1 connection to our server
    @Test
    void curl_fetchesGeneratedBodyAndIndex_fromOurHttpServer_onOneConnection() throws Exception {
        int length = 5_000_000;
        Path body = dir.resolve("body.bin");
        Path index = dir.resolve("index.txt");
        try (HttpServer http = new HttpServer(host.runner(), HTTP_PORT, 8)) {
            String base = "http://" + STACK + ":" + HTTP_PORT;
            ExecResult curl = host.namespace().exec(PROGRAM_LIMIT, "curl", "--silent", "--show-error", "--max-time", "20",
                    "--write-out", "%{http_code} %{size_download} %{num_connects}\\n",
                    "--output", body.toString(), base + "/bytes/" + length,
                    "--output", index.toString(), base + "/");
            assertTrue(curl.succeeded(), curl::describe);
            String[] lines = curl.output().strip().split("\n");
            assertEquals("200 " + length + " 1", lines[0].strip(), "status, bytes, new connections for /bytes/N");
            assertEquals("200 " + HttpServer.indexText().length() + " 0", lines[1].strip(),
                    "the index came over the same connection");
            assertArrayEquals(GeneratedBytes.sha256(length), sha256(body));
            assertEquals(HttpServer.indexText(), Files.readString(index, StandardCharsets.US_ASCII));
            assertEquals(1, http.connectionsAccepted());
        }
    }

    // RFC 9110 §15.5.5: curl sees our 404 for a resource that does not exist
    @Test
    void curl_getsNotFound_forAnUnknownPath() throws Exception {
        try (HttpServer http = new HttpServer(host.runner(), HTTP_PORT, 8)) {
            ExecResult curl = host.namespace().exec(PROGRAM_LIMIT, "curl", "--silent", "--max-time", "10",
                    "--output", "/dev/null", "--write-out", "%{http_code}", "http://" + STACK + ":" + HTTP_PORT + "/nothing");
            assertTrue(curl.succeeded(), curl::describe);
            assertEquals("404", curl.output().strip());
        }
    }

    // Our client against python3's http.server (HTTP/1.0 responses, close-delimited connections)
    @Test
    void ourHttpGet_fetchesAFile_fromPythonHttpServer() throws Exception {
        int length = 3_000_001;
        byte[] content = new byte[length];
        GeneratedBytes.fill(0, content, 0, length);
        Files.write(dir.resolve("payload.bin"), content);
        try (BackgroundProgram python = BackgroundProgram.start(host.namespace(), PROGRAM_LIMIT, dir, "python3", "-m",
                "http.server", Integer.toString(PYTHON_PORT), "--bind", KERNEL, "--directory", dir.toString())) {
            awaitKernelListener(python, PYTHON_PORT);
            HttpResponse ok = httpGet("/payload.bin");
            assertEquals(200, ok.status, ok.headers.toString());
            assertEquals(Integer.toString(length), ok.headers.get("content-length"));
            assertEquals(length, ok.body.bytes());
            assertArrayEquals(GeneratedBytes.sha256(length), ok.body.sha256());

            HttpResponse missing = httpGet("/missing.bin");
            assertEquals(404, missing.status);
        }
    }

    // RFC 862 echo on our stack, socat as the kernel-side client: stdin to the connection, the echo to stdout
    @Test
    void socatClient_exchangesAMegabyte_withOurEchoServer() throws Exception {
        int length = 1_000_000;
        Path in = dir.resolve("in.bin");
        Path out = dir.resolve("out.bin");
        byte[] content = new byte[length];
        GeneratedBytes.fill(0, content, 0, length);
        Files.write(in, content);
        try (EchoServer echo = new EchoServer(host.runner(), ECHO_PORT, 8)) {
            // -t: after stdin's end, wait this long for the echo to finish (our server closes when it has).
            ExecResult socat = host.namespace().exec(PROGRAM_LIMIT, "sh", "-c",
                    "exec socat -t 20 -T 20 - TCP:" + STACK + ":" + ECHO_PORT + " < '" + in + "' > '" + out + "'");
            assertTrue(socat.succeeded(), socat::describe);
            assertArrayEquals(GeneratedBytes.sha256(length), sha256(out));
            InteropSupport.eventually(InteropSupport.WAIT, () -> echo.connectionsCompleted() == 1,
                    () -> "the echo connection completed");
            assertEquals(length, echo.bytesEchoed());
        }
    }

    // The other way: socat listens in the namespace and echoes through cat; our client sends and reads back
    @Test
    void ourClient_exchangesAMegabyte_withSocatEchoServer() throws Exception {
        int length = 1_000_000;
        try (BackgroundProgram socat = BackgroundProgram.start(host.namespace(), PROGRAM_LIMIT, dir, "socat", "-T", "20",
                "TCP-LISTEN:" + SOCAT_PORT + ",bind=" + KERNEL + ",reuseaddr", "EXEC:cat")) {
            awaitKernelListener(socat, SOCAT_PORT);
            try (TcpSocket s = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, SOCAT_PORT, 5_000)) {
                s.setSoTimeout(20_000);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        InteropSupport.sendGenerated(s.getOutputStream(), length);
                        s.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                Received echoed = InteropSupport.receiveAndHash(s.getInputStream());
                writer.get(20, TimeUnit.SECONDS);
                assertEquals(length, echoed.bytes());
                assertArrayEquals(GeneratedBytes.sha256(length), echoed.sha256());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private void awaitKernelListener(BackgroundProgram program, int port) {
        InteropSupport.eventually(InteropSupport.WAIT, () -> {
            if (!program.isAlive()) {
                throw new AssertionError("the program exited: " + program.output());
            }
            return InteropSupport.kernelSockets(host).stream()
                    .anyMatch(s -> s.state().equals("LISTEN") && s.local().equals(KERNEL + ":" + port));
        }, () -> "nothing listens on " + KERNEL + ":" + port + "; the program said: " + program.output());
    }

    /** A response: status, headers (names in lower case), and the body's length and SHA-256. */
    record HttpResponse(int status, Map<String, String> headers, Received body) {}

    /**
     * A minimal HTTP/1.1 GET over our socket with {@code Connection: close}: status line, headers,
     * then the body up to Content-Length (or the end of the stream without one), hashed.
     */
    private HttpResponse httpGet(String path) throws IOException {
        try (TcpSocket s = TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, PYTHON_PORT, 5_000)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + KERNEL + ":" + PYTHON_PORT
                    + "\r\nUser-Agent: usertcp-interop\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String statusLine = readLine(in);
            assertTrue(statusLine.matches("HTTP/1\\.[01] [0-9]{3} .*"), statusLine);
            int status = Integer.parseInt(statusLine.substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            Received body = InteropSupport.receiveAndHash(in); // HTTP/1.0-style: the body ends with the connection
            String declared = headers.get("content-length");
            if (declared != null) {
                assertEquals(Long.parseLong(declared), body.bytes(), "body length against Content-Length");
            }
            return new HttpResponse(status, headers, body);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("end of stream inside a header line: " + line);
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static byte[] sha256(Path file) throws IOException {
        var digest = GeneratedBytes.newSha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[64 * 1024];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                digest.update(chunk, 0, n);
            }
        }
        return digest.digest();
    }
}
