package io.usertcp.tun;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * One queue of a Linux TUN interface: a file descriptor on {@code /dev/net/tun} attached to an
 * interface with {@code TUNSETIFF}, in non-blocking mode. Each {@code read} returns one IPv4 (or
 * IPv6) datagram the kernel routed to the interface; each {@code write} hands the kernel one.
 *
 * <p>Safety (DESIGN.md §10): {@link #open} refuses to run unless the calling thread is inside a
 * namespace created by {@link NetworkNamespace} and not yet deleted, so no TUN device of ours can
 * appear in the root namespace. Open it through {@link NetworkNamespace#runInside} or
 * {@link NetworkNamespace#openTun}.
 *
 * <p>Flags: {@link #IFF_TUN} | {@link #IFF_NO_PI} by default. {@link #IFF_MULTI_QUEUE} is accepted:
 * opening the same name again with it adds a queue (one fd per thread). {@link #IFF_VNET_HDR} is
 * accepted here, but {@link TunLink} does not parse the virtio header yet and refuses such a device.
 *
 * <p>Ownership: the device owns its fd; {@link #close()} closes it (idempotent). A {@link TunLink}
 * built on a device takes it over. Thread-safe: the fd is fixed; close once.
 */
public final class TunDevice implements AutoCloseable {
    /** Layer-3 device: datagrams without an Ethernet header. */
    public static final int IFF_TUN = 0x0001;
    /** Layer-2 device (not supported by this stack). */
    public static final int IFF_TAP = 0x0002;
    /** Several queues (fds) on one interface; open the same name once per queue. */
    public static final int IFF_MULTI_QUEUE = 0x0100;
    /** No 4-byte packet-information prefix: reads and writes carry the bare datagram. */
    public static final int IFF_NO_PI = 0x1000;
    /** Each datagram is preceded by a {@code struct virtio_net_hdr} (offloads); room for later. */
    public static final int IFF_VNET_HDR = 0x4000;
    /** What {@link #open(String)} uses. */
    public static final int DEFAULT_FLAGS = IFF_TUN | IFF_NO_PI;

    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454CAL;
    /** {@code _IOW('T', 208, unsigned int)}: which offloads the reader of a vnet-header device takes. */
    static final long TUNSETOFFLOAD = 0x400454D0L;
    /** TUNSETOFFLOAD: packets may come with a partial checksum (and we may send them so). */
    public static final int TUN_F_CSUM = 0x01;
    /** TUNSETOFFLOAD: TCPv4 super-segments (GSO/TSO) in both directions; needs {@link #TUN_F_CSUM}. */
    public static final int TUN_F_TSO4 = 0x02;
    /** TUNSETOFFLOAD: the kernel may set the ECN bit on TSO (segments after the first lose CWR). */
    public static final int TUN_F_TSO_ECN = 0x08;
    static final int IFNAMSIZ = 16;
    /** {@code sizeof(struct ifreq)} on LP64. */
    static final int IFREQ_SIZE = 40;
    static final int IFREQ_FLAGS_OFFSET = 16;
    private static final int SUPPORTED_FLAGS = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.%-]{0,14}");

    private final int fd;
    private final String name;
    private final int flags;
    private final String namespace;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TunDevice(int fd, String name, int flags, String namespace) {
        this.fd = fd;
        this.name = name;
        this.flags = flags;
        this.namespace = namespace;
    }

    /** {@link #open(String, int)} with {@link #DEFAULT_FLAGS}. */
    public static TunDevice open(String name) {
        return open(name, DEFAULT_FLAGS);
    }

    /**
     * Opens {@code /dev/net/tun} and attaches it to interface {@code name} (created if absent), in
     * the calling thread's namespace, non-blocking.
     *
     * @param name  up to 15 of {@code [A-Za-z0-9_.-]}; may contain {@code %d} for the kernel to
     *              number it ({@code "utun%d"}); the actual name is {@link #name()}
     * @param flags {@link #IFF_TUN} with any of {@link #IFF_NO_PI}, {@link #IFF_VNET_HDR},
     *              {@link #IFF_MULTI_QUEUE}
     * @throws IllegalStateException    when the calling thread is not inside a live namespace created
     *                                  by {@link NetworkNamespace}, or the name is busy
     * @throws IllegalArgumentException for a bad name or flags
     * @throws TunUnavailableException  when {@code /dev/net/tun} or the privilege is missing
     */
    public static TunDevice open(String name, int flags) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: '" + name
                    + "' (expected: 1..15 of [A-Za-z0-9_.%-], such as utun0 or utun%d)");
        }
        if ((flags & IFF_TUN) == 0 || (flags & ~SUPPORTED_FLAGS) != 0) {
            throw new IllegalArgumentException("flags: 0x" + Integer.toHexString(flags)
                    + " (expected: IFF_TUN with any of IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE)");
        }
        NetworkNamespace namespace = requireOwnNamespace();
        LibC.requireLoaded();
        int fd = openCloneDevice();
        try {
            String actualName = attach(fd, name, flags);
            setNonBlocking(fd);
            return new TunDevice(fd, actualName, flags, namespace.name());
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The hard rule of DESIGN.md §10, checked before any system call. */
    private static NetworkNamespace requireOwnNamespace() {
        NetworkNamespace namespace = NetworkNamespace.current();
        if (namespace == null) {
            throw new IllegalStateException("refusing to open a TUN device outside a namespace created by "
                    + "NetworkNamespace (DESIGN.md §10): thread '" + Thread.currentThread().getName()
                    + "' is in " + describeCurrentNamespace() + "; open it with NetworkNamespace.runInside or openTun");
        }
        return namespace;
    }

    private static String describeCurrentNamespace() {
        try {
            return NamespaceId.ofCurrentThread().toString();
        } catch (RuntimeException e) {
            return "an unknown namespace (" + e.getMessage() + ")";
        }
    }

    private static int openCloneDevice() {
        int fd = LibC.open(TunSupport.DEV_NET_TUN, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        int errno = LibC.errno();
        if (errno == LibC.ENOENT || errno == LibC.ENODEV) {
            throw new TunUnavailableException("TUN unavailable: no " + TunSupport.DEV_NET_TUN + " ("
                    + LibC.describe(errno) + "): load the module (modprobe tun), or start the container with --device /dev/net/tun");
        }
        if (errno == LibC.EACCES || errno == LibC.EPERM) {
            throw new TunUnavailableException("TUN unavailable: cannot open " + TunSupport.DEV_NET_TUN + " ("
                    + LibC.describe(errno) + "): run as root (sudo), or with CAP_NET_ADMIN");
        }
        throw new IllegalStateException("open " + TunSupport.DEV_NET_TUN + ": " + LibC.describe(errno));
    }

    /** TUNSETIFF; returns the interface name the kernel chose or confirmed. */
    private static String attach(int fd, String name, int flags) {
        try (Memory ifreq = new Memory(IFREQ_SIZE)) {
            ifreq.clear();
            byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
            ifreq.write(0, nameBytes, 0, nameBytes.length);
            ifreq.setShort(IFREQ_FLAGS_OFFSET, (short) flags);
            if (LibC.ioctl(fd, TUNSETIFF, Pointer.nativeValue(ifreq)) != 0) {
                throw attachFailure(name, flags, LibC.errno());
            }
            return ifreq.getString(0, StandardCharsets.US_ASCII.name());
        }
    }

    private static RuntimeException attachFailure(String name, int flags, int errno) {
        String what = "TUNSETIFF " + name + " flags 0x" + Integer.toHexString(flags) + ": " + LibC.describe(errno);
        if (errno == LibC.EPERM) {
            return new TunUnavailableException("TUN unavailable: " + what + ": needs CAP_NET_ADMIN in the namespace (run as root)");
        }
        if (errno == LibC.EBUSY) {
            return new IllegalStateException(what + ": the interface is already attached to another fd"
                    + " (without IFF_MULTI_QUEUE a TUN interface has one queue)");
        }
        if (errno == LibC.EINVAL) {
            return new IllegalArgumentException(what + ": a malformed name (at most one %d), or an interface of that name"
                    + " exists with other flags or of another kind");
        }
        return new IllegalStateException(what);
    }

    private static void setNonBlocking(int fd) {
        int current = LibC.fcntl(fd, LibC.F_GETFL, 0);
        if (current < 0 || LibC.fcntl(fd, LibC.F_SETFL, current | LibC.O_NONBLOCK) < 0) {
            throw new IllegalStateException("fcntl(O_NONBLOCK) on the TUN fd: " + LibC.describe(LibC.errno()));
        }
    }

    /**
     * Tells the kernel which offloads this fd's reader takes ({@code TUNSETOFFLOAD}): with
     * {@link #TUN_F_CSUM} the interface gains checksum offload and packets come with partial
     * checksums; with {@link #TUN_F_TSO4} the kernel's TCP sends us super-segments of up to 64 KB.
     * Only on a device opened with {@link #IFF_VNET_HDR}, whose header says what each packet is.
     *
     * @throws IllegalStateException when the device has no virtio header or the kernel refuses
     */
    public void setOffload(int offloadFlags) {
        if ((flags & IFF_VNET_HDR) == 0) {
            throw new IllegalStateException("TUNSETOFFLOAD on " + name + ": opened without IFF_VNET_HDR, so packets could"
                    + " not say they are offloaded");
        }
        if (LibC.ioctl(fd(), TUNSETOFFLOAD, offloadFlags) != 0) {
            throw new IllegalStateException("TUNSETOFFLOAD 0x" + Integer.toHexString(offloadFlags) + " on " + name + ": "
                    + LibC.describe(LibC.errno()));
        }
    }

    /** The file descriptor. @throws IllegalStateException after {@link #close()} */
    public int fd() {
        if (closed.get()) {
            throw new IllegalStateException("TUN device " + name + " is closed");
        }
        return fd;
    }

    /** The interface name, as {@code ip link} shows it inside the namespace. */
    public String name() {
        return name;
    }

    /** The TUNSETIFF flags it was opened with. */
    public int flags() {
        return flags;
    }

    /** The name of the namespace the interface lives in. */
    public String namespace() {
        return namespace;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Closes the fd; the kernel removes the interface once its last queue is closed. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.close(fd);
        }
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + " fd " + fd + " in " + namespace + (isOpen() ? "" : ", closed") + "]";
    }
}
