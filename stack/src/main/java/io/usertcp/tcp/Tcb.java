package io.usertcp.tcp;

/**
 * The transmission control block's sequence variables, with RFC 9293 §3.3.1 names, plus what the
 * SYN exchange negotiated. Plain mutable state owned by one {@link TcpConnection}; all sequence
 * numbers are compared with {@link io.usertcp.wire.SeqNum}.
 *
 * <pre>
 *  send:     SND.UNA ≤ (sent, unacknowledged) < SND.NXT ≤ (may send) < SND.UNA + SND.WND
 *  receive:  RCV.NXT ≤ (may receive) < RCV.NXT + RCV.WND
 * </pre>
 */
final class Tcb {
    // ---- send sequence space ----
    /** Initial send sequence number. */
    int iss;
    /** Oldest unacknowledged sequence number. */
    int sndUna;
    /** Next sequence number to send (the highest sent so far: retransmissions do not move it back). */
    int sndNxt;
    /** Send window in bytes, already scaled. */
    long sndWnd;
    /** Segment sequence number used for the last window update. */
    int sndWl1;
    /** Segment acknowledgment number used for the last window update. */
    int sndWl2;
    /** The largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
    long maxSndWnd;

    // ---- receive sequence space ----
    /** Initial receive sequence number. */
    int irs;
    /** Next sequence number expected. */
    int rcvNxt;
    /** Right edge of the window we last advertised: RCV.NXT + RCV.WND as the peer knows it. */
    int rcvAdv;

    // ---- negotiated on the SYN exchange ----
    /** Largest payload we put in a segment (peer's MSS, our MTU, minus options we always send). */
    int sndMss = 536;
    /** The MSS we announce: our MTU minus 40. */
    int rcvMss = 536;
    /** Shift applied to windows the peer sends (RFC 7323 §2.3, Snd.Wind.Shift). */
    int sndWndShift;
    /** Shift applied to windows we send (Rcv.Wind.Shift). */
    int rcvWndShift;
    /** The shift we offer in our SYN (RFC 7323 §2.2); used only if the peer offers one too. */
    int offeredRcvWndShift;
    /** Both SYNs carried the window-scale option, so both shifts apply (RFC 7323 §2.2). */
    boolean windowScalingAgreed;
    boolean sackPermitted;
    boolean timestampsEnabled;
    /** RFC 7323 §4.3 TS.Recent: the peer's TSval to echo. */
    int tsRecent;
    /** When TS.Recent was last updated, for the 24-day staleness rule of RFC 7323 §5.5. */
    long tsRecentNanos;
    /**
     * RFC 7323 §4.3 Last.ACK.sent: the ACK field of the last segment we sent (Linux rcv_wup). Only a
     * segment starting at or before it updates TS.Recent, so a delayed ACK echoes the earliest
     * unacknowledged segment's TSval.
     */
    int lastAckSent;
    /** Per-connection offset added to our timestamp clock (RFC 7323 §5.4, randomised). */
    int tsOffset;

    /** End of the last less-than-MSS segment sent (Minshall's Nagle: SND.SML, Linux snd_sml). */
    int sndSml;

    /** Our FIN's sequence number once the FIN has been queued; valid when {@link #finQueued}. */
    int finSeq;
    boolean finQueued;
    /** Whether our FIN has been sent at least once. */
    boolean finSent;

    /** Starts the send sequence space at {@code iss}: the SYN takes ISS, so SND.NXT is ISS+1. */
    void startSendSequence(int iss) {
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss + 1;
        this.sndSml = iss;
    }

    /** Whether our SYN has been acknowledged: SND.UNA is past ISS. */
    boolean synAcked() {
        return sndUna != iss;
    }

    /** Whether our FIN has been sent and acknowledged. */
    boolean finAcked() {
        return finSent && sndUna == finSeq + 1;
    }

    /** RCV.WND as the peer sees it: from RCV.NXT to the advertised right edge (never negative). */
    long rcvWnd() {
        long w = rcvAdv - rcvNxt;
        return w < 0 ? 0 : w;
    }
}
