package io.usertcp.tools.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunLink;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.InternetChecksum;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The link ceiling: how many bytes our {@link TunLink} moves through a plain TUN device (one
 * datagram per read or write, no offloads) with no TCP at all, the most any stack on it could get
 * at MTU 1500. Each way: the namespace's kernel sends 1500-byte UDP datagrams as fast as one
 * thread can and the link reads and drops them (the figure: what the link read); or the link
 * writes one prepared 1500-byte UDP datagram over and over to a kernel socket that never reads
 * (the figure: what the kernel took, write by write). Beside both, the kernel's own packet path:
 * the same sender over the veth pair, counted by the receiving veth. The details give each
 * sender's count, so a figure limited by its sender says so. Every loop ends at the duration;
 * every datagram goes to 198.18.0.0/15.
 */
final class LinkCeilingCase {
    static final int MTU = 1500;
    private static final int PAYLOAD = MTU - Ipv4PacketView.MIN_HEADER_LENGTH - 8;
    private static final int PORT = 5009;
    private static final String PREFIX = "usertcp-bench-link";
    /** Datagrams read between two looks at the clock. */
    private static final int READ_BATCH = 256;
    /** How long the kernel's sender may take to send its first datagram. */
    private static final long FIRST_DATAGRAM_NANOS = 10_000_000_000L;

    private LinkCeilingCase() {}

    /** Both rows. */
    static List<Measurement> run(BenchOptions o, Progress p) {
        List<Measurement> rows = new ArrayList<>();
        Figure kernel = Figure.attempt(p, "link kernel UDP over veth", "Gbit/s", () -> kernelOverVeth(o));
        Figure in = Figure.attempt(p, "link kernel -> TunLink", "Gbit/s", () -> intoLink(o));
        rows.add(Figure.row(BenchCase.LINK, "kernel -> TunLink, MTU 1500, UDP, no TCP", "Gbit/s", Better.HIGHER, in, kernel));
        Figure out = Figure.attempt(p, "link TunLink -> kernel", "Gbit/s", () -> outOfLink(o));
        rows.add(Figure.row(BenchCase.LINK, "TunLink -> kernel, MTU 1500, UDP, no TCP", "Gbit/s", Better.HIGHER, out, kernel));
        return rows;
    }

    /** The kernel sends UDP to 198.18.0.2; the link reads every datagram and drops it. */
    private static Figure intoLink(BenchOptions o) throws Exception {
        try (PlainTun plain = PlainTun.start(PREFIX, MTU)) {
            // The sender runs until told (stop), at most until the hard limit; the clock starts at its first datagram,
            // so that a slow start of its thread is not counted as a slow link.
            AtomicLong stop = new AtomicLong(System.nanoTime() + FIRST_DATAGRAM_NANOS + o.warmupNanos() + o.durationNanos());
            Future<Long> sender = plain.ns().submitInside(() -> sendUntil(TunStackHost.KERNEL_ADDRESS,
                    TunStackHost.STACK_ADDRESS.toString(), stop));
            awaitFirst(plain.link());
            long warmEnd = System.nanoTime() + o.warmupNanos();
            long deadline = warmEnd + o.durationNanos();
            stop.set(deadline);
            long bytes = 0;
            long packets = 0;
            long start = 0;
            long now;
            while ((now = System.nanoTime()) < deadline) {
                if (start == 0 && now >= warmEnd) {
                    start = now;
                }
                plain.link().awaitReadable(10_000_000L);
                ByteBuf b;
                // A batch at a time: a sender faster than the reader must not keep it from looking at the clock.
                for (int i = 0; i < READ_BATCH && (b = plain.link().receive()) != null; i++) {
                    if (start != 0) {
                        bytes += b.readableBytes();
                        packets++;
                    }
                    b.release();
                }
            }
            if (start == 0) {
                throw new IllegalStateException("the measured time never began");
            }
            long nanos = now - start;
            long sent = sender.get(10, TimeUnit.SECONDS);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("datagramsRead", packets);
            details.put("datagramsSentByKernel", sent);
            details.put("seconds", nanos / 1e9);
            return Figure.of(bytes * 8.0 / nanos, details);
        }
    }

    /** The link writes one prepared datagram to 198.18.0.1 over and over; the kernel's UDP socket counts. */
    private static Figure outOfLink(BenchOptions o) throws Exception {
        try (PlainTun plain = PlainTun.start(PREFIX, MTU)) {
            DatagramSocket socket = plain.ns().runInside(() -> new DatagramSocket(
                    new InetSocketAddress(TunStackHost.KERNEL_ADDRESS.toString(), PORT)));
            try (socket) { // never read: the kernel drops what does not fit its buffer, after taking it from us
                ByteBuf datagram = udpDatagram(TunStackHost.STACK_ADDRESS, TunStackHost.KERNEL_ADDRESS, PORT);
                long warmEnd = System.nanoTime() + o.warmupNanos();
                long written = 0;
                try {
                    while (System.nanoTime() < warmEnd) {
                        for (int i = 0; i < 64; i++) {
                            plain.link().transmit(datagram.retainedDuplicate());
                        }
                    }
                } catch (RuntimeException | Error e) {
                    datagram.release();
                    throw e;
                }
                long start = System.nanoTime();
                long before = plain.link().stats().txPackets();
                long deadline = start + o.durationNanos();
                try {
                    while (System.nanoTime() < deadline) {
                        for (int i = 0; i < 64; i++) {
                            plain.link().transmit(datagram.retainedDuplicate());
                        }
                        written += 64;
                    }
                } finally {
                    datagram.release();
                }
                long nanos = System.nanoTime() - start;
                long taken = plain.link().stats().txPackets() - before;
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("datagramsWritten", taken);
                details.put("writesRefused", written - taken);
                details.put("seconds", nanos / 1e9);
                return Figure.of(taken * (double) MTU * 8.0 / nanos, details);
            }
        }
    }

    /**
     * The kernel's own packet path: the same UDP sender over the veth pair to a socket that never
     * reads, counted by the receiving veth's rx_bytes (what crossed, whatever the socket kept).
     */
    private static Figure kernelOverVeth(BenchOptions o) throws Exception {
        try (VethSetup veth = VethSetup.start(MTU, Setup.Loss.NONE)) {
            DatagramSocket socket = veth.serverNamespace().runInside(() -> new DatagramSocket(
                    new InetSocketAddress(veth.serverAddress(), PORT)));
            try (socket) {
                AtomicLong stop = new AtomicLong(System.nanoTime() + FIRST_DATAGRAM_NANOS + o.warmupNanos() + o.durationNanos());
                Future<Long> sender = veth.clientNamespace().submitInside(() -> sendUntil(null, veth.serverAddress(), stop));
                long initial = rxBytes(veth.serverNamespace(), VethSetup.RIGHT_DEVICE);
                long limit = System.nanoTime() + FIRST_DATAGRAM_NANOS;
                while (rxBytes(veth.serverNamespace(), VethSetup.RIGHT_DEVICE) == initial) { // the clock starts with the sender
                    if (System.nanoTime() > limit) {
                        throw new IllegalStateException("the kernel's UDP sender sent nothing in 10 s");
                    }
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                long warmEnd = System.nanoTime() + o.warmupNanos();
                long deadline = warmEnd + o.durationNanos();
                stop.set(deadline);
                TimeUnit.NANOSECONDS.sleep(Math.max(0, warmEnd - System.nanoTime())); // the sender warms up
                long start = System.nanoTime();
                long before = rxBytes(veth.serverNamespace(), VethSetup.RIGHT_DEVICE);
                TimeUnit.NANOSECONDS.sleep(Math.max(0, deadline - System.nanoTime())); // and is counted
                long nanos = System.nanoTime() - start;
                long bytes = rxBytes(veth.serverNamespace(), VethSetup.RIGHT_DEVICE) - before;
                long sent = sender.get(10, TimeUnit.SECONDS);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("datagramsSent", sent);
                details.put("seconds", nanos / 1e9);
                return Figure.of(bytes * 8.0 / nanos, details);
            }
        }
    }

    /** An interface's received bytes, from inside its namespace. */
    private static long rxBytes(NetworkNamespace ns, String device) {
        var r = ns.exec("cat", "/sys/class/net/" + device + "/statistics/rx_bytes");
        if (!r.succeeded()) {
            throw new IllegalStateException("reading rx_bytes of " + device + ": " + r.describe());
        }
        return Long.parseLong(r.output().strip());
    }

    /** Waits (at most {@link #FIRST_DATAGRAM_NANOS}) for the sender's first datagram, and drops what came. */
    private static void awaitFirst(TunLink link) {
        long limit = System.nanoTime() + FIRST_DATAGRAM_NANOS;
        while (System.nanoTime() < limit) {
            link.awaitReadable(10_000_000L);
            ByteBuf b = link.receive();
            if (b != null) {
                b.release();
                return;
            }
        }
        throw new IllegalStateException("the kernel's UDP sender sent nothing in " + FIRST_DATAGRAM_NANOS / 1_000_000_000L + " s");
    }

    /** One thread sending {@link #PAYLOAD}-byte UDP datagrams until {@code stop} (which may move); returns how many. */
    private static long sendUntil(Ipv4Address from, String to, AtomicLong stop) throws Exception {
        try (DatagramSocket s = from == null ? new DatagramSocket() : new DatagramSocket(new InetSocketAddress(from.toString(), 0))) {
            s.setSendBufferSize(4 << 20);
            DatagramPacket packet = new DatagramPacket(new byte[PAYLOAD], PAYLOAD, InetAddress.getByName(to), PORT);
            long n = 0;
            while (System.nanoTime() < stop.get()) {
                for (int i = 0; i < 64; i++) {
                    try {
                        s.send(packet);
                        n++;
                    } catch (java.io.IOException e) {
                        // ENOBUFS when the device queue is full: the datagram is lost, the sender goes on
                    }
                }
            }
            return n;
        }
    }

    /** A {@link #MTU}-byte IPv4 UDP datagram with valid checksums, in a new direct buffer the caller owns. */
    static ByteBuf udpDatagram(Ipv4Address from, Ipv4Address to, int port) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(MTU);
        b.writerIndex(MTU);
        b.setZero(0, MTU);
        Ipv4PacketView ip = new Ipv4PacketView().wrap(b, 0, MTU);
        ip.setVersionAndHeaderLength(Ipv4PacketView.MIN_HEADER_LENGTH);
        ip.setTotalLength(MTU);
        ip.setFlagsAndFragmentOffset(Ipv4PacketView.FLAG_DONT_FRAGMENT, 0);
        ip.setTtl(64);
        ip.setProtocol(Ipv4PacketView.PROTOCOL_UDP);
        ip.setSourceAddress(from.bits());
        ip.setDestinationAddress(to.bits());
        ip.fillHeaderChecksum();
        int udp = Ipv4PacketView.MIN_HEADER_LENGTH;
        b.setShort(udp, 9);
        b.setShort(udp + 2, port);
        b.setShort(udp + 4, MTU - udp);
        long sum = InternetChecksum.pseudoHeaderSum(from.bits(), to.bits(), Ipv4PacketView.PROTOCOL_UDP, MTU - udp)
                + InternetChecksum.sum(b, udp, MTU - udp);
        int checksum = InternetChecksum.finish(sum);
        b.setShort(udp + 6, checksum == 0 ? 0xFFFF : checksum);
        return b;
    }
}
