package io.usertcp.tcp.send;

import io.usertcp.wire.SeqNum;

/**
 * RACK, time-based loss detection (RFC 8985 §6), as Linux tcp_recovery.c implements it: a segment
 * is lost when a segment sent after it has been delivered and more than RACK.rtt + RACK.reo_wnd
 * have passed since it was sent. The caller (LossRecovery) feeds it each newly ACKed or SACKed
 * segment ({@link #advance}), asks it to mark losses in the {@link TransmitLog}
 * ({@link #detectLoss}), and arms the reordering timer it asks for.
 */
final class Rack {
    /** Linux TCP_RACK_RECOVERY_THRESH: recoveries a widened reordering window is kept for. */
    static final int RECOVERY_THRESH = 16;
    /** Linux TCP_TIMEOUT_MIN (2 jiffies at HZ=1000): added to the reordering timer. */
    static final long TIMEOUT_MIN_NANOS = 2_000_000L;

    /** RACK.xmit_ts and RACK.end_seq: the most recently sent segment delivered so far (RFC 8985 §6.1). */
    private long xmitNanos = Long.MIN_VALUE;
    private int endSeq;
    /** RACK.rtt: the RTT of the last delivered segment (RFC 8985 §6.2 step 2). */
    private long rttNanos;
    /** New deliveries since the last loss detection (Linux rack.advanced). */
    boolean advanced;
    /** RACK.reo_wnd_mult (Linux reo_wnd_steps), and for how many recoveries it stays widened. */
    private int reoWndSteps = 1;
    private int reoWndPersist;
    /** A D-SACK arrived since the window was last widened (Linux rack.dsack_seen). */
    private boolean dsackSeen;
    private long lastWidenedNanos = Long.MIN_VALUE;
    /** Reordering events seen (Linux tp->reord_seen, RFC 8985 RACK.reordering_seen). */
    int reorderingSeen;
    /** Linux tp->reordering: the reordering degree in segments (tcpi_reordering), 3 until reordering is seen. */
    int reordering = 3;

    /** Linux tcp_rack_sent_after(): was (t1, seq1) sent after (t2, seq2)? Equal times compare by end sequence. */
    static boolean sentAfter(long t1, long t2, int seq1, int seq2) {
        return t1 > t2 || (t1 == t2 && SeqNum.gt(seq1, seq2));
    }

    /**
     * RFC 8985 §6.2 step 2 (Linux tcp_rack_advance()): a segment sent at {@code sentNanos}, ending at
     * {@code end}, was delivered (ACKed or SACKed for the first time).
     *
     * @param retransmitted whether it was ever retransmitted: then an RTT shorter than the minimum
     *                      is ambiguous (the original may have been delivered) and is ignored
     */
    void advance(long sentNanos, int end, boolean retransmitted, long nowNanos, long minRttNanos) {
        long rtt = nowNanos - sentNanos;
        if (retransmitted && rtt < minRttNanos) {
            return;
        }
        advanced = true;
        rttNanos = rtt;
        if (sentAfter(sentNanos, xmitNanos, end, endSeq)) {
            xmitNanos = sentNanos;
            endSeq = end;
        }
    }

    /**
     * RFC 8985 §6.2 step 4 (Linux tcp_rack_reo_wnd()): the reordering window. Before any reordering
     * was seen it is 0 in recovery, and once DupThresh segments are SACKed (RACK keeps the
     * duplicate-threshold rule, tcp_recovery=1 without TCP_RACK_NO_DUPTHRESH); otherwise
     * min_rtt/4 times the multiplier, at most SRTT.
     */
    long reoWndNanos(boolean inRecovery, int sackedOut, long minRttNanos, long srttNanos) {
        if (reorderingSeen == 0 && (inRecovery || sackedOut >= reordering)) {
            return 0;
        }
        return Math.min((minRttNanos >> 2) * reoWndSteps, srttNanos);
    }

    /**
     * RFC 8985 §6.2 step 5 (Linux tcp_rack_detect_loss()): marks lost every segment sent before
     * RACK.xmit_ts whose RACK.rtt + reo_wnd has passed; a lost retransmission loses its
     * in-flight mark and is counted in {@code lostRetransmits[0]}. Returns the longest wait of a
     * segment not yet judged (0: none), for the reordering timer.
     */
    long detectLoss(TransmitLog log, long nowNanos, long reoWndNanos, int[] lostRetransmits) {
        long wait = 0;
        for (int i = log.first(); i < log.end(); i++) {
            if (log.has(i, TransmitLog.SACKED)) {
                continue;
            }
            boolean lost = log.has(i, TransmitLog.LOST);
            boolean resent = log.has(i, TransmitLog.RETRANS_OUT);
            if (lost && !resent) {
                continue; // marked lost, not yet retransmitted
            }
            if (!sentAfter(xmitNanos, log.sentNanos(i), endSeq, log.endSeq(i))) {
                if (!log.has(i, TransmitLog.EVER_RETRANS)) {
                    break; // originals are in send order: nothing later was sent before RACK.xmit_ts
                }
                continue;
            }
            long remaining = timeLeftNanos(log.sentNanos(i), nowNanos, reoWndNanos);
            if (remaining <= 0) {
                // Linux tcp_mark_skb_lost(): a lost segment's retransmission lost again is counted and may be sent
                // once more; a segment first marked lost keeps a retransmission in flight (a loss probe's) as it is
                if (lost) {
                    lostRetransmits[0]++;
                    log.unmark(i, TransmitLog.RETRANS_OUT);
                } else {
                    log.mark(i, TransmitLog.LOST);
                }
            } else {
                wait = Math.max(wait, remaining);
            }
        }
        return wait;
    }

    /** Linux tcp_rack_skb_timeout(): how long until a segment sent at {@code sentNanos} may be judged lost (≤ 0: now). */
    long timeLeftNanos(long sentNanos, long nowNanos, long reoWndNanos) {
        return sentNanos + rttNanos + reoWndNanos - nowNanos;
    }

    /** Linux tcp_rack_mark_lost(): the reordering timer's delay for a wait, rounded up to a millisecond, plus TCP_TIMEOUT_MIN. */
    static long timerDelayNanos(long waitNanos) {
        long millis = (waitNanos + 999_999L) / 1_000_000L;
        return millis * 1_000_000L + TIMEOUT_MIN_NANOS;
    }

    /** A D-SACK arrived (Linux tcp_dsack_seen(): rack.dsack_seen). */
    void dsackSeen() {
        dsackSeen = true;
    }

    /**
     * RFC 8985 §6.2 step 4 (Linux tcp_rack_update_reo_wnd()), on every ACK: a D-SACK widens the
     * window by one step, at most once a round trip, and keeps it for {@link #RECOVERY_THRESH}
     * recoveries; after those it returns to one step.
     */
    void updateReoWnd(long nowNanos, long srttNanos) {
        if (dsackSeen && lastWidenedNanos != Long.MIN_VALUE && nowNanos - lastWidenedNanos < srttNanos) {
            dsackSeen = false; // a round trip has not passed since the last widening
        }
        if (dsackSeen) {
            reoWndSteps = Math.min(0xFF, reoWndSteps + 1);
            dsackSeen = false;
            lastWidenedNanos = nowNanos;
            reoWndPersist = RECOVERY_THRESH;
        } else if (reoWndPersist == 0) {
            reoWndSteps = 1;
        }
    }

    /** A recovery ended without undo (Linux tcp_try_undo_recovery(): reo_wnd_persist--). */
    void recoveryEnded() {
        if (reoWndPersist > 0) {
            reoWndPersist--;
        }
    }

    /** A recovery was undone by D-SACKs (Linux tcp_try_undo_dsack()): keep the widened window longer. */
    void recoveryUndone() {
        reoWndPersist = Math.min(RECOVERY_THRESH, reoWndPersist + 1);
    }

    /**
     * Linux tcp_check_sack_reordering(): a never-retransmitted segment starting at {@code lowSeq}
     * was delivered below the highest SACKed sequence {@code fack}: reordering, whose degree in
     * segments raises tp->reordering (up to tcp_max_reordering, 300).
     *
     * @return whether it was reordering
     */
    boolean checkReordering(int lowSeq, int fack, int mss) {
        if (!SeqNum.lt(lowSeq, fack)) {
            return false;
        }
        long metric = SeqNum.diff(fack, lowSeq);
        if (mss > 0 && metric > (long) reordering * mss) {
            reordering = (int) Math.min((metric + mss - 1) / mss, 300);
        }
        reorderingSeen++;
        return true;
    }

    int reoWndSteps() {
        return reoWndSteps;
    }

    @Override
    public String toString() {
        return "Rack[xmit=" + xmitNanos + " end=" + Integer.toUnsignedString(endSeq) + " rtt=" + rttNanos
                + " steps=" + reoWndSteps + " reord=" + reorderingSeen + "]";
    }
}
