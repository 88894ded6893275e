package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.DeadlineHeap;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.tcp.cc.CongestionControlFactory;
import io.usertcp.tcp.receive.Receiver;
import io.usertcp.tcp.send.Sender;
import io.usertcp.wire.SeqNum;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One TCP connection: its TCB, buffers, timers and state, and the user calls of RFC 9293 §3.10
 * (SEND, RECEIVE, CLOSE, ABORT, STATUS, plus shutdown of the sending side). Segment arrival lives
 * in {@link SegmentArrival}, transmission in {@link TcpOutput}; both work on this object.
 *
 * <p>Every call takes the current monotonic time and must run on the stack's thread. After a user
 * call the stack's driver runs {@code pollTransmit} to send what the call produced. API misuse (a
 * SEND after CLOSE, say) throws {@link IllegalStateException} saying what state the connection was
 * in; network events never throw.
 *
 * <p>Buffers: {@link #send} borrows the caller's buffer (a retained slice is kept);
 * {@link #read(long, ByteBuf)} copies into the caller's buffer. The application must {@link #close} or
 * {@link #abort} every connection it was given, as with a file descriptor: that frees its buffers.
 */
public final class TcpConnection extends DeadlineHeap.Node {
    final ConnectionHost host;
    final ConnectionId id;
    final TcpConfig config;
    /** The sending half: send buffer, SND.*, RTT and Karn, loss recovery, congestion control, persist. */
    final Sender sender;
    /** Linux's busy, rwnd-limited and sndbuf-limited chronographs (tcpi_busy_time and the rest). */
    final SendChrono chrono = new SendChrono();
    /** Segments and bytes out and in (tcpi_segs_out and the rest). */
    final SegmentCounts counts = new SegmentCounts();
    /** The receiving half: RCV.*, receive buffer, reassembly, TS.Recent and PAWS, the ACK policy. */
    final Receiver receiver;
    /** The listener that created this connection (passive OPEN), or null (active OPEN). */
    final TcpListener parent;
    private final long[] deadlines = new long[TcpTimer.VALUES.length];

    TcpState state;
    private CloseReason closeReason;
    private ConnectionHandler handler = ConnectionHandler.NONE;
    /** Events for the handler, queued during processing and delivered after it ({@link #deliverEvents}). */
    private int pendingEvents;
    private static final int EVENT_ESTABLISHED = 1;
    private static final int EVENT_READABLE = 2;
    private static final int EVENT_WRITABLE = 4;
    private static final int EVENT_CLOSED = 8;

    // ---- what the transmitter owes the peer (input and timers raise these; TcpOutput clears them) ----
    /** Send a SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first time or again. */
    boolean synPending;
    /** Send an ACK now rather than waiting for the delayed-ACK timer. */
    boolean ackNow;
    /**
     * When we last answered a segment we could not accept, or {@link OutOfWindowAcks#NEVER} (Linux
     * tp->last_oow_ack_time; see {@code SegmentArrival.outOfWindowAckLimited}).
     */
    long lastOutOfWindowAckNanos = OutOfWindowAcks.NEVER;
    /** Retransmit the oldest unacknowledged segment (RTO expired). */
    boolean retransmitPending;
    /** Send a probe (zero-window or keep-alive): SEG.SEQ = SND.UNA - 1, no data. */
    boolean probePending;
    /** The loss-probe timer fired: the transmitter sends a probe (RFC 8985 §7.3). */
    boolean lossProbePending;
    /** Whether the connection is already on the stack's output list. */
    boolean onOutputList;

    // ---- socket options ----
    boolean keepAliveEnabled;
    long keepaliveIdleNanos;
    long keepaliveIntervalNanos;
    int keepaliveProbes;
    int keepaliveProbesSent;
    long lastReceivedNanos;
    /** When data last arrived (TCP_INFO's tcpi_last_data_recv); the handshake's end until then. */
    long lastDataReceivedNanos;
    long userTimeoutNanos;
    /**
     * The last soft error an ICMP message reported (Linux sk_err_soft, FreeBSD t_softerror, RFC 1122
     * §4.2.3.9); the connection fails with it, instead of a bare timeout, if it times out.
     */
    CloseReason softError;
    /** SO_LINGER {on, 0}: CLOSE aborts with RST and skips TIME-WAIT. */
    boolean lingerZero;
    /** TCP_NODELAY: send small segments at once instead of holding them by Nagle's rule. */
    boolean noDelay;
    /** TCP_NOOPT (FreeBSD): our SYN carries no options at all, so none is negotiated. */
    boolean noOptions;
    /**
     * RFC 3168 ECN in use (Linux TCP_ECN_OK): in SYN-SENT, that our SYN asks for it; from the SYN
     * exchange on, that both ends agreed. Fixed once the connection is synchronized.
     */
    boolean ecn;
    /** TCP_KEEPINIT (FreeBSD): how long the handshake may take before the open fails; 0 = bounded by SYN retries only. */
    long keepInitNanos;
    /**
     * TCP MD5 signatures (RFC 2385): the key shared with the peer, or null. Every segment we send is
     * signed with it and every segment that arrives must carry its signature (Linux
     * tcp_inbound_hash()); with no key, a segment that carries a signature is dropped.
     */
    TcpMd5Key md5;
    /** Whether SND.MSS left room for the signature when it was negotiated (Linux tcp_header_len counts TCPOLEN_MD5SIG_ALIGNED). */
    boolean md5InMss;

    // ---- what the application has done ----
    /** The application called CLOSE: nobody will read; orphaned once the FIN is queued. */
    boolean closedByUser;
    /** Passive open not yet taken from the listener's accept queue. */
    boolean awaitingAccept;

    // ---- TCP Fast Open (RFC 7413; FastOpen) ----
    /** A passive child made from SYN-data with a valid cookie (Linux syn_fastopen_child): queued for accept from its SYN on. */
    boolean fastOpenChild;
    /** The data of the SYN exchange was accepted whole: TCP_INFO's TCPI_OPT_SYN_DATA (Linux syn_data_acked). */
    boolean synDataAcked;
    /** The Fast Open option our next SYN or SYN,ACK carries: null for none, empty for a cookie request. */
    byte[] synCookie;
    boolean synCookieExperimental;
    /** Client: bytes of the send buffer our first SYN carries (Linux fastopen_req->copied). */
    int synDataBytes;
    /** Client: our SYN carried a Fast Open option (Linux syn_fastopen), in the experimental form (syn_fastopen_exp). */
    boolean synFastOpen;
    boolean synFastOpenExperimental;
    /** Client: our SYN carried data (Linux syn_data). */
    boolean synData;
    /** Client: TCP_FASTOPEN_CONNECT deferred the SYN until the first write (Linux DEFER_CONNECT). */
    boolean fastOpenDeferred;
    /** TCP_SYNCNT: SYN retransmissions before an active open fails; 0 = the stack's (Linux icsk_syn_retries). */
    int synRetries;
    /** A writer waits for the handshake with data to send (Linux sk_write_pending): the SYN,ACK's ACK can ride on it. */
    boolean writePending;

    TcpConnection(ConnectionHost host, ConnectionId id, TcpListener parent, long nowNanos) {
        this.host = host;
        this.id = id;
        this.config = host.config();
        this.parent = parent;
        this.sender = new Sender(config, host.stats(), nowNanos);
        this.receiver = new Receiver(config, host.allocator(), host.memory());
        Arrays.fill(deadlines, TcpTimer.DISARMED);
        this.keepaliveIdleNanos = config.keepaliveIdleNanos();
        this.keepaliveIntervalNanos = config.keepaliveIntervalNanos();
        this.keepaliveProbes = config.keepaliveProbes();
        this.userTimeoutNanos = config.userTimeoutNanos();
        this.lastReceivedNanos = nowNanos;
        this.lastDataReceivedNanos = nowNanos;
        this.counts.lastAckNanos = nowNanos;
        this.state = TcpState.CLOSED;
    }

    // =====================================================================================
    // User calls (RFC 9293 §3.10.1 - §3.10.6)
    // =====================================================================================

    /**
     * SEND (RFC 9293 §3.10.2): queues as many readable bytes of {@code data} as the send buffer
     * has room for, advancing its reader index. Allowed in SYN-SENT and SYN-RECEIVED (the data
     * waits for ESTABLISHED), ESTABLISHED and CLOSE-WAIT.
     *
     * @param data borrowed: the caller keeps ownership and releases it, but must not write into the
     *             bytes taken afterwards: they are kept as a retained slice until acknowledged
     * @return bytes queued (0 when the buffer is full)
     * @throws IllegalStateException after CLOSE or shutdown of the sending side, or when closed
     */
    public int send(long nowNanos, ByteBuf data) {
        return send(nowNanos, data, false);
    }

    /**
     * SEND with MSG_MORE ({@code more}): the application has more to write, so a less-than-full
     * tail waits for it, as TCP_CORK would, until the next write without it, an ACK, or the persist
     * timer (Linux tcp_sendmsg() → tcp_push() with TCP_NAGLE_CORK).
     *
     * @param data as for {@link #send(long, ByteBuf)}: borrowed, and its bytes taken stay unmodified
     */
    public int send(long nowNanos, ByteBuf data, boolean more) {
        return send(nowNanos, data, more, false, null);
    }

    /**
     * SEND with MSG_MORE ({@code more}), MSG_EOR ({@code endOfRecord}: the bytes taken end a record,
     * which later writes never join in one packet) and, for a MSG_ZEROCOPY write, its iovecs'
     * lengths ({@code pieces}, summing to the readable bytes; null for a copied write): see
     * {@link io.usertcp.tcp.send.Sender#append(ByteBuf, boolean, int[])}. The bytes are still copied
     * into the send buffer; only Linux's skb layout is modelled.
     *
     * @param data as for {@link #send(long, ByteBuf)}: borrowed, and its bytes taken stay unmodified
     */
    public int send(long nowNanos, ByteBuf data, boolean more, boolean endOfRecord, int[] pieces) {
        if (pieces != null && java.util.Arrays.stream(pieces).asLongStream().sum() != data.readableBytes()) {
            throw new IllegalArgumentException("send: the pieces' lengths " + java.util.Arrays.toString(pieces)
                    + " do not add up to the " + data.readableBytes() + " bytes written");
        }
        if (!state.canSend() || sender.finQueued()) {
            throw new IllegalStateException("send: connection " + id + " is " + state.rfcName()
                    + (sender.finQueued() ? " with its sending side shut down" : "")
                    + " (expected: SYN-SENT, SYN-RECEIVED, ESTABLISHED or CLOSE-WAIT)");
        }
        boolean nothingUnsent = sender.unsentBytes() == 0;
        sender.setMoreComing(more); // before the write: MSG_MORE keeps its end from being marked PSH (tcp_push())
        int n = sender.append(data, endOfRecord, pieces);
        sender.written(nowNanos);
        if (n > 0 && nothingUnsent) {
            chrono.start(SendChrono.Type.BUSY, nowNanos); // Linux tcp_add_write_queue_tail(): the first unsent skb
        }
        if (n > 0 && (state.isSynchronized() || sendsBeforeEstablished())) {
            host.wantsOutput(this);
        }
        return n;
    }

    /**
     * Whether a writer that found no room should try again now: Linux wakes it only once free space
     * is half of what is queued (sk_stream_write_space()); the other profiles as soon as there is room.
     */
    public boolean sendWakes() {
        return sender.writerWakes();
    }

    /** Whether the send buffer is counted in skbs, as Linux does (the profile's choice). */
    public boolean accountsSendBufferInSkbs() {
        return config.profile().accountsSendBufferInSkbs();
    }

    /**
     * Whether data may be sent before the handshake completes: a Fast Open child in SYN-RECEIVED
     * (RFC 7413 §4.2.2 lets the server send once it accepted the SYN-data; Linux tcp_sendmsg() lets a
     * passive Fast Open socket write in SYN_RECV).
     */
    public boolean sendsBeforeEstablished() {
        return fastOpenChild && state == TcpState.SYN_RECEIVED;
    }

    /** TCP_INFO's TCPI_OPT_SYN_DATA: the data of the SYN exchange was accepted (Linux syn_data_acked). */
    public boolean synDataAcked() {
        return synDataAcked;
    }

    /** Whether this is a passive child made by TCP Fast Open from SYN-data. */
    public boolean isFastOpenChild() {
        return fastOpenChild;
    }

    // =====================================================================================
    // TCP Fast Open, client (RFC 7413 §3, §4.1; Linux tcp_fastopen.c, tcp_send_syn_data())
    // =====================================================================================

    /**
     * TCP_FASTOPEN_CONNECT at CONNECT (Linux tcp_fastopen_defer_connect()): when the SYN may carry
     * data (a cookie is cached for the destination, or the client needs none), the SYN waits for
     * the first write, which sends it with the data, and the call returns at once; otherwise the
     * SYN goes now, asking for a cookie (RFC 7413 §4.1.1, an empty option).
     *
     * @return whether the SYN was deferred
     * @throws IllegalStateException when the SYN has gone already or Fast Open's client side is off
     */
    public boolean deferForFastOpen() {
        return host.fastOpen().deferSyn(this);
    }

    /**
     * Sends the SYN of this active open as a Fast Open SYN (MSG_FASTOPEN, or the first write after a
     * deferred CONNECT; Linux tcp_send_syn_data()): with the destination's cached cookie it carries
     * as much of {@code data} as fits a segment of the cached MSS less 40 bytes of options; with
     * none (and cookies required) it asks for one and carries no data (RFC 7413 §4.1.1). The data
     * taken is the start of the send buffer.
     *
     * @param data borrowed; its reader index advances over the bytes taken, which must stay unmodified
     * @return bytes the SYN carries (0 for a cookie request)
     * @throws IllegalStateException when the SYN has gone already or Fast Open's client side is off
     */
    public int sendFastOpen(long nowNanos, ByteBuf data) {
        int taken = host.fastOpen().synData(this, data);
        host.wantsOutput(this);
        return taken;
    }

    /**
     * A blocked writer waits for the handshake to complete with data still to send (Linux
     * sk_write_pending, inet_wait_for_connect()): the ACK of the SYN,ACK is then delayed, up to
     * 200 ms (TCP_DELACK_MAX), so that it rides on that data (Linux tcp_rcv_synsent_state_process()).
     */
    public void setWritePending(boolean pending) {
        writePending = pending;
    }

    /** Whether the SYN still waits for the first write (TCP_FASTOPEN_CONNECT with a cookie). */
    public boolean fastOpenDeferred() {
        return fastOpenDeferred;
    }

    /**
     * TCP_SYNCNT: SYN retransmissions before this active open fails (Linux 1..127); 0 for the
     * stack's {@link TcpConfig#synRetries()}.
     *
     * @throws IllegalArgumentException outside 0..127
     */
    public void setSynRetries(int retries) {
        if (retries < 0 || retries > 127) {
            throw new IllegalArgumentException("TCP_SYNCNT: " + retries + " (expected: 1..127, or 0 for the default)");
        }
        synRetries = retries;
    }

    /** SYN retransmissions allowed: TCP_SYNCNT, else the stack's. */
    int synRetries() {
        return synRetries > 0 ? synRetries : config.synRetries();
    }

    /** Room for the next write: free space in the send buffer, within TCP_NOTSENT_LOWAT if it is set. */
    public int sendSpace() {
        return sender.writableSpace();
    }

    /**
     * TCP_CORK: while on, less-than-full segments are held, whatever TCP_NODELAY says, for at most
     * the persist timer's interval (tcp(7): "a 200 millisecond ceiling"); turning it off sends what
     * waits (Linux __tcp_sock_set_cork()).
     */
    public void setCork(long nowNanos, boolean on) {
        sender.setCork(on);
        if (!on && state.isSynchronized()) {
            host.wantsOutput(this);
        } else if (on && state.isSynchronized() && sender.windowBlocksData() && !isArmed(TcpTimer.PERSIST)) {
            sender.persistArmed();
            arm(TcpTimer.PERSIST, nowNanos + sender.rtoNanos());
        }
    }

    public boolean corked() {
        return sender.corked();
    }

    /**
     * TCP_NOTSENT_LOWAT: the connection counts as writable, and a write takes bytes, only while
     * fewer than {@code bytes} are queued and not yet sent (Linux tcp_stream_memory_free());
     * {@link Integer#MAX_VALUE} (Linux's default, UINT_MAX) turns the limit off.
     *
     * @throws IllegalArgumentException for a negative value
     */
    public void setNotSentLowat(long nowNanos, int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("TCP_NOTSENT_LOWAT: " + bytes + " (expected: >= 0)");
        }
        sender.setNotSentLowat(bytes);
        if (sendSpace() > 0) {
            queueEvent(EVENT_WRITABLE);
        }
    }

    public int notSentLowat() {
        return sender.notSentLowat();
    }

    /**
     * TCP_MAXSEG before the SYN exchange: the MSS we announce, and so the largest segment either side
     * uses, is at most {@code bytes} (Linux user_mss: 88..32767, else EINVAL).
     *
     * @throws IllegalArgumentException outside 88..32767
     * @throws IllegalStateException once our SYN has been sent
     */
    public void setMaxSegment(int bytes) {
        if (bytes < MIN_USER_MSS || bytes > MAX_USER_MSS) {
            throw new IllegalArgumentException("TCP_MAXSEG: " + bytes + " (expected: " + MIN_USER_MSS + ".." + MAX_USER_MSS + ")");
        }
        if (!maxSegmentSettable()) {
            throw new IllegalStateException("TCP_MAXSEG: set it before the SYN is sent (connection " + id + " is "
                    + state.rfcName() + ")");
        }
        receiver.clampMss(bytes);
    }

    /** Whether {@link #setMaxSegment} may still act: an active open whose SYN has not gone yet. */
    public boolean maxSegmentSettable() {
        return state == TcpState.SYN_SENT && synPending && sender.retransmits() == 0;
    }

    /** Linux TCP_MIN_MSS and MAX_TCP_WINDOW: the bounds of TCP_MAXSEG. */
    static final int MIN_USER_MSS = 88;
    static final int MAX_USER_MSS = 32767;

    /** Bytes queued and not sent yet (Linux write_seq - snd_nxt, what TCP_NOTSENT_LOWAT counts). */
    public int unsentBytes() {
        return sender.unsentBytes();
    }

    /** Bytes queued to send or sent and not yet acknowledged (ss's Send-Q). */
    public int sendQueueBytes() {
        return sender.bufferedBytes();
    }

    /**
     * RECEIVE (RFC 9293 §3.10.3): copies buffered bytes into {@code dst}.
     *
     * @param dst borrowed; its writer index advances
     * @return bytes copied, 0 when nothing is buffered yet, -1 at end of stream (the peer's FIN
     *         was received and every byte before it read), as {@code InputStream.read} does
     */
    public int read(long nowNanos, ByteBuf dst) {
        return afterRead(nowNanos, receiver.read(nowNanos, dst));
    }

    /**
     * As {@link #read(long, ByteBuf)}, but the bytes are moved out without a copy, as buffers the
     * caller owns and must release (whole receive-buffer chunks or retained slices of them): the
     * blocking socket copies them into the application's array on the application's thread.
     *
     * @return bytes taken (0 when none wait), or -1 at the end of the stream, as {@link #read(long, ByteBuf)}
     */
    public int take(long nowNanos, int maxBytes, List<ByteBuf> out) {
        return afterRead(nowNanos, receiver.take(nowNanos, maxBytes, out));
    }

    /** {@code n} bytes were read: the window may be advertised anew; nothing read is 0, or -1 at the end of the stream. */
    private int afterRead(long nowNanos, int n) {
        if (n == 0) {
            return receiver.finReceived() || isClosed() ? -1 : 0;
        }
        windowOpened(nowNanos);
        return n;
    }

    /** Bytes received and not yet read (ss's Recv-Q). */
    public int readableBytes() {
        return receiver.readableBytes();
    }

    /** Whether the peer's FIN has arrived (Linux RCV_SHUTDOWN), whether or not the bytes before it were read. */
    public boolean peerFinReceived() {
        return receiver.finReceived();
    }

    /** Whether the peer's FIN has arrived and every byte before it has been read. */
    public boolean isEndOfStream() {
        return receiver.finReceived() && receiver.readableBytes() == 0;
    }

    /** After a read freed space, advertise the larger window if it grew enough to matter (RFC 9293 §3.8.6.2.2). */
    private void windowOpened(long nowNanos) {
        if (!state.isSynchronized() || !state.peerMaySend()) {
            return;
        }
        // Receiver SWS avoidance: update once the window can grow by min(RCV.BUFF/2, MSS).
        if (receiver.windowGrewEnough()) {
            ackNow = true;
            host.wantsOutput(this);
        }
    }

    /**
     * CLOSE (RFC 9293 §3.10.4): "I have no more data to send". The connection finishes sending what
     * is queued, then sends FIN. Unread received data, or SO_LINGER {on, 0}, turn CLOSE into an
     * abort with RST. Closing an already closed connection only releases its buffers.
     */
    public void close(long nowNanos) {
        if (isClosed()) {
            release();
            return;
        }
        if (lingerZero) {
            host.stats().increment(Counter.TcpExtTCPAbortOnLinger);
            abortWithReset(nowNanos, CloseReason.ABORTED, "user CLOSE, linger 0");
            return;
        }
        if (receiver.readableBytes() > 0) {
            // RFC 2525 §2.17 and RFC 9293 §3.10.4 (MAY-10 in spirit): closing with unread data resets, as Linux does.
            host.stats().increment(Counter.TcpExtTCPAbortOnClose);
            abortWithReset(nowNanos, CloseReason.ABORTED_UNREAD_DATA, "user CLOSE with unread data");
            return;
        }
        closedByUser = true;
        receiver.releaseBuffer();
        switch (state) {
            case SYN_SENT -> enterClosed(nowNanos, CloseReason.ABORTED, "user CLOSE in SYN-SENT");
            case SYN_RECEIVED -> closeInSynReceived(nowNanos, "user CLOSE");
            case ESTABLISHED -> queueFin(nowNanos, TcpState.FIN_WAIT_1, "user CLOSE");
            case CLOSE_WAIT -> queueFin(nowNanos, TcpState.LAST_ACK, "user CLOSE");
            case FIN_WAIT_2 -> armFinWait2(nowNanos);
            case FIN_WAIT_1, CLOSING, LAST_ACK, TIME_WAIT, CLOSED, LISTEN -> { } // already closing
        }
    }

    /**
     * Shuts down the sending side (half close): queues a FIN after the data already queued, and
     * keeps receiving. ESTABLISHED goes to FIN-WAIT-1, CLOSE-WAIT to LAST-ACK.
     *
     * @throws IllegalStateException before the connection is established or after it closed
     */
    public void shutdownOutput(long nowNanos) {
        switch (state) {
            case ESTABLISHED -> queueFin(nowNanos, TcpState.FIN_WAIT_1, "user SHUTDOWN");
            case CLOSE_WAIT -> queueFin(nowNanos, TcpState.LAST_ACK, "user SHUTDOWN");
            case SYN_RECEIVED -> closeInSynReceived(nowNanos, "user SHUTDOWN");
            case FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT -> { } // FIN already queued
            case CLOSED, LISTEN, SYN_SENT -> throw new IllegalStateException("shutdownOutput: connection " + id
                    + " is " + state.rfcName() + " (expected: a connected state)");
        }
    }

    /**
     * RFC 9293 §3.10.4, CLOSE in SYN-RECEIVED: "If no SENDs have been issued and there is no pending
     * data to send, then form a FIN segment and send it, and enter FIN-WAIT-1 state; otherwise,
     * queue for processing after entering ESTABLISHED state" (Linux tcp_close_state does the same).
     */
    private void closeInSynReceived(long nowNanos, String cause) {
        if (sender.bufferedBytes() == 0) {
            queueFin(nowNanos, TcpState.FIN_WAIT_1, cause);
        } else {
            sender.setFinQueued(true);
        }
    }

    /**
     * ABORT (RFC 9293 §3.10.5): in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT sends
     * RST; in every state deletes the connection at once, skipping TIME-WAIT.
     */
    public void abort(long nowNanos) {
        if (isClosed()) {
            release();
            return;
        }
        abortWithReset(nowNanos, CloseReason.ABORTED, "user ABORT");
    }

    /** Aborts, sending RST where RFC 9293 §3.10.5 says to, in the profile's form. */
    void abortWithReset(long nowNanos, CloseReason reason, String cause) {
        switch (state) {
            case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> sendAbortReset(nowNanos);
            case CLOSED, LISTEN, SYN_SENT, CLOSING, LAST_ACK, TIME_WAIT -> { }
        }
        enterClosed(nowNanos, reason, cause);
        release();
    }

    private void sendAbortReset(long nowNanos) {
        boolean ts = sender.timestamps();
        switch (config.profile().abortResetForm()) {
            case RST -> host.sendReset(nowNanos, id, md5, sender.nxt());
            case RST_ACK -> host.sendAbortReset(nowNanos, id, md5, sender.nxt(), receiver.nxt(), receiver.windowField(), ts,
                    sender.tsNow(nowNanos), receiver.tsRecent());
            case RST_ACK_ZERO_WINDOW -> host.sendAbortReset(nowNanos, id, md5, sender.nxt(), receiver.nxt(), 0, ts,
                    sender.tsNow(nowNanos), receiver.tsRecent());
        }
    }

    /** SO_LINGER: {@code on} with {@code seconds == 0} makes CLOSE abortive; other values keep the normal close. */
    public void setLinger(boolean on, int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("linger seconds: " + seconds + " (expected: >= 0)");
        }
        lingerZero = on && seconds == 0;
    }

    /**
     * SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (RFC 1122 §4.2.3.6).
     *
     * @throws IllegalArgumentException outside Linux's bounds (tcp_sock_set_keepidle, _keepintvl,
     *                                  _keepcnt): idle and interval 1..32767 s (MAX_TCP_KEEPIDLE,
     *                                  MAX_TCP_KEEPINTVL), probes 1..127 (MAX_TCP_KEEPCNT)
     */
    public void setKeepAlive(long nowNanos, boolean enabled, long idleNanos, long intervalNanos, int probes) {
        if (idleNanos < 1_000_000_000L || idleNanos > 32_767_000_000_000L) {
            throw new IllegalArgumentException("keepalive idle: " + (idleNanos % 1_000_000_000L == 0
                    ? idleNanos / 1_000_000_000L + " s" : idleNanos + " ns") + " (expected: 1..32767 s)");
        }
        if (intervalNanos < 1_000_000_000L || intervalNanos > 32_767_000_000_000L) {
            throw new IllegalArgumentException("keepalive interval: " + (intervalNanos % 1_000_000_000L == 0
                    ? intervalNanos / 1_000_000_000L + " s" : intervalNanos + " ns") + " (expected: 1..32767 s)");
        }
        if (probes < 1 || probes > 127) {
            throw new IllegalArgumentException("keepalive probes: " + probes + " (expected: 1..127)");
        }
        keepAliveEnabled = enabled;
        keepaliveIdleNanos = idleNanos;
        keepaliveIntervalNanos = intervalNanos;
        keepaliveProbes = probes;
        keepaliveProbesSent = 0;
        if (enabled && state.isSynchronized()) {
            arm(TcpTimer.KEEPALIVE, lastReceivedNanos + idleNanos);
        } else {
            disarm(TcpTimer.KEEPALIVE);
        }
    }

    /** Enables keep-alive with the stack's configured idle, interval and count. */
    public void setKeepAlive(long nowNanos, boolean enabled) {
        setKeepAlive(nowNanos, enabled, config.keepaliveIdleNanos(), config.keepaliveIntervalNanos(), config.keepaliveProbes());
    }

    /**
     * RFC 5482 user timeout (TCP_USER_TIMEOUT); 0 turns it off.
     *
     * @throws IllegalArgumentException outside Linux's bounds: TCP_USER_TIMEOUT is an int of
     *                                  milliseconds, >= 0 (do_tcp_setsockopt), so 0 or 1 ms..2147483647 ms
     */
    public void setUserTimeout(long timeoutNanos) {
        if (timeoutNanos < 0 || timeoutNanos > 0 && timeoutNanos < 1_000_000L || timeoutNanos > Integer.MAX_VALUE * 1_000_000L) {
            throw new IllegalArgumentException("user timeout: " + (timeoutNanos % 1_000_000L == 0
                    ? timeoutNanos / 1_000_000L + " ms" : timeoutNanos + " ns") + " (expected: 0 to turn it off, or 1..2147483647 ms)");
        }
        userTimeoutNanos = timeoutNanos;
        if (timeoutNanos == 0) {
            disarm(TcpTimer.USER_TIMEOUT);
        }
    }

    /**
     * TCP_NODELAY: with {@code true}, a less-than-full segment goes out at once even while data is
     * unacknowledged; with {@code false} (the default, as in Linux) Nagle's rule holds it (RFC 9293
     * §3.7.4).
     */
    public void setNoDelay(long nowNanos, boolean noDelay) {
        this.noDelay = noDelay;
        if (noDelay && state.isSynchronized()) {
            host.wantsOutput(this); // release what Nagle was holding
        }
    }

    public boolean noDelay() {
        return noDelay;
    }

    /**
     * TCP_NOOPT (FreeBSD only): with {@code true}, the SYN or SYN,ACK carries no option at all, not
     * even MSS, so no window scaling, SACK or timestamps are used. Set it before the SYN is sent.
     *
     * @throws IllegalStateException when the profile has no such option (Linux and the RFCs do not)
     *                               or the SYN exchange has already begun
     */
    public void setNoOptions(boolean on) {
        if (!config.profile().hasNoOptions()) {
            throw new IllegalStateException("TCP_NOOPT: not an option of the " + config.profile().name()
                    + " profile (expected: the freebsd profile)");
        }
        if (state.isSynchronized()) {
            throw new IllegalStateException("TCP_NOOPT: connection " + id + " is " + state.rfcName()
                    + " (expected: set before the SYN exchange)");
        }
        noOptions = on;
    }

    public boolean noOptions() {
        return noOptions;
    }

    /**
     * TCP_MD5SIG (RFC 2385; Linux tcp_v4_parse_md5_keys()): signs every segment from now on with
     * {@code key} and accepts only segments signed with it; a removal ({@link TcpMd5Key#removes()})
     * or null ends signing. Set it before the SYN, as BGP speakers do: a connection whose SYN was
     * not signed has a peer that does not expect signatures. A key set later takes effect at once,
     * as in Linux (each segment's payload shrinks by the option it carries, tcp_current_mss()).
     *
     * @throws IllegalArgumentException when the key's prefix does not cover the peer's address
     */
    public void setMd5Key(TcpMd5Key key) {
        if (key != null && !key.matches(id.remoteAddress())) {
            throw new IllegalArgumentException("TCP_MD5SIG: " + key + " does not cover the peer "
                    + io.usertcp.wire.Ipv4Address.format(id.remoteAddress()) + " of " + id);
        }
        md5 = key == null || key.removes() ? null : key;
    }

    /** The TCP MD5 key shared with the peer (RFC 2385), or null. */
    public TcpMd5Key md5Key() {
        return md5;
    }

    /**
     * TCP_KEEPINIT (FreeBSD only): the open fails with {@link CloseReason#CONNECT_TIMEOUT} when the
     * handshake has not completed {@code timeoutNanos} after this call (FreeBSD runs it on the
     * keep-alive timer during establishment); 0 turns it off.
     *
     * @throws IllegalStateException when the profile has no such option
     */
    public void setConnectTimeout(long nowNanos, long timeoutNanos) {
        if (!config.profile().hasKeepInit()) {
            throw new IllegalStateException("TCP_KEEPINIT: not an option of the " + config.profile().name()
                    + " profile (expected: the freebsd profile)");
        }
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("connect timeout: " + timeoutNanos + " ns (expected: >= 0)");
        }
        keepInitNanos = timeoutNanos;
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (timeoutNanos > 0) {
                arm(TcpTimer.KEEPALIVE, nowNanos + timeoutNanos);
            } else {
                disarm(TcpTimer.KEEPALIVE);
            }
        }
    }

    public long connectTimeoutNanos() {
        return keepInitNanos;
    }

    /**
     * TCP_QUICKACK: {@code true} ACKs the next segments at once (Linux quick ACK mode, as at the
     * start of a connection) and sends a pending ACK now; {@code false} leaves quick ACK mode, so
     * ACKs are delayed by the RFC 9293 §3.8.6.3 rule from the next segment on.
     */
    public void setQuickAck(long nowNanos, boolean quick) {
        receiver.setQuickAck(quick);
        if (quick && isArmed(TcpTimer.DELAYED_ACK)) {
            ackNow = true;
            host.wantsOutput(this);
        }
    }

    /**
     * SO_SNDBUF: the send buffer becomes what the profile makes of {@code requestedBytes}
     * ({@link TcpProfile#socketBufferSize}: Linux doubles the request, within net.core.wmem_max),
     * and autotuning leaves it alone from then on (Linux SOCK_SNDBUF_LOCK). Bytes already queued
     * stay, even above a smaller size.
     *
     * @throws IllegalArgumentException for a negative size (Linux reads it as a huge unsigned one)
     */
    public void setSendBufferSize(long nowNanos, int requestedBytes) {
        sender.setBufferSize(config.profile().socketBufferSize(nonNegative("SO_SNDBUF", requestedBytes),
                config.socketBufferMaxBytes(), true));
        if (sender.space() > 0) {
            queueEvent(EVENT_WRITABLE);
        }
    }

    /**
     * SO_RCVBUF: the receive buffer becomes what the profile makes of {@code requestedBytes}
     * (Linux doubles it, within net.core.rmem_max, and the window offers half the buffer), and
     * autotuning stops (SOCK_RCVBUF_LOCK). A larger buffer opens the advertised window, up to what
     * the window scale negotiated on the SYN can express; set before an active open's SYN leaves,
     * it also sizes the shift that SYN offers (TcpProfile.lockedWindowShift()). A smaller one never takes back window already advertised (RFC 9293
     * §3.8.6.2.2), and bytes already held stay.
     *
     * @throws IllegalArgumentException for a negative size
     */
    public void setReceiveBufferSize(long nowNanos, int requestedBytes) {
        receiver.setBufferSize(config.profile().socketBufferSize(nonNegative("SO_RCVBUF", requestedBytes),
                config.socketBufferMaxBytes(), false));
        if (maxSegmentSettable()) {
            offerLockedWindowShift(); // before our SYN: the shift it offers is sized for the locked buffer
        }
        windowOpened(nowNanos);
    }

    /** The window shift our SYN or SYN,ACK offers, sized for SO_RCVBUF's locked buffer (TcpProfile.lockedWindowShift()). */
    void offerLockedWindowShift() {
        if (config.windowScaling()) {
            receiver.offerWindowShift(config.profile().lockedWindowShift(receiver.windowSpace(), receiver.bufferSize(),
                    config.receiveBufferMaxBytes()));
        }
    }

    private static int nonNegative(String option, int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException(option + ": " + bytes + " bytes (expected: >= 0; sizes are clamped to the"
                    + " stack's socketBufferMaxBytes)");
        }
        return bytes;
    }

    /** SO_SNDBUF as getsockopt reports it: the send buffer's size, grown by autotuning or as set. */
    public int sendBufferSize() {
        return sender.capacity();
    }

    /** SO_RCVBUF as getsockopt reports it (Linux sk_rcvbuf: twice the bytes the window may offer). */
    public int receiveBufferSize() {
        return receiver.bufferSize();
    }

    public void setHandler(ConnectionHandler handler) {
        this.handler = handler == null ? ConnectionHandler.NONE : handler;
    }

    // =====================================================================================
    // STATUS (RFC 9293 §3.10.6)
    // =====================================================================================

    public ConnectionId id() {
        return id;
    }

    public TcpState state() {
        return state;
    }

    /** Why the connection ended; null while it is open. */
    public CloseReason closeReason() {
        return closeReason;
    }

    /** TCP_INFO's fields beyond the snapshot's, now. */
    public TcpInfo tcpInfo(long nowNanos) {
        int caState = switch (sender.recoveryPhase()) {
            case FAST_RECOVERY -> TcpInfo.CA_RECOVERY;
            case RTO_RECOVERY -> TcpInfo.CA_LOSS;
            case OPEN -> sender.inCwr() ? TcpInfo.CA_CWR : sender.recovery().disorder() ? TcpInfo.CA_DISORDER : TcpInfo.CA_OPEN;
        };
        int mss = Math.max(1, sender.mss());
        int inFlight = Math.max(0, SeqNum.diff(sender.nxt(), sender.una()));
        return new TcpInfo(caState, receiver.mss(), (inFlight + mss - 1) / mss, sender.recovery().reordering(),
                (nowNanos - lastDataReceivedNanos) / 1_000_000L, sender.recovery().sackedPackets(), sender.recovery().lostPackets(),
                sender.recovery().retransmittedPackets(), sender.recovery().reorderingSeen(), synDataAcked, sender.delivered(),
                chrono.busyNanos(nowNanos) / 1000, chrono.nanos(SendChrono.Type.RWND_LIMITED, nowNanos) / 1000,
                chrono.nanos(SendChrono.Type.SNDBUF_LIMITED, nowNanos) / 1000,
                new TcpInfo.Traffic(counts.bytesSent, counts.bytesRetrans, sender.bytesAcked(), receiver.bytesReceived(),
                        counts.segsOut, counts.segsIn, counts.dataSegsOut, counts.dataSegsIn, counts.retransSegs,
                        (nowNanos - sender.lastDataSentNanos()) / 1_000_000L, (nowNanos - counts.lastAckNanos) / 1_000_000L,
                        receiver.measuredRcvMss(), sender.minRttNanos() / 1000, sender.unsentBytes(), sender.rtoBackoffs()));
    }

    /** The soft error an ICMP message reported (RFC 1122 §4.2.3.9), or null. */
    public CloseReason softError() {
        return softError;
    }

    /** A timeout ends the connection: with the soft error an ICMP message reported, if any (Linux tcp_write_err()). */
    CloseReason timedOut(CloseReason timeout) {
        return softError != null ? softError : timeout;
    }

    /**
     * An ICMP error whose quote names this connection (RFC 5927): {@code quotedSeq} is the sequence
     * number of the segment it quotes. Ignored, and counted, unless that segment is one we sent and
     * is not yet acknowledged: SND.UNA =< SEQ =< SND.NXT (RFC 5927 §4.1, Linux tcp_v4_err()), or the
     * ISS for a passive half-open child (tcp_req_err()). "Fragmentation needed" lowers the send MSS
     * and resends what no longer fits (RFC 1191); the others act as the profile says
     * ({@link TcpProfile#icmpError}).
     */
    void icmpError(long nowNanos, int type, int code, int quotedSeq, int nextHopMtu) {
        // A Fast Open child is a full socket (Linux tcp_v4_err(), "only in fast or simultaneous open"): while queued
        // for accept an error ends it as it ends an active open; once accepted it is treated as a connected one.
        boolean passiveChild = parent != null && state == TcpState.SYN_RECEIVED && !fastOpenChild;
        boolean inWindow = passiveChild ? quotedSeq == sender.iss()
                : SeqNum.ge(quotedSeq, sender.una()) && SeqNum.le(quotedSeq, sender.nxt());
        if (!inWindow) {
            host.stats().increment(Counter.TcpExtOutOfWindowIcmps);
            return;
        }
        if (IcmpErrors.isFragmentationNeeded(type, code)) {
            if (state == TcpState.SYN_SENT && synData && sender.retransmits() == 0) {
                fastOpenSynTooBig(Math.max(IcmpErrors.MIN_PATH_MTU, nextHopMtu));
                return;
            }
            if (state != TcpState.SYN_SENT && sender.pathMtuReduced(Math.max(IcmpErrors.MIN_PATH_MTU, nextHopMtu))) {
                retransmitPending = true;
                host.wantsOutput(this);
            }
            return;
        }
        CloseReason reason = IcmpErrors.reason(type, code);
        if (reason == null) {
            return;
        }
        TcpState judgedAs = fastOpenChild && state == TcpState.SYN_RECEIVED && !awaitingAccept ? TcpState.ESTABLISHED : state;
        switch (config.profile().icmpError(judgedAs, passiveChild, reason, IcmpErrors.isHard(type, code),
                IcmpErrors.abortsRequest(type, code), sender.retransmits(), softError != null)) {
            case IGNORE -> { }
            case SOFT -> softError = reason;
            case ABORT -> {
                if (!state.isSynchronized()) {
                    host.stats().increment(Counter.TcpAttemptFails);
                }
                enterClosed(nowNanos, reason, "rcv ICMP (" + reason.message() + ")");
                release();
            }
        }
    }

    /**
     * "Fragmentation needed" for our SYN-data (Linux tcp_v4_mtu_reduced() → tcp_simple_retransmit(),
     * which since c31b70c9968f takes the Fast Open SYN as lost): the SYN goes again at once, plain,
     * announcing the MSS the path leaves (tcp_advertise_mss() follows the route's advmss); the data
     * waits for the SYN,ACK and goes at the smaller MSS.
     */
    private void fastOpenSynTooBig(int pathMtu) {
        receiver.clampMss(pathMtu - 40);
        sender.pathMtuReduced(pathMtu);
        sender.synDataWithdrawn();
        synPending = true;
        host.stats().increment(Counter.TcpRetransSegs);
        host.wantsOutput(this);
    }

    /** Whether the connection is over for the application (CLOSED, or handed to TIME-WAIT). */
    public boolean isClosed() {
        return closeReason != null;
    }

    /** Whether a passive-open connection is still waiting in its listener's queues. */
    public boolean isAwaitingAccept() {
        return awaitingAccept;
    }

    /**
     * TCP_CONGESTION: switches this connection to the algorithm {@code factory} makes, with the
     * stack's other congestion settings. The new controller starts afresh (initial window, slow
     * start), so switch before sending data to compare algorithms fairly.
     */
    public void setCongestionControl(CongestionControlFactory factory) {
        if (factory == null) {
            throw new IllegalArgumentException("congestion control: null (expected: e.g. CongestionAlgorithm.CUBIC)");
        }
        sender.setCongestionControl(factory);
    }

    /** The congestion controller in use (cwnd, ssthresh, algorithm name); read-only use, please. */
    public CongestionControl congestionControl() {
        return sender.congestionControl();
    }

    /** The effective send MSS negotiated on the SYN exchange. */
    public int mss() {
        return sender.mss();
    }

    /** A consistent copy of the connection's state at {@code nowNanos}, for an ss-like view. */
    public ConnectionSnapshot snapshot(long nowNanos) {
        Map<TcpTimer, Long> timers = new EnumMap<>(TcpTimer.class);
        for (TcpTimer t : TcpTimer.VALUES) {
            if (deadlines[t.ordinal()] != TcpTimer.DISARMED) {
                timers.put(t, Math.max(0, deadlines[t.ordinal()] - nowNanos));
            }
        }
        CongestionControl cc = sender.congestionControl();
        return new ConnectionSnapshot(id, state, receiver.readableBytes(), sender.bufferedBytes(), timers,
                sender.srttNanos(), sender.rttvarNanos(), sender.rtoNanos(), sender.mss(), sender.window(), receiver.window(),
                sender.retransmits(), sender.flightSize(), sender.windowShift(), receiver.windowShift(), sender.sackPermitted(),
                sender.timestamps(), cc.name(), cc.cwndBytes(), cc.ssthreshBytes(), closeReason, ecn, receiver.ecnSeen(),
                receiver.bufferSize(), sender.capacity(), receiver.chargedBytes());
    }

    // =====================================================================================
    // Transitions (called by SegmentArrival and timers)
    // =====================================================================================

    void setState(long nowNanos, TcpState next, String cause) {
        TcpState previous = state;
        if (previous == next) {
            return;
        }
        state = next;
        if (previous == TcpState.SYN_RECEIVED && fastOpenChild && parent != null) {
            parent.fastOpenChildSettled();
        }
        boolean wasEstablished = previous == TcpState.ESTABLISHED || previous == TcpState.CLOSE_WAIT;
        boolean isEstablished = next == TcpState.ESTABLISHED || next == TcpState.CLOSE_WAIT;
        if (wasEstablished != isEstablished) {
            host.stats().establishedDelta(isEstablished ? 1 : -1);
        }
        host.observer().stateChanged(nowNanos, id, previous, next, cause);
    }

    /** The handshake completed (from SYN-SENT or SYN-RECEIVED). */
    void becomeEstablished(long nowNanos, String cause) {
        setState(nowNanos, TcpState.ESTABLISHED, cause);
        receiver.established(nowNanos);
        sender.expandBuffer(false); // Linux tcp_init_buffer_space() → tcp_sndbuf_expand()
        lastDataReceivedNanos = nowNanos; // Linux stamps icsk_ack.lrcvtime when the handshake completes
        // RFC 6298 §5.7: no sample from the handshake (a passive open samples just after this, from the ACK).
        sender.handshakeWithoutSample();
        if (keepAliveEnabled) {
            arm(TcpTimer.KEEPALIVE, nowNanos + keepaliveIdleNanos);
        } else {
            disarm(TcpTimer.KEEPALIVE); // TCP_KEEPINIT watched the handshake
        }
        if (parent != null) {
            if (!fastOpenChild) {
                host.stats().increment(Counter.TcpPassiveOpens); // a Fast Open child counted at its SYN
            }
            parent.childEstablished(this);
        }
        queueEvent(EVENT_ESTABLISHED);
        if (sender.finQueued()) {
            // CLOSE or SHUTDOWN arrived in SYN-RECEIVED and was queued (RFC 9293 §3.10.4).
            queueFin(nowNanos, TcpState.FIN_WAIT_1, closedByUser ? "queued CLOSE" : "queued SHUTDOWN");
        } else if (sender.bufferedBytes() > 0) {
            host.wantsOutput(this);
        }
    }

    /** Queues our FIN after any data not yet sent and moves to {@code next}. */
    void queueFin(long nowNanos, TcpState next, String cause) {
        sender.setFinQueued(true);
        setState(nowNanos, next, cause);
        host.wantsOutput(this);
    }

    /** Enters TIME-WAIT: the stack replaces this connection with a compact entry that ACKs the FIN. */
    void enterTimeWait(long nowNanos, String cause) {
        setState(nowNanos, TcpState.TIME_WAIT, cause);
        finish(nowNanos, CloseReason.NORMAL, true);
    }

    /** Enters CLOSED and leaves the connection table. */
    void enterClosed(long nowNanos, CloseReason reason, String cause) {
        setState(nowNanos, TcpState.CLOSED, cause);
        finish(nowNanos, reason, false);
    }

    private void finish(long nowNanos, CloseReason reason, boolean timeWait) {
        if (closeReason == null) {
            closeReason = reason;
        }
        Arrays.fill(deadlines, TcpTimer.DISARMED);
        host.timersChanged(this);
        sender.release();
        receiver.releaseHeld();
        if (closedByUser || awaitingAccept && !keptForAccept()) {
            receiver.releaseBuffer(); // nobody will read
        }
        host.detached(this, nowNanos, timeWait);
        queueEvent(EVENT_CLOSED);
    }

    /**
     * Whether this closed child stays in its listener's accept queue, with what it received, for
     * accept() (Linux; {@link TcpProfile#keepsClosedChildForAccept()}).
     */
    boolean keptForAccept() {
        return awaitingAccept && parent != null && parent.keepsClosedChild(this);
    }

    /** Frees the buffers; the connection is unusable afterwards. A child kept for accept() keeps them. */
    void release() {
        if (keptForAccept()) {
            return;
        }
        sender.release();
        receiver.release();
        host.forget(this);
    }

    /** RCV.WND for the acceptability test and trimming: a passive SYN-RECEIVED child is judged by what it advertised. */
    long acceptanceWindow() {
        return receiver.acceptanceWindow(parent != null && state == TcpState.SYN_RECEIVED);
    }

    void notifyReadable() {
        queueEvent(EVENT_READABLE);
    }

    void notifyWritable() {
        queueEvent(EVENT_WRITABLE);
    }

    private void queueEvent(int event) {
        if (pendingEvents == 0) {
            host.eventsPending(this);
        }
        pendingEvents |= event;
    }

    /** Delivers the queued events to the handler, in lifecycle order, with the time (called by the stack). */
    void deliverEvents(long nowNanos) {
        int events = pendingEvents;
        pendingEvents = 0;
        if ((events & EVENT_ESTABLISHED) != 0) {
            handler.onEstablished(this, nowNanos);
        }
        if ((events & EVENT_READABLE) != 0) {
            handler.onReadable(this, nowNanos);
        }
        if ((events & EVENT_WRITABLE) != 0) {
            handler.onWritable(this, nowNanos);
        }
        if ((events & EVENT_CLOSED) != 0) {
            handler.onClosed(this, closeReason, nowNanos);
        }
    }

    // =====================================================================================
    // Timers (DESIGN.md §2: a table of deadlines)
    // =====================================================================================

    void arm(TcpTimer timer, long deadlineNanos) {
        long old = deadlines[timer.ordinal()];
        deadlines[timer.ordinal()] = deadlineNanos;
        deadlineMoved(old, deadlineNanos);
    }

    void disarm(TcpTimer timer) {
        long old = deadlines[timer.ordinal()];
        if (old != TcpTimer.DISARMED) {
            deadlines[timer.ordinal()] = TcpTimer.DISARMED;
            deadlineMoved(old, TcpTimer.DISARMED);
        }
    }

    /**
     * One timer's deadline moved from {@code old} to {@code moved}. The stack's timer heap files
     * this connection under its earliest deadline, so it needs telling only when that can have
     * changed: the new deadline is earlier than the one filed, or the old one was it. A segment
     * re-arms the retransmission, loss-probe and delayed-ACK timers several times, mostly behind
     * an earlier deadline; telling the heap each time was a scan of every timer and a heap update.
     * ({@link #onTimeout} tells it once at the end, after disarming what fired.)
     */
    private void deadlineMoved(long old, long moved) {
        long filed = heapDeadlineNanos();
        if (moved < filed || old == filed) {
            host.timersChanged(this);
        }
    }

    /** Arms {@code timer} at {@code deadlineNanos}, or disarms it for {@link Long#MIN_VALUE}. */
    void armOrDisarm(TcpTimer timer, long deadlineNanos) {
        if (deadlineNanos == Long.MIN_VALUE) {
            disarm(timer);
        } else if (deadlines[timer.ordinal()] != deadlineNanos) {
            arm(timer, deadlineNanos);
        }
    }

    /**
     * After data went out or an ACK came: the loss probe replaces the retransmission timer when one
     * is due (Linux tcp_schedule_loss_probe(): they share one timer; the PTO is never later than
     * the RTO would be). {@code advancingRto}: the RTO restarts from now (an ACK), else it runs
     * from the oldest segment's transmission.
     */
    void scheduleLossProbe(long nowNanos, boolean advancingRto) {
        long rtoLeft = advancingRto ? sender.rtoNanos() : sender.recovery().rtoFromOldestNanos(nowNanos);
        long delay = sender.recovery().lossProbeDelayNanos(rtoLeft);
        if (delay < 0) {
            if (isArmed(TcpTimer.LOSS_PROBE)) {
                disarm(TcpTimer.LOSS_PROBE);
                if (!sender.allAcknowledged() && !isArmed(TcpTimer.RETRANSMIT)) {
                    arm(TcpTimer.RETRANSMIT, nowNanos + sender.recovery().rtoFromOldestNanos(nowNanos));
                }
            }
            return;
        }
        arm(TcpTimer.LOSS_PROBE, nowNanos + delay);
        disarm(TcpTimer.RETRANSMIT);
    }

    boolean isArmed(TcpTimer timer) {
        return deadlines[timer.ordinal()] != TcpTimer.DISARMED;
    }


    /** The earliest armed deadline, or {@code Long.MAX_VALUE}. */
    long earliestDeadline() {
        long min = TcpTimer.DISARMED;
        for (long d : deadlines) {
            min = Math.min(min, d);
        }
        return min;
    }

    /** Fires every timer due at {@code nowNanos}. */
    void onTimeout(long nowNanos) {
        for (TcpTimer timer : TcpTimer.VALUES) {
            if (deadlines[timer.ordinal()] <= nowNanos && !isClosed()) {
                deadlines[timer.ordinal()] = TcpTimer.DISARMED;
                host.observer().timerExpired(nowNanos, id, timer);
                TcpTimers.expired(this, timer, nowNanos);
            }
        }
        host.timersChanged(this);
    }

    void armFinWait2(long nowNanos) {
        if (closedByUser && state == TcpState.FIN_WAIT_2) {
            arm(TcpTimer.FIN_WAIT_2, nowNanos + config.finWait2TimeoutNanos());
        }
    }

    @Override
    public String toString() {
        return "TcpConnection[" + id + " " + state.rfcName() + "]";
    }
}
