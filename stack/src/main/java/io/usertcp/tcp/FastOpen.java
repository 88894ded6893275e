package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TCP Fast Open (RFC 7413) as Linux's tcp_fastopen.c does it, stack-wide: the mode (Linux's
 * {@code net.ipv4.tcp_fastopen} bits), the server's cookie key ({@code net.ipv4.tcp_fastopen_key})
 * and the client's cookie cache (Linux keeps it in tcp_metrics, per destination address).
 *
 * <p>The mode and the key change at run time, as the sysctls do; a listener's Fast Open queue and
 * a socket's TCP_FASTOPEN_CONNECT are per socket ({@link TcpListener#setFastOpenQueueLimit},
 * {@link TcpConnection}). Pure: no clock, no randomness of its own (the default key is derived
 * from the stack's secret). Stack-thread only.
 */
public final class FastOpen {
    /** Linux TFO_CLIENT_ENABLE: active opens may use Fast Open (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT). */
    public static final int CLIENT_ENABLE = 0x1;
    /** Linux TFO_SERVER_ENABLE: listeners with a Fast Open queue accept data in SYNs. */
    public static final int SERVER_ENABLE = 0x2;
    /** Linux TFO_CLIENT_NO_COOKIE: send data in the SYN without any cookie. */
    public static final int CLIENT_NO_COOKIE = 0x4;
    /** Linux TFO_SERVER_COOKIE_NOT_REQD: accept data in a SYN without a valid cookie. */
    public static final int SERVER_COOKIE_NOT_REQD = 0x200;
    /** Linux TFO_SERVER_WO_SOCKOPT1: every listener gets a Fast Open queue of its backlog, without TCP_FASTOPEN. */
    public static final int SERVER_WO_SOCKOPT = 0x400;
    /** Linux's cookie size (TCP_FASTOPEN_COOKIE_SIZE). */
    public static final int COOKIE_BYTES = 8;
    /** Linux TCP_FASTOPEN's ceiling on a queue: net.core.somaxconn (4096). */
    static final int SOMAXCONN = 4096;
    /** MAX_TCP_OPTION_SPACE: the SYN's data leaves room for 40 bytes of options, whatever is sent (Linux tcp_send_syn_data()). */
    static final int MAX_OPTION_SPACE = 40;
    /** Destinations the client cache remembers (Linux bounds tcp_metrics too); the least recently used goes first. */
    static final int CACHE_ENTRIES = 1024;
    private static final long KEY_SALT_0 = 0x7466_6f2d_6b65_7930L;
    private static final long KEY_SALT_1 = 0x7466_6f2d_6b65_7931L;

    /** What the client remembers of one destination (Linux struct tcp_fastopen_metrics). */
    static final class CacheEntry {
        /** The MSS the last SYN,ACK announced, 0 if none (bounds the data in the next SYN). */
        int mss;
        /** The server's cookie, or null. */
        byte[] cookie;
        /** Whether the cookie came in the experimental option, and goes back in it. */
        boolean cookieExperimental;
        /** Linux try_exp: 1, ask in the experimental option next; 2, went back to option 34 for good. */
        int tryExperimental;
        /** Consecutive SYN-data whose SYN,ACK showed that only a retransmitted plain SYN got through. */
        int synLoss;
    }

    private final boolean available;
    private int mode;
    private SipHash key;
    private final Map<Integer, CacheEntry> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, CacheEntry> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    /**
     * @param available whether the profile implements Fast Open ({@link TcpProfile#hasFastOpen()}); if not, the mode stays 0
     * @param mode    Linux's net.ipv4.tcp_fastopen bits
     * @param secrets the stack's keyed hash, from which the default cookie key is derived (as Linux
     *                draws tcp_fastopen_key at random when none is set)
     */
    FastOpen(boolean available, int mode, SipHash secrets) {
        this.available = available;
        this.mode = available ? mode : 0;
        this.key = new SipHash(secrets.hash(KEY_SALT_0, 0), secrets.hash(KEY_SALT_1, 0));
    }

    /** Linux net.ipv4.tcp_fastopen: the bits above. */
    public int mode() {
        return mode;
    }

    /** Sets net.ipv4.tcp_fastopen; takes effect for the next SYN, connect, sendto or listen. */
    public void setMode(int mode) {
        if (mode < 0) {
            throw new IllegalArgumentException("tcp_fastopen: " + mode + " (expected: a non-negative bit mask)");
        }
        this.mode = available ? mode : 0;
    }

    /** Whether the profile implements Fast Open at all. */
    public boolean available() {
        return available;
    }

    /** Whether net.ipv4.tcp_fastopen has {@code bit}. */
    public boolean has(int bit) {
        return (mode & bit) != 0;
    }

    /**
     * Sets the server's key (net.ipv4.tcp_fastopen_key): the 128-bit SipHash key as two
     * little-endian 64-bit halves, as Linux's tcp_fastopen_reset_cipher() loads it.
     */
    public void setKey(long k0, long k1) {
        this.key = new SipHash(k0, k1);
    }

    /**
     * Sets the key from the sysctl's text form ({@link #parseKey}).
     *
     * @throws IllegalArgumentException when the text is not four hex words
     */
    public void setKey(String sysctl) {
        long[] k = parseKey(sysctl);
        setKey(k[0], k[1]);
    }

    /**
     * Parses net.ipv4.tcp_fastopen_key's text form, "a-b-c-d" in hex (a backup key after a comma
     * is ignored), as Linux's proc_tcp_fastopen_key() does: each 32-bit word is stored
     * little-endian, and the 16 bytes are read as two little-endian 64-bit words (k0, k1).
     *
     * @throws IllegalArgumentException when the text is not four hex words
     */
    public static long[] parseKey(String sysctl) {
        String[] words = sysctl.strip().split(",")[0].split("-");
        if (words.length != 4) {
            throw new IllegalArgumentException("tcp_fastopen_key: " + sysctl + " (expected: four hex words, a-b-c-d)");
        }
        long[] u = new long[4];
        try {
            for (int i = 0; i < 4; i++) {
                u[i] = Long.parseLong(words[i], 16) & 0xFFFF_FFFFL;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tcp_fastopen_key: " + sysctl + " (expected: four hex words, a-b-c-d)");
        }
        return new long[] {u[1] << 32 | u[0], u[3] << 32 | u[2]};
    }

    /** The server cookie {@code sysctlKey} gives a SYN from {@code client} to {@code server} (for tools and tests). */
    public static byte[] cookie(String sysctlKey, int client, int server) {
        long[] k = parseKey(sysctlKey);
        return cookie(new SipHash(k[0], k[1]), client, server);
    }

    /**
     * The server's cookie for a SYN from {@code client} to {@code server} (Linux
     * __tcp_fastopen_cookie_gen_cipher()): SipHash-2-4 of the two addresses in network byte order,
     * stored little-endian. RFC 7413 §4.1.2 leaves the algorithm to the server; a MAC of the client's
     * address under a secret key is what it suggests.
     */
    public byte[] cookie(int client, int server) {
        return cookie(key, client, server);
    }

    private static byte[] cookie(SipHash key, int client, int server) {
        long m0 = Integer.toUnsignedLong(Integer.reverseBytes(client)) | Integer.toUnsignedLong(Integer.reverseBytes(server)) << 32;
        long hash = key.hash8(m0);
        byte[] out = new byte[COOKIE_BYTES];
        for (int i = 0; i < COOKIE_BYTES; i++) {
            out[i] = (byte) (hash >>> (8 * i));
        }
        return out;
    }

    /** Linux tcp_fastopen_cookie_gen_check(): the SYN's cookie is ours for its addresses. */
    boolean validCookie(ParsedTcpOptions o, int client, int server) {
        return o.fastOpenLength() == COOKIE_BYTES && o.fastOpenCookieEquals(cookie(client, server));
    }

    // ---- the client's cache (Linux tcp_fastopen_cache_get() / _set(), in tcp_metrics.c) ----

    /** What is cached for {@code remoteAddress}, or null. */
    CacheEntry cached(int remoteAddress) {
        return cache.get(remoteAddress);
    }

    /**
     * Linux tcp_fastopen_cache_set(): remembers the MSS, a cookie if one came, whether to ask in the
     * experimental option next ({@code tryExperimental} only grows while no cookie is known), and
     * SYN-data loss.
     */
    void remember(int remoteAddress, int mss, byte[] cookie, boolean cookieExperimental, boolean synLost,
                  int tryExperimental) {
        CacheEntry e = cache.computeIfAbsent(remoteAddress, a -> new CacheEntry());
        if (mss > 0) {
            e.mss = mss;
        }
        if (cookie != null && cookie.length > 0) {
            e.cookie = cookie;
            e.cookieExperimental = cookieExperimental;
        } else if (tryExperimental > e.tryExperimental && e.cookie == null && !e.cookieExperimental) {
            e.tryExperimental = tryExperimental;
        }
        e.synLoss = synLost ? e.synLoss + 1 : 0;
    }

    /** Forgets every destination ({@code ip tcp_metrics flush all}). */
    public void flushCache() {
        cache.clear();
    }

    /** Destinations cached. */
    public int cachedDestinations() {
        return cache.size();
    }

    // ---- server (Linux tcp_try_fastopen()) ----

    /**
     * TCP Fast Open, server (RFC 7413 §4.2; Linux tcp_try_fastopen()): whether the SYN's data is
     * accepted now, in a child made at once. Otherwise {@code child.synCookie} is the option its
     * SYN,ACK carries: a fresh cookie for a cookie request or an invalid cookie, none else. Fast
     * Open needs the server side on (0x2), a SYN with data or a Fast Open option, and room in the
     * listener's Fast Open queue; the cookie must be valid unless cookies are not required (0x200).
     */
    boolean acceptsSynData(TcpListener listener, Ipv4PacketView ip, TcpSegmentView seg, TcpConnection child, StackStats stats) {
        ParsedTcpOptions o = seg.options();
        if (o.fastOpenMalformed()) {
            stats.increment(Counter.UsertcpFastOpenOptionIgnored);
        }
        int cookieLength = o.hasFastOpen() ? o.fastOpenLength() : -1;
        boolean synData = seg.payloadLength() > 0 || (seg.flags() & TcpFlags.FIN) != 0;
        if (cookieLength == 0) {
            stats.increment(Counter.TcpExtTCPFastOpenCookieReqd);
        }
        if (!has(SERVER_ENABLE) || !(synData || cookieLength >= 0) || !listener.fastOpenQueueHasRoom()) {
            return false;
        }
        if (has(SERVER_COOKIE_NOT_REQD)) {
            return true;
        }
        if (cookieLength > 0 && validCookie(o, ip.sourceAddress(), ip.destinationAddress())) {
            return true;
        }
        if (cookieLength > 0) {
            stats.increment(Counter.TcpExtTCPFastOpenPassiveFail); // RFC 7413 §4.2.2: invalid cookie, the data is dropped
        }
        if (cookieLength >= 0) {
            // RFC 7413 §4.2.1: a cookie request, or an invalid cookie, is answered with a valid one, in the form asked.
            child.synCookie = cookie(ip.sourceAddress(), ip.destinationAddress());
            child.synCookieExperimental = o.fastOpenExperimental();
        }
        return false;
    }

    // ---- client (Linux tcp_fastopen_defer_connect(), tcp_send_syn_data(), tcp_rcv_fastopen_synack()) ----

    /** TCP_FASTOPEN_CONNECT at CONNECT: see {@link TcpConnection#deferForFastOpen()}. */
    boolean deferSyn(TcpConnection c) {
        checkSynNotSent(c, "TCP_FASTOPEN_CONNECT");
        CacheEntry e = cached(c.id.remoteAddress());
        if (has(CLIENT_NO_COOKIE) || e != null && e.cookie != null) {
            c.synPending = false;
            c.fastOpenDeferred = true;
            return true;
        }
        c.synCookie = new byte[0];
        c.synCookieExperimental = e != null && e.tryExperimental == 1;
        return false;
    }

    /** MSG_FASTOPEN: the SYN's option and data, see {@link TcpConnection#sendFastOpen}; returns the bytes taken. */
    int synData(TcpConnection c, ByteBuf data) {
        checkSynNotSent(c, "MSG_FASTOPEN");
        CacheEntry e = cached(c.id.remoteAddress());
        boolean withData;
        if (has(CLIENT_NO_COOKIE)) {
            c.synCookie = null; // Linux tcp_fastopen_no_cookie(): data, and no option at all
            withData = true;
        } else if (e != null && e.cookie != null) {
            c.synCookie = e.cookie;
            c.synCookieExperimental = e.cookieExperimental;
            withData = true;
        } else {
            c.synCookie = new byte[0];
            c.synCookieExperimental = e != null && e.tryExperimental == 1; // Linux tcp_fastopen_cache_get(): try_exp
            withData = false;
        }
        int taken = 0;
        if (withData) {
            int mss = e != null && e.mss > 0 ? Math.min(e.mss, c.receiver.mss()) : c.receiver.mss();
            int n = Math.min(Math.min(Math.max(0, mss - MAX_OPTION_SPACE), c.sender.space()), data.readableBytes());
            if (n > 0) {
                taken = c.sender.append(data.slice(data.readerIndex(), n));
                data.skipBytes(taken);
            }
        }
        c.synDataBytes = taken;
        c.fastOpenDeferred = false;
        c.synPending = true;
        return taken;
    }

    private void checkSynNotSent(TcpConnection c, String what) {
        if (!has(CLIENT_ENABLE)) {
            throw new IllegalStateException(what + ": Fast Open's client side is off (net.ipv4.tcp_fastopen has no 0x1)");
        }
        if (c.parent != null || c.state != TcpState.SYN_SENT || c.sender.retransmits() > 0 || c.synData || c.synFastOpen
                || !c.synPending && !c.fastOpenDeferred) {
            throw new IllegalStateException(what + ": connection " + c.id + " is " + c.state.rfcName()
                    + " (expected: an active open whose SYN has not been sent)");
        }
    }

    /**
     * The SYN,ACK of a Fast Open SYN (RFC 7413 §4.1.3, §4.2.2; Linux tcp_rcv_fastopen_synack()):
     * updates the destination's cache (its MSS; a cookie, unless we asked for none; whether to ask in
     * the experimental option next; SYN-data loss), and says whether the data went through. SYN-data
     * it did not acknowledge was already put back to go again at once (Sender.synAcknowledged); that
     * counts TcpExtTCPFastOpenActiveFail.
     */
    void synAckArrived(TcpConnection c, TcpSegmentView seg, boolean synRetransmitted, StackStats stats) {
        if (!c.synFastOpen && !c.synData) {
            return;
        }
        ParsedTcpOptions o = seg.options();
        if (o.fastOpenMalformed()) {
            stats.increment(Counter.UsertcpFastOpenOptionIgnored);
        }
        int cookieLength = c.synFastOpen && o.hasFastOpen() ? o.fastOpenLength() : -1; // an unsolicited cookie is ignored
        boolean dataUnacked = c.synData && SeqNum.lt(seg.ack(), c.sender.iss() + 1 + c.synDataBytes);
        boolean synLost = false;
        int tryExperimental = 0;
        if (c.synFastOpen && synRetransmitted) {
            synLost = cookieLength < 0 && dataUnacked; // only a retransmitted plain SYN got through
        } else if (c.synFastOpen && cookieLength < 0 && !c.synData) {
            tryExperimental = c.synFastOpenExperimental ? 2 : 1; // no cookie for a request: try the other option
        }
        remember(c.id.remoteAddress(), o.hasMss() ? o.mss() : 0, cookieLength > 0 ? o.fastOpenCookie() : null,
                o.fastOpenExperimental(), synLost, tryExperimental);
        if (dataUnacked) {
            stats.increment(Counter.TcpExtTCPFastOpenActiveFail);
        } else if (c.synData) {
            c.synDataAcked = true;
            stats.increment(Counter.TcpExtTCPFastOpenActive);
        }
    }
}
