package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.link.Link;
import io.usertcp.tcp.receive.Receiver;
import io.usertcp.tcp.send.Sender;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpSegmentView;

/**
 * The transmitter (DESIGN.md §4): decides what a connection sends now — SYN or SYN-ACK,
 * retransmission, new data within the peer's window, FIN, probes, a bare ACK — from the flags that
 * input and timers raised, and writes it to the link. Input never writes to the link itself.
 *
 * <p>It asks the {@link Sender} what may go (cwnd, the peer's window, Nagle, loss recovery) and
 * tells it what went; the {@link Receiver} gives every segment its ACK, window, timestamp echo and
 * SACK blocks. Every segment in a synchronized state carries ACK with the current RCV.NXT and
 * window, so sending anything settles a pending or delayed ACK.
 */
final class TcpOutput {
    private final SegmentWriter writer;
    private final OutSegment s = new OutSegment();
    private final Ipv4PacketView observed = new Ipv4PacketView();
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
                boolean sent = false;
                if (c.synPending) {
                    sendSyn(c, nowNanos, link);
                    sent = true;
                }
                if (c.sendsBeforeEstablished()) {
                    sent |= sendNewData(c, nowNanos, link); // a Fast Open child writes before the handshake ends
                }
                if (!sent && c.ackNow && c.state == TcpState.SYN_RECEIVED) {
                    sendAck(c, nowNanos, link, c.sender.nxt());
                }
            }
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> outputSynchronized(c, nowNanos, link);
            case CLOSED, LISTEN, TIME_WAIT -> { }
        }
        c.ackNow = false;
        c.retransmitPending = false;
        c.probePending = false;
        c.lossProbePending = false;
    }

    private void outputSynchronized(TcpConnection c, long nowNanos, Link link) {
        boolean sent = false;
        if (c.synPending && !c.sender.synAcked()) {
            // CLOSE in SYN-RECEIVED sent our FIN before the SYN was acknowledged: the SYN,ACK is retransmitted first.
            sendSyn(c, nowNanos, link);
            sent = true;
        }
        if (c.retransmitPending) {
            sent = retransmitOldest(c, nowNanos, link);
        }
        if (c.lossProbePending) {
            sent |= sendLossProbe(c, nowNanos, link);
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
            sendAck(c, nowNanos, link, c.sender.una() - 1);
            sent = true;
        }
        if (c.ackNow && !sent) {
            sendAck(c, nowNanos, link, c.sender.nxt());
        }
    }

    /** SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with the options RFC 9293 §3.7.1 and RFC 7323 / 2018 allow. */
    private void sendSyn(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        Receiver rcv = c.receiver;
        boolean synAck = c.state != TcpState.SYN_SENT;
        s.clear().from(c.id);
        s.layout = c.config.profile().optionLayout();
        s.seq = snd.iss();
        s.flags = TcpFlags.SYN | (synAck ? TcpFlags.ACK : 0) | ecnSetupFlags(c, synAck);
        s.ack = synAck ? rcv.nxt() : 0;
        s.mss = rcv.mss();
        if (synAck) {
            // Answer only what the peer offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
            s.windowScale = rcv.windowScaling() ? rcv.windowShift() : OutSegment.NONE;
            s.sackPermitted = rcv.sackPermitted();
            s.timestamps = rcv.timestamps();
        } else {
            s.windowScale = c.config.windowScaling() ? rcv.offeredWindowShift() : OutSegment.NONE;
            s.sackPermitted = c.config.sack();
            s.timestamps = c.config.timestamps() && c.md5 == null; // Linux tcp_syn_options(): no timestamps beside MD5
            if (c.config.profile().synRetransmitDropsOptions(snd.retransmits())) {
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
            s.tsVal = snd.tsNow(nowNanos);
            s.tsEcr = synAck ? rcv.tsRecent() : 0;
        }
        s.window = rcv.synWindowField(); // RFC 7323 §2.2: the window field of a SYN is never scaled
        s.md5Key = md5Key(c); // RFC 2385 §2.0: every segment, the SYN first
        fastOpen(c, synAck);
        snd.synSent(nowNanos);
        if (snd.retransmits() > 0) {
            stats.increment(Counter.TcpRetransSegs);
            stats.increment(Counter.TcpExtTCPSynRetrans);
        }
        transmit(c, nowNanos, link);
        if (s.payloadLength > 0) {
            snd.synDataSent(s.payloadLength);
        }
        c.synPending = false;
        if (!c.isArmed(TcpTimer.RETRANSMIT)) {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + snd.rtoNanos());
        }
    }

    /**
     * TCP Fast Open (RFC 7413 §4.1): the first SYN or SYN,ACK carries the connection's Fast Open
     * option (a cookie request, a cookie, the server's fresh cookie), and a client's first SYN the
     * data that fits; retransmissions carry neither (Linux tcp_send_syn_data() clears the cookie
     * "for SYN retries"; a retransmitted SYN,ACK is built without one).
     */
    private void fastOpen(TcpConnection c, boolean synAck) {
        Sender snd = c.sender;
        if (snd.retransmits() > 0) {
            if (!synAck && c.synData) {
                snd.synDataWithdrawn();
            }
            c.synCookie = null;
            return;
        }
        if (c.synCookie != null && !c.noOptions
                && s.optionsLength() + fastOpenLength(c) <= TcpOptionKind.MAX_OPTIONS_LENGTH) {
            s.fastOpenCookie = c.synCookie;
            s.fastOpenExperimental = c.synCookieExperimental;
            if (!synAck) {
                c.synFastOpen = true; // Linux tcp_syn_options(): syn_fastopen, syn_fastopen_exp
                c.synFastOpenExperimental = c.synCookieExperimental;
            }
        }
        c.synCookie = null;
        if (!synAck && c.synDataBytes > 0 && !c.synData) { // the first SYN only: one resent for the path MTU is plain
            s.payload = snd;
            s.payloadOffset = 0;
            s.payloadLength = c.synDataBytes;
            c.synData = true;
        }
    }

    private static int fastOpenLength(TcpConnection c) {
        return ((c.synCookieExperimental ? 4 : 2) + c.synCookie.length + 3) & ~3;
    }

    /**
     * RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, an ECN-setup SYN,ACK ECE alone (Linux
     * tcp_ecn_send_syn(), tcp_ecn_make_synack(), tcp_ecn_send_synack()); neither is ECT (the IP
     * ECN field of a SYN stays Not-ECT). A retransmitted SYN falls back to a plain one after
     * {@link TcpConfig#ecnSetupSynRetries()} retransmissions (RFC 3168 §6.1.1.1).
     */
    private static int ecnSetupFlags(TcpConnection c, boolean synAck) {
        if (!c.ecn) {
            return 0;
        }
        if (synAck) {
            return TcpFlags.ECE;
        }
        return c.sender.retransmits() <= c.config.ecnSetupSynRetries() ? TcpFlags.ECE | TcpFlags.CWR : 0;
    }

    /** New data within the peer's window, FIN piggybacked on the last segment when it is queued. */
    private boolean sendNewData(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        if (!snd.mayStartNewData()) {
            return false;
        }
        snd.beforeNewData(nowNanos);
        if (snd.nextLost() >= 0) {
            return false; // lost segments go first (RFC 6675 NextSeg rule 1 before rule 2)
        }
        boolean sent = false;
        // The persist timer fired with a window too small to use: RFC 9293 §3.8.6.2.1 (4), the override timeout.
        boolean override = c.probePending;
        int mss = segmentMss(c); // what reassembly holds, hence the SACK option, cannot change while we send
        snd.startGsoPackets(mss, false, c.noDelay);
        int length;
        // Linux sk_gso_disable() when a socket gets an MD5 key (tcp_md5_do_add()): each segment has its own
        // signature, which the device cutting a super-segment could not compute, so signed data goes segment by segment.
        if (link.offloads().segmentation() && c.md5 == null) {
            sent = sendNewSuperSegments(c, nowNanos, link, mss, override);
        } else {
            while ((length = snd.nextSegmentLength(mss, override, c.noDelay)) > 0) {
                sendNewSegment(c, nowNanos, link, length, mss, override);
                override = false;
                sent = true;
            }
        }
        if (sent) {
            c.scheduleLossProbe(nowNanos, false); // Linux tcp_write_xmit(): one probe per tail-loss episode
        }
        chronographs(c, nowNanos, sent);
        if (sent && snd.notSentLowat() != Integer.MAX_VALUE && snd.writableSpace() > 0) {
            c.notifyWritable(); // TCP_NOTSENT_LOWAT: sending, not only ACKs, makes room below the mark
        }
        if (sent) {
            c.disarm(TcpTimer.PERSIST); // data in flight: the retransmission timer watches the peer
        } else if (snd.windowBlocksData() && !c.isArmed(TcpTimer.PERSIST)) {
            // The window holds the data back and nothing in flight will bring an ACK: probe a zero window, or
            // wait out the override timeout of a small one (RFC 9293 §3.8.6.1, §3.8.6.2.1).
            snd.persistArmed();
            c.arm(TcpTimer.PERSIST, nowNanos + snd.rtoNanos());
        }
        return sent;
    }

    /**
     * The end of Linux tcp_write_xmit() for the chronographs: rwnd-limited while the peer's window
     * holds data back, else not; and, with everything sent and cwnd not the limit, sndbuf-limited
     * while the application waits for room (tcp_cwnd_validate()).
     */
    private static void chronographs(TcpConnection c, long nowNanos, boolean sent) {
        Sender snd = c.sender;
        if (snd.peerWindowLimits()) {
            c.chrono.start(SendChrono.Type.RWND_LIMITED, nowNanos);
        } else {
            c.chrono.stop(SendChrono.Type.RWND_LIMITED, nowNanos, snd.queuesEmpty());
        }
        if (sent && snd.sendBufferLimits() && (c.state == TcpState.ESTABLISHED || c.state == TcpState.CLOSE_WAIT)) {
            c.chrono.start(SendChrono.Type.SNDBUF_LIMITED, nowNanos);
        }
    }

    /** One segment of {@code length} new bytes at SND.NXT, with our FIN when it empties the queue. */
    private void sendNewSegment(TcpConnection c, long nowNanos, Link link, int length, int mss, boolean override) {
        Sender snd = c.sender;
        int pushAndFin = pushAndFin(c, length, mss, override);
        c.receiver.dataSending(nowNanos);
        prepare(c, nowNanos, snd.nxt(), TcpFlags.ACK | pushAndFin);
        markNewData(c);
        s.payload = snd;
        s.payloadOffset = snd.nextDataOffset();
        s.payloadLength = length;
        transmit(c, nowNanos, link);
        snd.newDataSent(nowNanos, length, mss, (pushAndFin & TcpFlags.FIN) != 0);
        armRetransmitAndUserTimeout(c, nowNanos);
    }

    /**
     * PSH and FIN of the next new-data segment of {@code length} bytes, asked before it is sent: our
     * FIN rides on the segment that empties the queue; PSH where the profile puts it
     * ({@link Sender#pushesNewSegment}: the end of what was queued, or Linux's GSO packets).
     */
    private static int pushAndFin(TcpConnection c, int length, int mss, boolean override) {
        Sender snd = c.sender;
        boolean fin = snd.isLastQueued(length) && snd.finQueued();
        boolean push = snd.pushesNewSegment(length, mss, override, c.noDelay);
        return (push ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0);
    }

    /**
     * RFC 3168 §6.1.2 and Linux tcp_ecn_send(): new data is ECT(0) (never retransmissions, pure ACKs,
     * SYNs or a FIN alone: RFC 3168 §6.1.5 and §6.1.4), and the first new data after a reduction
     * carries CWR.
     */
    private void markNewData(TcpConnection c) {
        if (c.ecn) {
            s.ecn = Receiver.ECT_0;
            if (c.sender.takeQueuedCwr()) {
                s.flags |= TcpFlags.CWR;
            }
        }
    }

    /**
     * New data as TSO super-segments, for a link that segments them (Linux tcp_write_xmit() with a
     * TSO device, tcp_tso_segs()): the same segments as {@link #sendNewSegment} would send one by
     * one, each decided by the same rules and logged on its own (RACK, SACK and retransmission see
     * MSS-sized segments, as Linux's tcp_skb_pcount() counts them), written as one datagram of full
     * segments that the link cuts at {@code mss}. A super-segment ends at the link's limit, after a
     * short segment, or after one carrying PSH or FIN, which segmentation leaves on the last segment;
     * CWR goes on the first. Linux sizes super-segments by the pacing rate (tcp_tso_autosize(), about
     * 1 ms of data); here they are as large as the link takes, which on a TUN link equals Linux's
     * 64 KB at any rate above 0.5 Gbit/s.
     */
    private boolean sendNewSuperSegments(TcpConnection c, long nowNanos, Link link, int mss, boolean override) {
        Sender snd = c.sender;
        boolean sent = false;
        int length;
        while ((length = snd.nextSegmentLength(mss, override, c.noDelay)) > 0) {
            c.receiver.dataSending(nowNanos);
            prepare(c, nowNanos, snd.nxt(), TcpFlags.ACK);
            markNewData(c); // CWR on the first segment: segmentation keeps it there only
            int headers = Ipv4PacketView.MIN_HEADER_LENGTH + TcpSegmentView.MIN_HEADER_LENGTH + s.optionsLength();
            int room = Math.max(mss, (link.offloads().maxSegmentationBytes() - headers) / mss * mss);
            s.payload = snd;
            s.payloadOffset = snd.nextDataOffset();
            int total = 0;
            int segments = 0;
            while (true) {
                int pushAndFin = pushAndFin(c, length, mss, override);
                boolean gsoEnds = snd.endsGsoPacket(length);
                override = false;
                snd.newDataSent(nowNanos, length, mss, (pushAndFin & TcpFlags.FIN) != 0);
                total += length;
                segments++;
                if (pushAndFin != 0 || length < mss || gsoEnds) {
                    s.flags |= pushAndFin; // on the last segment: segmentation keeps them there only
                    break;
                }
                if (total + mss > room || (length = snd.nextSegmentLength(mss, false, c.noDelay)) == 0) {
                    break;
                }
            }
            s.payloadLength = total;
            transmitNew(c, nowNanos, link, segments, segments > 1 ? mss : 0);
            armRetransmitAndUserTimeout(c, nowNanos);
            sent = true;
        }
        return sent;
    }

    /**
     * RFC 8985 §7.3 (Linux tcp_send_loss_probe()): one probe segment, new data if the peer's window
     * takes it (whatever cwnd and Nagle say), else the last segment sent, again. The retransmission
     * timer then restarts from now (tcp_rearm_rto()).
     */
    private boolean sendLossProbe(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        boolean sent;
        boolean retransmission = false;
        if (snd.recovery().newDataFitsWindow()) {
            int mss = segmentMss(c);
            snd.startGsoPackets(mss, true, c.noDelay);
            sendNewSegment(c, nowNanos, link, Math.min(mss, snd.unsentBytes()), mss, false);
            sent = true;
        } else {
            int start = snd.recovery().lossProbeRetransmitStart();
            sent = retransmitSegment(c, nowNanos, link, start, snd.nxt()) != start;
            retransmission = true;
        }
        if (sent) {
            snd.recovery().lossProbeSent(retransmission);
        }
        c.disarm(TcpTimer.LOSS_PROBE);
        c.arm(TcpTimer.RETRANSMIT, nowNanos + snd.rtoNanos());
        return sent;
    }

    /** A FIN on its own once every queued byte has been sent (RFC 9293 §3.10.4). */
    private boolean sendFinIfDue(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        if (!snd.finDue()) {
            return false;
        }
        prepare(c, nowNanos, snd.nxt(), TcpFlags.FIN | TcpFlags.ACK);
        transmit(c, nowNanos, link);
        snd.finSent(nowNanos);
        armRetransmitAndUserTimeout(c, nowNanos);
        return true;
    }

    /** RFC 6298 §5.4: retransmit the earliest segment not yet acknowledged — data, FIN, or both. */
    private boolean retransmitOldest(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        int start = snd.oldestUnacked(); // an unacknowledged SYN is resent by sendSyn
        int end = retransmitSegment(c, nowNanos, link, start, snd.nxt());
        if (end == start) {
            return false;
        }
        snd.recoveryRetransmitted(end, false);
        return true;
    }

    /**
     * Retransmits lost segments while cwnd allows (RFC 6675 §5 (C): cwnd − pipe ≥ 1 SMSS): after
     * three duplicate ACKs (fast retransmit, which goes out whatever cwnd says), NewReno's next hole
     * after a partial ACK, SACK holes judged lost, and every segment after a timeout (go-back-N in
     * slow start, skipping what the peer SACKed since).
     */
    private boolean sendLost(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        if (!snd.synAcked() || !snd.inRecovery()) {
            return false;
        }
        boolean sent = false;
        long next;
        while ((next = snd.nextLost()) >= 0 && (snd.retransmitRequired() || snd.sendBudget() >= snd.mss())) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, snd.holeEnd(seq));
            if (end == seq) {
                break;
            }
            snd.recoveryRetransmitted(end, false);
            sent = true;
            if (seq == snd.una() && snd.recovery().restartsRtoOnHeadRetransmit()) {
                // Linux tcp_xmit_retransmit_queue(): resending the first segment restarts the RTO from now
                c.arm(TcpTimer.RETRANSMIT, nowNanos + snd.rtoNanos());
            }
        }
        return sent;
    }

    /** RFC 6675 NextSeg rules (3) and (4): with nothing new to send, resend unSACKed data that is not yet judged lost. */
    private boolean sendUnsackedInRecovery(TcpConnection c, long nowNanos, Link link) {
        Sender snd = c.sender;
        boolean sent = false;
        long next;
        while (snd.sendBudget() >= snd.mss() && (next = snd.nextUnsackedBelowHighestSack()) >= 0) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, snd.holeEnd(seq));
            if (end == seq) {
                return sent;
            }
            snd.recoveryRetransmitted(end, false);
            sent = true;
        }
        if (snd.sendBudget() >= snd.mss() && (next = snd.rescueStart()) >= 0) {
            int seq = (int) next;
            int end = retransmitSegment(c, nowNanos, link, seq, snd.nxt());
            if (end != seq) {
                snd.recoveryRetransmitted(end, true);
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
        Sender snd = c.sender;
        int length = snd.retransmitLength(seq, limit, segmentMss(c));
        boolean fin = snd.retransmitCarriesFin(seq, length, limit);
        if (length == 0 && !fin) {
            return seq;
        }
        // RFC 9293 §3.9.1 pushes the last segment of the data queued: PSH only where the data sent so far ends.
        // FreeBSD tcp_output sets it only when the segment empties the send buffer, the same rule; Linux resends
        // the original skb with its flags, and tcp_fragment() leaves PSH on the tail part, so the first MSS
        // of a burst goes out again without it (fr-4pkt.pkt), as here.
        boolean push = length > 0 && seq + length == snd.dataEnd();
        prepare(c, nowNanos, seq, TcpFlags.ACK | (push ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0));
        s.payload = snd;
        s.payloadOffset = snd.bufferOffset(seq);
        s.payloadLength = length;
        snd.retransmitted(nowNanos, seq, length, fin);
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
        int mss = md5Adjusted(c, c.sender.mss());
        int max = maxSackBlocks(c);
        int blocks = c.receiver.sackBlockCount(max);
        assert blocks == c.receiver.sackBlocks(new int[max], new int[max], max) : "the SACK block count disagrees with the blocks listed";
        return blocks == 0 ? mss : Math.max(1, mss - (4 + 8 * blocks));
    }

    /**
     * Linux tcp_current_mss(): SND.MSS counted the signature if the connection had a key when it
     * was negotiated; a key set or removed since changes what fits by the option's 20 bytes.
     */
    private static int md5Adjusted(TcpConnection c, int mss) {
        boolean now = c.md5 != null;
        return now == c.md5InMss ? mss : Math.max(1, mss + (now ? -1 : 1) * TcpOptionKind.MD5_SIGNATURE_ALIGNED_LENGTH);
    }

    /**
     * RFC 2018 §3 and Linux tcp_established_options(): the SACK blocks that fit in the 40 bytes of
     * option space beside the timestamps (12) and the MD5 signature (20): 4 with neither, 3 beside
     * timestamps, 2 beside a signature, none beside both.
     */
    private static int maxSackBlocks(TcpConnection c) {
        int room = TcpOptionKind.MAX_OPTIONS_LENGTH - (c.receiver.timestamps() ? 12 : 0)
                - (c.md5 != null ? TcpOptionKind.MD5_SIGNATURE_ALIGNED_LENGTH : 0) - 4;
        return Math.max(0, Math.min(TcpOptionKind.MAX_SACK_BLOCKS, room / TcpOptionKind.SACK_BLOCK_LENGTH));
    }

    /** The key the connection's segments are signed with (RFC 2385), or null. */
    static byte[] md5Key(TcpConnection c) {
        return c.md5 == null ? null : c.md5.keyBytes();
    }

    private void sendAck(TcpConnection c, long nowNanos, Link link, int seq) {
        prepare(c, nowNanos, seq, TcpFlags.ACK);
        transmit(c, nowNanos, link);
    }

    /** Fills the fields every synchronized segment shares: ACK, window, timestamps, SACK blocks. */
    private void prepare(TcpConnection c, long nowNanos, int seq, int flags) {
        Receiver rcv = c.receiver;
        s.clear().from(c.id);
        s.layout = c.config.profile().optionLayout();
        s.seq = seq;
        s.ack = rcv.nxt();
        // RFC 3168 §6.1.3: after a CE mark, every ACK carries ECE until the peer's CWR (Linux tcp_ecn_send()).
        s.flags = flags | (c.ecn && rcv.echoesEce() ? TcpFlags.ECE : 0);
        s.window = rcv.windowField();
        if (rcv.timestamps()) {
            s.timestamps = true;
            s.tsVal = c.sender.tsNow(nowNanos);
            s.tsEcr = rcv.tsRecent();
        }
        // RFC 2018 §4: report what we hold beyond the hole, as many blocks as fit.
        s.sackBlocks = rcv.sackBlocks(s.sackLeft, s.sackRight, maxSackBlocks(c));
        s.md5Key = md5Key(c);
    }

    private void transmit(TcpConnection c, long nowNanos, Link link) {
        if (s.payloadLength > 0 || (s.flags & TcpFlags.FIN) != 0) {
            c.sender.dataSent(nowNanos);
        }
        c.counts.sent(s.payloadLength, s.payloadLength > 0 && SeqNum.lt(s.seq, c.sender.nxt()));
        stats.increment(Counter.TcpOutSegs);
        write(c, nowNanos, link, 0);
    }

    /**
     * New data already logged by the sender: {@code segments} segments of {@code segmentSize}
     * bytes (the last one shorter or equal), or one segment when {@code segmentSize} is 0. Counted
     * per segment, as Linux counts tcp_skb_pcount().
     */
    private void transmitNew(TcpConnection c, long nowNanos, Link link, int segments, int segmentSize) {
        c.sender.dataSent(nowNanos);
        for (int i = 0, left = s.payloadLength; i < segments; i++, left -= segmentSize) {
            c.counts.sent(segmentSize == 0 ? left : Math.min(segmentSize, left), false);
        }
        stats.add(Counter.TcpOutSegs, segments);
        write(c, nowNanos, link, segmentSize);
    }

    /** Builds the datagram of {@link #s} and hands it to the link, the checksum (and TSO) to the link when it offers them. */
    private void write(TcpConnection c, long nowNanos, Link link, int segmentSize) {
        boolean offload = link.offloads().checksum();
        ByteBuf packet = writer.write(s, offload);
        stats.increment(Counter.IpOutRequests); // per datagram, a super-segment once (Linux: per skb, in ip_local_out)
        observer.segmentOut(nowNanos, observed.wrap(packet, packet.readerIndex(), packet.readableBytes()));
        if ((s.flags & TcpFlags.ACK) != 0) {
            c.receiver.ackSent(s.ack); // RFC 7323 §4.3 Last.ACK.sent
            c.disarm(TcpTimer.DELAYED_ACK);
        }
        if (offload) {
            link.transmit(packet, segmentSize);
        } else {
            link.transmit(packet);
        }
    }

    private static void armRetransmitAndUserTimeout(TcpConnection c, long nowNanos) {
        if (!c.isArmed(TcpTimer.RETRANSMIT)) {
            c.arm(TcpTimer.RETRANSMIT, nowNanos + c.sender.rtoNanos());
        }
        if (c.userTimeoutNanos > 0 && !c.isArmed(TcpTimer.USER_TIMEOUT)) {
            c.arm(TcpTimer.USER_TIMEOUT, nowNanos + c.userTimeoutNanos);
        }
    }
}
