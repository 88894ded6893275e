package io.usertcp.tun.packetdrill;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunDevice;

/**
 * The kernel backend's TUN device with segmentation offload, as packetdrill has its {@code tun0}:
 * opened with {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)}
 * ("like a typical ethernet device": google/packetdrill's netdev.c set_device_offload_flags()), so that the
 * kernel hands over its TCP segments as it built them (up to 64 KB, "TSO" segments, the TCP
 * checksum left to the device) rather than cut to the MSS, and sizes and pushes them as it would
 * for a NIC with TSO: what the corpus's scripts expect ({@code > . 10001:17001(7000)}). Written
 * packets carry a zero 10-byte {@code struct virtio_net_hdr} (full checksums, no segmentation).
 *
 * <p>What the kernel sends is seen as packetdrill sees it, through a {@link PacketSniffer} on the
 * device, stamped when the kernel sent it; the device's own queue is read one packet for each
 * packet the script has taken ({@link #consumed()}), as netdev.c local_netdev_read_queue() does
 * after each sniff. Until then the kernel's clone of the segment stays in the device's queue, which
 * Linux's retransmission code looks at (__tcp_retransmit_skb(): skb_still_in_host_queue()).
 *
 * <p>One thread reads, writes and waits (the interpreter's); {@link #wakeup()} is safe from any
 * thread. {@link #receive()} returns a heap buffer the caller owns; {@link #transmit(ByteBuf)}
 * takes ownership.
 */
final class OffloadTun implements AutoCloseable {
    static final int FLAGS = TunDevice.IFF_TUN | TunDevice.IFF_NO_PI | TunDevice.IFF_VNET_HDR;
    /** {@code struct virtio_net_hdr}: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
    static final int VNET_HDR_SIZE = 10;
    /** {@code _IOW('T', 208, unsigned int)}. */
    static final long TUNSETOFFLOAD = 0x400454D0L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    /**
     * NETIF_F_TSO_ECN: a TSO segment that carries CWR (SKB_GSO_TCP_ECN, tcp_ecn_send()) reaches the
     * device whole, as on packetdrill's tun0, rather than cut by software GSO.
     */
    static final int TUN_F_TSO_ECN = 0x08;
    /** The features packetdrill's netdev.c asks for (set_device_offload_flags()). */
    static final int OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    private static final int MAX_PACKET = 65535;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final short POLLIN = 0x1;
    private static final int EAGAIN = 11;

    private final TunDevice device;
    private final int tunFd;
    private PacketSniffer sniffer;
    private final int eventFd;
    /** netdev.c local_netdev_read_queue(): the virtio header and one byte consume a packet. */
    private final Memory readBuffer = new Memory(VNET_HDR_SIZE + 1);
    private final Memory writeBuffer = new Memory(VNET_HDR_SIZE + MAX_PACKET);
    private final Memory control = new Memory(32); // two pollfds, then a timespec
    private final Memory counter = new Memory(8);

    /** @param device opened with {@link #FLAGS}; owned by this object from now on */
    OffloadTun(TunDevice device) {
        this.device = device;
        this.tunFd = device.fd();
        // TUNSETOFFLOAD takes the flags as the ioctl's argument value, not through a pointer.
        if (SocketCalls.ioctl(tunFd, TUNSETOFFLOAD, OFFLOADS) != 0) {
            throw new IllegalStateException("TUNSETOFFLOAD on " + device.name() + ": errno " + SocketCalls.errno());
        }
        this.eventFd = SocketCalls.eventfd(0, O_NONBLOCK | O_CLOEXEC);
        if (eventFd < 0) {
            throw new IllegalStateException("eventfd: errno " + SocketCalls.errno());
        }
    }

    /**
     * Opens the packet socket on the device, once it is up and has its address (as netdev.c
     * local_netdev_new() does last: a packet socket bound to a device that is down reports ENETDOWN).
     */
    void startSniffing(NetworkNamespace namespace) {
        sniffer = PacketSniffer.open(namespace, device.name());
    }

    /** The next packet the kernel sent on the device if one is waiting, else null (packetdrill's sniffing). */
    PacketSniffer.Sniffed receive() {
        return sniffer.receive();
    }

    /**
     * Takes one packet off the device's queue, as packetdrill does for each packet it sniffed
     * (netdev.c local_netdev_read_queue()), so that the kernel frees it; none waiting is not an error.
     *
     * @return whether a packet was taken
     */
    boolean consumed() {
        long n = SocketCalls.read(tunFd, Pointer.nativeValue(readBuffer), readBuffer.size());
        if (n < 0 && SocketCalls.errno() != EAGAIN) {
            throw new IllegalStateException("read from " + device.name() + ": errno " + SocketCalls.errno());
        }
        return n >= 0;
    }

    /** Writes one IPv4 datagram behind a zero virtio header. @param packet ownership moves in, released here */
    void transmit(ByteBuf packet) {
        try {
            int length = packet.readableBytes();
            if (length > MAX_PACKET) {
                throw new IllegalArgumentException("packet: " + length + " bytes (expected: at most " + MAX_PACKET + ")");
            }
            writeBuffer.setMemory(0, VNET_HDR_SIZE, (byte) 0);
            byte[] bytes = new byte[length];
            packet.getBytes(packet.readerIndex(), bytes);
            writeBuffer.write(VNET_HDR_SIZE, bytes, 0, length);
            long written = SocketCalls.write(tunFd, Pointer.nativeValue(writeBuffer), VNET_HDR_SIZE + length);
            if (written != VNET_HDR_SIZE + length) {
                throw new IllegalStateException("write to " + device.name() + ": " + (written < 0 ? "errno " + SocketCalls.errno()
                        : written + " of " + (VNET_HDR_SIZE + length) + " bytes"));
            }
        } finally {
            packet.release();
        }
    }

    /** Waits until a sniffed packet is waiting, {@link #wakeup()} was called, or {@code timeoutNanos} passed. */
    void awaitReadable(long timeoutNanos) {
        control.setInt(0, sniffer.fd());
        control.setShort(4, POLLIN);
        control.setShort(6, (short) 0);
        control.setInt(8, eventFd);
        control.setShort(12, POLLIN);
        control.setShort(14, (short) 0);
        long wait = Math.max(0, timeoutNanos);
        control.setLong(16, wait / 1_000_000_000L);
        control.setLong(24, wait % 1_000_000_000L);
        int ready = SocketCalls.ppoll(Pointer.nativeValue(control), 2, Pointer.nativeValue(control) + 16, 0);
        if (ready > 0 && (control.getShort(14) & POLLIN) != 0) {
            SocketCalls.read(eventFd, Pointer.nativeValue(counter), 8);
        }
    }

    /** Makes the current or next {@link #awaitReadable(long)} return. Any thread. */
    void wakeup() {
        try (Memory one = new Memory(8)) {
            one.setLong(0, 1);
            SocketCalls.write(eventFd, Pointer.nativeValue(one), 8);
        }
    }

    /** Closes the eventfd, the packet socket and the device (the kernel removes the interface). */
    @Override
    public void close() {
        SocketCalls.close(eventFd);
        if (sniffer != null) {
            sniffer.close();
        }
        device.close();
        readBuffer.close();
        writeBuffer.close();
        control.close();
        counter.close();
    }
}
