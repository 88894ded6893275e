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
    private RecoveryPhase phase = RecoveryPhase.OPEN;
    /** Duplicate ACKs since SND.UNA last moved (RFC 5681 §2). */
    private int dupAcks;
    /** RFC 6582 "recover" / RFC 6675 RecoveryPoint, exclusive: HighData + 1 when recovery began. */
    private int recoveryPoint;
    /** End (exclusive) of the highest byte retransmitted in this recovery (RFC 6675 HighRxt + 1). */
    private int highRxt;
    /** Bytes below this and not SACKed are lost whatever the scoreboard says (the first segment, or all after an RTO). */
    private int forcedLostEnd;
    /** RFC 6675 rule 4: the rescue retransmission was used at this RecoveryPoint. */
    private boolean rescueUsed;
    private int rescueRxt;
    /** RFC 6582 §3.2 cwnd inflation for a sender without SACK: 3·SMSS plus one per further duplicate ACK. */
    private long inflation;
    /** A retransmission RFC 5681 step 2 or RFC 6582 step 4 requires whatever cwnd allows. */
    private boolean retransmitNow;

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
     * Records the SACK blocks of an acceptable ACK (RFC 2018 §4, RFC 6675 Update()); the caller has
     * already moved SND.UNA if the ACK advanced it.
     *
     * @return bytes newly SACKed
     */
    int updateScoreboard(Sender t, ParsedTcpOptions o) {
        scoreboard.advance(t.sndUna);
        if (!t.sackPermitted || o.sackBlockCount() == 0) {
            return 0;
        }
        int added = 0;
        for (int i = 0; i < o.sackBlockCount(); i++) {
            added += scoreboard.add(o.sackLeft(i), o.sackRight(i), t.sndUna, t.sndNxt);
        }
        return added;
    }

    /**
     * SND.UNA advanced by {@code ackedBytes} of data: counts stop, recovery ends at its point or, for
     * NewReno without SACK, a partial ACK retransmits the next hole (RFC 6582 §3.2 step 4).
     */
    void onAdvance(Sender c, long nowNanos, long ackedBytes) {
        Sender t = c;
        dupAcks = 0;
        highRxt = SeqNum.max(highRxt, t.sndUna);
        forcedLostEnd = SeqNum.max(forcedLostEnd, t.sndUna);
        switch (phase) {
            case OPEN -> { }
            case FAST_RECOVERY -> {
                if (SeqNum.ge(t.sndUna, recoveryPoint)) {
                    // Full ACK: RFC 6582 §3.2 step 3 / RFC 6675 §5 (A): recovery is over.
                    c.cc.onRecoveryEnd(nowNanos);
                    exitRecovery();
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
    boolean onDuplicateAck(Sender c, long nowNanos, boolean duplicate) {
        Sender t = c;
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
                }
                return true; // a retransmission, or RFC 3042 limited transmit
            }
            case FAST_RECOVERY -> {
                if (!t.sackPermitted) {
                    inflation += t.sndMss; // RFC 6582 §3.2 step 3 (RFC 5681 step 4)
                }
                return true;
            }
            case RTO_RECOVERY -> {
                return !scoreboard.isEmpty();
            }
        }
        return false;
    }

    /** RFC 5681 §3.2 steps 2-3, RFC 6582 §3.2 step 2, RFC 6675 §5 step 4. */
    private void enterFastRecovery(Sender c, long nowNanos) {
        Sender t = c;
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
        c.stats.increment(Counter.TcpExtTCPFastRetrans);
        c.stats.increment(t.sackPermitted ? Counter.TcpExtTCPSackRecovery : Counter.TcpExtTCPRenoRecovery);
    }

    /**
     * The retransmission timer fired with data outstanding (RFC 5681 §3.1, RFC 6675 §5.1):
     * everything outstanding is presumed lost and resent in order as cwnd allows (slow start), and
     * no fast recovery starts before SND.UNA passes the current HighData. SACK information is
     * discarded, because the peer may have reneged (RFC 2018 §8); later ACKs rebuild it.
     */
    void onRetransmitTimeout(Sender c, long nowNanos) {
        Sender t = c;
        c.cc.onRetransmitTimeout(nowNanos, SeqNum.diff(t.sndNxt, t.sndUna));
        c.lossReduction();
        goBackN(t); // the timer path sends the first segment itself
        scoreboard.clear();
    }

    /** Everything outstanding is presumed lost, to be resent in order from SND.UNA (phase RTO_RECOVERY). */
    private void goBackN(Sender t) {
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
    }

    private void exitRecovery() {
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
        long flight = SeqNum.diff(t.sndNxt, t.sndUna);
        return switch (phase) {
            case OPEN -> cwnd - flight + (long) Math.min(dupAcks, 2) * t.sndMss;
            case FAST_RECOVERY -> t.sackPermitted ? cwnd - pipe(t) : Math.max(t.sndMss, cwnd + inflation) - flight;
            case RTO_RECOVERY -> cwnd - pipe(t);
        };
    }

    /** RFC 6675 SetPipe. */
    long pipe(Sender t) {
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
        int seq = scoreboard.nextUnsacked(SeqNum.max(highRxt, t.sndUna));
        return SeqNum.lt(seq, lostEnd(t)) ? Integer.toUnsignedLong(seq) : -1L;
    }

    /**
     * RFC 6675 NextSeg rule (3), for SACK fast recovery when rule (2) has no new data to send: the
     * first unSACKed byte above HighRxt and below the highest SACKed one, or {@code -1L}.
     */
    long nextUnsackedBelowHighestSack(Sender t) {
        if (phase != RecoveryPhase.FAST_RECOVERY || !t.sackPermitted) {
            return -1L;
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
        if (phase != RecoveryPhase.FAST_RECOVERY || !t.sackPermitted || (rescueUsed && !SeqNum.gt(t.sndUna, rescueRxt))) {
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
    int holeEnd(int seq, int limit) {
        return scoreboard.holeEnd(seq, limit);
    }

    @Override
    public String toString() {
        return "LossRecovery[" + phase + " dupAcks=" + dupAcks + " recover=" + Integer.toUnsignedString(recoveryPoint)
                + " highRxt=" + Integer.toUnsignedString(highRxt) + " inflation=" + inflation + " " + scoreboard + "]";
    }
}
