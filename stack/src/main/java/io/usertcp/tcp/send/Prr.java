package io.usertcp.tcp.send;

/**
 * Proportional Rate Reduction (RFC 6937 §3), as Linux tcp_cwnd_reduction() runs it: during fast
 * recovery, each ACK lets out data in proportion to what it delivered, so the flight shrinks
 * smoothly from the window before the loss ({@code RecoverFS}, Linux prior_cwnd) to ssthresh
 * instead of stalling for half a round trip; below ssthresh it grows back by slow start, bounded
 * by what was delivered plus one segment (the Slow Start Reduction Bound, SSRB).
 *
 * <p>Units are the caller's: Linux counts packets, FreeBSD bytes. One instance per connection.
 */
final class Prr {
    /** RFC 6937 RecoverFS (Linux prior_cwnd): the window when recovery began. */
    private long recoverFs;
    private long ssthresh;
    /** RFC 6937 prr_delivered: data delivered to the receiver since recovery began. */
    private long delivered;
    /** RFC 6937 prr_out: data sent since recovery began. */
    private long out;
    /** The window this ACK allows: pipe + sndcnt (Linux sets snd_cwnd to it). */
    private long window;

    /** RFC 6937 §3 initialization, at the start of recovery (Linux tcp_init_cwnd_reduction()). */
    void start(long recoverFs, long ssthresh) {
        this.recoverFs = Math.max(1, recoverFs);
        this.ssthresh = ssthresh;
        delivered = 0;
        out = 0;
        window = 0;
    }

    /**
     * RFC 6937 §3 "on every ACK during recovery" (Linux tcp_cwnd_reduction()), for an ACK that
     * delivered {@code deliveredNow} (ACKed plus newly SACKed) with {@code pipe} now in flight.
     *
     * @param unitAdvanced   SSRB allows one segment more: Linux only when the ACK advanced SND.UNA and
     *                       marked nothing newly lost ({@code FLAG_SND_UNA_ADVANCED && !newly_lost}),
     *                       FreeBSD always (tcp_do_prr_ack())
     * @param unit           one segment in the caller's unit; what is allowed is rounded down to whole
     *                       segments (FreeBSD {@code snd_cnt / maxseg}; a no-op for packets)
     */
    void onAck(long deliveredNow, long pipe, boolean unitAdvanced, long unit) {
        if (deliveredNow <= 0) {
            return;
        }
        delivered += deliveredNow;
        long sndcnt;
        if (pipe > ssthresh) {
            // Proportional part: sndcnt = CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out
            sndcnt = (ssthresh * delivered + recoverFs - 1) / recoverFs - out;
        } else {
            // Slow Start Reduction Bound: limit = max(prr_delivered − prr_out, DeliveredData) + MSS
            long limit = Math.max(delivered - out, deliveredNow);
            if (unitAdvanced) {
                limit += unit;
            }
            sndcnt = Math.min(ssthresh - pipe, limit);
        }
        sndcnt = Math.max(sndcnt, 0) / unit * unit;
        // Linux: force the fast retransmit when recovery starts (nothing sent yet)
        sndcnt = Math.max(sndcnt, out > 0 ? 0 : unit);
        window = pipe + sndcnt;
    }

    /** Data went out during recovery (RFC 6937: prr_out += data sent). */
    void sent(long amount) {
        out += amount;
    }

    /**
     * What may be sent now, given {@code pipe} in flight now; at least one {@code unit} until
     * something was sent in this recovery (Linux: "force a fast retransmit upon entering fast
     * recovery"), even before an ACK delivered anything.
     */
    long budget(long pipe, long unit) {
        return out == 0 ? Math.max(window - pipe, unit) : window - pipe;
    }

    /** The window PRR allows (Linux snd_cwnd during the reduction). */
    long window() {
        return window;
    }

    long ssthresh() {
        return ssthresh;
    }
}
