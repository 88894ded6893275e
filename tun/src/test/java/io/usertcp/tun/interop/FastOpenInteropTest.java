package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.FastOpen;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP Fast Open (RFC 7413) against the kernel, both ways, each connection pair captured on the TUN
 * device and read back by tcpdump. The first connection to a server has no cookie: its SYN asks for
 * one (RFC 7413 §4.1.1) and the data follows the handshake; the second SYN carries the cookie and
 * the data, which the server takes before the handshake completes (§4.2.2). The kernel side is a
 * python3 program in the test's namespace (the JDK has no MSG_FASTOPEN or TCP_FASTOPEN);
 * net.ipv4.tcp_fastopen is set in that namespace only.
 */
@Tag("tun")
@Timeout(60)
class FastOpenInteropTest {
    private static final int PORT = 5331;
    private static final int TCP_FASTOPEN_SYSCTL = 3; // Linux: client and server

    @BeforeAll
    static void needTunPythonAndTcpdump() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("python3", "python3");
        InteropSupport.requireCommand("tcpdump", "tcpdump");
        InteropSupport.requireCommand("sysctl", "procps");
    }

    @AfterEach
    void nothingLeft() throws Exception {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    private static BackgroundProgram capture(TunStackHost host, Path dir, Path pcap) {
        return InteropSupport.captureTun(host, dir, pcap, 256);
    }

    /** The capture as tcpdump -v reads it; it has the first SYN at least. */
    private static List<String> readBack(Path pcap) {
        List<String> lines = InteropSupport.readCapture(pcap, "-v");
        assertTrue(lines.stream().anyMatch(l -> l.contains("Flags [S]")), () -> String.join("\n", lines) + " size " + pcap.toFile().length());
        return lines;
    }

    private static void setFastOpen(TunStackHost host) {
        ExecResult set = host.namespace().exec("sysctl", "-w", "net.ipv4.tcp_fastopen=" + TCP_FASTOPEN_SYSCTL);
        assertTrue(set.succeeded(), set::describe);
    }

    // A kernel client (sendto MSG_FASTOPEN) to our listener (TFO server bits 0x2 | 0x400: every listener has a
    // Fast Open queue, Linux's TFO_SERVER_WO_SOCKOPT1).
    @Test
    void kernelClient_secondSynCarriesItsDataWithOurCookie_ourServerTakesItAtOnce() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-tfo-");
        Path pcap = dir.resolve("utcp0.pcap");
        int mode = FastOpen.CLIENT_ENABLE | FastOpen.SERVER_ENABLE | FastOpen.SERVER_WO_SOCKOPT;
        try (TunStackHost host = TunStackHost.start("usertcp-tfo-kclient", TunStackHost.DEFAULT_MTU,
                c -> c.withTcp(TcpConfig.linux().toBuilder().fastOpen(mode).build()));
             TcpServerSocket listener = new TcpServerSocket(host.runner(), PORT, 8)) {
            setFastOpen(host);
            String client = String.join("\n",
                    "import socket",
                    "for i in range(2):",
                    "    s = socket.socket()",
                    "    s.sendto(b'hello%d' % i, socket.MSG_FASTOPEN, ('" + host.stackAddress() + "', " + PORT + "))",
                    "    s.settimeout(10)  # after the send: a timeout makes the socket non-blocking to the kernel",
                    "    print(s.recv(16).decode(), flush=True)",
                    "    s.close()");
            try (BackgroundProgram tcpdump = capture(host, dir, pcap)) {
                Future<String> served = host.namespace().submitInside(() -> {
                    StringBuilder got = new StringBuilder();
                    for (int i = 0; i < 2; i++) {
                        try (TcpSocket s = listener.accept()) {
                            s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                            InputStream in = s.getInputStream();
                            String text = new String(in.readNBytes(6), StandardCharsets.US_ASCII);
                            got.append(text).append(' ');
                            s.getOutputStream().write(("ok" + i).getBytes(StandardCharsets.US_ASCII));
                            s.getOutputStream().flush();
                        }
                    }
                    return got.toString().trim();
                });
                ExecResult run = host.namespace().exec("python3", "-c", client);
                assertTrue(run.succeeded(), run::describe);
                assertEquals("ok0\nok1", run.output().strip(), run.describe());
                assertEquals("hello0 hello1", Peers.get(served));
            }
            var stats = host.stack().stats();
            assertEquals(1, stats.get(Counter.TcpExtTCPFastOpenCookieReqd), stats.snapshot().toString());
            assertEquals(1, stats.get(Counter.TcpExtTCPFastOpenPassive), stats.snapshot().toString());
            List<String> lines = readBack(pcap);
            String all = String.join("\n", lines);
            // The first SYN asks for a cookie; our SYN,ACK gives one; the second SYN carries it and 6 bytes.
            assertTrue(lines.stream().anyMatch(l -> l.contains(host.kernelAddress() + ".") && l.contains("Flags [S]")
                    && l.contains("tfo") && l.contains("cookiereq")), all);
            assertTrue(lines.stream().anyMatch(l -> l.contains(host.stackAddress() + "." + PORT) && l.contains("Flags [S.]")
                    && l.contains("tfo") && l.contains("cookie ")), all);
            assertTrue(lines.stream().anyMatch(l -> l.contains(host.kernelAddress() + ".") && l.contains("Flags [S]")
                    && l.contains("tfo") && l.contains("cookie ") && l.contains("length 6")), all);
        } finally {
            InteropSupport.deleteAll(dir);
        }
    }

    // Our client (TcpSocket.connectFastOpen) to a kernel listener with TCP_FASTOPEN set (tcp_fastopen=3 there).
    @Test
    void kernelServer_ourSecondSynCarriesItsData_theKernelTakesIt() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-tfo-");
        Path pcap = dir.resolve("utcp0.pcap");
        try (TunStackHost host = TunStackHost.start("usertcp-tfo-kserver")) {
            setFastOpen(host);
            String server = String.join("\n",
                    "import socket",
                    "srv = socket.socket()",
                    "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                    "srv.setsockopt(socket.IPPROTO_TCP, 23, 8)  # TCP_FASTOPEN, queue of 8",
                    "srv.bind(('" + host.kernelAddress() + "', " + PORT + "))",
                    "srv.listen(8)",
                    "print('listening', flush=True)",
                    "for i in range(2):",
                    "    c, _ = srv.accept()",
                    "    c.settimeout(10)",
                    "    data = c.recv(16)",
                    "    c.sendall(b'ok:' + data)",
                    "    c.close()");
            try (BackgroundProgram tcpdump = capture(host, dir, pcap);
                 BackgroundProgram kernel = BackgroundProgram.start(host.namespace(), Duration.ofSeconds(30), dir,
                         "python3", "-c", server)) {
                InteropSupport.eventually(InteropSupport.WAIT, () -> kernel.output().contains("listening"),
                        () -> "the kernel server did not start: " + kernel.output());
                for (int i = 0; i < 2; i++) {
                    byte[] data = ("hello" + i).getBytes(StandardCharsets.US_ASCII);
                    try (TcpSocket s = TcpSocket.connectFastOpen(host.runner(), host.kernelAddress(), PORT,
                            data, Peers.CONNECT_TIMEOUT_MILLIS)) {
                        s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                        assertEquals("ok:hello" + i, new String(s.getInputStream().readNBytes(9), StandardCharsets.US_ASCII));
                    }
                }
            }
            var stats = host.stack().stats();
            // The second connection's SYN-data was acknowledged whole (Linux TcpExtTCPFastOpenActive).
            assertEquals(1, stats.get(Counter.TcpExtTCPFastOpenActive), stats.snapshot().toString());
            ExecResult netstat = host.namespace().exec("cat", "/proc/net/netstat");
            assertTrue(netstat.succeeded(), netstat::describe);
            List<String> lines = readBack(pcap);
            String all = String.join("\n", lines);
            assertTrue(lines.stream().anyMatch(l -> l.contains(host.stackAddress() + ".") && l.contains("Flags [S]")
                    && l.contains("tfo") && l.contains("cookiereq")), all);
            assertTrue(lines.stream().anyMatch(l -> l.contains(host.stackAddress() + ".") && l.contains("Flags [S]")
                    && l.contains("tfo") && l.contains("cookie ") && l.contains("length 6")), all);
            // The kernel counted one passive Fast Open: the child made from our SYN-data.
            assertTrue(netstat.output().contains("TCPFastOpenPassive"), netstat.output());
            assertEquals(1L, passiveOpens(netstat.output()), netstat.output());
        } finally {
            InteropSupport.deleteAll(dir);
        }
    }

    /** TcpExt's TCPFastOpenPassive from /proc/net/netstat's name and value lines. */
    private static long passiveOpens(String netstat) {
        String[] lines = netstat.split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            String[] names = lines[i].trim().split("\\s+");
            String[] values = lines[i + 1].trim().split("\\s+");
            for (int k = 1; k < Math.min(names.length, values.length); k++) {
                if (names[0].equals("TcpExt:") && names[k].equals("TCPFastOpenPassive")) {
                    return Long.parseLong(values[k]);
                }
            }
        }
        return -1;
    }
}
