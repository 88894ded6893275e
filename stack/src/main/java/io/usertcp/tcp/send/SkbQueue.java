package io.usertcp.tcp.send;

import java.util.ArrayDeque;

/**
 * The send buffer as Linux accounts it, in skbs, for the linux profile: where a write's bytes go
 * and how much of SO_SNDBUF they use. The data itself stays in {@link SendBuffer}; this keeps only
 * the skb boundaries and their truesize.
 *
 * <ul>
 * <li>A write fills the tail skb up to the size goal while it is unsent, else starts a new skb,
 * but only while less than sk_sndbuf is queued and fewer than TCP_NOTSENT_LOWAT bytes are unsent
 * (tcp_sendmsg_locked(), sk_stream_memory_free(), tcp_stream_memory_free()): so a write may
 * overshoot the buffer by up to one skb, and it stops at an skb boundary.
 * <li>Each skb is charged its data plus {@link #SKB_OVERHEAD} (sk_wmem_queued, skb truesize).
 * <li>When an skb of the size goal is full and is the first unsent one, Linux pushes it at once
 * (tcp_push_one()): what cwnd and the window allow goes out, and an skb sent in part is split in
 * two (tso_fragment()), the unsent part becoming a new skb with its own overhead. Later sends split
 * the same way.
 * <li>Acknowledged skbs are freed; one acknowledged in part is trimmed of its data (tcp_trim_head()).
 * <li>A writer that waits is woken only when the free space is at least half of what is queued
 * (sk_stream_write_space(), sk_stream_min_wspace()).
 * </ul>
 *
 * <p>Offsets count the connection's data bytes from 0. Pure state on the connection's thread.
 */
final class SkbQueue {
    /**
     * The truesize of an skb beyond its data: tcp_stream_alloc_skb()'s fclone head, a kmalloc'ed
     * MAX_TCP_HEADER (320) plus skb_shared_info (320) in a 1 KiB slab, and struct sk_buff (256),
     * SKB_TRUESIZE(1024 - 320) = 1280 on x86-64. Consistent with what this machine's kernel does
     * (blocking-write.pkt; a non-blocking write into a 42000-byte sk_sndbuf takes 60000 bytes).
     */
    static final int SKB_OVERHEAD = 1280;

    /** The skbs from the oldest unacknowledged one: {start, end} offsets; unsent once start >= {@link #sentUpTo}. */
    private final ArrayDeque<long[]> skbs = new ArrayDeque<>();
    /** Linux sk_wmem_queued: data plus overhead of every skb held. */
    private long queued;
    /** Bytes written so far (Linux write_seq, from 0). */
    private long written;
    /** Bytes handed to the link so far (snd_nxt, from 0), as far as the skbs have been split for it. */
    private long sentUpTo;
    /**
     * Bytes handed to the link so far, as reported segment by segment. The skb it ends in is split
     * only when the burst is over ({@link #settle()}): Linux sends a burst as whole skbs and splits
     * one only where the burst stops (tso_fragment()), not at every segment.
     */
    private long reportedSent;

    long queued() {
        settle();
        return queued;
    }

    long unsent() {
        settle();
        return written - sentUpTo;
    }

    /** sk_stream_memory_free() with tcp_stream_memory_free(): a write may start a new skb. */
    boolean memoryFree(long sndbuf, long notSentLowat) {
        return queued() < sndbuf && unsent() < notSentLowat;
    }

    /** __sk_stream_is_writeable(sk, 1): a waiting writer is woken (free space at least half of what is queued). */
    boolean writable(long sndbuf, long notSentLowat) {
        long q = queued();
        return sndbuf - q >= q >> 1 && q < sndbuf && (unsent() << 1) < notSentLowat;
    }

    /**
     * A write of {@code offered} bytes: how many it takes, as tcp_sendmsg_locked() does.
     *
     * @param sizeGoal   tcp_xmit_size_goal(): the most data an skb gets
     * @param pushBudget what cwnd and the peer's window let go out now, in whole segments: a full
     *                   first unsent skb is pushed (and split) up to that much
     */
    int take(int offered, int sizeGoal, long sndbuf, long notSentLowat, long pushBudget) {
        settle();
        int taken = 0;
        long budget = pushBudget;
        while (taken < offered) {
            long[] tail = skbs.peekLast();
            long room = tail != null && tail[0] >= sentUpTo ? sizeGoal - (tail[1] - tail[0]) : 0;
            if (room <= 0) {
                if (!memoryFree(sndbuf, notSentLowat)) {
                    break;
                }
                tail = new long[] {written, written};
                skbs.addLast(tail);
                queued += SKB_OVERHEAD;
                room = sizeGoal;
            }
            int n = (int) Math.min(room, offered - taken);
            tail[1] += n;
            written += n;
            queued += n;
            taken += n;
            if (tail[1] - tail[0] >= sizeGoal && tail[0] == sentUpTo && budget > 0) {
                sent(Math.min(written, sentUpTo + budget)); // tcp_push_one()
                settle();
                budget = 0;
            }
        }
        return taken;
    }

    /** Data up to {@code offset} has been handed to the link. */
    void sent(long offset) {
        reportedSent = Math.max(reportedSent, Math.min(offset, written));
    }

    /** The burst is over: the skb the data sent ends in is split there (tso_fragment()). */
    private void settle() {
        if (reportedSent <= sentUpTo) {
            return;
        }
        sentUpTo = reportedSent;
        for (long[] skb : skbs) {
            if (skb[0] < sentUpTo && sentUpTo < skb[1]) {
                long[] rest = {sentUpTo, skb[1]};
                skb[1] = sentUpTo;
                insertAfter(skb, rest);
                queued += SKB_OVERHEAD;
                return;
            }
        }
    }

    private void insertAfter(long[] skb, long[] rest) {
        ArrayDeque<long[]> after = new ArrayDeque<>();
        while (skbs.peekLast() != skb) {
            after.addFirst(skbs.pollLast());
        }
        skbs.addLast(rest);
        skbs.addAll(after);
    }

    /** The peer acknowledged data up to {@code offset}: skbs wholly below are freed, the one it ends in trimmed. */
    void acknowledged(long offset) {
        settle();
        while (!skbs.isEmpty()) {
            long[] first = skbs.peekFirst();
            if (first[1] <= offset) {
                skbs.pollFirst();
                queued -= first[1] - first[0] + SKB_OVERHEAD;
            } else {
                if (first[0] < offset) {
                    queued -= offset - first[0];
                    first[0] = offset;
                }
                return;
            }
        }
    }

    /** Everything is dropped (the connection is over). */
    void clear() {
        skbs.clear();
        queued = 0;
        sentUpTo = written;
        reportedSent = written;
    }
}
