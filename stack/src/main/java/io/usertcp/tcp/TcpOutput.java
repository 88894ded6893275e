package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.link.Link;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;

/**
 * The transmitter (DESIGN.md §4): decides what a connection sends now — SYN or SYN-ACK,
 * retransmission, new data within the peer's window, FIN, probes, a bare ACK — from the flags that
 * input and timers raised, and writes it to the link. Input never writes to the link itself.
 *
 * <p>Every segment in a synchronized state carries ACK with the current RCV.NXT and window, so
 * sending anything settles a pending or delayed ACK.
 */
final class TcpOutput {
    private final SegmentWriter writer;
    private final OutSegment s = new OutSegment();
    private final Ipv4PacketView observed = new Ipv4PacketView();
    /** Scratch for counting the SACK blocks the next segment will carry. */
    private final int[] sackScratchLeft = new int[4];
    private final int[] sackScratchRight = new int[4];
    private final StackStats stats;
    private final ConnectionObserver observer;

    TcpOutput(SegmentWriter writer, StackStats stats, ConnectionObserver observer) {
        this.writer = writer;
        this.stats = stats;
        this.observer = observer;
    }

    /** Sends whatever {@code c} owes the peer. */
    void output(TcpConnection c, long nowNanos, Link link) {
        switch (c.state) {
            case SYN_SENT, SYN_RECEIVED -> {
                if (c.synPending) {
                    sendSyn(c, nowNanos, link);
                } else if (c.ackNow && c.state == TcpState.SYN_RECEIVED) {
                    sendAck(c, nowNanos, link, c.tcb.sndNxt);
                }
            }
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> outputSynchronized(c, nowNanos, link);
            case CLOSED, LISTEN, TIME_WAIT -> { }
        }
        c.ackNow = false;
        c.retransmitPending = false;
        c.probePending = false;
    }

    private void outputSynchronized(TcpConnection c, long nowNanos, Link link) {
        boolean sent = false;
        if (c.synPending && !c.tcb.synAcked()) {
            // CLOSE in SYN-RECEIVED sent our FIN before the SYN was acknowledged: the SYN,ACK is retransmitted first.
            sendSyn(c, nowNanos, link);
            sent = true;
        }
        if (c.retransmitPending) {
            sent = retransmitOldest(c, nowNanos, link);
        }
        // RFC 6675 NextSeg in its order: lost segments (1), new data (2), then rules (3) and (4).
        sent |= sendLost(c, nowNanos, link);
        boolean newData = sendNewData(c, nowNanos, link);
        sent |= newData;
        if (!newData) {
            sent |= sendUnsackedInRecovery(c, nowNanos, link);
        }
        sent |= sendFinIfDue(c, nowNanos, link);
        if (c.probePending && !newData) { // a data segment sent on the persist timer's override is the probe
            // RFC 9293 §3.8.6.1 (zero-window probe) and RFC 1122 §4.2.3.6 (keep-alive): SEQ = SND.UNA - 1
            sendAck(c, nowNanos, link, c.tcb.sndUna - 1);
            sent = true;
        }
        if (c.ackNow && !sent) {
            sendAck(c, nowNanos, link, c.tcb.sndNxt);
        }
    }

    /** SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with the options RFC 9293 §3.7.1 and RFC 7323 / 2018 allow. */
    private void sendSyn(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        boolean synAck = c.state != TcpState.SYN_SENT;
        s.clear().from(c.id);
        s.layout = c.config.profile().optionLayout();
        s.seq = t.iss;
        s.flags = TcpFlags.SYN | (synAck ? TcpFlags.ACK : 0);
        s.ack = synAck ? t.rcvNxt : 0;
        s.mss = t.rcvMss;
        if (synAck) {
            // Answer only what the peer offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
            s.windowScale = t.windowScalingAgreed ? t.rcvWndShift : OutSegment.NONE;
            s.sackPermitted = t.sackPermitted;
            s.timestamps = t.timestampsEnabled;
        } else {
            s.windowScale = c.config.windowScaling() ? t.offeredRcvWndShift : OutSegment.NONE;
            s.sackPermitted = c.config.sack();
            s.timestamps = c.config.timestamps();
            if (c.config.profile().synRetransmitDropsOptions(c.retransmits)) {
                // FreeBSD rexmit_drop_options: from the third retransmission on, a SYN that middleboxes may have
                // dropped for its options goes with MSS alone.
                s.windowScale = OutSegment.NONE;
                s.sackPermitted = false;
                s.timestamps = false;
            }
        }
        if (c.noOptions) {
            s.mss = OutSegment.NONE; // TCP_NOOPT: not even MSS
            s.windowScale = OutSegment.NONE;
            s.sackPermitted = false;
            s.timestamps = false;
        }
        if (s.timestamps) {
            s.tsVal = tsNow(c, nowNanos);
            s.tsEcr = synAck ? t.tsRecent : 0;
        }
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        long window = Math.min(c.receiveSpace(), 65535);
        s.window = (int) window;
        t.rcvAdv = t.rcvNxt + (int) window;
        if (c.retransmits == 0) {
            startRttTiming(c, t.iss, nowNanos);
        } else {
            stats.increment(Counter.TcpRetransSegs);
            stats.increment(Counter.TcpExtTCPSynRetrans);
        }
        transmit(c, nowNanos, link);
        c.synPending = false;
        if (!c.isArmed(TcpTimer.RETRANSMIT)) {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + c.rtt.rtoNanos());
        }
    }

    /** New data within the peer's window, FIN piggybacked on the last segment when it is queued. */
    private boolean sendNewData(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        if (!t.synAcked() || t.finSent) {
            return false;
        }
        int offset = SeqNum.diff(t.sndNxt, t.sndUna);
        int unsent = c.sendBuffer.size() - offset;
        long windowLeft = t.sndWnd - offset;
        if (unsent > 0 && offset == 0) {
            // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the restart window.
            c.cc.onIdle(nowNanos, nowNanos - c.lastDataSentNanos, c.rtt.rtoNanos());
        }
        if (c.recovery.nextLost(t) >= 0) {
            return false; // lost segments go first (RFC 6675 NextSeg rule 1 before rule 2)
        }
        long budget = c.recovery.sendBudget(c);
        boolean sent = false;
        // The persist timer fired with a window too small to use: RFC 9293 §3.8.6.2.1 (4), the override timeout.
        boolean override = c.probePending;
        int mss = segmentMss(c); // what reassembly holds, hence the SACK option, cannot change while we send
        while (unsent > 0 && windowLeft > 0) {
            int length = (int) Math.min(Math.min(mss, unsent), windowLeft);
            if (length > budget) {
                // RFC 5681 §3.1: no more than cwnd in flight; a segment waits whole rather than
                // being cut to fit (sender SWS avoidance, RFC 9293 §3.8.6.2.1).
                break;
            }
            if (length < Math.min(mss, unsent) && 2 * windowLeft < t.maxSndWnd && !override) {
                // Sender SWS avoidance (RFC 9293 §3.8.6.2.1, MUST-38): the window, not the data, limits this
                // segment, and it is neither a full segment (1), nor all that is queued (2), nor half the largest
                // window the peer offered (3). Wait for the window to grow or for the override timeout (4).
                break;
            }
            override = false;
            boolean last = length == unsent;
            boolean fin = last && t.finQueued;
            boolean small = length < mss;
            if (small && !fin && !c.noDelay && SeqNum.gt(t.sndSml, t.sndUna)) {
                // Nagle (RFC 9293 §3.7.4, RFC 1122 §4.2.3.4) with Minshall's refinement, as Linux
                // (tcp_minshall_check): hold a less-than-full segment while an earlier less-than-full
                // one is unacknowledged, so a bulk write's tail is not delayed. A queued FIN flushes;
                // TCP_NODELAY turns the rule off.
                break;
            }
            if (c.config.profile().interactiveMode() && nowNanos - c.lastDataReceivedNanos < c.config.delayedAckNanos()) {
                c.pingPong = true; // Linux tcp_event_data_sent: a reply soon after data: interactive
            }
            prepare(c, nowNanos, t.sndNxt, TcpFlags.ACK | (last ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0));
            s.payload = c.sendBuffer;
            s.payloadOffset = offset;
            s.payloadLength = length;
            if (!c.rttTiming) {
                startRttTiming(c, t.sndNxt, nowNanos);
            }
            transmit(c, nowNanos, link);
            t.sndNxt += length;
            if (small) {
                t.sndSml = t.sndNxt;
            }
            if (fin) {
                t.finSeq = t.sndNxt;
                t.finSent = true;
                t.sndNxt += 1;
            }
            offset += length;
            unsent -= length;
            windowLeft -= length;
            budget -= length;
            sent = true;
            armRetransmitAndUserTimeout(c, nowNanos);
        }
        if (sent) {
            c.disarm(TcpTimer.PERSIST); // data in flight: the retransmission timer watches the peer
        } else if (unsent > 0 && windowLeft < Math.min(t.sndMss, unsent) && t.sndUna == t.sndNxt
                && !c.isArmed(TcpTimer.PERSIST)) {
            // The window holds the data back and nothing in flight will bring an ACK: probe a zero window, or
            // wait out the override timeout of a small one (RFC 9293 §3.8.6.1, §3.8.6.2.1).
            c.persistBackoffs = 0;
            c.arm(TcpTimer.PERSIST, nowNanos + c.rtt.rtoNanos());
        }
        return sent;
    }

    /** A FIN on its own once every queued byte has been sent (RFC 9293 §3.10.4). */
    private boolean sendFinIfDue(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        // Every queued byte sent: SND.NXT - SND.UNA covers the buffer plus the SYN while it is unacknowledged.
        int synInFlight = t.synAcked() ? 0 : 1;
        if (!t.finQueued || t.finSent || c.sendBuffer.size() != SeqNum.diff(t.sndNxt, t.sndUna) - synInFlight) {
            return false;
        }
        prepare(c, nowNanos, t.sndNxt, TcpFlags.FIN | TcpFlags.ACK);
        transmit(c, nowNanos, link);
        t.finSeq = t.sndNxt;
        t.finSent = true;
        t.sndNxt += 1;
        armRetransmitAndUserTimeout(c, nowNanos);
        return true;
    }

    /** RFC 6298 §5.4: retransmit the earliest segment not yet acknowledged — data, FIN, or both. */
    private boolean retransmitOldest(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        int start = t.synAcked() ? t.sndUna : t.sndUna + 1; // an unacknowledged SYN is resent by sendSyn
        int end = retransmitSegment(c, nowNanos, link, start, t.sndNxt);
        if (end == start) {
            return false;
        }
        c.recovery.retransmitted(end, false);
        return true;
    }

    /**
     * Retransmits lost segments while cwnd allows (RFC 6675 §5 (C): cwnd − pipe ≥ 1 SMSS): after
     * three duplicate ACKs (fast retransmit, which goes out whatever cwnd says), NewReno's next hole
     * after a partial ACK, SACK holes judged lost, and every segment after a timeout (go-back-N in
     * slow start, skipping what the peer SACKed since).
     */
    private boolean sendLost(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        LossRecovery r = c.recovery;
        if (!t.synAcked() || !r.inRecovery()) {
            return false;
        }
        boolean sent = false;
        long next;
        while ((next = r.nextLost(t)) >= 0 && (r.retransmitRequired() || r.sendBudget(c) >= t.sndMss)) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, r.holeEnd(seq, t.sndNxt));
            if (end == seq) {
                break;
            }
            r.retransmitted(end, false);
            sent = true;
        }
        return sent;
    }

    /** RFC 6675 NextSeg rules (3) and (4): with nothing new to send, resend unSACKed data that is not yet judged lost. */
    private boolean sendUnsackedInRecovery(TcpConnection c, long nowNanos, Link link) {
        Tcb t = c.tcb;
        LossRecovery r = c.recovery;
        boolean sent = false;
        long next;
        while (r.sendBudget(c) >= t.sndMss && (next = r.nextUnsackedBelowHighestSack(t)) >= 0) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, r.holeEnd(seq, t.sndNxt));
            if (end == seq) {
                return sent;
            }
            r.retransmitted(end, false);
            sent = true;
        }
        if (r.sendBudget(c) >= t.sndMss && (next = r.rescueStart(t, t.sndNxt)) >= 0) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, t.sndNxt);
            if (end != seq) {
                r.retransmitted(end, true);
                sent = true;
            }
        }
        return sent;
    }

    /**
     * Sends again one segment of at most SND.MSS starting at {@code seq} and ending by {@code limit}
     * (exclusive), with our FIN when it reaches it. Returns the sequence number after what was sent
     * ({@code seq} when there was nothing to send).
     */
    private int retransmitSegment(TcpConnection c, long nowNanos, Link link, int seq, int limit) {
        Tcb t = c.tcb;
        int bufferStart = t.synAcked() ? t.sndUna : t.sndUna + 1;
        int dataEnd = t.finSent ? t.finSeq : t.sndNxt;
        int stop = SeqNum.lt(limit, dataEnd) ? limit : dataEnd;
        int length = SeqNum.lt(seq, stop) ? Math.min(segmentMss(c), SeqNum.diff(stop, seq)) : 0;
        boolean fin = t.finSent && !t.finAcked() && seq + length == t.finSeq && SeqNum.gt(limit, t.finSeq);
        if (length == 0 && !fin) {
            return seq;
        }
        boolean push = length > 0 && c.config.profile().pushesRetransmission(seq + length == dataEnd);
        prepare(c, nowNanos, seq, TcpFlags.ACK | (push ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0));
        s.payload = c.sendBuffer;
        s.payloadOffset = SeqNum.diff(seq, bufferStart);
        s.payloadLength = length;
        if (c.rttTiming && SeqNum.ge(c.rttSeq, seq) && SeqNum.lt(c.rttSeq, seq + length + (fin ? 1 : 0))) {
            c.rttTiming = false; // Karn: a retransmitted segment's ACK is ambiguous (RFC 6298 §3)
        }
        stats.increment(Counter.TcpRetransSegs);
        transmit(c, nowNanos, link);
        armRetransmitAndUserTimeout(c, nowNanos);
        return seq + length + (fin ? 1 : 0);
    }

    /**
     * The payload that fits in the segment about to be sent. SND.MSS already leaves room for the
     * options every segment carries (timestamps); SACK blocks come and go, so the data shrinks by
     * the SACK option this segment will carry (RFC 9293 §3.7.1: Eff.snd.MSS subtracts the TCP
     * header "including options" of the segment; Linux tcp_current_mss does the same). Without
     * this, a full-sized data segment that also reports SACK blocks exceeds the path MTU.
     */
    private int segmentMss(TcpConnection c) {
        Tcb t = c.tcb;
        if (!t.sackPermitted || c.reassembly.isEmpty()) {
            return t.sndMss;
        }
        int blocks = c.reassembly.sackBlocks(sackScratchLeft, sackScratchRight, t.timestampsEnabled ? 3 : 4);
        return blocks == 0 ? t.sndMss : Math.max(1, t.sndMss - (4 + 8 * blocks));
    }

    private void sendAck(TcpConnection c, long nowNanos, Link link, int seq) {
        prepare(c, nowNanos, seq, TcpFlags.ACK);
        transmit(c, nowNanos, link);
    }

    /** Fills the fields every synchronized segment shares: ACK, window, timestamps. */
    private void prepare(TcpConnection c, long nowNanos, int seq, int flags) {
        Tcb t = c.tcb;
        s.clear().from(c.id);
        s.layout = c.config.profile().optionLayout();
        s.seq = seq;
        s.ack = t.rcvNxt;
        s.flags = flags;
        s.window = advertisedWindow(c);
        if (t.timestampsEnabled) {
            s.timestamps = true;
            s.tsVal = tsNow(c, nowNanos);
            s.tsEcr = t.tsRecent;
        }
        if (t.sackPermitted && !c.reassembly.isEmpty()) {
            // RFC 2018 §4: report what we hold beyond the hole; 3 blocks fit beside timestamps, 4 without.
            s.sackBlocks = c.reassembly.sackBlocks(s.sackLeft, s.sackRight, t.timestampsEnabled ? 3 : 4);
        }
    }

    /**
     * The window field to send, scaled (RFC 7323 §2.3), never moving the right edge left (RFC 9293
     * §3.8.6.2.2: the window SHOULD NOT shrink). Updates RCV.ADV.
     */
    static int advertisedWindow(TcpConnection c) {
        Tcb t = c.tcb;
        int shift = t.rcvWndShift;
        long promised = Math.max(0, SeqNum.diff(t.rcvAdv, t.rcvNxt));
        long window = Math.max(promised, Math.min(c.receiveSpace(), 65535L << shift));
        long field = Math.min(65535, window >> shift);
        if ((field << shift) < promised) {
            field = Math.min(65535, (promised + (1L << shift) - 1) >> shift); // rounding must not shrink it either
        }
        t.rcvAdv = t.rcvNxt + (int) (field << shift);
        return (int) field;
    }

    private void transmit(TcpConnection c, long nowNanos, Link link) {
        if (s.payloadLength > 0 || (s.flags & TcpFlags.FIN) != 0) {
            c.lastDataSentNanos = nowNanos;
        }
        ByteBuf packet = writer.write(s);
        observer.segmentOut(nowNanos, observed.wrap(packet, packet.readerIndex(), packet.readableBytes()));
        stats.increment(Counter.TcpOutSegs);
        if ((s.flags & TcpFlags.ACK) != 0) {
            c.tcb.lastAckSent = s.ack; // RFC 7323 §4.3 Last.ACK.sent
            c.bytesUnacked = 0;
            c.disarm(TcpTimer.DELAYED_ACK);
        }
        link.transmit(packet);
    }

    private static void armRetransmitAndUserTimeout(TcpConnection c, long nowNanos) {
        if (!c.isArmed(TcpTimer.RETRANSMIT)) {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + c.rtt.rtoNanos());
        }
        if (c.userTimeoutNanos > 0 && !c.isArmed(TcpTimer.USER_TIMEOUT)) {
            c.arm(TcpTimer.USER_TIMEOUT, nowNanos + c.userTimeoutNanos);
        }
    }

    private static void startRttTiming(TcpConnection c, int seq, long nowNanos) {
        c.rttTiming = true;
        c.rttSeq = seq;
        c.rttStartNanos = nowNanos;
    }

    /** Our RFC 7323 timestamp clock: milliseconds plus the connection's random offset (§5.4). */
    static int tsNow(TcpConnection c, long nowNanos) {
        return (int) (nowNanos / 1_000_000L) + c.tcb.tsOffset;
    }
}
