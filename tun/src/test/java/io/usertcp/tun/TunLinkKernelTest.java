package io.usertcp.tun;

import static io.usertcp.tun.TunTestSupport.KERNEL_SIDE;
import static io.usertcp.tun.TunTestSupport.STACK_SIDE;
import static io.usertcp.tun.TunTestSupport.awaitDatagram;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A TUN device against the real kernel, in a fresh namespace per test. The kernel's interface is
 * {@code utun0} with 198.18.0.1/24; the "stack" is whatever this test writes back as 198.18.0.2,
 * so what the kernel sends to 198.18.0.2 comes out of the TUN fd.
 */
@Tag("tun")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunLinkKernelTest {
    private static final String DEVICE = "utun0";
    private static final int MTU = 1500;
    private static final Duration PACKET_WAIT = Duration.ofSeconds(5);

    private NetworkNamespace ns;
    private TunDevice device;
    private TunLink link;
    private final PacketDecoder decoder = TunTestSupport.stackSideDecoder();
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tun-test-background");
        t.setDaemon(true);
        return t;
    });

    @BeforeEach
    void createNamespaceWithTun() {
        TunTestSupport.requireTun(); // per test, so that a skip shows on each test with its reason
        ns = NetworkNamespace.create("usertcp-tuntest");
        device = ns.openTun(DEVICE);
        ns.addAddress(DEVICE, KERNEL_SIDE + "/24");
        ns.linkUp(DEVICE, MTU);
    }

    @AfterEach
    void deleteNamespace() {
        background.shutdownNow();
        try {
            if (link != null) {
                link.close();
            } else if (device != null) {
                device.close();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @AfterAll
    static void nothingLeft() {
        if (TunSupport.probe() == null) {
            TunTestSupport.assertNothingLeftInRootNamespace();
        }
    }

    private TunLink openLink(int linkMtu, ByteBufAllocator allocator) {
        link = new TunLink(device, linkMtu, allocator);
        return link;
    }

    private TunLink openLink() {
        return openLink(MTU, PooledByteBufAllocator.DEFAULT);
    }

    /** {@code ping -c 1} from the kernel side, bounded: one request, {@code waitSeconds} for the reply. */
    private CompletableFuture<ExecResult> pingStackSide(int waitSeconds, String... extra) {
        TunTestSupport.requireCommand("ping", "iputils-ping");
        List<String> command = new ArrayList<>(List.of("ping", "-n", "-c", "1", "-W", Integer.toString(waitSeconds)));
        command.addAll(Arrays.asList(extra));
        command.add(STACK_SIDE);
        String[] line = command.toArray(String[]::new);
        return CompletableFuture.supplyAsync(() -> ns.exec(Duration.ofSeconds(waitSeconds + 10L), line), background);
    }

    private static boolean isEchoRequest(PacketDecoder d) {
        return d.protocol() == Ipv4PacketView.PROTOCOL_ICMP && d.icmp().type() == Icmpv4MessageView.TYPE_ECHO_REQUEST;
    }

    // ---------------------------------------------------------------- the device

    @Test
    void openTun_interfaceExistsInsideTheNamespaceOnly_upWithItsMtuAndAddress() {
        ExecResult shown = ns.exec("ip", "-o", "addr", "show", "dev", DEVICE);
        assertTrue(shown.succeeded(), shown::describe);
        assertTrue(shown.output().contains("inet " + KERNEL_SIDE + "/24"), shown.output());
        ExecResult link = ns.exec("ip", "-o", "link", "show", "dev", DEVICE);
        assertTrue(link.output().contains("mtu " + MTU), link.output());
        assertTrue(link.output().contains(",UP"), link.output());
        assertEquals(DEVICE, device.name());
        assertEquals(TunDevice.IFF_TUN | TunDevice.IFF_NO_PI, device.flags());
        assertEquals(ns.name(), device.namespace());
        // DESIGN.md §10: the device lives in the namespace and nowhere else.
        assertFalse(rootHasTun(DEVICE), DEVICE + " is in the root namespace");
    }

    private static boolean rootHasTun(String name) {
        ExecResult root = Commands.run(List.of(TunSupport.ipCommand(), "-o", "link", "show", "type", "tun"),
                Duration.ofSeconds(10));
        return root.output().contains(name + ":");
    }

    @Test
    void openTun_sameNameAgainWithoutMultiQueue_isRefusedAsBusy() {
        // Linux tun_attach: a single-queue interface takes one fd (EBUSY for a second).
        IllegalStateException busy = assertThrows(IllegalStateException.class, () -> ns.openTun(DEVICE));
        assertTrue(busy.getMessage().contains("EBUSY") || busy.getMessage().contains("errno 16"), busy.getMessage());
        assertTrue(busy.getMessage().contains("already attached"), busy.getMessage());
    }

    @Test
    void openTun_multiQueue_eachOpenAddsAQueueOnTheSameInterface() {
        int flags = TunDevice.DEFAULT_FLAGS | TunDevice.IFF_MULTI_QUEUE;
        try (TunDevice first = ns.openTun("umq0", flags); TunDevice second = ns.openTun("umq0", flags)) {
            assertEquals("umq0", first.name());
            assertEquals("umq0", second.name());
            assertNotEquals(first.fd(), second.fd());
            ExecResult shown = ns.exec("ip", "-d", "-o", "link", "show", "dev", "umq0");
            assertTrue(shown.output().contains("multi_queue"), shown.output());
        }
    }

    @Test
    void openTun_kernelNumbersThePattern() {
        try (TunDevice numbered = ns.openTun("uauto%d")) {
            assertEquals("uauto0", numbered.name());
        }
    }

    // ---------------------------------------------------------------- reading and writing

    @Test
    void receive_nothingWaiting_returnsNullAndCountsNoError() {
        TunLink tun = openLink();
        assertFalse(tun.awaitReadable(0));
        assertNull(tun.receive());
        assertNull(tun.receive());
        assertEquals(new TunLinkStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tun.stats());
    }

    @Test
    void kernelPing_echoRequestComesOutOfTheTun() throws Exception {
        TunLink tun = openLink();
        CompletableFuture<ExecResult> ping = pingStackSide(1);
        ByteBuf request = awaitDatagram(tun, decoder, TunLinkKernelTest::isEchoRequest, PACKET_WAIT);
        try {
            assertTrue(request.hasMemoryAddress(), "read in place into direct memory");
            assertEquals(Ipv4Address.of(KERNEL_SIDE).bits(), decoder.ip().sourceAddress());
            assertEquals(Ipv4Address.of(STACK_SIDE).bits(), decoder.ip().destinationAddress());
            assertEquals(0, decoder.icmp().code());
            assertEquals(decoder.ip().totalLength(), request.readableBytes());
            assertEquals(84, request.readableBytes()); // 20 IPv4 + 8 ICMP + 56 data, ping's default
        } finally {
            request.release();
        }
        // Nobody answered: the kernel's ping reports the loss (exit status 1).
        ExecResult result = ping.get(15, TimeUnit.SECONDS);
        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.output().contains("1 packets transmitted, 0 received"), result.output());
        assertEquals(1, tun.stats().rxPackets());
        assertEquals(84, tun.stats().rxBytes());
    }

    @Test
    void handBuiltEchoReply_kernelPingSucceeds() throws Exception {
        // RFC 792 echo reply: the request's identifier, sequence number and data, addresses swapped.
        TunLink tun = openLink();
        CompletableFuture<ExecResult> ping = pingStackSide(2);
        ByteBuf request = awaitDatagram(tun, decoder, TunLinkKernelTest::isEchoRequest, PACKET_WAIT);
        byte[] reply;
        try {
            Icmpv4MessageView icmp = decoder.icmp();
            byte[] data = new byte[icmp.bodyLength()];
            request.getBytes(icmp.bodyOffset(), data);
            reply = TestPackets.icmp(TestPackets.SERVER, TestPackets.CLIENT, Icmpv4MessageView.TYPE_ECHO_REPLY, 0,
                    icmp.restOfHeader(), data);
        } finally {
            request.release();
        }
        ByteBuf heap = Unpooled.wrappedBuffer(reply); // no memory address: written through the scratch buffer
        tun.transmit(heap);
        assertEquals(0, heap.refCnt(), "transmit releases");

        ExecResult result = ping.get(15, TimeUnit.SECONDS);
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.output().contains("1 packets transmitted, 1 received"), result.output());
        TunLinkStats stats = tun.stats();
        assertEquals(1, stats.txPackets());
        assertEquals(reply.length, stats.txBytes());
        assertEquals(0, stats.writeErrors());
    }

    @Test
    void kernelTcpConnect_synComesOutOfTheTun_andOurRstRefusesIt() throws Exception {
        TunLink tun = openLink();
        Future<String> connect = ns.submitInside(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(STACK_SIDE, 8080), 5_000);
                return "connected";
            } catch (ConnectException e) {
                return "refused: " + e.getMessage();
            } catch (SocketTimeoutException e) {
                return "timed out";
            }
        });
        ByteBuf syn = awaitDatagram(tun, decoder,
                d -> d.protocol() == Ipv4PacketView.PROTOCOL_TCP && d.tcp().destinationPort() == 8080, PACKET_WAIT);
        byte[] rst;
        try {
            TcpSegmentView tcp = decoder.tcp();
            assertEquals(TcpFlags.SYN, tcp.flags() & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST | TcpFlags.FIN));
            assertEquals(0, tcp.payloadLength());
            assertEquals(Ipv4Address.of(KERNEL_SIDE).bits(), decoder.ip().sourceAddress());
            assertTrue(decoder.ip().dontFragment(), "Linux sets DF (path MTU discovery)");
            TcpOptions options = TcpOptions.parse(tcp);
            assertEquals(MTU - 40, options.mss().orElseThrow(), "MSS = MTU - 40");
            assertTrue(options.sackPermitted());
            // RFC 9293 §3.10.7.3: in SYN-SENT an acceptable RST (ACK = ISS + 1) refuses the connection.
            TcpHeader reset = TcpHeader.of(8080, tcp.sourcePort(), 0, tcp.seq() + 1, TcpFlags.RST | TcpFlags.ACK, 0, TcpOptions.NONE);
            rst = TestPackets.tcp(TestPackets.SERVER, TestPackets.CLIENT, reset, new byte[0]);
        } finally {
            syn.release();
        }
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(rst.length).writeBytes(rst);
        assertTrue(direct.hasMemoryAddress());
        tun.transmit(direct); // written in place from direct memory
        assertEquals(0, direct.refCnt());

        String outcome = connect.get(15, TimeUnit.SECONDS);
        assertTrue(outcome.startsWith("refused: Connection refused"), outcome);
        assertEquals(1, tun.stats().txPackets());
    }

    @Test
    void receive_allocatorWithoutMemoryAddress_copiesThroughScratch() throws Exception {
        TunLink tun = openLink(MTU, new HeapOnlyAllocator());
        CompletableFuture<ExecResult> ping = pingStackSide(1);
        ByteBuf request = awaitDatagram(tun, decoder, TunLinkKernelTest::isEchoRequest, PACKET_WAIT);
        try {
            assertFalse(request.hasMemoryAddress());
            assertEquals(84, request.readableBytes());
            assertTrue(decoder.icmp().checksumValid());
        } finally {
            request.release();
        }
        assertEquals(1, ping.get(15, TimeUnit.SECONDS).exitCode());
    }

    // Issue 18: with direct memory exhausted, the datagram that found none is read and dropped (the
    // runner counts it, UsertcpNoMemDrops), so the next turn does not fail on the same datagram again.
    @Test
    void receive_noDirectMemory_dropsTheWaitingDatagram_andSaysWhy() throws Exception {
        OutOfDirectMemoryAllocator allocator = new OutOfDirectMemoryAllocator();
        TunLink tun = openLink(MTU, allocator);
        CompletableFuture<ExecResult> ping = pingStackSide(1); // -c 1: one echo request, and IPv6 is off in the namespace
        assertTrue(tun.awaitReadable(PACKET_WAIT.toNanos()), "the echo request arrives");
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, tun::receive);
        assertEquals("Direct buffer memory", e.getMessage());
        allocator.failing = false;
        assertNull(tun.receive(), "the datagram was read and dropped, not left waiting");
        assertEquals(1, ping.get(15, TimeUnit.SECONDS).exitCode());

        // Memory is back: the link reads as before.
        CompletableFuture<ExecResult> again = pingStackSide(1);
        awaitDatagram(tun, decoder, TunLinkKernelTest::isEchoRequest, PACKET_WAIT).release();
        assertEquals(1, again.get(15, TimeUnit.SECONDS).exitCode());
    }

    @Test
    void receive_datagramLongerThanLinkMtu_isDroppedAndCountedAsTruncated() throws Exception {
        // The interface carries 1500 bytes but the link takes at most 576: a longer datagram must be
        // dropped and counted, never handed on cut short.
        TunLink tun = openLink(576, PooledByteBufAllocator.DEFAULT);
        CompletableFuture<ExecResult> ping = pingStackSide(1, "-s", "1000");
        long deadline = System.nanoTime() + PACKET_WAIT.toNanos();
        while (tun.stats().rxTruncated() == 0 && System.nanoTime() < deadline) {
            tun.awaitReadable(deadline - System.nanoTime());
            assertNull(tun.receive());
        }
        TunLinkStats stats = tun.stats();
        assertEquals(1, stats.rxTruncated());
        assertEquals(0, stats.rxPackets());
        assertEquals(0, stats.readErrors());
        assertEquals(1, ping.get(15, TimeUnit.SECONDS).exitCode());
    }

    @Test
    void receive_datagramOfExactlyTheLinkMtu_isHandedOnWhole() throws Exception {
        TunLink tun = openLink(576, PooledByteBufAllocator.DEFAULT);
        CompletableFuture<ExecResult> ping = pingStackSide(1, "-s", Integer.toString(576 - 28));
        ByteBuf request = awaitDatagram(tun, decoder, TunLinkKernelTest::isEchoRequest, PACKET_WAIT);
        try {
            assertEquals(576, request.readableBytes());
            assertEquals(576, decoder.ip().totalLength());
        } finally {
            request.release();
        }
        assertEquals(0, tun.stats().rxTruncated());
        assertEquals(1, ping.get(15, TimeUnit.SECONDS).exitCode());
    }

    @Test
    void transmit_longerThanMtu_isDroppedCountedAndReleased() {
        TunLink tun = openLink();
        ByteBuf big = PooledByteBufAllocator.DEFAULT.directBuffer(MTU + 1).writeZero(MTU + 1);
        tun.transmit(big);
        assertEquals(0, big.refCnt());
        assertEquals(1, tun.stats().txOversize());
        assertEquals(0, tun.stats().txPackets());
    }

    @Test
    void transmit_notAnIpDatagram_countsAWriteErrorWithoutThrowing() {
        // Linux tun_get_user: with IFF_NO_PI the version nibble picks the protocol; 15 is EINVAL.
        TunLink tun = openLink();
        ByteBuf junk = PooledByteBufAllocator.DEFAULT.directBuffer(40);
        junk.writeBytes(new byte[40]).setByte(0, 0xF5);
        tun.transmit(junk);
        assertEquals(0, junk.refCnt());
        TunLinkStats stats = tun.stats();
        assertEquals(1, stats.writeErrors());
        assertEquals(0, stats.txPackets());
        // The link still works after the error.
        tun.transmit(Unpooled.wrappedBuffer(TestPackets.echoRequest(7, 1, 8)));
        assertEquals(1, tun.stats().txPackets());
    }

    @Test
    void closedLink_receiveAndAwaitThrow_transmitReleasesThenThrows() {
        TunLink tun = openLink();
        tun.close();
        tun.close(); // idempotent
        assertFalse(device.isOpen(), "the link owns the device");
        assertThrows(IllegalStateException.class, tun::receive);
        assertThrows(IllegalStateException.class, () -> tun.awaitReadable(0));
        ByteBuf packet = Unpooled.wrappedBuffer(new byte[20]);
        assertThrows(IllegalStateException.class, () -> tun.transmit(packet));
        assertEquals(0, packet.refCnt());
        tun.wakeup(); // harmless after close
    }

    // ---------------------------------------------------------------- waiting and waking

    @Test
    void wakeup_interruptsAnAwaitBlockedInPpoll() throws Exception {
        TunLink tun = openLink();
        AtomicReference<String> taskId = new AtomicReference<>();
        AtomicLong waitedNanos = new AtomicLong(-1);
        AtomicReference<Boolean> readable = new AtomicReference<>();
        Thread awaiter = new Thread(() -> {
            try {
                taskId.set(Files.readSymbolicLink(Path.of("/proc/thread-self")).toString());
            } catch (IOException e) {
                taskId.set("unknown");
            }
            long start = System.nanoTime();
            readable.set(tun.awaitReadable(TimeUnit.SECONDS.toNanos(30)));
            waitedNanos.set(System.nanoTime() - start);
        }, "tun-test-awaiter");
        awaiter.setDaemon(true);
        awaiter.start();
        awaitBlockedInPpoll(taskId, Duration.ofSeconds(10));

        long wokenAt = System.nanoTime();
        tun.wakeup();
        awaiter.join(5_000);
        long latencyNanos = System.nanoTime() - wokenAt;

        assertFalse(awaiter.isAlive(), "awaitReadable still blocked 5 s after wakeup()");
        assertEquals(Boolean.FALSE, readable.get(), "woken, not readable");
        assertTrue(waitedNanos.get() < TimeUnit.SECONDS.toNanos(30));
        assertTrue(latencyNanos < TimeUnit.SECONDS.toNanos(2), "wakeup latency " + latencyNanos + " ns");
        assertEquals(1, tun.stats().wakeups());
    }

    /** Waits (bounded) until the thread named by /proc/thread-self sits in ppoll(2), read from /proc. */
    private static void awaitBlockedInPpoll(AtomicReference<String> taskId, Duration timeout) throws IOException {
        int ppoll = "aarch64".equals(System.getProperty("os.arch")) ? 73 : 271;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String id = taskId.get();
            if (id != null) {
                String syscall = Files.readString(Path.of("/proc", id, "syscall")).trim();
                String state = Files.readString(Path.of("/proc", id, "stat"));
                state = state.substring(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3);
                if (syscall.startsWith(ppoll + " ") && state.equals("S")) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the awaiting thread did not block in ppoll within " + timeout);
    }

    @Test
    void wakeupBeforeAwait_returnsAtOnce_coalesced_andConsumed() {
        TunLink tun = openLink();
        tun.wakeup();
        tun.wakeup(); // coalesced: no second eventfd write before the loop consumed the first
        long start = System.nanoTime();
        assertFalse(tun.awaitReadable(TimeUnit.SECONDS.toNanos(10)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
        assertEquals(1, tun.stats().wakeups());

        // Consumed: the next wait runs to its timeout (ppoll waits at least the time given).
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(50);
        start = System.nanoTime();
        assertFalse(tun.awaitReadable(timeoutNanos));
        assertTrue(System.nanoTime() - start >= timeoutNanos);
        assertEquals(1, tun.stats().wakeups());

        // And wakeup() arms again after it was consumed.
        tun.wakeup();
        assertFalse(tun.awaitReadable(TimeUnit.SECONDS.toNanos(10)));
        assertEquals(2, tun.stats().wakeups());
    }

    @Test
    void awaitReadable_returnsTrueWhenADatagramWaits() throws Exception {
        TunLink tun = openLink();
        CompletableFuture<ExecResult> ping = pingStackSide(1);
        assertTrue(tun.awaitReadable(PACKET_WAIT.toNanos()));
        ByteBuf packet = tun.receive();
        try {
            assertEquals(null, decoder.decode(packet));
            assertTrue(isEchoRequest(decoder));
        } finally {
            packet.release();
        }
        assertEquals(1, ping.get(15, TimeUnit.SECONDS).exitCode());
    }

    @Test
    void hotPath_readWritePollAllocateNothingPerCall() {
        // DESIGN.md §11: no allocation per packet beyond the packet buffer. The written packet is
        // one unpooled direct buffer, retained before each transmit (which releases it), so that
        // nothing at all is allocated per call; the kernel drops the echo replies nobody asked for.
        TunLink tun = openLink();
        byte[] reply = TestPackets.icmp(TestPackets.SERVER, TestPackets.CLIENT, Icmpv4MessageView.TYPE_ECHO_REPLY, 0,
                (0x4242 << 16) | 1, new byte[8]);
        ByteBuf packet = new UnpooledUnsafeDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, reply.length, reply.length)
                .writeBytes(reply);
        assertTrue(packet.hasMemoryAddress());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            int warmUp = 5_000;
            int measured = 20_000;
            exercise(tun, packet, warmUp);
            long before = threads.getCurrentThreadAllocatedBytes();
            exercise(tun, packet, measured);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // Less than one byte per round: no call allocates (the smallest object is 16 bytes); what
            // remains is one-off JVM work (compilation, deoptimisation) on this thread.
            assertTrue(allocated < measured, allocated + " bytes allocated over " + measured + " rounds");
            TunLinkStats stats = tun.stats();
            assertEquals(warmUp + measured, stats.txPackets());
            assertEquals(0, stats.writeErrors() + stats.readErrors() + stats.pollErrors());
        } finally {
            packet.release();
        }
    }

    /** {@code rounds} times: poll without waiting, a read that finds nothing, one write. Bounded. */
    private static void exercise(TunLink tun, ByteBuf packet, int rounds) {
        for (int i = 0; i < rounds; i++) {
            tun.awaitReadable(0);
            ByteBuf unexpected = tun.receive();
            if (unexpected != null) {
                unexpected.release();
                throw new AssertionError("the kernel sent something: " + unexpected);
            }
            tun.transmit(packet.retain());
        }
    }

    /** Hands out heap buffers even when asked for direct ones: they have no memory address. */
    /** Direct buffers fail as {@code ByteBuffer.allocateDirect} does when direct memory is exhausted, while {@link #failing}. */
    private static final class OutOfDirectMemoryAllocator extends AbstractByteBufAllocator {
        volatile boolean failing = true;

        OutOfDirectMemoryAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (failing) {
                throw new OutOfMemoryError("Direct buffer memory");
            }
            return PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private static final class HeapOnlyAllocator extends AbstractByteBufAllocator {
        HeapOnlyAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
