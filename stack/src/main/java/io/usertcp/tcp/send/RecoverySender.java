package io.usertcp.tcp.send;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.SeqNum;

/**
 * The sending half's loss-recovery face for the connection, beside {@link Sender}: the RACK
 * reordering timer (RFC 8985 §6.3), the tail loss probe (RFC 8985 §7), the retransmission timer's
 * Linux rules, and TCP_INFO's recovery counts. Kept apart so that Sender stays about the send
 * sequence space; public only because the connection lives in another package. Stack-thread only.
 */
public final class RecoverySender {
    private final Sender t;

    RecoverySender(Sender sender) {
        this.t = sender;
    }

    /** The RACK reordering timer's deadline (RFC 8985 §6.3), or {@link Long#MIN_VALUE} for none. */
    public long reorderDeadlineNanos() {
        return t.rackMode ? t.recovery.rackRecovery.reorderDeadlineNanos() : Long.MIN_VALUE;
    }

    /** The reordering timer fired; returns whether lost segments now wait to be retransmitted. */
    public boolean reorderTimeout(long nowNanos) {
        return t.recovery.rackRecovery.reorderTimeout(t, nowNanos);
    }

    /**
     * RFC 8985 §7.2 (Linux tcp_schedule_loss_probe()): the probe timeout from now, or −1 when no
     * probe is due: RACK-TLP off, nothing in flight, or loss recovery, Disorder included, under way.
     *
     * @param rtoLeftNanos how long until the retransmission timer would fire (the PTO is never later)
     */
    public long lossProbeDelayNanos(long rtoLeftNanos) {
        if (!t.rackMode || t.sndUna == t.sndNxt || !t.synAcked() || t.recovery.inRecovery() || t.recovery.disorder()) {
            return -1;
        }
        return LossProbe.timeoutNanos(t.rtt.srttNanos(), Math.max(1, t.recovery.log.packetsOut), t.config.rtoMinNanos(), rtoLeftNanos);
    }

    /** Whether resending SND.UNA's segment in recovery restarts the RTO (Linux, RACK connections). */
    public boolean restartsRtoOnHeadRetransmit() {
        return t.rackMode;
    }

    /** Whether a loss probe is already outstanding (RFC 8985 §7.3: one at a time). */
    public boolean lossProbeOutstanding() {
        return t.lossProbe.outstanding();
    }

    /** Whether one new segment fits the peer's window now (the loss probe and F-RTO prefer new data). */
    public boolean newDataFitsWindow() {
        int unsent = t.unsentBytes();
        return unsent > 0 && t.mayStartNewData() && t.window() - t.flightSize() >= Math.min(t.sndMss, unsent);
    }

    /** RFC 8985 §7.3: where a probe that resends the last segment starts (it ends at SND.NXT). */
    public int lossProbeRetransmitStart() {
        TransmitLog log = t.recovery.log;
        int start = log.isEmpty() ? t.sndNxt - Math.min(t.sndMss, t.flightSize()) : log.start(log.end() - 1);
        return SeqNum.max(start, t.oldestUnacked());
    }

    /** A loss probe went out (new data, or {@code retransmission}); counted as Linux TCPLossProbes. */
    public void lossProbeSent(boolean retransmission) {
        t.lossProbe.sent(t.sndNxt, retransmission);
        t.stats.increment(Counter.TcpExtTCPLossProbes);
    }

    /** When the retransmission timer, counted from the oldest segment's last transmission, would fire (Linux tcp_rto_delta_us()). */
    public long rtoFromOldestNanos(long nowNanos) {
        TransmitLog log = t.recovery.log;
        return log.isEmpty() ? t.rtt.rtoNanos() : Math.max(1, log.sentNanos(log.first()) + t.rtt.rtoNanos() - nowNanos);
    }

    /** tcpi_ca_state's Disorder: SACKs, duplicate ACKs or retransmissions outstanding, no t.recovery. */
    public boolean disorder() {
        return t.recovery.disorder();
    }

    /** tcpi_reordering (Linux tp->reordering). */
    public int reordering() {
        return t.recovery.rack.reordering;
    }

    /** tcpi_reord_seen (Linux reord_seen). */
    public int reorderingSeen() {
        return t.recovery.rack.reorderingSeen;
    }

    /** tcpi_sacked, tcpi_retrans, tcpi_lost: segments SACKed, retransmitted and in flight, judged lost. */
    public int sackedPackets() {
        return t.recovery.log.sackedOut;
    }

    public int retransmittedPackets() {
        return t.recovery.log.retransOut;
    }

    public int lostPackets() {
        return t.recovery.lostPackets(t);
    }

    /** RFC 8985 §7.4 (Linux tcp_process_tlp_ack()): a probe that repaired a loss reduces cwnd once, as for ECN (CWR). */
    void probeAcked(long nowNanos, int ack, boolean pureDuplicate) {
        if (t.lossProbe.onAck(ack, t.recovery.dsackCovers(t.lossProbe.highSeq()), pureDuplicate) == LossProbe.AckResult.LOSS_REPAIRED
                && !t.recovery.inRecovery()) {
            t.cc.onLossDetected(nowNanos, t.flightSize());
            t.cc.onRecoveryEnd(nowNanos);
            t.lossReduction();
            t.stats.increment(Counter.TcpExtTCPLossProbeRecovery);
        }
    }
}
