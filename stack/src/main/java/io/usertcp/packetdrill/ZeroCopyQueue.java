package io.usertcp.packetdrill;

import java.util.ArrayDeque;

/**
 * MSG_ZEROCOPY for one socket of the {@link SocketLayer}, as Linux keeps it (net/core/skbuff.c
 * msg_zerocopy_realloc() and __msg_zerocopy_callback(); Documentation/networking/msg_zerocopy.rst).
 *
 * <p>Each send with MSG_ZEROCOPY on a socket with SO_ZEROCOPY takes the next 32-bit id (sk_zckey;
 * a send that fails takes none). When every byte of a send is acknowledged, Linux frees the pages and
 * queues a completion on the socket's error queue: a {@code sock_extended_err} with origin
 * SO_EE_ORIGIN_ZEROCOPY and the range of ids in ee_info..ee_data. A completion that continues the
 * range of the one last queued and not yet read is merged into it. The code is
 * SO_EE_CODE_ZEROCOPY_COPIED: the stack has no pages to lend, so every byte was copied.
 */
final class ZeroCopyQueue {
    /** Linux's values for the control message (SOL_IP, IP_RECVERR) and the extended error. */
    static final int SOL_IP = 0;
    static final int IP_RECVERR = 11;
    static final byte SO_EE_ORIGIN_ZEROCOPY = 5;
    static final byte SO_EE_CODE_ZEROCOPY_COPIED = 1;

    private int nextId;
    /** Sends not yet acknowledged: {the socket's byte count at the send's end, id}. */
    private final ArrayDeque<long[]> pending = new ArrayDeque<>();
    /** Completions not yet read: {first id, last id}. */
    private final ArrayDeque<int[]> completions = new ArrayDeque<>();
    /** Completions queued since the socket was last looked at by epoll (a wakeup each, sk_error_report()). */
    private int queuedSinceLook;

    /** A zero-copy send of bytes up to {@code endOffset} (the socket's bytes written, counted from 0) succeeded. */
    void sent(long endOffset) {
        pending.addLast(new long[] {endOffset, nextId++});
    }

    /** The peer has acknowledged the socket's first {@code ackedBytes}: completes the sends within them. */
    void acknowledged(long ackedBytes) {
        while (!pending.isEmpty() && pending.peekFirst()[0] <= ackedBytes) {
            int id = (int) pending.pollFirst()[1];
            int[] tail = completions.peekLast();
            if (tail != null && tail[1] + 1 == id) {
                tail[1] = id;
            } else {
                completions.addLast(new int[] {id, id});
            }
            queuedSinceLook++;
        }
    }

    boolean hasCompletions() {
        return !completions.isEmpty();
    }

    /** How many completions were queued since the last call (each one a wakeup). */
    int takeWakeups() {
        int n = queuedSinceLook;
        queuedSinceLook = 0;
        return n;
    }

    /**
     * The oldest completion as a {@code struct sock_extended_err} in native byte order (ee_errno,
     * ee_origin, ee_type, ee_code, ee_pad, ee_info, ee_data), taken off the queue; null when none.
     */
    byte[] take() {
        int[] c = completions.pollFirst();
        if (c == null) {
            return null;
        }
        java.nio.ByteBuffer err = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.nativeOrder());
        err.putInt(0).put(SO_EE_ORIGIN_ZEROCOPY).put((byte) 0).put(SO_EE_CODE_ZEROCOPY_COPIED).put((byte) 0);
        err.putInt(c[0]).putInt(c[1]);
        return err.array();
    }
}
