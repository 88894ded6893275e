package io.usertcp.tun.interop;

import static io.usertcp.tun.interop.InteropSupport.STACK;
import static io.usertcp.tun.interop.InteropSupport.awaitKernelState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.function.UnaryOperator;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections that fail, against the kernel: keep-alive finding a silent peer, SYNs to closed
 * ports, and SYNs nobody answers.
 */
@Tag("tun")
@Timeout(60)
class FailureInteropTest {
    /** In 198.18.0.0/24 on the TUN link, owned by nobody: the kernel does not forward, we do not answer. */
    static final String NOBODY = "198.18.0.77";
    static final int CLOSED_PORT = 9;

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("nft", "nftables");
    }

    @AfterEach
    void nothingLeft() {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    /**
     * RFC 1122 §4.2.3.6 keep-alive, both ways. First the kernel probes us (TCP_KEEPIDLE 1 s,
     * TCP_KEEPINTVL 1 s, TCP_KEEPCNT 1: it would give up after 2 s unanswered) and our answers keep
     * the connection up for 3 s. Then ours (idle 1 s, interval 1 s, 3 probes) against a kernel made
     * silent by nftables: the connection fails after idle + interval × count = 4 s with
     * KEEPALIVE_TIMEOUT, and our RST (Linux tcp_keepalive_timer also resets) reaches the kernel.
     */
    @Test
    void keepalive_kernelProbesAreAnswered_andOursDetectASilentKernel() throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-interop-ka");
             Connected c = Connected.ourClient(host)) {
            c.kernel.setKeepAlive(true);
            c.kernel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 1);
            c.kernel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 1);
            c.kernel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 1);
            c.ours.getOutputStream().write('x');
            assertEquals('x', c.kernel.getInputStream().read());
            c.ours.setSoTimeout(3_000);
            assertThrows(SocketTimeoutException.class, () -> c.ours.getInputStream().read(),
                    "3 s of kernel probes: no data for the application");
            assertEquals("ESTAB", c.kernelState(host), "the kernel's probes were answered");
            c.kernel.setKeepAlive(false);

            // Our keep-alive: the kernel answers nothing from now on.
            c.kernel.getOutputStream().write('y');
            assertEquals('y', c.ours.getInputStream().read());
            long lastHeard = System.nanoTime();
            c.ours.setKeepAlive(true, 1, 1, 3);
            Nft.add(host.namespace(), "silent", Nft.Hook.OUTPUT, "ip", "daddr", STACK, "drop");
            c.ours.setSoTimeout(15_000);
            SocketException e = assertThrows(SocketException.class, () -> c.ours.getInputStream().read());
            long elapsedMillis = (System.nanoTime() - lastHeard) / 1_000_000;

            assertEquals("Connection timed out", e.getMessage());
            assertEquals(CloseReason.KEEPALIVE_TIMEOUT, c.ours.closeReason());
            assertTrue(elapsedMillis >= 3_800 && elapsedMillis <= 4_000 + 1_000,
                    "detected after " + elapsedMillis + " ms (expected: idle 1 s + 3 x 1 s = 4 s, tolerance 1 s)");
            assertEquals(3L, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpExtTCPKeepAlive)),
                    "three probes, then the reset");
            awaitKernelState(host, c.kernelPort(), c.stackPort(), null); // our RST got through
        }
    }

    // RFC 9293 §3.10.7.1: a SYN to a port nobody listens on is answered <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>
    @Test
    void synToClosedPort_isRefused_bothWays() throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-interop-refused")) {
            ConnectException kernelSide = assertThrows(ConnectException.class, () -> host.kernel(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(STACK, CLOSED_PORT), 5_000);
                    return null;
                }
            }));
            assertEquals("Connection refused", kernelSide.getMessage(), "the kernel client took our RST");

            ConnectException ours = assertThrows(ConnectException.class,
                    () -> TcpSocket.connect(host.runner(), TunStackHost.KERNEL_ADDRESS, CLOSED_PORT, 5_000));
            assertEquals("Connection refused", ours.getMessage(), "our client took the kernel's RST");
            assertEquals(1L, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpAttemptFails)));
            assertEquals(0, (int) host.runner().call(now -> host.stack().connectionCount()));
        }
    }

    /**
     * RFC 9293 §3.8.1 / RFC 6298: an unanswered SYN is retransmitted with backoff, then the open fails.
     * With synRetries 1 and an initial RTO of 200 ms: SYN at 0, again at 200 ms, give up at 600 ms.
     * nftables counts the SYNs that reach the namespace; nothing is forwarded anywhere.
     */
    @Test
    void connectToAPeerNobodyAnswers_timesOut_withConnectTimeout() throws Exception {
        UnaryOperator<io.usertcp.tcp.StackConfig> fastGiveUp = c -> c.withTcp(c.tcp().toBuilder()
                .synRetries(1).rtoInitialNanos(200_000_000L).build());
        try (TunStackHost host = TunStackHost.start("usertcp-interop-unreach", TunStackHost.DEFAULT_MTU, fastGiveUp)) {
            Nft.add(host.namespace(), "nobody", Nft.Hook.PREROUTING, "ip", "daddr", NOBODY,
                    "tcp", "flags", "&", "(syn|ack)", "==", "syn", "counter");
            long start = System.nanoTime();
            ConnectException e = assertThrows(ConnectException.class,
                    () -> TcpSocket.connect(host.runner(), Ipv4Address.of(NOBODY), 80, 10_000));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals("Connection timed out", e.getMessage());
            assertTrue(elapsedMillis >= 550 && elapsedMillis <= 600 + 500, "gave up after " + elapsedMillis + " ms");
            assertEquals(2, Nft.counterPackets(host.namespace(), "nobody"), "the SYN and one retransmission");

            // The same through the core, to see the reason it records.
            TcpConnection raw = host.runner().call(now -> host.stack().connect(now, Ipv4Address.of(NOBODY).bits(), 81));
            InteropSupport.eventually(Duration.ofSeconds(5), () -> host.runner().call(now -> raw.closeReason()) != null,
                    () -> "the second attempt ended");
            assertEquals(CloseReason.CONNECT_TIMEOUT, host.runner().call(now -> raw.closeReason()));
            assertEquals(TcpState.CLOSED, host.runner().call(now -> raw.state()));
            host.runner().call(now -> {
                raw.close(now);
                return null;
            });
        }
    }

    // Linux tcp_connect / java.net: the kernel's SYN to an address we do not own gets no answer from us
    @Test
    void kernelConnectToAnAddressWeDoNotOwn_getsNoAnswer_andTimesOut() throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-interop-unreach-k")) {
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> host.kernel(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(NOBODY, 80), 500);
                    return null;
                }
            }));
            assertEquals("Connect timed out", e.getMessage());
            assertTrue(host.runner().call(now -> host.stack().stats().drops(io.usertcp.wire.DropReason.IPV4_NOT_FOR_US)) >= 1,
                    "our stack dropped the SYN for " + NOBODY);
            assertEquals(0L, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpOutRsts)),
                    "and sent nothing back");
        }
    }
}
