package io.usertcp.tun;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.link.LinkOffloads;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link io.usertcp.link.Link} over a {@link TunDevice}: each {@link #receive()} is one non-blocking
 * {@code read(2)} of one datagram, each {@link #transmit} one {@code write(2)}, straight between the
 * kernel and Netty direct memory (JNA direct mapping, no copy, no allocation beyond the packet
 * buffer itself). {@link #awaitReadable(long)} waits in {@code ppoll(2)} on the TUN fd and an
 * {@code eventfd}, which {@link #wakeup()} writes so that another thread can cut the wait short.
 *
 * <p>Offloads: on a device opened with {@link TunDevice#IFF_VNET_HDR} the link asks for checksum
 * and TCPv4 segmentation offload ({@code TUNSETOFFLOAD} {@code TUN_F_CSUM | TUN_F_TSO4}, what
 * Linux's virtio-net, gVisor and wireguard-go ask for) and says so in {@link #offloads()}
 * ({@link LinkOffloads#TUN_VNET}). The kernel then hands us each datagram behind a virtio-net
 * header, with TCP super-segments of up to 64 KB and partial checksums, which {@link #receive()}
 * returns as they are, header and all, for the stack to check; and it cuts the super-segments we
 * write with {@link #transmit(ByteBuf, int)} and completes their checksums. Each write then goes
 * out with its header in one {@code writev(2)}, the header from the link's own memory. A frame of
 * at most {@value #COPY_BELOW} bytes is copied out of the 64 KB read buffer into one of its size,
 * so that an ACK does not hold 64 KB while the stack keeps it.
 *
 * <p>Threads (DESIGN.md §6): one loop thread calls {@link #receive()}, {@link #transmit},
 * {@link #awaitReadable(long)} and finally {@link #close()} (after it stopped waiting).
 * {@link #wakeup()} and {@link #stats()} may be called from any thread.
 *
 * <p>Ownership (DESIGN.md §5): {@link #receive()} returns a pooled direct buffer the caller owns;
 * {@link #transmit} takes the buffer and releases it on every path. The link owns its device from
 * construction on and closes it in {@link #close()}.
 *
 * <p>Errors never throw from the data path: {@code EAGAIN} is the normal "nothing now"; any other
 * errno, a datagram longer than {@link #mtu()} (read or written) and a failed poll are counted in
 * {@link #stats()} and logged once per kind at WARN.
 */
public final class TunLink implements WaitableLink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TunLink.class);
    /** The largest IPv4 datagram. */
    public static final int MAX_MTU = 65535;
    /** The smallest MTU IPv4 allows (RFC 791). */
    public static final int MIN_MTU = 68;

    // Layout of the loop thread's control memory: two pollfds, a timespec, the eventfd counter.
    private static final int POLL_TUN = 0;
    private static final int POLL_EVENT = LibC.POLLFD_SIZE;
    private static final int TIMESPEC = 2 * LibC.POLLFD_SIZE;
    private static final int COUNTER = TIMESPEC + LibC.TIMESPEC_SIZE;
    private static final int CONTROL_SIZE = COUNTER + 8;
    private static final int EVENTFD_VALUE_SIZE = 8;
    private static final short TUN_READY = LibC.POLLIN | LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Frames up to this long are copied out of the 64 KB read buffer (offload mode). */
    static final int COPY_BELOW = 8192;
    /** The offloads asked of a vnet-header device. */
    private static final int OFFLOAD_FLAGS = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO_ECN;

    // Layout of the transmit control memory (offload mode): the virtio header, then two iovecs.
    private static final int TX_IOVECS = 16;
    private static final int TX_CONTROL_SIZE = TX_IOVECS + 2 * LibC.IOVEC_SIZE;

    private final TunDevice device;
    private final int tunFd;
    private final int eventFd;
    private final int mtu;
    private final ByteBufAllocator allocator;
    /** Whether the device was opened with IFF_VNET_HDR: frames carry a virtio-net header, offloads are on. */
    private final boolean vnet;
    /** The largest read: a datagram of the MTU, or a 64 KB super-segment behind its header; plus one byte to see truncation. */
    private final int readLimit;
    /** The virtio header and iovecs of the next offloaded write (loop thread only); null in plain mode. */
    private final ByteBuffer txControl;
    private final long txControlAddress;
    private final ByteBuf txHeader;

    private final ByteBuffer control;
    private final long controlAddress;
    /** Holds the value 1, only ever read: shared by every thread that calls {@link #wakeup()}. */
    private final ByteBuffer wakeValue;
    private final long wakeValueAddress;
    private ByteBuffer scratch;
    private long scratchAddress;
    private ByteBuf spare;

    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final AtomicBoolean wakeupFailureLogged = new AtomicBoolean();
    private final ReentrantReadWriteLock eventFdLock = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private final BitSet loggedErrnos = new BitSet();
    private boolean truncationLogged;
    private boolean oversizeLogged;

    // Written by the loop thread only; volatile so that stats() may be read from any thread.
    private volatile long rxPackets;
    private volatile long rxBytes;
    private volatile long rxTruncated;
    private volatile long readErrors;
    private volatile long txPackets;
    private volatile long txBytes;
    private volatile long txOversize;
    private volatile long txDropped;
    private volatile long writeErrors;
    private volatile long pollErrors;
    private volatile long wakeups;
    private volatile long rxSuperSegments;
    private volatile long txSuperSegments;

    /** A link with {@link PooledByteBufAllocator#DEFAULT} buffers. */
    public TunLink(TunDevice device, int mtu) {
        this(device, mtu, PooledByteBufAllocator.DEFAULT);
    }

    /**
     * @param device    ownership moves to the link on success (on an exception the caller keeps it)
     * @param mtu       the interface's MTU: the largest datagram read or written ({@value #MIN_MTU}..{@value #MAX_MTU})
     * @param allocator where received datagrams go; direct buffers with a memory address are read
     *                  into in place, others through a scratch buffer
     */
    public TunLink(TunDevice device, int mtu, ByteBufAllocator allocator) {
        if (device == null || allocator == null) {
            throw new IllegalArgumentException("device and allocator: null (expected: non-null)");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: " + MIN_MTU + ".." + MAX_MTU + ")");
        }
        if ((device.flags() & TunDevice.IFF_NO_PI) == 0) {
            throw new IllegalArgumentException("device flags: 0x" + Integer.toHexString(device.flags())
                    + " (expected: IFF_NO_PI; the packet information header is not parsed)");
        }
        this.device = device;
        this.tunFd = device.fd();
        this.mtu = mtu;
        this.allocator = allocator;
        this.vnet = (device.flags() & TunDevice.IFF_VNET_HDR) != 0;
        this.readLimit = vnet ? VirtioNetHeader.LENGTH + MAX_MTU : mtu;
        if (vnet) {
            device.setOffload(OFFLOAD_FLAGS);
            this.txControl = ByteBuffer.allocateDirect(TX_CONTROL_SIZE).order(ByteOrder.nativeOrder());
            this.txControlAddress = addressOf(txControl);
            this.txHeader = Unpooled.wrappedBuffer(txControl.duplicate().clear().limit(VirtioNetHeader.LENGTH)).clear();
            txControl.putLong(TX_IOVECS, txControlAddress).putLong(TX_IOVECS + 8, VirtioNetHeader.LENGTH);
        } else {
            this.txControl = null;
            this.txControlAddress = 0;
            this.txHeader = null;
        }
        this.control = ByteBuffer.allocateDirect(CONTROL_SIZE).order(ByteOrder.nativeOrder());
        this.controlAddress = addressOf(control);
        this.wakeValue = ByteBuffer.allocateDirect(EVENTFD_VALUE_SIZE).order(ByteOrder.nativeOrder()).putLong(0, 1L);
        this.wakeValueAddress = addressOf(wakeValue);
        this.eventFd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (eventFd < 0) {
            throw new IllegalStateException("eventfd: " + LibC.describe(LibC.errno()));
        }
    }

    private static long addressOf(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    // ---------------------------------------------------------------- data path

    /**
     * Reads one datagram if one is waiting.
     *
     * @return a buffer holding exactly the datagram (in offload mode the frame: virtio-net header
     *         and datagram), which the caller owns and must release; or {@code null} when none is
     *         waiting ({@code EAGAIN}) or the read failed (counted)
     */
    @Override
    public ByteBuf receive() {
        ensureOpen();
        ByteBuf buf;
        try {
            buf = spare != null ? spare : allocator.directBuffer(readLimit + 1, readLimit + 1);
        } catch (OutOfMemoryError e) {
            discardOne();
            throw e; // the runner counts the packet as dropped for want of memory (UsertcpNoMemDrops)
        }
        spare = null;
        long n = readInto(buf);
        if (n > 0 && n <= readLimit) {
            buf.writerIndex((int) n);
            rxPackets++;
            rxBytes += n;
            if (!vnet) {
                return buf;
            }
            if (n > VirtioNetHeader.LENGTH && VirtioNetHeader.isGso(buf, 0)) {
                rxSuperSegments++;
            }
            return n <= COPY_BELOW ? copyOut(buf) : buf;
        }
        spare = buf.clear(); // kept for the next read: EAGAIN costs no allocation
        if (n < 0) {
            onReadError((int) -n);
        } else if (n > readLimit) {
            onTruncated(n);
        }
        return null;
    }

    /**
     * A small frame leaves the 64 KB read buffer for one of its size; the big one stays as the spare.
     *
     * @param buf owned by the link: it becomes the spare, or (without memory for the copy) is returned
     * @return a buffer the caller owns
     */
    private ByteBuf copyOut(ByteBuf buf) {
        ByteBuf small;
        try {
            small = allocator.directBuffer(buf.readableBytes(), buf.readableBytes());
        } catch (OutOfMemoryError e) {
            return buf; // keep the frame where it is rather than lose it
        }
        small.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
        spare = buf.clear();
        return small;
    }

    /**
     * Direct memory ran out: reads the waiting datagram into the scratch buffer and drops it, so the
     * next turn does not find the same datagram and fail again. Without a scratch buffer (it could
     * not be allocated either) the datagram stays queued in the kernel.
     */
    private void discardOne() {
        try {
            scratch();
        } catch (OutOfMemoryError e) {
            return;
        }
        LibC.read(tunFd, scratchAddress, readLimit + 1L);
    }

    /**
     * One read into {@code buf}, with room for one byte more than the MTU (or a header and a 64 KB
     * super-segment): a datagram too long for the link then reads as longer than that, whether the
     * kernel reports the bytes it copied (Linux today: the read is cut) or the datagram's full
     * length (older tun_put_user).
     *
     * @return the length read, or -errno
     */
    private long readInto(ByteBuf buf) {
        if (buf.hasMemoryAddress()) {
            long n = LibC.read(tunFd, buf.memoryAddress() + buf.writerIndex(), readLimit + 1L);
            return n < 0 ? -LibC.errno() : n;
        }
        ByteBuffer through = scratch();
        long n = LibC.read(tunFd, scratchAddress, readLimit + 1L);
        if (n < 0) {
            return -LibC.errno();
        }
        if (n > 0 && n <= readLimit) {
            through.clear().limit((int) n);
            buf.writeBytes(through);
        }
        return n;
    }

    /**
     * Writes one datagram to the kernel.
     *
     * @param packet ownership moves in: released on every path, written, dropped or failed
     * @throws IllegalStateException after {@link #close()} (the packet is released all the same)
     */
    @Override
    public void transmit(ByteBuf packet) {
        if (vnet) {
            transmitFrame(packet, 0, 0);
            return;
        }
        try {
            ensureOpen();
            int length = packet.readableBytes();
            if (length > mtu) {
                onOversize(length);
                return;
            }
            long n;
            if (packet.hasMemoryAddress()) {
                n = LibC.write(tunFd, packet.memoryAddress() + packet.readerIndex(), length);
            } else {
                ByteBuffer through = scratch();
                through.clear().limit(length);
                packet.getBytes(packet.readerIndex(), through);
                n = LibC.write(tunFd, scratchAddress, length);
            }
            if (n == length) {
                txPackets++;
                txBytes += length;
            } else {
                onWriteFailure(n < 0 ? LibC.errno() : 0, n, length);
            }
        } finally {
            packet.release();
        }
    }

    /**
     * Writes one TCP segment whose checksum the kernel completes, and cuts into segments of
     * {@code segmentSize} payload bytes when it carries more than one (TSO): the virtio-net header
     * says {@code NEEDS_CSUM} at the TCP checksum field and, for a super-segment, {@code TCPV4}
     * with the ECN bit when it carries CWR (Linux rejects a GSO packet whose payload fits one
     * segment, so such a packet goes as a plain one).
     *
     * @param packet an IPv4 TCP segment with its pseudo-header sum in the checksum field; ownership
     *               moves in: released on every path
     * @throws UnsupportedOperationException on a device without the virtio header (released all the same)
     */
    @Override
    public void transmit(ByteBuf packet, int segmentSize) {
        if (!vnet) {
            packet.release();
            throw new UnsupportedOperationException("TunLink on " + device.name() + ": opened without IFF_VNET_HDR, no offloads");
        }
        transmitFrame(packet, VirtioNetHeader.FLAG_NEEDS_CSUM, segmentSize);
    }

    /** The link's offloads: {@link LinkOffloads#TUN_VNET} on a vnet-header device, else none. */
    @Override
    public LinkOffloads offloads() {
        return vnet ? LinkOffloads.TUN_VNET : LinkOffloads.NONE;
    }

    /**
     * One {@code writev(2)} of the virtio-net header (from {@link #txControl}) and the datagram.
     *
     * @param packet ownership moves in: released on every path
     */
    private void transmitFrame(ByteBuf packet, int flags, int segmentSize) {
        try {
            ensureOpen();
            int at = packet.readerIndex();
            int length = packet.readableBytes();
            int ipHeader = (packet.getByte(at) & 0x0F) * 4;
            int headers = flags == 0 ? 0 : ipHeader + ((packet.getByte(at + ipHeader + 12) >> 4) & 0x0F) * 4;
            boolean gso = segmentSize > 0 && length - headers > segmentSize;
            if (length > (gso ? MAX_MTU : mtu)) {
                onOversize(length);
                return;
            }
            int gsoType = VirtioNetHeader.GSO_NONE;
            if (gso) {
                gsoType = VirtioNetHeader.GSO_TCPV4
                        | ((packet.getByte(at + ipHeader + 13) & TcpFlags.CWR) != 0 ? VirtioNetHeader.GSO_ECN : 0);
            }
            VirtioNetHeader.write(txHeader, 0, flags, gsoType, gso ? headers : 0, gso ? segmentSize : 0,
                    flags == 0 ? 0 : ipHeader, flags == 0 ? 0 : VirtioNetHeader.TCP_CHECKSUM_OFFSET);
            long n;
            if (packet.hasMemoryAddress()) {
                txControl.putLong(TX_IOVECS + LibC.IOVEC_SIZE, packet.memoryAddress() + at)
                        .putLong(TX_IOVECS + LibC.IOVEC_SIZE + 8, length);
                n = LibC.writev(tunFd, txControlAddress + TX_IOVECS, 2);
            } else {
                ByteBuffer through = scratch();
                through.clear();
                txHeader.getBytes(0, through.limit(VirtioNetHeader.LENGTH));
                through.limit(VirtioNetHeader.LENGTH + length);
                packet.getBytes(at, through);
                n = LibC.write(tunFd, scratchAddress, VirtioNetHeader.LENGTH + length);
            }
            if (n == VirtioNetHeader.LENGTH + length) {
                txPackets++;
                txBytes += length;
                if (gso) {
                    txSuperSegments++;
                }
            } else {
                onWriteFailure(n < 0 ? LibC.errno() : 0, n, VirtioNetHeader.LENGTH + length);
            }
        } finally {
            packet.release();
        }
    }

    @Override
    public int mtu() {
        return mtu;
    }

    // ---------------------------------------------------------------- waiting

    /**
     * Waits until the TUN fd is readable, {@link #wakeup()} is called, or the time is up, in
     * {@code ppoll(2)}. A {@link #wakeup()} that came before the call makes it return at once.
     *
     * @param timeoutNanos the longest wait; 0 checks without waiting; negative waits without limit
     * @return whether the TUN fd is readable (or in error: {@link #receive()} then counts it)
     */
    public boolean awaitReadable(long timeoutNanos) {
        ensureOpen();
        control.putInt(POLL_TUN, tunFd).putShort(POLL_TUN + LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN)
                .putShort(POLL_TUN + LibC.POLLFD_REVENTS_OFFSET, (short) 0);
        control.putInt(POLL_EVENT, eventFd).putShort(POLL_EVENT + LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN)
                .putShort(POLL_EVENT + LibC.POLLFD_REVENTS_OFFSET, (short) 0);
        long timeoutAddress = 0;
        if (timeoutNanos >= 0) {
            control.putLong(TIMESPEC, timeoutNanos / NANOS_PER_SECOND).putLong(TIMESPEC + 8, timeoutNanos % NANOS_PER_SECOND);
            timeoutAddress = controlAddress + TIMESPEC;
        }
        int ready = LibC.ppoll(controlAddress, 2, timeoutAddress, 0);
        if (ready < 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                pollErrors++;
                logOnce(errno, "ppoll on " + device.name());
            }
            return false;
        }
        if (ready == 0) {
            return false;
        }
        if ((control.getShort(POLL_EVENT + LibC.POLLFD_REVENTS_OFFSET) & LibC.POLLIN) != 0) {
            drainWakeups();
        }
        return (control.getShort(POLL_TUN + LibC.POLLFD_REVENTS_OFFSET) & TUN_READY) != 0;
    }

    /**
     * Makes the current or next {@link #awaitReadable(long)} return. Thread-safe and cheap when
     * repeated: wakeups that come before the loop consumed the first cost no system call.
     */
    public void wakeup() {
        if (!wakeupPending.compareAndSet(false, true)) {
            return;
        }
        Lock lock = eventFdLock.readLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (LibC.write(eventFd, wakeValueAddress, EVENTFD_VALUE_SIZE) != EVENTFD_VALUE_SIZE) {
                int errno = LibC.errno();
                wakeupPending.set(false);
                if (wakeupFailureLogged.compareAndSet(false, true)) {
                    LOG.warn("writing the wakeup eventfd of {} failed: {}", device.name(), LibC.describe(errno));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Consumes the eventfd, then lets the next wakeup() write again (in that order: none is lost). */
    private void drainWakeups() {
        LibC.read(eventFd, controlAddress + COUNTER, EVENTFD_VALUE_SIZE);
        wakeupPending.set(false);
        wakeups++;
    }

    // ---------------------------------------------------------------- errors and counters

    private void onReadError(int errno) {
        if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
            return;
        }
        readErrors++;
        logOnce(errno, "read from " + device.name());
    }

    private void onTruncated(long length) {
        rxTruncated++;
        if (!truncationLogged) {
            truncationLogged = true;
            LOG.warn("{}: dropped a {}-byte datagram longer than the link MTU {} (is the interface MTU larger?)",
                    device.name(), length, mtu);
        }
    }

    private void onOversize(int length) {
        txOversize++;
        if (!oversizeLogged) {
            oversizeLogged = true;
            LOG.warn("{}: dropped an outgoing {}-byte datagram longer than the link MTU {}", device.name(), length, mtu);
        }
    }

    private void onWriteFailure(int errno, long written, int length) {
        if (errno == LibC.EAGAIN) {
            txDropped++;
            return;
        }
        writeErrors++;
        if (written >= 0) {
            LOG.warn("{}: short write, {} of {} bytes", device.name(), written, length);
        } else {
            logOnce(errno, "write " + length + " bytes to " + device.name());
        }
    }

    private void logOnce(int errno, String what) {
        if (errno < 0 || loggedErrnos.get(errno)) {
            return;
        }
        loggedErrnos.set(errno);
        LOG.warn("{} failed: {} (counted; logged once per errno)", what, LibC.describe(errno));
    }

    /** The counters; readable from any thread. */
    public TunLinkStats stats() {
        return new TunLinkStats(rxPackets, rxBytes, rxTruncated, readErrors, txPackets, txBytes, txOversize,
                txDropped, writeErrors, pollErrors, wakeups, rxSuperSegments, txSuperSegments);
    }

    /** The device this link reads and writes (owned by the link). */
    public TunDevice device() {
        return device;
    }

    // ---------------------------------------------------------------- lifecycle

    private ByteBuffer scratch() {
        if (scratch == null) {
            scratch = ByteBuffer.allocateDirect(VirtioNetHeader.LENGTH + MAX_MTU + 1);
            scratchAddress = addressOf(scratch);
        }
        return scratch;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("TunLink on " + device.name() + " is closed");
        }
    }

    /**
     * Closes the eventfd and the device and releases the spare buffer. Call it on the loop thread
     * once it no longer waits (closing an fd does not wake a {@code ppoll} that waits on it).
     * Idempotent.
     */
    @Override
    public void close() {
        Lock lock = eventFdLock.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            LibC.close(eventFd);
        } finally {
            lock.unlock();
        }
        device.close();
        if (spare != null) {
            spare.release();
            spare = null;
        }
    }

    @Override
    public String toString() {
        return "TunLink[" + device.name() + " in " + device.namespace() + ", mtu " + mtu + (vnet ? ", offloads" : "")
                + (closed ? ", closed" : "") + "]";
    }
}
