package io.usertcp.tcp.send;

import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.wire.SeqNum;

/**
 * ECN's window reduction (RFC 3168 §6.1.2) as Linux's TCP_CA_CWR state: one reduction per window
 * of data, held until SND.UNA passes the SND.NXT it began at, and the CWR flag owed on the next
 * new data after any reduction (ECN, fast recovery or a timeout). One per connection's sender.
 */
final class CwrState {
    /** cwnd was reduced for an ECE and SND.UNA has not yet passed {@link #highSeq} (Linux TCP_CA_CWR). */
    private boolean active;
    /** SND.NXT when the reduction began (Linux high_seq): the window of data the reduction answers. */
    private int highSeq;
    /**
     * cwnd was reduced: the next new data segment carries CWR (Linux TCP_ECN_QUEUE_CWR, set by
     * tcp_init_cwnd_reduction() and tcp_enter_loss(), so by fast recovery and timeouts too).
     */
    private boolean queued;

    /**
     * An ACK with ECE (RFC 3168 §6.1.2): "the TCP source halves the congestion window cwnd and
     * reduces the slow start threshold ssthresh", at most once per window of data, and not while
     * fast recovery or a timeout already reduced it. As Linux tcp_try_to_open() → tcp_enter_cwr():
     * ssthresh from the algorithm's own reduction, the next new data carries CWR. Linux's PRR walks
     * cwnd down to ssthresh over the window; here cwnd goes there at once, as RFC 3168 says.
     */
    void ecnEcho(long nowNanos, CongestionControl cc, boolean inRecovery, int sndUna, int sndNxt) {
        if (active || inRecovery) {
            return;
        }
        cc.onEcnEcho(nowNanos, SeqNum.diff(sndNxt, sndUna));
        active = true;
        highSeq = sndNxt;
        queued = true;
    }

    /** Linux tcp_fastretrans_alert(), TCP_CA_CWR: the reduction ends once SND.UNA is beyond high_seq (so CWR got through). */
    void windowAcked(int sndUna) {
        if (active && SeqNum.gt(sndUna, highSeq)) {
            active = false;
        }
    }

    /**
     * Fast recovery or a timeout reduced cwnd (LossRecovery): it replaces a reduction for ECE in
     * progress (Linux leaves TCP_CA_CWR for Recovery or Loss), and the next new data carries CWR
     * (Linux tcp_init_cwnd_reduction(), tcp_enter_loss(): tcp_ecn_queue_cwr()).
     */
    void lossReduction() {
        active = false;
        queued = true;
    }

    /**
     * Whether cwnd is held after an ECE; fast recovery then starts without a second reduction
     * (Linux tcp_enter_recovery() skips tcp_init_cwnd_reduction() while in CWR).
     */
    boolean active() {
        return active;
    }

    /** Whether the next new data segment carries CWR (Linux tcp_ecn_send()): once after each reduction. */
    boolean takeQueued() {
        boolean was = queued;
        queued = false;
        return was;
    }
}
