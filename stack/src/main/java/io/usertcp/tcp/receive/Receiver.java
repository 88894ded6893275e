package io.usertcp.tcp.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.MemoryBudget;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.List;

/**
 * The receiving half of one connection (DESIGN.md §4, as gVisor's netstack splits it): the
 * receive sequence space of RFC 9293 §3.3.1 (IRS, RCV.NXT, RCV.WND as the right edge we
 * advertised), the receive buffer, reassembly of out-of-order data, TS.Recent with PAWS (RFC 7323)
 * and the ACK policy (when to ACK at once, when to delay).
 *
 * <p>Its state is its own: segment arrival hands it the segment and gets back a {@link Text}
 * value, the transmitter asks it for the ACK, window and SACK fields and tells it what it sent.
 * Arming the delayed-ACK timer is the connection's part, so this class imports neither the
 * connection, nor segment arrival, nor the transmitter (an architecture test keeps it so).
 *
 * <p>Not an API for applications: public only because the connection lives in another package.
 * Stack-thread only. Buffers: what outlives a call is a retained slice of the inbound packet.
 */
public final class Receiver {
    /** RFC 7323 §5.5: TS.Recent older than 24 days is invalid. */
    private static final long PAWS_IDLE_NANOS = 24L * 24 * 3600 * 1_000_000_000L;
    /** Out-of-order ranges held at most; each pins an inbound packet buffer. */
    public static final int MAX_REASSEMBLY_RANGES = 256;
    /** Linux TCP_MAX_QUICKACKS. */
    public static final int MAX_QUICK_ACKS = 16;
    /** RFC 9293 §3.7.1 (MUST-15): the MSS assumed when the peer sends no MSS option. */
    private static final int DEFAULT_MSS = 536;

    /**
     * The part of a segment inside the receive window after RFC 9293 §3.10.7.4's trimming, as a
     * value packed into a {@code long} so that no object is allocated per segment (DESIGN.md §11):
     * how many text bytes were cut from the front (already received), how many remain, whether the
     * FIN is still in it, and whether something was cut off at the right edge (which deserves an ACK
     * with the current window, RFC 9293 §3.8.6.1). Its sequence number and offset follow from the
     * segment it was trimmed from, which travels beside it.
     */
    public static final class Text {
        private static final long FIN = 1L << 32;
        private static final long BEYOND = 1L << 33;

        private Text() {}

        static long of(int cut, int length, boolean fin, boolean beyondWindow) {
            return ((long) cut << 16) | length | (fin ? FIN : 0) | (beyondWindow ? BEYOND : 0);
        }

        /** Text bytes that remain. */
        public static int length(long text) {
            return (int) (text & 0xffff);
        }

        /** Whether the segment's FIN is still in the text (in the window, not a duplicate). */
        public static boolean fin(long text) {
            return (text & FIN) != 0;
        }

        /** Whether the segment reached beyond the window. */
        public static boolean beyondWindow(long text) {
            return (text & BEYOND) != 0;
        }

        private static int cut(long text) {
            return (int) ((text >>> 16) & 0xffff);
        }

        /** The sequence number of the first text byte that remains. */
        public static int seq(long text, TcpSegmentView seg) {
            return seg.seq() + ((seg.flags() & TcpFlags.SYN) != 0 ? 1 : 0) + cut(text);
        }

        /** Where in the packet that byte is. */
        public static int offset(long text, TcpSegmentView seg) {
            return seg.payloadOffset() + cut(text);
        }
    }

    // ---- the receive sequence space (RFC 9293 §3.3.1) ----
    private int irs;
    /** Next sequence number expected. */
    private int rcvNxt;
    /** Right edge of the window we last advertised: RCV.NXT + RCV.WND as the peer knows it. */
    private int rcvAdv;
    /** The MSS we announce: our MTU minus 40. */
    private int rcvMss = DEFAULT_MSS;
    /** Shift applied to windows we send (Rcv.Wind.Shift). */
    private int rcvWndShift;
    /** The shift we offer in our SYN (RFC 7323 §2.2); used only if the peer offers one too. */
    private int offeredWndShift;
    /** Both SYNs carried the window-scale option, so both shifts apply (RFC 7323 §2.2). */
    private boolean windowScaling;
    private boolean sackPermitted;
    /** A duplicate to report in the next ACK's first SACK block (RFC 2883): [dsackLeft, dsackRight). */
    private boolean dsackPending;
    private int dsackLeft;
    private int dsackRight;
    private boolean timestamps;
    /** RFC 7323 §4.3 TS.Recent: the peer's TSval to echo. */
    private int tsRecent;
    /** When TS.Recent was last updated, for the 24-day staleness rule of RFC 7323 §5.5. */
    private long tsRecentNanos;
    /** TS.Recent came from a TIME-WAIT entry this connection took over (tcp_tw_reuse). */
    private boolean inheritedTsRecent;
    /**
     * RFC 7323 §4.3 Last.ACK.sent: the ACK field of the last segment we sent (Linux rcv_wup). Only a
     * segment starting at or before it updates TS.Recent, so a delayed ACK echoes the earliest
     * unacknowledged segment's TSval.
     */
    private int lastAckSent;
    /** The peer's FIN has been received and delivered in order. */
    private boolean finReceived;

    private final ReceiveBuffer buffer;
    /**
     * The receive buffer as the application sees it (SO_RCVBUF; Linux sk_rcvbuf); the profile says
     * how much of it {@link #buffer} may hold ({@link TcpProfile#receiveWindowSpace}).
     */
    private int bufferBytes;
    /** Grows the buffer with what the application reads (Linux tcp_rcv_space_adjust()); null when off or SO_RCVBUF was set. */
    private ReceiveAutotuning autotuning;
    /** Bytes the application has read so far (Linux copied_seq, counted from 0). */
    private long bytesRead;
    /**
     * Linux rcv_ssthresh: the most window offered for now, when the profile grows it gradually
     * ({@link TcpProfile#growsWindowGradually()}); from the SYN's window up to the buffer's space.
     */
    private long windowThreshold = Long.MAX_VALUE;
    /** Linux rcv_wnd: the window last selected, which the unscaled MSS rounding keeps when it can. */
    private long lastWindowSelected;
    /** Linux tcp_rmem[2]. */
    private final int maxBufferBytes;
    /** Linux tp->scaling_ratio: how much of the buffer is window, in 1/256ths ({@link TcpProfile#receiveWindowSpace}). */
    private int scalingRatio = TcpProfile.DEFAULT_SCALING_RATIO;
    /** Out-of-order data waiting for the hole before it. */
    private final ReassemblyQueue reassembly;
    private final TcpProfile profile;
    private final long delayedAckNanos;
    private final MemoryBudget budget;

    // ---- the ACK policy ----
    /** In-order bytes received and not yet acknowledged (ACK once more than a full segment waits). */
    private int bytesUnacked;
    /** The largest segment received so far, capped at our MSS: what "full-sized" means (Linux icsk_ack.rcv_mss). */
    private int largestSegmentReceived = DEFAULT_MSS;
    /** Segments still to be ACKed at once at the start of the connection (Linux quick ACK mode). */
    private int quickAcksLeft;
    /**
     * Interactive ("ping-pong") mode, as Linux: we sent data soon after data arrived, so our ACKs
     * can ride on the replies and quick ACKs are suspended; a delayed ACK that had to go alone ends it.
     */
    private boolean pingPong;
    /** When in-order data last arrived, or the handshake completed (Linux icsk_ack.lrcvtime). */
    private long lastDataReceivedNanos;

    // ---- ECN echo (RFC 3168 §6.1.3), Linux tp->ecn_flags ----
    /** A CE mark arrived: every ACK carries ECE until a segment with CWR (Linux TCP_ECN_DEMAND_CWR). */
    private boolean ecnDemandCwr;
    /** An ECT or CE data segment has arrived (Linux TCP_ECN_SEEN). */
    private boolean ecnSeen;

    /**
     * @param allocator where compact copies of small segments come from (see {@link #chargedBytes()})
     * @param budget    the stack-wide budget the received data is charged against
     */
    /** Linux icsk_ack.ato != 0: data arrived or quick ACK mode was entered, so ACK timing (and interactivity) applies. */
    private boolean ackTimingStarted;

    public Receiver(TcpConfig config, ByteBufAllocator allocator, MemoryBudget budget) {
        this.budget = budget;
        this.profile = config.profile();
        this.bufferBytes = config.receiveBufferBytes();
        this.buffer = new ReceiveBuffer(profile.receiveWindowSpace(bufferBytes, scalingRatio), allocator, budget);
        this.reassembly = new ReassemblyQueue(MAX_REASSEMBLY_RANGES, allocator, budget);
        this.maxBufferBytes = Math.max(config.receiveBufferMaxBytes(), bufferBytes);
        this.autotuning = config.bufferAutotuning()
                ? new ReceiveAutotuning(profile, Math.max(config.receiveBufferMaxBytes(), bufferBytes)) : null;
        this.delayedAckNanos = config.delayedAckNanos();
    }

    // =====================================================================================
    // Set-up: the peer's SYN and what the exchange negotiated
    // =====================================================================================

    /** TCP_MAXSEG: the MSS we announce is at most {@code mss} (set before the SYN exchange). */
    public void clampMss(int mss) {
        rcvMss = Math.min(rcvMss, mss);
    }

    /** Our MSS and the window shift we offer, before the SYN exchange. */
    public void start(int mss, int offeredWindowShift) {
        this.rcvMss = mss;
        this.offeredWndShift = offeredWindowShift;
    }

    /** The window shift our SYN offers, changed before it is sent (SO_RCVBUF set before an active open's SYN). */
    public void offerWindowShift(int shift) {
        this.offeredWndShift = shift;
    }

    /**
     * The peer's SYN at {@code seq}: IRS and RCV.NXT. A window already advertised (our SYN, sent
     * before RCV.NXT was known) keeps its size from the real RCV.NXT (RFC 9293 §3.8.6.2.2).
     */
    public void synReceived(int seq) {
        int advertised = SeqNum.diff(rcvAdv, rcvNxt);
        irs = seq;
        rcvNxt = seq + 1;
        rcvAdv = rcvNxt + Math.max(0, advertised);
    }

    /**
     * What the SYN exchange negotiated for the receive side: our window shift if both offered
     * scaling (RFC 7323 §2.2), SACK (RFC 2018 §2), timestamps with the peer's first TSval as
     * TS.Recent (RFC 7323 §3.2). Our SYN or SYN,ACK acknowledges the peer's SYN (Last.ACK.sent).
     */
    public void negotiated(boolean windowScaling, boolean sack, boolean timestamps, int tsVal, long nowNanos) {
        this.windowScaling = windowScaling;
        this.rcvWndShift = windowScaling ? offeredWndShift : 0;
        this.sackPermitted = sack;
        this.timestamps = timestamps;
        if (timestamps) {
            tsRecent = tsVal;
            tsRecentNanos = nowNanos;
        }
        lastAckSent = rcvNxt;
    }

    /**
     * A SYN-cookie handshake: the final ACK at {@code seq} completes a SYN at {@code seq - 1} that
     * we answered without state; the cookie SYN,ACK advertised {@code advertisedWindow}.
     */
    public void restoredFromCookie(int seq, int advertisedWindow) {
        irs = seq - 1;
        rcvNxt = seq;
        lastAckSent = rcvNxt;
        rcvAdv = rcvNxt + advertisedWindow;
    }

    /** The MSS is known: the profile may round the buffer to it (FreeBSD tcp_mss()). */
    public void mssKnown(int mss) {
        int rounded = profile.receiveBufferForMss(bufferBytes, mss);
        if (rounded != bufferBytes) {
            resize(rounded);
        }
    }

    private void resize(int bytes) {
        bufferBytes = bytes;
        buffer.setCapacity(profile.receiveWindowSpace(bytes, scalingRatio));
    }

    // =====================================================================================
    // Windows (RFC 9293 §3.8.6.2.2, RFC 7323 §2.3)
    // =====================================================================================

    /** RCV.WND as the peer sees it: from RCV.NXT to the advertised right edge (never negative). */
    public long window() {
        long w = rcvAdv - rcvNxt;
        return w < 0 ? 0 : w;
    }

    /**
     * Room for more data: the buffer's space less what reassembly already holds in the window, and
     * no more than the memory left can hold (Linux tcp_space(): sk_rcvbuf less sk_rmem_alloc, the true
     * size of everything queued, in data bytes at the buffer's ratio). Data in well-filled buffers
     * costs what the window assumed, so only segments that waste memory (tiny ones, half-empty packet
     * buffers) make the memory the tighter bound.
     */
    public int space() {
        int space = Math.max(0, buffer.space() - reassembly.heldBytes());
        long memoryLeft = Math.max(0, profile.receiveMemoryLimit(bufferBytes) - chargedBytes());
        // min(space, memoryLeft * capacity / bufferBytes), dividing only when the memory is the tighter
        // bound: asked for every segment, and a 64-bit division is most of what this costs.
        long scaledMemory = memoryLeft * buffer.capacity();
        long divisor = Math.max(1, bufferBytes);
        return scaledMemory >= (long) space * divisor ? space : (int) (scaledMemory / divisor);
    }

    /**
     * Linux tcp_prune_queue() → tcp_collapse_ofo_queue()/tcp_collapse(): once the queued data holds
     * more memory than the buffer allows, it is copied into compact chunks and the wasteful buffers
     * freed. The data, the window and RCV.NXT are unchanged.
     */
    private void collapseIfOverMemory() {
        if (chargedBytes() > profile.receiveMemoryLimit(bufferBytes)) {
            buffer.collapse();
        }
    }

    /**
     * After out-of-order data was held: Linux tcp_prune_queue() when the memory held passes the
     * buffer's limit ({@link #pruneQueue}).
     *
     * @return whether out-of-order data was dropped (Linux counts TcpExtOfoPruned)
     */
    public boolean pruneIfOverMemory() {
        long limit = profile.receiveMemoryLimit(bufferBytes);
        return chargedBytes() > limit && pruneQueue(limit);
    }

    /**
     * Linux tcp_prune_queue(): the in-order queue is collapsed (tcp_collapse()), then the
     * out-of-order queue pruned from its highest ranges (tcp_prune_ofo_queue()) until the memory
     * held fits in {@code limit} again, if it can.
     *
     * @return whether out-of-order data was dropped
     */
    private boolean pruneQueue(long limit) {
        buffer.collapse();
        return reassembly.pruneTo(Math.max(0, limit - buffer.chargedBytes()));
    }

    /**
     * The window segments are judged against: RCV.WND, or what the profile says (FreeBSD's
     * max(sbspace, advertised)). {@code advertisedOnly}: a passive SYN-RECEIVED child is judged by
     * what its SYN,ACK advertised, as FreeBSD's syncache does before a socket exists.
     */
    public long acceptanceWindow(boolean advertisedOnly) {
        return advertisedOnly ? window() : profile.acceptanceWindow(window(), space());
    }

    /** The window field of a SYN or SYN,ACK: never scaled (RFC 7323 §2.2); it sets the advertised edge. */
    public int synWindowField() {
        int window = profile.synWindow(space(), rcvMss, timestamps);
        rcvAdv = rcvNxt + window;
        if (profile.growsWindowGradually()) {
            windowThreshold = window; // Linux tcp_connect_init() / tcp_openreq_init_rwin(): rcv_ssthresh = rcv_wnd
            lastWindowSelected = window;
        }
        return window;
    }

    /**
     * The window field to send, scaled (RFC 7323 §2.3), never moving the right edge left (RFC 9293
     * §3.8.6.2.2: the window SHOULD NOT shrink). Updates the advertised edge.
     *
     * <p>An edge promised earlier that is not a multiple of 2^shift past RCV.NXT: linux rounds the
     * field up (tcp_select_window(): {@code ALIGN(cur_win, 1 << rcv_wscale)}) and that edge is the
     * new one. rfc and freebsd truncate (RFC 7323 §2.3; FreeBSD tcp_output(): {@code recwin >>
     * rcv_scale}), so the peer may see an edge up to 2^shift - 1 bytes short of the one promised;
     * that one stays honoured (RFC 7323 §2.4: any segment in the window of any ACK sent is
     * accepted, the receiver tracking the largest right edge) but is not moved by the rounding.
     * Rounding it up at every ACK pushed it by up to 2^shift - 1 bytes a segment beyond the buffer,
     * and a peer sending segments of 2^shift - 1 bytes kept the window open without bound.
     */
    public int windowField() {
        int shift = rcvWndShift;
        long promised = Math.max(0, SeqNum.diff(rcvAdv, rcvNxt));
        // Under memory pressure no window grows (Linux tcp_select_window, tcp_under_memory_pressure); what was
        // promised stays promised.
        long offered = budget.level() == MemoryBudget.Level.NORMAL ? Math.min(space(), 65535L << shift) : 0;
        if (profile.growsWindowGradually()) {
            offered = linuxWindow(offered, shift);
        }
        if (profile.roundsScaledWindowUp()) {
            offered = (offered + (1L << shift) - 1) >> shift << shift;
        }
        long window = Math.max(promised, offered);
        long field = Math.min(65535, window >> shift);
        if (!profile.roundsScaledWindowUp()) {
            int edge = rcvNxt + (int) (field << shift);
            if (SeqNum.gt(edge, rcvAdv)) {
                rcvAdv = edge;
            }
            return (int) field;
        }
        if ((field << shift) < promised) {
            field = Math.min(65535, (promised + (1L << shift) - 1) >> shift); // rounding must not shrink it either
        }
        rcvAdv = rcvNxt + (int) (field << shift);
        return (int) field;
    }

    /**
     * Linux __tcp_select_window() on the free space: at most rcv_ssthresh; without window scaling,
     * the last window if it is still within one MSS of the free space, else the free space rounded
     * down to a multiple of the MSS (rcv_mss, the largest segment received), so the window moves in
     * whole segments.
     */
    private long linuxWindow(long free, int shift) {
        long window = Math.min(free, windowThreshold);
        if (shift == 0) {
            int full = buffer.capacity();
            int mss = Math.max(1, Math.min(largestSegmentReceived, full));
            long kept = lastWindowSelected;
            if (kept <= window - mss || kept > window) {
                kept = window / mss * mss;
            } else if (mss == full && window > kept + full / 2) {
                kept = window;
            }
            window = kept;
        }
        lastWindowSelected = window;
        return window;
    }

    /**
     * In-order data of {@code length} bytes arrived: Linux tcp_grow_window() raises rcv_ssthresh
     * by two MSS (at least twice the segment) when an skb of its size would fit the buffer at its
     * overhead: tcp_win_from_space(truesize) ≤ len, else by __tcp_grow_window()'s halving search,
     * which lets smaller segments grow it while the threshold is small against tcp_rmem[2].
     */
    private void growWindow(int length) {
        if (!profile.growsWindowGradually() || budget.level() != MemoryBudget.Level.NORMAL) {
            return;
        }
        long room = Math.min(buffer.capacity(), space()) - windowThreshold;
        if (room <= 0) {
            return;
        }
        int trueSize = linuxTrueSize(length);
        long incr;
        if (profile.receiveWindowSpace(trueSize, scalingRatio) <= length) {
            incr = 2L * rcvMss;
        } else {
            incr = 0;
            long size = profile.receiveWindowSpace(trueSize, scalingRatio) >> 1;
            long window = (long) profile.receiveWindowSpace(maxBufferBytes, scalingRatio) >> 1;
            while (windowThreshold <= window) {
                if (size <= length) {
                    incr = 2L * largestSegmentReceived;
                    break;
                }
                size >>= 1;
                window >>= 1;
            }
        }
        if (incr > 0) {
            windowThreshold += Math.min(room, Math.max(incr, 2L * length));
        }
    }

    /**
     * Linux 6.6+ tcp_measure_rcv_mss(): a segment larger than any before (beyond rcv_mss) sets the
     * scaling ratio to its payload over its truesize, and the buffer's window space follows
     * (tcp_set_window_clamp()). Only in profiles that grow the window as Linux does.
     */
    private void measureScalingRatio(int length) {
        if (!profile.growsWindowGradually() || length <= largestSegmentReceived) {
            return;
        }
        int ratio = Math.max(1, (int) (((long) length << 8) / linuxTrueSize(length)));
        if (ratio != scalingRatio) {
            scalingRatio = ratio;
            resize(bufferBytes);
        }
    }

    /**
     * The truesize Linux gives a received skb of {@code length} payload bytes: the packet with its
     * headers and NET_SKB_PAD in a kmalloc'ed (power-of-two) head, plus struct sk_buff (256) and
     * skb_shared_info (320). 2624 bytes for a 1460-byte segment, 704 for a 10-byte one.
     */
    static int linuxTrueSize(int length) {
        int head = length + 40 + 64;
        return Integer.highestOneBit(Math.max(1, head - 1)) * 2 + 576;
    }

    /**
     * After a read freed space: whether the window can now grow enough to be worth an update.
     * rfc and freebsd: receiver SWS avoidance, RFC 9293 §3.8.6.2.2, by min(RCV.BUFF/2, MSS).
     * linux (__tcp_cleanup_rbuf()): only when what is left of the window is at most half the most
     * it can be, and the window that would now be offered is at least twice that.
     */
    public boolean windowGrewEnough() {
        long advertisable = Math.min(space(), 65535L << rcvWndShift);
        long now = window();
        if (profile.growsWindowGradually()) {
            long offered = Math.min(advertisable, windowThreshold);
            return 2 * now <= buffer.capacity() && offered > 0 && offered >= 2 * now;
        }
        return advertisable - now >= Math.min(buffer.capacity() / 2, rcvMss);
    }

    // =====================================================================================
    // PAWS and TS.Recent (RFC 7323 §5.3, §4.3)
    // =====================================================================================

    /**
     * RFC 7323 §5.3 R1: SEG.TSval older than TS.Recent marks an old duplicate, unless TS.Recent is
     * stale; older by more than the profile's PAWS window ({@link TcpProfile#pawsWindow()}).
     */
    public boolean pawsRejects(ParsedTcpOptions o, long nowNanos) {
        if (!timestamps || !o.hasTimestamps() || SeqNum.diff(tsRecent, o.tsVal()) <= profile.pawsWindow()) {
            return false;
        }
        if (nowNanos - tsRecentNanos > PAWS_IDLE_NANOS) {
            tsRecent = o.tsVal(); // R1: idle for more than 24 days, the old value is meaningless
            tsRecentNanos = nowNanos;
            return false;
        }
        return true;
    }

    /**
     * RFC 7323 §4.3 (R3): remember SEG.TSval when it is not older and the segment starts at or before
     * Last.ACK.sent — not the current RCV.NXT, which in-order data not yet acknowledged has moved on.
     */
    public void updateTsRecent(TcpSegmentView seg, long nowNanos) {
        ParsedTcpOptions o = seg.options();
        if (timestamps && o.hasTimestamps() && SeqNum.ge(o.tsVal(), tsRecent) && SeqNum.le(seg.seq(), lastAckSent)) {
            tsRecent = o.tsVal();
            tsRecentNanos = nowNanos;
        }
    }

    // =====================================================================================
    // Text and FIN (RFC 9293 §3.10.7.4, first, seventh and eighth checks)
    // =====================================================================================

    /** Keeps only the part of {@code seg} inside {@code window}: RFC 9293 §3.10.7.4 "trimmed". Returns a {@link Text}. */
    public long trim(TcpSegmentView seg, long window) {
        int flags = seg.flags();
        int seq = seg.seq() + ((flags & TcpFlags.SYN) != 0 ? 1 : 0);
        int length = seg.payloadLength();
        boolean fin = (flags & TcpFlags.FIN) != 0;
        int cut = 0;
        int early = SeqNum.diff(rcvNxt, seq);
        if (early > 0) {
            if (early > length) {
                fin = false; // the FIN, too, was received before: a duplicate
            }
            cut = Math.min(early, length);
            seq += cut;
            length -= cut;
        }
        long room = window - SeqNum.diff(seq, rcvNxt);
        boolean beyond = false;
        if (length > room) {
            length = (int) Math.max(0, room);
            fin = false; // the FIN lies beyond the window
            beyond = true;
        }
        return Text.of(cut, length, fin, beyond);
    }

    /** What {@link #admit} decided. */
    public enum Admission {
        /** The stack has memory for it. */
        ADMITTED,
        /** Admitted once this connection's out-of-order queue was pruned. */
        ADMITTED_AFTER_PRUNING,
        /** Refused: the stack-wide budget is exhausted; the peer will send it again. */
        REFUSED,
        /**
         * Refused: this connection's queues hold more memory than its buffer allows even after
         * collapsing and pruning (Linux tcp_prune_queue() returning -1: TcpExtRcvPruned); the peer
         * will send it again.
         */
        REFUSED_OVER_BUFFER
    }

    /**
     * Whether new text may be kept, under the stack-wide budget: at the limit, this connection's
     * out-of-order queue is pruned first (Linux tcp_prune_ofo_queue: a pruned segment is simply
     * dropped, and the sender resends it); if the stack is still at its limit the text is refused
     * (Linux tcp_try_rmem_schedule failing).
     */
    public Admission admit() {
        // Linux tcp_try_rmem_schedule(): past sk_rcvbuf, tcp_prune_queue() collapses the queues and prunes the
        // out-of-order one; if the memory still does not fit and data is queued, the segment is dropped.
        long limit = profile.receiveMemoryLimit(bufferBytes);
        if (chargedBytes() > limit) {
            pruneQueue(limit);
            if (chargedBytes() > limit && buffer.size() > 0) {
                return Admission.REFUSED_OVER_BUFFER;
            }
        }
        if (budget.level() != MemoryBudget.Level.EXCEEDED) {
            return Admission.ADMITTED;
        }
        if (!reassembly.isEmpty()) {
            reassembly.release();
            if (budget.level() != MemoryBudget.Level.EXCEEDED) {
                return Admission.ADMITTED_AFTER_PRUNING;
            }
        }
        return Admission.REFUSED;
    }

    /** Whether {@code text} of {@code seg} starts at RCV.NXT. */
    public boolean inOrder(long text, TcpSegmentView seg) {
        return Text.seq(text, seg) == rcvNxt;
    }

    /**
     * Out of order: holds the text until the hole fills ("segments ... may be held for later
     * processing"), with its FIN if it carries one.
     *
     * @param seg borrowed; what is held is a retained slice of its packet
     * @return whether something new was held
     */
    public boolean hold(long text, TcpSegmentView seg) {
        boolean held = reassembly.offer(rcvNxt, Text.seq(text, seg), seg.buffer(), Text.offset(text, seg), Text.length(text),
                Text.fin(text));
        if (held && sackPermitted) {
            // Linux tcp_data_queue_ofo(): with SACK the window grows for out-of-order data too (without it, it
            // does not, "to force DUPACK and trigger fast retransmit").
            growWindow(Text.length(text));
        }
        return held;
    }

    /** A FIN after a hole: held for when the data before it arrives (RFC 5681 §4.2). */
    public void holdFin(long text, TcpSegmentView seg) {
        int length = Text.length(text);
        reassembly.offer(rcvNxt, Text.seq(text, seg) + length, seg.buffer(), Text.offset(text, seg) + length, 0, true);
    }

    /**
     * Text and FIN on a simultaneous-open SYN, held at RCV.NXT for after ESTABLISHED (RFC 9293
     * §3.10.7.3), as much as fits.
     *
     * @param seg borrowed
     */
    public void holdSynText(TcpSegmentView seg, boolean keepFin) {
        int length = Math.min(seg.payloadLength(), space());
        boolean fin = keepFin && (seg.flags() & TcpFlags.FIN) != 0 && length == seg.payloadLength();
        if (length > 0 || fin) {
            reassembly.offer(rcvNxt, rcvNxt, seg.buffer(), seg.payloadOffset(), length, fin);
        }
    }

    /** The FIN of a SYN+FIN received in LISTEN, held until ESTABLISHED (RFC 9293 §3.10.7.2); its text is not kept. */
    public void holdSynFin(TcpSegmentView seg) {
        reassembly.offer(rcvNxt, rcvNxt, seg.buffer(), seg.payloadOffset(), 0, true);
    }

    /**
     * In order: the text goes to the receive buffer and RCV.NXT advances over it.
     *
     * @param seg borrowed; the buffer keeps a retained slice of its packet
     */
    public void accept(long text, TcpSegmentView seg) {
        buffer.append(seg.buffer(), Text.offset(text, seg), Text.length(text));
        collapseIfOverMemory();
        rcvNxt += Text.length(text);
        measureScalingRatio(Text.length(text));
        growWindow(Text.length(text));
    }

    /**
     * Moves reassembled data that is now in order into the receive buffer.
     *
     * @return the bytes delivered (0 when nothing held was in order)
     */
    public int deliverHeld() {
        if (reassembly.isEmpty()) {
            return 0;
        }
        int delivered = 0;
        ByteBuf held;
        while ((held = reassembly.pollInOrder(rcvNxt)) != null) {
            delivered += held.readableBytes();
            rcvNxt += held.readableBytes();
            buffer.appendOwned(held);
        }
        collapseIfOverMemory();
        return delivered;
    }

    /** Whether a held FIN's turn has come: it is taken from reassembly, for the FIN check to process. */
    public boolean takeHeldFin() {
        return reassembly.takeFinAt(rcvNxt);
    }

    /** Whether out-of-order data is held (then every segment is ACKed at once and carries SACK blocks). */
    public boolean holdsOutOfOrder() {
        return !reassembly.isEmpty();
    }

    /** Whether the FIN of {@code text} is next in sequence: everything before it has arrived. */
    public boolean finInOrder(long text, TcpSegmentView seg) {
        return Text.seq(text, seg) + Text.length(text) == rcvNxt;
    }

    /** The peer's FIN is processed: RCV.NXT advances over it. */
    public void finArrived() {
        rcvNxt += 1;
        finReceived = true;
    }

    public boolean finReceived() {
        return finReceived;
    }

    // =====================================================================================
    // ACK policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2)
    // =====================================================================================

    /**
     * In-order data of {@code length} bytes arrived: whether to ACK at once (true) or within the
     * delay (false: the caller arms the delayed-ACK timer if it is not armed). ACK at least every
     * second full-sized segment; as Linux (__tcp_ack_snd_check): at once when more than one full
     * segment (the largest seen so far) is unacknowledged, or while quick ACKs remain from the start
     * of the connection (tcp_incr_quickack; the profile decides) and the exchange is not interactive.
     */
    public boolean ackNowForData(long nowNanos, int length) {
        ackTimingStarted = true;
        bytesUnacked += length;
        lastDataReceivedNanos = nowNanos;
        largestSegmentReceived = Math.max(largestSegmentReceived, Math.min(length, rcvMss));
        if (quickAcksLeft > 0 && !pingPong) {
            quickAcksLeft--;
            return true;
        }
        return bytesUnacked > largestSegmentReceived;
    }

    /** The handshake completed: quick ACK mode if the profile has it (Linux tcp_incr_quickack: half the buffer in segments, at most 16). */
    public void established(long nowNanos) {
        lastDataReceivedNanos = nowNanos;
        if (autotuning != null) {
            autotuning.start(nowNanos, bytesRead, (int) Math.min(window(), 10L * rcvMss)); // TCP_INIT_CWND · advmss
        }
        if (profile.quickAcksAtStart()) {
            quickAcksLeft = Math.max(2, Math.min(MAX_QUICK_ACKS, buffer.capacity() / (2 * Math.max(1, rcvMss))));
        }
    }

    /** TCP_QUICKACK: enter (or leave) quick ACK mode. */
    public void setQuickAck(boolean quick) {
        quickAcksLeft = quick ? MAX_QUICK_ACKS : 0;
        pingPong = !quick && pingPong;
    }

    // =====================================================================================
    // ECN echo (RFC 3168 §6.1.3), for a connection that negotiated ECN
    // =====================================================================================

    /** ECN codepoints of the IP header (RFC 3168 §5). */
    public static final int NOT_ECT = 0b00;
    public static final int ECT_1 = 0b01;
    public static final int ECT_0 = 0b10;
    public static final int CE = 0b11;

    /**
     * The IP ECN field of a data segment that was taken in (in order or held): Linux
     * tcp_ecn_check_ce(). CE starts the echo of ECE and ACKs at once (tcp_enter_quickack_mode(sk, 2):
     * the sender may have a very small window); not-ECT after ECT was seen is probably a
     * retransmission, ACKed at once too.
     */
    public void ecnFieldArrived(int ecnField) {
        switch (ecnField & 0b11) {
            case NOT_ECT -> {
                if (ecnSeen) {
                    enterQuickAck(2);
                }
            }
            case CE -> {
                if (!ecnDemandCwr) {
                    enterQuickAck(2);
                    ecnDemandCwr = true;
                }
                ecnSeen = true;
            }
            default -> ecnSeen = true;
        }
    }

    /**
     * An acceptable segment that occupies sequence space carried CWR: the sender reduced its window,
     * the echo stops (RFC 3168 §6.1.3; Linux tcp_ecn_accept_cwr()).
     */
    public void cwrArrived() {
        ecnDemandCwr = false;
    }

    /** Whether our segments carry ECE now (Linux tcp_ecn_send(): TCP_ECN_DEMAND_CWR). */
    public boolean echoesEce() {
        return ecnDemandCwr;
    }

    /** Whether an ECT or CE segment has arrived (ss's {@code ecnseen}). */
    public boolean ecnSeen() {
        return ecnSeen;
    }

    /** Linux tcp_enter_quickack_mode(): ACK the next {@code segments} segments at once, interactive mode off. */
    private void enterQuickAck(int segments) {
        quickAcksLeft = Math.max(quickAcksLeft, segments);
        pingPong = false;
        ackTimingStarted = true;
    }

    /**
     * Linux tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS), as tcp_rcv_synsent_state_process() calls
     * it when it delays the ACK of a SYN,ACK for a waiting writer.
     */
    public void enterQuickAckMode() {
        enterQuickAck(MAX_QUICK_ACKS);
    }

    /**
     * The peer's FIN arrived in ESTABLISHED (Linux tcp_fin(): inet_csk_enter_pingpong_mode()): the
     * exchange counts as interactive; returns whether the ACK must still go at once: more than a
     * full segment is unacknowledged (__tcp_ack_snd_check()), or no data has arrived yet, so the
     * delayed-ACK timeout (icsk_ack.ato) is still 0 and tcp_send_delayed_ack() fires at the next tick.
     */
    public boolean finEntersPingPong() {
        pingPong = true;
        return bytesUnacked > largestSegmentReceived || !ackTimingStarted;
    }

    /** The delayed ACK had to go alone: not interactive after all (Linux tcp_delack_timer_handler). */
    public void delayedAckFired() {
        pingPong = false;
    }

    /** We are sending data: soon after data arrived, the exchange is interactive (Linux tcp_event_data_sent). */
    public void dataSending(long nowNanos) {
        // Linux tcp_event_data_sent() compares with icsk_ack.ato, which is 0 (so nothing is "soon") until data
        // arrived or quick ACK mode was entered: data sent right after a plain handshake is not a reply.
        if (profile.interactiveMode() && ackTimingStarted && nowNanos - lastDataReceivedNanos < delayedAckNanos) {
            pingPong = true;
        }
    }

    /** A segment carrying ACK = {@code ack} went out: RFC 7323 §4.3 Last.ACK.sent, nothing left to ACK. */
    public void ackSent(int ack) {
        lastAckSent = ack;
        bytesUnacked = 0;
        dsackPending = false; // RFC 2883 §4: a duplicate is reported once
    }

    /**
     * RFC 2018 §4: the SACK blocks our next segment reports, at most {@code max}; returns the count.
     * A duplicate not yet reported comes first, as a D-SACK block (RFC 2883 §4), then the blocks
     * of what is held, the one containing the duplicate (if held) among the first.
     */
    public int sackBlocks(int[] left, int[] right, int max) {
        if (!sackPermitted) {
            return 0;
        }
        int count = 0;
        if (dsackPending && max > 0) {
            left[0] = dsackLeft;
            right[0] = dsackRight;
            count = 1;
        }
        return reassembly.isEmpty() ? count : count + reassembly.sackBlocks(left, right, count, max);
    }

    /**
     * How many blocks {@link #sackBlocks} would write with this {@code max}, without listing them:
     * the D-SACK block and every run reassembly holds, up to {@code max}. What the MSS of a
     * segment loses to the SACK option depends on it (Linux tcp_established_options()), and it is
     * asked before every burst, where listing the blocks would walk the held runs.
     */
    public int sackBlockCount(int max) {
        if (!sackPermitted) {
            return 0;
        }
        int count = (dsackPending ? 1 : 0) + (reassembly.isEmpty() ? 0 : reassembly.blockCount());
        return Math.min(count, max);
    }

    /**
     * Duplicate data arrived: [seq, end) was already received, below RCV.NXT or held out of order.
     * With SACK the next ACK reports it in a D-SACK block (RFC 2883; Linux tcp_dsack_set(), which
     * sysctl tcp_dsack turns on by default). Returns whether it will be reported.
     */
    public boolean duplicateReceived(int seq, int end) {
        if (!sackPermitted || !SeqNum.lt(seq, end)) {
            return false;
        }
        if (dsackPending && SeqNum.le(seq, dsackRight) && SeqNum.ge(end, dsackLeft)) {
            dsackLeft = SeqNum.min(dsackLeft, seq); // tcp_dsack_extend(): adjacent or overlapping, one block
            dsackRight = SeqNum.max(dsackRight, end);
        } else {
            dsackLeft = seq;
            dsackRight = end;
        }
        dsackPending = true;
        return true;
    }

    /** If the last {@link #hold} brought data already held, records it for the next ACK's D-SACK block; returns whether it did. */
    public boolean reportHeldDuplicate() {
        return reassembly.duplicateFound() && duplicateReceived(reassembly.duplicateLeft(), reassembly.duplicateRight());
    }

    // =====================================================================================
    // The application's side
    // =====================================================================================

    /**
     * RECEIVE: copies buffered bytes into {@code dst}; with autotuning, the buffer may grow
     * (Linux tcp_recvmsg() → tcp_rcv_space_adjust()).
     *
     * @param dst borrowed; its writer index advances
     */
    public int read(long nowNanos, ByteBuf dst) {
        return taken(nowNanos, buffer.read(dst));
    }

    /**
     * As {@link #read(long, ByteBuf)}, the bytes moved out without a copy: see
     * {@link ReceiveBuffer#take}.
     *
     * @param out receives buffers the caller owns and must release
     */
    public int take(long nowNanos, int maxBytes, List<ByteBuf> out) {
        return taken(nowNanos, buffer.take(maxBytes, out));
    }

    /** The application took {@code n} bytes: counted, and autotuning measures the rate (Linux tcp_rcv_space_adjust()). */
    private int taken(long nowNanos, int n) {
        bytesRead += n;
        if (autotuning != null && n > 0) {
            if (!autotuning.started()) {
                // A connection closed in SYN-RECEIVED goes to FIN-WAIT-1 (RFC 9293 §3.10.4) and, once its SYN is
                // acknowledged, on without passing ESTABLISHED, where measuring starts (established()): it starts at
                // the first read instead. Adjusting unstarted divided by rcvq_space.space = 0 (tcp_rcv_space_adjust()).
                autotuning.start(nowNanos, bytesRead, (int) Math.min(window(), 10L * rcvMss));
            } else {
                int grown = autotuning.adjust(nowNanos, bytesRead, bufferBytes, rcvMss, scalingRatio);
                if (grown > bufferBytes) {
                    resize(grown);
                }
            }
        }
        return n;
    }

    /**
     * In-order data of {@code length} bytes was taken: a sample for the receiver's RTT estimate
     * (Linux tcp_rcv_rtt_measure() by the window's worth of data, tcp_rcv_rtt_measure_ts() by the
     * timestamp echo), which paces autotuning.
     *
     * @param echoMillis our clock now less the segment's TSecr, in ms; negative when there is none
     * @param tsEcr      the segment's TSecr (a repeated echo gives no new sample)
     */
    public void measureRoundTrip(long nowNanos, int length, int tsEcr, int echoMillis) {
        if (autotuning != null) {
            autotuning.measure(nowNanos, rcvNxt, window(), length >= largestSegmentReceived, tsEcr, echoMillis);
        }
    }

    public int readableBytes() {
        return buffer.size();
    }

    /**
     * Sequence space received in order, read or not, the peer's FIN included and its SYN not (Linux
     * tcp_rcv_nxt_update(): bytes_received, tcpi_bytes_received).
     */
    public long bytesReceived() {
        return bytesRead + buffer.size() + (finReceived() ? 1 : 0);
    }

    /**
     * The peer's segment size as measured (Linux icsk_ack.rcv_mss, tcpi_rcv_mss): 536 at first
     * (tcp_initialize_rcv_mss()), then the largest segment seen, at most the MSS we announced.
     */
    public int measuredRcvMss() {
        return largestSegmentReceived;
    }

    /**
     * The memory the received bytes really hold, in order and out of order (Linux sk_rmem_alloc,
     * by truesize): about twice what is buffered at most, since small segments are copied into
     * compact chunks rather than pinning their packet buffers.
     */
    public long chargedBytes() {
        return buffer.chargedBytes() + reassembly.chargedBytes();
    }

    /** SO_RCVBUF: the receive buffer as the application sees it (Linux sk_rcvbuf). */
    public int bufferSize() {
        return bufferBytes;
    }

    /** The bytes the buffer may hold, the most the window offers (Linux tcp_full_space()). */
    public int windowSpace() {
        return buffer.capacity();
    }

    /**
     * SO_RCVBUF set by the application ({@code bytes} as the profile computed it): the size stays
     * as set, autotuning stops (Linux SOCK_RCVBUF_LOCK).
     */
    public void setBufferSize(int bytes) {
        autotuning = null;
        resize(bytes);
    }

    /** Releases the buffered and held bytes. */
    public void release() {
        buffer.release();
        reassembly.release();
    }

    /** Releases the buffered bytes only: nobody will read them (CLOSE). */
    public void releaseBuffer() {
        buffer.release();
    }

    /** Releases only what reassembly holds (the connection is over; read bytes may still be read). */
    public void releaseHeld() {
        reassembly.release();
    }

    // =====================================================================================
    // STATUS
    // =====================================================================================

    public int irs() {
        return irs;
    }

    public int nxt() {
        return rcvNxt;
    }

    public int mss() {
        return rcvMss;
    }

    public int windowShift() {
        return rcvWndShift;
    }

    public boolean windowScaling() {
        return windowScaling;
    }

    public int offeredWindowShift() {
        return offeredWndShift;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean timestamps() {
        return timestamps;
    }

    /** When TS.Recent was last taken. */
    public long tsRecentNanos() {
        return tsRecentNanos;
    }

    /**
     * A connection that took over a TIME-WAIT entry (tcp_tw_reuse) starts with its TS.Recent, so
     * PAWS keeps the old incarnation's segments out, from the SYN,ACK on (Linux tcp_twsk_unique()).
     */
    public void inheritTsRecent(int tsVal, long stampNanos) {
        tsRecent = tsVal;
        tsRecentNanos = stampNanos;
        inheritedTsRecent = true;
    }

    /**
     * RFC 7323 §5.3 R1 for a SYN,ACK, with a TS.Recent inherited from TIME-WAIT: an older TSval
     * is an old duplicate (Linux tcp_rcv_synsent_state_process(): tcp_paws_reject()).
     */
    public boolean pawsRejectsSynAck(ParsedTcpOptions o, long nowNanos) {
        return inheritedTsRecent && o.hasTimestamps() && SeqNum.lt(o.tsVal(), tsRecent) && nowNanos - tsRecentNanos <= PAWS_IDLE_NANOS;
    }

    public int tsRecent() {
        return tsRecent;
    }

    @Override
    public String toString() {
        return "Receiver[nxt=" + Integer.toUnsignedString(rcvNxt) + " wnd=" + window() + " held=" + reassembly.heldBytes() + "]";
    }
}
