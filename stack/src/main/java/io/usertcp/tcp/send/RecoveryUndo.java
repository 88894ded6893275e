package io.usertcp.tcp.send;

import io.usertcp.wire.SeqNum;

/**
 * The state that lets a window reduction be undone when it proves spurious, as Linux keeps it
 * (undo_marker, undo_retrans, prior_cwnd, prior_ssthresh, retrans_stamp): a recovery whose every
 * retransmission the peer reported as a duplicate (RFC 2883 D-SACK; Linux tcp_try_undo_recovery(),
 * tcp_try_undo_dsack()), or whose retransmission the peer's timestamp echo shows was not needed
 * (RFC 3522 Eifel; Linux tcp_packet_delayed()), restores cwnd and ssthresh.
 */
final class RecoveryUndo {
    private boolean armed;
    /** Linux undo_marker: SND.UNA when the episode began. */
    private int marker;
    /** Linux undo_retrans: retransmissions not yet reported as duplicates; −1 before the first. */
    private int retransmissions = -1;
    private long priorCwndBytes;
    private long priorSsthreshBytes;
    /** Our timestamp clock when the first retransmission of the episode went (Linux retrans_stamp); valid if {@link #stamped}. */
    private int firstRetransmitTs;
    private boolean stamped;

    /**
     * A reduction begins (Linux tcp_init_undo() with the prior values): {@code retransOut}
     * retransmissions are already in flight (a loss probe's, say).
     */
    void begin(int una, int retransOut, long cwndBytes, long ssthreshBytes) {
        armed = true;
        marker = una;
        retransmissions = retransOut > 0 ? retransOut : -1;
        priorCwndBytes = cwndBytes;
        priorSsthreshBytes = ssthreshBytes;
    }

    boolean armed() {
        return armed;
    }

    /** A retransmission of {@code segments} segments went out at our timestamp {@code tsNow}. */
    void retransmitted(int segments, int tsNow) {
        if (retransmissions < 0) {
            retransmissions = 0;
        }
        retransmissions += segments;
        if (!stamped) {
            stamped = true;
            firstRetransmitTs = tsNow;
        }
    }

    /**
     * A D-SACK reported {@code segments} duplicate segments ending at {@code end}: if they were ours
     * to retransmit in this episode (beyond the marker), fewer retransmissions remain unexplained
     * (Linux tcp_check_dsack(), tcp_sacktag_one()).
     */
    void duplicateReported(int end, int segments) {
        if (armed && retransmissions > 0 && SeqNum.gt(end, marker)) {
            retransmissions = Math.max(0, retransmissions - segments);
        }
    }

    /** Nothing is being retransmitted any more (Linux clears retrans_stamp in the Open state). */
    void clearStamp() {
        stamped = false;
    }

    /**
     * Linux tcp_may_undo(): an episode is armed and either every retransmission was reported as a
     * duplicate, or the ACK's timestamp echo {@code tsEcr} (0: none) predates the first
     * retransmission, so the original got through (tcp_packet_delayed(), RFC 3522).
     */
    boolean mayUndo(int tsEcr) {
        return armed && (retransmissions == 0 || delayed(tsEcr));
    }

    /** Whether all retransmissions were reported as duplicates (Linux tcp_try_undo_dsack()'s test). */
    boolean allReportedDuplicate() {
        return armed && retransmissions == 0;
    }

    boolean delayed(int tsEcr) {
        return stamped && tsEcr != 0 && SeqNum.lt(tsEcr, firstRetransmitTs);
    }

    long priorCwndBytes() {
        return priorCwndBytes;
    }

    long priorSsthreshBytes() {
        return priorSsthreshBytes;
    }

    /** The reduction was undone (Linux: undo_marker = 0). */
    void done() {
        armed = false;
    }
}
