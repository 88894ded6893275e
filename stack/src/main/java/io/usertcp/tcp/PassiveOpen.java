package io.usertcp.tcp;

import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpSegmentView;

/**
 * SEGMENT ARRIVES in LISTEN (RFC 9293 §3.10.7.2): a SYN creates a SYN-RECEIVED child or, when the
 * SYN queue is full, is answered with a SYN cookie (RFC 4987 §3.6); an ACK is checked as a cookie
 * and otherwise answered with RST; a RST is ignored.
 */
final class PassiveOpen {
    private final TcpStack stack;
    private final StackStats stats;
    private final TcpConfig config;
    private final SynCookies cookies;
    private final Replies replies;
    private final SegmentArrival arrival;

    PassiveOpen(TcpStack stack, SynCookies cookies, Replies replies, SegmentArrival arrival) {
        this.stack = stack;
        this.stats = stack.stats();
        this.config = stack.config();
        this.cookies = cookies;
        this.replies = replies;
        this.arrival = arrival;
    }

    /**
     * @param isnHint when {@code reopen} is set, the ISN to use: above everything the TIME-WAIT
     *                incarnation sent (RFC 9293 §3.6.1, MAY-2 condition 1)
     */
    void segment(TcpListener listener, long nowNanos, Ipv4PacketView ip, TcpSegmentView seg, boolean reopen, int isnHint) {
        int flags = seg.flags();
        if ((flags & TcpFlags.RST) != 0) {
            return; // "An incoming RST should be ignored."
        }
        if ((flags & TcpFlags.ACK) != 0) {
            if ((flags & TcpFlags.SYN) == 0 && acceptCookie(listener, nowNanos, ip, seg)) {
                return;
            }
            if ((flags & TcpFlags.SYN) != 0 && !config.profile().resetsSynAckInListen()) {
                return; // FreeBSD: a SYN,ACK on a listening socket is dropped without a RST
            }
            // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state": <SEQ=SEG.ACK><CTL=RST>
            replies.resetFor(nowNanos, ip, seg);
            return;
        }
        if ((flags & TcpFlags.SYN) == 0) {
            return; // any other segment: drop
        }
        if ((flags & TcpFlags.FIN) != 0 && config.profile().dropsSynFinInListen()) {
            stack.dropped(DropReason.TCP_LISTEN_SYN_FIN); // no child, no SYN,ACK: nothing for a half-open pile-up
            return;
        }
        if (listener.acceptQueueFull()) {
            // Linux tcp_conn_request: no room to complete anything, drop the SYN; the client retries.
            stats.increment(Counter.TcpExtListenOverflows);
            stats.increment(Counter.TcpExtListenDrops);
            return;
        }
        TcpConfig.SynCookieMode mode = config.synCookies();
        if (mode == TcpConfig.SynCookieMode.ALWAYS
                || (mode == TcpConfig.SynCookieMode.ON_OVERFLOW && listener.synQueueFull())) {
            sendCookie(listener, nowNanos, ip, seg);
            return;
        }
        if (listener.synQueueFull()) {
            stats.increment(Counter.TcpExtListenDrops);
            return;
        }
        createChild(listener, nowNanos, ip, seg, reopen, isnHint);
    }

    private void createChild(TcpListener listener, long nowNanos, Ipv4PacketView ip, TcpSegmentView seg, boolean reopen, int isnHint) {
        ConnectionId id = new ConnectionId(ip.destinationAddress(), seg.destinationPort(), ip.sourceAddress(), seg.sourcePort());
        TcpConnection child = stack.newConnection(id, listener, nowNanos, TcpState.LISTEN);
        child.sender.start(reopen ? isnHint : stack.isn(nowNanos, id));
        child.receiver.synReceived(seg.seq());
        child.noOptions = listener.noOptions(); // TCP_NOOPT is inherited (FreeBSD)
        child.md5 = listener.md5KeyFor(id.remoteAddress()); // Linux tcp_v4_syn_recv_sock(): the peer's key is copied
        listener.applyMaxSegment(child);
        listener.applyReceiveBuffer(child, nowNanos);
        child.ecn = acceptsEcn(ip, seg);
        SegmentArrival.negotiate(child, seg.options(), nowNanos);
        // RFC 7323 §2.2: a SYN's window is not scaled.
        child.sender.setWindow(seg.window(), 0, seg.seq(), child.sender.iss());
        if (stack.fastOpen().acceptsSynData(listener, ip, seg, child, stats)) {
            fastOpenChild(listener, nowNanos, seg, child);
            return;
        }
        // Data on a SYN without Fast Open is not queued: the peer will send it again after the handshake.
        if ((seg.flags() & TcpFlags.FIN) != 0 && config.profile().queuesFinOnListenSyn()) {
            child.receiver.holdSynFin(seg); // RFC 9293 §3.10.7.2: processed once ESTABLISHED, which makes it CLOSE-WAIT
        }
        listener.childCreated(child);
        child.setState(nowNanos, TcpState.SYN_RECEIVED, "rcv SYN");
        child.synPending = true;
        stack.wantsOutput(child);
    }

    /**
     * Linux tcp_fastopen_create_child() and tcp_fastopen_add_skb(): the child takes the SYN's data
     * (RCV.NXT passes it, so the SYN,ACK acknowledges it; RFC 7413 §4.2.2), and joins the accept
     * queue at once, in SYN-RECEIVED. Its SYN,ACK carries no cookie.
     */
    private void fastOpenChild(TcpListener listener, long nowNanos, TcpSegmentView seg, TcpConnection child) {
        child.fastOpenChild = true;
        child.sender.allowDataBeforeSynAcked();
        child.receiver.holdSynText(seg, false);
        int taken = child.receiver.deliverHeld();
        child.synDataAcked = taken > 0;
        stats.increment(Counter.TcpExtTCPFastOpenPassive);
        stats.increment(Counter.TcpPassiveOpens); // Linux tcp_create_openreq_child(): the child is a full socket now
        child.setState(nowNanos, TcpState.SYN_RECEIVED, "rcv SYN with Fast Open data");
        listener.fastOpenChildCreated(child);
        child.synPending = true;
        if (taken > 0) {
            child.notifyReadable();
        }
        stack.wantsOutput(child);
    }

    /**
     * RFC 3168 §6.1.1: an ECN-setup SYN (ECE and CWR) is answered with an ECN-setup SYN,ACK when
     * ECN is enabled (Linux tcp_ecn_create_request(): any net.ipv4.tcp_ecn but 0; FreeBSD
     * syncache_add()), unless the profile refuses a SYN that is itself ECT.
     */
    private boolean acceptsEcn(Ipv4PacketView ip, TcpSegmentView seg) {
        boolean setupSyn = (seg.flags() & (TcpFlags.ECE | TcpFlags.CWR)) == (TcpFlags.ECE | TcpFlags.CWR);
        return setupSyn && stack.ecn().accepts() && !(config.profile().refusesEcnForEctSyn() && ip.ecn() != 0);
    }

    /** Answers a SYN with a cookie SYN-ACK and keeps no state. */
    private void sendCookie(TcpListener listener, long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        ParsedTcpOptions o = seg.options();
        int la = ip.destinationAddress();
        int lp = seg.destinationPort();
        int ra = ip.sourceAddress();
        int rp = seg.sourcePort();
        int peerMss = o.hasMss() ? o.mss() : SegmentArrival.DEFAULT_MSS;
        int cookie = cookies.encode(nowNanos, la, lp, ra, rp, seg.seq(), SynCookies.mssIndex(peerMss));
        OutSegment s = replies.segment().replyTo(ra, rp, la, lp);
        s.seq = cookie;
        s.ack = seg.seq() + 1;
        s.flags = TcpFlags.SYN | TcpFlags.ACK;
        s.mss = listener.maxSegment() > 0 ? Math.min(stack.localMss(), listener.maxSegment()) : stack.localMss();
        s.window = Math.min(config.receiveBufferBytes(), 65535);
        TcpMd5Key md5 = listener.md5KeyFor(ra);
        // RFC 2385: signed as any SYN,ACK; Linux keeps the timestamps of a cookie SYN,ACK beside it (TCP_SYNACK_COOKIE).
        s.md5Key = md5 == null ? null : md5.keyBytes();
        if (config.timestamps() && o.hasTimestamps()) {
            // Window scale, SACK-permitted and ECN survive only inside our timestamp (Linux cookie_init_timestamp);
            // without timestamps a cookie cannot carry ECN, and Linux (tcp_conn_request) does not agree to it.
            boolean windowScale = config.windowScaling() && o.hasWindowScale();
            boolean sack = config.sack() && o.sackPermitted();
            boolean ecn = acceptsEcn(ip, seg);
            int tsNow = (int) (nowNanos / 1_000_000L) + stack.tsOffset(la, lp, ra, rp);
            s.flags |= ecn ? TcpFlags.ECE : 0;
            s.timestamps = true;
            s.tsVal = SynCookies.encodeTimestamp(tsNow,
                    windowScale ? Math.min(o.windowScale(), SegmentArrival.MAX_WINDOW_SHIFT) : -1, sack, ecn);
            s.tsEcr = o.tsVal();
            s.windowScale = windowScale ? stack.windowShiftOffered() : OutSegment.NONE;
            s.sackPermitted = sack;
        }
        replies.enqueueTcp(nowNanos);
        stats.increment(Counter.TcpExtSyncookiesSent);
        listener.cookieSent(nowNanos);
    }

    /**
     * The third segment of a cookie handshake: if SEG.ACK - 1 is a valid cookie for this tuple and
     * SEG.SEQ - 1, the connection is created directly in ESTABLISHED.
     *
     * @return whether the segment was consumed (valid cookie, even if then dropped for a full queue)
     */
    private boolean acceptCookie(TcpListener listener, long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        if (config.synCookies() == TcpConfig.SynCookieMode.OFF || !listener.cookiesRecentlySent(nowNanos)) {
            return false; // no cookie out there that this ACK could be answering (Linux cookie_v4_check)
        }
        int la = ip.destinationAddress();
        int lp = seg.destinationPort();
        int ra = ip.sourceAddress();
        int rp = seg.sourcePort();
        int clientIsn = seg.seq() - 1;
        int cookie = seg.ack() - 1;
        int index = cookies.decode(nowNanos, la, lp, ra, rp, clientIsn, cookie);
        if (index < 0) {
            stats.increment(Counter.TcpExtSyncookiesFailed);
            return false;
        }
        if (listener.acceptQueueFull()) {
            stats.increment(Counter.TcpExtListenOverflows);
            stats.increment(Counter.TcpExtListenDrops);
            return true;
        }
        stats.increment(Counter.TcpExtSyncookiesRecv);
        ConnectionId id = new ConnectionId(la, lp, ra, rp);
        TcpConnection child = stack.newConnection(id, listener, nowNanos, TcpState.LISTEN);
        child.md5 = listener.md5KeyFor(ra); // as createChild: the peer's key
        listener.applyMaxSegment(child); // the cookie SYN,ACK announced at most the listener's TCP_MAXSEG
        restoreFromCookie(child, seg, cookie, clientIsn, index, nowNanos);
        listener.childCreated(child);
        child.becomeEstablished(nowNanos, "rcv ACK with valid SYN cookie");
        arrival.arrive(child, nowNanos, seg, ip.ecn()); // the ACK may carry data
        return true;
    }

    private void restoreFromCookie(TcpConnection child, TcpSegmentView seg, int cookie, int clientIsn, int index, long nowNanos) {
        ParsedTcpOptions o = seg.options();
        child.sender.start(cookie);
        child.sender.synAcknowledgedByCookie(); // the final ACK acknowledged the cookie SYN-ACK
        // Our window as the client knows it: what the cookie SYN-ACK advertised.
        child.receiver.restoredFromCookie(seg.seq(), Math.min(config.receiveBufferBytes(), 65535));
        boolean timestamps = config.timestamps() && o.hasTimestamps();
        int shift = timestamps ? SynCookies.windowShiftOf(o.tsEcr()) : -1;
        boolean windowScaling = config.windowScaling() && shift >= 0;
        boolean sack = timestamps && config.sack() && SynCookies.sackPermittedOf(o.tsEcr());
        // Linux cookie_ecn_ok(): ECN if the cookie SYN,ACK agreed to it and ECN is still enabled.
        child.ecn = timestamps && stack.ecn().accepts() && SynCookies.ecnOf(o.tsEcr());
        int optionBytes = (timestamps ? 12 : 0) + (child.md5 != null ? TcpOptionKind.MD5_SIGNATURE_ALIGNED_LENGTH : 0);
        child.md5InMss = child.md5 != null;
        int mssOffered = Math.min(SynCookies.MSS_TABLE[index], child.receiver.mss());
        int mss = Math.max(SegmentArrival.MIN_SND_MSS, mssOffered - optionBytes);
        int sndShift = windowScaling ? Math.min(shift, SegmentArrival.MAX_WINDOW_SHIFT) : 0;
        child.sender.negotiated(mss, sndShift, sack, timestamps);
        child.receiver.negotiated(windowScaling, sack, timestamps, o.tsVal(), nowNanos);
        child.receiver.mssKnown(mssOffered);
        child.sender.handshakeCompleted(seg.window(), sndShift, seg.seq(), seg.ack());
    }
}
