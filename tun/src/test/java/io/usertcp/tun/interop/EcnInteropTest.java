package io.usertcp.tun.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.apps.GeneratedBytes;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import io.usertcp.tun.interop.Peers.Outcome;
import io.usertcp.tun.interop.Peers.Sent;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ECN (RFC 3168) against the kernel, with net.ipv4.tcp_ecn=1 set inside the test's namespace only:
 * negotiated with a kernel client (our passive open, tcp_ecn=2 as Linux's default) and with a kernel
 * server (our active open, tcp_ecn=1), then the kernel sends 2 MB through our {@link CeMarkingLink},
 * which marks CE on a few of its ECT data packets. Checked on both sides: our counters (ECT(0) data
 * arriving, the CE marks), the segments our stack sent (ECE) and received (the kernel's CWR), and the
 * kernel's own counters in the namespace ({@code /proc/net/netstat}: IpExtInECT0Pkts for our ECT(0)
 * data, TcpExtTCPDeliveredCE for the echoes it heard).
 */
@Tag("tun")
@Timeout(60)
class EcnInteropTest {
    private static final int PORT = 5311;
    private static final long BYTES = 2_000_000L;
    /** Every 50th ECT data packet from the kernel is marked, at most 5: 2 MB is about 1400 segments. */
    private static final int MARK_INTERVAL = 50;
    private static final int MARK_LIMIT = 5;
    private static final Path HOST_TCP_ECN = Path.of("/proc/sys/net/ipv4/tcp_ecn");

    private String hostTcpEcnBefore;

    @BeforeAll
    static void needTunAndSysctl() {
        InteropSupport.requireTun();
        InteropSupport.requireCommand("sysctl", "procps");
    }

    @AfterEach
    void nothingLeftAndTheHostUntouched() throws Exception {
        InteropSupport.assertNothingLeftInRootNamespace();
        if (hostTcpEcnBefore != null) {
            assertEquals(hostTcpEcnBefore, Files.readString(HOST_TCP_ECN).trim(), "the host's own net.ipv4.tcp_ecn changed");
        }
    }

    /** Counts TCP flags on what our stack received and sent (the stack's thread writes, the test reads). */
    private static final class FlagCounter implements ConnectionObserver {
        final AtomicLong cwrIn = new AtomicLong();
        final AtomicLong eceOut = new AtomicLong();
        final AtomicLong ect0Out = new AtomicLong();
        private final TcpSegmentView tcp = new TcpSegmentView();

        @Override
        public void segmentIn(long nowNanos, Ipv4PacketView packet) {
            if ((tcp.wrap(packet).flags() & TcpFlags.CWR) != 0) {
                cwrIn.incrementAndGet();
            }
        }

        @Override
        public void segmentOut(long nowNanos, Ipv4PacketView packet) {
            if ((tcp.wrap(packet).flags() & (TcpFlags.ECE | TcpFlags.SYN)) == TcpFlags.ECE) {
                eceOut.incrementAndGet();
            }
            if (packet.ecn() == 0b10) {
                ect0Out.incrementAndGet();
            }
        }
    }

    private record Setup(TunStackHost host, CeMarkingLink marker, FlagCounter flags) {}

    /** Our stack (linux profile, ECN mode {@code ours}) behind a CE-marking link; tcp_ecn=1 in the namespace's kernel. */
    private Setup start(String prefix, TcpConfig.EcnMode ours) throws Exception {
        hostTcpEcnBefore = Files.readString(HOST_TCP_ECN).trim();
        FlagCounter flags = new FlagCounter();
        CeMarkingLink[] marker = new CeMarkingLink[1];
        TunStackHost host = TunStackHost.start(prefix, TunStackHost.DEFAULT_MTU, TunStackHost.Layout.defaults(),
                c -> c.withTcp(TcpConfig.linux().toBuilder().ecn(ours).build()).withObserver(flags),
                link -> marker[0] = new CeMarkingLink(link, MARK_INTERVAL, MARK_LIMIT));
        try {
            ExecResult set = host.namespace().exec("sysctl", "-w", "net.ipv4.tcp_ecn=1");
            assertTrue(set.succeeded(), set::describe);
            ExecResult read = host.namespace().exec("sysctl", "-n", "net.ipv4.tcp_ecn");
            assertEquals("1", read.output().trim(), "tcp_ecn inside the namespace");
        } catch (Exception | Error e) {
            host.close();
            throw e;
        }
        return new Setup(host, marker[0], flags);
    }

    /** The kernel's TcpExt and IpExt counters in the host's namespace ({@code /proc/net/netstat} read there). */
    private static Map<String, Long> kernelCounters(TunStackHost host) {
        ExecResult r = host.namespace().exec("cat", "/proc/net/netstat");
        assertTrue(r.succeeded(), r::describe);
        Map<String, Long> out = new HashMap<>();
        String[] lines = r.output().split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            String[] names = lines[i].trim().split("\\s+");
            String[] values = lines[i + 1].trim().split("\\s+");
            String group = names[0].replace(":", "");
            for (int k = 1; k < Math.min(names.length, values.length); k++) {
                out.put(group + names[k], Long.parseLong(values[k]));
            }
        }
        return out;
    }

    private static void assertIntact(Received received, Sent sent) {
        byte[] expected = GeneratedBytes.sha256(BYTES);
        assertEquals(BYTES, received.bytes());
        assertArrayEquals(expected, received.sha256());
        assertArrayEquals(expected, sent.receiverDigest());
    }

    /** What both kinds of handshake must lead to once the kernel has sent 2 MB through the marking link. */
    private static void assertCeHandled(Setup s, Map<String, Long> kernelBefore) {
        var stats = s.host.stack().stats();
        Map<String, Long> kernel = kernelCounters(s.host);
        String report = "marked " + s.marker.marked() + ", ours: " + stats.snapshot() + ", ECE sent " + s.flags.eceOut
                + ", CWR received " + s.flags.cwrIn + ", ECT(0) sent " + s.flags.ect0Out + "; kernel TCPDeliveredCE "
                + kernel.get("TcpExtTCPDeliveredCE") + ", IpExtInECT0Pkts " + kernel.get("IpExtInECT0Pkts");
        System.out.println("ECN over TUN: " + report);
        // The kernel negotiated ECN and marked its data ECT(0): otherwise nothing would have been marked.
        assertEquals(MARK_LIMIT, s.marker.marked(), report);
        assertTrue(stats.get(Counter.IpExtInECT0Pkts) > 500, report);
        assertEquals(MARK_LIMIT, stats.get(Counter.IpExtInCEPkts), report);
        // RFC 3168 §6.1.3: we echoed ECE; §6.1.2: the kernel reduced its window and said so with CWR.
        assertTrue(s.flags.eceOut.get() >= 1, report);
        assertTrue(s.flags.cwrIn.get() >= 1, report);
        assertTrue(kernel.get("TcpExtTCPDeliveredCE") - kernelBefore.getOrDefault("TcpExtTCPDeliveredCE", 0L) >= 1, report);
        // Our reply (the 32-byte digest) was new data on an ECN connection: ECT(0), counted by the kernel.
        assertTrue(s.flags.ect0Out.get() >= 1, report);
        assertTrue(kernel.get("IpExtInECT0Pkts") - kernelBefore.getOrDefault("IpExtInECT0Pkts", 0L) >= 1, report);
    }

    // RFC 3168 §6.1.1: the kernel client (tcp_ecn=1) sends an ECN-setup SYN; our listener (tcp_ecn=2) agrees.
    @Test
    void kernelClient_negotiatesEcn_andACeMarkIsEchoedUntilTheKernelsCwr() throws Exception {
        Setup s = start("usertcp-ecn-kclient", TcpConfig.EcnMode.PASSIVE);
        try (TunStackHost host = s.host; TcpServerSocket listener = new TcpServerSocket(host.runner(), PORT, 8)) {
            Map<String, Long> before = kernelCounters(host);
            Outcome<Received, Sent> o = Peers.kernelClient(host, listener, Peers::receive, e -> Peers.send(e, BYTES));
            assertIntact(o.ours(), o.kernel());
            assertCeHandled(s, before);
        }
    }

    // RFC 3168 §6.1.1: our client (tcp_ecn=1) sends an ECN-setup SYN; the kernel server answers with ECE.
    @Test
    void kernelServer_negotiatesEcn_andACeMarkIsEchoedUntilTheKernelsCwr() throws Exception {
        Setup s = start("usertcp-ecn-kserver", TcpConfig.EcnMode.ON);
        try (TunStackHost host = s.host; ServerSocket kernelListener = Peers.kernelListener(host, PORT)) {
            Map<String, Long> before = kernelCounters(host);
            Outcome<Received, Sent> o = Peers.ourClient(host, kernelListener, Peers::receive, e -> Peers.send(e, BYTES));
            assertIntact(o.ours(), o.kernel());
            assertCeHandled(s, before);
        }
    }
}
