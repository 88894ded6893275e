package io.usertcp.tcp.send;

import io.usertcp.wire.SeqNum;

/**
 * Tail Loss Probe (RFC 8985 §7), as Linux tcp_schedule_loss_probe(), tcp_send_loss_probe() and
 * tcp_process_tlp_ack() run it: when nothing is being recovered and no ACK comes for about two
 * round trips, send one segment (new data if the peer's window allows, else the last segment
 * again) so that a lost tail is reported by SACK and repaired by fast recovery instead of waiting
 * for the retransmission timeout. At most one probe is outstanding (an episode ends at the ACK
 * beyond {@code TLPRxtOut}'s SND.NXT); when the probe itself repaired a loss, cwnd is reduced
 * once (RFC 8985 §7.4.2).
 */
final class LossProbe {
    /** Linux TCP_TIMEOUT_MIN_US: added to 2·SRTT when several segments are in flight. */
    static final long TIMEOUT_MIN_NANOS = 2_000_000L;
    /** RFC 8985 §7.2: the PTO before any RTT sample (Linux TCP_TIMEOUT_INIT). */
    static final long NO_SAMPLE_PTO_NANOS = 1_000_000_000L;

    /** RFC 8985 TLPRxtOut/TLPHighRxt as Linux's tlp_high_seq: SND.NXT when the probe went; valid when {@link #outstanding}. */
    private int highSeq;
    private boolean outstanding;
    /** The probe was a retransmission (Linux tlp_retrans), not new data. */
    private boolean retransmission;

    /** What an ACK did to the episode. */
    enum AckResult { NONE, ENDED, LOSS_REPAIRED }

    /**
     * RFC 8985 §7.2 (Linux tcp_schedule_loss_probe()): the probe timeout, 2·SRTT plus the
     * delayed-ACK allowance when a single segment is in flight (Linux adds tcp_rto_min, RFC 8985
     * WCDelAckT) or TCP_TIMEOUT_MIN otherwise, rounded up to a millisecond, and never later than
     * the retransmission timeout would fire ({@code rtoLeftNanos}).
     */
    static long timeoutNanos(long srttNanos, int packetsOut, long rtoMinNanos, long rtoLeftNanos) {
        long pto;
        if (srttNanos > 0) {
            pto = 2 * srttNanos + (packetsOut == 1 ? rtoMinNanos : TIMEOUT_MIN_NANOS);
            pto = (pto + 999_999L) / 1_000_000L * 1_000_000L; // usecs_to_jiffies() at HZ=1000
        } else {
            pto = NO_SAMPLE_PTO_NANOS;
        }
        return rtoLeftNanos > 0 ? Math.min(pto, rtoLeftNanos) : pto;
    }

    /** RFC 8985 §7.3: at most one probe outstanding. */
    boolean outstanding() {
        return outstanding;
    }

    /** A probe went out; SND.NXT is now {@code sndNxt}. */
    void sent(int sndNxt, boolean retransmitted) {
        highSeq = sndNxt;
        outstanding = true;
        retransmission = retransmitted;
    }

    /** A recovery or a timeout began: the episode is over (Linux tcp_init_cwnd_reduction(), tcp_retransmit_timer()). */
    void reset() {
        outstanding = false;
    }

    /**
     * RFC 8985 §7.4 (Linux tcp_process_tlp_ack()): an ACK of {@code ack} while a probe is outstanding.
     *
     * @param dsackOfProbe the ACK carries a D-SACK for the probe: both the original and the probe arrived
     * @param pureDuplicate the ACK advanced nothing, SACKed nothing and carried no data or window change
     */
    AckResult onAck(int ack, boolean dsackOfProbe, boolean pureDuplicate) {
        if (!outstanding || SeqNum.lt(ack, highSeq)) {
            return AckResult.NONE;
        }
        if (!retransmission || dsackOfProbe) {
            outstanding = false; // new data was probed, or the D-SACK says nothing was lost
            return AckResult.ENDED;
        }
        if (SeqNum.gt(ack, highSeq)) {
            outstanding = false; // the probe repaired a loss: reduce cwnd once (tcp_init_cwnd_reduction())
            return AckResult.LOSS_REPAIRED;
        }
        if (pureDuplicate) {
            outstanding = false; // the original and the probe both arrived
            return AckResult.ENDED;
        }
        return AckResult.NONE;
    }

    int highSeq() {
        return highSeq;
    }
}
