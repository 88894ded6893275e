package io.usertcp.tcp.send;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.tcp.cc.CongestionControlFactory;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;

/**
 * The sending half of one connection (DESIGN.md §4, as gVisor's netstack splits it): the send
 * buffer, the send sequence space of RFC 9293 §3.3.1 (SND.UNA, SND.NXT, SND.WND, SND.WL1, SND.WL2,
 * ISS, our FIN), RTT estimation with Karn's rule (RFC 6298), loss recovery (RFC 5681, 6582, 6675),
 * congestion control and the persist state (RFC 9293 §3.8.6.1).
 *
 * <p>Its state is its own: segment arrival hands it the segment, the transmitter asks it what to
 * send and tells it what was sent, the timers tell it what expired. It answers with facts and
 * decisions; arming timers and queueing output is the connection's part, so this class imports
 * neither the connection, nor segment arrival, nor the transmitter (an architecture test keeps it
 * so). Sequence numbers are compared only through {@link SeqNum}.
 *
 * <p>Not an API for applications: public only because the connection lives in another package.
 * Stack-thread only.
 */
public final class Sender {
    /** RFC 9293 §3.7.1 (MUST-15): the MSS assumed when the peer sends no MSS option. */
    public static final int DEFAULT_MSS = 536;

    // What onAck reports (a bit set), for the connection to act on.
    /** SND.UNA advanced. */
    public static final int ADVANCED = 1;
    /** Data bytes were acknowledged: the application may write more. */
    public static final int DATA_ACKED = 2;
    /** Everything sent is acknowledged: no retransmission timer. */
    public static final int ALL_ACKED = 4;
    /** Our SYN was acknowledged by this ACK. */
    public static final int SYN_ACKED = 8;
    /** Something may be sent now (a window opened, a retransmission or limited transmit is due). */
    public static final int WANTS_OUTPUT = 16;
    /** The peer's window is open: no persist timer. */
    public static final int WINDOW_OPEN = 32;

    // ---- the send sequence space (RFC 9293 §3.3.1); package-private for LossRecovery only ----
    int iss;
    /** Oldest unacknowledged sequence number. */
    int sndUna;
    /** Next sequence number to send (the highest sent so far: retransmissions do not move it back). */
    int sndNxt;
    /** Send window in bytes, already scaled. */
    private long sndWnd;
    private int sndWl1;
    private int sndWl2;
    /** The largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
    private long maxSndWnd;
    /** Largest payload we put in a segment (peer's MSS, our MTU, minus options we always send). */
    int sndMss = DEFAULT_MSS;
    /** The send MSS the SYN exchange and the path allow, before {@link #syncMss()} bounds it by the window. */
    private int pathMss = DEFAULT_MSS;
    /** Whether the send MSS is bounded by the peer's largest window (Linux tcp_bound_to_half_wnd()). */
    private final boolean boundsMssToWindow;
    /** Shift applied to windows the peer sends (RFC 7323 §2.3, Snd.Wind.Shift). */
    private int sndWndShift;
    /** End of the last less-than-MSS segment sent (Minshall's Nagle: SND.SML, Linux snd_sml). */
    private int sndSml;
    /** Our FIN's sequence number once sent; valid when {@link #finSent}. */
    private int finSeq;
    private boolean finQueued;
    private boolean finSent;
    boolean sackPermitted;
    /** Loss detection is RACK-TLP (the profile's choice, with SACK) and fast recovery is paced by PRR. */
    boolean rackMode;
    boolean prrMode;
    /** Linux's F-RTO and undo on a connection without SACK (tcp_frto applies to Reno too); RACK-TLP needs SACK. */
    boolean frtoWithoutSack;
    private boolean timestamps;
    /** Per-connection offset added to our timestamp clock (RFC 7323 §5.4, randomised). */
    private int tsOffset;

    // ---- buffers, estimation, recovery ----
    private final SendBuffer buffer;
    final RttEstimator rtt;
    final LossRecovery recovery = new LossRecovery();
    final LossProbe lossProbe = new LossProbe();
    private final RecoverySender control = new RecoverySender(this);
    final TcpConfig config;
    final StackStats stats;
    CongestionControl cc;

    // ---- retransmission, Karn, persist ----
    /** Consecutive retransmission timeouts of the current oldest segment. */
    private int retransmits;
    /** The sequence number being timed for an RTT sample (Karn: never a retransmitted one); valid if {@link #rttTiming}. */
    private int rttSeq;
    private long rttStartNanos;
    private boolean rttTiming;
    /**
     * Persist-timer expiries since it was armed: the probes' own backoff (RFC 9293 §3.8.6.1). It never
     * touches the RTO, as Linux's probe0 backoff leaves icsk_rto alone.
     */
    private int persistBackoffs;
    /**
     * Zero-window probes sent since the peer was last heard from: past dataRetries the peer is gone
     * (Linux tcp_probe_timer, icsk_probes_out). Answered probes never add up (RFC 1122 §4.2.2.17).
     */
    private int probesUnanswered;
    /** When data or a FIN was last sent (Linux lsndtime), for slow start after idle (RFC 5681 §4.1). */
    private long lastDataSentNanos;
    /** Sequence numbers SND.UNA has advanced by (Linux bytes_acked). */
    private long ackedSequence;
    /** The most bytes in flight since the current window began (Linux max_packets_out), and where it ends. */
    private int maxFlightInWindow;
    private int cwndUsageSeq;
    private boolean corked;
    private boolean moreComing;
    private int notSentLowat = Integer.MAX_VALUE;
    /** SO_SNDBUF was set: the buffer keeps its size (Linux SOCK_SNDBUF_LOCK). */
    private boolean bufferLocked;
    /** The send buffer counted in skbs, as Linux does (the linux profile); null otherwise. */
    private final SkbQueue skbs;
    /** Where cwnd restarts after idle: at Linux's moments ({@link #idleRestartCheck}), else before new data. */
    private final boolean linuxIdleRestart;
    /** RTT samples as Linux takes them, from every ACK's timing ({@link #sampleRtt}). */
    private final boolean linuxRttSampling;
    /** PSH per Linux GSO packet ({@link #pushesNewSegment}), which needs {@link #skbs}. */
    private final boolean gsoPackets;
    /** Data bytes acknowledged so far, for {@link #skbs}. */
    private long ackedDataBytes;
    /** A write found the buffer full since the last ACK that could grow it (Linux SOCK_NOSPACE). */
    private boolean writerLimited;
    /**
     * Linux SOCK_NOSPACE: a write found no room, and the writer has not been told of room since
     * (sk_stream_write_space() clears it once the socket is writable). Unlike {@link #writerLimited},
     * which send-buffer growth consumes, this follows the wakeup; the sndbuf-limited chronograph runs on it.
     */
    private boolean noSpace;
    /**
     * Segments the peer acknowledged, our SYN or SYN,ACK included (TCP_INFO's tcpi_delivered, Linux
     * tp->delivered), counted in segments of SND.MSS as TcpExtTCPDeliveredCE is: Linux counts its skbs'
     * segments, and counts a SACKed one when it is SACKed where this counts it when cumulatively ACKed.
     */
    private long delivered;
    /** TCP Fast Open, client: the end of SYN-data the SYN,ACK did not acknowledge, sent again as new data. */
    private int synDataResendEnd;
    /** Whether SYN-data is being sent again, up to {@link #synDataResendEnd}. */
    private boolean synDataResending;
    /** TCP Fast Open, server: new data may go before our SYN,ACK is acknowledged (RFC 7413 §4.2.2). */
    private boolean dataBeforeSynAcked;

    /** ECN's cwnd reduction (RFC 3168 §6.1.2), as Linux's TCP_CA_CWR state. */
    private final CwrState cwr = new CwrState();

    public Sender(TcpConfig config, StackStats stats, long nowNanos) {
        this.config = config;
        this.stats = stats;
        this.buffer = new SendBuffer(config.sendBufferBytes());
        this.skbs = config.profile().accountsSendBufferInSkbs() ? new SkbQueue() : null;
        this.gsoPackets = skbs != null && config.profile().pushesPerGsoPacket();
        this.linuxRttSampling = config.profile().linuxRttEstimator();
        this.linuxIdleRestart = config.profile().restartsAfterIdleAsLinux();
        this.boundsMssToWindow = config.profile().windowBoundsAsLinux();
        this.notSentLowat = config.notSentLowatBytes();
        this.rtt = new RttEstimator(config);
        this.cc = config.congestion().newController(DEFAULT_MSS);
        this.lastDataSentNanos = nowNanos;
    }

    // =====================================================================================
    // Set-up: ISS and what the SYN exchange negotiated
    // =====================================================================================

    /** Before the SYN exchange: the MSS we may use until the peer's is known, and our timestamp clock's offset. */
    public void configure(int mss, int tsOffset) {
        this.sndMss = mss;
        this.pathMss = mss;
        this.tsOffset = tsOffset;
    }

    /** Starts the send sequence space at {@code iss}: the SYN takes ISS, so SND.NXT is ISS+1. */
    public void start(int iss) {
        this.iss = iss;
        this.synDataResendEnd = iss;
        this.sndUna = iss;
        this.sndNxt = iss + 1;
        this.sndSml = iss;
    }

    /**
     * What the SYN exchange negotiated for the send side: the effective send MSS (RFC 9293
     * §3.7.1), the peer's window shift (RFC 7323 §2.2), SACK (RFC 2018) and timestamps (RFC 7323).
     * The controller recomputes its initial window for the MSS (RFC 6928 §2).
     */
    public void negotiated(int mss, int windowShift, boolean sack, boolean timestamps) {
        this.sndMss = mss;
        this.pathMss = mss;
        this.sndWndShift = windowShift;
        this.sackPermitted = sack;
        this.timestamps = timestamps;
        this.rackMode = sack && config.profile().lossDetection() == TcpProfile.LossDetection.RACK_TLP;
        this.prrMode = config.profile().proportionalRateReduction();
        this.frtoWithoutSack = !sack && config.profile().lossDetection() == TcpProfile.LossDetection.RACK_TLP;
        cc.setMss(mss);
        syncMss();
    }

    /**
     * Linux tcp_sync_mss() with tcp_bound_to_half_wnd() (the linux profile): the send MSS is at
     * most half the largest window the peer offered (all of it while that is at most 536 bytes),
     * never below 68 bytes less the header, so a peer with a small window still gets two segments
     * in flight; it grows back as the window does, up to what the SYN exchange and the path allow.
     * rfc and freebsd keep SND.MSS and rely on sender SWS avoidance (RFC 9293 §3.8.6.2.1).
     */
    private void syncMss() {
        if (!boundsMssToWindow || maxSndWnd == 0) {
            return;
        }
        int mss = (int) boundToHalfWindow(pathMss);
        if (mss != sndMss) {
            sndMss = mss;
            cc.setMss(mss);
        }
    }

    /**
     * A "fragmentation needed" message (RFC 1191) lowered the path MTU to {@code pathMtu}: the send
     * MSS becomes what fits, less our options (Linux tcp_sync_mss(), never below tcp_min_snd_mss,
     * 48), and, as Linux tcp_simple_retransmit() does, everything outstanding is resent at the new
     * size without a congestion response (the segments were lost to the MTU, not to congestion).
     * Returns whether anything must be resent; a larger or equal MTU changes nothing (RFC 1191 §6.3:
     * increases are found by probing, not by these messages).
     */
    public boolean pathMtuReduced(int pathMtu) {
        int fits = pathMtu - 40 - (timestamps ? 12 : 0);
        pathMss = Math.max(MIN_SND_MSS, Math.min(pathMss, fits));
        int mss = Math.min(sndMss, pathMss);
        if (mss >= sndMss) {
            return false;
        }
        sndMss = mss;
        cc.setMss(mss);
        if (sndUna == sndNxt || !synAcked()) {
            return false;
        }
        recovery.onPathMtuReduced(this);
        return true;
    }

    /**
     * The sequence space in flight as cwnd counts it: SND.NXT − SND.UNA, less the SYN,ACK of a Fast
     * Open child that sends before its handshake ends, which Linux's child does not hold (its
     * request socket retransmits it: tcp_fastopen_synack_timer()), so data gets the whole of cwnd.
     */
    long cwndFlight() {
        int flight = SeqNum.diff(sndNxt, sndUna);
        return dataBeforeSynAcked && !synAcked() ? flight - 1 : flight;
    }

    /**
     * Linux tcp_bound_to_half_wnd(): {@code size} at most half the largest window the peer offered
     * (all of it while that is at most TCP_MSS_DEFAULT, 536), never below 68 bytes less the TCP
     * header; unbounded before any window is known.
     */
    private long boundToHalfWindow(long size) {
        long cutoff = maxSndWnd > DEFAULT_MSS ? maxSndWnd >> 1 : maxSndWnd;
        return cutoff > 0 && size > cutoff ? Math.max(cutoff, 68 - 20 - (timestamps ? 12 : 0)) : size;
    }

    /** Linux tcp_min_snd_mss: the smallest send MSS, whatever the peer or the path says. */
    public static final int MIN_SND_MSS = 48;

    /** The window a segment offers, scaled by {@code shift}, recorded as the latest update (SND.WL1/WL2). */
    public void setWindow(int window, int shift, int seq, int ack) {
        sndWnd = (long) window << shift;
        sndWl1 = seq;
        sndWl2 = ack;
        if (sndWnd > maxSndWnd) {
            maxSndWnd = sndWnd;
            syncMss(); // tcp_ack_update_window(): a larger max_window may let the MSS grow back
        }
    }

    /**
     * The ACK that completes a passive open (SYN-RECEIVED → ESTABLISHED) brings the window: see
     * {@link #setWindow}. In the linux profile the largest window starts afresh from it, as Linux
     * makes the child socket from this ACK (tcp_create_openreq_child(): max_window = snd_wnd).
     */
    public void handshakeCompleted(int window, int shift, int seq, int ack) {
        if (boundsMssToWindow) {
            maxSndWnd = 0;
        }
        setWindow(window, shift, seq, ack);
    }

    /** A SYN cookie handshake: the final ACK acknowledged the cookie SYN,ACK. */
    public void synAcknowledgedByCookie() {
        sndUna = iss + 1;
        ackedSequence++;
        delivered++;
    }

    /** TCP_INFO's tcpi_delivered: segments the peer acknowledged, the SYN included (see {@link #delivered}). */
    public long delivered() {
        return delivered;
    }

    /**
     * Linux's sacked_out for a connection without SACK, in the profiles that run Linux's slow start
     * ({@link io.usertcp.tcp.cc.CongestionConfig#linuxSlowStart()}): each duplicate ACK is taken as
     * a segment that left the network (tcp_add_reno_sack()), at most the segments out less the
     * holes (tcp_limit_reno_sacked()); a cumulative ACK then counts as delivered only the segments
     * those did not already count, at least one (tcp_remove_reno_sacks()), and, outside fast
     * recovery or as it ends, clears the count (tcp_fastretrans_alert(): tcp_reset_reno_sack() on
     * an ACK that advances SND.UNA in Open or Disorder, or reaches high_seq in Recovery). What it
     * delivers is what slow start grows by (tcp_cong_control() passes acked_sacked, tp->delivered's
     * increase). RFC 5681 and FreeBSD grow by the bytes the cumulative ACK covers.
     */
    private int renoSacked;

    private long segments(int bytes) {
        return bytes <= 0 ? 0 : (bytes + sndMss - 1) / sndMss;
    }

    // =====================================================================================
    // ACK arrival (RFC 9293 §3.10.7.3 and §3.10.7.4, fifth check)
    // =====================================================================================

    /** SYN-SENT: does SEG.ACK acknowledge our SYN and nothing beyond (ISS &lt; SEG.ACK =&lt; SND.NXT)? */
    public boolean acksOurSyn(int ack) {
        return SeqNum.gt(ack, iss) && SeqNum.le(ack, sndNxt);
    }

    /** SYN-RECEIVED: is SND.UNA &lt; SEG.ACK =&lt; SND.NXT? */
    public boolean acksSomethingSent(int ack) {
        return SeqNum.lt(sndUna, ack) && SeqNum.le(ack, sndNxt);
    }

    /** "If the ACK acks something not yet sent (SEG.ACK > SND.NXT)". */
    public boolean acksUnsent(int ack) {
        return SeqNum.gt(ack, sndNxt);
    }

    /** RFC 5961 §5.2: SEG.ACK below SND.UNA - MAX.SND.WND is too old to be a duplicate. */
    public boolean ackTooOld(int ack) {
        return SeqNum.lt(ack, sndUna - (int) Math.min(maxSndWnd, Integer.MAX_VALUE));
    }

    /** SYN-SENT: SND.UNA advances past ISS; the SYN is acknowledged (the caller stops its timer). */
    public void synAcknowledged(long nowNanos, TcpSegmentView seg) {
        int ack = seg.ack();
        int dataAcked = SeqNum.diff(ack, iss + 1);
        if (dataAcked > 0) {
            buffer.acknowledge(dataAcked); // TCP Fast Open: data our SYN carried (RFC 7413 §3)
            ackedDataBytes += dataAcked;
            if (skbs != null) {
                skbs.acknowledged(ackedDataBytes);
            }
        }
        delivered += 1 + segments(dataAcked);
        ackedSequence += SeqNum.diff(ack, sndUna);
        sndUna = ack;
        if (SeqNum.gt(sndNxt, ack)) {
            // SYN-data the SYN,ACK did not acknowledge goes again at once, as new data (Linux tcp_rcv_fastopen_synack()
            // marks it lost and retransmits it: the server dropped it, RFC 7413 §4.2.2).
            synDataResendEnd = sndNxt;
            synDataResending = true;
            sndNxt = ack;
        }
        sampleRtt(nowNanos, seg, true);
        retransmits = 0;
    }

    /** TCP Fast Open, client: our first SYN carries the first {@code length} bytes of the send buffer (RFC 7413 §3). */
    public void synDataSent(int length) {
        sndNxt = iss + 1 + length;
        if (skbs != null) {
            skbs.synData(length);
            skbEndCache = 0;
        }
    }

    /**
     * TCP Fast Open, client: the SYN goes again without its data (Linux keeps a plain SYN for
     * retransmission: tcp_send_syn_data()); the data waits for the SYN,ACK.
     */
    public void synDataWithdrawn() {
        sndNxt = iss + 1;
    }

    /** TCP Fast Open, server: a child that accepted SYN-data may send before its SYN,ACK is acknowledged. */
    public void allowDataBeforeSynAcked() {
        dataBeforeSynAcked = true;
    }

    /**
     * The ACK field of an acceptable segment (RFC 9293 §3.10.7.4, fifth check): acknowledges bytes
     * (and perhaps SYN or FIN), counts duplicate ACKs (RFC 5681 §2, RFC 6675 §2), updates the send
     * window (SND.WL1/WL2 rule). SEG.ACK =&lt; SND.NXT, as checked before.
     *
     * @param seg borrowed
     * @return what changed: {@link #ADVANCED}, {@link #DATA_ACKED}, {@link #ALL_ACKED},
     *         {@link #SYN_ACKED}, {@link #WANTS_OUTPUT}, {@link #WINDOW_OPEN}
     */
    public int onAck(long nowNanos, TcpSegmentView seg) {
        return onAck(nowNanos, seg, false);
    }

    /**
     * {@link #onAck(long, TcpSegmentView)} for a connection that may have negotiated ECN.
     *
     * @param ecnEcho the connection negotiated ECN and the segment carries ECE without SYN (Linux
     *                tcp_ecn_rcv_ecn_echo()): the peer saw congestion marks
     */
    public int onAck(long nowNanos, TcpSegmentView seg, boolean ecnEcho) {
        moreComing = false; // Linux: MSG_MORE corks only the push of that write; ACK-driven sending follows Nagle
        int ack = seg.ack();
        int result = 0;
        boolean advanced = SeqNum.gt(ack, sndUna);
        boolean outstanding = sndNxt != sndUna;
        if (advanced) {
            result |= acknowledge(nowNanos, seg, ecnEcho);
        } else if (ack == sndUna && synAcked()) {
            // Loss first, as Linux tcp_fastretrans_alert() decides: a duplicate ACK that starts fast recovery reduces
            // for the loss, and its ECE adds nothing (ecnEcho() does not reduce during recovery).
            if (duplicateAck(nowNanos, seg)) {
                result |= WANTS_OUTPUT;
            }
            if (ecnEcho) {
                ecnEcho(nowNanos, outstanding ? 1 : 0); // a duplicate ACK reports one segment (Linux tcp_add_reno_sack)
            }
        }
        long windowBefore = sndWnd;
        if (SeqNum.ge(ack, sndUna)) {
            result |= updateWindow(nowNanos, seg, advanced);
        }
        if (rackMode && lossProbe.outstanding() && synAcked()) {
            boolean pureDuplicate = !advanced && !recovery.ackDataSacked() && seg.payloadLength() == 0 && sndWnd == windowBefore;
            control.probeAcked(nowNanos, ack, pureDuplicate);
        }
        return result;
    }

    /** SND.UNA < SEG.ACK =< SND.NXT: bytes (and perhaps SYN or FIN) are acknowledged. */
    private int acknowledge(long nowNanos, TcpSegmentView seg, boolean ecnEcho) {
        int ack = seg.ack();
        int acked = SeqNum.diff(ack, sndUna);
        boolean synAckedNow = !synAcked();
        boolean finAckedNow = finSent && ack == finSeq + 1;
        int dataBytes = acked - (synAckedNow ? 1 : 0) - (finAckedNow ? 1 : 0);
        long growthBytes = renoDelivered(dataBytes);
        buffer.acknowledge(dataBytes);
        ackedDataBytes += Math.max(0, dataBytes);
        if (skbs != null) {
            skbs.acknowledged(ackedDataBytes);
        }
        delivered += (synAckedNow ? 1 : 0) + segments(dataBytes) + (finAckedNow && dataBytes <= 0 ? 1 : 0);
        int flightBefore = SeqNum.diff(sndNxt, sndUna);
        int priorUna = sndUna;
        ackedSequence += acked;
        sndUna = ack;
        retransmits = 0;
        recovery.updateScoreboard(this, seg.options(), priorUna, nowNanos);
        sampleRtt(nowNanos, seg, synAckedNow);
        cwr.windowAcked(sndUna);
        if (ecnEcho) {
            ecnEcho(nowNanos, Math.max(0, dataBytes));
        }
        // The controller first (it ignores ACKs during fast recovery), then recovery, which may end it.
        // While a reduction for ECE is in progress, cwnd does not grow (Linux tcp_cong_control(): tcp_in_cwnd_reduction()).
        if (!cwr.active()) {
            // Linux tcp_is_cwnd_limited() judges by the window's largest flight (max_packets_out), not this moment's.
            long flight = config.congestion().linuxSlowStart() ? Math.max(flightBefore, maxFlightInWindow) : flightBefore;
            long ackRtt = recovery.ackRttNanos(nowNanos);
            if (ackRtt >= 0) {
                cc.onAckRttSample(nowNanos, ackRtt, sndUna, sndNxt, rtt.srttNanos()); // Linux pkts_acked() before cong_avoid()
            }
            cc.onAck(nowNanos, growthBytes, flight, rtt.srttNanos());
        }
        recovery.onAdvance(this, nowNanos, Math.max(0, dataBytes), tsEcr(seg));
        if (!recovery.inRecovery()) {
            renoSacked = 0; // tcp_fastretrans_alert(): tcp_reset_reno_sack() (see renoSacked)
        }
        int result = ADVANCED | (synAckedNow ? SYN_ACKED : 0) | (sndUna == sndNxt ? ALL_ACKED : 0);
        return dataBytes > 0 ? result | DATA_ACKED | WANTS_OUTPUT : result;
    }

    /**
     * An ACK that does not move SND.UNA. It is a duplicate ACK (RFC 5681 §2) when data is
     * outstanding and it carries no data, no SYN or FIN and the same window; when SACK is in use,
     * when it SACKs data not SACKed before (RFC 6675 §2). Three of them start fast recovery.
     */
    private boolean duplicateAck(long nowNanos, TcpSegmentView seg) {
        int newlySacked = recovery.updateScoreboard(this, seg.options(), sndUna, nowNanos);
        if (linuxRttSampling) {
            rtt.sample(recovery.ackTimingRttNanos(nowNanos), sndUna, sndNxt); // sack_rtt_us (-1: none)
        }
        boolean outstanding = sndNxt != sndUna;
        boolean duplicate;
        if (sackPermitted && seg.options().sackBlockCount() > 0) {
            duplicate = outstanding && newlySacked > 0;
        } else {
            duplicate = outstanding && seg.payloadLength() == 0
                    && (seg.flags() & (TcpFlags.SYN | TcpFlags.FIN)) == 0
                    && ((long) seg.window() << sndWndShift) == sndWnd;
            if (duplicate && renoAccounting()) {
                renoDuplicate();
            }
        }
        return recovery.onDuplicateAck(this, nowNanos, duplicate, tsEcr(seg));
    }

    /** Whether duplicate ACKs count as delivered segments, as Linux's reno accounting does ({@link #renoSacked}). */
    private boolean renoAccounting() {
        return !sackPermitted && config.congestion().linuxSlowStart();
    }

    /** A duplicate ACK without SACK: one more segment taken as delivered (Linux tcp_add_reno_sack(), tcp_limit_reno_sacked()). */
    private void renoDuplicate() {
        int holes = Math.min(Math.max(recovery.log.lostOut, 1), recovery.log.packetsOut);
        renoSacked = Math.max(0, Math.min(renoSacked + 1, recovery.log.packetsOut - holes));
    }

    /**
     * The bytes a cumulative ACK of {@code dataBytes} lets the congestion window grow by: all of
     * them, or, with Linux's reno accounting, the segments the duplicate ACKs before it had not
     * already counted, at least one (tcp_remove_reno_sacks()).
     */
    private long renoDelivered(int dataBytes) {
        if (dataBytes <= 0) {
            return 0;
        }
        if (!renoAccounting()) {
            return dataBytes;
        }
        int acked = (int) segments(dataBytes);
        int newly = Math.max(acked - renoSacked, 1); // one ACK acked the hole, the rest ate duplicate ACKs
        renoSacked = acked - 1 >= renoSacked ? 0 : renoSacked - (acked - 1);
        return Math.min(dataBytes, (long) newly * sndMss);
    }

    /** The segment's timestamp echo when timestamps are in use, else 0. */
    private int tsEcr(TcpSegmentView seg) {
        return timestamps && seg.options().hasTimestamps() ? seg.options().tsEcr() : 0;
    }

    /**
     * RFC 9293 §3.10.7.4: update the send window when this segment is newer than the last update's
     * — or, as Linux does (tcp_may_update_window: {@code after(ack, snd_una)}), whenever it
     * acknowledged new data. The sender's right edge is SND.UNA + SND.WND, so SND.WND must be the
     * window offered from the SND.UNA this segment set: a retransmission from the peer carries an
     * old SEG.SEQ (failing the SND.WL1 test) with a new SEG.ACK, and keeping the older window then
     * would move our right edge past the one the peer advertised, by the bytes just acknowledged.
     */
    private int updateWindow(long nowNanos, TcpSegmentView seg, boolean ackAdvanced) {
        if (!(ackAdvanced || SeqNum.lt(sndWl1, seg.seq()) || (sndWl1 == seg.seq() && SeqNum.le(sndWl2, seg.ack())))) {
            return 0;
        }
        long before = sndWnd;
        setWindow(seg.window(), sndWndShift, seg.seq(), seg.ack());
        if (linuxIdleRestart && sndWnd != before && unsentBytes() > 0) {
            idleRestartCheck(nowNanos);
        }
        if (sndWnd == 0) {
            return 0;
        }
        return WINDOW_OPEN | (before == 0 || sndWnd > before ? WANTS_OUTPUT : 0);
    }

    /**
     * An RTT sample: from the timestamp echo when timestamps are on (RFC 7323 §4.1, unambiguous even
     * for retransmissions), else from the timed segment, which Karn's rule keeps unretransmitted.
     * With Linux's sampling (the linux profile), first from this ACK's timing, in nanoseconds: the
     * send time of the oldest segment it acknowledges (tcp_clean_rtx_queue(), tcp_ack_update_rtt(),
     * which prefer it to the echo), the echo only without one, and then at least 1 ms
     * (tcp_rtt_tsopt_us()).
     */
    private void sampleRtt(long nowNanos, TcpSegmentView seg, boolean synAckedNow) {
        ParsedTcpOptions o = seg.options();
        boolean echo = timestamps && o.hasTimestamps() && o.tsEcr() != 0;
        if (linuxRttSampling) {
            // The handshake is timed from the SYN's (or SYN,ACK's) send unless it was retransmitted (tcp_ack() on a
            // SYN,ACK; tcp_synack_rtt_meas()); data from this ACK's log entries.
            long sample = synAckedNow ? (rttTiming && SeqNum.gt(seg.ack(), rttSeq) ? nowNanos - rttStartNanos : -1)
                    : recovery.ackTimingRttNanos(nowNanos);
            if (sample < 0 && echo) {
                sample = Math.max(1, tsNow(nowNanos) - o.tsEcr()) * 1_000_000L;
            }
            rtt.sample(sample, sndUna, sndNxt); // (-1: no sample)
            rttTiming = false;
            return;
        }
        if (echo) {
            int elapsedMillis = tsNow(nowNanos) - o.tsEcr();
            if (elapsedMillis >= 0) {
                rtt.sample(elapsedMillis * 1_000_000L, sndUna, sndNxt);
            }
            rttTiming = false;
        } else if (rttTiming && SeqNum.gt(seg.ack(), rttSeq)) {
            rtt.sample(nowNanos - rttStartNanos, sndUna, sndNxt);
            rttTiming = false;
        }
    }

    /** An ACK with ECE (RFC 3168 §6.1.2): see {@link CwrState#ecnEcho}. */
    private void ecnEcho(long nowNanos, int deliveredBytes) {
        if (deliveredBytes > 0) {
            // Linux tcp_count_delivered(): packets delivered under an ECE ACK; segments of at most SND.MSS here.
            stats.add(Counter.TcpExtTCPDeliveredCE, Math.max(1, (deliveredBytes + sndMss - 1) / sndMss));
        }
        cwr.ecnEcho(nowNanos, cc, recovery.inRecovery(), sndUna, sndNxt);
    }

    /** Fast recovery or a timeout reduced cwnd: see {@link CwrState#lossReduction}. */
    void lossReduction() {
        cwr.lossReduction();
    }

    /** Whether cwnd was already reduced for an ECE in this window (RFC 3168 §6.1.2: at most once per window). */
    boolean reducedThisWindow() {
        return cwr.active();
    }

    /** Whether cwnd is being held after an ECE (Linux TCP_CA_CWR). */
    public boolean inCwr() {
        return cwr.active();
    }

    /** Whether the new data segment about to go out carries CWR (Linux tcp_ecn_send()); taking it clears it. */
    public boolean takeQueuedCwr() {
        return cwr.takeQueued();
    }

    /** The peer was heard from: zero-window probes were answered (RFC 1122 §4.2.2.17). */
    public void peerHeard() {
        probesUnanswered = 0;
    }

    // =====================================================================================
    // What to send (for the transmitter)
    // =====================================================================================

    /** Our RFC 7323 timestamp clock: milliseconds plus the connection's random offset (§5.4). */
    public int tsNow(long nowNanos) {
        return (int) (nowNanos / 1_000_000L) + tsOffset;
    }

    /** Our SYN is about to go out (first time or again): the first one is timed for an RTT sample. */
    public void synSent(long nowNanos) {
        if (retransmits == 0) {
            startRttTiming(iss, nowNanos);
        }
    }

    /**
     * RFC 5681 §4.1: before new data goes out after an idle period longer than the RTO, the
     * controller restarts from the restart window.
     */
    public void beforeNewData(long nowNanos) {
        if (unsentBytes() > 0 && sndNxt == sndUna) {
            if (linuxIdleRestart) {
                cc.onTransmitStart(nowNanos, nowNanos - lastDataSentNanos); // tcp_event_data_sent(): CA_EVENT_TX_START
            } else {
                cc.onIdle(nowNanos, nowNanos - lastDataSentNanos, rtt.rtoNanos());
            }
        }
    }

    /**
     * Linux tcp_slow_start_after_idle_check() (the linux profile, in place of the restart in
     * {@link #beforeNewData}): with nothing in flight, cwnd restarts after an idle RTO when a write
     * starts a new skb (tcp_skb_entail()) or a window update finds data queued
     * (tcp_ack_update_window()); not when a probe goes out, so a zero window probed for seconds
     * keeps cwnd until the window opens.
     */
    private void idleRestartCheck(long nowNanos) {
        if (sndNxt == sndUna) {
            cc.restartIfIdle(nowNanos, nowNanos - lastDataSentNanos, rtt.rtoNanos());
        }
    }

    /** After a write: see {@link #idleRestartCheck}. */
    public void written(long nowNanos) {
        if (linuxIdleRestart && skbs != null && skbs.takeEntailed()) {
            idleRestartCheck(nowNanos);
        }
    }

    /** Whether new data may be sent at all: the SYN is acknowledged and no FIN has been sent. */
    public boolean mayStartNewData() {
        return (synAcked() || dataBeforeSynAcked) && !finSent;
    }

    /** Bytes queued and not yet sent (when no FIN is in flight; an unacknowledged SYN takes no buffer byte). */
    public int unsentBytes() {
        return buffer.size() - SeqNum.diff(sndNxt, oldestUnacked());
    }

    /** Where the next new segment starts in the send buffer. */
    public int nextDataOffset() {
        return SeqNum.diff(sndNxt, oldestUnacked());
    }

    /**
     * The length of the next new-data segment, or 0 when nothing may go now: cwnd (RFC 5681 §3.1;
     * a segment waits whole rather than being cut to fit), the peer's window with sender SWS
     * avoidance (RFC 9293 §3.8.6.2.1, MUST-38), and Nagle with Minshall's refinement (RFC 9293
     * §3.7.4, RFC 1122 §4.2.3.4, Linux tcp_minshall_check) unless {@code noDelay}.
     *
     * @param mss      the payload that fits this segment (SACK blocks may shrink it)
     * @param override the persist timer's override timeout fired (RFC 9293 §3.8.6.2.1 (4))
     */
    public int nextSegmentLength(int mss, boolean override, boolean noDelay) {
        int unsent = unsentBytes();
        long windowLeft = sndWnd - SeqNum.diff(sndNxt, sndUna);
        if (unsent <= 0 || windowLeft <= 0) {
            return 0;
        }
        // Linux sends skb by skb and never joins two in a packet: a segment ends where its skb does, and one that
        // ends an skb other than the last goes whatever Nagle or a cork say (tcp_write_xmit(): TCP_NAGLE_PUSH).
        int data = unsent;
        boolean lastSkb = true;
        if (gsoPackets) {
            long skbRest = currentSkbEnd() - sentDataOffset();
            if (skbRest < unsent) {
                data = (int) skbRest;
                lastSkb = false;
            }
        }
        int length = (int) Math.min(Math.min(mss, data), windowLeft);
        if (length > recovery.sendBudget(this)) {
            return 0;
        }
        if (length < Math.min(mss, data) && 2 * windowLeft < maxSndWnd && !override) {
            // Sender SWS avoidance: the window, not the data, limits this segment, and it is neither a full
            // segment (1), nor all that is queued (2), nor half the largest window the peer offered (3).
            return 0;
        }
        boolean fin = length == unsent && finQueued;
        boolean full = length >= mss || (length == data && !lastSkb);
        if (!full && !fin && (corked || moreComing) && !override) {
            // TCP_CORK, or MSG_MORE on the last write: a less-than-full segment waits for more data, whatever
            // TCP_NODELAY says (Linux tcp_nagle_check() with TCP_NAGLE_CORK); the persist timer's override sends it.
            return 0;
        }
        if (!full && !fin && !noDelay && smallSegmentInFlight()) {
            // Nagle: hold a less-than-full segment while an earlier less-than-full one is unacknowledged, so a bulk
            // write's tail is not delayed. A queued FIN flushes; TCP_NODELAY turns the rule off.
            return 0;
        }
        return length;
    }

    /**
     * Minshall's check (Linux tcp_minshall_check()): the last less-than-full segment sent is not yet
     * acknowledged, SND.UNA < sndSml <= SND.NXT. The upper bound matters: sequence numbers compare
     * within 2^31, so a sndSml left at the ISS would read as ahead of SND.UNA again after 2 GiB.
     */
    private boolean smallSegmentInFlight() {
        return SeqNum.gt(sndSml, sndUna) && SeqNum.le(sndSml, sndNxt);
    }

    /** The end of the skb new data at SND.NXT is in, remembered until SND.NXT passes it or a write comes. */
    private long currentSkbEnd() {
        long start = sentDataOffset();
        if (start >= skbEndCache || start < skbCacheFrom) {
            skbEndCache = skbs.skbEnd(start);
            skbCacheFrom = start;
        }
        return skbEndCache;
    }

    /** Whether a segment of {@code length} new bytes empties what is queued (PSH, and a queued FIN rides on it). */
    public boolean isLastQueued(int length) {
        return length == unsentBytes();
    }

    // -------------------------------------------------------------------------------------
    // Linux's GSO packets, for PSH (the linux profile)
    // -------------------------------------------------------------------------------------

    /** Linux's gso_max_size on a TUN device (GSO_LEGACY_MAX_SIZE): the most a GSO packet holds. */
    private static final int GSO_MAX_BYTES = 65536;
    /** The end, as a data offset, of the GSO packet the next new segments go out in; -1 when a new one starts. */
    private long gsoEnd = -1;
    /** Whether that GSO packet carries PSH (on its last segment). */
    private boolean gsoPush;
    /** {@link #currentSkbEnd()}'s answer, for data offsets from {@link #skbCacheFrom}; 0 when a write may have changed it. */
    private long skbEndCache;
    private long skbCacheFrom;

    /**
     * PSH on the next new-data segment, of {@code length} bytes at SND.NXT. rfc and freebsd: on
     * the segment that empties what is queued (RFC 9293 §3.9.1; FreeBSD tcp_output()). linux: as
     * Linux 6.x puts it, on the last segment of each GSO packet tcp_write_xmit() sends
     * ({@link #nextGsoPacket}) that is more than one segment long (__tcp_transmit_skb(): "Force a
     * PSH flag on all (GSO) packets to expedite GRO flush at receiver"), or that is a whole skb
     * tcp_mark_push() marked at write time ({@link SkbQueue}); a window probe's data always carries
     * it (tcp_write_wakeup()).
     *
     * @param override the persist timer's probe sends this segment (RFC 9293 §3.8.6.2.1 (4))
     */
    public boolean pushesNewSegment(int length, int mss, boolean override, boolean noDelay) {
        if (!gsoPackets) {
            return isLastQueued(length);
        }
        if (override) {
            gsoEnd = -1; // tcp_write_wakeup() sends the probe on its own; what follows starts afresh
            return true;
        }
        long start = sentDataOffset();
        if (start >= gsoEnd) {
            nextGsoPacket(start, mss, false, noDelay);
        }
        return gsoPush && start + length >= gsoEnd;
    }

    /**
     * Whether a new-data segment of {@code length} bytes at SND.NXT ends the GSO packet it goes out
     * in (asked after {@link #pushesNewSegment}): where a TSO super-segment must end too. Without
     * skbs (rfc, freebsd), a super-segment ends only where the data or the window does.
     */
    public boolean endsGsoPacket(int length) {
        return gsoPackets && sentDataOffset() + length >= gsoEnd;
    }

    /**
     * A new call of Linux tcp_write_xmit(): the next new segment starts a GSO packet. A tail loss
     * probe ({@code probe}) sends one segment (tcp_send_loss_probe(): push_one 2, a cwnd quota of 1).
     */
    public void startGsoPackets(int mss, boolean probe, boolean noDelay) {
        gsoEnd = -1;
        if (probe && gsoPackets) {
            nextGsoPacket(sentDataOffset(), mss, true, noDelay);
        }
    }

    /** The data offset of SND.NXT (what {@link #skbs} counts in). */
    private long sentDataOffset() {
        return ackedDataBytes + buffer.size() - unsentBytes();
    }

    /**
     * The GSO packet Linux tcp_write_xmit() makes of the skb at {@code start}: the whole skb when
     * it is one segment, else cut by tcp_mss_split_point() to the cwnd quota (tcp_cwnd_test(): at
     * most half of cwnd, "to ensure we have at least 2 GSO packets in flight"), the size the pacing
     * rate gives (tcp_tso_segs()), and the peer's window. tso_fragment() leaves the skb's PSH mark
     * on the part not sent.
     */
    private void nextGsoPacket(long start, int mss, boolean probe, boolean noDelay) {
        long skbEnd = currentSkbEnd();
        long rest = skbEnd - start;
        long length = rest;
        if (rest > mss) {
            long quota = 1;
            long budget = probe ? 0 : recovery.sendBudget(this);
            if (budget >= 2L * mss) {
                long cwnd = (recovery.pipe(this) + budget) / mss; // snd_cwnd: in PRR, in_flight + sndcnt
                quota = Math.max(1, Math.min(Math.max(cwnd >> 1, 1), budget / mss));
            }
            if (quota == 1 && sndWnd - SeqNum.diff(sndNxt, sndUna) >= mss) {
                length = mss; // tcp_mss_split_point() for one segment that fits the window (the ACK-clocked common case)
            } else {
                length = Math.min(rest, mssSplitPoint(start, rest, skbEnd == skbs.written(), mss,
                        Math.min(quota, tsoSegments(mss)), noDelay));
                if (length <= 0) {
                    length = Math.min(rest, mss);
                }
            }
        }
        gsoEnd = start + length;
        gsoPush = length > mss || (length == rest && skbs.pushMarked(start));
    }

    /**
     * Linux tcp_mss_split_point(): {@code maxSegs} segments, unless the peer's window or the skb's
     * end (when it is the last) comes first; then what fits, less a trailing partial segment Nagle
     * would hold (tcp_nagle_check()).
     */
    private long mssSplitPoint(long start, long rest, boolean tail, int mss, long maxSegs, boolean noDelay) {
        long window = sndWnd - SeqNum.diff(sndNxt, sndUna);
        long maxLen = (long) mss * maxSegs;
        if (maxLen <= window && !tail) {
            return maxLen;
        }
        long needed = Math.min(rest, window);
        if (maxLen <= needed) {
            return maxLen;
        }
        long partial = needed % mss;
        boolean nagle = corked || moreComing || (!noDelay && sndNxt != sndUna && smallSegmentInFlight());
        return partial != 0 && nagle ? needed - partial : needed;
    }

    /**
     * Linux tcp_tso_segs() with tcp_tso_autosize(): about 1 ms of data at the pacing rate (200 % of
     * cwnd·mss/srtt in slow start below half ssthresh, else 120 %: tcp_update_pacing_rate()), plus
     * gso_max_size >> (min RTT in µs / 512) on short paths (tcp_tso_rtt_log 9), at most a GSO
     * packet, and at least {@code net.ipv4.tcp_min_tso_segs}.
     */
    private long tsoSegments(int mss) {
        long cwnd = cc.cwndBytes();
        long srtt = rtt.srttNanos();
        double bytes = Double.MAX_VALUE; // no RTT yet: Linux's sk_pacing_rate is still unlimited
        if (srtt > 0) {
            int ratio = cwnd < cc.ssthreshBytes() / 2 ? 200 : 120; // tcp_pacing_ss_ratio, tcp_pacing_ca_ratio
            long segments = Math.max(cwnd / mss, (SeqNum.diff(sndNxt, sndUna) + mss - 1) / mss); // max(cwnd, packets_out)
            double rate = (double) mss * segments * ratio / 100 * 1e9 / srtt;
            bytes = rate / 1024; // sk_pacing_shift 10
        }
        long minRttUs = rtt.minRttNanos() / 1000;
        if (minRttUs > 0 && (minRttUs >> 9) < 32) {
            bytes += GSO_MAX_BYTES >> (minRttUs >> 9);
        }
        long segs = (long) Math.min(bytes, GSO_MAX_BYTES) / mss;
        return Math.max(segs, config.minTsoSegments());
    }

    /** A new-data segment of {@code length} bytes ({@code mss} was the full size) went out, with our FIN if {@code fin}. */
    public void newDataSent(long nowNanos, int length, int mss, boolean fin) {
        if (!rttTiming) {
            startRttTiming(sndNxt, nowNanos);
        }
        int start = sndNxt;
        sndNxt += length;
        skbsSent();
        // SYN-data sent again; compared only while that lasts, since sequence numbers wrap (SeqNum compares within 2^31)
        boolean synDataAgain = synDataResending && SeqNum.le(sndNxt, synDataResendEnd);
        if (synDataResending && !SeqNum.lt(sndNxt, synDataResendEnd)) {
            synDataResending = false;
        }
        if (length < mss && !synDataAgain) {
            sndSml = sndNxt; // (SYN-data sent again is a retransmission to Linux: tcp_minshall_update() does not see it)
        }
        if (fin) {
            markFinSent();
        }
        recovery.newDataSent(this, start, sndNxt, nowNanos);
        if (synDataAgain) {
            // SYN-data sent again: Linux tcp_rcv_fastopen_synack() marks it lost and retransmits it, so it counts
            // as retransmitted (tcpi_retrans, TcpRetransSegs) and gives no RTT sample (Karn).
            recovery.markRetransmitted(start, sndNxt);
            stats.add(Counter.TcpRetransSegs, segments(length));
        }
        // Linux tcp_cwnd_validate(): the most in flight during the current window, which starts afresh once
        // SND.UNA passes where the last one ended.
        int flight = SeqNum.diff(sndNxt, sndUna);
        if (!SeqNum.lt(sndUna, cwndUsageSeq) || flight > maxFlightInWindow) {
            maxFlightInWindow = flight;
            cwndUsageSeq = sndNxt;
        }
    }

    /**
     * Whether the peer's window is what holds queued data back now: the next segment does not fit
     * in what it leaves (Linux tcp_write_xmit(): tcp_snd_wnd_test() failing sets is_rwnd_limited).
     */
    public boolean peerWindowLimits() {
        int unsent = unsentBytes();
        long windowLeft = sndWnd - SeqNum.diff(sndNxt, sndUna);
        return unsent > 0 && windowLeft < Math.min(sndMss, unsent);
    }

    /**
     * Whether the application waits for send-buffer room with everything it wrote already sent, and
     * not for cwnd: the sndbuf-limited chronograph's condition (Linux tcp_cwnd_validate()).
     */
    public boolean sendBufferLimits() {
        return noSpace && unsentBytes() == 0 && flightSize() < cc.cwndBytes();
    }

    /**
     * After an ACK: a writer that waited for room is told of it if the socket is writable now
     * (Linux tcp_check_space() → sk_stream_write_space() clearing SOCK_NOSPACE).
     *
     * @return whether the wait ended here
     */
    public boolean roomAfterAck() {
        if (noSpace && writerWakes()) {
            noSpace = false;
            return true;
        }
        return false;
    }

    /** A write found no room (Linux SOCK_NOSPACE): for send-buffer growth and for the wakeup alike. */
    private void writerWaits() {
        writerLimited = true;
        noSpace = true;
    }

    /** Nothing queued, in flight or unsent (Linux tcp_rtx_and_write_queues_empty()). */
    public boolean queuesEmpty() {
        return sndUna == sndNxt && unsentBytes() == 0;
    }

    /** Whether the window, not cwnd, holds queued data back with nothing in flight: the persist timer must watch. */
    public boolean windowBlocksData() {
        if (sndUna != sndNxt) {
            return false;
        }
        int unsent = unsentBytes();
        boolean corkHolds = (corked || moreComing) && unsent < sndMss && !finQueued;
        // Corked data waits at most until this timer (Linux tcp_check_probe_timer(): the "200 ms ceiling" of tcp(7)).
        return peerWindowLimits() || (unsent > 0 && corkHolds);
    }

    /** TCP_CORK: hold less-than-full segments until uncorked (or the persist timer's ceiling). */
    public void setCork(boolean on) {
        corked = on;
    }

    public boolean corked() {
        return corked;
    }

    /** MSG_MORE on a write: its tail waits for the next write or ACK, as TCP_CORK would (Linux tcp_push()). */
    public void setMoreComing(boolean more) {
        moreComing = more;
    }

    /** TCP_NOTSENT_LOWAT: at most this many bytes not yet sent may be queued ({@link Integer#MAX_VALUE}: no limit). */
    public void setNotSentLowat(int bytes) {
        notSentLowat = bytes;
    }

    public int notSentLowat() {
        return notSentLowat;
    }

    /**
     * Room for the application's next write: the buffer's free space, and with TCP_NOTSENT_LOWAT no
     * more than the mark leaves above what is not sent yet (Linux tcp_stream_memory_free()).
     */
    public int writableSpace() {
        if (skbs != null) {
            // A write takes bytes while a new skb may be started; how many, SkbQueue.take() decides. This is
            // what it can take at most: the free space, the tail skb's room and one more skb.
            if (!skbs.memoryFree(buffer.capacity(), notSentLowat)) {
                writerWaits();
                return 0;
            }
            return (int) Math.min(Integer.MAX_VALUE, Math.max(0, buffer.capacity() - skbs.queued()) + 2L * sizeGoal());
        }
        int space = buffer.space();
        if (space == 0) {
            writerWaits(); // as Linux tcp_poll() sets SOCK_NOSPACE when the socket is not writable
        }
        return notSentLowat == Integer.MAX_VALUE ? space : Math.min(space, Math.max(0, notSentLowat - unsentBytes()));
    }

    /** Whether our FIN should go on its own now: queued, not sent, every queued byte sent (RFC 9293 §3.10.4). */
    public boolean finDue() {
        int synInFlight = synAcked() ? 0 : 1;
        return finQueued && !finSent && buffer.size() == SeqNum.diff(sndNxt, sndUna) - synInFlight;
    }

    /** Our FIN went out at SND.NXT. */
    public void finSent(long nowNanos) {
        markFinSent();
        recovery.newDataSent(this, finSeq, sndNxt, nowNanos);
    }

    private void markFinSent() {
        finSeq = sndNxt;
        finSent = true;
        sndNxt += 1;
    }

    /** Data or a FIN went out (new or again), for slow start after idle. */
    public void dataSent(long nowNanos) {
        lastDataSentNanos = nowNanos;
    }

    /** When data last went out (Linux lsndtime, tcpi_last_data_sent). */
    public long lastDataSentNanos() {
        return lastDataSentNanos;
    }

    /**
     * Sequence space the peer acknowledged, our SYN and FIN included (Linux tcp_snd_una_update():
     * bytes_acked, tcpi_bytes_acked; ss shows 100001 after 100000 bytes).
     */
    public long bytesAcked() {
        return ackedSequence;
    }

    /** Backoffs of the RTO since the last valid RTT sample (Linux icsk_backoff, ss's {@code backoff}). */
    public int rtoBackoffs() {
        return rtt.backoffs();
    }

    /** The first sequence number to retransmit: SND.UNA, or past an unacknowledged SYN (resent as a SYN). */
    public int oldestUnacked() {
        return synAcked() ? sndUna : sndUna + 1;
    }

    /** The end of the data bytes sent: our FIN's sequence number once sent, else SND.NXT. */
    public int dataEnd() {
        return finSent ? finSeq : sndNxt;
    }

    /** How many bytes of at most {@code mss} to send again from {@code seq}, ending by {@code limit}. */
    public int retransmitLength(int seq, int limit, int mss) {
        int end = dataEnd();
        int stop = SeqNum.lt(limit, end) ? limit : end;
        return SeqNum.lt(seq, stop) ? Math.min(mss, SeqNum.diff(stop, seq)) : 0;
    }

    /** Whether a retransmission from {@code seq} of {@code length} bytes, bounded by {@code limit}, carries our FIN. */
    public boolean retransmitCarriesFin(int seq, int length, int limit) {
        return finSent && !finAcked() && seq + length == finSeq && SeqNum.gt(limit, finSeq);
    }

    /** Where sequence number {@code seq} lies in the send buffer. */
    public int bufferOffset(int seq) {
        return SeqNum.diff(seq, oldestUnacked());
    }

    /** Bytes from {@code seq} went out again: Karn's rule drops the RTT sample they cover (RFC 6298 §3). */
    public void retransmitted(long nowNanos, int seq, int length, boolean fin) {
        recovery.retransmittedRange(this, seq, seq + length + (fin ? 1 : 0), nowNanos);
        if (rttTiming && SeqNum.ge(rttSeq, seq) && SeqNum.lt(rttSeq, seq + length + (fin ? 1 : 0))) {
            rttTiming = false;
        }
        stats.increment(Counter.TcpRetransSegs);
    }

    /**
     * Copies {@code length} bytes starting {@code offset} bytes into the send buffer into
     * {@code dst} at {@code dstIndex}.
     *
     * @param dst borrowed, written with absolute sets
     */
    public void copy(int offset, int length, ByteBuf dst, int dstIndex) {
        buffer.copy(offset, length, dst, dstIndex);
    }

    // ---- loss recovery, for the transmitter's retransmission loops (RFC 6675 NextSeg) ----

    public boolean inRecovery() {
        return recovery.inRecovery();
    }

    public RecoveryPhase recoveryPhase() {
        return recovery.phase();
    }

    public int duplicateAcks() {
        return recovery.dupAcks();
    }

    /** RFC 6675 NextSeg rule (1): the first lost, unretransmitted sequence number, or -1. */
    public long nextLost() {
        return recovery.nextLost(this);
    }

    /** Whether a retransmission must go out now even if cwnd is used up (the fast retransmit itself). */
    public boolean retransmitRequired() {
        return recovery.retransmitRequired();
    }

    /** Bytes cwnd allows in flight now (may be negative). */
    public long sendBudget() {
        return recovery.sendBudget(this);
    }

    /** RFC 6675 NextSeg rule (3), or -1. */
    public long nextUnsackedBelowHighestSack() {
        return recovery.nextUnsackedBelowHighestSack(this);
    }

    /** RFC 6675 NextSeg rule (4): the rescue retransmission's start, or -1. */
    public long rescueStart() {
        return recovery.rescueStart(this, sndNxt);
    }

    /** Where the hole at {@code seq} ends, capped at SND.NXT. */
    public int holeEnd(int seq) {
        return recovery.holeEnd(this, seq, sndNxt);
    }

    /** A recovery retransmission ending before {@code end} went out. */
    public void recoveryRetransmitted(int end, boolean rescue) {
        recovery.retransmitted(end, rescue);
    }

    // =====================================================================================
    // Timers
    // =====================================================================================

    /** The loss-recovery timers (RACK's reordering timer, the tail loss probe) and TCP_INFO's recovery counts. */
    public RecoverySender recovery() {
        return control;
    }

    /** The smallest RTT sample (Linux tcp_min_rtt(), tcpi_min_rtt), 0 before any. */
    public long minRttNanos() {
        return rtt.minRttNanos();
    }

    /** Whether nothing sent is unacknowledged. */
    public boolean allAcknowledged() {
        return sndUna == sndNxt;
    }

    /** RFC 6298 §5.5-5.6 (and §5.7's Karn): a retransmission timeout: back off, stop timing, go back N. */
    public void retransmitTimeout(long nowNanos) {
        retransmits++;
        stats.increment(Counter.TcpExtTCPTimeouts);
        rtt.backOff();
        rttTiming = false; // Karn: the timed segment is being retransmitted
        if (synAcked()) {
            lossProbe.reset();
            renoSacked = 0; // Linux tcp_enter_loss(): tcp_reset_reno_sack()
            recovery.onRetransmitTimeout(this, nowNanos, retransmits - 1); // RFC 5681 §3.1: cwnd = 1 SMSS, go back N
        }
    }

    /** RFC 6928 §2, applied as Linux does after the second loss of a SYN or SYN,ACK: initial window 1. */
    public void handshakeRetransmitted() {
        if (retransmits > 1) {
            cc.onHandshakeRetransmitted();
        }
    }

    /** RFC 6298 §5.7: the handshake completed without an RTT sample. */
    public void handshakeWithoutSample() {
        rtt.handshakeWithoutSample();
    }

    /** The persist timer is armed afresh: its backoff restarts. */
    public void persistArmed() {
        persistBackoffs = 0;
    }

    /** Whether the persist timer has anything to do: queued data held back with nothing in flight. */
    public boolean persistUseful() {
        return buffer.size() > 0 && sndUna == sndNxt;
    }

    /**
     * The persist timer fired. Returns false when the peer is gone: as many unanswered zero-window
     * probes as tcp_retries2 allows (Linux tcp_probe_timer); RFC 1122 §4.2.2.17 keeps the connection
     * open only while the probes are answered. Otherwise counts the probe and backs off.
     */
    public boolean persistExpired() {
        if (sndWnd == 0 && probesUnanswered >= config.dataRetries()) {
            return false;
        }
        if (sndWnd == 0) {
            probesUnanswered++;
        }
        persistBackoffs++;
        return true;
    }

    /** RTO · 2^backoffs, capped at the RTO maximum (RFC 9293 §3.8.6.1 SHLD-29; Linux tcp_probe0_when). */
    public long persistIntervalNanos() {
        long max = config.rtoMaxNanos();
        long interval = rtt.rtoNanos();
        for (int i = 0; i < persistBackoffs && interval < max; i++) {
            interval <<= 1;
        }
        return Math.min(interval, max);
    }

    // =====================================================================================
    // The application's side: the send buffer and congestion control
    // =====================================================================================

    /** SEND: takes as many readable bytes of {@code data} as there is room for. @param data borrowed */
    public int append(ByteBuf data) {
        return append(data, false, null);
    }

    /**
     * SEND with MSG_EOR when {@code endOfRecord}, of a MSG_ZEROCOPY write made of {@code pieces} when
     * they are given (the lengths of its iovecs; null for a copied write). In the linux profile the
     * write's last skb then takes no later data (Linux tcp_skb_can_collapse_to()), so a record never
     * shares a GSO packet with what follows, and each piece is a page fragment of the skbs it lands
     * in, at most {@code MAX_SKB_FRAGS} (17) to an skb (see {@link SkbQueue}), so many small pieces
     * make several small pushed packets where a copy would make one. rfc and freebsd have no skbs
     * and ignore both.
     *
     * @param data borrowed, as for {@link #append(ByteBuf)}
     */
    public int append(ByteBuf data, boolean endOfRecord, int[] pieces) {
        int offered = data.readableBytes();
        int n = skbs == null ? buffer.append(data) : buffer.append(data, skbs.take(offered, sizeGoal(), buffer.capacity(),
                notSentLowat, pushBudget, maxSndWnd, moreComing, endOfRecord, pieces));
        skbEndCache = 0; // the tail skb may have grown
        if (n < offered || writableSpace() == 0) {
            writerWaits(); // Linux sets SOCK_NOSPACE when a write waits for room
        }
        return n;
    }

    /** SO_SNDBUF set by the application ({@code bytes} as the profile computed it): it stays, never grown (Linux SOCK_SNDBUF_LOCK). */
    public void setBufferSize(int bytes) {
        bufferLocked = true;
        buffer.setCapacity(bytes);
    }

    /**
     * Send-buffer autotuning, Linux tcp_sndbuf_expand(): room for two flights of
     * max(TCP_INIT_CWND, cwnd, reordering + 1) segments ("Cubic needs 1.7 factor, rounded to 2"),
     * each charged as Linux's worst case, a non-TSO skb: the MSS plus MAX_TCP_HEADER (320) and
     * skb_shared_info (320), rounded up to a power of two, plus struct sk_buff (256); 87040 bytes at
     * MSS 1460 and cwnd 10. Never shrinks, at most tcp_wmem[2]. Linux calls it when the connection
     * is established (tcp_init_buffer_space()) and, {@code afterAck}, when an ACK frees room that a
     * waiting writer wants, unless cwnd is what limits the sender (tcp_new_space(),
     * tcp_should_expand_sndbuf()). Not while SO_SNDBUF is set, nor without autotuning.
     *
     * @return whether the buffer grew
     */
    public boolean expandBuffer(boolean afterAck) {
        if (!config.bufferAutotuning() || bufferLocked) {
            return false;
        }
        if (afterAck) {
            if (!writerLimited) {
                return false;
            }
            writerLimited = false;
            if (flightSize() >= cc.cwndBytes()) {
                return false;
            }
        }
        long perMss = Long.highestOneBit(Math.max(1, sndMss + 320 + 320 - 1)) * 2 + 256;
        long segments = Math.max(Math.max(10, cc.cwndBytes() / Math.max(1, sndMss)), DUP_THRESH_SEGMENTS + 1);
        long wanted = Math.min(2 * segments * perMss, config.sendBufferMaxBytes());
        if (wanted <= buffer.capacity()) {
            return false;
        }
        buffer.setCapacity((int) wanted);
        return true;
    }

    /**
     * Whether a writer waiting for room is woken now: with the linux profile's skb accounting, once
     * free space is half of what is queued (sk_stream_write_space()); otherwise when there is room.
     */
    public boolean writerWakes() {
        return skbs != null ? skbs.writable(buffer.capacity(), notSentLowat) : writableSpace() > 0;
    }

    /**
     * Linux tcp_xmit_size_goal(): the data an skb gets, at most what a GSO packet holds (64 KiB less
     * headers) and half the largest window the peer offered (all of it up to 536 bytes:
     * tcp_bound_to_half_wnd()), in whole segments, at least one.
     */
    private int sizeGoal() {
        long goal = boundToHalfWindow(65536 - 1 - 320);
        return (int) Math.max(sndMss, goal / sndMss * sndMss);
    }

    /** {@link #pushBudget()} for {@link SkbQueue#take}, made once (no allocation per write). */
    private final SkbQueue.PushBudget pushBudget = this::pushBudget;

    /** What may go out at once, in whole segments: cwnd's and the window's room (what tcp_push_one() sends). */
    private long pushBudget() {
        if (!synAcked()) {
            return 0;
        }
        long flight = SeqNum.diff(sndNxt, sndUna);
        long room = Math.min(sendBudget(), sndWnd - flight);
        return Math.max(0, room) / sndMss * sndMss;
    }

    /** Keeps the skb accounting in step with the data handed to the link. */
    private void skbsSent() {
        if (skbs != null) {
            skbs.sent(sentDataOffset());
        }
    }

    /** Linux tp->reordering's default (sysctl tcp_reordering = 3), which tcp_sndbuf_expand() counts. */
    private static final int DUP_THRESH_SEGMENTS = 3;

    public int space() {
        return buffer.space();
    }

    public int bufferedBytes() {
        return buffer.size();
    }

    public int capacity() {
        return buffer.capacity();
    }


    /** Releases the buffered bytes. */
    public void release() {
        buffer.release();
        if (skbs != null) {
            skbs.clear();
        }
    }

    /** TCP_CONGESTION: a new controller of {@code factory}'s algorithm, starting afresh. */
    public void setCongestionControl(CongestionControlFactory factory) {
        cc = factory.create(sndMss, config.congestion());
    }

    public CongestionControl congestionControl() {
        return cc;
    }

    /** CLOSE or SHUTDOWN: a FIN follows the queued data (or, with {@code false}, is no longer pending). */
    public void setFinQueued(boolean queued) {
        finQueued = queued;
    }

    // =====================================================================================
    // STATUS
    // =====================================================================================

    /** Whether our SYN has been acknowledged: SND.UNA is past ISS. */
    public boolean synAcked() {
        return sndUna != iss;
    }

    /** Whether our FIN has been sent and acknowledged. */
    public boolean finAcked() {
        return finSent && sndUna == finSeq + 1;
    }

    public boolean finQueued() {
        return finQueued;
    }

    public int finSeq() {
        return finSeq;
    }

    public int iss() {
        return iss;
    }

    public int una() {
        return sndUna;
    }

    public int nxt() {
        return sndNxt;
    }

    public long window() {
        return sndWnd;
    }

    public int windowShift() {
        return sndWndShift;
    }

    public int mss() {
        return sndMss;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean timestamps() {
        return timestamps;
    }

    public int tsOffset() {
        return tsOffset;
    }

    public int retransmits() {
        return retransmits;
    }

    public long rtoNanos() {
        return rtt.rtoNanos();
    }

    public long srttNanos() {
        return rtt.srttNanos();
    }

    public long rttvarNanos() {
        return rtt.rttvarNanos();
    }

    /** Bytes sent and not yet acknowledged (with SYN and FIN). */
    public int flightSize() {
        return SeqNum.diff(sndNxt, sndUna);
    }

    private void startRttTiming(int seq, long nowNanos) {
        rttTiming = true;
        rttSeq = seq;
        rttStartNanos = nowNanos;
    }

    @Override
    public String toString() {
        return "Sender[una=" + Integer.toUnsignedString(sndUna) + " nxt=" + Integer.toUnsignedString(sndNxt)
                + " wnd=" + sndWnd + " mss=" + sndMss + " " + recovery + "]";
    }
}
