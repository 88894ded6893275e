package io.usertcp.packetdrill;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One socket's error queue in the {@link SocketLayer}, as Linux fills it for TCP with the two
 * notifications the corpus reads through {@code recvmsg(MSG_ERRQUEUE)}:
 * <ul>
 * <li><b>MSG_ZEROCOPY completions</b> (net/core/skbuff.c msg_zerocopy_realloc(),
 * __msg_zerocopy_callback(); Documentation/networking/msg_zerocopy.rst). Each zero-copy send on a
 * socket with SO_ZEROCOPY takes the next 32-bit id (sk_zckey; a send that fails takes none). Once
 * every byte of a send is acknowledged, a {@code sock_extended_err} with origin
 * SO_EE_ORIGIN_ZEROCOPY gives the range of ids in ee_info..ee_data; a completion that continues the
 * range of the last one queued and not yet read is merged into it. The code is
 * SO_EE_CODE_ZEROCOPY_COPIED: the stack lends no pages, every byte is copied.
 * <li><b>SO_TIMESTAMPING transmit timestamps</b> (Documentation/networking/timestamping.rst;
 * tcp_tx_timestamp(), skb_tstamp_tx(), tcp_ack_tstamp()). Each write marks its last byte; when that
 * byte is first handed to the device the socket gets SCM_TSTAMP_SCHED (TX_SCHED) and SCM_TSTAMP_SND
 * (TX_SOFTWARE), and when it is acknowledged SCM_TSTAMP_ACK (TX_ACK): each an SCM_TIMESTAMPING
 * control message with the time, then the extended error (ENOMSG, SO_EE_ORIGIN_TIMESTAMPING, the
 * kind in ee_info, the byte's offset from where OPT_ID was set in ee_data). The stack has no qdisc:
 * SCHED and SND carry the same time. Times are the script's (seconds from its start).
 * </ul>
 */
final class ErrorQueue {
    static final int SOL_SOCKET = 1;
    static final int SCM_TIMESTAMPING = 37;
    static final int SOL_IP = 0;
    static final int IP_RECVERR = 11;
    private static final int ENOMSG = 42;
    private static final byte SO_EE_ORIGIN_TIMESTAMPING = 4;
    private static final byte SO_EE_ORIGIN_ZEROCOPY = 5;
    private static final byte SO_EE_CODE_ZEROCOPY_COPIED = 1;
    static final int SCM_TSTAMP_SND = 0;
    static final int SCM_TSTAMP_SCHED = 1;
    static final int SCM_TSTAMP_ACK = 2;
    /** SOF_TIMESTAMPING_* bits (include/uapi/linux/net_tstamp.h). */
    static final int TX_SOFTWARE = 1 << 1;
    static final int OPT_ID = 1 << 7;
    static final int TX_SCHED = 1 << 8;
    static final int TX_ACK = 1 << 9;
    static final int OPT_TSONLY = 1 << 11;
    static final int TX_RECORDS = TX_SOFTWARE | TX_SCHED | TX_ACK;

    /** One notification: its control messages, and whether it carries the packet (then a 0-byte read is truncated). */
    record Entry(List<SocketApi.ControlMessage> control, boolean truncated, int[] zeroCopyRange) {
    }

    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private int queuedSinceLook;

    // ---- zero copy ----
    private int nextZeroCopyId;
    /** Sends not yet acknowledged: {the socket's byte count at the send's end, id}. */
    private final ArrayDeque<long[]> zeroCopySends = new ArrayDeque<>();

    // ---- timestamping ----
    /** Marked bytes: {offset of the byte, the SOF flags of its write, 1 once sent, key}. */
    private final List<long[]> stamps = new ArrayList<>();

    /** A zero-copy send of bytes up to {@code endOffset} (the socket's bytes written, counted from 0) succeeded. */
    void zeroCopySent(long endOffset) {
        zeroCopySends.addLast(new long[] {endOffset, nextZeroCopyId++});
    }

    /** A write's last byte, at {@code offset}, is to be timestamped as {@code flags} ask, reported as {@code key}. */
    void mark(long offset, int flags, long key) {
        if ((flags & TX_RECORDS) != 0) {
            stamps.add(new long[] {offset, flags, 0, key});
        }
    }

    /**
     * The socket's first {@code sentBytes} have been handed to the link and its first
     * {@code ackedBytes} acknowledged, as of {@code scriptNanos}: queues what became due.
     */
    void progress(long sentBytes, long ackedBytes, long scriptNanos) {
        for (Iterator<long[]> it = stamps.iterator(); it.hasNext();) {
            long[] s = it.next();
            int flags = (int) s[1];
            if (s[2] == 0 && sentBytes > s[0]) {
                s[2] = 1;
                if ((flags & TX_SCHED) != 0) {
                    timestamp(SCM_TSTAMP_SCHED, flags, s[3], scriptNanos);
                }
                if ((flags & TX_SOFTWARE) != 0) {
                    timestamp(SCM_TSTAMP_SND, flags, s[3], scriptNanos);
                }
            }
            if (ackedBytes > s[0]) {
                if ((flags & TX_ACK) != 0) {
                    timestamp(SCM_TSTAMP_ACK, flags, s[3], scriptNanos);
                }
                it.remove();
            }
        }
        while (!zeroCopySends.isEmpty() && zeroCopySends.peekFirst()[0] <= ackedBytes) {
            int id = (int) zeroCopySends.pollFirst()[1];
            Entry tail = queue.peekLast();
            if (tail != null && tail.zeroCopyRange() != null && tail.zeroCopyRange()[1] + 1 == id) {
                tail.zeroCopyRange()[1] = id;
            } else {
                queue.addLast(new Entry(List.of(), false, new int[] {id, id}));
            }
            queuedSinceLook++;
        }
    }

    private void timestamp(int kind, int flags, long key, long scriptNanos) {
        ByteBuffer ts = native16(48); // struct scm_timestamping: ts[0] software, ts[1] deprecated, ts[2] hardware
        ts.putLong(scriptNanos / 1_000_000_000L).putLong(scriptNanos % 1_000_000_000L);
        ByteBuffer err = native16(16);
        err.putInt(ENOMSG).put(SO_EE_ORIGIN_TIMESTAMPING).put((byte) 0).put((byte) 0).put((byte) 0);
        err.putInt(kind).putInt((flags & OPT_ID) != 0 ? (int) key : 0);
        queue.addLast(new Entry(List.of(new SocketApi.ControlMessage(SOL_SOCKET, SCM_TIMESTAMPING, ts.array()),
                new SocketApi.ControlMessage(SOL_IP, IP_RECVERR, err.array())), (flags & OPT_TSONLY) == 0, null));
        queuedSinceLook++;
    }

    private static ByteBuffer native16(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** How many notifications were queued since the last call (each one a wakeup, sk_error_report()). */
    int takeWakeups() {
        int n = queuedSinceLook;
        queuedSinceLook = 0;
        return n;
    }

    /** The oldest notification's control messages, taken off the queue; null when none. */
    Entry take() {
        Entry e = queue.pollFirst();
        if (e == null || e.zeroCopyRange() == null) {
            return e;
        }
        ByteBuffer err = native16(16);
        err.putInt(0).put(SO_EE_ORIGIN_ZEROCOPY).put((byte) 0).put(SO_EE_CODE_ZEROCOPY_COPIED).put((byte) 0);
        err.putInt(e.zeroCopyRange()[0]).putInt(e.zeroCopyRange()[1]);
        return new Entry(List.of(new SocketApi.ControlMessage(SOL_IP, IP_RECVERR, err.array())), false, null);
    }
}
