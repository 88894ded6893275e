package io.usertcp.tcp;

import io.usertcp.wire.SeqNum;
import java.util.Objects;

/**
 * Every choice where Linux, the RFCs' letter and FreeBSD behave differently, answered in one place
 * (DESIGN.md §4: numbers are a config record; choices are a behaviour profile). Each method names
 * the rule it follows and gives the three answers side by side; {@code PROFILES.md} beside this
 * package's sources is the same table for people.
 *
 * <p>Three references are built in:
 * <ul>
 *   <li>{@link #linux()}: a default Linux 6.x kernel (the default profile);</li>
 *   <li>{@link #rfc()}: RFC 9293 and the RFCs it names, to the letter; where an RFC leaves a
 *       choice, the method says which was taken;</li>
 *   <li>{@link #freebsd()}: FreeBSD, as the FreeBSD TCP test suite's READMEs and scripts document it.</li>
 * </ul>
 *
 * <p>A profile also carries {@link Switches}: the few choices the references themselves expose as
 * run-time knobs (FreeBSD's {@code insecure_rst}, {@code insecure_syn}, {@code drop_synfin},
 * {@code rexmit_drop_options}; Linux's {@code tcp_rfc1337}). The numbers (timeouts, retries,
 * buffers) stay in {@link TcpConfig}, whose {@link TcpConfig#forProfile} gives each reference's
 * defaults.
 *
 * <p>To try an idea, subclass and override one method: every decision the stack makes where the
 * references differ goes through here, so nothing else needs to change. Immutable; safe to share.
 */
public class TcpProfile {

    /** The reference a profile follows. */
    public enum Reference {
        LINUX, RFC, FREEBSD;

        /** The name used on command lines and in {@code ss}/{@code stats}: {@code linux}, {@code rfc}, {@code freebsd}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Knobs the references expose at run time.
     *
     * @param rstChallengeAck          RFC 5961 §3.2: an in-window RST that is not exactly at RCV.NXT gets a
     *                                 challenge ACK (false: RFC 793, any in-window RST resets; FreeBSD insecure_rst=1)
     * @param synChallengeAck          RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK
     *                                 (false: RFC 793, an in-window SYN resets; FreeBSD insecure_syn=1)
     * @param rfc1337                  RFC 1337: RSTs in TIME-WAIT are ignored (Linux tcp_rfc1337)
     * @param dropSynFin               a segment with both SYN and FIN is dropped (FreeBSD drop_synfin)
     * @param dropOptionsOnSynRetransmit from the third SYN retransmission on, only MSS is sent (FreeBSD rexmit_drop_options)
     */
    public record Switches(boolean rstChallengeAck, boolean synChallengeAck, boolean rfc1337, boolean dropSynFin,
                           boolean dropOptionsOnSynRetransmit) {
        public Switches withRstChallengeAck(boolean v) {
            return new Switches(v, synChallengeAck, rfc1337, dropSynFin, dropOptionsOnSynRetransmit);
        }

        public Switches withSynChallengeAck(boolean v) {
            return new Switches(rstChallengeAck, v, rfc1337, dropSynFin, dropOptionsOnSynRetransmit);
        }

        public Switches withRfc1337(boolean v) {
            return new Switches(rstChallengeAck, synChallengeAck, v, dropSynFin, dropOptionsOnSynRetransmit);
        }

        public Switches withDropSynFin(boolean v) {
            return new Switches(rstChallengeAck, synChallengeAck, rfc1337, v, dropOptionsOnSynRetransmit);
        }

        public Switches withDropOptionsOnSynRetransmit(boolean v) {
            return new Switches(rstChallengeAck, synChallengeAck, rfc1337, dropSynFin, v);
        }
    }

    /** What a SYN that reaches a TIME-WAIT entry gets. */
    public enum TimeWaitSynAnswer {
        /** Nothing. */
        DROP,
        /** &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt; (a challenge ACK under RFC 5961). */
        ACK,
        /** RFC 793: the SYN is an error; reset and close the entry. */
        RESET,
        /** The entry closes and a listener takes the SYN as a new incarnation. */
        REOPEN
    }

    /** The form of the RST sent when an in-window SYN aborts a connection in RFC 793 mode. */
    public enum SynResetForm {
        /** RFC 793 §3.4 reset generation for a segment without ACK: &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;. */
        ANSWER_SEGMENT,
        /** From the connection's own sequence space: &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=RST,ACK&gt;, window 0. */
        CONNECTION_SEQUENCE
    }

    /** The RST that aborts a synchronized connection (ABORT, SO_LINGER 0, CLOSE with unread data). */
    public enum AbortResetForm {
        /** RFC 9293 §3.10.5: &lt;SEQ=SND.NXT&gt;&lt;CTL=RST&gt;, no ACK, no options. */
        RST,
        /**
         * Linux tcp_send_active_reset(): &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=RST,ACK&gt; through
         * tcp_transmit_skb(), so with the current window and, when negotiated, timestamps.
         */
        RST_ACK,
        /**
         * FreeBSD tcp_drop(): tcp_output() in CLOSED sends tcp_outflags[CLOSED] = RST,ACK, with window 0
         * ("if a RST segment is sent, advertise a window of zero") and timestamps when negotiated.
         */
        RST_ACK_ZERO_WINDOW
    }

    /** What an ICMP error about one of a connection's segments does to it. */
    public enum IcmpAction {
        /** Nothing. */
        IGNORE,
        /** Remembered as the connection's soft error, reported if the connection later times out. */
        SOFT,
        /** The connection ends with the error, without a RST. */
        ABORT
    }

    /** How options are ordered and padded in the segments we send. */
    public enum OptionLayout {
        /** Linux tcp_options_write: MSS; SACK-permitted folded into the timestamps' padding; nop,wscale. */
        LINUX,
        /** FreeBSD tcp_addoptions: MSS, nop,wscale, SACK-permitted, timestamps, padded with EOL at the end. */
        FREEBSD
    }

    private static final TcpProfile LINUX = new TcpProfile(Reference.LINUX, new Switches(true, true, false, false, false));
    private static final TcpProfile RFC = new TcpProfile(Reference.RFC, new Switches(true, true, false, false, false));
    private static final TcpProfile FREEBSD = new TcpProfile(Reference.FREEBSD, new Switches(true, true, true, false, false));

    private final Reference reference;
    private final Switches switches;

    protected TcpProfile(Reference reference, Switches switches) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.switches = Objects.requireNonNull(switches, "switches");
    }

    /** A default Linux 6.x kernel. */
    public static TcpProfile linux() {
        return LINUX;
    }

    /** RFC 9293 and the RFCs it names, to the letter. */
    public static TcpProfile rfc() {
        return RFC;
    }

    /** FreeBSD as its TCP test suite documents it. */
    public static TcpProfile freebsd() {
        return FREEBSD;
    }

    /** The built-in profile called {@code name} ({@code linux}, {@code rfc} or {@code freebsd}, any case). */
    public static TcpProfile of(String name) {
        for (Reference r : Reference.values()) {
            if (r.label().equalsIgnoreCase(name == null ? "" : name.strip())) {
                return switch (r) {
                    case LINUX -> LINUX;
                    case RFC -> RFC;
                    case FREEBSD -> FREEBSD;
                };
            }
        }
        throw new IllegalArgumentException("profile: " + name + " (expected: linux, rfc or freebsd)");
    }

    public Reference reference() {
        return reference;
    }

    /** {@code linux}, {@code rfc} or {@code freebsd}, with the switches that differ from the reference's defaults. */
    public String name() {
        Switches base = of(reference.label()).switches;
        if (base.equals(switches)) {
            return reference.label();
        }
        StringBuilder sb = new StringBuilder(reference.label());
        appendIfChanged(sb, "rfc5961-rst", base.rstChallengeAck(), switches.rstChallengeAck());
        appendIfChanged(sb, "rfc5961-syn", base.synChallengeAck(), switches.synChallengeAck());
        appendIfChanged(sb, "rfc1337", base.rfc1337(), switches.rfc1337());
        appendIfChanged(sb, "drop-synfin", base.dropSynFin(), switches.dropSynFin());
        appendIfChanged(sb, "rexmit-drop-options", base.dropOptionsOnSynRetransmit(), switches.dropOptionsOnSynRetransmit());
        return sb.toString();
    }

    private static void appendIfChanged(StringBuilder sb, String name, boolean base, boolean now) {
        if (base != now) {
            sb.append(now ? "+" : "-").append(name);
        }
    }

    public Switches switches() {
        return switches;
    }

    /** The same reference with other switches. Subclasses that add behaviour override this to keep it. */
    public TcpProfile withSwitches(Switches switches) {
        return new TcpProfile(reference, switches);
    }

    // =====================================================================================
    // RST and SYN in synchronized states (RFC 9293 §3.10.7.4, second and fourth checks)
    // =====================================================================================

    /**
     * RFC 5961 §3.2: does an in-window RST that is not exactly at RCV.NXT get a challenge ACK (true)
     * or reset the connection (false, RFC 793)? All three default to RFC 5961 (Linux always; FreeBSD
     * insecure_rst=0; RFC 9293 §3.10.7.4 recommends it, SHLD-?); the switch turns it off.
     */
    public boolean challengeAckForInexactRst() {
        return switches.rstChallengeAck();
    }

    /**
     * RFC 5961 §4.2 (RFC 9293 §3.10.7.4 fourth check): does a SYN in a synchronized state get a
     * challenge ACK whatever its sequence number (true), or is an in-window SYN an error that resets
     * (false, RFC 793)?
     */
    public boolean challengeAckForSyn() {
        return switches.synChallengeAck();
    }

    /**
     * The RST sent when an in-window SYN aborts a connection in RFC 793 mode.
     * <ul>
     *   <li>linux: the segment is answered as RFC 793 §3.4 forms resets (old Linux tcp_v4_send_reset,
     *       4.4BSD dropwithreset), which a restarted peer in SYN-SENT accepts;</li>
     *   <li>rfc: RFC 9293 §3.10.7.4 says only "send a reset"; we take the connection's own sequence
     *       space, as ABORT does (§3.10.5), which is what the FreeBSD suite's STANDARD branch expects;</li>
     *   <li>freebsd: tcp_drop() sends &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=RST,ACK&gt; with window 0.</li>
     * </ul>
     */
    public SynResetForm synResetForm() {
        return switch (reference) {
            case LINUX -> SynResetForm.ANSWER_SEGMENT;
            case RFC, FREEBSD -> SynResetForm.CONNECTION_SEQUENCE;
        };
    }

    /**
     * Whether a segment carrying both SYN and FIN is dropped before any processing: FreeBSD's
     * drop_synfin switch, off unless set, in every profile. With it off the SYN is processed as
     * the profile says ({@link #dropsSynFinInListen()} for a listener).
     */
    public boolean dropsSynFin() {
        return switches.dropSynFin();
    }

    /**
     * A SYN+FIN reaching a listener. linux: discarded, no SYN,ACK and no state (tcp_rcv_state_process(),
     * tcp_input.c: in TCP_LISTEN, "if (th->fin) goto discard" before tcp_conn_request), so the old
     * trick of piling up half-open and CLOSE-WAIT connections with SYN+FIN gets nowhere. rfc:
     * RFC 9293 §3.10.7.2 processes the SYN and queues the FIN "for processing after the
     * ESTABLISHED state has been reached", so the connection reaches CLOSE-WAIT on the handshake's
     * last ACK. freebsd: the same unless drop_synfin is set ({@link #dropsSynFin()}).
     */
    public boolean dropsSynFinInListen() {
        return reference == Reference.LINUX;
    }

    /**
     * The FIN of a SYN+FIN accepted in LISTEN. rfc: queued "for processing after the ESTABLISHED
     * state has been reached" (RFC 9293 §3.10.7.2), so the handshake's last ACK leads on to
     * CLOSE-WAIT. freebsd: not kept; the connection is ESTABLISHED and the peer sends its FIN again.
     * linux: the segment never gets this far ({@link #dropsSynFinInListen()}).
     */
    public boolean queuesFinOnListenSyn() {
        return reference == Reference.RFC;
    }

    // =====================================================================================
    // The receive window (RFC 9293 §3.10.7.4 first check, §3.8.6.2.2)
    // =====================================================================================

    /**
     * The window a segment is judged acceptable against. linux and rfc: RCV.WND as advertised (the
     * right edge the peer knows). freebsd: tcp_input uses {@code max(sbspace(so_rcv), rcv_adv -
     * rcv_nxt)}, so with a receive buffer larger than the 65535 it could advertise unscaled, a
     * segment beyond the advertised edge but within the buffer is accepted.
     *
     * @param advertisedBytes RCV.WND as advertised
     * @param bufferSpaceBytes free room in the receive buffer
     */
    public long acceptanceWindow(long advertisedBytes, long bufferSpaceBytes) {
        return switch (reference) {
            case LINUX, RFC -> advertisedBytes;
            case FREEBSD -> Math.max(advertisedBytes, bufferSpaceBytes);
        };
    }

    /**
     * Whether a pure ACK exactly at RCV.NXT+RCV.WND is acceptable. RFC 9293's letter for SEG.LEN = 0
     * is RCV.NXT =&lt; SEG.SEQ &lt; RCV.NXT+RCV.WND, so rfc says no. Linux (tcp_sequence: {@code
     * !after(seq, rcv_nxt + window)}) and FreeBSD (tcp_input trims only text beyond the edge) accept
     * it; without that, two stacks with full windows and holes answer each other's ACKs forever.
     */
    public boolean acceptsAckAtRightEdge() {
        return reference != Reference.RFC;
    }

    /** Linux SOCK_MIN_SNDBUF: twice TCP_SKB_MIN_TRUESIZE (2048 + a cache-aligned struct sk_buff). */
    static final int LINUX_MIN_SNDBUF = 4608;
    /** Linux SOCK_MIN_RCVBUF: TCP_SKB_MIN_TRUESIZE. */
    static final int LINUX_MIN_RCVBUF = 2304;
    /** The smallest buffer the other profiles accept (this stack's floor; the RFCs set none). */
    static final int MIN_BUFFER = 256;

    /**
     * SO_SNDBUF or SO_RCVBUF: the buffer an application's request for {@code requested} bytes gives
     * (and getsockopt then reports), never an error.
     * <ul>
     * <li>linux: sock_setsockopt() (__sock_set_sndbuf(), __sock_set_rcvbuf()) clamps the request to
     * net.core.wmem_max / rmem_max, then doubles it "to allow for bookkeeping overhead" (the skb
     * headers a buffer's bytes come with), and keeps at least SOCK_MIN_SNDBUF (4608) or
     * SOCK_MIN_RCVBUF (2304): 21000 becomes 42000.
     * <li>rfc and freebsd: the size asked for, within [256, {@code limitBytes}]. FreeBSD's sbreserve()
     * refuses more than kern.ipc.maxsockbuf with ENOBUFS; we clamp instead.
     * </ul>
     *
     * @param limitBytes {@link TcpConfig#socketBufferMaxBytes()}
     */
    public int socketBufferSize(long requested, int limitBytes, boolean send) {
        long clamped = Math.max(0, Math.min(requested, limitBytes));
        if (reference == Reference.LINUX) {
            return (int) Math.max(clamped * 2, send ? LINUX_MIN_SNDBUF : LINUX_MIN_RCVBUF);
        }
        return (int) Math.max(clamped, MIN_BUFFER);
    }

    /** Linux TCP_DEFAULT_SCALING_RATIO: half of a buffer is window, in 1/256ths (TCP_RMEM_TO_WIN_SCALE). */
    public static final int DEFAULT_SCALING_RATIO = 128;

    /**
     * How much of a receive buffer of {@code bufferBytes} the window may offer, and so how many
     * bytes of data it holds. linux: tcp_win_from_space(), {@code bufferBytes · ratio / 256}: the
     * rest pays for the skbs the data arrives in. The ratio starts at half (TCP_DEFAULT_SCALING_RATIO;
     * tcp_adv_win_scale=1 before Linux 6.6), so the default 128 KiB buffer offers a 64 KiB window,
     * and Linux 6.6+ then sets it from the segments that arrive (tcp_measure_rcv_mss()).
     * rfc and freebsd: all of it (RCV.BUFF bounds RCV.WND; FreeBSD's sbspace()).
     *
     * @param scalingRatio payload per 256 bytes of buffer (Linux tp->scaling_ratio); only linux uses it
     */
    public int receiveWindowSpace(int bufferBytes, int scalingRatio) {
        return reference == Reference.LINUX ? (int) ((long) bufferBytes * scalingRatio >> 8) : bufferBytes;
    }

    /**
     * The memory a receive buffer of {@code bufferBytes} may hold, counted by true size (the packet
     * buffers its data sits in). Past it the queue is collapsed into compact chunks, and the window
     * offers only what the remaining memory can hold. linux: the buffer itself (sk_rcvbuf against
     * sk_rmem_alloc: tcp_space(), tcp_prune_queue() and tcp_collapse()). freebsd: eight times the
     * buffer (sbspace()'s sb_mbmax, sb_efficiency = 8). rfc: as freebsd, a choice: the RFCs count
     * only data, so the bound only has to stop hostile segment sizes.
     */
    public long receiveMemoryLimit(int bufferBytes) {
        return reference == Reference.LINUX ? bufferBytes : 8L * bufferBytes;
    }

    /** The inverse of {@link #receiveWindowSpace}: the buffer a window of {@code windowBytes} needs (Linux tcp_space_from_win()). */
    public long receiveBufferForWindow(long windowBytes, int scalingRatio) {
        return reference == Reference.LINUX ? (windowBytes << 8) / Math.max(1, scalingRatio) : windowBytes;
    }

    /**
     * Whether the offered window grows gradually within the buffer, as Linux's rcv_ssthresh does
     * (tcp_grow_window(): from the SYN's window by two MSS per data segment whose skb would fit the
     * buffer at its overhead), and, without window scaling, is kept a multiple of the peer's MSS
     * (__tcp_select_window()). rfc and freebsd offer the free space (RFC 9293 §3.8.6.2.2; FreeBSD
     * tcp_output() rounds only to the scale).
     */
    public boolean growsWindowGradually() {
        return reference == Reference.LINUX;
    }

    /**
     * How many ticks older than TS.Recent a segment's TSval may be before PAWS takes it for an old
     * duplicate. linux: 1 (tcp_paws_discard() with TCP_PAWS_WINDOW: a segment one millisecond
     * older, reordered behind a newer one, is still accepted); rfc and freebsd: 0 (RFC 7323 §5.3
     * R1: any older TSval; FreeBSD tcp_input() TSTMP_LT(to_tsval, ts_recent)).
     */
    public int pawsWindow() {
        return reference == Reference.LINUX ? 1 : 0;
    }

    /**
     * Whether the send buffer is counted in skbs with their truesize, as Linux counts sk_wmem_queued
     * against sk_sndbuf (tcp_sendmsg_locked(); see SkbQueue): a write may overshoot the buffer by an
     * skb, stops at skb boundaries, and a waiting writer wakes when free space is half of what is
     * queued. rfc and freebsd count the bytes of data against the buffer (FreeBSD sbspace()).
     */
    public boolean accountsSendBufferInSkbs() {
        return reference == Reference.LINUX;
    }

    /**
     * The window of a SYN or SYN,ACK from the space the buffer offers. linux: rounded down to a
     * multiple of the MSS we announce, less the timestamp option when it is in use
     * (tcp_select_initial_window(): {@code rounddown(space, mss)}; tcp_openreq_init_rwin() takes
     * TCPOLEN_TSTAMP_ALIGNED off the MSS), then at most 65535: 64 KiB at MSS 1460 gives 64240.
     * rfc and freebsd: the space, at most 65535.
     */
    public int synWindow(int spaceBytes, int mss, boolean timestamps) {
        int space = spaceBytes;
        int segment = mss - (timestamps ? 12 : 0);
        if (reference == Reference.LINUX && segment > 0 && space > segment) {
            space = space / segment * segment;
        }
        return Math.min(space, 65535);
    }

    /**
     * The receive buffer once the MSS is known. FreeBSD tcp_mss() rounds the socket buffers up
     * to a multiple of the MSS (65536 becomes 65700 at MSS 1460, which SO_RCVBUF then reports);
     * Linux and the RFC keep the size asked for.
     */
    public int receiveBufferForMss(int bufferBytes, int mss) {
        return switch (reference) {
            case LINUX, RFC -> bufferBytes;
            case FREEBSD -> mss <= 0 ? bufferBytes : (int) Math.min(1 << 30, ((long) bufferBytes + mss - 1) / mss * mss);
        };
    }

    /**
     * The window-scale shift we offer (RFC 7323 §2.3 leaves the choice to the receiver).
     * <ul>
     * <li>linux: Linux tcp_select_initial_window() (tcp_output.c) sizes the shift for the largest
     * window the socket may ever offer, max(buffer, tcp_rmem[2], net.core.rmem_max):
     * ilog2 of that, less 15, within 0..14. A default Linux (tcp_rmem[2] 6 MiB) offers 7;
     * packetdrill's defaults.sh (15 MiB) gives 8.
     * <li>rfc: the smallest shift whose window covers the receive buffer (this stack's rule; the
     * RFC sets none).
     * <li>freebsd: the smallest shift whose window covers kern.ipc.maxsockbuf (2 MiB by default,
     * hence the suite's {@code wscale 6}), so the buffer may grow later (FreeBSD tcp_connect(),
     * syncache_add()).
     * </ul>
     *
     * @param receiveBufferBytes    the receive buffer a connection starts with
     * @param receiveBufferMaxBytes the largest it may grow to (Linux tcp_rmem[2])
     */
    public int windowShift(int receiveBufferBytes, int receiveBufferMaxBytes) {
        if (reference == Reference.LINUX) {
            return linuxShift(Math.max(Math.max(receiveBufferBytes, receiveBufferMaxBytes), LINUX_RMEM_MAX));
        }
        long cover = reference == Reference.FREEBSD ? FREEBSD_MAX_SOCKBUF : receiveBufferBytes;
        int shift = 0;
        while ((cover >> shift) > 65535 && shift < MAX_WINDOW_SHIFT) {
            shift++;
        }
        return shift;
    }

    /**
     * The window-scale shift a connection offers when the application set SO_RCVBUF before its SYN
     * left (an active open) or on its listener (a passive one: tcp_openreq_init_rwin() applies the
     * same rule). linux: tcp_connect_init() clamps the window to the locked buffer's space
     * (window_clamp = tcp_full_space(), SOCK_RCVBUF_LOCK), and tcp_select_initial_window() sizes the
     * shift for min(max(tcp_rmem[2], rmem_max), window_clamp): ilog2 − 15, in 0..14, so a small
     * buffer offers no scaling at all. rfc: the smallest shift whose window covers the buffer, as
     * for any buffer. freebsd: unchanged, tcp_connect() sizes request_r_scale for sb_max.
     *
     * @param windowSpaceBytes the most the locked buffer's window offers (tcp_full_space())
     * @param bufferBytes      the locked buffer (sk_rcvbuf)
     */
    public int lockedWindowShift(int windowSpaceBytes, int bufferBytes, int receiveBufferMaxBytes) {
        if (reference != Reference.LINUX) {
            return windowShift(bufferBytes, receiveBufferMaxBytes);
        }
        return linuxShift(Math.min(Math.max(receiveBufferMaxBytes, LINUX_RMEM_MAX), Math.max(1, windowSpaceBytes)));
    }

    /** Linux tcp_select_initial_window(): the shift for a window space, ilog2(space) − 15 within 0..14. */
    private static int linuxShift(long space) {
        int ilog2 = 63 - Long.numberOfLeadingZeros(space);
        return Math.max(0, Math.min(ilog2 - 15, MAX_WINDOW_SHIFT));
    }

    /** Linux net.core.rmem_max default (212992 bytes). */
    static final long LINUX_RMEM_MAX = 212_992;
    /**
     * A window that is not a multiple of 2^shift, on the wire. linux: rounded up, so that no free
     * space is "scaled away" and a window below 2^shift is not advertised as zero (Linux
     * __tcp_select_window(): ALIGN(free_space, 1 &lt;&lt; rcv_wscale)); the edge may then lie up to
     * 2^shift - 1 bytes beyond the buffer, and those bytes are taken. rfc: RCV.WND >> Rcv.Wind.Shift
     * (RFC 7323 §2.3), truncated. freebsd: tcp_output() truncates too (recwin >> rcv_scale).
     */
    public boolean roundsScaledWindowUp() {
        return reference == Reference.LINUX;
    }

    /** FreeBSD kern.ipc.maxsockbuf default. */
    static final long FREEBSD_MAX_SOCKBUF = 2L * 1024 * 1024;
    /** RFC 7323 §2.3: the largest usable shift. */
    static final int MAX_WINDOW_SHIFT = 14;

    // =====================================================================================
    // ACK policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2)
    // =====================================================================================

    /**
     * Whether the first data segments of a connection are ACKed at once (Linux quick ACK mode,
     * tcp_incr_quickack: up to 16, half the receive buffer, so the peer's slow start is not held
     * back by our delay). rfc and freebsd: no, the ordinary rule applies from the first segment.
     */
    public boolean quickAcksAtStart() {
        return reference == Reference.LINUX;
    }

    /**
     * Whether data we send soon after data arrived suspends quick ACKs (Linux interactive
     * "ping-pong" mode, tcp_event_data_sent); a lone delayed ACK ends it. Linux only.
     */
    public boolean interactiveMode() {
        return reference == Reference.LINUX;
    }

    /**
     * A FIN received in FIN-WAIT-1 before our FIN is acknowledged (simultaneous close, to CLOSING).
     * linux and rfc: acknowledge it with a bare ACK (RFC 9293 §3.10.7.4 eighth step; Linux tcp_fin).
     * freebsd: tcp_output sends our FIN again together with the ACK.
     */
    public boolean retransmitsFinWhenClosing() {
        return reference == Reference.FREEBSD;
    }

    // =====================================================================================
    // LISTEN and SYN-SENT (RFC 9293 §3.10.7.2, §3.10.7.3)
    // =====================================================================================

    /**
     * A SYN,ACK reaching a listener. linux and rfc: RFC 9293 §3.10.7.2 second check, any ACK in
     * LISTEN is answered with &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;. freebsd: dropped silently (tcp_input,
     * "SYN|ACK on a listen socket").
     */
    public boolean resetsSynAckInListen() {
        return reference != Reference.FREEBSD;
    }

    /**
     * Text on a SYN received in SYN-SENT (simultaneous open). rfc and freebsd: RFC 9293 §3.10.7.3,
     * "queue them for processing after the ESTABLISHED state has been reached". linux: discarded
     * (tcp_rcv_synsent_state_process drops it "for sanity"); the peer sends it again.
     */
    public boolean keepsTextOnSimultaneousSyn() {
        return reference != Reference.LINUX;
    }

    /**
     * A FIN on that SYN. rfc: queued like the text (§3.10.7.3). freebsd: ignored (the suite's
     * SYN,FIN scripts expect the ACK of the text only). linux: the whole segment beyond the SYN is dropped.
     */
    public boolean keepsFinOnSimultaneousSyn() {
        return reference == Reference.RFC;
    }

    // =====================================================================================
    // TIME-WAIT (RFC 9293 §3.10.7.4, §3.6.1; RFC 6191; RFC 1337)
    // =====================================================================================

    /**
     * A SYN (without ACK) that reaches a TIME-WAIT entry.
     * <ul>
     *   <li>linux (tcp_timewait_state_process): RFC 6191, a newer incarnation (newer timestamp, or
     *       SEG.SEQ above RCV.NXT without timestamps) reopens; otherwise RFC 5961 (challenge ACK) or,
     *       with the switch off, RFC 793 (in window: RST).</li>
     *   <li>rfc: RFC 9293 §3.10.7.4 fourth check: RFC 5961's challenge ACK, or RFC 793's RST for an
     *       in-window SYN with the switch off. §3.6.1's MAY-2 (reopen from TIME-WAIT) is not taken.</li>
     *   <li>freebsd (tcp_twcheck, the suite's README): SEG.SEQ above RCV.NXT reopens; anything else is
     *       dropped without an answer.</li>
     * </ul>
     *
     * @param newerIncarnation whether RFC 6191 judges the SYN a new incarnation
     * @param inWindowError    whether the synchronized-state SYN check makes it an error: RFC 793 mode
     *                         (the switch off) and SEG.SEQ in the entry's receive window
     */
    public TimeWaitSynAnswer synInTimeWait(int seq, int rcvNxt, boolean newerIncarnation, boolean inWindowError) {
        TimeWaitSynAnswer synchronizedRule = inWindowError ? TimeWaitSynAnswer.RESET : TimeWaitSynAnswer.ACK;
        return switch (reference) {
            case LINUX -> newerIncarnation ? TimeWaitSynAnswer.REOPEN : synchronizedRule;
            case RFC -> synchronizedRule;
            case FREEBSD -> SeqNum.gt(seq, rcvNxt) ? TimeWaitSynAnswer.REOPEN : TimeWaitSynAnswer.DROP;
        };
    }

    /**
     * TIME-WAIT as Linux's tcp_timewait_state_process() runs it where it departs from RFC 9293
     * §3.10.7.4 (linux only; the kernel here checked with the kernel backend):
     * <ul>
     *   <li>an in-window RST not at RCV.NXT is dropped without RFC 5961's challenge ACK;</li>
     *   <li>an acceptable segment with text but no ACK bit is answered, not dropped (fifth check);</li>
     *   <li>a bare segment at RCV.NXT, and any other with the ACK bit, restart 2MSL (inet_twsk_reschedule());</li>
     *   <li>its answers to unacceptable segments are throttled per entry (tw_last_oow_ack_time,
     *       tcp_invalid_ratelimit), as a connection's are.</li>
     * </ul>
     */
    public boolean linuxTimeWait() {
        return reference == Reference.LINUX;
    }

    /**
     * The ACK of a FIN that arrives in ESTABLISHED (or SYN-RECEIVED). linux: delayed, the connection
     * entering ping-pong mode (tcp_fin(): inet_csk_schedule_ack(), inet_csk_enter_pingpong_mode()),
     * so it goes within the delayed-ACK timeout, or with our FIN if the application closes first;
     * the kernel here ACKs 40 ms later. rfc: at once (RFC 9293 §3.10.7.4 eighth check, "send an
     * acknowledgment for the FIN"). freebsd: at once (tcp_input(): TF_ACKNOW).
     */
    public boolean delaysAckOfFin() {
        return reference == Reference.LINUX;
    }

    /** RFC 1337: whether RSTs in TIME-WAIT are ignored (Linux tcp_rfc1337=0 by default; FreeBSD always). */
    public boolean ignoresRstInTimeWait() {
        return switches.rfc1337();
    }

    /**
     * An unacceptable segment without ACK in TIME-WAIT. linux and rfc: RFC 9293 §3.10.7.4 first
     * check, answered with &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;. freebsd: tcp_twcheck drops every
     * segment without ACK (the suite's rcv-fin-time-wait README, note 1).
     */
    public boolean answersSegmentsWithoutAckInTimeWait() {
        return reference != Reference.FREEBSD;
    }

    // =====================================================================================
    // Sending (RFC 9293 §3.7.1, §3.8.1; RFC 6298)
    // =====================================================================================

    /** How outbound options are ordered and padded: FreeBSD's layout for freebsd, Linux's otherwise (no RFC fixes an order). */
    public OptionLayout optionLayout() {
        return reference == Reference.FREEBSD ? OptionLayout.FREEBSD : OptionLayout.LINUX;
    }

    /**
     * Whether the {@code retransmission}-th retransmission of our SYN (1 for the first) carries only
     * MSS: FreeBSD's rexmit_drop_options, from the third on, against middleboxes that drop SYNs with
     * unknown options.
     */
    public boolean synRetransmitDropsOptions(int retransmission) {
        return switches.dropOptionsOnSynRetransmit() && retransmission >= 3;
    }

    /**
     * How RTT samples make the RTO. linux: tcp_rtt_estimator() and __tcp_set_rto(), RTO = SRTT +
     * max(RTO.min, the round's largest 4·deviation): RTO.min is added to SRTT. rfc and freebsd: RFC
     * 6298 §2.3, RTO = max(RTO.min, SRTT + 4·RTTVAR) (FreeBSD tcp_xmit_timer() computes the same
     * bound, in ticks).
     */
    public boolean linuxRttEstimator() {
        return reference == Reference.LINUX;
    }

    /**
     * When cwnd restarts after an idle RTO (RFC 5681 §4.1, with slow start after idle on). linux:
     * where tcp_slow_start_after_idle_check() runs, a write that starts a new skb and a window
     * update with data queued, each with nothing in flight; sending itself only keeps CUBIC's idle
     * time out (CA_EVENT_TX_START). rfc: when new data is about to go after the idle period, RFC
     * 5681 §4.1's own moment; freebsd: the same, tcp_output()'s cc_after_idle().
     */
    public boolean restartsAfterIdleAsLinux() {
        return reference == Reference.LINUX;
    }

    /**
     * How the peer's largest window (max_window) is counted and what it bounds. linux: a passive
     * open counts it from the ACK that completes the handshake, not from the SYN (the child socket
     * is made from that ACK: tcp_create_openreq_child()), and it bounds the send MSS (tcp_sync_mss()
     * with tcp_bound_to_half_wnd(): at most half of it, the whole of it up to 536 bytes), so a peer
     * whose window is smaller than two segments is still served in two. rfc: the SYN's window
     * counts (RFC 9293 §3.10.7.3 sets SND.WND from it) and SND.MSS stays as the SYN exchange set it,
     * small windows being sender SWS avoidance's business (§3.8.6.2.1); freebsd: the same,
     * tcp_output() does not bound t_maxseg by the window.
     */
    public boolean windowBoundsAsLinux() {
        return reference == Reference.LINUX;
    }

    /**
     * The retransmission timeout after a backoff. linux and rfc: RFC 6298 §5.5, double the RTO (up
     * to the maximum). freebsd: TCPT_RANGESET adds rexmit_slop to the doubled base each time
     * ({@code rtoSlopNanos} in the config), giving the suite's 1 s, 2.2 s, 4.2 s ... SYN timings.
     *
     * @param baseRtoNanos the RTO before any backoff
     */
    public long backedOffRto(long baseRtoNanos, int backoffs, long slopNanos, long minNanos, long maxNanos) {
        long rto = baseRtoNanos;
        for (int i = 0; i < backoffs && rto < maxNanos; i++) {
            rto <<= 1;
        }
        if (reference == Reference.FREEBSD && backoffs > 0) {
            rto += slopNanos;
        }
        return Math.min(maxNanos, Math.max(minNanos, rto));
    }

    /**
     * Where PSH goes on new data. linux (with {@link #accountsSendBufferInSkbs() skbs}): as Linux
     * 6.x, on the last segment of every GSO packet tcp_write_xmit() sends that is more than one
     * segment (__tcp_transmit_skb() forces it "to expedite GRO flush at receiver"), and of a
     * one-segment packet that is a whole skb tcp_mark_push() marked at the end of a write
     * (tcp_push()) or every half of the peer's largest window (forced_push()); the packets are sized
     * as tcp_write_xmit() sizes them (tcp_mss_split_point(), tcp_cwnd_test(), tcp_tso_autosize()).
     * rfc: RFC 9293 §3.9.1 pushes the end of what the user sent, the last segment queued; freebsd:
     * tcp_output() sets PSH when the segment empties the send buffer, the same segment.
     */
    public boolean pushesPerGsoPacket() {
        return reference == Reference.LINUX;
    }

    /**
     * Whether an acceptable segment is heard (TS.Recent, the keep-alive and persist-probe state)
     * only once its ACK field has passed its checks. linux: yes; tcp_ack() (tcp_input.c) updates
     * ts_recent, rcv_tstamp and icsk_probes_out after rejecting an ACK of unsent data or one too old
     * (RFC 5961 §5.2), "after we are sure that the packet is in window", so a spoofed in-window
     * segment with a wrong ACK leaves no trace. rfc: RFC 7323 §4.3 and its Appendix D take
     * TS.Recent as soon as the sequence number is acceptable, before the ACK check; freebsd:
     * tcp_input does the same. There a blind segment with a huge TSval, in window but with a bad
     * ACK, makes PAWS drop what follows.
     */
    public boolean hearsSegmentOnlyAfterAckCheck() {
        return reference == Reference.LINUX;
    }

    /**
     * The RST that aborts a synchronized connection: {@link AbortResetForm#RST_ACK} on linux
     * (tcp_send_active_reset(), tcp_output.c), {@link AbortResetForm#RST} on rfc (RFC 9293
     * §3.10.5), {@link AbortResetForm#RST_ACK_ZERO_WINDOW} on freebsd (tcp_drop()).
     */
    public AbortResetForm abortResetForm() {
        return switch (reference) {
            case LINUX -> AbortResetForm.RST_ACK;
            case RFC -> AbortResetForm.RST;
            case FREEBSD -> AbortResetForm.RST_ACK_ZERO_WINDOW;
        };
    }

    /**
     * An ICMP error (not a path MTU message) whose quote names one of our segments in window
     * (RFC 5927 §4.1). {@code reason} is what the application would see ({@link IcmpErrors#reason}),
     * {@code hard} whether RFC 1122 §4.2.3.9 calls it hard (protocol or port unreachable).
     * <ul>
     * <li>linux (tcp_v4_err()): in SYN-SENT, and SYN-RECEIVED of an active open, every error ends
     * the connect at once with its errno. A passive half-open child is dropped silently for
     * parameter problem, time exceeded, network or host unreachable (tcp_req_err()), else left
     * alone. Synchronized: a soft error (sk_err_soft), reported only if the connection times out
     * (tcp_write_err()).
     * <li>rfc: RFC 1122 §4.2.3.9: hard errors abort ("SHOULD"), soft ones never do ("MUST NOT") and
     * are made available to the application: here, reported if the connection times out.
     * <li>freebsd (tcp_ctlinput(), tcp_notify()): protocol or port unreachable ends only a
     * SYN-SENT connection (tcp_drop_syn_sent()), and is ignored afterwards. Other errors: ignored
     * on an established connection when they are about reachability (EHOSTUNREACH, ENETUNREACH,
     * EHOSTDOWN); before ESTABLISHED they end the connection once its SYN was retransmitted more
     * than 3 times and an earlier soft error was kept; otherwise they become the soft error.
     * </ul>
     */
    public IcmpAction icmpError(TcpState state, boolean passiveChild, CloseReason reason, boolean hard, boolean requestAbort,
                                int retransmits, boolean hasSoftError) {
        boolean opening = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        return switch (reference) {
            case LINUX -> {
                if (state == TcpState.SYN_RECEIVED && passiveChild) {
                    yield requestAbort ? IcmpAction.ABORT : IcmpAction.IGNORE;
                }
                yield opening ? IcmpAction.ABORT : IcmpAction.SOFT;
            }
            case RFC -> hard ? IcmpAction.ABORT : IcmpAction.SOFT;
            case FREEBSD -> {
                if (hard) {
                    yield state == TcpState.SYN_SENT ? IcmpAction.ABORT : IcmpAction.IGNORE;
                }
                if (state == TcpState.ESTABLISHED && IcmpErrors.isReachability(reason)) {
                    yield IcmpAction.IGNORE;
                }
                yield opening && retransmits > 3 && hasSoftError ? IcmpAction.ABORT : IcmpAction.SOFT;
            }
        };
    }

    /**
     * A segment wholly before RCV.NXT (an old duplicate, such as a retransmitted FIN) carrying an
     * ACK. linux (today's behaviour) and rfc: RFC 9293 §3.10.7.4 first check, unacceptable: send an
     * ACK and drop it, ACK field and all. freebsd: tcp_input trims the duplicate away, sends an ACK
     * "to resynchronize", and "keeps on processing for RST or ACK", so the ACK of our FIN carried on
     * a retransmitted FIN takes CLOSING to TIME-WAIT.
     */
    public boolean processesAckOfOldDuplicate() {
        return reference == Reference.FREEBSD;
    }

    /**
     * An orphaned FIN-WAIT-2 connection reaches its timeout (no RFC defines one: every stack has it
     * against peers that never close). linux: tcp_keepalive_timer tells the peer with a RST
     * (tcp_send_active_reset). rfc: reclaiming it is an ABORT, which in FIN-WAIT-2 sends a RST
     * (RFC 9293 §3.10.5). freebsd: tcp_timer_2msl closes it silently (tcp_close, no segment).
     */
    public boolean resetsOnFinWait2Timeout() {
        return reference != Reference.FREEBSD;
    }

    /**
     * A simultaneous open (our SYN crossed the peer's) where the peer's SYN is an ECN-setup SYN but
     * ours was not: whether ECN is agreed anyway (when ECN is enabled at all), and our SYN,ACK an
     * ECN-setup SYN,ACK. linux: no, ECN holds only if our SYN asked (tcp_ecn_rcv_syn() clears
     * TCP_ECN_OK, never sets it). rfc: yes, RFC 3168 §6.1.1 answers an ECN-setup SYN with an
     * ECN-setup SYN,ACK whatever state sends it (the suite's syn-rcvd-via-syn-sent-ipv4-ecn01).
     * freebsd: yes (tcp_input(): the SYN in SYN-SENT is checked as syncache_add() checks one).
     */
    public boolean acceptsEcnOnSimultaneousSyn() {
        return reference != Reference.LINUX;
    }

    /**
     * Whether an ECN-setup SYN that is itself ECT (its IP ECN field not Not-ECT, which RFC 3168
     * §6.1.1 forbids a sender to do) is refused ECN. linux: refused, answered with a plain SYN,ACK
     * (tcp_ecn_create_request(): such a SYN comes from a sender that marks everything, as DCTCP
     * does). rfc, freebsd: the IP field is not looked at (RFC 3168 §6.1.1 judges the TCP flags;
     * FreeBSD syncache_add()).
     */
    public boolean refusesEcnForEctSyn() {
        return reference == Reference.LINUX;
    }

    /** How a SACK sender decides that a segment is lost. */
    public enum LossDetection {
        /**
         * RACK-TLP (RFC 8985): by time, with a reordering window, a reordering timer and tail loss
         * probes; D-SACKs and F-RTO (RFC 5682) undo spurious reductions (Linux tcp_recovery=1,
         * tcp_early_retrans=3, tcp_frto=2).
         */
        RACK_TLP,
        /** RFC 6675 IsLost: DupThresh SACKed segments (or bytes) above a hole; a timeout is never undone. */
        DUP_THRESH
    }

    /**
     * Loss detection for a connection that negotiated SACK (without SACK every profile counts
     * duplicate ACKs, RFC 5681 and RFC 6582). linux: RACK-TLP (tcp_rack_mark_lost(),
     * tcp_schedule_loss_probe()), with D-SACK undo and F-RTO; without SACK, linux still runs
     * F-RTO's basic algorithm after a timeout (tcp_process_loss(), tcp_frto=2). rfc: RFC 6675, the letter RFC 9293
     * names. freebsd: RFC 6675 too; FreeBSD's default stack has no RACK (that is its separate
     * tcp_rack stack, not the default).
     */
    public LossDetection lossDetection() {
        return reference == Reference.LINUX ? LossDetection.RACK_TLP : LossDetection.DUP_THRESH;
    }

    /**
     * Whether fast recovery with SACK paces its sending by Proportional Rate Reduction (RFC 6937)
     * rather than RFC 6675's cwnd − pipe. linux: yes, tcp_cwnd_reduction() counting packets.
     * freebsd: yes, net.inet.tcp.do_prr=1 (tcp_do_prr_ack(), counting bytes). rfc: no, RFC 6675 §5.
     */
    public boolean proportionalRateReduction() {
        return reference != Reference.RFC;
    }

    /**
     * Whether TCP Fast Open (RFC 7413) is implemented, as Linux's tcp_fastopen.c does it, when
     * {@link TcpConfig#fastOpen()} (net.ipv4.tcp_fastopen) enables it: linux (on by default for the
     * client only, as Linux) and rfc (off unless configured; where RFC 7413 leaves room, Linux's
     * choices). freebsd: not modelled (FreeBSD's own TFO under net.inet.tcp.fastopen differs in its
     * cookies and its queue): TCP_FASTOPEN and MSG_FASTOPEN are refused and FO options ignored.
     */
    public boolean hasFastOpen() {
        return reference != Reference.FREEBSD;
    }

    /**
     * Whether a child that already joined the accept queue stays there when it closes (a RST, an
     * ICMP error), for accept() to hand out with what it received and its error. linux: yes (the
     * socket stays queued; tcp_done() only changes its state; a Fast Open child is queued from its
     * SYN on). rfc, freebsd: no, it leaves the queue (this stack's older rule).
     */
    public boolean keepsClosedChildForAccept() {
        return reference == Reference.LINUX;
    }

    /**
     * Whether the peer's SYN,ACK in a simultaneous open, whose SYN we already received, is
     * reported as a duplicate in a D-SACK block (with SACK in use). linux: yes (tcp_data_queue():
     * a segment wholly below RCV.NXT, the SYN's sequence number included, gets tcp_dsack_set()).
     * rfc, freebsd: no, RFC 2883 §4 speaks of duplicate data, and the SYN carries none.
     */
    public boolean dsacksDuplicateSyn() {
        return reference == Reference.LINUX;
    }

    /** Whether TCP_KEEPINIT (a bound on connection establishment) exists: FreeBSD only; Linux has no such option. */
    public boolean hasKeepInit() {
        return reference == Reference.FREEBSD;
    }

    /** Whether TCP_NOOPT (send no options at all) exists: FreeBSD only. */
    public boolean hasNoOptions() {
        return reference == Reference.FREEBSD;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpProfile p && p.getClass() == getClass() && p.reference == reference && p.switches.equals(switches);
    }

    @Override
    public int hashCode() {
        return Objects.hash(getClass(), reference, switches);
    }

    @Override
    public String toString() {
        return name();
    }
}
