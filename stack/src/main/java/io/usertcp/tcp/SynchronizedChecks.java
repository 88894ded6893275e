package io.usertcp.tcp;

import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;

/**
 * The checks RFC 9293 §3.10.7.4 makes of a segment in a synchronized state, with RFC 5961's
 * mitigations, in one place for live connections ({@link SegmentArrival}) and TIME-WAIT entries
 * ({@link TimeWaitTable}) alike: acceptability (first check), the RST bit (second) and the SYN
 * bit (fourth). The profile answers where the references differ. Pure functions of the segment and
 * the receive window.
 */
final class SynchronizedChecks {
    private SynchronizedChecks() {}

    /** What the RST bit of a segment means (RFC 9293 §3.10.7.4 second check, RFC 5961 §3.2). */
    enum RstVerdict {
        /** Outside the window: drop silently. */
        OUT_OF_WINDOW,
        /** In the window but not exactly at RCV.NXT (RFC 5961): a challenge ACK, nothing else. */
        CHALLENGE_ACK,
        /** Exactly at RCV.NXT, or anywhere in the window in RFC 793 mode: the connection resets. */
        RESET
    }

    /** What the SYN bit of a segment means (RFC 9293 §3.10.7.4 fourth check, RFC 5961 §4.2). */
    enum SynVerdict {
        /** RFC 5961: a challenge ACK whatever the sequence number. */
        CHALLENGE_ACK,
        /** RFC 793: an in-window SYN is an error; reset the connection. */
        RESET,
        /** RFC 793: the SYN lies before RCV.NXT: old, trimmed away; the rest of the segment is processed. */
        OLD_SYN_TRIMMED,
        /** RFC 793: outside the window: the unacceptable-segment ACK. */
        OUT_OF_WINDOW
    }

    /**
     * RFC 9293 §3.10.7.4, first check: the four cases of the acceptability test, with the
     * zero-window allowance ("special allowance should be made to accept valid ACKs, URGs, and
     * RSTs": their text is trimmed away, the control information is processed).
     */
    static boolean acceptable(int rcvNxt, long window, int seq, int segmentLength) {
        if (segmentLength == 0) {
            return window == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, window);
        }
        if (window == 0) {
            return seq == rcvNxt;
        }
        return SeqNum.inWindow(seq, rcvNxt, window) || SeqNum.inWindow(seq + segmentLength - 1, rcvNxt, window);
    }

    /**
     * A deviation from RFC 9293's letter (for SEG.LEN = 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND),
     * as Linux (tcp_sequence: {@code !after(seq, rcv_nxt + window)}) and the BSDs (tcp_input trims
     * only text beyond the edge) make it, when the profile says so: an ACK without text whose
     * SEG.SEQ is exactly RCV.NXT+RCV.WND is accepted. A peer that has filled our window while our
     * RCV.NXT waits at a hole sends every ACK with SEQ = its SND.NXT, right at our edge. Rejecting
     * those drops the acknowledgments they carry and answers each with an ACK, which the peer, in the
     * same position in a two-way transfer, rejects and answers in turn: an ACK war. RSTs keep the
     * strict test (RFC 5961 §3.2 drops them silently outside the window).
     */
    static boolean ackAtRightEdge(TcpProfile profile, int rcvNxt, long window, int seq, int segmentLength, int flags) {
        return profile.acceptsAckAtRightEdge() && segmentLength == 0 && (flags & TcpFlags.RST) == 0 && window > 0
                && seq == rcvNxt + (int) window;
    }

    /** Second check: a RST at {@code seq} (RFC 9293 §3.10.7.4; RFC 5961 §3.2 unless the profile is in RFC 793 mode). */
    static RstVerdict rst(TcpProfile profile, int rcvNxt, long window, int seq) {
        if (!SeqNum.inWindow(seq, rcvNxt, Math.max(1, window))) {
            return RstVerdict.OUT_OF_WINDOW;
        }
        return seq == rcvNxt || !profile.challengeAckForInexactRst() ? RstVerdict.RESET : RstVerdict.CHALLENGE_ACK;
    }

    /**
     * Fourth check: a SYN at {@code seq}. RFC 5961 §4.2: a challenge ACK irrespective of the
     * sequence number. RFC 793 (the profile's switch off): an in-window SYN resets; a SYN before
     * RCV.NXT was accepted only because its text or FIN reaches into the window, so the SYN itself
     * is old and is trimmed away ("process only the new part"); beyond the window it is unacceptable.
     */
    static SynVerdict syn(TcpProfile profile, int rcvNxt, long window, int seq) {
        if (profile.challengeAckForSyn()) {
            return SynVerdict.CHALLENGE_ACK;
        }
        if (SeqNum.lt(seq, rcvNxt)) {
            return SynVerdict.OLD_SYN_TRIMMED;
        }
        return SeqNum.inWindow(seq, rcvNxt, Math.max(1, window)) ? SynVerdict.RESET : SynVerdict.OUT_OF_WINDOW;
    }
}
