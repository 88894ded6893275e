package io.usertcp.tcp;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.send.Sender;

/**
 * What each timer does when it expires. The timer table itself lives in {@link TcpConnection};
 * expiry only changes state and raises flags for {@link TcpOutput}, which sends.
 */
final class TcpTimers {
    private TcpTimers() {}

    static void expired(TcpConnection c, TcpTimer timer, long nowNanos) {
        switch (timer) {
            case RETRANSMIT -> retransmit(c, nowNanos);
            case DELAYED_ACK -> {
                c.receiver.delayedAckFired(); // Linux tcp_delack_timer_handler: the ACK found nothing to ride on
                c.ackNow = true;
                c.host.wantsOutput(c);
            }
            case PERSIST -> persist(c, nowNanos);
            case KEEPALIVE -> keepalive(c, nowNanos);
            case FIN_WAIT_2 -> finWait2(c, nowNanos);
            case USER_TIMEOUT -> userTimeout(c, nowNanos);
            case TIME_WAIT -> { } // TIME-WAIT is kept by TimeWaitTable, never by a connection
            case REORDER -> {
                if (c.state.isSynchronized() && c.sender.recovery().reorderTimeout(nowNanos)) {
                    c.host.wantsOutput(c);
                }
                c.armOrDisarm(TcpTimer.REORDER, c.sender.recovery().reorderDeadlineNanos());
            }
            case LOSS_PROBE -> lossProbe(c, nowNanos);
        }
    }

    /** RFC 6298 §5.4-5.6: retransmit the oldest unacknowledged segment, back off, restart the timer. */
    private static void retransmit(TcpConnection c, long nowNanos) {
        Sender snd = c.sender;
        if (snd.allAcknowledged() && !c.synPending) {
            return; // everything was acknowledged meanwhile
        }
        int limit = switch (c.state) {
            case SYN_SENT -> c.synRetries();
            case SYN_RECEIVED -> c.parent != null ? c.config.synAckRetries() : c.synRetries();
            default -> c.config.dataRetries();
        };
        if (snd.retransmits() >= limit) {
            giveUp(c, nowNanos);
            return;
        }
        snd.retransmitTimeout(nowNanos); // RFC 6298 §5.5: back off; Karn; RFC 5681 §3.1 go back N
        if (c.state == TcpState.SYN_SENT || c.state == TcpState.SYN_RECEIVED) {
            c.synPending = true;
            snd.handshakeRetransmitted();
        } else {
            // FIN-WAIT-1 entered from SYN-RECEIVED may still owe the SYN,ACK, then the FIN.
            c.synPending = !snd.synAcked();
            c.retransmitPending = true;
        }
        c.arm(TcpTimer.RETRANSMIT, nowNanos + snd.rtoNanos());
        c.host.wantsOutput(c);
    }

    /**
     * RFC 8985 §7.3 (Linux tcp_send_loss_probe()): the probe timer fired. With no probe outstanding,
     * the transmitter sends one (new data, or the last segment again); either way the
     * retransmission timer takes over again.
     */
    private static void lossProbe(TcpConnection c, long nowNanos) {
        Sender snd = c.sender;
        if (snd.allAcknowledged() || !c.state.isSynchronized()) {
            return;
        }
        if (snd.recovery().lossProbeOutstanding() || snd.inRecovery()) {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + snd.recovery().rtoFromOldestNanos(nowNanos));
            return;
        }
        c.lossProbePending = true;
        c.host.wantsOutput(c);
    }

    private static void giveUp(TcpConnection c, long nowNanos) {
        switch (c.state) {
            case SYN_SENT -> {
                c.host.stats().increment(Counter.TcpAttemptFails);
                c.enterClosed(nowNanos, c.timedOut(CloseReason.CONNECT_TIMEOUT), "SYN retries exhausted");
            }
            case SYN_RECEIVED -> {
                c.host.stats().increment(Counter.TcpAttemptFails);
                // A passive child was never seen by the application: it just goes (Linux drops the request sock).
                c.enterClosed(nowNanos, c.timedOut(CloseReason.CONNECT_TIMEOUT), "SYN-ACK retries exhausted");
            }
            default -> {
                // Linux tcp_write_err: the connection fails with ETIMEDOUT (or the ICMP soft error), no RST is sent.
                c.host.stats().increment(Counter.TcpExtTCPAbortOnTimeout);
                c.enterClosed(nowNanos, c.timedOut(CloseReason.RETRANSMIT_TIMEOUT), "retransmission retries exhausted");
            }
        }
        c.release();
    }

    /**
     * RFC 9293 §3.8.6.1: while the peer's window is zero and we have data, probe it. The probe is an
     * ACK with SEG.SEQ = SND.UNA - 1 (Linux's tcp_xmit_probe_skb), which the peer must answer with
     * an ACK carrying its current window. When the window is open but smaller than what sender SWS
     * avoidance waits for, this expiry is RFC 9293 §3.8.6.2.1's override timeout instead: TcpOutput
     * sends what fits (Linux tcp_write_wakeup). The interval doubles on each expiry, up to the RTO
     * maximum; the RTO itself is left alone.
     */
    private static void persist(TcpConnection c, long nowNanos) {
        Sender snd = c.sender;
        if (!c.state.isSynchronized() || !snd.persistUseful()) {
            return; // nothing waits for the window, or data is in flight and the retransmission timer watches it
        }
        if (!snd.persistExpired()) {
            giveUp(c, nowNanos); // Linux tcp_probe_timer: the peer is gone
            return;
        }
        c.probePending = true;
        c.arm(TcpTimer.PERSIST, nowNanos + snd.persistIntervalNanos());
        c.host.wantsOutput(c);
    }

    /**
     * RFC 1122 §4.2.3.6: after the idle time with nothing heard, probe every interval; after the
     * configured number of unanswered probes the peer is dead. Linux then sends RST.
     */
    private static void keepalive(TcpConnection c, long nowNanos) {
        if (c.keepInitNanos > 0 && (c.state == TcpState.SYN_SENT || c.state == TcpState.SYN_RECEIVED)) {
            // FreeBSD TCP_KEEPINIT: the keep-alive timer bounds connection establishment (tcp_timer_keep).
            c.host.stats().increment(Counter.TcpAttemptFails);
            c.enterClosed(nowNanos, CloseReason.CONNECT_TIMEOUT, "TCP_KEEPINIT expired");
            c.release();
            return;
        }
        if (!c.keepAliveEnabled || !c.state.isSynchronized()) {
            return;
        }
        if (!c.sender.allAcknowledged() || c.sender.bufferedBytes() > 0) {
            // Data is in flight: the retransmission timer watches the peer (Linux tcp_keepalive_timer).
            c.arm(TcpTimer.KEEPALIVE, nowNanos + c.keepaliveIdleNanos);
            return;
        }
        long idle = nowNanos - c.lastReceivedNanos;
        if (idle < c.keepaliveIdleNanos) {
            c.arm(TcpTimer.KEEPALIVE, c.lastReceivedNanos + c.keepaliveIdleNanos);
            return;
        }
        if (c.keepaliveProbesSent >= c.keepaliveProbes) {
            c.host.stats().increment(Counter.TcpExtTCPAbortOnTimeout);
            c.abortWithReset(nowNanos, CloseReason.KEEPALIVE_TIMEOUT, "keepalive probes unanswered");
            return;
        }
        c.keepaliveProbesSent++;
        c.host.stats().increment(Counter.TcpExtTCPKeepAlive);
        c.probePending = true;
        c.arm(TcpTimer.KEEPALIVE, nowNanos + c.keepaliveIntervalNanos);
        c.host.wantsOutput(c);
    }

    /** An orphaned FIN-WAIT-2 connection is reclaimed: with a RST (Linux, RFC 9293 ABORT) or silently (FreeBSD), as the profile says. */
    private static void finWait2(TcpConnection c, long nowNanos) {
        if (c.state != TcpState.FIN_WAIT_2) {
            return;
        }
        if (c.config.profile().resetsOnFinWait2Timeout()) {
            c.abortWithReset(nowNanos, CloseReason.FIN_WAIT_2_TIMEOUT, "FIN-WAIT-2 timeout");
        } else {
            c.enterClosed(nowNanos, CloseReason.FIN_WAIT_2_TIMEOUT, "FIN-WAIT-2 timeout");
            c.release();
        }
    }

    /** RFC 5482: data stayed unacknowledged for the user timeout; the connection is aborted. */
    private static void userTimeout(TcpConnection c, long nowNanos) {
        if (!c.sender.allAcknowledged()) {
            c.host.stats().increment(Counter.TcpExtTCPAbortOnTimeout);
            c.enterClosed(nowNanos, CloseReason.USER_TIMEOUT, "user timeout");
            c.release();
        }
    }
}
