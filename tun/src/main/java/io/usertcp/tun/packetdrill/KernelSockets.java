package io.usertcp.tun.packetdrill;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.usertcp.packetdrill.Errno;
import io.usertcp.packetdrill.SocketApi;
import io.usertcp.packetdrill.SyscallResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Real kernel sockets behind the script's file descriptors: each call is the system call itself
 * ({@link SocketCalls}), made on a thread inside the run's network namespace, with the kernel's
 * result and errno. A blocking call blocks its thread, as in packetdrill's system-call thread.
 * Script descriptors (3, 4, ...) map to the live ones, as packetdrill maps them.
 *
 * <p>Thread-safe: the calls run on the namespace's threads; the interpreter reads TCP_INFO and the
 * bound port from its own thread, and {@link #closeAll()} (which also wakes a blocked call) may run
 * while a call is blocked.
 */
final class KernelSockets implements SocketApi {
    /** Socket options by the name scripts use: level and number (Linux). */
    private static final Map<String, int[]> OPTIONS = Map.ofEntries(
            Map.entry("SO_REUSEADDR", new int[] {SocketCalls.SOL_SOCKET, 2}),
            Map.entry("SO_ERROR", new int[] {SocketCalls.SOL_SOCKET, 4}),
            Map.entry("SO_SNDBUF", new int[] {SocketCalls.SOL_SOCKET, 7}),
            Map.entry("SO_RCVBUF", new int[] {SocketCalls.SOL_SOCKET, 8}),
            Map.entry("SO_KEEPALIVE", new int[] {SocketCalls.SOL_SOCKET, 9}),
            Map.entry("SO_REUSEPORT", new int[] {SocketCalls.SOL_SOCKET, 15}),
            Map.entry("SO_RCVLOWAT", new int[] {SocketCalls.SOL_SOCKET, 18}),
            Map.entry("SO_MARK", new int[] {SocketCalls.SOL_SOCKET, 36}),
            Map.entry("SO_TIMESTAMPING", new int[] {SocketCalls.SOL_SOCKET, 37}), // SO_TIMESTAMPING_OLD
            Map.entry("SO_ZEROCOPY", new int[] {SocketCalls.SOL_SOCKET, 60}),
            Map.entry("TCP_NODELAY", new int[] {SocketCalls.IPPROTO_TCP, 1}),
            Map.entry("TCP_MAXSEG", new int[] {SocketCalls.IPPROTO_TCP, 2}),
            Map.entry("TCP_CORK", new int[] {SocketCalls.IPPROTO_TCP, 3}),
            Map.entry("TCP_KEEPIDLE", new int[] {SocketCalls.IPPROTO_TCP, 4}),
            Map.entry("TCP_KEEPINTVL", new int[] {SocketCalls.IPPROTO_TCP, 5}),
            Map.entry("TCP_KEEPCNT", new int[] {SocketCalls.IPPROTO_TCP, 6}),
            Map.entry("TCP_SYNCNT", new int[] {SocketCalls.IPPROTO_TCP, 7}),
            Map.entry("TCP_LINGER2", new int[] {SocketCalls.IPPROTO_TCP, 8}),
            Map.entry("TCP_DEFER_ACCEPT", new int[] {SocketCalls.IPPROTO_TCP, 9}),
            Map.entry("TCP_WINDOW_CLAMP", new int[] {SocketCalls.IPPROTO_TCP, 10}),
            Map.entry("TCP_QUICKACK", new int[] {SocketCalls.IPPROTO_TCP, 12}),
            Map.entry("TCP_THIN_LINEAR_TIMEOUTS", new int[] {SocketCalls.IPPROTO_TCP, 16}),
            Map.entry("TCP_USER_TIMEOUT", new int[] {SocketCalls.IPPROTO_TCP, 18}),
            Map.entry("TCP_FASTOPEN", new int[] {SocketCalls.IPPROTO_TCP, 23}),
            Map.entry("TCP_NOTSENT_LOWAT", new int[] {SocketCalls.IPPROTO_TCP, 25}),
            Map.entry("TCP_FASTOPEN_CONNECT", new int[] {SocketCalls.IPPROTO_TCP, 30}),
            Map.entry("TCP_FASTOPEN_NO_COOKIE", new int[] {SocketCalls.IPPROTO_TCP, 34}),
            Map.entry("TCP_INQ", new int[] {SocketCalls.IPPROTO_TCP, 36}),
            Map.entry("TCP_TX_DELAY", new int[] {SocketCalls.IPPROTO_TCP, 37}),
            Map.entry("IP_TOS", new int[] {SocketCalls.IPPROTO_IP, 1}),
            Map.entry("IP_TTL", new int[] {SocketCalls.IPPROTO_IP, 2}),
            Map.entry("IP_MTU_DISCOVER", new int[] {SocketCalls.IPPROTO_IP, 10}),
            Map.entry("IP_FREEBIND", new int[] {SocketCalls.IPPROTO_IP, 15}));
    private static final long MSG_FASTOPEN = 0x20000000L;
    /** SO_TIMESTAMPING's number, and SCM_TIMESTAMPING's (the same, SO_TIMESTAMPING_OLD, 64-bit time_t). */
    private static final int SO_TIMESTAMPING_OLD = 37;
    /** CLOCK_REALTIME at the script's time 0, in nanoseconds; SCM_TIMESTAMPING times are reported from it. */
    private volatile long scriptOriginRealtimeNanos;
    /** struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
    private static final boolean PACKED_EPOLL = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    private static final int EPOLL_EVENT_SIZE = PACKED_EPOLL ? 12 : 16;
    private static final int EPOLL_DATA_OFFSET = PACKED_EPOLL ? 4 : 8;
    /** The longest poll or epoll_wait (a script's -1 included). */
    static final int MAX_WAIT_MILLIS = 10_000;
    /** Room for the control messages of one recvmsg. */
    private static final int CONTROL_BYTES = 512;
    /** The largest read or write the backend makes in one call (scripts write at most a few MB). */
    private static final int MAX_IO_BYTES = 64 << 20;

    private final int localAddress;
    private final TreeMap<Integer, Integer> fds = new TreeMap<>();
    /** Live descriptors whose script number a later socket took over; closed at the end. */
    private final List<Integer> orphans = new ArrayList<>();
    private int preferredFd = -1;
    private volatile String congestionControl;
    /** The (local port, remote port) pairs of connections the script has closed, as {@code local << 16 | remote}. */
    private final java.util.Set<Integer> closedTuples = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** @param localAddress the kernel's address in the namespace, which {@code bind} uses */
    KernelSockets(int localAddress) {
        this.localAddress = localAddress;
    }

    private synchronized int live(int fd) {
        Integer live = fds.get(fd);
        return live == null ? -1 : live;
    }

    /**
     * The script's number for a new live descriptor: the one the script expects ({@link #preferFd}),
     * else the lowest free from 3. As packetdrill maps script descriptors, an expected number still
     * in use is taken over: the socket it named stays open, out of the script's reach, until the end.
     */
    private synchronized int adopt(int liveFd) {
        int fd = preferredFd;
        preferredFd = -1;
        if (fd < 3) {
            fd = 3;
            while (fds.containsKey(fd)) {
                fd++;
            }
        }
        Integer previous = fds.put(fd, liveFd);
        if (previous != null) {
            orphans.add(previous);
        }
        return fd;
    }

    private static SyscallResult failed() {
        int errno = SocketCalls.errno();
        Errno known = Errno.byNumber(errno);
        return known != null ? SyscallResult.error(known)
                : new SyscallResult(-1, null, "errno " + errno + " " + SocketCalls.strerror(errno));
    }

    private static SyscallResult result(long r) {
        return r < 0 ? failed() : SyscallResult.ok(r);
    }

    @Override
    public SyscallResult socket() {
        int live = SocketCalls.socket(SocketCalls.AF_INET, SocketCalls.SOCK_STREAM, SocketCalls.IPPROTO_TCP);
        if (live < 0) {
            return failed();
        }
        String cc = congestionControl;
        if (cc != null) {
            byte[] name = cc.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (Memory v = new Memory(name.length)) {
                v.write(0, name, 0, name.length);
                if (SocketCalls.setsockopt(live, SocketCalls.IPPROTO_TCP, SocketCalls.TCP_CONGESTION, Pointer.nativeValue(v),
                        name.length) < 0) {
                    SyscallResult r = failed();
                    SocketCalls.close(live);
                    return new SyscallResult(-1, r.errno(), "setting TCP_CONGESTION " + cc + " on the new socket failed");
                }
            }
        }
        return SyscallResult.ok(adopt(live));
    }

    /** Every socket created from now on gets this congestion control algorithm (the script's default). */
    void congestionControl(String name) {
        congestionControl = name;
    }

    @Override
    public synchronized void preferFd(int fd) {
        preferredFd = fd;
    }

    @Override
    public SyscallResult bind(int fd, int port) {
        try (Memory addr = sockaddr(localAddress, port)) {
            return result(SocketCalls.bind(live(fd), Pointer.nativeValue(addr), SocketCalls.SOCKADDR_IN_SIZE));
        }
    }

    @Override
    public SyscallResult listen(int fd, int backlog, int defaultPort) {
        if (boundPort(fd) == 0) {
            SyscallResult bound = bind(fd, defaultPort); // as the stack's layer: an unbound listener gets the script's port
            if (bound.errno() != null) {
                return bound;
            }
        }
        return result(SocketCalls.listen(live(fd), backlog));
    }

    @Override
    public SyscallResult connect(int fd, int remoteAddress, int remotePort) {
        try (Memory addr = sockaddr(remoteAddress, remotePort)) {
            return result(SocketCalls.connect(live(fd), Pointer.nativeValue(addr), SocketCalls.SOCKADDR_IN_SIZE));
        }
    }

    @Override
    public SyscallResult accept(int fd) {
        int live = SocketCalls.accept4(live(fd), 0, 0, 0);
        return live < 0 ? failed() : SyscallResult.ok(adopt(live));
    }

    @Override
    public SyscallResult read(int fd, int count) {
        try (Memory buf = new Memory(Math.max(1, Math.min(count, MAX_IO_BYTES)))) {
            return result(SocketCalls.read(live(fd), Pointer.nativeValue(buf), Math.min(count, MAX_IO_BYTES)));
        }
    }

    @Override
    public SyscallResult write(int fd, int count) {
        if (count > MAX_IO_BYTES) {
            return SyscallResult.error(Errno.EINVAL, "the kernel backend writes at most " + MAX_IO_BYTES + " bytes at once");
        }
        try (Memory buf = new Memory(Math.max(1, count))) {
            buf.clear();
            return result(SocketCalls.write(live(fd), Pointer.nativeValue(buf), count));
        }
    }

    @Override
    public boolean epolls() {
        return true;
    }

    @Override
    public boolean files() {
        return true;
    }

    @Override
    public SyscallResult open(String path, int flags) {
        int live = SocketCalls.open(path, flags | O_CLOEXEC);
        return live < 0 ? failed() : SyscallResult.ok(adopt(live));
    }

    @Override
    public SyscallResult sendfile(int outFd, int inFd, long offset, int count) {
        if (offset < 0) {
            return result(SocketCalls.sendfile(live(outFd), live(inFd), 0, count));
        }
        try (Memory off = new Memory(8)) {
            off.setLong(0, offset);
            return result(SocketCalls.sendfile(live(outFd), live(inFd), Pointer.nativeValue(off), count));
        }
    }

    @Override
    public boolean pipes() {
        return true;
    }

    /**
     * A real pipe (pipe2(2), close-on-exec as the script's other descriptors), its ends under the
     * script's numbers, as google/packetdrill maps them (run_system_call.c syscall_pipe(),
     * run_syscall_pipe()); a number still in use is taken over as {@link #adopt} does.
     */
    @Override
    public SyscallResult pipe(int readFd, int writeFd) {
        if (readFd < 0 || writeFd < 0 || readFd == writeFd) {
            return SyscallResult.error(Errno.EINVAL, "pipe([" + readFd + ", " + writeFd + "]): two distinct descriptors expected");
        }
        try (Memory ends = new Memory(8)) {
            if (SocketCalls.pipe2(Pointer.nativeValue(ends), O_CLOEXEC) < 0) {
                return failed();
            }
            adoptAs(readFd, ends.getInt(0));
            adoptAs(writeFd, ends.getInt(4));
            return SyscallResult.ok(0);
        }
    }

    /** splice(2) between the live descriptors, both offsets NULL (google/packetdrill's syscall_splice()). */
    @Override
    public SyscallResult splice(int inFd, int outFd, int count, int flags) {
        return result(SocketCalls.splice(live(inFd), 0, live(outFd), 0, count, flags));
    }

    /** Puts a live descriptor under a given script number; a live one the number named stays open, out of reach, until the end. */
    private synchronized void adoptAs(int fd, int liveFd) {
        Integer previous = fds.put(fd, liveFd);
        if (previous != null) {
            orphans.add(previous);
        }
    }

    /** O_CLOEXEC: the script's files are not inherited by the shell lines' processes. */
    private static final int O_CLOEXEC = 0x80000;

    @Override
    public SyscallResult epollCreate() {
        int live = SocketCalls.epoll_create1(0);
        return live < 0 ? failed() : SyscallResult.ok(adopt(live));
    }

    @Override
    public SyscallResult epollCtl(int epfd, int op, int fd, int events) {
        try (Memory event = new Memory(EPOLL_EVENT_SIZE)) {
            event.clear();
            event.setInt(0, events);
            event.setLong(EPOLL_DATA_OFFSET, fd); // the script's descriptor, which epoll_wait hands back
            return result(SocketCalls.epoll_ctl(live(epfd), op, live(fd), Pointer.nativeValue(event)));
        }
    }

    @Override
    public SyscallResult epollWait(int epfd, int maxEvents, int timeoutMillis, int[] first) {
        try (Memory events = new Memory((long) EPOLL_EVENT_SIZE * Math.max(1, maxEvents))) {
            events.clear();
            int n = SocketCalls.epoll_wait(live(epfd), Pointer.nativeValue(events), Math.max(1, maxEvents), bounded(timeoutMillis));
            if (n < 0) {
                return failed();
            }
            first[0] = events.getInt(0);
            first[1] = (int) events.getLong(EPOLL_DATA_OFFSET);
            return SyscallResult.ok(n);
        }
    }

    @Override
    public boolean receivesMessages() {
        return true;
    }

    @Override
    public SyscallResult recvmsg(int fd, int count, long flags, List<ControlMessage> control, int[] msgFlags) {
        int bytes = Math.min(count, MAX_IO_BYTES);
        try (Memory buf = new Memory(Math.max(1, bytes)); Memory iov = new Memory(16); Memory cmsgs = new Memory(CONTROL_BYTES);
             Memory msg = new Memory(56)) {
            iov.setLong(0, Pointer.nativeValue(buf));
            iov.setLong(8, bytes);
            msg.clear();
            msg.setLong(16, Pointer.nativeValue(iov)); // msg_iov
            msg.setLong(24, 1);                        // msg_iovlen
            msg.setLong(32, Pointer.nativeValue(cmsgs)); // msg_control
            msg.setLong(40, CONTROL_BYTES);            // msg_controllen
            long r = SocketCalls.recvmsg(live(fd), Pointer.nativeValue(msg), (int) flags);
            // (timestamps in SCM_TIMESTAMPING are turned into the script's time below)
            if (r < 0) {
                return failed();
            }
            msgFlags[0] = msg.getInt(48);
            long length = Math.min(msg.getLong(40), CONTROL_BYTES);
            // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data }, each aligned to 8 bytes.
            for (long at = 0; at + 16 <= length; ) {
                long cmsgLen = cmsgs.getLong(at);
                if (cmsgLen < 16 || at + cmsgLen > length) {
                    break;
                }
                int level = cmsgs.getInt(at + 8);
                int type = cmsgs.getInt(at + 12);
                byte[] data = cmsgs.getByteArray(at + 16, (int) (cmsgLen - 16));
                if (level == SocketCalls.SOL_SOCKET && type == SO_TIMESTAMPING_OLD) {
                    data = toScriptTime(data);
                }
                control.add(new ControlMessage(level, type, data));
                at += (cmsgLen + 7) & ~7L;
            }
            return SyscallResult.ok(r);
        }
    }

    @Override
    public boolean polls() {
        return true;
    }

    @Override
    public SyscallResult poll(int[] fds, int[] events, int[] revents, int timeoutMillis) {
        try (Memory pollfds = new Memory(8L * Math.max(1, fds.length))) {
            for (int i = 0; i < fds.length; i++) {
                pollfds.setInt(8L * i, live(fds[i]));
                pollfds.setShort(8L * i + 4, (short) events[i]);
                pollfds.setShort(8L * i + 6, (short) 0);
            }
            int r = SocketCalls.poll(Pointer.nativeValue(pollfds), fds.length, bounded(timeoutMillis));
            if (r < 0) {
                return failed();
            }
            for (int i = 0; i < fds.length; i++) {
                revents[i] = pollfds.getShort(8L * i + 6) & 0xFFFF;
            }
            return SyscallResult.ok(r);
        }
    }

    @Override
    public boolean takesFlags() {
        return true;
    }

    @Override
    public SyscallResult send(int fd, int count, long flags, int remoteAddress, int remotePort) {
        if (count > MAX_IO_BYTES) {
            return SyscallResult.error(Errno.EINVAL, "the kernel backend writes at most " + MAX_IO_BYTES + " bytes at once");
        }
        boolean fastOpen = (flags & MSG_FASTOPEN) != 0; // sendto(..., MSG_FASTOPEN, address): connects with data in the SYN
        try (Memory buf = new Memory(Math.max(1, count)); Memory addr = sockaddr(remoteAddress, remotePort)) {
            buf.clear();
            return result(SocketCalls.sendto(live(fd), Pointer.nativeValue(buf), count, (int) flags,
                    fastOpen ? Pointer.nativeValue(addr) : 0, fastOpen ? SocketCalls.SOCKADDR_IN_SIZE : 0));
        }
    }

    @Override
    public SyscallResult close(int fd) {
        int live;
        synchronized (this) {
            Integer l = fds.remove(fd);
            live = l == null ? -1 : l;
        }
        int local = port(live, false);
        int remote = port(live, true);
        if (local != 0 && remote != 0) {
            closedTuples.add(local << 16 | remote);
        }
        return result(SocketCalls.close(live));
    }

    /**
     * A poll or epoll timeout bounded to {@link #MAX_WAIT_MILLIS}: closing descriptors does not wake
     * a thread waiting in them, so no wait may outlast the run by more than that.
     */
    private static int bounded(int timeoutMillis) {
        return timeoutMillis < 0 || timeoutMillis > MAX_WAIT_MILLIS ? MAX_WAIT_MILLIS : timeoutMillis;
    }

    /** Whether a connection from {@code localPort} to {@code remotePort} was closed by the script. */
    boolean closed(int localPort, int remotePort) {
        return closedTuples.contains(localPort << 16 | remotePort);
    }

    @Override
    public SyscallResult shutdown(int fd, int how) {
        return result(SocketCalls.shutdown(live(fd), how));
    }

    @Override
    public SyscallResult getFlags(int fd) {
        return result(SocketCalls.fcntl(live(fd), SocketCalls.F_GETFL, 0));
    }

    @Override
    public SyscallResult setFlags(int fd, long flags) {
        return result(SocketCalls.fcntl(live(fd), SocketCalls.F_SETFL, (int) flags));
    }

    @Override
    public SyscallResult setOption(int fd, String name, long value) {
        int[] option = OPTIONS.get(name);
        if (option == null) {
            return SyscallResult.error(Errno.ENOPROTOOPT, name + " is not known to the kernel backend");
        }
        try (Memory v = new Memory(4)) {
            v.setInt(0, (int) value);
            return result(SocketCalls.setsockopt(live(fd), option[0], option[1], Pointer.nativeValue(v), 4));
        }
    }

    /**
     * {@code setsockopt(TCP_MD5SIG)} on the real socket, with the {@code struct tcp_md5sig} the
     * script's struct became (its address already mapped to the run's: the script's remote side is
     * the TUN peer). A prefix shorter than 32 goes as TCP_MD5SIG_EXT with TCP_MD5SIG_FLAG_PREFIX, a
     * full address as plain TCP_MD5SIG (the kernel treats both alike); an empty key removes, as
     * {@code tcpm_keylen} 0 does. The kernel's result and errno are the call's.
     */
    @Override
    public SyscallResult setMd5Key(int fd, io.usertcp.tcp.TcpMd5Key key) {
        boolean ext = key.prefixLength() != 32;
        try (Memory v = md5sig(key)) {
            return result(SocketCalls.setsockopt(live(fd), SocketCalls.IPPROTO_TCP, ext ? TCP_MD5SIG_EXT : TCP_MD5SIG,
                    Pointer.nativeValue(v), TCP_MD5SIG_SIZE));
        }
    }

    /** Linux TCP_MD5SIG, TCP_MD5SIG_EXT and TCP_MD5SIG_FLAG_PREFIX (include/uapi/linux/tcp.h). */
    private static final int TCP_MD5SIG = 14;
    private static final int TCP_MD5SIG_EXT = 32;
    private static final int TCP_MD5SIG_FLAG_PREFIX = 1;
    /**
     * {@code struct tcp_md5sig}: {@code struct sockaddr_storage tcpm_addr} (128 bytes), {@code u8
     * tcpm_flags}, {@code u8 tcpm_prefixlen}, {@code u16 tcpm_keylen}, {@code int tcpm_ifindex},
     * {@code u8 tcpm_key[80]}.
     */
    private static final int TCP_MD5SIG_SIZE = 216;

    private static Memory md5sig(io.usertcp.tcp.TcpMd5Key key) {
        byte[] secret = key.key();
        Memory m = new Memory(TCP_MD5SIG_SIZE);
        m.clear();
        try (Memory addr = sockaddr(key.address(), 0)) {
            m.write(0, addr.getByteArray(0, SocketCalls.SOCKADDR_IN_SIZE), 0, SocketCalls.SOCKADDR_IN_SIZE);
        }
        boolean ext = key.prefixLength() != 32;
        m.setByte(128, (byte) (ext ? TCP_MD5SIG_FLAG_PREFIX : 0)); // tcpm_flags
        m.setByte(129, (byte) (ext ? key.prefixLength() : 0));     // tcpm_prefixlen
        m.setShort(130, (short) secret.length);                    // tcpm_keylen, host order
        m.setInt(132, 0);                                          // tcpm_ifindex: any
        m.write(136, secret, 0, secret.length);                    // tcpm_key
        return m;
    }

    @Override
    public SyscallResult setLinger(int fd, boolean on, int seconds) {
        try (Memory v = new Memory(8)) {
            v.setInt(0, on ? 1 : 0);
            v.setInt(4, seconds);
            return result(SocketCalls.setsockopt(live(fd), SocketCalls.SOL_SOCKET, SocketCalls.SO_LINGER,
                    Pointer.nativeValue(v), 8));
        }
    }

    @Override
    public SyscallResult getOption(int fd, String name) {
        int[] option = OPTIONS.get(name);
        if (option == null) {
            return SyscallResult.error(Errno.ENOPROTOOPT, name + " is not known to the kernel backend");
        }
        try (Memory v = new Memory(4); Memory len = new Memory(4)) {
            v.setInt(0, 0);
            len.setInt(0, 4);
            int r = SocketCalls.getsockopt(live(fd), option[0], option[1], Pointer.nativeValue(v), Pointer.nativeValue(len));
            // Unsigned, as scripts write them (TCP_NOTSENT_LOWAT's default is [0xffffffff]).
            return r < 0 ? failed() : SyscallResult.ok(v.getInt(0) & 0xFFFF_FFFFL);
        }
    }

    @Override
    public int[] getLinger(int fd) {
        try (Memory v = new Memory(8); Memory len = new Memory(4)) {
            v.clear();
            len.setInt(0, 8);
            int r = SocketCalls.getsockopt(live(fd), SocketCalls.SOL_SOCKET, SocketCalls.SO_LINGER, Pointer.nativeValue(v),
                    Pointer.nativeValue(len));
            return r < 0 ? null : new int[] {v.getInt(0), v.getInt(4)};
        }
    }

    @Override
    public boolean isOpen(int fd) {
        return live(fd) >= 0;
    }

    @Override
    public long readableBytes(int fd) {
        try (Memory v = new Memory(4)) {
            v.setInt(0, 0);
            return SocketCalls.ioctl(live(fd), SocketCalls.FIONREAD, Pointer.nativeValue(v)) < 0 ? 0 : v.getInt(0);
        }
    }

    /** The local port {@code fd} is bound to ({@code getsockname}), or 0. */
    int boundPort(int fd) {
        return port(live(fd), false);
    }

    /** The local ({@code getsockname}) or remote ({@code getpeername}) port of a live descriptor, or 0. */
    private static int port(int live, boolean peer) {
        try (Memory addr = new Memory(SocketCalls.SOCKADDR_IN_SIZE); Memory len = new Memory(4)) {
            addr.clear();
            len.setInt(0, SocketCalls.SOCKADDR_IN_SIZE);
            long a = Pointer.nativeValue(addr);
            long l = Pointer.nativeValue(len);
            if ((peer ? SocketCalls.getpeername(live, a, l) : SocketCalls.getsockname(live, a, l)) < 0) {
                return 0;
            }
            return ((addr.getByte(2) & 0xFF) << 8) | (addr.getByte(3) & 0xFF);
        }
    }

    /** TCP_INFO of {@code fd} now, or null when it cannot be read (closed, not a TCP socket). */
    TcpInfo tcpInfo(int fd) {
        try (Memory v = new Memory(TcpInfo.SIZE); Memory len = new Memory(4)) {
            v.clear();
            len.setInt(0, TcpInfo.SIZE);
            int r = SocketCalls.getsockopt(live(fd), SocketCalls.IPPROTO_TCP, SocketCalls.TCP_INFO, Pointer.nativeValue(v),
                    Pointer.nativeValue(len));
            if (r < 0) {
                return null;
            }
            byte[] bytes = new byte[Math.min(len.getInt(0), TcpInfo.SIZE)];
            v.read(0, bytes, 0, bytes.length);
            return TcpInfo.parse(bytes);
        }
    }

    /**
     * Shuts down and closes every descriptor still open, as a process exit would; a call blocked
     * on one of them returns. Safe from any thread.
     */
    void closeAll() {
        List<Integer> open;
        synchronized (this) {
            open = new ArrayList<>(fds.values());
            open.addAll(orphans);
            fds.clear();
            orphans.clear();
        }
        for (int live : open) {
            SocketCalls.shutdown(live, SocketCalls.SHUT_RDWR);
            SocketCalls.close(live);
        }
    }

    /** The script's clock starts now: SO_TIMESTAMPING's times are reported relative to this instant. */
    void scriptStarted(java.time.Instant origin) {
        scriptOriginRealtimeNanos = origin.getEpochSecond() * 1_000_000_000L + origin.getNano();
    }

    /**
     * struct scm_timestamping's software time (its first struct timespec, CLOCK_REALTIME) made the
     * script's: seconds and nanoseconds since the script's time 0, as google/packetdrill compares
     * them (the hardware ones, zero here, are left alone).
     */
    private byte[] toScriptTime(byte[] data) {
        if (data.length < 16) {
            return data;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data.clone()).order(java.nio.ByteOrder.nativeOrder());
        long realtime = b.getLong(0) * 1_000_000_000L + b.getLong(8);
        if (realtime == 0) {
            return data;
        }
        long script = Math.max(0, realtime - scriptOriginRealtimeNanos);
        b.putLong(0, script / 1_000_000_000L).putLong(8, script % 1_000_000_000L);
        return b.array();
    }

    /**
     * {@code sendmsg} with each iovec in an allocation of its own, as google/packetdrill allocates
     * them: never contiguous, so that with MSG_ZEROCOPY each one is a page fragment of its own.
     */
    @Override
    public SyscallResult sendmsg(int fd, int[] lengths, long flags) {
        List<Memory> buffers = new ArrayList<>();
        try (Memory iov = new Memory(16L * Math.max(1, lengths.length)); Memory msg = new Memory(56)) {
            long total = 0;
            for (int i = 0; i < lengths.length; i++) {
                Memory b = new Memory(Math.max(1, lengths[i]) + 64L); // the slack keeps the next one apart
                b.clear();
                buffers.add(b);
                iov.setLong(16L * i, Pointer.nativeValue(b));
                iov.setLong(16L * i + 8, lengths[i]);
                total += lengths[i];
            }
            if (total > MAX_IO_BYTES) {
                return SyscallResult.error(Errno.EINVAL, "the kernel backend writes at most " + MAX_IO_BYTES + " bytes at once");
            }
            msg.clear();
            msg.setLong(16, Pointer.nativeValue(iov)); // msg_iov
            msg.setLong(24, lengths.length);           // msg_iovlen
            long r = SocketCalls.sendmsg(live(fd), Pointer.nativeValue(msg), (int) flags);
            return r < 0 ? failed() : SyscallResult.ok(r);
        } finally {
            buffers.forEach(Memory::close);
        }
    }

    /** {@code sendto} to an AF_UNSPEC address (Linux: MSG_FASTOPEN refuses it with EOPNOTSUPP). */
    @Override
    public SyscallResult sendUnspecified(int fd, int count, long flags, int remoteAddress, int remotePort) {
        if (count > MAX_IO_BYTES) {
            return SyscallResult.error(Errno.EINVAL, "the kernel backend writes at most " + MAX_IO_BYTES + " bytes at once");
        }
        try (Memory buf = new Memory(Math.max(1, count)); Memory addr = sockaddr(remoteAddress, remotePort)) {
            buf.clear();
            addr.setByte(0, (byte) 0); // sa_family = AF_UNSPEC
            return result(SocketCalls.sendto(live(fd), Pointer.nativeValue(buf), count, (int) flags, Pointer.nativeValue(addr),
                    SocketCalls.SOCKADDR_IN_SIZE));
        }
    }

    private static Memory sockaddr(int address, int port) {
        Memory m = new Memory(SocketCalls.SOCKADDR_IN_SIZE);
        m.clear();
        m.setByte(0, (byte) SocketCalls.AF_INET); // sa_family, little-endian host order
        m.setByte(1, (byte) 0);
        m.setByte(2, (byte) (port >>> 8));
        m.setByte(3, (byte) port);
        m.setByte(4, (byte) (address >>> 24));
        m.setByte(5, (byte) (address >>> 16));
        m.setByte(6, (byte) (address >>> 8));
        m.setByte(7, (byte) address);
        return m;
    }
}
