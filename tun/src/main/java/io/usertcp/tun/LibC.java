package io.usertcp.tun;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The few libc calls the TUN layer needs, bound with JNA <em>direct mapping</em>
 * ({@link Native#register}): static native methods with primitive arguments, no interface proxy, no
 * reflection per call (DESIGN.md §6).
 *
 * <p>Memory arguments are raw addresses passed as {@code long} (a Netty direct buffer's
 * {@code memoryAddress()}, or native scratch memory allocated once), so the hot path ({@link #read},
 * {@link #write}, {@link #ppoll}) allocates nothing per call. This assumes an LP64 Linux ABI
 * (x86-64, AArch64), where pointers, {@code long}, {@code size_t} and {@code ssize_t} are 64 bits;
 * {@link TunSupport#check()} refuses anything else.
 *
 * <p>Errors follow the C convention: a return of {@code -1} means failure and {@link #errno()} (JNA
 * keeps errno per thread after every call) says why. No method throws on a failed call, so that
 * {@code EAGAIN} on a non-blocking read costs nothing.
 *
 * <p>Constants are the generic Linux values, shared by x86-64 and AArch64.
 */
final class LibC {
    // open(2), fcntl(2)
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;      // 04000
    static final int O_CLOEXEC = 0x80000;     // 02000000
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;

    // errno values (asm-generic/errno-base.h)
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;

    // poll(2): struct pollfd { int fd; short events; short revents; } (8 bytes)
    static final short POLLIN = 0x001;
    static final short POLLERR = 0x008;
    static final short POLLHUP = 0x010;
    static final short POLLNVAL = 0x020;
    static final int POLLFD_SIZE = 8;
    static final int POLLFD_EVENTS_OFFSET = 4;
    static final int POLLFD_REVENTS_OFFSET = 6;
    /** struct timespec { time_t tv_sec; long tv_nsec; } on LP64. */
    static final int TIMESPEC_SIZE = 16;
    /** {@code struct iovec} on LP64: {@code void *iov_base; size_t iov_len}. */
    static final int IOVEC_SIZE = 16;

    // eventfd(2)
    static final int EFD_NONBLOCK = O_NONBLOCK;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    // setns(2)
    static final int CLONE_NEWNET = 0x40000000;

    private static final boolean LOADED;
    private static final Throwable LOAD_FAILURE;

    static {
        boolean loaded = false;
        Throwable failure = null;
        try {
            Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
            loaded = true;
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError: reported by TunSupport
            failure = t;
        }
        LOADED = loaded;
        LOAD_FAILURE = failure;
    }

    private LibC() {}

    /** Whether the native binding is usable. */
    static boolean loaded() {
        return LOADED;
    }

    /** Why the binding could not be loaded, or {@code null}. */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** Throws {@link TunUnavailableException} when the binding did not load. */
    static void requireLoaded() {
        if (!LOADED) {
            throw new TunUnavailableException("JNA could not bind libc (" + LOAD_FAILURE
                    + "): needs Linux on x86-64 or AArch64 with JNA's native library extractable to java.io.tmpdir");
        }
    }

    /** The calling thread's errno after the last native call it made. */
    static int errno() {
        return Native.getLastError();
    }

    /** A readable name for an errno, for messages and logs (not for the hot path). */
    static String describe(int errno) {
        String text;
        try {
            text = strerror(errno);
        } catch (Throwable t) {
            text = null;
        }
        return "errno " + errno + (text == null ? "" : " (" + text + ")");
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    /** @param buf address of at least {@code count} writable bytes */
    static native long read(int fd, long buf, long count);

    /** @param buf address of {@code count} readable bytes */
    static native long write(int fd, long buf, long count);

    /**
     * @param iov address of {@code iovcnt} {@code struct iovec} ({@link #IOVEC_SIZE} bytes each:
     *            base address, length)
     */
    static native long writev(int fd, long iov, int iovcnt);

    /** @param arg address of the request's argument structure, or the value itself for requests that take one */
    static native int ioctl(int fd, long request, long arg);

    /** The {@code fcntl(fd, cmd, int arg)} form ({@code F_GETFL}, {@code F_SETFL}). */
    static native int fcntl(int fd, int cmd, int arg);

    /**
     * @param fds      address of {@code nfds} {@code struct pollfd}
     * @param timeout  address of a {@code struct timespec}, or 0 to wait without limit
     * @param sigmask  address of a {@code sigset_t}, or 0 to keep the thread's mask
     */
    static native int ppoll(long fds, long nfds, long timeout, long sigmask);

    static native int eventfd(int initval, int flags);

    static native int setns(int fd, int nstype);

    static native String strerror(int errnum);
}
