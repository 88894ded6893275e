package io.usertcp.tun.packetdrill;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The BSD socket calls of the kernel backend, bound with JNA direct mapping ({@link Native#register}):
 * primitive arguments, memory as raw addresses of native scratch memory. A return of -1 means
 * failure and {@link #errno()} says why; nothing here throws on a failed call. LP64 Linux only
 * (x86-64, AArch64), as the rest of the TUN layer.
 */
final class SocketCalls {
    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;
    static final int SOL_SOCKET = 1;
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_TCP = 6;
    static final int TCP_INFO = 11;
    static final int TCP_CONGESTION = 13;
    static final int SO_LINGER = 13;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int SHUT_RDWR = 2;
    /** {@code FIONREAD} (= {@code SIOCINQ}) on Linux. */
    static final long FIONREAD = 0x541B;
    /** {@code struct sockaddr_in}: family (2 bytes), port (2, network order), address (4), zero (8). */
    static final int SOCKADDR_IN_SIZE = 16;

    private static final Throwable LOAD_FAILURE;

    static {
        Throwable failure = null;
        try {
            Native.register(SocketCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError: reported by KernelScriptRunner
            failure = t;
        }
        LOAD_FAILURE = failure;
    }

    private SocketCalls() {}

    /** Why the binding could not be loaded, or null. */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** The calling thread's errno after its last native call. */
    static int errno() {
        return Native.getLastError();
    }

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, long addr, int addrlen);

    static native int listen(int fd, int backlog);

    static native int accept4(int fd, long addr, long addrlen, int flags);

    /** open(2) of a file, for the scripts' sendfile tests. */
    static native int open(String path, int flags);

    /** sendfile(2); {@code offset} points at an off_t, or is 0 for the file's own offset. */
    static native long sendfile(int outFd, int inFd, long offset, long count);

    /** pipe2(2); {@code fds} points at two ints: the read end, then the write end. */
    static native int pipe2(long fds, int flags);

    /** splice(2); {@code offIn} and {@code offOut} point at loff_t, or are 0 (NULL). */
    static native long splice(int fdIn, long offIn, int fdOut, long offOut, long len, int flags);

    static native int if_nametoindex(String name);

    /** @param ts address of a {@code struct timespec} (two 64-bit fields) */
    static native int clock_gettime(int clockId, long ts);

    static final int CLOCK_REALTIME = 0;

    static native int connect(int fd, long addr, int addrlen);

    static native int getsockname(int fd, long addr, long addrlen);

    static native int getpeername(int fd, long addr, long addrlen);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native long sendto(int fd, long buf, long count, int flags, long addr, int addrlen);

    static native int epoll_create1(int flags);

    /** @param event address of a {@code struct epoll_event} (packed on x86-64: u32 events, u64 data) */
    static native int epoll_ctl(int epfd, int op, int fd, long event);

    static native int epoll_wait(int epfd, long events, int maxevents, int timeout);

    /** @param msg address of a {@code struct msghdr} (56 bytes on LP64) */
    static native long recvmsg(int fd, long msg, int flags);

    static native long sendmsg(int fd, long msg, int flags);

    static native int close(int fd);

    static native int shutdown(int fd, int how);

    static native int setsockopt(int fd, int level, int name, long value, int length);

    static native int getsockopt(int fd, int level, int name, long value, long length);

    static native int fcntl(int fd, int cmd, int arg);

    /** @param fds address of {@code nfds} {@code struct pollfd {int fd; short events; short revents;}} */
    static native int poll(long fds, long nfds, int timeout);

    /** @param timeout address of a {@code struct timespec}, or 0 for no limit; @param sigmask 0 */
    static native int ppoll(long fds, long nfds, long timeout, long sigmask);

    static native int eventfd(int initval, int flags);

    static native int ioctl(int fd, long request, long arg);

    static native String strerror(int errnum);

    /** @param param address of a {@code struct sched_param { int sched_priority; }}; pid 0 is the calling thread */
    static native int sched_setscheduler(int pid, int policy, long param);

    static final int SCHED_OTHER = 0;
    static final int SCHED_RR = 2;

    /**
     * Puts the calling thread in the lowest real-time round-robin priority (or back to the normal
     * policy), as packetdrill does for its threads when there is more than one CPU, so that the
     * scheduler does not make events late by milliseconds on a busy machine. Best effort: false
     * when the kernel refuses (no CAP_SYS_NICE).
     */
    static boolean realTime(boolean on) {
        try (com.sun.jna.Memory param = new com.sun.jna.Memory(4)) {
            param.setInt(0, on ? 1 : 0);
            return sched_setscheduler(0, on ? SCHED_RR : SCHED_OTHER, com.sun.jna.Pointer.nativeValue(param)) == 0;
        }
    }
}
