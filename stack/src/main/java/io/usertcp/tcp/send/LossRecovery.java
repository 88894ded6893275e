package io.usertcp.tcp.send;

import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;

/**
 * The sender's loss recovery for one connection: duplicate-ACK counting, fast retransmit and fast
 * recovery (RFC 5681 §3.2), NewReno partial ACKs when SACK is off (RFC 6582), the SACK scoreboard,
 * pipe and NextSeg when it is on (RFC 6675), limited transmit (RFC 3042), and go-back-N slow start
 * after a retransmission timeout. It decides what to retransmit and how many bytes may be sent;
 * the transmitter sends, and the {@link CongestionControl} owns cwnd and ssthresh.
 *
 * <p>The three phases are Linux's: {@link RecoveryPhase#OPEN}, {@link RecoveryPhase#FAST_RECOVERY} (Linux
 * TCP_CA_Recovery) and {@link RecoveryPhase#RTO_RECOVERY} (TCP_CA_Loss). In both recovery phases the bytes
 * in {@code [SND.UNA, lostEnd)} that the scoreboard does not hold are "lost" and retransmitted in
 * order from {@code highRxt}; the phase ends when SND.UNA reaches {@code recoveryPoint}.
 */
final class LossRecovery {
    /** RFC 5681 §3.2 and RFC 6675 DupThresh. */
    static final int DUP_THRESH = 3;

    
    final SendScoreboard scoreboard = new SendScoreboard();
    RecoveryPhase phase = RecoveryPhase.OPEN;
    /** Duplicate ACKs since SND.UNA last moved (RFC 5681 §2). */
    int dupAcks;
    /** RFC 6582 "recover" / RFC 6675 RecoveryPoint, exclusive: HighData + 1 when recovery began. */
    int recoveryPoint;
    /** End (exclusive) of the highest byte retransmitted in this recovery (RFC 6675 HighRxt + 1). */
    private int highRxt;
    /** Bytes below this and not SACKed are lost whatever the scoreboard says (the first segment, or all after an RTO). */
    int forcedLostEnd;
    /** RFC 6675 rule 4: the rescue retransmission was used at this RecoveryPoint. */
    private boolean rescueUsed;
    private int rescueRxt;
    /** RFC 6582 §3.2 cwnd inflation for a sender without SACK: 3·SMSS plus one per further duplicate ACK. */
    private long inflation;
    /** A retransmission RFC 5681 step 2 or RFC 6582 step 4 requires whatever cwnd allows. */
    private boolean retransmitNow;

    // ---- Linux's loss recovery for SACK connections of the linux profile: RACK-TLP, PRR, undo ----
    static final long NONE = Long.MIN_VALUE;
    /** Every segment in flight with its send time and marks (kept in every profile; RACK judges by it). */
    final TransmitLog log = new TransmitLog();
    final Rack rack = new Rack();
    final Prr prr = new Prr();
    final RecoveryUndo undo = new RecoveryUndo();
    /** RACK's side of each ACK and timer, the loss state's F-RTO and undo (Linux tcp_fastretrans_alert()). */
    final RackRecovery rackRecovery = new RackRecovery(this);
    /** PRR paces this fast recovery (RFC 6937). */
    boolean prrActive;
    // What the ACK being processed delivered (Linux's FLAG_* of tcp_ack()).
    int ackDelivered;
    /** When the newest never-retransmitted segment this ACK delivered was sent; Long.MIN_VALUE when none. */
    private long ackNewestSentNanos = Long.MIN_VALUE;
    /**
     * This ACK's RTT evidence as Linux gathers it (tcp_clean_rtx_queue(), tcp_sacktag_one()): when
     * the oldest segment it acknowledged cumulatively, never retransmitted nor SACKed before, was
     * sent (first_ackt); the same for the oldest it newly SACKed (first_sackt); and whether it
     * acknowledged retransmitted data (FLAG_RETRANS_DATA_ACKED), which rules the first out (Karn).
     */
    private long ackFirstAckedSentNanos = Long.MIN_VALUE;
    private long ackFirstSackedSentNanos = Long.MIN_VALUE;
    private boolean ackRetransmittedAcked;
    boolean ackOriginalDelivered;
    boolean ackDataSacked;
    private boolean ackDsack;
    private int ackDsackLeft;
    private int ackDsackRight;
    private int reorderLowSeq;
    private boolean reorderSeen;
    /** Bytes the ACK being processed SACKed for the first time (RFC 6937 DeliveredData, with what it ACKed). */
    private int ackSackedBytes;

    RecoveryPhase phase() {
        return phase;
    }

    int dupAcks() {
        return dupAcks;
    }

    boolean inRecovery() {
        return phase != RecoveryPhase.OPEN;
    }

    // ------------------------------------------------------------------------------------------
    // ACK arrival (called by the Sender)
    // ------------------------------------------------------------------------------------------

    /**
     * Records the SACK blocks of an acceptable ACK (RFC 2018 §4, RFC 6675 Update()) and, in the
     * transmit log, what it delivered; the caller has already moved SND.UNA if the ACK advanced
     * it, from {@code priorUna}. A first block below SEG.ACK, or inside the second, is a D-SACK
     * (RFC 2883 §4): it reports a duplicate, not new data.
     *
     * @return bytes newly SACKed
     */
    int updateScoreboard(Sender t, ParsedTcpOptions o, int priorUna, long nowNanos) {
        int priorFack = scoreboard.highestSackedEnd(priorUna);
        scoreboard.advance(t.sndUna);
        ackDelivered = 0;
        ackNewestSentNanos = Long.MIN_VALUE;
        ackFirstAckedSentNanos = Long.MIN_VALUE;
        ackFirstSackedSentNanos = Long.MIN_VALUE;
        ackRetransmittedAcked = false;
        ackOriginalDelivered = false;
        ackDataSacked = false;
        ackDsack = false;
        reorderSeen = false;
        int added = 0;
        if (t.sackPermitted && o.sackBlockCount() > 0) {
            ackDsack = isDsack(o, t.sndUna);
            if (ackDsack) {
                ackDsackLeft = o.sackLeft(0);
                ackDsackRight = o.sackRight(0);
                dsackReceived(t, priorUna);
            }
            for (int i = ackDsack ? 1 : 0; i < o.sackBlockCount(); i++) {
                int newly = scoreboard.add(o.sackLeft(i), o.sackRight(i), t.sndUna, t.sndNxt);
                added += newly;
                if (newly > 0) {
                    sackLogged(t, o.sackLeft(i), o.sackRight(i), priorFack, nowNanos);
                }
            }
        }
        ackSackedBytes = added;
        ackLogged(t, priorFack, nowNanos); // Linux: tcp_sacktag_write_queue(), then tcp_clean_rtx_queue()
        if (reorderSeen && t.rackMode && rack.checkReordering(reorderLowSeq, scoreboard.highestSackedEnd(priorFack), t.sndMss)) {
            t.stats.increment(Counter.TcpExtTCPSACKReorder);
        }
        return added;
    }

    /** RFC 2883 §4 (Linux tcp_check_dsack()): the first block lies below SEG.ACK, or within the second block. */
    private static boolean isDsack(ParsedTcpOptions o, int ack) {
        int l0 = o.sackLeft(0);
        int r0 = o.sackRight(0);
        if (!SeqNum.lt(l0, r0)) {
            return false;
        }
        if (SeqNum.lt(l0, ack)) {
            return true;
        }
        return o.sackBlockCount() > 1 && SeqNum.ge(l0, o.sackLeft(1)) && SeqNum.le(r0, o.sackRight(1));
    }

    /** A D-SACK arrived: counted, remembered by RACK, and matched against our retransmissions for undo. */
    private void dsackReceived(Sender t, int priorUna) {
        t.stats.increment(Counter.TcpExtTCPDSACKRecv);
        if (!t.rackMode) {
            return;
        }
        rack.dsackSeen();
        int segments = Math.max(1, (SeqNum.diff(ackDsackRight, ackDsackLeft) + t.sndMss - 1) / t.sndMss);
        undo.duplicateReported(ackDsackRight, segments);
    }

    /** Newly SACKed {@code [left, right)}: marks the log, advances RACK (RFC 8985 §6.2 step 2), notes reordering. */
    private void sackLogged(Sender t, int left, int right, int priorFack, long nowNanos) {
        int l = SeqNum.max(left, t.sndUna);
        int r = SeqNum.lt(right, t.sndNxt) ? right : t.sndNxt;
        if (!SeqNum.lt(l, r)) {
            return;
        }
        log.splitAt(l);
        log.splitAt(r);
        int stop = log.indexOf(r);
        for (int i = log.indexOf(l); i < stop; i++) {
            if (log.has(i, TransmitLog.SACKED)) {
                continue;
            }
            if (!log.has(i, TransmitLog.EVER_RETRANS)) { // Linux sorts the blocks: the lowest is first_sackt
                ackFirstSackedSentNanos = ackFirstSackedSentNanos == Long.MIN_VALUE ? log.sentNanos(i)
                        : Math.min(ackFirstSackedSentNanos, log.sentNanos(i));
            }
            // Linux tcp_sacktag_one(): SACKed clears lost and retransmitted-in-flight
            log.setMarks(i, (log.marks(i) & TransmitLog.EVER_RETRANS) | TransmitLog.SACKED);
            delivered(t, i, priorFack, nowNanos);
            ackDataSacked = true;
        }
    }

    /** Entries that SND.UNA now covers leave the log; those not SACKed before were delivered now. */
    private void ackLogged(Sender t, int priorFack, long nowNanos) {
        while (!log.isEmpty()) {
            int i = log.first();
            if (SeqNum.lt(t.sndUna, log.endSeq(i))) {
                log.removeFirstIfAcked(t.sndUna); // trims a partly acknowledged entry
                return;
            }
            if (log.has(i, TransmitLog.EVER_RETRANS)) {
                ackRetransmittedAcked = true;
            } else if (!log.has(i, TransmitLog.SACKED) && ackFirstAckedSentNanos == Long.MIN_VALUE) {
                ackFirstAckedSentNanos = log.sentNanos(i);
            }
            if (!log.has(i, TransmitLog.SACKED)) {
                delivered(t, i, priorFack, nowNanos);
            }
            log.removeFirstIfAcked(t.sndUna);
        }
    }

    /**
     * Linux's RTT sample from this ACK's timing (tcp_clean_rtx_queue() and tcp_ack_update_rtt()):
     * from the send time of the oldest segment it acknowledged cumulatively unless it acknowledged
     * retransmitted data (seq_rtt_us), else of the oldest it newly SACKed (sack_rtt_us); -1 if
     * neither, when the timestamp echo is the fallback.
     */
    long ackTimingRttNanos(long nowNanos) {
        if (ackFirstAckedSentNanos != Long.MIN_VALUE && !ackRetransmittedAcked) {
            return nowNanos - ackFirstAckedSentNanos;
        }
        return ackFirstSackedSentNanos == Long.MIN_VALUE ? -1 : nowNanos - ackFirstSackedSentNanos;
    }

    /** The RTT of the newest segment this ACK delivered that was never retransmitted (Linux rs->rtt_us), or -1. */
    long ackRttNanos(long nowNanos) {
        return ackNewestSentNanos == Long.MIN_VALUE ? -1 : nowNanos - ackNewestSentNanos;
    }

    private void delivered(Sender t, int i, int priorFack, long nowNanos) {
        ackDelivered++;
        boolean everRetransmitted = log.has(i, TransmitLog.EVER_RETRANS);
        if (!everRetransmitted) {
            ackNewestSentNanos = Math.max(ackNewestSentNanos, log.sentNanos(i));
            if (SeqNum.lt(log.start(i), priorFack) && (!reorderSeen || SeqNum.lt(log.start(i), reorderLowSeq))) {
                reorderSeen = true; // a hole never retransmitted got filled: reordering (tcp_check_sack_reordering())
                reorderLowSeq = log.start(i);
            }
            if (SeqNum.le(log.endSeq(i), recoveryPoint)) {
                ackOriginalDelivered = true; // Linux FLAG_ORIG_SACK_ACKED
            }
        }
        if (t.rackMode) {
            rack.advance(log.sentNanos(i), log.endSeq(i), everRetransmitted, nowNanos, t.minRttNanos());
        }
    }

    /**
     * SND.UNA advanced by {@code ackedBytes} of data: counts stop, recovery ends at its point or, for
     * NewReno without SACK, a partial ACK retransmits the next hole (RFC 6582 §3.2 step 4).
     */
    void onAdvance(Sender c, long nowNanos, long ackedBytes, int tsEcr) {
        Sender t = c;
        if (t.rackMode) {
            dupAcks = 0;
            rackRecovery.onAck(t, nowNanos, true, false, tsEcr);
            return;
        }
        dupAcks = 0;
        highRxt = SeqNum.max(highRxt, t.sndUna);
        forcedLostEnd = SeqNum.max(forcedLostEnd, t.sndUna);
        if (phase == RecoveryPhase.RTO_RECOVERY && t.frtoWithoutSack && rackRecovery.processLoss(c, nowNanos, true, false, tsEcr)) {
            return; // Linux tcp_process_loss(): F-RTO undid the timeout, or sends new data first
        }
        switch (phase) {
            case OPEN -> { }
            case FAST_RECOVERY -> {
                if (SeqNum.ge(t.sndUna, recoveryPoint)) {
                    // Full ACK: RFC 6582 §3.2 step 3 / RFC 6675 §5 (A): recovery is over.
                    c.cc.onRecoveryEnd(nowNanos);
                    exitRecovery();
                } else if (prrActive) {
                    prrOnAck(t, ackedBytes + ackSackedBytes); // RFC 6937 in bytes (FreeBSD tcp_do_prr_ack())
                } else if (!t.sackPermitted) {
                    // Partial ACK, RFC 6582 §3.2 step 4: the first unacknowledged segment is lost too;
                    // deflate by what was acknowledged and add back one SMSS if that was at least one.
                    forcedLostEnd = t.sndUna + t.sndMss;
                    highRxt = t.sndUna;
                    retransmitNow = true;
                    inflation -= ackedBytes;
                    if (ackedBytes >= t.sndMss) {
                        inflation += t.sndMss;
                    }
                }
            }
            case RTO_RECOVERY -> {
                if (SeqNum.ge(t.sndUna, recoveryPoint)) {
                    exitRecovery();
                }
            }
        }
    }

    /**
     * An ACK that did not advance SND.UNA. {@code duplicate} says whether it counts as a duplicate
     * ACK (RFC 5681 §2; with SACK, RFC 6675 §2: it SACKed new data). Returns whether something may
     * now be sent.
     */
    boolean onDuplicateAck(Sender c, long nowNanos, boolean duplicate, int tsEcr) {
        Sender t = c;
        if (t.rackMode) {
            if (duplicate && phase == RecoveryPhase.OPEN) {
                dupAcks++; // for tcpi_ca_state's Disorder only: RACK decides what is lost
            }
            rackRecovery.onAck(t, nowNanos, false, duplicate, tsEcr);
            return duplicate || ackDelivered > 0 || phase != RecoveryPhase.OPEN;
        }
        if (!duplicate) {
            return false;
        }
        switch (phase) {
            case OPEN -> {
                dupAcks++;
                boolean lost = dupAcks >= DUP_THRESH
                        || (t.sackPermitted && SeqNum.gt(lostEnd(t), t.sndUna)); // RFC 6675 §5: IsLost(HighACK + 1)
                if (lost) {
                    enterFastRecovery(c, nowNanos);
                    if (prrActive) {
                        prrOnAck(t, ackSackedBytes);
                    }
                }
                return true; // a retransmission, or RFC 3042 limited transmit
            }
            case FAST_RECOVERY -> {
                if (!t.sackPermitted) {
                    inflation += t.sndMss; // RFC 6582 §3.2 step 3 (RFC 5681 step 4)
                } else if (prrActive) {
                    prrOnAck(t, ackSackedBytes);
                }
                return true;
            }
            case RTO_RECOVERY -> {
                if (t.frtoWithoutSack) {
                    rackRecovery.processLoss(c, nowNanos, false, true, tsEcr); // F-RTO step 3.a: a duplicate ACK
                }
                return !scoreboard.isEmpty();
            }
        }
        return false;
    }

    /** RFC 5681 §3.2 steps 2-3, RFC 6582 §3.2 step 2, RFC 6675 §5 step 4. */
    void enterFastRecovery(Sender c, long nowNanos) {
        Sender t = c;
        long priorCwnd = c.cc.cwndBytes();
        if (t.rackMode) {
            // Linux tcp_enter_recovery(): tcp_init_undo(), prior_ssthresh = tcp_current_ssthresh() unless in CWR
            undo.begin(t.sndUna, log.retransOut, priorCwnd, c.reducedThisWindow() ? c.cc.ssthreshBytes() : currentSsthresh(c));
            c.lossProbe.reset();
        }
        if (c.reducedThisWindow()) {
            c.cc.onLossInReducedWindow(nowNanos); // RFC 3168 §6.1.2: one reduction per window, ECE or loss
        } else {
            c.cc.onLossDetected(nowNanos, SeqNum.diff(t.sndNxt, t.sndUna));
        }
        c.lossReduction();
        phase = RecoveryPhase.FAST_RECOVERY;
        recoveryPoint = t.sndNxt;
        highRxt = t.sndUna;
        forcedLostEnd = t.sndUna + t.sndMss; // the first segment is retransmitted even without SACK evidence
        rescueUsed = false;
        inflation = t.sackPermitted ? 0 : (long) DUP_THRESH * t.sndMss;
        retransmitNow = true;
        prrActive = t.sackPermitted && t.prrMode;
        if (prrActive) {
            // RFC 6937 §3 initialization. RecoverFS: Linux prior_cwnd in packets; FreeBSD recover_fs = SND.NXT − SND.UNA
            // in bytes
            if (t.rackMode) {
                prr.start(priorCwnd / t.sndMss, c.cc.ssthreshBytes() / t.sndMss);
            } else {
                prr.start(SeqNum.diff(t.sndNxt, t.sndUna), c.cc.ssthreshBytes());
            }
        }
        if (t.rackMode) {
            forcedLostEnd = t.sndUna; // RACK has marked what is lost; PRR lets the first retransmission go
            retransmitNow = false;
        }
        c.stats.increment(Counter.TcpExtTCPFastRetrans);
        c.stats.increment(t.sackPermitted ? Counter.TcpExtTCPSackRecovery : Counter.TcpExtTCPRenoRecovery);
    }

    /**
     * The retransmission timer fired with data outstanding (RFC 5681 §3.1, RFC 6675 §5.1):
     * everything outstanding is presumed lost and resent in order as cwnd allows (slow start), and
     * no fast recovery starts before SND.UNA passes the current HighData. SACK information is
     * discarded, because the peer may have reneged (RFC 2018 §8); later ACKs rebuild it. A RACK
     * connection keeps it as Linux does ({@link RackRecovery#onTimeout}); on the linux profile F-RTO
     * then judges the timeout (RFC 5682).
     */
    void onRetransmitTimeout(Sender c, long nowNanos, int retransmitsBefore) {
        Sender t = c;
        if (t.rackMode) {
            rackRecovery.onTimeout(c, nowNanos, retransmitsBefore);
            return;
        }
        if (t.frtoWithoutSack) {
            rackRecovery.renoTimeout(c, retransmitsBefore);
        }
        c.cc.onRetransmitTimeout(nowNanos, SeqNum.diff(t.sndNxt, t.sndUna));
        c.lossReduction();
        goBackN(t); // the timer path sends the first segment itself
        scoreboard.clear();
    }

    /** Linux tcp_current_ssthresh(): ssthresh, or ¾ cwnd if higher, outside a reduction. */
    static long currentSsthresh(Sender c) {
        long cwnd = c.cc.cwndBytes();
        return c.reducedThisWindow() ? c.cc.ssthreshBytes() : Math.max(c.cc.ssthreshBytes(), (cwnd >> 1) + (cwnd >> 2));
    }

    /** Everything outstanding is presumed lost, to be resent in order from SND.UNA (phase RTO_RECOVERY). */
    void goBackN(Sender t) {
        phase = RecoveryPhase.RTO_RECOVERY;
        recoveryPoint = t.sndNxt;
        highRxt = t.sndUna;
        forcedLostEnd = t.sndNxt;
        inflation = 0;
        dupAcks = 0;
        retransmitNow = false;
    }

    /**
     * The path MTU fell (RFC 1191): every outstanding segment is presumed lost and resent in order at
     * the new MSS, as after a timeout but with cwnd and ssthresh left alone (Linux
     * tcp_simple_retransmit() enters the Loss state with ssthresh unchanged). SACK information stays.
     */
    void onPathMtuReduced(Sender c) {
        goBackN(c);
        for (int i = log.first(); i < log.end(); i++) {
            if (!log.has(i, TransmitLog.SACKED)) {
                log.setMarks(i, (log.marks(i) & TransmitLog.EVER_RETRANS) | TransmitLog.LOST);
            }
        }
        rackRecovery.pathMtuReduced();
    }

    void exitRecovery() {
        phase = RecoveryPhase.OPEN;
        inflation = 0;
        retransmitNow = false;
    }

    // ------------------------------------------------------------------------------------------
    // Transmission (called by the Sender for the transmitter)
    // ------------------------------------------------------------------------------------------

    /**
     * Bytes that may be sent now (new data or retransmissions) under cwnd: cwnd − FlightSize when
     * open (plus up to two segments of limited transmit, RFC 3042), cwnd + inflation − FlightSize in
     * NewReno recovery, cwnd − pipe with SACK or after a timeout (RFC 6675 §5 (C)). May be negative.
     */
    long sendBudget(Sender c) {
        Sender t = c;
        long cwnd = c.cc.cwndBytes();
        long flight = t.cwndFlight();
        if (t.rackMode) {
            // Linux: cwnd − tcp_packets_in_flight(); during fast recovery PRR's window (tcp_cwnd_reduction())
            if (phase == RecoveryPhase.FAST_RECOVERY && prrActive) {
                return prr.budget(log.inFlightPackets(), 1) * t.sndMss;
            }
            return cwnd - log.inFlightBytes(flight);
        }
        if (phase == RecoveryPhase.FAST_RECOVERY && prrActive) {
            return prr.budget(pipe(t), t.sndMss); // RFC 6937, in bytes (FreeBSD tcp_do_prr_ack())
        }
        return switch (phase) {
            case OPEN -> cwnd - flight + (long) Math.min(dupAcks, 2) * t.sndMss;
            case FAST_RECOVERY -> t.sackPermitted ? cwnd - pipe(t) : Math.max(t.sndMss, cwnd + inflation) - flight;
            case RTO_RECOVERY -> cwnd - pipe(t);
        };
    }

    /** RFC 6675 SetPipe. */
    long pipe(Sender t) {
        if (t.rackMode) {
            return log.inFlightBytes(t.cwndFlight());
        }
        return scoreboard.pipe(t.sndUna, t.sndNxt, lostEnd(t), highRxt);
    }

    /** Everything unSACKed below this is lost: the forced boundary or RFC 6675 IsLost, whichever is higher. */
    private int lostEnd(Sender t) {
        int byScoreboard = t.sackPermitted ? scoreboard.lostBoundary(t.sndUna, t.sndMss, DUP_THRESH) : t.sndUna;
        int end = SeqNum.max(forcedLostEnd, byScoreboard);
        return SeqNum.lt(end, t.sndNxt) ? end : t.sndNxt;
    }

    /** Whether a retransmission must go out now even if cwnd is used up (the fast retransmit itself). */
    boolean retransmitRequired() {
        return retransmitNow;
    }

    /**
     * RFC 6675 NextSeg rule (1), also serving NewReno and go-back-N: the first lost, unSACKed,
     * not yet retransmitted sequence number, or {@code -1L} when there is none.
     */
    long nextLost(Sender t) {
        if (phase == RecoveryPhase.OPEN) {
            return -1L;
        }
        if (rackRecovery.sendsNewDataFirst()) {
            return -1L; // RFC 5682 step 2.b: new data first (linux profile)
        }
        if (t.rackMode) {
            int i = log.firstLostToResend(t.sndUna);
            return i < 0 ? -1L : Integer.toUnsignedLong(SeqNum.max(log.start(i), t.sndUna));
        }
        int seq = scoreboard.nextUnsacked(SeqNum.max(highRxt, t.sndUna));
        return SeqNum.lt(seq, lostEnd(t)) ? Integer.toUnsignedLong(seq) : -1L;
    }

    /**
     * RFC 6675 NextSeg rule (3), for SACK fast recovery when rule (2) has no new data to send: the
     * first unSACKed byte above HighRxt and below the highest SACKed one, or {@code -1L}.
     */
    long nextUnsackedBelowHighestSack(Sender t) {
        if (phase != RecoveryPhase.FAST_RECOVERY || !t.sackPermitted || t.rackMode) {
            return -1L; // Linux retransmits only what RACK marked lost
        }
        int seq = scoreboard.nextUnsacked(SeqNum.max(highRxt, t.sndUna));
        return SeqNum.lt(seq, scoreboard.highestSackedEnd(t.sndUna)) ? Integer.toUnsignedLong(seq) : -1L;
    }

    /**
     * RFC 6675 NextSeg rule (4): once per recovery (again after SND.UNA passes RescueRxt), one
     * segment that includes the highest outstanding unSACKed byte, so a lost tail is not left to the
     * timer. Returns its start or {@code -1L}; {@code end} is SND.NXT.
     */
    long rescueStart(Sender t, int end) {
        if (phase != RecoveryPhase.FAST_RECOVERY || !t.sackPermitted || t.rackMode || (rescueUsed && !SeqNum.gt(t.sndUna, rescueRxt))) {
            return -1L;
        }
        if (!SeqNum.lt(t.sndUna, end) || scoreboard.isSacked(end - 1)) {
            return -1L;
        }
        return Integer.toUnsignedLong(SeqNum.max(t.sndUna, end - t.sndMss));
    }

    /** A retransmission ending before {@code end} went out ({@code end} counts a FIN's sequence number). */
    void retransmitted(int end, boolean rescue) {
        retransmitNow = false;

        if (rescue) {
            rescueUsed = true; // RFC 6675 rule (4): RescueRxt = RecoveryPoint, HighRxt unchanged
            rescueRxt = recoveryPoint;
        } else {
            highRxt = SeqNum.max(highRxt, end);
        }
    }

    /** Where the hole at {@code seq} ends, capped at {@code limit}. */
    int holeEnd(Sender t, int seq, int limit) {
        if (t.rackMode) {
            int i = log.indexOf(seq);
            if (i < log.end()) {
                int end = log.endSeq(i);
                return SeqNum.lt(end, limit) ? end : limit;
            }
            return limit;
        }
        return scoreboard.holeEnd(seq, limit);
    }

    // ------------------------------------------------------------------------------------------
    // What went out (called by the Sender for every segment with data or FIN)
    // ------------------------------------------------------------------------------------------

    /** New data (or our FIN) {@code [start, end)} went out. */
    void newDataSent(Sender t, int start, int end, long nowNanos) {
        log.appendSent(start, end, nowNanos);
        rackRecovery.newDataSent();
        prrSent(t, SeqNum.diff(end, start));
    }

    /**
     * {@code [start, end)}, just logged as sent, was a retransmission that went out as new data:
     * marked lost and retransmitted, as Linux marks what it resends this way (tcp_mark_skb_lost(),
     * then the retransmission), so RACK finds it lost again like any retransmission.
     */
    void markRetransmitted(int start, int end) {
        log.splitAt(start);
        log.splitAt(end);
        int stop = log.indexOf(end);
        for (int i = log.indexOf(start); i < stop; i++) {
            log.setMarks(i, log.marks(i) | TransmitLog.LOST | TransmitLog.EVER_RETRANS | TransmitLog.RETRANS_OUT);
        }
    }

    /** {@code [start, end)} went out again: the log marks it retransmitted, sent now (RFC 8985 §6.2 step 1). */
    void retransmittedRange(Sender t, int start, int end, long nowNanos) {
        prrSent(t, SeqNum.diff(end, start));
        if (!SeqNum.lt(start, end) || log.isEmpty()) {
            return;
        }
        log.splitAt(start);
        log.splitAt(end);
        int stop = log.indexOf(end);
        int segments = 0;
        for (int i = log.indexOf(start); i < stop; i++) {
            log.setMarks(i, log.marks(i) | TransmitLog.EVER_RETRANS | TransmitLog.RETRANS_OUT);
            log.setSentNanos(i, nowNanos);
            segments++;
        }
        if ((t.rackMode || t.frtoWithoutSack) && segments > 0) {
            undo.retransmitted(segments, t.tsNow(nowNanos));
        }
    }

    /** RFC 6937 on an ACK of a byte-counting (FreeBSD) recovery: SSRB always adds a segment, as tcp_do_prr_ack() does. */
    private void prrOnAck(Sender t, long deliveredBytes) {
        prr.onAck(deliveredBytes, pipe(t), true, t.sndMss);
    }

    private void prrSent(Sender t, int bytes) {
        if (phase == RecoveryPhase.FAST_RECOVERY && prrActive) {
            prr.sent(t.rackMode ? 1 : bytes); // RFC 6937 prr_out: Linux counts packets, FreeBSD bytes
        }
    }

    /** Segments judged lost: RACK's marks, or RFC 6675's IsLost boundary counted in segments of the log. */
    int lostPackets(Sender t) {
        if (t.rackMode) {
            return log.lostOut;
        }
        if (phase == RecoveryPhase.OPEN) {
            return 0;
        }
        int end = lostEnd(t);
        int n = 0;
        for (int i = log.first(); i < log.end() && SeqNum.lt(log.start(i), end); i++) {
            n += log.has(i, TransmitLog.SACKED) ? 0 : 1;
        }
        return n;
    }

    /**
     * Linux's congestion state for tcpi_ca_state in the open phase: Disorder when SACKed or
     * retransmitted segments are outstanding, or duplicate ACKs came (tcp_try_keep_open()).
     */
    boolean disorder() {
        return phase == RecoveryPhase.OPEN && (dupAcks > 0 || log.sackedOut > 0 || log.retransOut > 0);
    }

    /** Whether the D-SACK of this ACK covers the end of a loss probe ending at {@code probeEnd} (Linux FLAG_DSACK_TLP). */
    boolean dsackCovers(int probeEnd) {
        return ackDsack && SeqNum.lt(ackDsackLeft, probeEnd) && SeqNum.ge(ackDsackRight, probeEnd);
    }

    boolean ackDataSacked() {
        return ackDataSacked;
    }

    @Override
    public String toString() {
        return "LossRecovery[" + phase + " dupAcks=" + dupAcks + " recover=" + Integer.toUnsignedString(recoveryPoint)
                + " highRxt=" + Integer.toUnsignedString(highRxt) + " inflation=" + inflation + " " + scoreboard + "]";
    }
}
