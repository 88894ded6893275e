package io.usertcp.tcp.send;

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
 * the same way, where a burst stops.
 * <li>Acknowledged skbs are freed; one acknowledged in part is trimmed of its data (tcp_trim_head()).
 * <li>A writer that waits is woken only when the free space is at least half of what is queued
 * (sk_stream_write_space(), sk_stream_min_wspace()).
 * <li>Each skb carries the PSH mark that tcp_mark_push() sets: on the write queue's tail skb at the
 * end of each write (tcp_push(), unless MSG_MORE), and on each skb a write fills once it has
 * written more than half the largest window the peer offered since the last mark (forced_push()).
 * A write that appends to an unsent skb first clears its mark (tcp_sendmsg_locked()), so the mark
 * moves to the end of what it adds; an skb split where a burst stops keeps the mark on its unsent
 * part only (tso_fragment(): "PSH and FIN should only be set in the second packet").
 * </ul>
 *
 * <p>Offsets count the connection's data bytes from 0. The skbs are kept in a ring of two arrays
 * that grows by doubling and is reused: no allocation per write or ACK once it is large enough.
 * Pure state on the connection's thread.
 */
final class SkbQueue {
    /**
     * The truesize of an skb beyond its data: tcp_stream_alloc_skb()'s fclone head, a kmalloc'ed
     * MAX_TCP_HEADER (320) plus skb_shared_info (320) in a 1 KiB slab, and struct sk_buff (256),
     * SKB_TRUESIZE(1024 - 320) = 1280 on x86-64. Consistent with what this machine's kernel does
     * (blocking-write.pkt; a non-blocking write into a 42000-byte sk_sndbuf takes 60000 bytes).
     */
    static final int SKB_OVERHEAD = 1280;

    /** What may go out at once when a full skb is pushed: asked only then (it costs a look at cwnd and the flight). */
    interface PushBudget {
        long bytes();
    }

    /** The skbs from the oldest unacknowledged one, as [start, end) offsets, in a ring. */
    // A power of two (slot()): none until the first write, then FIRST_ROOM, doubled as needed.
    private static final int FIRST_ROOM = 4;
    private static final long[] NONE = {};
    private static final byte[] NO_MARKS = {};
    /** tcp_mark_push()'s TCPHDR_PSH on the skb. */
    private static final byte PSH = 1;
    /** MSG_EOR (TCP_SKB_CB(skb)->eor): no later write's data joins the skb (tcp_skb_can_collapse_to()). */
    private static final byte EOR = 2;
    private long[] starts = NONE;
    private long[] ends = NONE;
    /** The skbs' {@link #PSH} and {@link #EOR} marks, in the same ring. */
    private byte[] marks = NO_MARKS;
    /** The skbs' zero-copy page fragments (skb_shinfo(skb)->nr_frags of MSG_ZEROCOPY writes), in the same ring. */
    private byte[] frags = NO_MARKS;
    /** Linux MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS, 17): the most page fragments an skb holds. */
    static final int MAX_SKB_FRAGS = 17;
    private int head;
    private int count;
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
    /** Whether a write started a new skb since {@link #takeEntailed()} last asked (tcp_skb_entail()). */
    private boolean entailed;
    /** Linux pushed_seq, from 0: where the write queue was last marked PSH. */
    private long pushedUpTo;

    private int slot(int i) {
        return (head + i) & (starts.length - 1);
    }

    long queued() {
        settle();
        return queued;
    }

    /** Bytes written so far (write_seq, from 0): the end of the tail skb. */
    long written() {
        return written;
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
     * A write of {@code offered} bytes: how many it takes, as tcp_sendmsg_locked() does, and where
     * it marks PSH.
     *
     * @param sizeGoal   tcp_xmit_size_goal(): the most data an skb gets
     * @param pushBudget what cwnd and the peer's window let go out now, in whole segments: a full
     *                   first unsent skb is pushed (and split) up to that much, once per write
     * @param maxWindow  the largest window the peer offered (max_window), for forced_push()
     * @param more       MSG_MORE: the end of the write is not marked (tcp_push())
     * @param eor        MSG_EOR: the write's last skb takes no later data
     * @param pieces     for a MSG_ZEROCOPY write, whose bytes are pinned where the application has
     *                   them, its iovecs' lengths in order (null for a copied write): each becomes a
     *                   page fragment of its own in every skb it lands in, and an skb that holds
     *                   {@link #MAX_SKB_FRAGS} is marked PSH and closed (tcp_sendmsg_locked():
     *                   skb_zerocopy_iter_stream() failing with -EMSGSIZE, then tcp_mark_push())
     */
    int take(int offered, int sizeGoal, long sndbuf, long notSentLowat, PushBudget pushBudget, long maxWindow,
             boolean more, boolean eor, int[] pieces) {
        settle();
        int taken = 0;
        boolean pushed = false;
        int piece = 0;
        long pieceLeft = pieces == null ? Long.MAX_VALUE : 0;
        while (taken < offered) {
            while (pieceLeft == 0) {
                pieceLeft = piece < pieces.length ? pieces[piece++] : Long.MAX_VALUE;
            }
            int tail = count == 0 ? -1 : slot(count - 1);
            long room = tail >= 0 && starts[tail] >= sentUpTo && (marks[tail] & EOR) == 0
                    ? sizeGoal - (ends[tail] - starts[tail]) : 0;
            if (pieces != null && room > 0 && frags[tail] >= MAX_SKB_FRAGS) {
                mark(tail);
                room = 0;
            }
            if (room <= 0) {
                if (!memoryFree(sndbuf, notSentLowat)) {
                    break;
                }
                tail = append(written, written);
                queued += SKB_OVERHEAD;
                room = sizeGoal;
                entailed = true;
            }
            if (taken == 0) {
                marks[tail] &= ~PSH; // tcp_sendmsg_locked(): "if (!copied) tcp_flags &= ~TCPHDR_PSH"
            }
            int n = (int) Math.min(Math.min(room, offered - taken), pieceLeft);
            if (pieces != null) {
                frags[tail]++;
                pieceLeft -= n;
            }
            ends[tail] += n;
            written += n;
            queued += n;
            taken += n;
            if (taken == offered || ends[tail] - starts[tail] < sizeGoal) {
                continue; // the write's end is marked below; an skb not yet full takes more
            }
            if (written - pushedUpTo > maxWindow >> 1) { // forced_push()
                mark(tail);
            }
            if (!pushed && starts[tail] == sentUpTo) {
                pushed = true;
                long budget = pushBudget.bytes();
                if (budget > 0) {
                    sent(Math.min(written, sentUpTo + budget)); // tcp_push_one(), or __tcp_push_pending_frames() when forced
                    settle();
                }
            }
        }
        if (taken > 0 && (!more || written - pushedUpTo > maxWindow >> 1)) {
            mark(slot(count - 1)); // tcp_push() on the write queue's tail
        }
        if (taken == offered && taken > 0 && eor) {
            marks[slot(count - 1)] |= EOR; // tcp_sendmsg_locked(): "if (unlikely(flags & MSG_EOR)) TCP_SKB_CB(skb)->eor = 1"
        }
        return taken;
    }

    /**
     * TCP Fast Open, client: the first {@code length} bytes went in the SYN. Linux tcp_send_syn_data()
     * copies them into an skb of their own flagged ACK|PSH, which stays queued for retransmission;
     * the rest of the write keeps its skb and its mark.
     */
    void synData(long length) {
        for (int i = 0; i < count; i++) {
            int s = slot(i);
            if (starts[s] < length && length < ends[s]) {
                insertAfter(i, length, ends[s], marks[s]);
                ends[s] = length;
                marks[s] = PSH; // tcp_skb_fragment_eor(): EOR stays with the rest
                queued += SKB_OVERHEAD;
            } else if (starts[s] < length) {
                marks[s] |= PSH;
            }
        }
    }

    /** Whether a write started a new skb since the last call (Linux tcp_skb_entail()); clears it. */
    boolean takeEntailed() {
        boolean e = entailed;
        entailed = false;
        return e;
    }

    /** tcp_mark_push(): the skb in {@code slot} carries PSH, and pushed_seq moves to what was written. */
    private void mark(int slot) {
        marks[slot] |= PSH;
        pushedUpTo = written;
    }

    /**
     * The end of the skb that holds data offset {@code offset} (not yet acknowledged, not past what
     * was written): a GSO packet never goes beyond it (tcp_write_xmit() sends skb by skb).
     */
    long skbEnd(long offset) {
        int i = find(offset);
        return i < 0 ? written : ends[slot(i)];
    }

    /** Whether the skb that holds data offset {@code offset} carries the PSH mark. */
    boolean pushMarked(long offset) {
        int i = find(offset);
        return i >= 0 && (marks[slot(i)] & PSH) != 0;
    }

    /** The index of the skb holding {@code offset}, from the tail (new data is in the newest skbs); -1 if none. */
    private int find(long offset) {
        for (int i = count - 1; i >= 0; i--) {
            int s = slot(i);
            if (starts[s] <= offset) {
                return offset < ends[s] ? i : -1;
            }
        }
        return -1;
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
        // From the tail: what was sent ends at or near the newest skbs, and none before one that ends at or
        // below it can contain it.
        for (int i = count - 1; i >= 0; i--) {
            int s = slot(i);
            if (ends[s] <= sentUpTo) {
                return;
            }
            if (starts[s] < sentUpTo) {
                insertAfter(i, sentUpTo, ends[s], marks[s]);
                ends[slot(i)] = sentUpTo;
                marks[slot(i)] &= ~(PSH | EOR); // tso_fragment(): PSH and EOR stay with the part not sent
                queued += SKB_OVERHEAD;
                return;
            }
        }
    }

    /** Adds an skb at the tail; returns its slot. */
    private int append(long start, long end) {
        if (count == starts.length) {
            grow();
        }
        int s = slot(count);
        starts[s] = start;
        ends[s] = end;
        marks[s] = 0;
        frags[s] = 0;
        count++;
        return s;
    }

    /** Inserts an skb [start, end) after the {@code i}-th, moving the later ones back by one. */
    private void insertAfter(int i, long start, long end, byte mark) {
        append(0, 0);
        for (int k = count - 1; k > i + 1; k--) {
            starts[slot(k)] = starts[slot(k - 1)];
            ends[slot(k)] = ends[slot(k - 1)];
            marks[slot(k)] = marks[slot(k - 1)];
            frags[slot(k)] = frags[slot(k - 1)];
        }
        starts[slot(i + 1)] = start;
        ends[slot(i + 1)] = end;
        marks[slot(i + 1)] = mark;
        frags[slot(i + 1)] = frags[slot(i)]; // at most as many as the whole had (skb_split() shares them out)
    }

    private void grow() {
        long[] s = new long[Math.max(FIRST_ROOM, starts.length * 2)];
        long[] e = new long[s.length];
        byte[] p = new byte[s.length];
        byte[] f = new byte[s.length];
        for (int i = 0; i < count; i++) {
            s[i] = starts[slot(i)];
            e[i] = ends[slot(i)];
            p[i] = marks[slot(i)];
            f[i] = frags[slot(i)];
        }
        starts = s;
        ends = e;
        marks = p;
        frags = f;
        head = 0;
    }

    /** The peer acknowledged data up to {@code offset}: skbs wholly below are freed, the one it ends in trimmed. */
    void acknowledged(long offset) {
        settle();
        while (count > 0) {
            int s = slot(0);
            if (ends[s] <= offset) {
                queued -= ends[s] - starts[s] + SKB_OVERHEAD;
                head = (head + 1) & (starts.length - 1);
                count--;
            } else {
                if (starts[s] < offset) {
                    queued -= offset - starts[s];
                    starts[s] = offset;
                }
                return;
            }
        }
    }

    /** Everything is dropped (the connection is over). */
    void clear() {
        count = 0;
        head = 0;
        queued = 0;
        sentUpTo = written;
        reportedSent = written;
    }
}
