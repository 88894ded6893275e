package io.usertcp.tun.packetdrill;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.netty.buffer.Unpooled;
import io.usertcp.tun.NetworkNamespace;

/**
 * The packet socket through which the kernel backend sees what the kernel sends on {@code tun0},
 * as google/packetdrill sniffs it (packet_socket_linux.c): {@code socket(PF_PACKET, SOCK_RAW,
 * ETH_P_ALL)} bound to the device, a 2 MB receive buffer, outgoing packets only, each stamped with
 * the time the kernel handed it to the device (packetdrill reads it with {@code SIOCGSTAMP}; here
 * an {@code SO_TIMESTAMPNS} control message of the same read) rather than when it was read. Whether
 * the TCP checksum was left to the device comes from {@code PACKET_AUXDATA}
 * ({@code TP_STATUS_CSUMNOTREADY}).
 *
 * <p>One thread reads (the interpreter's). {@link #receive()} returns a heap buffer the caller owns.
 */
final class PacketSniffer implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    /** htons(ETH_P_ALL). */
    private static final int ETH_P_ALL_NETWORK_ORDER = 0x0300;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_AUXDATA = 8;
    private static final int SO_RCVBUF = 8;
    private static final int SO_TIMESTAMPNS = 35; // SO_TIMESTAMPNS_OLD: a struct timespec of 64-bit fields
    private static final int PACKET_OUTGOING = 4;
    private static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EAGAIN = 11;
    /** packetdrill's PACKET_SOCKET_RCVBUF_BYTES. */
    private static final int RCVBUF_BYTES = 2 * 1024 * 1024;
    private static final int MAX_PACKET = 65535;
    /** struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8]. */
    private static final int SOCKADDR_LL_SIZE = 20;
    private static final int CONTROL_BYTES = 128;

    /** A packet the kernel sent: the IPv4 datagram (owned by the caller), when it left, whether its TCP checksum is left. */
    record Sniffed(io.netty.buffer.ByteBuf packet, long sentRealtimeNanos, boolean checksumLeftToDevice) {}

    private final int fd;
    private final int ifindex;
    private final Memory buffer = new Memory(MAX_PACKET + 1);
    private final Memory from = new Memory(SOCKADDR_LL_SIZE);
    private final Memory iov = new Memory(16);
    private final Memory control = new Memory(CONTROL_BYTES);
    private final Memory msg = new Memory(56);

    private PacketSniffer(int fd, int ifindex) {
        this.fd = fd;
        this.ifindex = ifindex;
    }

    /** Opens the packet socket inside the namespace (a packet socket sees the devices of the namespace it was made in). */
    static PacketSniffer open(NetworkNamespace namespace, String device) {
        try {
            return namespace.runInside(() -> open(device));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("opening a packet socket in " + namespace.name() + ": " + e, e);
        }
    }

    private static PacketSniffer open(String device) {
        int ifindex = SocketCalls.if_nametoindex(device);
        if (ifindex == 0) {
            throw new IllegalStateException("if_nametoindex(" + device + "): errno " + SocketCalls.errno());
        }
        int fd = SocketCalls.socket(AF_PACKET, SOCK_RAW | O_CLOEXEC, ETH_P_ALL_NETWORK_ORDER);
        if (fd < 0) {
            throw new IllegalStateException("socket(PF_PACKET, SOCK_RAW, ETH_P_ALL): errno " + SocketCalls.errno());
        }
        try (Memory sll = new Memory(SOCKADDR_LL_SIZE); Memory one = new Memory(4)) {
            sll.clear();
            sll.setShort(0, (short) AF_PACKET);
            sll.setShort(2, (short) ETH_P_ALL_NETWORK_ORDER);
            sll.setInt(4, ifindex);
            one.setInt(0, RCVBUF_BYTES);
            boolean ok = SocketCalls.bind(fd, Pointer.nativeValue(sll), SOCKADDR_LL_SIZE) == 0
                    && SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SO_RCVBUF, Pointer.nativeValue(one), 4) == 0;
            one.setInt(0, 1);
            ok = ok && SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SO_TIMESTAMPNS, Pointer.nativeValue(one), 4) == 0
                    && SocketCalls.setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, Pointer.nativeValue(one), 4) == 0;
            if (!ok) {
                int errno = SocketCalls.errno();
                SocketCalls.close(fd);
                throw new IllegalStateException("setting up the packet socket on " + device + ": errno " + errno);
            }
        }
        return new PacketSniffer(fd, ifindex);
    }

    int fd() {
        return fd;
    }

    /** The next packet the kernel sent on the device, if one is waiting, else null; others (inbound) are skipped. */
    Sniffed receive() {
        while (true) {
            iov.setLong(0, Pointer.nativeValue(buffer));
            iov.setLong(8, buffer.size());
            msg.clear();
            msg.setLong(0, Pointer.nativeValue(from));  // msg_name
            msg.setInt(8, SOCKADDR_LL_SIZE);             // msg_namelen
            msg.setLong(16, Pointer.nativeValue(iov));   // msg_iov
            msg.setLong(24, 1);                          // msg_iovlen
            msg.setLong(32, Pointer.nativeValue(control)); // msg_control
            msg.setLong(40, CONTROL_BYTES);              // msg_controllen
            long n = SocketCalls.recvmsg(fd, Pointer.nativeValue(msg), MSG_DONTWAIT);
            if (n < 0) {
                int errno = SocketCalls.errno();
                if (errno == EAGAIN) {
                    return null;
                }
                throw new IllegalStateException("recvmsg on the packet socket: errno " + errno);
            }
            // packet_socket_receive(): only packets the kernel sends, only on our device.
            if ((from.getByte(10) & 0xFF) != PACKET_OUTGOING || from.getInt(4) != ifindex) {
                continue;
            }
            long sent = 0;
            boolean leftToDevice = false;
            long length = Math.min(msg.getLong(40), CONTROL_BYTES);
            for (long at = 0; at + 16 <= length; ) { // struct cmsghdr { size_t len; int level; int type; data }
                long cmsgLen = control.getLong(at);
                if (cmsgLen < 16 || at + cmsgLen > length) {
                    break;
                }
                int level = control.getInt(at + 8);
                int type = control.getInt(at + 12);
                if (level == SocketCalls.SOL_SOCKET && type == SO_TIMESTAMPNS) {
                    sent = control.getLong(at + 16) * 1_000_000_000L + control.getLong(at + 24);
                } else if (level == SOL_PACKET && type == PACKET_AUXDATA) {
                    leftToDevice = (control.getInt(at + 16) & TP_STATUS_CSUMNOTREADY) != 0;
                }
                at += (cmsgLen + 7) & ~7L;
            }
            return new Sniffed(Unpooled.wrappedBuffer(buffer.getByteArray(0, (int) Math.min(n, MAX_PACKET))), sent,
                    leftToDevice);
        }
    }

    @Override
    public void close() {
        SocketCalls.close(fd);
        buffer.close();
        from.close();
        iov.close();
        control.close();
        msg.close();
    }
}
