package io.usertcp.packetdrill;

/**
 * The BSD socket calls scripts make, as {@link Syscalls} makes them: implemented over the stack by
 * {@link SocketLayer} (on virtual time, where a call that would block returns
 * {@link SyscallResult#BLOCKED}) and over real kernel sockets by the kernel backend (where a
 * blocking call blocks its thread). File descriptors are the script's numbers; results and errno
 * values are Linux's.
 */
public interface SocketApi {
    /** {@code socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)}. */
    SyscallResult socket();

    /** The next descriptor created gets {@code fd} if it is free (packetdrill's {@code socket(...) = 4}). */
    void preferFd(int fd);

    /** {@code bind} to {@code port} on the local address. */
    SyscallResult bind(int fd, int port);

    /** {@code listen}; an unbound socket is bound to {@code defaultPort} first. */
    SyscallResult listen(int fd, int backlog, int defaultPort);

    /** {@code connect} to {@code remoteAddress:remotePort}. */
    SyscallResult connect(int fd, int remoteAddress, int remotePort);

    SyscallResult accept(int fd);

    /** {@code read} of up to {@code count} bytes (their content is not compared). */
    SyscallResult read(int fd, int count);

    /** {@code write} of {@code count} bytes. */
    SyscallResult write(int fd, int count);

    SyscallResult close(int fd);

    SyscallResult shutdown(int fd, int how);

    /** {@code fcntl(fd, F_GETFL)}. */
    SyscallResult getFlags(int fd);

    /** {@code fcntl(fd, F_SETFL, flags)}. */
    SyscallResult setFlags(int fd, long flags);

    /** {@code setsockopt} of an integer option named as scripts name it ({@code TCP_NODELAY}). */
    SyscallResult setOption(int fd, String name, long value);

    /** {@code setsockopt(SO_LINGER, {onoff, linger})}. */
    SyscallResult setLinger(int fd, boolean on, int seconds);

    /**
     * {@code setsockopt(TCP_MD5SIG)} with a {@code struct tcp_md5sig} (RFC 2385): add, replace, or
     * (empty key) remove the key for an address and prefix. Unsupported by default.
     */
    default SyscallResult setMd5Key(int fd, io.usertcp.tcp.TcpMd5Key key) {
        return SyscallResult.error(Errno.ENOPROTOOPT, "TCP_MD5SIG is not emulated by this backend");
    }

    /** {@code getsockopt} of an integer option; its value in {@link SyscallResult#value()}. */
    SyscallResult getOption(int fd, String name);

    /** {@code getsockopt(SO_LINGER)} as {onoff, linger}, or null for a descriptor not open. */
    int[] getLinger(int fd);

    boolean isOpen(int fd);

    /** The bytes ready to read ({@code ioctl(FIONREAD)}); 0 without a connection. */
    long readableBytes(int fd);

    /** A control message {@link #recvmsg} received: its level, type and data as the kernel wrote them. */
    record ControlMessage(int level, int type, byte[] data) {
        public ControlMessage {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }

    /** Whether {@link #recvmsg} is there; when not, a scripted {@code recvmsg()} is unsupported. */
    default boolean receivesMessages() {
        return false;
    }

    /**
     * {@code recvmsg(2)} of up to {@code count} bytes with {@code flags} ({@code MSG_ERRQUEUE}...): the
     * control messages received go to {@code control}, the returned msg_flags to {@code msgFlags[0]}.
     * Called only when {@link #receivesMessages()}.
     */
    default SyscallResult recvmsg(int fd, int count, long flags, java.util.List<ControlMessage> control, int[] msgFlags) {
        throw new UnsupportedOperationException("recvmsg: this socket layer does not receive messages");
    }

    /** Whether the epoll calls are there; when not, a scripted {@code epoll_*()} is unsupported. */
    default boolean epolls() {
        return false;
    }

    /** Whether {@code open} and {@code sendfile} of files are made (the kernel backend makes them; the stack has no files). */
    default boolean files() {
        return false;
    }

    /**
     * Whether {@code open(path)} can be emulated: a socket layer with real files opens any path; one
     * that keeps files in memory only those the script made. When not, the call is unsupported.
     */
    default boolean emulatesFile(String path) {
        return true;
    }

    /** {@code open(path, flags)}: a new script descriptor for a file. Called only when {@link #files()}. */
    default SyscallResult open(String path, int flags) {
        throw new UnsupportedOperationException("open: this socket layer has no files");
    }

    /** {@code sendfile(out, in, [offset], count)}. Called only when {@link #files()}. */
    default SyscallResult sendfile(int outFd, int inFd, long offset, int count) {
        throw new UnsupportedOperationException("sendfile: this socket layer has no files");
    }

    /** Whether {@code pipe} and {@code splice} are made (the kernel backend makes them; the stack has no pipes). */
    default boolean pipes() {
        return false;
    }

    /**
     * {@code pipe(fds)}: a pipe whose read end becomes script descriptor {@code readFd} and whose
     * write end {@code writeFd}. Called only when {@link #pipes()}.
     */
    default SyscallResult pipe(int readFd, int writeFd) {
        throw new UnsupportedOperationException("pipe: this socket layer has no pipes");
    }

    /** {@code splice(in, NULL, out, NULL, count, flags)}. Called only when {@link #pipes()}. */
    default SyscallResult splice(int inFd, int outFd, int count, int flags) {
        throw new UnsupportedOperationException("splice: this socket layer has no pipes");
    }

    /** {@code epoll_create}: a new script descriptor. Called only when {@link #epolls()}. */
    default SyscallResult epollCreate() {
        throw new UnsupportedOperationException("epoll: this socket layer has none");
    }

    /** {@code epoll_ctl(epfd, op, fd, {events, data=fd})}. Called only when {@link #epolls()}. */
    default SyscallResult epollCtl(int epfd, int op, int fd, int events) {
        throw new UnsupportedOperationException("epoll: this socket layer has none");
    }

    /**
     * {@code epoll_wait}: how many events are ready; the first one's events and script descriptor
     * go to {@code first[0]} and {@code first[1]}. Called only when {@link #epolls()}.
     */
    default SyscallResult epollWait(int epfd, int maxEvents, int timeoutMillis, int[] first) {
        throw new UnsupportedOperationException("epoll: this socket layer has none");
    }

    /** Whether {@link #poll} is there; when not, a scripted {@code poll()} is unsupported. */
    default boolean polls() {
        return false;
    }

    /**
     * {@code poll(2)} on script descriptors for at most {@code timeoutMillis} (-1: no limit); the
     * result's value is how many are ready, and each one's revents is written to {@code revents}.
     * Called only when {@link #polls()}.
     */
    default SyscallResult poll(int[] fds, int[] events, int[] revents, int timeoutMillis) {
        throw new UnsupportedOperationException("poll: this socket layer does not poll");
    }

    /**
     * Whether {@link #send} takes send flags ({@code MSG_EOR}, {@code MSG_MORE}, {@code MSG_FASTOPEN}...);
     * when not, a scripted call with flags other than 0 is unsupported.
     */
    default boolean takesFlags() {
        return false;
    }

    /**
     * {@code send}/{@code sendto}/{@code sendmsg} of {@code count} bytes with flags; with
     * {@code MSG_FASTOPEN} to {@code remoteAddress:remotePort}. Called only when {@link #takesFlags()}.
     */
    default SyscallResult send(int fd, int count, long flags, int remoteAddress, int remotePort) {
        throw new UnsupportedOperationException("send flags: this socket layer does not take them");
    }

    /**
     * The send flags {@link #send} emulates when {@link #takesFlags()}; a scripted call with
     * another one is unsupported.
     */
    default long emulatedSendFlags() {
        return ~0L;
    }

    /**
     * {@code sendmsg} of several iovecs of {@code lengths} bytes with {@code flags}. By default as one
     * {@link #send} of their sum (or a write without flags): only a kernel sees the layout (with
     * MSG_ZEROCOPY each iovec becomes a page fragment of its own, MAX_SKB_FRAGS to an skb).
     */
    default SyscallResult sendmsg(int fd, int[] lengths, long flags) {
        int total = java.util.Arrays.stream(lengths).sum();
        return flags == 0 ? write(fd, total) : send(fd, total, flags, 0, 0);
    }

    /**
     * {@code sendto} with flags to an {@code AF_UNSPEC} address. By default as {@link #send} to
     * the script's address.
     */
    default SyscallResult sendUnspecified(int fd, int count, long flags, int remoteAddress, int remotePort) {
        return send(fd, count, flags, remoteAddress, remotePort);
    }
}
