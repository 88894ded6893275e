package io.usertcp.tcp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A passive OPEN (RFC 9293 §3.10.1): a port in LISTEN with a SYN queue of SYN-RECEIVED children and
 * an accept queue of established connections the application has not taken yet (DESIGN.md §4).
 *
 * <p>Both queues are bounded by the backlog as in Linux: a SYN arriving while the accept queue is
 * full is dropped; one arriving while the SYN queue is full is answered with a SYN cookie
 * (RFC 4987) when cookies are on, else dropped. Children live in the stack's connection table like
 * any connection; the listener only counts and orders them. Stack-thread only.
 */
public final class TcpListener {
    private final TcpStack stack;
    private final int localAddress;
    private final int port;
    private final int backlog;
    private final Set<TcpConnection> synQueue = new LinkedHashSet<>();
    private final ArrayDeque<TcpConnection> acceptQueue = new ArrayDeque<>();
    private Runnable onAcceptable = () -> { };
    private boolean closed;
    private boolean noOptions;
    private int maxSegment;
    /** SO_RCVBUF as the application asked it for this listener, -1 when unset. */
    private int receiveBufferRequest = -1;
    /** Whether, and when last, this listener answered a SYN with a cookie (Linux tcp_synq_overflow). */
    private boolean cookieSent;
    private long lastCookieSentNanos;
    /** TCP Fast Open (RFC 7413): how many Fast Open children may be pending (Linux fastopenq.max_qlen); 0 = off. */
    private int fastOpenQueueLimit;
    /** Fast Open children still in SYN-RECEIVED (Linux fastopenq.qlen). */
    private int fastOpenPending;
    /** TCP MD5 keys (RFC 2385), one per peer or prefix; null until the first is set. */
    private TcpMd5Keys md5Keys;

    TcpListener(TcpStack stack, int localAddress, int port, int backlog) {
        this.stack = stack;
        this.localAddress = localAddress;
        this.port = port;
        this.backlog = backlog;
    }

    /**
     * Takes the oldest established connection, or returns {@code null} when none is waiting. The
     * caller owns it from now on and must close it.
     */
    public TcpConnection accept() {
        TcpConnection c = acceptQueue.pollFirst();
        if (c != null) {
            c.awaitingAccept = false;
        }
        return c;
    }

    /**
     * TCP_MD5SIG on a listening socket (RFC 2385; Linux tcp_v4_parse_md5_keys()): from now on a
     * segment from a peer that {@code key} covers must be signed with it, the SYN,ACK answering it is
     * signed, and the connection it opens inherits the key (Linux tcp_v4_syn_recv_sock()); a peer
     * no key covers must send no signature. A removal ({@link TcpMd5Key#removes()}) takes the key
     * for that address and prefix away.
     *
     * @return false for a removal of a key the listener does not have (Linux: ENOENT)
     */
    public boolean setMd5Key(TcpMd5Key key) {
        if (md5Keys == null) {
            md5Keys = new TcpMd5Keys();
        }
        return md5Keys.set(key);
    }

    /** The key for {@code peer} (the longest prefix that covers it), or null. */
    public TcpMd5Key md5KeyFor(int peer) {
        return md5Keys == null ? null : md5Keys.lookup(peer);
    }

    /** Called (on the stack thread) whenever a connection joins the accept queue. */
    public void setOnAcceptable(Runnable onAcceptable) {
        this.onAcceptable = onAcceptable == null ? () -> { } : onAcceptable;
    }

    /**
     * CLOSE of a listener: stops listening; every child not yet accepted, half-open or established,
     * is reset (as Linux's inet_csk_listen_stop does).
     */
    public void close(long nowNanos) {
        if (closed) {
            return;
        }
        closed = true;
        List<TcpConnection> children = new ArrayList<>(synQueue);
        children.addAll(acceptQueue);
        for (TcpConnection child : children) {
            if (child.isClosed()) {
                child.awaitingAccept = false; // closed while queued (keepsClosedChildForAccept): nobody will take it
                child.release();
            } else {
                child.abortWithReset(nowNanos, CloseReason.LISTENER_CLOSED, "listener closed");
            }
        }
        synQueue.clear();
        acceptQueue.clear();
        stack.removeListener(this);
        stack.listenerClosed(nowNanos, this);
    }

    /** The stack shut down: the listener is closed without a word to anyone (TcpStack.close). */
    void stackClosed() {
        closed = true;
    }

    /** The listening socket as a tuple: local address (0 = any) and port, no remote end. */
    public ConnectionId id() {
        return new ConnectionId(localAddress, port, 0, 0);
    }

    public int port() {
        return port;
    }

    /** The bound address, or 0 for every local address. */
    public int localAddress() {
        return localAddress;
    }

    public int backlog() {
        return backlog;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Half-open children (SYN-RECEIVED). */
    public int synQueueLength() {
        return synQueue.size();
    }

    /** Established connections waiting for {@link #accept()}. */
    public int acceptQueueLength() {
        return acceptQueue.size();
    }

    /** Connections not yet accepted: the SYN queue's, then the accept queue's, oldest first (a copy). */
    public List<TcpConnection> pendingConnections() {
        List<TcpConnection> out = new ArrayList<>(synQueue);
        out.addAll(acceptQueue);
        return out;
    }

    /** Linux sk_acceptq_is_full: full when more than the backlog are queued, so backlog 0 still takes one. */
    boolean acceptQueueFull() {
        return acceptQueue.size() > backlog;
    }

    /** Linux inet_csk_reqsk_queue_is_full: the SYN queue holds at most the backlog. */
    boolean synQueueFull() {
        return synQueue.size() >= Math.max(1, backlog);
    }

    /** A SYN was answered with a cookie: cookie ACKs are checked for the next {@link SynCookies#VALID_NANOS}. */
    void cookieSent(long nowNanos) {
        cookieSent = true;
        lastCookieSentNanos = nowNanos;
    }

    /**
     * Linux tcp_synq_no_recent_overflow / cookie_v4_check: an ACK is checked as a cookie only if this
     * listener sent one recently; otherwise it is an ordinary stray ACK, never a (failed) cookie.
     */
    boolean cookiesRecentlySent(long nowNanos) {
        return cookieSent && nowNanos - lastCookieSentNanos <= SynCookies.VALID_NANOS;
    }

    /**
     * TCP_NOOPT on a listening socket (FreeBSD only): its children answer SYNs with a SYN,ACK that
     * carries no options, so none is negotiated.
     *
     * @throws IllegalStateException when the profile has no such option
     */
    public void setNoOptions(boolean on) {
        if (!stack.config().profile().hasNoOptions()) {
            throw new IllegalStateException("TCP_NOOPT: not an option of the " + stack.config().profile().name()
                    + " profile (expected: the freebsd profile)");
        }
        noOptions = on;
    }

    public boolean noOptions() {
        return noOptions;
    }

    /**
     * TCP_MAXSEG on a listening socket: its children announce, and so use, an MSS of at most
     * {@code bytes} (Linux: the listener's user_mss is inherited).
     *
     * @throws IllegalArgumentException outside Linux's 88..32767
     */
    public void setMaxSegment(int bytes) {
        if (bytes < TcpConnection.MIN_USER_MSS || bytes > TcpConnection.MAX_USER_MSS) {
            throw new IllegalArgumentException("TCP_MAXSEG: " + bytes + " (expected: " + TcpConnection.MIN_USER_MSS + ".."
                    + TcpConnection.MAX_USER_MSS + ")");
        }
        maxSegment = bytes;
    }

    /** TCP_MAXSEG of this listener, 0 when unset. */
    public int maxSegment() {
        return maxSegment;
    }

    void applyMaxSegment(TcpConnection child) {
        if (maxSegment > 0) {
            child.receiver.clampMss(maxSegment);
        }
    }

    /**
     * SO_RCVBUF on a listening socket: its children start with that receive buffer, locked
     * (SOCK_RCVBUF_LOCK is inherited), and their SYN,ACK's window and window-scale shift are sized
     * for it (Linux tcp_openreq_init_rwin(): the window clamped to the buffer's space, then
     * tcp_select_initial_window(); {@link TcpProfile#lockedWindowShift}).
     *
     * @throws IllegalArgumentException for a negative size
     */
    public void setReceiveBufferSize(int requestedBytes) {
        if (requestedBytes < 0) {
            throw new IllegalArgumentException("SO_RCVBUF: " + requestedBytes + " bytes (expected: >= 0)");
        }
        receiveBufferRequest = requestedBytes;
    }

    /** Gives a new child the listener's SO_RCVBUF, before its SYN,ACK is made. */
    void applyReceiveBuffer(TcpConnection child, long nowNanos) {
        if (receiveBufferRequest >= 0) {
            child.setReceiveBufferSize(nowNanos, receiveBufferRequest);
            child.offerLockedWindowShift(); // Linux tcp_openreq_init_rwin()
        }
    }

    /**
     * TCP_FASTOPEN on a listening socket (Linux fastopen_queue_tune()): at most {@code qlen} Fast
     * Open children may be pending, capped at net.core.somaxconn; 0 turns Fast Open off for it.
     *
     * @throws IllegalArgumentException for a negative length (Linux: EINVAL)
     */
    public void setFastOpenQueueLimit(int qlen) {
        if (qlen < 0) {
            throw new IllegalArgumentException("TCP_FASTOPEN: " + qlen + " (expected: >= 0)");
        }
        fastOpenQueueLimit = Math.min(qlen, FastOpen.SOMAXCONN);
    }

    /** The Fast Open queue's length limit, 0 when the listener does not take Fast Open. */
    public int fastOpenQueueLimit() {
        return fastOpenQueueLimit;
    }

    /** Fast Open children not yet out of SYN-RECEIVED. */
    public int fastOpenPending() {
        return fastOpenPending;
    }

    /**
     * Linux tcp_fastopen_queue_check(): Fast Open is on for this listener and its queue has room;
     * a full queue counts TcpExtTCPFastOpenListenOverflow. (Linux also holds a child that was reset
     * against the queue for 60 s, a defence against spoofed SYN-data; not modelled.)
     */
    boolean fastOpenQueueHasRoom() {
        if (fastOpenQueueLimit == 0) {
            return false;
        }
        if (fastOpenPending >= fastOpenQueueLimit) {
            stack.stats().increment(io.usertcp.core.StackStats.Counter.TcpExtTCPFastOpenListenOverflow);
            return false;
        }
        return true;
    }

    /**
     * A Fast Open child (Linux tcp_fastopen_create_child(), tcp_conn_request()): in SYN-RECEIVED,
     * yet straight into the accept queue, so accept() returns it before the handshake completes.
     */
    void fastOpenChildCreated(TcpConnection child) {
        child.awaitingAccept = true;
        fastOpenPending++;
        acceptQueue.addLast(child);
        stack.acceptablePending(this);
    }

    /** A Fast Open child left SYN-RECEIVED (established or closed): its place in the queue frees (reqsk_fastopen_remove()). */
    void fastOpenChildSettled() {
        fastOpenPending = Math.max(0, fastOpenPending - 1);
    }

    /** Whether a closing child stays in the accept queue for accept() ({@link TcpProfile#keepsClosedChildForAccept()}). */
    boolean keepsClosedChild(TcpConnection child) {
        return !closed && stack.config().profile().keepsClosedChildForAccept() && acceptQueue.contains(child);
    }

    void childCreated(TcpConnection child) {
        child.awaitingAccept = true;
        synQueue.add(child);
    }

    /** Established children move from the SYN queue to the accept queue. */
    void childEstablished(TcpConnection child) {
        if (!synQueue.remove(child)) {
            return; // a Fast Open child, queued since its SYN
        }
        acceptQueue.addLast(child);
        stack.acceptablePending(this);
    }

    /** Runs the accept callback: called by the stack after processing, never in the middle of a segment. */
    void deliverAcceptable() {
        onAcceptable.run();
    }

    /** A child left the connection table before being accepted (reset, timed out). */
    void childDetached(TcpConnection child) {
        if (child.awaitingAccept && !keepsClosedChild(child)) {
            synQueue.remove(child);
            acceptQueue.remove(child);
        }
    }

    @Override
    public String toString() {
        return "TcpListener[" + (localAddress == 0 ? "*" : io.usertcp.wire.Ipv4Address.format(localAddress)) + ":" + port
                + " backlog " + backlog + ", syn " + synQueue.size() + ", accept " + acceptQueue.size() + "]";
    }
}
