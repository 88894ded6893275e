package io.usertcp.tcp.send;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.SeqNum;

/**
 * The linux profile's loss recovery on a SACK connection, as Linux tcp_fastretrans_alert() runs it
 * around its {@link LossRecovery}: RACK loss marking on each ACK and on the reordering timer (RFC
 * 8985 §6), the start of fast recovery when something is lost, PRR's allowance per ACK (RFC 6937),
 * the loss state after a timeout with F-RTO (RFC 5682), and undo of reductions that proved
 * spurious (RFC 2883 D-SACKs, RFC 3522 timestamps). The phases, the transmit log and the window
 * bookkeeping stay in {@link LossRecovery}.
 */
final class RackRecovery {
    private static final long NONE = LossRecovery.NONE;

    private final LossRecovery r;
    /** When the RACK reordering timer should fire, or {@link #NONE}. */
    private long reorderDeadlineNanos = NONE;
    /** RFC 5682 F-RTO is judging the current timeout (Linux tp->frto). */
    private boolean frto;
    /** F-RTO step 2.b: send new data rather than retransmissions on this ACK (Linux REXMIT_NEW). */
    private boolean frtoSendsNew;
    private final int[] lostRetransmits = new int[1];

    RackRecovery(LossRecovery recovery) {
        this.r = recovery;
    }

    /** F-RTO step 2.b asked for new data first. */
    boolean sendsNewDataFirst() {
        return frtoSendsNew;
    }

    /** New data went out: F-RTO's request is met. */
    void newDataSent() {
        frtoSendsNew = false;
    }

    /** The path MTU fell: everything is resent, F-RTO has nothing to judge. */
    void pathMtuReduced() {
        frto = false;
    }

    /**
     * Linux tcp_enter_loss() for a RACK connection: the prior window is kept for undo (when this is
     * a new episode), F-RTO (RFC 5682 §3.1, tcp_frto=2) starts judging whether the timeout was
     * spurious, and every segment not SACKed is marked lost, but for those sent less than RACK.rtt
     * ago, which RACK judges later (tcp_timeout_mark_lost()). SACK information is kept unless the
     * peer reneged (the first segment SACKed: Linux is_sack_reneg).
     */
    void onTimeout(Sender c, long nowNanos, int retransmitsBefore) {
        Sender t = c;
        boolean newEpisode = r.phase == RecoveryPhase.OPEN || !SeqNum.gt(r.recoveryPoint, t.sndUna)
                || (r.phase == RecoveryPhase.RTO_RECOVERY && retransmitsBefore == 0);
        boolean newRecovery = r.phase == RecoveryPhase.OPEN;
        if (newEpisode) {
            r.undo.begin(t.sndUna, r.log.retransOut, c.cc.cwndBytes(), r.currentSsthresh(c));
        }
        c.cc.onRetransmitTimeout(nowNanos, SeqNum.diff(t.sndNxt, t.sndUna));
        c.lossReduction();
        c.lossProbe.reset();
        boolean reneged = !r.log.isEmpty() && r.log.has(r.log.first(), TransmitLog.SACKED);
        if (reneged) {
            r.scoreboard.clear();
        }
        for (int i = r.log.first(); i < r.log.end(); i++) {
            int m = r.log.marks(i);
            if (!reneged && ((m & TransmitLog.SACKED) != 0
                    || (i != r.log.first() && r.rack.timeLeftNanos(r.log.sentNanos(i), nowNanos, 0) > 0))) {
                continue; // Linux tcp_timeout_mark_lost(): SACKed, or sent too recently to be judged yet (RACK)
            }
            r.log.setMarks(i, (m & TransmitLog.EVER_RETRANS) | TransmitLog.LOST);
        }
        r.goBackN(t);
        r.forcedLostEnd = t.sndUna;
        r.prrActive = false;
        reorderDeadlineNanos = NONE;
        frto = newRecovery || retransmitsBefore > 0; // Linux: (new_recovery || icsk_retransmits) && tcp_frto
        frtoSendsNew = false;
    }


    // ------------------------------------------------------------------------------------------
    // Linux tcp_fastretrans_alert() for RACK connections
    // ------------------------------------------------------------------------------------------

    /**
     * One ACK, as Linux tcp_fastretrans_alert() takes it: the exit from recovery at its point (with
     * undo when every retransmission proved spurious), F-RTO in the loss state, D-SACK undo, then
     * RACK loss marking (RFC 8985 §6.2 step 5), the start of fast recovery when something is lost,
     * and PRR's allowance for this ACK.
     */
    void onAck(Sender c, long nowNanos, boolean advanced, boolean duplicate, int tsEcr) {
        Sender t = c;
        r.rack.updateReoWnd(nowNanos, c.srttNanos());
        if (r.phase == RecoveryPhase.OPEN && r.log.retransOut == 0) {
            r.undo.clearStamp();
        }
        if (r.phase == RecoveryPhase.FAST_RECOVERY && advanced && SeqNum.lt(t.sndUna, r.recoveryPoint)
                && r.undo.armed() && r.undo.delayed(tsEcr) && r.log.retransOut == 0) {
            // Linux tcp_try_undo_partial(): the hole was filled by the delayed original (its timestamp echo
            // predates our first retransmission) and no retransmission is out: the recovery was reordering
            undoReduction(c, nowNanos, true, Counter.TcpExtTCPPartialUndo);
            r.exitRecovery();
        }
        if (r.phase == RecoveryPhase.FAST_RECOVERY && SeqNum.ge(t.sndUna, r.recoveryPoint)) {
            // Linux tcp_try_undo_recovery(), then tcp_end_cwnd_reduction()
            if (r.undo.mayUndo(tsEcr)) {
                undoReduction(c, nowNanos, false, Counter.TcpExtTCPFullUndo);
            } else {
                c.cc.onRecoveryEnd(nowNanos);
                r.rack.recoveryEnded();
            }
            r.exitRecovery();
        }
        if (r.phase == RecoveryPhase.RTO_RECOVERY && processLoss(c, nowNanos, advanced, duplicate, tsEcr)) {
            return;
        }
        if (r.phase != RecoveryPhase.RTO_RECOVERY && r.undo.allReportedDuplicate()) {
            // Linux tcp_try_undo_dsack(): in recovery, or after it (the D-SACKs often come after the full ACK)
            undoReduction(c, nowNanos, false, Counter.TcpExtTCPDSACKUndo);
            r.rack.recoveryUndone();
            r.exitRecovery();
        }
        int lostBefore = r.log.lostOut;
        markLost(c, nowNanos);
        boolean newlyLost = r.log.lostOut > lostBefore;
        if (r.phase == RecoveryPhase.OPEN && r.log.lostOut > 0) {
            r.enterFastRecovery(c, nowNanos); // Linux tcp_time_to_recover(): lost_out > 0
        }
        if (r.phase == RecoveryPhase.FAST_RECOVERY && r.prrActive) {
            r.prr.onAck(r.ackDelivered, r.log.inFlightPackets(), advanced && !newlyLost, 1);
        }
    }

    /** RFC 8985 §6.2 step 5 when something was delivered (Linux tcp_rack_mark_lost()): mark losses, arm or stop the reordering timer. */
    private void markLost(Sender c, long nowNanos) {
        if (!r.rack.advanced) {
            return;
        }
        r.rack.advanced = false;
        long wait = detect(c, nowNanos);
        reorderDeadlineNanos = wait > 0 ? nowNanos + Rack.timerDelayNanos(wait) : NONE;
    }

    private long detect(Sender c, long nowNanos) {
        lostRetransmits[0] = 0;
        long reoWnd = r.rack.reoWndNanos(r.phase != RecoveryPhase.OPEN, r.log.sackedOut, c.minRttNanos(), c.srttNanos());
        long wait = r.rack.detectLoss(r.log, nowNanos, reoWnd, lostRetransmits);
        if (lostRetransmits[0] > 0) {
            c.stats.add(Counter.TcpExtTCPLostRetransmit, lostRetransmits[0]);
        }
        return wait;
    }

    /**
     * The RACK reordering timer fired (RFC 8985 §6.3; Linux tcp_rack_reo_timeout()): the segments
     * whose reordering window has now passed are lost; if any are, fast recovery starts (from
     * the open state) and they are retransmitted. Returns whether something may be sent.
     */
    boolean reorderTimeout(Sender c, long nowNanos) {
        reorderDeadlineNanos = NONE;
        if (!c.rackMode) {
            return false;
        }
        int inFlightBefore = r.log.inFlightPackets();
        long wait = detect(c, nowNanos);
        reorderDeadlineNanos = wait > 0 ? nowNanos + Rack.timerDelayNanos(wait) : NONE;
        if (inFlightBefore == r.log.inFlightPackets()) {
            return false;
        }
        if (r.phase == RecoveryPhase.OPEN) {
            r.enterFastRecovery(c, nowNanos);
            if (r.prrActive) {
                r.prr.onAck(1, r.log.inFlightPackets(), false, 1); // Linux: tcp_cwnd_reduction(sk, 1, newly_lost, 0)
            }
        }
        return true;
    }

    long reorderDeadlineNanos() {
        return reorderDeadlineNanos;
    }

    /**
     * Linux tcp_process_loss(): an ACK after a retransmission timeout. The timeout is undone when
     * the retransmissions proved unneeded (tcp_try_undo_loss()) or, by F-RTO (RFC 5682 §3.1, the
     * SACK-enhanced version), when data never retransmitted is ACKed or SACKed. Returns whether the
     * ACK was fully handled.
     */
    boolean processLoss(Sender c, long nowNanos, boolean advanced, boolean duplicate, int tsEcr) {
        Sender t = c;
        frtoSendsNew = false; // Linux REXMIT_NEW holds for the ACK that asked for it only
        boolean recovered = SeqNum.ge(t.sndUna, r.recoveryPoint);
        if (advanced && r.undo.mayUndo(tsEcr)) {
            undoLoss(c, nowNanos, false);
            return true;
        }
        if (frto) {
            if (r.ackOriginalDelivered && r.undo.armed()) {
                undoLoss(c, nowNanos, true); // step 3.b: never-retransmitted data arrived, the timeout was spurious
                return true;
            }
            if (SeqNum.gt(t.sndNxt, r.recoveryPoint)) {
                if (r.ackDataSacked || duplicate) {
                    frto = false; // step 3.a: the loss was real
                }
            } else if (advanced && !recovered) {
                r.recoveryPoint = t.sndNxt; // step 2.b: try new data, deferred until cwnd grew on this ACK
                if (t.recovery().newDataFitsWindow()) {
                    frtoSendsNew = true;
                    return true;
                }
                frto = false;
            }
        }
        if (recovered) {
            r.exitRecovery(); // step 2.a / 3.a: recovered; Linux tcp_try_undo_recovery() found nothing to undo
            return false;
        }
        return false;
    }

    /**
     * Linux tcp_enter_loss() for a connection without SACK: the prior window kept for undo (a new
     * episode), F-RTO started (RFC 5682 §2, the basic algorithm: tcp_frto applies to Reno too). The
     * caller marks everything lost (go-back-N) as for any profile.
     */
    void renoTimeout(Sender c, int retransmitsBefore) {
        Sender t = c;
        boolean newEpisode = r.phase == RecoveryPhase.OPEN || !SeqNum.gt(r.recoveryPoint, t.sndUna)
                || (r.phase == RecoveryPhase.RTO_RECOVERY && retransmitsBefore == 0);
        if (newEpisode) {
            r.undo.begin(t.sndUna, 0, c.cc.cwndBytes(), r.currentSsthresh(c));
        }
        frto = r.phase == RecoveryPhase.OPEN || retransmitsBefore > 0;
        frtoSendsNew = false;
    }

    private void undoLoss(Sender c, long nowNanos, boolean byFrto) {
        undoReduction(c, nowNanos, true, Counter.TcpExtTCPLossUndo);
        if (byFrto) {
            c.stats.increment(Counter.TcpExtTCPSpuriousRTOs);
        }
        frto = false;
        frtoSendsNew = false;
        r.forcedLostEnd = c.sndUna; // nothing is presumed lost any more (go-back-N stops)
        r.exitRecovery();
    }

    /**
     * Linux tcp_undo_cwnd_reduction(): cwnd and ssthresh as they were before the episode; after a
     * timeout the segments it marked lost are not lost any more.
     */
    private void undoReduction(Sender c, long nowNanos, boolean unmarkLost, Counter counter) {
        if (unmarkLost) {
            for (int i = r.log.first(); i < r.log.end(); i++) {
                if (r.log.has(i, TransmitLog.LOST)) {
                    r.log.unmark(i, TransmitLog.LOST);
                }
            }
        }
        c.cc.onUndo(nowNanos, r.undo.priorCwndBytes(), r.undo.priorSsthreshBytes());
        r.undo.done();
        r.rack.advanced = true; // Linux: force RACK to re-examine losses
        c.stats.increment(counter);
    }
}
