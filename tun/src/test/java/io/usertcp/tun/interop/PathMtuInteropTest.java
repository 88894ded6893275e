package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.StreamEndpoint;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Path MTU discovery against a real router (RFC 1191): the TUN host's namespace forwards our
 * segments to a kernel server in a second namespace over a route whose MTU is 1000. The server's
 * own link is 1500, so it offers MSS 1460, and our first full segments are too big for the route:
 * the router kernel drops them and answers "fragmentation needed, MTU 1000". Our stack must lower
 * its MSS and resend, and the transfer must arrive intact. tcpdump, on the TUN device (headers
 * only), records the exchange, and reading the capture back shows the ICMP message the router
 * sent.
 */
class PathMtuInteropTest {
    private static final String VETH = "utcpm0";
    private static final String VETH_PEER = "utcpm1";
    private static final String ROUTER_SIDE = "198.18.4.1";
    private static final String SERVER = "198.18.4.2";
    private static final int ROUTE_MTU = 1000;
    private static final int PORT = 5003;
    private static final long LENGTH = 2_000_000;

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("tcpdump", "tcpdump");
    }

    @AfterEach
    void nothingLeft() {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    private static void exec(NetworkNamespace ns, String... command) {
        ExecResult r = ns.exec(command);
        if (!r.succeeded()) {
            throw new IllegalStateException(r.describe());
        }
    }

    @Test
    void routerWithSmallerMtu_fragmentationNeeded_mssLowered_transferIntact() throws Exception {
        Path dir = Files.createTempDirectory("usertcp-pmtu-");
        Path pcap = dir.resolve("utcp0.pcap");
        try (TunStackHost host = TunStackHost.start("usertcp-interop-pmtu");
             NetworkNamespace server = NetworkNamespace.create("usertcp-interop-pmtus")) {
            NetworkNamespace router = host.namespace();
            // The pair is made inside the router namespace with its peer moved straight into the server's: it never
            // exists in the root namespace, and deleting the namespaces deletes it.
            exec(router, "ip", "link", "add", VETH, "type", "veth", "peer", "name", VETH_PEER, "netns", server.name());
            router.addAddress(VETH, ROUTER_SIDE + "/24");
            server.addAddress(VETH_PEER, SERVER + "/24");
            router.linkUp(VETH, 1500);
            server.linkUp(VETH_PEER, 1500);
            exec(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); // this namespace's own setting
            exec(router, "ip", "route", "add", SERVER + "/32", "dev", VETH, "mtu", Integer.toString(ROUTE_MTU));
            exec(server, "ip", "route", "add", host.stackAddress() + "/32", "via", ROUTER_SIDE);

            // --immediate-mode: with the TUN offloads the 2 MB go in a few hundred milliseconds, before tcpdump's
            // capture ring would hand over its first block; without it the pcap can end up empty.
            try (BackgroundProgram tcpdump = BackgroundProgram.start(router, Duration.ofSeconds(60), dir,
                    "tcpdump", "-i", TunStackHost.DEVICE, "-n", "-U", "--immediate-mode", "-s", "128", "-w", pcap.toString())) {
                InteropSupport.eventually(InteropSupport.WAIT, () -> tcpdump.output().contains("listening on"),
                        () -> "tcpdump did not start: " + tcpdump.output());
                try (ServerSocket listener = Peers.kernelListener(server, SERVER, PORT)) {
                    Future<InteropSupport.Received> received = server.submitInside(() -> {
                        try (Socket s = listener.accept()) {
                            s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                            return Peers.receive(StreamEndpoint.of(s));
                        }
                    });
                    Peers.Sent sent;
                    int mssAfter;
                    try (TcpSocket s = TcpSocket.connect(host.runner(), Ipv4Address.of(SERVER), PORT, Peers.CONNECT_TIMEOUT_MILLIS)) {
                        s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                        StreamEndpoint e = StreamEndpoint.of(s);
                        InteropSupport.sendGenerated(e.out(), LENGTH);
                        e.out().flush();
                        mssAfter = host.runner().call(now -> host.stack().snapshot(now).stream()
                                .filter(c -> c.id().remotePort() == PORT).findFirst().orElseThrow().mss());
                        e.shutdownOutput();
                        byte[] digest = e.in().readNBytes(32);
                        sent = new Peers.Sent(0, digest);
                    }
                    InteropSupport.Received r = Peers.get(received);
                    assertEquals(LENGTH, r.bytes());
                    assertArrayEquals(r.sha256(), sent.receiverDigest(), "the server's digest of what arrived");
                    // 1000 - 20 (IP) - 20 (TCP) - 12 (timestamps, negotiated with Linux by default).
                    assertEquals(ROUTE_MTU - 40 - 12, mssAfter);
                }
                assertTrue(host.stack().stats().get(Counter.IcmpInDestUnreachs) >= 1);
            }
            ExecResult read = InteropSupport.run(InteropSupport.WAIT, InteropSupport.findCommand("tcpdump"), "-n", "-r", pcap.toString());
            // The router answers from its address on the TUN device, toward our stack.
            assertTrue(read.output().contains(host.kernelAddress() + " > " + host.stackAddress()
                    + ": ICMP " + SERVER + " unreachable - need to frag (mtu " + ROUTE_MTU + ")"), read.output());
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }
}
