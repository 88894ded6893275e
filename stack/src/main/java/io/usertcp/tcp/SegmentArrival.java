package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;

/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7.3 and §3.10.7.4) for a connection that has a TCB: the checks
 * in the RFC's order, one method per step — sequence number, RST, SYN, ACK, text, FIN (security and
 * URG are not implemented: the urgent pointer is ignored and the data treated as ordinary, as
 * RFC 6093 §5 recommends for new applications).
 *
 * <p>Input never writes to the link: it updates the TCB and raises flags on the connection
 * ({@code ackNow}, {@code synPending}); {@link TcpOutput} sends. The one exception is a RST that
 * answers a segment for which there is no longer a connection, queued through the host.
 *
 * <p>One instance per stack; it keeps the current segment's trimmed fields, so it is not reentrant.
 */
final class SegmentArrival {
    /** RFC 7323 §5.5: TS.Recent older than 24 days is invalid. */
    private static final long PAWS_IDLE_NANOS = 24L * 24 * 3600 * 1_000_000_000L;
    /** RFC 9293 §3.7.1 (MUST-15): the MSS assumed when the peer sends no MSS option. */
    static final int DEFAULT_MSS = 536;
    /** Linux tcp_min_snd_mss: a floor on the peer's MSS, against tiny-segment resource attacks (CVE-2019-11479). */
    static final int MIN_SND_MSS = 48;
    /** RFC 7323 §2.3: the largest usable shift. */
    static final int MAX_WINDOW_SHIFT = 14;

    private final StackStats stats;

    // The current segment after trimming to the receive window (RFC 9293 §3.10.7.4, first check).
    private int dataSeq;
    private int dataOffset;
    private int dataLength;
    private boolean fin;

    SegmentArrival(StackStats stats) {
        this.stats = stats;
    }

    /** Processes one segment for {@code c}; {@code seg} has passed its checks and is borrowed. */
    void arrive(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        switch (c.state) {
            case SYN_SENT -> synSent(c, nowNanos, seg);
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK ->
                    otherStates(c, nowNanos, seg);
            case CLOSED, LISTEN, TIME_WAIT -> { } // never in the connection table
        }
        if ((c.ackNow || c.synPending) && !c.isClosed()) {
            c.host.wantsOutput(c);
        }
    }

    // ------------------------------------------------------------------------------------
    // RFC 9293 §3.10.7.3: SYN-SENT
    // ------------------------------------------------------------------------------------

    private void synSent(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int flags = seg.flags();
        boolean ack = (flags & TcpFlags.ACK) != 0;
        boolean rst = (flags & TcpFlags.RST) != 0;
        // First, check the ACK bit: it must acknowledge our SYN and nothing beyond.
        if (ack && (SeqNum.le(seg.ack(), t.iss) || SeqNum.gt(seg.ack(), t.sndNxt))) {
            if (!rst) {
                c.host.sendReset(nowNanos, c.id, seg.ack()); // <SEQ=SEG.ACK><CTL=RST>
            }
            return;
        }
        // Second, the RST bit: RFC 5961 §3.2 — in SYN-SENT a RST is acceptable if it acknowledges the SYN.
        if (rst) {
            if (ack) {
                stats.increment(Counter.TcpAttemptFails);
                c.enterClosed(nowNanos, CloseReason.REFUSED, "rcv RST,ACK");
                c.release();
            }
            return;
        }
        // Fourth, the SYN bit (third, security, is not implemented).
        if ((flags & TcpFlags.SYN) == 0) {
            return; // fifth: neither SYN nor RST — drop
        }
        // Our SYN advertised its window before RCV.NXT was known: move that right edge onto the real RCV.NXT,
        // or the first ACK would offer whatever SEG.SEQ happens to make of it (RFC 9293 §3.8.6.2.2).
        int synWindow = SeqNum.diff(t.rcvAdv, t.rcvNxt);
        t.irs = seg.seq();
        t.rcvNxt = seg.seq() + 1;
        t.rcvAdv = t.rcvNxt + synWindow;
        negotiate(c, seg.options(), nowNanos);
        // RFC 7323 §2.2: the window of a SYN is never scaled.
        setWindow(t, seg.window(), seg.seq(), seg.ack(), 0);
        if (ack) {
            acknowledgeSyn(c, nowNanos, seg);
            c.becomeEstablished(nowNanos, "rcv SYN,ACK");
            c.ackNow = true;
            // "If there are other controls or text in the segment, continue processing at the sixth step."
            trim(c, seg);
            text(c, nowNanos, seg);
            finArrives(c, nowNanos, seg);
        } else {
            // Simultaneous open (RFC 9293 §3.5, Figure 8): answer with SYN,ACK <SEQ=ISS><ACK=RCV.NXT>.
            c.setState(nowNanos, TcpState.SYN_RECEIVED, "rcv SYN (simultaneous open)");
            c.synPending = true;
            holdSimultaneousSynText(c, seg);
        }
    }

    /**
     * RFC 9293 §3.10.7.3 (SYN-SENT, fourth, SYN without ACK): "If there are other controls or text
     * in the segment, queue them for processing after the ESTABLISHED state has been reached". The
     * text waits in reassembly at RCV.NXT (so our SYN,ACK acknowledges the SYN only) and is
     * delivered when the handshake completes; the FIN too if the profile keeps it. Linux discards both.
     */
    private static void holdSimultaneousSynText(TcpConnection c, TcpSegmentView seg) {
        TcpProfile profile = c.config.profile();
        int length = (int) Math.min(seg.payloadLength(), c.receiveSpace());
        boolean fin = (seg.flags() & TcpFlags.FIN) != 0 && length == seg.payloadLength() && profile.keepsFinOnSimultaneousSyn();
        if (profile.keepsTextOnSimultaneousSyn() && (length > 0 || fin)) {
            c.reassembly.offer(c.tcb.rcvNxt, c.tcb.rcvNxt, seg.buffer(), seg.payloadOffset(), length, fin);
        }
    }

    /** SND.UNA advances past ISS: the SYN is acknowledged, its retransmission stops. */
    private void acknowledgeSyn(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        t.sndUna = seg.ack();
        sampleRtt(c, nowNanos, seg);
        c.retransmits = 0;
        c.disarm(TcpTimer.RETRANSMIT);
        c.synPending = false;
    }

    /**
     * Applies what the SYN exchange negotiated: MSS (RFC 9293 §3.7.1), window scale (RFC 7323
     * §2.2), SACK-permitted (RFC 2018 §2), timestamps (RFC 7323 §3.2). Each is in force only if
     * both SYNs carried it; we always offer what the configuration enables.
     */
    static void negotiate(TcpConnection c, ParsedTcpOptions o, long nowNanos) {
        Tcb t = c.tcb;
        TcpConfig cfg = c.config;
        boolean offered = !c.noOptions; // TCP_NOOPT: we offered nothing, so nothing is agreed
        t.timestampsEnabled = offered && cfg.timestamps() && o.hasTimestamps();
        int peerMss = o.hasMss() ? o.mss() : DEFAULT_MSS;
        // RFC 9293 §3.7.1: the effective send MSS leaves room for the options we put on every segment.
        int optionBytes = t.timestampsEnabled ? 12 : 0;
        t.sndMss = Math.max(MIN_SND_MSS, Math.min(peerMss, t.rcvMss) - optionBytes);
        t.windowScalingAgreed = offered && cfg.windowScaling() && o.hasWindowScale();
        if (t.windowScalingAgreed) {
            // RFC 7323 §2.3: a shift above 14 is used as 14.
            t.sndWndShift = Math.min(o.windowScale(), MAX_WINDOW_SHIFT);
            t.rcvWndShift = t.offeredRcvWndShift;
        } else {
            t.sndWndShift = 0;
            t.rcvWndShift = 0;
        }
        t.sackPermitted = offered && cfg.sack() && o.sackPermitted();
        if (t.timestampsEnabled) {
            t.tsRecent = o.tsVal();
            t.tsRecentNanos = nowNanos;
        }
        t.lastAckSent = t.rcvNxt; // our SYN-ACK or ACK of the SYN acknowledges the peer's SYN
        c.mssNegotiated();
        c.receiveBufferForMss(Math.min(peerMss, t.rcvMss));
    }

    // ------------------------------------------------------------------------------------
    // RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states
    // ------------------------------------------------------------------------------------

    private void otherStates(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int flags = seg.flags();
        boolean rst = (flags & TcpFlags.RST) != 0;
        boolean syn = (flags & TcpFlags.SYN) != 0;
        boolean ack = (flags & TcpFlags.ACK) != 0;
        if (c.state == TcpState.SYN_RECEIVED && syn && !ack && !rst && seg.seq() == t.irs) {
            // A retransmitted SYN: the SYN-ACK was lost, send it again (Linux tcp_check_req).
            c.synPending = true;
            return;
        }
        // Simultaneous open: the peer's SYN,ACK acknowledges our SYN (RFC 9293 Figure 8); RFC 5961 §4.2 lets it through.
        boolean simultaneousSynAck = c.state == TcpState.SYN_RECEIVED && c.parent == null && syn && ack && !rst
                && seg.seq() == t.irs && seg.ack() == t.sndNxt;
        if (!rst && pawsRejects(c, seg.options(), nowNanos)) {
            stats.increment(Counter.TcpExtPAWSEstab);
            c.ackNow = true; // RFC 7323 §5.3 R1: treat as unacceptable: ACK and drop
            return;
        }
        if (syn && !rst && !simultaneousSynAck && c.config.profile().challengeAckForSyn()
                && (c.state.isSynchronized() || c.parent == null)) {
            // RFC 5961 §4.2 (RFC 9293 §3.10.7.4, fourth, MUST-60): in a synchronized state (and an active
            // SYN-RECEIVED, which follows those rules) a SYN gets a challenge ACK "irrespective of the sequence
            // number" — rate-limited and counted even when it lies outside the window (Linux syn_challenge).
            synArrives(c, nowNanos, seg);
            return;
        }
        // First: is the segment acceptable?
        long window = acceptanceWindow(c);
        if (!simultaneousSynAck && !acceptable(t.rcvNxt, window, seg.seq(), seg.segmentLength())
                && !(c.config.profile().acceptsAckAtRightEdge() && ackAtRightEdge(t.rcvNxt, window, seg.seq(), seg.segmentLength(), flags))) {
            if (!rst) {
                c.ackNow = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            }
            if (!ackOfOldDuplicate(c, seg, flags)) {
                return;
            }
        }
        c.lastReceivedNanos = nowNanos;
        c.keepaliveProbesSent = 0;
        c.probesUnanswered = 0;
        updateTsRecent(c, seg, nowNanos);
        trim(c, seg);
        // Second: the RST bit.
        if (rst) {
            rstArrives(c, nowNanos, seg.seq());
            return;
        }
        // Fourth: the SYN bit (third, security, is not implemented).
        if (syn && !simultaneousSynAck && !oldSynTrimmed(c, seg)) {
            synArrives(c, nowNanos, seg);
            return;
        }
        // Fifth: the ACK field. "If the ACK bit is off, drop the segment and return."
        if (!ack || !ackArrives(c, nowNanos, seg)) {
            return;
        }
        if (simultaneousSynAck) {
            c.ackNow = true; // RFC 9293 Figure 8, line 5: both sides ACK the other's SYN,ACK
        }
        // Sixth (URG) is ignored; seventh: the segment text; eighth: the FIN bit.
        if (text(c, nowNanos, seg)) {
            finArrives(c, nowNanos, seg);
        }
        if (c.state == TcpState.FIN_WAIT_1 && c.tcb.finAcked()) {
            enterFinWait2(c, nowNanos); // the FIN that would have taken us to TIME-WAIT was not in order
        }
    }

    /**
     * Whether an unacceptable segment still has its ACK processed: the profile's choice (FreeBSD)
     * for an old duplicate lying wholly before RCV.NXT, without RST or SYN. Trimming then removes
     * its text and FIN, so only the ACK field acts.
     */
    private static boolean ackOfOldDuplicate(TcpConnection c, TcpSegmentView seg, int flags) {
        return c.config.profile().processesAckOfOldDuplicate()
                && (flags & (TcpFlags.RST | TcpFlags.SYN)) == 0 && (flags & TcpFlags.ACK) != 0
                && SeqNum.le(seg.seq() + seg.segmentLength(), c.tcb.rcvNxt);
    }

    /**
     * RCV.WND for the acceptability test and trimming: the advertised window, or what the profile
     * says (FreeBSD). A passive SYN-RECEIVED child is judged by what its SYN,ACK advertised, as
     * FreeBSD's syncache does before a socket exists.
     */
    static long acceptanceWindow(TcpConnection c) {
        if (c.parent != null && c.state == TcpState.SYN_RECEIVED) {
            return c.tcb.rcvWnd();
        }
        return c.config.profile().acceptanceWindow(c.tcb.rcvWnd(), c.receiveSpace());
    }

    /**
     * RFC 9293 §3.10.7.4, the four cases of the acceptability test, with the zero-window allowance.
     * Serves live connections and TIME-WAIT entries alike.
     */
    static boolean acceptable(int rcvNxt, long window, int seq, int segmentLength) {
        if (segmentLength == 0) {
            return window == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, window);
        }
        if (window == 0) {
            // "special allowance should be made to accept valid ACKs, URGs, and RSTs": the text is
            // trimmed away below, the control information is processed.
            return seq == rcvNxt;
        }
        return SeqNum.inWindow(seq, rcvNxt, window) || SeqNum.inWindow(seq + segmentLength - 1, rcvNxt, window);
    }

    /**
     * A deviation from RFC 9293's letter (for SEG.LEN = 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND),
     * as Linux (tcp_sequence: {@code !after(seq, rcv_nxt + window)}) and the BSDs (tcp_input trims
     * only text beyond the edge) make it: an ACK without text whose SEG.SEQ is exactly
     * RCV.NXT+RCV.WND is accepted. A peer that has filled our window while our RCV.NXT waits at a
     * hole sends every ACK with SEQ = its SND.NXT, right at our edge. Rejecting those drops the
     * acknowledgments they carry and answers each with an ACK, which the peer, in the same position
     * in a two-way transfer, rejects and answers in turn: an ACK war, and RTT samples that include
     * the peer's retransmission timeout. RSTs keep the strict test (RFC 5961 §3.2 drops them
     * silently outside the window).
     */
    static boolean ackAtRightEdge(int rcvNxt, long window, int seq, int segmentLength, int flags) {
        return segmentLength == 0 && (flags & TcpFlags.RST) == 0 && window > 0 && seq == rcvNxt + (int) window;
    }

    /** Keeps only the part of the segment inside the window: RFC 9293 §3.10.7.4 "trimmed". */
    private void trim(TcpConnection c, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int flags = seg.flags();
        dataSeq = seg.seq() + ((flags & TcpFlags.SYN) != 0 ? 1 : 0);
        dataOffset = seg.payloadOffset();
        dataLength = seg.payloadLength();
        fin = (flags & TcpFlags.FIN) != 0;
        int early = SeqNum.diff(t.rcvNxt, dataSeq);
        if (early > 0) {
            if (early > dataLength) {
                fin = false; // the FIN, too, was received before: a duplicate
            }
            int cut = Math.min(early, dataLength);
            dataSeq += cut;
            dataOffset += cut;
            dataLength -= cut;
        }
        long room = acceptanceWindow(c) - SeqNum.diff(dataSeq, t.rcvNxt);
        if (dataLength > room) {
            dataLength = (int) Math.max(0, room);
            fin = false; // the FIN lies beyond the window
            // The part beyond the window is not acceptable: "an acknowledgment should be sent in reply", with the
            // current window — this is how a zero-window probe carrying data gets its answer (RFC 9293 §3.8.6.1).
            c.ackNow = true;
        }
    }

    /** RFC 7323 §5.3 R1: SEG.TSval older than TS.Recent marks an old duplicate, unless TS.Recent is stale. */
    private static boolean pawsRejects(TcpConnection c, ParsedTcpOptions o, long nowNanos) {
        Tcb t = c.tcb;
        if (!t.timestampsEnabled || !o.hasTimestamps() || !SeqNum.lt(o.tsVal(), t.tsRecent)) {
            return false;
        }
        if (nowNanos - t.tsRecentNanos > PAWS_IDLE_NANOS) {
            t.tsRecent = o.tsVal(); // R1: idle for more than 24 days, the old value is meaningless
            t.tsRecentNanos = nowNanos;
            return false;
        }
        return true;
    }

    /**
     * RFC 7323 §4.3 (R3): remember SEG.TSval when it is not older and the segment starts at or before
     * Last.ACK.sent — not the current RCV.NXT, which in-order data not yet acknowledged has moved on.
     */
    private static void updateTsRecent(TcpConnection c, TcpSegmentView seg, long nowNanos) {
        Tcb t = c.tcb;
        ParsedTcpOptions o = seg.options();
        if (t.timestampsEnabled && o.hasTimestamps() && SeqNum.ge(o.tsVal(), t.tsRecent) && SeqNum.le(seg.seq(), t.lastAckSent)) {
            t.tsRecent = o.tsVal();
            t.tsRecentNanos = nowNanos;
        }
    }

    /** Second check: RFC 9293 §3.10.7.4 with RFC 5961 §3.2 (only an exact RST resets; others get a challenge ACK). */
    private void rstArrives(TcpConnection c, long nowNanos, int seq) {
        if (c.config.profile().challengeAckForInexactRst() && seq != c.tcb.rcvNxt) {
            challengeAck(c, nowNanos);
            return;
        }
        switch (c.state) {
            case SYN_RECEIVED -> {
                stats.increment(Counter.TcpAttemptFails); // RFC 1213 tcpAttemptFails, Linux tcp_check_req
                if (c.parent != null) {
                    // "If this connection was initiated with a passive OPEN, return it to the LISTEN state":
                    // the half-open child simply disappears; the listener is untouched.
                    c.enterClosed(nowNanos, CloseReason.RESET, "rcv RST (back to LISTEN)");
                } else {
                    c.enterClosed(nowNanos, CloseReason.REFUSED, "rcv RST");
                }
            }
            case ESTABLISHED, CLOSE_WAIT -> {
                stats.increment(Counter.TcpEstabResets);
                c.enterClosed(nowNanos, CloseReason.RESET, "rcv RST");
            }
            case FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK -> c.enterClosed(nowNanos, CloseReason.RESET, "rcv RST");
            case CLOSED, LISTEN, SYN_SENT, TIME_WAIT -> { }
        }
        // RFC 9293 §3.10.7.4 says the segment queues "should be flushed"; Linux (tcp_reset) and the BSDs
        // keep what was received readable, and report the reset once it has been read: an HTTP client
        // still reads the response of a server that closed with unread data. The send queue went in
        // enterClosed; the receive queue goes when the application closes, as it must.
        if (c.closedByUser || c.awaitingAccept) {
            c.release();
        }
    }

    /**
     * RFC 793 mode only (RFC 5961 answers every SYN before the window test): a SYN whose sequence
     * number lies before RCV.NXT was accepted only because its text or FIN reaches into the window.
     * The SYN itself is old, and RFC 9293 §3.10.7.4 says to trim what lies outside the window and
     * "process only the new part": it is trimmed away rather than taken as an in-window SYN.
     */
    private static boolean oldSynTrimmed(TcpConnection c, TcpSegmentView seg) {
        return !c.config.profile().challengeAckForSyn() && c.state.isSynchronized() && SeqNum.lt(seg.seq(), c.tcb.rcvNxt);
    }

    /** Fourth check: a SYN in SYN-RECEIVED (passive) or a synchronized state. */
    private void synArrives(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        if (c.state == TcpState.SYN_RECEIVED && c.parent != null) {
            // RFC 9293 §3.10.7.4, fourth: "return this connection to the LISTEN state and return".
            stats.increment(Counter.TcpAttemptFails);
            c.enterClosed(nowNanos, CloseReason.RESET, "rcv SYN in SYN-RECEIVED (back to LISTEN)");
            c.release();
            return;
        }
        if (c.config.profile().challengeAckForSyn()) {
            // RFC 5961 §4.2 (RFC 9293 MUST-60): a SYN in a synchronized state gets a challenge ACK.
            stats.increment(Counter.TcpExtTCPSYNChallenge);
            challengeAck(c, nowNanos);
            return;
        }
        // RFC 793 p. 71: an in-window SYN is an error; "send a reset". Its form is the profile's choice.
        if (c.state == TcpState.ESTABLISHED || c.state == TcpState.CLOSE_WAIT) {
            stats.increment(Counter.TcpEstabResets);
        }
        switch (c.config.profile().synResetForm()) {
            // Answering the SYN as RFC 793 §3.4 forms resets (old Linux tcp_v4_send_reset, 4.4BSD dropwithreset),
            // so that a peer that restarted and sits in SYN-SENT accepts it (its ACK field acknowledges the SYN).
            case ANSWER_SEGMENT -> resetAnswering(c, nowNanos, seg, CloseReason.RESET, "rcv SYN in window");
            case CONNECTION_SEQUENCE -> {
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as FreeBSD's tcp_drop sends it.
                c.host.sendResetAck(nowNanos, c.id, c.tcb.sndNxt, c.tcb.rcvNxt);
                c.enterClosed(nowNanos, CloseReason.RESET, "rcv SYN in window");
                c.release();
            }
        }
    }

    /** Sends the RST that answers {@code seg} (RFC 9293 §3.5.2 form) and deletes the TCB. */
    private static void resetAnswering(TcpConnection c, long nowNanos, TcpSegmentView seg, CloseReason reason, String cause) {
        c.host.sendResetAnswering(nowNanos, c.id, seg);
        c.enterClosed(nowNanos, reason, cause);
        c.release();
    }

    /** RFC 5961 §7: challenge ACKs are rate limited stack-wide. */
    private void challengeAck(TcpConnection c, long nowNanos) {
        if (c.host.challengeAckAllowed(nowNanos)) {
            stats.increment(Counter.TcpExtTCPChallengeACK);
            c.ackNow = true;
        } else {
            stats.increment(Counter.TcpExtTCPACKSkippedChallenge);
        }
    }

    /** Fifth check: the ACK field. Returns whether processing continues with the text. */
    private boolean ackArrives(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int ack = seg.ack();
        if (c.state == TcpState.SYN_RECEIVED && !synReceivedAck(c, nowNanos, seg)) {
            return false;
        }
        if (SeqNum.gt(ack, t.sndNxt)) {
            // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment."
            challengeAck(c, nowNanos);
            return false;
        }
        if (SeqNum.lt(ack, t.sndUna - (int) Math.min(t.maxSndWnd, Integer.MAX_VALUE))) {
            // RFC 5961 §5.2: too old to be a duplicate; a blind injection attempt. Challenge ACK, drop.
            challengeAck(c, nowNanos);
            return false;
        }
        boolean advanced = SeqNum.gt(ack, t.sndUna);
        if (advanced) {
            acknowledge(c, nowNanos, seg);
        } else if (ack == t.sndUna && t.synAcked()) {
            duplicateAck(c, nowNanos, seg);
        }
        if (SeqNum.ge(ack, t.sndUna)) {
            updateWindow(c, seg, advanced);
        }
        return switch (c.state) {
            case FIN_WAIT_1 -> {
                if (t.finAcked() && !finWillArrive(c)) {
                    enterFinWait2(c, nowNanos);
                }
                yield true;
            }
            case CLOSING -> {
                if (t.finAcked()) {
                    c.enterTimeWait(nowNanos, "rcv ACK of FIN");
                }
                yield false; // "otherwise ignore the segment"
            }
            case LAST_ACK -> {
                if (t.finAcked()) {
                    c.enterClosed(nowNanos, CloseReason.NORMAL, "rcv ACK of FIN");
                }
                yield false;
            }
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT -> true;
            case CLOSED, LISTEN, SYN_SENT, TIME_WAIT -> false;
        };
    }

    /** In SYN-RECEIVED, an ACK of our SYN completes the handshake; any other ACK is answered with RST. */
    private boolean synReceivedAck(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int ack = seg.ack();
        if (!(SeqNum.lt(t.sndUna, ack) && SeqNum.le(ack, t.sndNxt))) {
            c.host.sendReset(nowNanos, c.id, ack); // <SEQ=SEG.ACK><CTL=RST>
            return false;
        }
        if (c.parent != null && c.parent.acceptQueueFull()) {
            // Linux: the accept queue is full; drop the ACK (the SYN-ACK timer will try again) or,
            // with tcp_abort_on_overflow, reset.
            stats.increment(Counter.TcpExtListenOverflows);
            stats.increment(Counter.TcpExtListenDrops);
            if (c.config.abortOnOverflow()) {
                c.abortWithReset(nowNanos, CloseReason.RESET, "accept queue full");
            }
            return false;
        }
        setWindow(t, seg.window(), seg.seq(), ack, t.sndWndShift);
        c.becomeEstablished(nowNanos, "rcv ACK of SYN");
        if (deliverHeld(c)) {
            c.notifyReadable(); // text queued on a simultaneous-open SYN (RFC 9293 §3.10.7.3)
        }
        return true;
    }

    /** SND.UNA < SEG.ACK ≤ SND.NXT: bytes (and perhaps SYN or FIN) are acknowledged. */
    private void acknowledge(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int ack = seg.ack();
        int acked = SeqNum.diff(ack, t.sndUna);
        boolean synAckedNow = !t.synAcked();
        boolean finAckedNow = t.finSent && ack == t.finSeq + 1;
        int dataBytes = acked - (synAckedNow ? 1 : 0) - (finAckedNow ? 1 : 0);
        c.sendBuffer.acknowledge(dataBytes);
        if (synAckedNow) {
            c.synPending = false; // FIN-WAIT-1 entered from SYN-RECEIVED: no SYN,ACK to resend any more
        }
        int flightBefore = SeqNum.diff(t.sndNxt, t.sndUna);
        t.sndUna = ack;
        sampleRtt(c, nowNanos, seg);
        c.retransmits = 0;
        c.recovery.updateScoreboard(t, seg.options());
        // The controller first (it ignores ACKs during fast recovery), then recovery, which may end it.
        c.cc.onAck(nowNanos, Math.max(0, dataBytes), flightBefore, c.rtt.srttNanos());
        c.recovery.onAdvance(c, nowNanos, Math.max(0, dataBytes));
        if (t.sndUna == t.sndNxt) {
            c.disarm(TcpTimer.RETRANSMIT);
            c.disarm(TcpTimer.USER_TIMEOUT);
        } else {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + c.rtt.rtoNanos()); // RFC 6298 §5.3
            if (c.userTimeoutNanos > 0) {
                // RFC 5482: the timeout bounds how long data stays unacknowledged; forward progress restarts it
                // (Linux resets its retransmission stamp), so a steady transfer is never aborted.
                c.arm(TcpTimer.USER_TIMEOUT, nowNanos + c.userTimeoutNanos);
            }
        }
        if (dataBytes > 0) {
            c.notifyWritable();
            c.host.wantsOutput(c);
        }
    }

    /**
     * An ACK that does not move SND.UNA. It is a duplicate ACK (RFC 5681 §2) when data is
     * outstanding and it carries no data, no SYN or FIN and the same window; when SACK is in use,
     * when it SACKs data not SACKed before (RFC 6675 §2). Three of them start fast recovery.
     */
    private static void duplicateAck(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        int newlySacked = c.recovery.updateScoreboard(t, seg.options());
        boolean outstanding = t.sndNxt != t.sndUna;
        boolean duplicate;
        if (t.sackPermitted && seg.options().sackBlockCount() > 0) {
            duplicate = outstanding && newlySacked > 0;
        } else {
            duplicate = outstanding && seg.payloadLength() == 0
                    && (seg.flags() & (TcpFlags.SYN | TcpFlags.FIN)) == 0
                    && ((long) seg.window() << t.sndWndShift) == t.sndWnd;
        }
        if (c.recovery.onDuplicateAck(c, nowNanos, duplicate)) {
            c.host.wantsOutput(c);
        }
    }

    /**
     * An RTT sample: from the timestamp echo when timestamps are on (RFC 7323 §4.1, unambiguous even
     * for retransmissions), else from the timed segment, which Karn's rule keeps unretransmitted.
     */
    private static void sampleRtt(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        ParsedTcpOptions o = seg.options();
        if (c.tcb.timestampsEnabled && o.hasTimestamps() && o.tsEcr() != 0) {
            int elapsedMillis = TcpOutput.tsNow(c, nowNanos) - o.tsEcr();
            if (elapsedMillis >= 0) {
                c.rtt.sample(elapsedMillis * 1_000_000L);
            }
            c.rttTiming = false;
        } else if (c.rttTiming && SeqNum.gt(seg.ack(), c.rttSeq)) {
            c.rtt.sample(nowNanos - c.rttStartNanos);
            c.rttTiming = false;
        }
    }

    /**
     * RFC 9293 §3.10.7.4: update the send window when this segment is newer than the last update's
     * — or, as Linux does (tcp_may_update_window: {@code after(ack, snd_una)}), whenever it
     * acknowledged new data. The sender's right edge is SND.UNA + SND.WND, so SND.WND must be the
     * window offered from the SND.UNA this segment set: a retransmission from the peer carries an
     * old SEG.SEQ (failing the SND.WL1 test) with a new SEG.ACK, and keeping the older window then
     * would move our right edge past the one the peer advertised, by the bytes just acknowledged.
     */
    private static void updateWindow(TcpConnection c, TcpSegmentView seg, boolean ackAdvanced) {
        Tcb t = c.tcb;
        if (ackAdvanced || SeqNum.lt(t.sndWl1, seg.seq()) || (t.sndWl1 == seg.seq() && SeqNum.le(t.sndWl2, seg.ack()))) {
            long before = t.sndWnd;
            setWindow(t, seg.window(), seg.seq(), seg.ack(), t.sndWndShift);
            if (t.sndWnd > 0) {
                c.disarm(TcpTimer.PERSIST);
                if (before == 0 || t.sndWnd > before) {
                    c.host.wantsOutput(c);
                }
            }
        }
    }

    private static void setWindow(Tcb t, int window, int seq, int ack, int shift) {
        t.sndWnd = (long) window << shift;
        t.sndWl1 = seq;
        t.sndWl2 = ack;
        t.maxSndWnd = Math.max(t.maxSndWnd, t.sndWnd);
    }

    /** Whether this segment's FIN will be processed: in order, after the text before it. */
    private boolean finWillArrive(TcpConnection c) {
        return fin && dataSeq == c.tcb.rcvNxt;
    }

    private static void enterFinWait2(TcpConnection c, long nowNanos) {
        c.setState(nowNanos, TcpState.FIN_WAIT_2, "rcv ACK of FIN");
        c.armFinWait2(nowNanos);
    }

    /**
     * Seventh check: the segment text. Returns whether the FIN, if any, may be processed (the text
     * before it was in order and accepted).
     */
    private boolean text(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        if (dataLength == 0) {
            return true;
        }
        switch (c.state) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 -> { }
            // The peer's FIN was received: "This should not occur ... Ignore the segment text."
            case CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED -> {
                return false;
            }
        }
        Tcb t = c.tcb;
        if (c.closedByUser) {
            // RFC 1122 §4.2.2.13 and Linux tcp_rcv_state_process: new data after close() cannot be delivered;
            // reset, answering the segment (<SEQ=SEG.ACK><CTL=RST>: the peer's RCV.NXT, which an RFC 5961 peer
            // requires, where SND.NXT may be past a FIN the peer has not received yet).
            stats.increment(Counter.TcpExtTCPAbortOnData);
            resetAnswering(c, nowNanos, seg, CloseReason.ABORTED_DATA_AFTER_CLOSE, "rcv data after CLOSE");
            return false;
        }
        if (dataSeq != t.rcvNxt) {
            // Out of order: hold it until the hole fills ("segments ... may be held for later processing"),
            // and answer at once with a duplicate ACK carrying SACK blocks (RFC 5681 §4.2, RFC 2018 §4).
            if (c.reassembly.offer(t.rcvNxt, dataSeq, seg.buffer(), dataOffset, dataLength, fin)) {
                stats.increment(Counter.TcpExtTCPOFOQueue);
            }
            c.ackNow = true;
            return false;
        }
        c.receiveBuffer.append(seg.buffer(), dataOffset, dataLength);
        t.rcvNxt += dataLength;
        if (deliverHeld(c) || !c.reassembly.isEmpty()) {
            // RFC 5681 §4.2: ACK at once when a segment fills all or part of a gap — also when data stays held
            // beyond a gap that remains, as Linux does while its out-of-order queue is not empty (__tcp_ack_snd_check).
            c.ackNow = true;
        } else {
            scheduleAck(c, nowNanos, dataLength);
        }
        c.notifyReadable();
        return true;
    }

    /**
     * Moves reassembled data that is now in order into the receive buffer, and the held FIN if its
     * turn has come (then the FIN check below sees it in order).
     *
     * @return whether anything held was delivered
     */
    private boolean deliverHeld(TcpConnection c) {
        if (c.reassembly.isEmpty()) {
            return false;
        }
        Tcb t = c.tcb;
        boolean delivered = false;
        ByteBuf held;
        while ((held = c.reassembly.pollInOrder(t.rcvNxt)) != null) {
            t.rcvNxt += held.readableBytes();
            c.receiveBuffer.appendOwned(held);
            delivered = true;
        }
        if (c.reassembly.takeFinAt(t.rcvNxt)) {
            fin = true;
            dataSeq = t.rcvNxt;
            dataLength = 0;
            delivered = true;
        }
        return delivered;
    }

    /**
     * RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: ACK at least every second full-sized segment, else
     * within the delay. As Linux (__tcp_ack_snd_check): ACK at once when more than one full segment
     * (the largest seen so far) is unacknowledged, or while quick ACKs remain from the start of the
     * connection (tcp_incr_quickack) and the exchange is not interactive, so slow start at the peer
     * is not held back by our delay.
     */
    private static void scheduleAck(TcpConnection c, long nowNanos, int length) {
        c.bytesUnacked += length;
        c.lastDataReceivedNanos = nowNanos;
        c.largestSegmentReceived = Math.max(c.largestSegmentReceived, Math.min(length, c.tcb.rcvMss));
        if (c.quickAcksLeft > 0 && !c.pingPong) {
            c.quickAcksLeft--;
            c.ackNow = true;
        } else if (c.bytesUnacked > c.largestSegmentReceived) {
            c.ackNow = true;
        } else if (!c.isArmed(TcpTimer.DELAYED_ACK)) {
            c.arm(TcpTimer.DELAYED_ACK, nowNanos + c.config.delayedAckNanos());
        }
    }

    /** Eighth check: the FIN bit, once everything before it has arrived. */
    private void finArrives(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        Tcb t = c.tcb;
        if (!fin || c.isClosed()) {
            return;
        }
        if (dataSeq + dataLength != t.rcvNxt) {
            // A FIN after a hole: hold it for when the data before it arrives, and send a duplicate ACK (RFC 5681 §4.2).
            if (c.state.peerMaySend()) {
                c.reassembly.offer(t.rcvNxt, dataSeq + dataLength, seg.buffer(), dataOffset + dataLength, 0, true);
            }
            c.ackNow = true;
            return;
        }
        t.rcvNxt += 1;
        c.finReceived = true;
        c.ackNow = true;
        switch (c.state) {
            case SYN_RECEIVED, ESTABLISHED -> c.setState(nowNanos, TcpState.CLOSE_WAIT, "rcv FIN");
            case FIN_WAIT_1 -> {
                if (t.finAcked()) {
                    c.enterTimeWait(nowNanos, "rcv FIN,ACK");
                } else {
                    c.setState(nowNanos, TcpState.CLOSING, "rcv FIN (simultaneous close)");
                    if (c.config.profile().retransmitsFinWhenClosing() && t.sndUna == t.finSeq) {
                        c.retransmitPending = true; // FreeBSD: our FIN goes again with the ACK of theirs
                    }
                }
            }
            case FIN_WAIT_2 -> c.enterTimeWait(nowNanos, "rcv FIN");
            case CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, CLOSED, LISTEN, SYN_SENT -> { }
        }
        c.notifyReadable();
    }
}
