package io.usertcp.tun.interop;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * A raw IPv4 socket ({@code socket(AF_INET, SOCK_RAW, IPPROTO_RAW)}, IP_HDRINCL implied): the
 * attacker of the adversarial tests. Datagrams are sent as they are built, with any source address;
 * the kernel fills in only the header checksum and total length. Open it on a thread inside one of
 * our namespaces, so that whatever it sends is routed there: to our stack's TUN device, or dropped.
 * Callers build packets with addresses in 198.18.0.0/15 only; {@link #send} refuses others.
 */
final class RawIpSocket implements AutoCloseable {
    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_RAW = 255;
    private static final int SOCKADDR_IN_SIZE = 16;

    static {
        Native.register(RawIpSocket.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private static native int socket(int domain, int type, int protocol);

    private static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    private static native int close(int fd);

    private final int fd;
    private long sent;

    private RawIpSocket(int fd) {
        this.fd = fd;
    }

    /** Opens the socket in the calling thread's network namespace (root only). */
    static RawIpSocket open() {
        int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        if (fd < 0) {
            throw new IllegalStateException("socket(AF_INET, SOCK_RAW, IPPROTO_RAW): errno " + Native.getLastError());
        }
        return new RawIpSocket(fd);
    }

    /** Sends one IPv4 datagram to its own destination address. */
    void send(byte[] datagram) {
        if (datagram.length < 20 || !inBenchmarkRange(datagram, 12) || !inBenchmarkRange(datagram, 16)) {
            throw new IllegalArgumentException("only IPv4 datagrams between addresses of 198.18.0.0/15 are sent");
        }
        byte[] address = new byte[SOCKADDR_IN_SIZE];
        address[0] = AF_INET; // sa_family, little-endian on the LP64 Linux this runs on
        System.arraycopy(datagram, 16, address, 4, 4);
        long n = sendto(fd, datagram, datagram.length, 0, address, SOCKADDR_IN_SIZE);
        if (n != datagram.length) {
            throw new IllegalStateException("sendto: " + n + ", errno " + Native.getLastError());
        }
        sent++;
    }

    long sent() {
        return sent;
    }

    private static boolean inBenchmarkRange(byte[] datagram, int offset) {
        return (datagram[offset] & 0xff) == 198 && (datagram[offset + 1] & 0xfe) == 18;
    }

    @Override
    public void close() {
        close(fd);
    }
}
