package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.apps.GeneratedBytes;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.TcpMd5Key;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP MD5 signatures (RFC 2385) against the kernel, which checks every signature we make and makes
 * every one we check: a keyed kernel client to our keyed server and our keyed client to a keyed
 * kernel server carry data both ways (SHA-256 compared); wrong, missing and unexpected signatures
 * never establish a connection, and each side's counters say why (ours in {@code StackStats}, the
 * kernel's by {@code nstat} in the namespace); tcpdump {@code -M} reads the keyed exchange back and
 * finds every signature valid. The kernel side is a python3 program in the test's namespace (the
 * JDK has no TCP_MD5SIG), with TCP_SYNCNT 1 where its connects must fail: a SYN and one
 * retransmission, then ETIMEDOUT after 3 s.
 */
@Tag("tun")
@Timeout(60)
class TcpMd5InteropTest {
    private static final int PORT = 1790;
    private static final int UNKEYED_PORT = 1791;
    private static final byte[] KEY = "bgp-secret".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRONG_KEY = "not-the-secret".getBytes(StandardCharsets.US_ASCII);
    private static final int LENGTH = 128 * 1024;

    /**
     * The kernel's side: {@code python3 -c KERNEL role peer length port:key...}. Each socket gets
     * TCP_MD5SIG for {@code peer} when its key is not empty ({@code struct tcp_md5sig}: a
     * sockaddr_storage, flags, prefix length, key length, ifindex, 80 bytes of key). A client
     * connects once per {@code port:key}, in parallel; a server listens on each and, when
     * {@code length} is not negative, accepts one connection on the first. With {@code length} not
     * negative a connection sends that many random bytes and half-closes while reading to the end,
     * then prints {@code RESULT port sha256-sent bytes-received sha256-received}; a failed connect
     * prints {@code RESULT port error errno}.
     */
    private static final String KERNEL = """
            import hashlib, os, socket, struct, sys, threading, time
            role, peer, length, specs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
            TCP_MD5SIG, TCP_SYNCNT = 14, 7
            printing = threading.Lock()
            def report(*fields):
                with printing:
                    print('RESULT', *fields, flush=True)
            def keyed(s, key):
                if key:
                    addr = struct.pack('=H2s4s', socket.AF_INET, b'', socket.inet_aton(peer)).ljust(128, b'\\0')
                    s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, addr + struct.pack('=BBHi', 0, 0, len(key), 0) + key.ljust(80, b'\\0'))
            def exchange(port, c):
                c.settimeout(30)
                data = os.urandom(length)
                sender = threading.Thread(target=lambda: (c.sendall(data), c.shutdown(socket.SHUT_WR)))
                sender.start()
                h, n = hashlib.sha256(), 0
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
                sender.join()
                c.close()
                report(port, hashlib.sha256(data).hexdigest(), n, h.hexdigest())
            def client(port, key):
                s = socket.socket()
                keyed(s, key)
                s.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, 1)
                try:
                    s.connect((peer, port))
                except OSError as e:
                    report(port, 'error', e.errno)
                    return
                exchange(port, s)
            specs = [(int(p), k.encode()) for p, k in (spec.split(':', 1) for spec in specs)]
            if role == 'client':
                threads = [threading.Thread(target=client, args=spec) for spec in specs]
                [t.start() for t in threads]
                [t.join() for t in threads]
            else:
                listeners = []
                for port, key in specs:
                    s = socket.socket()
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    keyed(s, key)
                    s.bind(('%s', port))
                    s.listen(8)
                    listeners.append(s)
                print('listening', flush=True)
                if length >= 0:
                    c, _ = listeners[0].accept()
                    exchange(specs[0][0], c)
                else:
                    time.sleep(60)
            """.formatted(InteropSupport.KERNEL);

    @BeforeAll
    static void needTunPythonTcpdumpNstat() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("python3", "python3");
        InteropSupport.requireCommand("tcpdump", "tcpdump");
        InteropSupport.requireCommand("nstat", "iproute2");
    }

    @AfterEach
    void nothingLeft() {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    /** What the kernel's program printed, a {@code RESULT port ...} line per connection, split. */
    private static List<String[]> results(String output) {
        return output.lines().filter(l -> l.startsWith("RESULT ")).map(l -> l.split(" ")).toList();
    }

    /** The RESULT line of the connection on {@code port}, or null. */
    private static String[] result(String output, int port) {
        return results(output).stream().filter(f -> f[1].equals(Integer.toString(port))).findFirst().orElse(null);
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    private static String key(byte[] key) {
        return new String(key, StandardCharsets.US_ASCII);
    }

    /** Our side's part: read to the end (hashing), then send {@link #LENGTH} generated bytes and close. */
    private static Received receiveThenSend(TcpSocket s) throws Exception {
        s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
        Received r = InteropSupport.receiveAndHash(s.getInputStream());
        InteropSupport.sendGenerated(s.getOutputStream(), LENGTH);
        s.close();
        return r;
    }

    /** The kernel's data arrived whole here, and ours there: {@code kernel} is its RESULT line. */
    private static void assertBothWays(String[] kernel, Received ours, String output) {
        assertEquals(5, kernel.length, output);
        assertEquals(LENGTH, ours.bytes(), output);
        assertEquals(kernel[2], ours.hex(), "the kernel's bytes as it sent them\n" + output);
        assertEquals(Integer.toString(LENGTH), kernel[3], output);
        assertEquals(hex(GeneratedBytes.sha256(LENGTH)), kernel[4], "our bytes as the kernel read them\n" + output);
    }

    private static long stat(TunStackHost host, Counter counter) {
        return host.runner().call(now -> host.stack().stats().get(counter));
    }

    // A keyed kernel client (setsockopt TCP_MD5SIG before connect) to our keyed TcpServerSocket; the exchange is
    // captured whole and tcpdump -M checks every signature, ours and the kernel's.
    @Test
    void kernelClientWithTheKey_exchangesDataBothWays_andTcpdumpFindsEverySignatureValid() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-md5-");
        Path pcap = dir.resolve("utcp0.pcap");
        try (TunStackHost host = TunStackHost.start("usertcp-md5-kclient");
             TcpServerSocket listener = new TcpServerSocket(host.runner(), PORT, 8)) {
            assertTrue(listener.setMd5Key(TcpMd5Key.forPeer(host.kernelAddress(), KEY)));
            ExecResult run;
            Received ours;
            try (BackgroundProgram tcpdump = InteropSupport.captureTun(host, dir, pcap, 65535)) {
                Future<ExecResult> kernel = CompletableFuture.supplyAsync(() -> host.namespace().exec(Duration.ofSeconds(30),
                        "python3", "-c", KERNEL, "client", InteropSupport.STACK, Integer.toString(LENGTH), PORT + ":" + key(KEY)));
                listener.setSoTimeout(Peers.CONNECT_TIMEOUT_MILLIS);
                ours = receiveThenSend(listener.accept());
                run = Peers.get(kernel);
            }
            assertTrue(run.succeeded(), run::describe);
            assertBothWays(result(run.output(), PORT), ours, run.describe());
            assertEquals(0, stat(host, Counter.TcpExtTCPMD5Failure) + stat(host, Counter.TcpExtTCPMD5NotFound)
                    + stat(host, Counter.TcpExtTCPMD5Unexpected), () -> host.stack().stats().snapshot().toString());

            List<String> lines = InteropSupport.readCapture(pcap, "-v", "-M", key(KEY));
            List<String> tcp = lines.stream().filter(l -> l.contains(" > ") && l.contains("Flags [")).toList();
            List<String> fromUs = tcp.stream().filter(l -> l.strip().startsWith(InteropSupport.STACK + "." + PORT + " >")).toList();
            String all = String.join("\n", lines);
            assertTrue(fromUs.size() >= LENGTH / 1460, () -> fromUs.size() + " segments of ours in\n" + all);
            assertTrue(fromUs.stream().anyMatch(l -> l.contains("Flags [S.]")), all);
            assertTrue(fromUs.stream().anyMatch(l -> l.contains("Flags [F")), all);
            // tcpdump 4.99 prints "md5 valid" for a signature that verifies, "md5  (invalid)" for one that does not.
            for (String l : tcp) {
                assertTrue(l.contains("md5 valid"), () -> "not a valid signature: " + l + "\n" + all);
            }
            List<String> underAnotherKey = InteropSupport.readCapture(pcap, "-v", "-M", key(WRONG_KEY)).stream()
                    .filter(l -> l.contains("Flags [")).toList();
            assertEquals(tcp.size(), underAnotherKey.size());
            for (String l : underAnotherKey) {
                assertTrue(l.contains("md5  (invalid)"), () -> "under another key: " + l);
            }
        } finally {
            InteropSupport.deleteAll(dir);
        }
    }

    // Our keyed TcpSocket (the key set before the SYN) to a keyed kernel listener.
    @Test
    void ourClientWithTheKey_exchangesDataBothWaysWithAKeyedKernelServer() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-md5-");
        try (TunStackHost host = TunStackHost.start("usertcp-md5-kserver");
             BackgroundProgram kernel = BackgroundProgram.start(host.namespace(), Duration.ofSeconds(30), dir,
                     "python3", "-c", KERNEL, "server", InteropSupport.STACK, Integer.toString(LENGTH), PORT + ":" + key(KEY))) {
            InteropSupport.eventually(InteropSupport.WAIT, () -> kernel.output().contains("listening"),
                    () -> "the kernel server did not start: " + kernel.output());
            Received ours;
            try (TcpSocket s = TcpSocket.connect(host.runner(), host.kernelAddress(), PORT, Peers.CONNECT_TIMEOUT_MILLIS,
                    TcpMd5Key.forPeer(host.kernelAddress(), KEY))) {
                s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                InteropSupport.sendGenerated(s.getOutputStream(), LENGTH);
                s.shutdownOutput();
                ours = InteropSupport.receiveAndHash(s.getInputStream());
            }
            InteropSupport.eventually(InteropSupport.WAIT, () -> result(kernel.output(), PORT) != null,
                    () -> "the kernel server did not finish: " + kernel.output());
            assertBothWays(result(kernel.output(), PORT), ours, kernel.output());
            Map<String, Long> counters = kernelCounters(host);
            assertEquals(Map.of("TcpExtTCPMD5Failure", 0L, "TcpExtTCPMD5NotFound", 0L, "TcpExtTCPMD5Unexpected", 0L), counters);
        } finally {
            InteropSupport.deleteAll(dir);
        }
    }

    // Kernel clients to our listeners: a wrong signature (TcpExtTCPMD5Failure), none where we have a key
    // (TcpExtTCPMD5NotFound), one where we have none (TcpExtTCPMD5Unexpected). Each SYN is dropped in silence,
    // so each connect times out after its SYN and its retransmissions, each counted for its reason.
    @Test
    void kernelClientsWithAWrongKeyNoKeyOrAnUnexpectedKey_neverConnect_andOurCountersSayWhy() throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-md5-kwrong");
             TcpServerSocket keyed = new TcpServerSocket(host.runner(), PORT, 8);
             TcpServerSocket unkeyed = new TcpServerSocket(host.runner(), UNKEYED_PORT, 8)) {
            assertTrue(keyed.setMd5Key(TcpMd5Key.forPeer(host.kernelAddress(), KEY)));
            ExecResult run = host.namespace().exec(Duration.ofSeconds(20), "python3", "-c", KERNEL, "client", InteropSupport.STACK,
                    "-1", PORT + ":" + key(WRONG_KEY), PORT + ":", UNKEYED_PORT + ":" + key(KEY));
            assertTrue(run.succeeded(), run::describe);
            List<String> outcomes = results(run.output()).stream().map(f -> String.join(" ", f)).sorted().toList();
            assertEquals(List.of("RESULT " + PORT + " error 110", "RESULT " + PORT + " error 110",
                    "RESULT " + UNKEYED_PORT + " error 110"), outcomes, run.describe()); // ETIMEDOUT
            String stats = host.runner().call(now -> host.stack().stats().snapshot().toString());
            // Two SYNs per connect, or three: the kernel judges its give-up time by jiffies, and at 3 s it may send one more.
            long failures = stat(host, Counter.TcpExtTCPMD5Failure);
            long notFound = stat(host, Counter.TcpExtTCPMD5NotFound);
            long unexpected = stat(host, Counter.TcpExtTCPMD5Unexpected);
            for (long n : new long[] {failures, notFound, unexpected}) {
                assertTrue(n >= 2 && n <= 3, stats);
            }
            assertEquals(stat(host, Counter.TcpInSegs), failures + notFound + unexpected, "every segment dropped, for one of these; " + stats);
            assertEquals(0, stat(host, Counter.TcpPassiveOpens), stats);
            assertEquals(0, stat(host, Counter.TcpOutRsts), "every drop is silent; " + stats);
        }
    }

    // Our clients to kernel listeners, likewise: the kernel drops each SYN in silence and counts why; our connects
    // time out (synRetries 1 and a 200 ms initial RTO: two SYNs each, 600 ms).
    @Test
    void ourClientsWithAWrongKeyNoKeyOrAnUnexpectedKey_neverConnect_andTheKernelsCountersSayWhy() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-md5-");
        try (TunStackHost host = TunStackHost.start("usertcp-md5-owrong", TunStackHost.DEFAULT_MTU,
                c -> c.withTcp(c.tcp().toBuilder().synRetries(1).rtoInitialNanos(200_000_000L).build()));
             BackgroundProgram kernel = BackgroundProgram.start(host.namespace(), Duration.ofSeconds(30), dir,
                     "python3", "-c", KERNEL, "server", InteropSupport.STACK, "-1", PORT + ":" + key(KEY), UNKEYED_PORT + ":")) {
            InteropSupport.eventually(InteropSupport.WAIT, () -> kernel.output().contains("listening"),
                    () -> "the kernel server did not start: " + kernel.output());
            TcpMd5Key wrong = TcpMd5Key.forPeer(host.kernelAddress(), WRONG_KEY);
            TcpMd5Key right = TcpMd5Key.forPeer(host.kernelAddress(), KEY);
            for (Object[] attempt : new Object[][] {{PORT, wrong}, {PORT, null}, {UNKEYED_PORT, right}}) {
                ConnectException e = assertThrows(ConnectException.class, () -> TcpSocket.connect(host.runner(),
                        host.kernelAddress(), (int) attempt[0], 5_000, (TcpMd5Key) attempt[1]), () -> String.valueOf(attempt[1]));
                assertEquals("Connection timed out", e.getMessage());
            }
            assertEquals(Map.of("TcpExtTCPMD5Failure", 2L, "TcpExtTCPMD5NotFound", 2L, "TcpExtTCPMD5Unexpected", 2L),
                    kernelCounters(host), kernel.output());
            assertTrue(InteropSupport.kernelSockets(host).stream().noneMatch(s -> !s.state().equals("LISTEN")),
                    () -> host.kernelSockets());
        } finally {
            InteropSupport.deleteAll(dir);
        }
    }

    /**
     * The namespace's TcpExtTCPMD5* counters by {@code nstat -asz}: absolute values, zeros included,
     * without touching nstat's history file.
     */
    private static Map<String, Long> kernelCounters(TunStackHost host) {
        ExecResult nstat = host.namespace().exec("nstat", "-asz", "TcpExtTCPMD5Failure", "TcpExtTCPMD5NotFound",
                "TcpExtTCPMD5Unexpected");
        assertTrue(nstat.succeeded(), nstat::describe);
        Map<String, Long> out = new TreeMap<>();
        for (String line : nstat.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].startsWith("TcpExtTCPMD5")) {
                out.put(f[0], Long.parseLong(f[1]));
            }
        }
        return out;
    }
}
