package io.usertcp.tcp;

import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.receive.Receiver;
import io.usertcp.tcp.receive.Receiver.Text;
import io.usertcp.tcp.send.Sender;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpSegmentView;

/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7.3 and §3.10.7.4) for a connection that has a TCB: the checks
 * in the RFC's order, one method per step — sequence number, RST, SYN, ACK, text, FIN (security and
 * URG are not implemented: the urgent pointer is ignored and the data treated as ordinary, as
 * RFC 6093 §5 recommends for new applications).
 *
 * <p>It coordinates: the {@link Sender} takes the ACK field, the {@link Receiver} the sequence
 * space, PAWS and the text; the checks shared with TIME-WAIT are {@link SynchronizedChecks}; what
 * the two halves report becomes timers and flags on the connection ({@code ackNow},
 * {@code synPending}). Input never writes to the link: {@link TcpOutput} sends. The one exception
 * is a RST that answers a segment for which there is no longer a connection, queued through the host.
 *
 * <p>The segment travels as values (the view, and the trimmed {@link Text} packed in a
 * {@code long}, so nothing is allocated per segment); nothing of it is kept in fields, so one
 * instance serves the stack.
 */
final class SegmentArrival {
    /** RFC 9293 §3.7.1 (MUST-15): the MSS assumed when the peer sends no MSS option. */
    static final int DEFAULT_MSS = Sender.DEFAULT_MSS;
    /** Linux tcp_min_snd_mss: a floor on the peer's MSS, against tiny-segment resource attacks (CVE-2019-11479). */
    static final int MIN_SND_MSS = Sender.MIN_SND_MSS;
    /** RFC 7323 §2.3: the largest usable shift. */
    static final int MAX_WINDOW_SHIFT = TcpProfile.MAX_WINDOW_SHIFT;

    /** Linux TCP_DELACK_MAX: the longest an ACK is delayed. */
    static final long DELACK_MAX_NANOS = 200_000_000L;

    private final StackStats stats;

    SegmentArrival(StackStats stats) {
        this.stats = stats;
    }

    /**
     * Processes one segment for {@code c}; {@code seg} has passed its checks and is borrowed.
     *
     * @param ecnField the ECN field of the segment's IP header (RFC 3168 §5)
     */
    void arrive(TcpConnection c, long nowNanos, TcpSegmentView seg, int ecnField) {
        c.counts.received(seg.payloadLength());
        switch (c.state) {
            case SYN_SENT -> synSent(c, nowNanos, seg, ecnField);
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK ->
                    otherStates(c, nowNanos, seg, ecnField);
            case CLOSED, LISTEN, TIME_WAIT -> { } // never in the connection table
        }
        if ((c.ackNow || c.synPending) && !c.isClosed()) {
            c.host.wantsOutput(c);
        }
    }

    // ------------------------------------------------------------------------------------
    // RFC 9293 §3.10.7.3: SYN-SENT
    // ------------------------------------------------------------------------------------

    private void synSent(TcpConnection c, long nowNanos, TcpSegmentView seg, int ecnField) {
        Sender snd = c.sender;
        int flags = seg.flags();
        boolean ack = (flags & TcpFlags.ACK) != 0;
        boolean rst = (flags & TcpFlags.RST) != 0;
        // First, check the ACK bit: it must acknowledge our SYN and nothing beyond.
        if (ack && !snd.acksOurSyn(seg.ack())) {
            if (!rst) {
                c.host.sendReset(nowNanos, c.id, c.md5, seg.ack()); // <SEQ=SEG.ACK><CTL=RST>
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
        if (ack && c.receiver.pawsRejectsSynAck(seg.options(), nowNanos)) {
            // A SYN,ACK older than what the TIME-WAIT entry we took over had seen: an old duplicate (tcp_tw_reuse).
            stats.increment(Counter.TcpExtPAWSActive);
            return;
        }
        c.receiver.synReceived(seg.seq());
        negotiate(c, seg.options(), nowNanos);
        // RFC 3168 §6.1.1: ECN holds if the SYN,ACK is an ECN-setup SYN,ACK (ECE without CWR; Linux
        // tcp_ecn_rcv_synack()), or, in a simultaneous open, the peer's SYN an ECN-setup SYN (tcp_ecn_rcv_syn()).
        int ecnFlags = flags & (TcpFlags.ECE | TcpFlags.CWR);
        boolean asked = c.ecn || !ack && c.host.ecn().accepts() && c.config.profile().acceptsEcnOnSimultaneousSyn();
        c.ecn = asked && ecnFlags == (ack ? TcpFlags.ECE : TcpFlags.ECE | TcpFlags.CWR);
        // RFC 7323 §2.2: the window of a SYN is never scaled.
        snd.setWindow(seg.window(), 0, seg.seq(), seg.ack());
        if (ack) {
            boolean synRetransmitted = snd.retransmits() > 0;
            snd.synAcknowledged(nowNanos, seg);
            c.host.fastOpen().synAckArrived(c, seg, synRetransmitted, stats); // RFC 7413 §4.1.3 (Linux tcp_rcv_fastopen_synack())
            c.disarm(TcpTimer.RETRANSMIT);
            c.synPending = false;
            c.becomeEstablished(nowNanos, "rcv SYN,ACK");
            if (c.writePending) {
                // Linux tcp_rcv_synsent_state_process(): a writer is waiting, so "save one ACK": it rides on the data.
                c.receiver.enterQuickAckMode();
                c.arm(TcpTimer.DELAYED_ACK, nowNanos + DELACK_MAX_NANOS);
            } else {
                c.ackNow = true;
            }
            // "If there are other controls or text in the segment, continue processing at the sixth step."
            long text = trim(c, seg, c.acceptanceWindow());
            text(c, nowNanos, seg, text, ecnField);
            finArrives(c, nowNanos, seg, text);
        } else {
            // Simultaneous open (RFC 9293 §3.5, Figure 8): answer with SYN,ACK <SEQ=ISS><ACK=RCV.NXT>.
            c.setState(nowNanos, TcpState.SYN_RECEIVED, "rcv SYN (simultaneous open)");
            c.synPending = true;
            // RFC 9293 §3.10.7.3: text and controls on the SYN wait for ESTABLISHED (the profile decides; Linux drops them).
            TcpProfile profile = c.config.profile();
            if (profile.keepsTextOnSimultaneousSyn()) {
                c.receiver.holdSynText(seg, profile.keepsFinOnSimultaneousSyn());
            }
        }
    }

    /**
     * Applies what the SYN exchange negotiated: MSS (RFC 9293 §3.7.1), window scale (RFC 7323
     * §2.2), SACK-permitted (RFC 2018 §2), timestamps (RFC 7323 §3.2). Each is in force only if
     * both SYNs carried it; we offer what the configuration enables, unless TCP_NOOPT.
     */
    static void negotiate(TcpConnection c, ParsedTcpOptions o, long nowNanos) {
        TcpConfig cfg = c.config;
        Receiver rcv = c.receiver;
        boolean offered = !c.noOptions; // TCP_NOOPT: we offered nothing, so nothing is agreed
        boolean windowScaling = offered && cfg.windowScaling() && o.hasWindowScale();
        boolean sack = offered && cfg.sack() && o.sackPermitted();
        boolean timestamps = offered && cfg.timestamps() && o.hasTimestamps() && !md5RulesOutTimestamps(c, sack);
        int peerMss = o.hasMss() ? o.mss() : DEFAULT_MSS;
        // RFC 9293 §3.7.1: the effective send MSS leaves room for the options we put on every segment.
        int optionBytes = (timestamps ? 12 : 0) + (c.md5 != null ? TcpOptionKind.MD5_SIGNATURE_ALIGNED_LENGTH : 0);
        c.md5InMss = c.md5 != null;
        int mss = Math.max(MIN_SND_MSS, Math.min(peerMss, rcv.mss()) - optionBytes);
        // RFC 7323 §2.3: a shift above 14 is used as 14.
        c.sender.negotiated(mss, windowScaling ? Math.min(o.windowScale(), MAX_WINDOW_SHIFT) : 0, sack, timestamps);
        rcv.negotiated(windowScaling, sack, timestamps, o.tsVal(), nowNanos);
        rcv.mssKnown(Math.min(peerMss, rcv.mss()));
    }

    /**
     * With an MD5 key, Linux's SYN carries no timestamps (tcp_syn_options(): the signature's 20
     * bytes come first), so an active open never agrees to them; its SYN,ACK leaves them out when
     * SACK is agreed, since SACK blocks would not fit beside both (tcp_synack_options(): "We can't
     * fit any SACK blocks in a packet with MD5 + TS options").
     */
    static boolean md5RulesOutTimestamps(TcpConnection c, boolean sack) {
        return c.md5 != null && (c.parent == null || sack);
    }

    // ------------------------------------------------------------------------------------
    // RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states
    // ------------------------------------------------------------------------------------

    private void otherStates(TcpConnection c, long nowNanos, TcpSegmentView seg, int ecnField) {
        Receiver rcv = c.receiver;
        TcpProfile profile = c.config.profile();
        int flags = seg.flags();
        boolean rst = (flags & TcpFlags.RST) != 0;
        boolean syn = (flags & TcpFlags.SYN) != 0;
        boolean ack = (flags & TcpFlags.ACK) != 0;
        if (c.state == TcpState.SYN_RECEIVED && syn && !ack && !rst && seg.seq() == rcv.irs()) {
            // A retransmitted SYN: the SYN-ACK was lost, send it again (Linux tcp_check_req).
            c.synPending = true;
            return;
        }
        // Simultaneous open: the peer's SYN,ACK acknowledges our SYN (RFC 9293 Figure 8); RFC 5961 §4.2 lets it through.
        boolean simultaneousSynAck = c.state == TcpState.SYN_RECEIVED && c.parent == null && syn && ack && !rst
                && seg.seq() == rcv.irs() && seg.ack() == c.sender.nxt();
        if (!rst && rcv.pawsRejects(seg.options(), nowNanos)) {
            stats.increment(Counter.TcpExtPAWSEstab);
            // RFC 7323 §5.3 R1: treat as unacceptable: ACK and drop
            if (!outOfWindowAckLimited(c, nowNanos, seg, Counter.TcpExtTCPACKSkippedPAWS)) {
                c.ackNow = true;
            }
            return;
        }
        long window = c.acceptanceWindow();
        boolean answersSyn = syn && !rst && !simultaneousSynAck && (c.state.isSynchronized() || c.parent == null);
        if (answersSyn && profile.challengeAckForSyn()) {
            // RFC 5961 §4.2 (RFC 9293 §3.10.7.4, fourth, MUST-60): in a synchronized state (and an active
            // SYN-RECEIVED, which follows those rules) a SYN gets a challenge ACK "irrespective of the sequence
            // number" — rate-limited and counted even when it lies outside the window (Linux syn_challenge).
            synArrives(c, nowNanos, seg);
            return;
        }
        // First: is the segment acceptable?
        if (!simultaneousSynAck && !SynchronizedChecks.acceptable(rcv.nxt(), window, seg.seq(), seg.segmentLength())
                && !SynchronizedChecks.ackAtRightEdge(profile, rcv.nxt(), window, seg.seq(), seg.segmentLength(), flags)) {
            if (!rst && !outOfWindowAckLimited(c, nowNanos, seg, c.state == TcpState.SYN_RECEIVED && c.parent != null
                    ? Counter.TcpExtTCPACKSkippedSynRecv : Counter.TcpExtTCPACKSkippedSeq)) {
                c.ackNow = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            }
            if (!ackOfOldDuplicate(c, seg, flags)) {
                int first = seg.seq() + (syn ? 1 : 0);
                if (!rst && seg.payloadLength() > 0 && SeqNum.lt(first, rcv.nxt())) {
                    // Data received before: Linux tcp_send_dupack() reports it in a D-SACK block (RFC 2883).
                    duplicate(c, first, SeqNum.min(first + seg.payloadLength(), rcv.nxt()));
                }
                return;
            }
        }
        if (!profile.hearsSegmentOnlyAfterAckCheck()) {
            heard(c, nowNanos, seg);
        }
        long text = trim(c, seg, window); // the window the acceptability test used: nothing moved it since
        // Second: the RST bit.
        if (rst) {
            rstArrives(c, nowNanos, seg.seq(), window);
            return;
        }
        // Fourth: the SYN bit (third, security, is not implemented).
        if (syn && !simultaneousSynAck && !(c.state.isSynchronized()
                && SynchronizedChecks.syn(profile, rcv.nxt(), window, seg.seq()) == SynchronizedChecks.SynVerdict.OLD_SYN_TRIMMED)) {
            synArrives(c, nowNanos, seg);
            return;
        }
        // Fifth: the ACK field. "If the ACK bit is off, drop the segment and return."
        if (!ack || !ackArrives(c, nowNanos, seg, text)) {
            return;
        }
        if (simultaneousSynAck) {
            c.ackNow = true; // RFC 9293 Figure 8, line 5: both sides ACK the other's SYN,ACK
            if (profile.dsacksDuplicateSyn()) {
                duplicate(c, seg.seq(), seg.seq() + 1); // its SYN is one we took already: Linux tcp_data_queue() D-SACKs it
            }
        }
        cwrArrives(c, seg);
        // Sixth (URG) is ignored; seventh: the segment text; eighth: the FIN bit.
        if (text(c, nowNanos, seg, text, ecnField)) {
            finArrives(c, nowNanos, seg, text);
        }
        if (c.state == TcpState.FIN_WAIT_1 && c.sender.finAcked()) {
            enterFinWait2(c, nowNanos); // the FIN that would have taken us to TIME-WAIT was not in order
        }
    }

    /** [seq, end), below RCV.NXT, arrived again: the next ACK reports it as a D-SACK (RFC 2883 §4). */
    private void duplicate(TcpConnection c, int seq, int end) {
        if (c.receiver.duplicateReceived(seq, end)) {
            stats.increment(Counter.TcpExtTCPDSACKOldSent);
        }
    }

    /**
     * The peer was heard: TS.Recent (RFC 7323 §4.3), the keep-alive idle time, the persist probes.
     * Where in the processing depends on the profile ({@link TcpProfile#hearsSegmentOnlyAfterAckCheck()}).
     */
    private static void heard(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        c.lastReceivedNanos = nowNanos;
        c.keepaliveProbesSent = 0;
        c.sender.peerHeard();
        c.receiver.updateTsRecent(seg, nowNanos);
    }

    /**
     * Whether an unacceptable segment still has its ACK processed: the profile's choice (FreeBSD)
     * for an old duplicate lying wholly before RCV.NXT, without RST or SYN. Trimming then removes
     * its text and FIN, so only the ACK field acts.
     */
    private static boolean ackOfOldDuplicate(TcpConnection c, TcpSegmentView seg, int flags) {
        return c.config.profile().processesAckOfOldDuplicate()
                && (flags & (TcpFlags.RST | TcpFlags.SYN)) == 0 && (flags & TcpFlags.ACK) != 0
                && SeqNum.le(seg.seq() + seg.segmentLength(), c.receiver.nxt());
    }

    /**
     * Keeps only the part of the segment inside the window: RFC 9293 §3.10.7.4 "trimmed". The part
     * beyond the window is not acceptable: "an acknowledgment should be sent in reply", with the
     * current window — this is how a zero-window probe carrying data gets its answer (RFC 9293 §3.8.6.1).
     */
    private static long trim(TcpConnection c, TcpSegmentView seg, long window) {
        long text = c.receiver.trim(seg, window);
        if (Text.beyondWindow(text)) {
            c.ackNow = true;
        }
        return text;
    }

    /** Second check: RFC 9293 §3.10.7.4 with RFC 5961 §3.2 (only an exact RST resets; others get a challenge ACK). */
    private void rstArrives(TcpConnection c, long nowNanos, int seq, long window) {
        switch (SynchronizedChecks.rst(c.config.profile(), c.receiver.nxt(), window, seq)) {
            case OUT_OF_WINDOW -> {
                return; // cannot pass the first check, but never reset from outside the window
            }
            case CHALLENGE_ACK -> {
                challengeAck(c, nowNanos);
                return;
            }
            case RESET -> { }
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
            case ANSWER_SEGMENT -> c.host.sendResetAnswering(nowNanos, c.id, c.md5, seg);
            // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as FreeBSD's tcp_drop sends it.
            case CONNECTION_SEQUENCE -> c.host.sendResetAck(nowNanos, c.id, c.md5, c.sender.nxt(), c.receiver.nxt());
        }
        c.enterClosed(nowNanos, CloseReason.RESET, "rcv SYN in window");
        c.release();
    }

    /** Sends the RST that answers {@code seg} (RFC 9293 §3.5.2 form) and deletes the TCB. */
    private static void resetAnswering(TcpConnection c, long nowNanos, TcpSegmentView seg, CloseReason reason, String cause) {
        c.host.sendResetAnswering(nowNanos, c.id, c.md5, seg);
        c.enterClosed(nowNanos, reason, cause);
        c.release();
    }

    /**
     * RFC 5961 §7: challenge ACKs are rate limited, first per connection (Linux
     * tcp_send_challenge_ack() asks __tcp_oow_rate_limited() before anything else), then stack-wide.
     */
    private void challengeAck(TcpConnection c, long nowNanos) {
        if (!outOfWindowAckDue(c, nowNanos, Counter.TcpExtTCPACKSkippedChallenge)) {
            return;
        }
        if (c.host.challengeAckAllowed(nowNanos)) {
            stats.increment(Counter.TcpExtTCPChallengeACK);
            c.ackNow = true;
        } else {
            stats.increment(Counter.TcpExtTCPACKSkippedChallenge);
        }
    }

    /**
     * Linux tcp_oow_rate_limited(): whether the ACK that would answer {@code seg}, a segment we cannot
     * accept, is skipped: at most one per {@link TcpConfig#invalidRateLimitNanos()} per connection,
     * segments with text and no SYN always answered ({@link OutOfWindowAcks}).
     */
    private boolean outOfWindowAckLimited(TcpConnection c, long nowNanos, TcpSegmentView seg, Counter skipped) {
        return !OutOfWindowAcks.exempt(seg) && !outOfWindowAckDue(c, nowNanos, skipped);
    }

    /** Linux __tcp_oow_rate_limited(): whether the per-connection limit lets an ACK go now (and, if so, notes the time). */
    private boolean outOfWindowAckDue(TcpConnection c, long nowNanos, Counter skipped) {
        if (OutOfWindowAcks.limited(c.lastOutOfWindowAckNanos, nowNanos, c.config.invalidRateLimitNanos())) {
            stats.increment(skipped);
            return false;
        }
        c.lastOutOfWindowAckNanos = nowNanos;
        return true;
    }

    /** Fifth check: the ACK field. Returns whether processing continues with the text. */
    private boolean ackArrives(TcpConnection c, long nowNanos, TcpSegmentView seg, long text) {
        Sender snd = c.sender;
        int ack = seg.ack();
        if (c.state == TcpState.SYN_RECEIVED && !synReceivedAck(c, nowNanos, seg)) {
            return false;
        }
        if (snd.acksUnsent(ack)) {
            // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment."
            challengeAck(c, nowNanos);
            return false;
        }
        if (snd.ackTooOld(ack)) {
            // RFC 5961 §5.2: too old to be a duplicate; a blind injection attempt. Challenge ACK, drop.
            challengeAck(c, nowNanos);
            return false;
        }
        if (c.config.profile().hearsSegmentOnlyAfterAckCheck()) {
            heard(c, nowNanos, seg); // Linux tcp_ack(): only now is the segment known to be in window
        }
        // RFC 3168 §6.1.2: ECE on an acceptable ACK (not a SYN's) is the peer's echo of a CE mark (Linux tcp_ecn_rcv_ecn_echo()).
        boolean ecnEcho = c.ecn && (seg.flags() & (TcpFlags.ECE | TcpFlags.SYN)) == TcpFlags.ECE;
        if (!SeqNum.lt(ack, snd.una())) {
            c.counts.lastAckNanos = nowNanos; // Linux tcp_ack(): rcv_tstamp, for any ACK not older than SND.UNA
        }
        ackReported(c, nowNanos, snd.onAck(nowNanos, seg, ecnEcho));
        return switch (c.state) {
            case FIN_WAIT_1 -> {
                if (snd.finAcked() && !finWillArrive(c, seg, text)) {
                    enterFinWait2(c, nowNanos);
                }
                yield true;
            }
            case CLOSING -> {
                if (snd.finAcked()) {
                    c.enterTimeWait(nowNanos, "rcv ACK of FIN");
                }
                yield false; // "otherwise ignore the segment"
            }
            case LAST_ACK -> {
                if (snd.finAcked()) {
                    c.enterClosed(nowNanos, CloseReason.NORMAL, "rcv ACK of FIN");
                }
                yield false;
            }
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT -> true;
            case CLOSED, LISTEN, SYN_SENT, TIME_WAIT -> false;
        };
    }

    /** What the sender reported of an ACK becomes timers, output and the application's event. */
    private static void ackReported(TcpConnection c, long nowNanos, int result) {
        if ((result & Sender.SYN_ACKED) != 0) {
            c.synPending = false; // FIN-WAIT-1 entered from SYN-RECEIVED: no SYN,ACK to resend any more
        }
        if ((result & Sender.ADVANCED) != 0) {
            if ((result & Sender.ALL_ACKED) != 0) {
                // Linux tcp_clean_rtx_queue(): the retransmission queue emptied
                c.chrono.stop(SendChrono.Type.BUSY, nowNanos, c.sender.queuesEmpty());
                c.disarm(TcpTimer.RETRANSMIT);
                c.disarm(TcpTimer.USER_TIMEOUT);
            } else {
                c.arm(TcpTimer.RETRANSMIT, nowNanos + c.sender.rtoNanos()); // RFC 6298 §5.3
                if (c.userTimeoutNanos > 0) {
                    // RFC 5482: the timeout bounds how long data stays unacknowledged; forward progress restarts it
                    // (Linux resets its retransmission stamp), so a steady transfer is never aborted.
                    c.arm(TcpTimer.USER_TIMEOUT, nowNanos + c.userTimeoutNanos);
                }
            }
        }
        if ((result & Sender.DATA_ACKED) != 0) {
            c.sender.expandBuffer(true); // Linux tcp_check_space() → tcp_new_space()
            if (c.sender.roomAfterAck()) { // SOCK_NOSPACE cleared: the sndbuf-limited time ends
                c.chrono.stop(SendChrono.Type.SNDBUF_LIMITED, nowNanos, c.sender.queuesEmpty());
            }
            c.notifyWritable();
        }
        if ((result & Sender.WINDOW_OPEN) != 0) {
            c.disarm(TcpTimer.PERSIST);
        }
        if ((result & Sender.WANTS_OUTPUT) != 0) {
            c.host.wantsOutput(c);
        }
        c.armOrDisarm(TcpTimer.REORDER, c.sender.recovery().reorderDeadlineNanos());
        if ((result & Sender.ALL_ACKED) != 0) {
            c.disarm(TcpTimer.LOSS_PROBE);
        } else if ((result & Sender.ADVANCED) != 0) {
            c.scheduleLossProbe(nowNanos, true); // Linux tcp_set_xmit_timer()
        } else if (c.isArmed(TcpTimer.LOSS_PROBE) && c.sender.recovery().lossProbeDelayNanos(c.sender.rtoNanos()) < 0) {
            c.scheduleLossProbe(nowNanos, false); // recovery or Disorder began: the RTO watches again
        }
    }

    /** In SYN-RECEIVED, an ACK of our SYN completes the handshake; any other ACK is answered with RST. */
    private boolean synReceivedAck(TcpConnection c, long nowNanos, TcpSegmentView seg) {
        int ack = seg.ack();
        if (!c.sender.acksSomethingSent(ack)) {
            c.host.sendReset(nowNanos, c.id, c.md5, ack); // <SEQ=SEG.ACK><CTL=RST>
            return false;
        }
        if (c.parent != null && c.parent.acceptQueueFull()) {
            // Linux: the accept queue is full; drop the ACK (the SYN-ACK timer will try again) or,
            // with tcp_abort_on_overflow, reset.
            stats.increment(Counter.TcpExtListenOverflows);
            stats.increment(Counter.TcpExtListenDrops);
            if (c.config.abortOnOverflow()) {
                // Linux tcp_check_req(): embryonic_reset answers the ACK (tcp_v4_send_reset(): <SEQ=SEG.ACK><CTL=RST>)
                // and drops the request.
                resetAnswering(c, nowNanos, seg, CloseReason.RESET, "accept queue full");
            }
            return false;
        }
        c.sender.handshakeCompleted(seg.window(), c.sender.windowShift(), seg.seq(), ack);
        c.becomeEstablished(nowNanos, "rcv ACK of SYN");
        int held = c.receiver.deliverHeld();
        if (held > 0) {
            // Text queued on a simultaneous-open SYN (RFC 9293 §3.10.7.3) is processed now, as in-order data:
            // delivered, and acknowledged by the ACK policy (FreeBSD's delayed ACK then rides on the next segment).
            scheduleAck(c, nowNanos, held);
            c.notifyReadable();
        }
        return true;
    }

    /** Whether this segment's FIN will be processed: in order, after the text before it. */
    private static boolean finWillArrive(TcpConnection c, TcpSegmentView seg, long text) {
        return Text.fin(text) && Text.seq(text, seg) == c.receiver.nxt();
    }

    private static void enterFinWait2(TcpConnection c, long nowNanos) {
        c.setState(nowNanos, TcpState.FIN_WAIT_2, "rcv ACK of FIN");
        c.armFinWait2(nowNanos);
    }

    /**
     * RFC 3168 §6.1.3: CWR on an acceptable segment that occupies sequence space ends our echo of
     * ECE, and is ACKed at once: the sender's cwnd may be down to one segment (Linux
     * tcp_ecn_accept_cwr(), called for every such segment that reaches tcp_data_queue()).
     */
    private static void cwrArrives(TcpConnection c, TcpSegmentView seg) {
        if (c.ecn && (seg.flags() & TcpFlags.CWR) != 0 && seg.segmentLength() > 0) {
            c.receiver.cwrArrived();
            c.ackNow = true;
        }
    }

    /**
     * Seventh check: the segment text. Returns whether the FIN, if any, may be processed (the text
     * before it was in order and accepted).
     *
     * @param ecnField the IP ECN field: a CE mark on data taken in is echoed (RFC 3168 §6.1.3)
     */
    private boolean text(TcpConnection c, long nowNanos, TcpSegmentView seg, long text, int ecnField) {
        int first = seg.seq() + (seg.hasFlag(TcpFlags.SYN) ? 1 : 0);
        if (seg.payloadLength() > 0 && SeqNum.lt(first, c.receiver.nxt())) {
            // Its start was received before (trimmed away): report that part (RFC 2883; Linux tcp_data_queue(),
            // "partial packet": tcp_dsack_set(seq, rcv_nxt)).
            duplicate(c, first, SeqNum.min(first + seg.payloadLength(), c.receiver.nxt()));
        }
        if (Text.length(text) == 0) {
            return true;
        }
        c.lastDataReceivedNanos = nowNanos; // Linux tcp_event_data_recv() stamps icsk_ack.lrcvtime for tcpi_last_data_recv
        switch (c.state) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 -> { }
            // The peer's FIN was received: "This should not occur ... Ignore the segment text."
            case CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED -> {
                return false;
            }
        }
        Receiver rcv = c.receiver;
        if (c.closedByUser) {
            // RFC 1122 §4.2.2.13 and Linux tcp_rcv_state_process: new data after close() cannot be delivered;
            // reset, answering the segment (<SEQ=SEG.ACK><CTL=RST>: the peer's RCV.NXT, which an RFC 5961 peer
            // requires, where SND.NXT may be past a FIN the peer has not received yet).
            stats.increment(Counter.TcpExtTCPAbortOnData);
            resetAnswering(c, nowNanos, seg, CloseReason.ABORTED_DATA_AFTER_CLOSE, "rcv data after CLOSE");
            return false;
        }
        switch (rcv.admit()) {
            case ADMITTED -> { }
            case ADMITTED_AFTER_PRUNING -> stats.increment(Counter.TcpExtTCPOFODrop);
            case REFUSED_OVER_BUFFER -> {
                // Linux tcp_data_queue(): "Massive buffer overcommit" — dropped, and an ACK says what we have.
                stats.increment(Counter.TcpExtRcvPruned);
                stats.increment(Counter.TcpExtTCPRcvQDrop);
                c.ackNow = true;
                return false;
            }
            case REFUSED -> {
                // The stack-wide receive memory is exhausted (Linux tcp_mem): drop the text, ACK what we have; the peer
                // sends it again once memory is free.
                stats.increment(Counter.TcpExtTCPRcvQDrop);
                c.ackNow = true;
                return false;
            }
        }
        if (c.ecn) {
            rcv.ecnFieldArrived(ecnField); // Linux tcp_ecn_check_ce(), for in-order and out-of-order data alike
        }
        if (!rcv.inOrder(text, seg)) {
            // Out of order: hold it until the hole fills ("segments ... may be held for later processing"),
            // and answer at once with a duplicate ACK carrying SACK blocks (RFC 5681 §4.2, RFC 2018 §4).
            if (rcv.hold(text, seg)) {
                stats.increment(Counter.TcpExtTCPOFOQueue);
            }
            if (rcv.pruneIfOverMemory()) {
                stats.increment(Counter.TcpExtOfoPruned);
            }
            if (rcv.reportHeldDuplicate()) {
                stats.increment(Counter.TcpExtTCPDSACKOfoSent); // Linux tcp_data_queue_ofo(): tcp_dsack_set()
            }
            c.ackNow = true;
            return false;
        }
        rcv.accept(text, seg);
        measureRoundTrip(c, nowNanos, seg, Text.length(text));
        if (rcv.deliverHeld() > 0 || rcv.holdsOutOfOrder()) {
            // RFC 5681 §4.2: ACK at once when a segment fills all or part of a gap — also when data stays held
            // beyond a gap that remains, as Linux does while its out-of-order queue is not empty (__tcp_ack_snd_check).
            c.ackNow = true;
        } else {
            scheduleAck(c, nowNanos, Text.length(text));
        }
        c.notifyReadable();
        return true;
    }

    /** In-order data: a sample for the receiver's own RTT estimate, which paces buffer autotuning. */
    private static void measureRoundTrip(TcpConnection c, long nowNanos, TcpSegmentView seg, int length) {
        ParsedTcpOptions o = seg.options();
        boolean echo = c.receiver.timestamps() && o.hasTimestamps() && o.tsEcr() != 0;
        c.receiver.measureRoundTrip(nowNanos, length, echo ? o.tsEcr() : 0, echo ? c.sender.tsNow(nowNanos) - o.tsEcr() : -1);
    }

    /** In-order data: ACK at once or within the delay, as the receiver's ACK policy says (RFC 9293 §3.8.6.3). */
    private static void scheduleAck(TcpConnection c, long nowNanos, int length) {
        if (c.receiver.ackNowForData(nowNanos, length)) {
            c.ackNow = true;
        } else {
            delayAck(c, nowNanos);
        }
    }

    /** The ACK goes within the delayed-ACK timeout (RFC 9293 §3.8.6.3), counted from the first segment it covers. */
    private static void delayAck(TcpConnection c, long nowNanos) {
        if (!c.isArmed(TcpTimer.DELAYED_ACK)) {
            c.arm(TcpTimer.DELAYED_ACK, nowNanos + c.config.delayedAckNanos());
        }
    }

    /** Eighth check: the FIN bit, once everything before it has arrived (a held FIN whose turn came counts). */
    private void finArrives(TcpConnection c, long nowNanos, TcpSegmentView seg, long text) {
        Receiver rcv = c.receiver;
        if (c.isClosed()) {
            return;
        }
        boolean heldFinNow = rcv.takeHeldFin();
        if (!Text.fin(text) && !heldFinNow) {
            return;
        }
        if (!heldFinNow && !rcv.finInOrder(text, seg)) {
            // A FIN after a hole: hold it for when the data before it arrives, and send a duplicate ACK (RFC 5681 §4.2).
            if (c.state.peerMaySend()) {
                rcv.holdFin(text, seg);
            }
            c.ackNow = true;
            return;
        }
        rcv.finArrived();
        if ((c.state == TcpState.ESTABLISHED || c.state == TcpState.SYN_RECEIVED) && c.config.profile().delaysAckOfFin()) {
            // Linux tcp_fin(): the ACK is scheduled, not sent, and the connection enters ping-pong mode
            // (inet_csk_enter_pingpong_mode()); __tcp_ack_snd_check() sends it at once only when more than a full
            // segment is unacknowledged, else within the delayed-ACK timeout (or with our FIN, if close() comes first).
            if (rcv.finEntersPingPong()) {
                c.ackNow = true;
            } else if (!c.ackNow) {
                delayAck(c, nowNanos);
            }
        } else {
            c.ackNow = true;
        }
        switch (c.state) {
            case SYN_RECEIVED, ESTABLISHED -> c.setState(nowNanos, TcpState.CLOSE_WAIT, "rcv FIN");
            case FIN_WAIT_1 -> {
                if (c.sender.finAcked()) {
                    c.enterTimeWait(nowNanos, "rcv FIN,ACK");
                } else {
                    c.setState(nowNanos, TcpState.CLOSING, "rcv FIN (simultaneous close)");
                    if (c.config.profile().retransmitsFinWhenClosing() && c.sender.una() == c.sender.finSeq()) {
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
