package io.usertcp.tun.interop;

import io.usertcp.socket.StreamEndpoint;
import static io.usertcp.tun.interop.InteropSupport.megabitsPerSecond;
import static io.usertcp.tun.interop.InteropSupport.megabytesPerSecond;
import static io.usertcp.tun.interop.InteropSupport.size;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.ResourceLeakDetector;
import io.usertcp.apps.GeneratedBytes;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import io.usertcp.tun.interop.Peers.OurRole;
import io.usertcp.tun.interop.Peers.Outcome;
import io.usertcp.tun.interop.Peers.Sent;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Payloads between our stack and the kernel's TCP, both roles and both directions, compared by
 * SHA-256 at the receiver and again at the sender (the receiver sends its digest back), in each
 * behaviour profile of our stack (linux, rfc, freebsd) with that profile's own numbers (freebsd:
 * 64 KiB receive and 32 KiB send buffers; rfc: RTO min 1 s, delayed ACK 200 ms). The 100 MB case
 * in the linux profile also measures throughput each way next to kernel-to-kernel over a veth
 * pair, the same sender and receiver code on both ends (DESIGN.md §11: printed as a ratio, never
 * asserted); the other profiles move 100 MB each way once, checked the same way.
 */
@Tag("tun")
@Timeout(180)
class DataTransferInteropTest {
    static final int PORT = 5001;
    static final long HUNDRED_MB = 100_000_000L;

    /** Which way the bytes go. */
    enum Direction { KERNEL_TO_US, US_TO_KERNEL }

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
    }

    @AfterEach
    void nothingLeft() {
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    static Stream<Arguments> profilesRolesAndDirections() {
        return Stream.of(TcpProfile.Reference.values()).flatMap(p -> Stream.of(OurRole.values())
                .flatMap(r -> Stream.of(Direction.values()).map(d -> Arguments.of(p, r, d))));
    }

    /** Our stack in {@code profile}, with that profile's numbers. */
    private static TunStackHost start(String prefix, TcpProfile.Reference profile) {
        return TunStackHost.start(prefix, TunStackHost.DEFAULT_MTU, c -> c.withTcp(InteropSupport.tcp(profile)));
    }

    @ParameterizedTest(name = "{0} profile, our {1}, {2}")
    @MethodSource("profilesRolesAndDirections")
    void payloads_0B_1B_1MB_arriveIntact(TcpProfile.Reference profile, OurRole role, Direction direction) throws Exception {
        try (TunStackHost host = start("usertcp-interop-data", profile)) {
            for (long length : List.of(0L, 1L, 1_000_000L)) {
                Transfer t = transfer(host, role, direction, length);
                assertIntact(t, length, profile.label() + " profile, " + role + " " + direction + " " + size(length));
            }
        }
    }

    /**
     * RFC 9293 §3.8 (reliable, ordered byte stream) in the other profiles: 100 MB each way, intact,
     * with the profile's own buffers and timers; how long it took is printed, not compared. (The
     * linux profile moves 100 MB in the measured case below.)
     */
    @ParameterizedTest(name = "{0} profile")
    @EnumSource(value = TcpProfile.Reference.class, names = {"RFC", "FREEBSD"})
    void hundredMegabytes_eachWay_intact_inTheOtherProfiles(TcpProfile.Reference profile) throws Exception {
        // sampled leak tracking, as in the measured case: paranoid tracking of 100 MB is a test of the tracker
        ResourceLeakDetector.Level buildLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        try (TunStackHost host = start("usertcp-interop-100mb", profile)) {
            Transfer toUs = transfer(host, OurRole.SERVER, Direction.KERNEL_TO_US, HUNDRED_MB);
            assertIntact(toUs, HUNDRED_MB, profile.label() + " profile, kernel -> usertcp");
            Transfer toKernel = transfer(host, OurRole.CLIENT, Direction.US_TO_KERNEL, HUNDRED_MB);
            assertIntact(toKernel, HUNDRED_MB, profile.label() + " profile, usertcp -> kernel");
            System.out.printf("%n100 MB in the %s profile (MTU %d): kernel -> usertcp %.3f s (%.1f MB/s), usertcp -> kernel"
                    + " %.3f s (%.1f MB/s)%n", profile.label(), TunStackHost.DEFAULT_MTU, toUs.nanos() / 1e9,
                    megabytesPerSecond(HUNDRED_MB, toUs.nanos()), toKernel.nanos() / 1e9,
                    megabytesPerSecond(HUNDRED_MB, toKernel.nanos()));
        } finally {
            ResourceLeakDetector.setLevel(buildLevel);
        }
    }

    /**
     * The virtio-net offloads (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4) carry 100 MB each way intact
     * as super-segments of up to 64 KB in both directions, with partial checksums that neither side
     * verifies; with them off, the same transfer crosses as one datagram per segment.
     */
    @ParameterizedTest(name = "offloads {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void hundredMegabytes_eachWay_intact_withAndWithoutOffloads(boolean offloads) throws Exception {
        ResourceLeakDetector.Level buildLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE); // as above: 100 MB under paranoid tracks the tracker
        try (TunStackHost host = TunStackHost.start("usertcp-interop-offload", TunStackHost.DEFAULT_MTU,
                TunStackHost.Layout.defaults(), c -> c.withTcp(InteropSupport.tcp(TcpProfile.Reference.LINUX)),
                java.util.function.UnaryOperator.identity(), offloads)) {
            assertEquals(offloads, host.link().offloads().checksum(), "the link's offloads");
            var before = host.runner().call(now -> host.link().stats());
            Transfer toUs = transfer(host, OurRole.SERVER, Direction.KERNEL_TO_US, HUNDRED_MB);
            assertIntact(toUs, HUNDRED_MB, "offloads " + offloads + ", kernel -> usertcp");
            var middle = host.runner().call(now -> host.link().stats());
            Transfer toKernel = transfer(host, OurRole.CLIENT, Direction.US_TO_KERNEL, HUNDRED_MB);
            assertIntact(toKernel, HUNDRED_MB, "offloads " + offloads + ", usertcp -> kernel");
            var after = host.runner().call(now -> host.link().stats());
            long in = middle.rxSuperSegments() - before.rxSuperSegments();
            long out = after.txSuperSegments() - middle.txSuperSegments();
            long inPackets = middle.rxPackets() - before.rxPackets();
            long outPackets = after.txPackets() - middle.txPackets();
            System.out.printf("%n100 MB with offloads %s: kernel -> usertcp %.3f s in %d datagrams (%d super-segments),"
                    + " usertcp -> kernel %.3f s in %d datagrams (%d super-segments)%n", offloads ? "on" : "off",
                    toUs.nanos() / 1e9, inPackets, in, toKernel.nanos() / 1e9, outPackets, out);
            if (offloads) {
                // 100 MB in 1448-byte segments would be 69,000 datagrams; super-segments carry most of it
                assertTrue(in > 0 && inPackets < 30_000, "kernel -> usertcp: " + inPackets + " datagrams, " + in + " super");
                assertTrue(out > 0 && after.txPackets() - middle.txPackets() < 40_000,
                        "usertcp -> kernel: " + outPackets + " datagrams, " + out + " super");
            } else {
                assertEquals(0, in + out, "no super-segment crosses a plain link");
                assertTrue(inPackets > 69_000, "kernel -> usertcp: one datagram per segment, " + inPackets);
            }
        } finally {
            ResourceLeakDetector.setLevel(buildLevel);
        }
    }

    // RFC 9293 §3.8 (reliable, ordered byte stream), with window scaling (RFC 7323) against Linux; the linux profile
    @Test
    void hundredMegabytes_eachWay_intact_throughputNextToKernelOverVeth() throws Exception {
        Transfer toUs;
        Transfer toKernel;
        // Paranoid leak tracking records a stack trace at every touch of every buffer: about ten times
        // slower, which would make this a measurement of the tracker. Sampled tracking (SIMPLE) still
        // reports leaks; the smaller payloads and the load tests run at the build's paranoid level.
        ResourceLeakDetector.Level buildLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        Transfer baseline;
        try (TunStackHost host = start("usertcp-interop-100mb", TcpProfile.Reference.LINUX)) {
            // Each measured RUNS times, the fastest kept: the machine is shared and a run can be unlucky.
            toUs = fastest(() -> transfer(host, OurRole.SERVER, Direction.KERNEL_TO_US, HUNDRED_MB), "kernel -> usertcp");
            toKernel = fastest(() -> transfer(host, OurRole.CLIENT, Direction.US_TO_KERNEL, HUNDRED_MB), "usertcp -> kernel");
        } finally {
            ResourceLeakDetector.setLevel(buildLevel);
        }
        baseline = fastest(() -> vethBaseline(HUNDRED_MB, TunStackHost.DEFAULT_MTU), "kernel -> kernel over veth");

        double base = megabytesPerSecond(HUNDRED_MB, baseline.nanos());
        System.out.printf("%n100 MB transfers (MTU %d, sender start to receiver end of stream, SHA-256 on both ends,"
                + " fastest of %d, leak detection %s during the TUN transfers):%n", TunStackHost.DEFAULT_MTU, RUNS,
                ResourceLeakDetector.Level.SIMPLE);
        for (var row : List.of(List.of("kernel -> usertcp (TUN)", toUs), List.of("usertcp -> kernel (TUN)", toKernel),
                List.of("kernel -> kernel (veth)", baseline))) {
            Transfer t = (Transfer) row.get(1);
            double mbps = megabytesPerSecond(HUNDRED_MB, t.nanos());
            System.out.printf("  %-24s %7.3f s  %8.1f MB/s  %8.1f Mbit/s  ratio to veth %.3f%n", row.get(0),
                    t.nanos() / 1e9, mbps, megabitsPerSecond(HUNDRED_MB, t.nanos()), mbps / base);
        }
    }

    // ---------------------------------------------------------------- one transfer

    static final int RUNS = 2;
    private static final Map<Long, byte[]> EXPECTED = new ConcurrentHashMap<>();

    @FunctionalInterface
    interface Run {
        Transfer run() throws Exception;
    }

    /** Runs a 100 MB transfer {@link #RUNS} times, checks every one, and returns the fastest. */
    private static Transfer fastest(Run run, String what) throws Exception {
        Transfer best = null;
        for (int i = 0; i < RUNS; i++) {
            Transfer t = run.run();
            assertIntact(t, HUNDRED_MB, what + " (run " + (i + 1) + ")");
            if (best == null || t.nanos() < best.nanos()) {
                best = t;
            }
        }
        return best;
    }

    /** A finished transfer: what the receiver got, what the sender was told, and how long it took. */
    record Transfer(Received received, Sent sent) {
        long nanos() {
            return received.endNanos() - sent.startNanos();
        }
    }

    private static void assertIntact(Transfer t, long length, String what) {
        byte[] expected = EXPECTED.computeIfAbsent(length, GeneratedBytes::sha256);
        assertEquals(length, t.received.bytes(), what + ": bytes received");
        assertEquals(HexFormat.of().formatHex(expected), t.received.hex(), what + ": SHA-256 at the receiver");
        assertArrayEquals(expected, t.sent.receiverDigest(), what + ": SHA-256 the sender got back");
    }

    private static Transfer transfer(TunStackHost host, OurRole role, Direction direction, long length) throws Exception {
        boolean weSend = direction == Direction.US_TO_KERNEL;
        if (role == OurRole.SERVER) {
            try (TcpServerSocket listener = new TcpServerSocket(host.runner(), PORT, 8)) {
                if (weSend) {
                    Outcome<Sent, Received> o = Peers.kernelClient(host, listener, e -> Peers.send(e, length), Peers::receive);
                    return new Transfer(o.kernel(), o.ours());
                }
                Outcome<Received, Sent> o = Peers.kernelClient(host, listener, Peers::receive, e -> Peers.send(e, length));
                return new Transfer(o.ours(), o.kernel());
            }
        }
        try (ServerSocket kernelListener = Peers.kernelListener(host, PORT)) {
            if (weSend) {
                Outcome<Sent, Received> o = Peers.ourClient(host, kernelListener, e -> Peers.send(e, length), Peers::receive);
                return new Transfer(o.kernel(), o.ours());
            }
            Outcome<Received, Sent> o = Peers.ourClient(host, kernelListener, Peers::receive, e -> Peers.send(e, length));
            return new Transfer(o.ours(), o.kernel());
        }
    }

    /** The same sender (client, left namespace) and receiver (server, right namespace), kernel to kernel over veth. */
    private static Transfer vethBaseline(long length, int mtu) throws Exception {
        try (VethPair veth = VethPair.create(mtu);
             ServerSocket listener = Peers.kernelListener(veth.right, VethPair.RIGHT_ADDRESS, PORT)) {
            Future<Received> receiver = veth.right.submitInside(() -> {
                try (Socket s = listener.accept()) {
                    s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                    return Peers.receive(StreamEndpoint.of(s));
                }
            });
            Sent sent = veth.left.runInside(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(VethPair.RIGHT_ADDRESS, PORT), Peers.CONNECT_TIMEOUT_MILLIS);
                    s.setSoTimeout(Peers.READ_TIMEOUT_MILLIS);
                    return Peers.send(StreamEndpoint.of(s), length);
                }
            });
            return new Transfer(Peers.get(receiver), sent);
        }
    }
}
