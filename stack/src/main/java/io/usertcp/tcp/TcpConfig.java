package io.usertcp.tcp;

import io.usertcp.tcp.cc.CongestionConfig;

/**
 * The numbers of the TCP machine (DESIGN.md §4: timeouts, retries, buffers, what to offer), and the
 * {@link TcpProfile} that makes the choices where Linux, the RFCs and FreeBSD differ.
 * {@link #linux()}, {@link #rfc()} and {@link #freebsd()} give each reference's numbers with its
 * profile. All durations are nanoseconds; names carry their units.
 *
 * @param timeWaitNanos          how long TIME-WAIT lasts: 2·MSL (RFC 9293 §3.6.1). Linux: 60 s
 * @param finWait2TimeoutNanos   an orphaned FIN-WAIT-2 connection is reclaimed after this (Linux tcp_fin_timeout)
 * @param rtoInitialNanos        RTO before any RTT sample (RFC 6298 §2.1: 1 s)
 * @param rtoMinNanos            lower bound of the RTO (RFC 6298 §2.4 says 1 s; Linux uses 200 ms)
 * @param rtoMaxNanos            upper bound of the RTO (RFC 6298 §2.5: at least 60 s; Linux 120 s)
 * @param delayedAckNanos        longest an ACK is delayed (RFC 9293 §3.8.6.3: under 0.5 s; Linux 40 ms)
 * @param synRetries             SYN retransmissions before the open fails (Linux tcp_syn_retries)
 * @param synAckRetries          SYN-ACK retransmissions before a half-open child is dropped (tcp_synack_retries)
 * @param dataRetries            data/FIN retransmissions before the connection fails (tcp_retries2)
 * @param keepaliveIdleNanos     idle time before the first keep-alive probe (RFC 1122 §4.2.3.6: ≥ 2 h)
 * @param keepaliveIntervalNanos time between unanswered probes
 * @param keepaliveProbes        unanswered probes before the connection is declared dead
 * @param userTimeoutNanos       RFC 5482 user timeout; 0 = off (then dataRetries decides)
 * @param receiveBufferBytes     the receive buffer a connection starts with (SO_RCVBUF as reported; Linux
 *                               tcp_rmem[1]). The profile says how much of it the window may offer:
 *                               linux half of it (tcp_win_from_space()), rfc and freebsd all of it
 * @param sendBufferBytes        the send buffer a connection starts with: queued plus unacknowledged
 *                               bytes (SO_SNDBUF as reported; Linux tcp_wmem[1])
 * @param windowScaling          offer RFC 7323 window scaling
 * @param sack                   offer RFC 2018 SACK-permitted
 * @param timestamps             offer RFC 7323 timestamps
 * @param challengeAckLimitPerSecond RFC 5961 §7: stack-wide cap on challenge ACKs per second. linux:
 *                               none ({@link Integer#MAX_VALUE}, tcp_challenge_ack_limit's default since
 *                               Linux 6.0, which limits per connection instead: {@code invalidRateLimitNanos});
 *                               rfc and freebsd: 1000
 * @param maxTimeWaitEntries     cap on TIME-WAIT entries (Linux tcp_max_tw_buckets); past it a
 *                               closing connection skips TIME-WAIT
 * @param synCookies             when to answer SYNs with RFC 4987 cookies
 * @param abortOnOverflow        answer the final ACK with RST when the accept queue is full
 *                               (Linux tcp_abort_on_overflow); otherwise drop it so the client retries
 * @param congestion             congestion control for new connections (algorithm, initial window,
 *                               slow start after idle); a connection may switch algorithm before it sends data
 * @param rtoSlopNanos           added to each backed-off RTO by the freebsd profile (FreeBSD rexmit_slop);
 *                               the other profiles ignore it
 * @param profile                the behaviour where Linux, the RFCs and FreeBSD differ (DESIGN.md §4)
 * @param receiveMemoryLimitBytes stack-wide limit on the memory received data holds (Linux
 *                               tcp_mem[2] for the receive side; under pressure from 3/4 of it)
 * @param receiveBufferMaxBytes  the largest receive buffer a connection may grow to (Linux
 *                               tcp_rmem[2], 6 MiB by default); the linux profile sizes its
 *                               window-scale shift for it, as tcp_select_initial_window() does
 * @param timeWaitReuse          whether an active open may take over a TIME-WAIT entry (Linux
 *                               tcp_tw_reuse; by default only for loopback traffic)
 * @param ecn                    Explicit Congestion Notification (RFC 3168): whether we ask for it on
 *                               active opens and accept it on passive ones (Linux net.ipv4.tcp_ecn,
 *                               FreeBSD net.inet.tcp.ecn.enable; both default to {@link EcnMode#PASSIVE})
 * @param ecnSetupSynRetries     how many retransmissions of an ECN-setup SYN still ask for ECN before
 *                               the SYN falls back to a plain one (RFC 3168 §6.1.1.1 "MAY"). Linux: 0,
 *                               the first retransmission is plain (tcp_ecn_fallback=1,
 *                               __tcp_retransmit_skb() → tcp_ecn_clear_syn()); FreeBSD: 1
 *                               (net.inet.tcp.ecn.maxretries); rfc: 0, a choice, as Linux
 * @param sendBufferMaxBytes     the largest send buffer a connection may grow to (Linux tcp_wmem[2], 4 MiB)
 * @param socketBufferMaxBytes   the largest SO_SNDBUF / SO_RCVBUF an application may ask for; larger
 *                               requests are clamped to it (Linux net.core.wmem_max / rmem_max, 212992)
 * @param notSentLowatBytes      TCP_NOTSENT_LOWAT for sockets that do not set it: at most this many
 *                               bytes queued and not yet sent (Linux net.ipv4.tcp_notsent_lowat;
 *                               {@link Integer#MAX_VALUE} for Linux's default UINT_MAX, no limit)
 * @param bufferAutotuning       grow the buffers of connections whose application did not set them:
 *                               the receive buffer to what the application reads per round trip, the
 *                               send buffer with cwnd (Linux tcp_moderate_rcvbuf, tcp_rcv_space_adjust(),
 *                               tcp_sndbuf_expand()); FreeBSD tunes differently (recvbuf_auto,
 *                               sendbuf_auto), which is not emulated, and the RFCs set no rule
 * @param fastOpen               TCP Fast Open (RFC 7413) at the stack's start, as Linux's
 *                               {@code net.ipv4.tcp_fastopen} bits ({@link FastOpen#CLIENT_ENABLE} 0x1,
 *                               {@link FastOpen#SERVER_ENABLE} 0x2, ...; the stack's {@link FastOpen} changes
 *                               it at run time). linux: 1, the client side only, Linux's default; rfc and
 *                               freebsd: 0, off unless configured
 * @param minTsoSegments         the fewest segments a GSO packet is sized for when the pacing rate would
 *                               give fewer (Linux {@code net.ipv4.tcp_min_tso_segs}, 2; tcp_tso_autosize()):
 *                               in the linux profile it decides where PSH goes (see PROFILES.md)
 * @param invalidRateLimitNanos  the least time between two ACKs a connection sends to answer segments
 *                               it cannot accept (out of the window, PAWS-rejected, or met with a
 *                               challenge ACK) when they carry no data or a SYN: Linux's
 *                               {@code net.ipv4.tcp_invalid_ratelimit}, 500 ms (tcp_oow_rate_limited(),
 *                               against ACK loops and blind floods that would make us answer each one).
 *                               0 answers every one, as RFC 9293 §3.10.7.4 says to the letter: rfc and
 *                               freebsd (FreeBSD's own ACK limits are not modelled)
 */
public record TcpConfig(
        long timeWaitNanos,
        long finWait2TimeoutNanos,
        long rtoInitialNanos,
        long rtoMinNanos,
        long rtoMaxNanos,
        long delayedAckNanos,
        int synRetries,
        int synAckRetries,
        int dataRetries,
        long keepaliveIdleNanos,
        long keepaliveIntervalNanos,
        int keepaliveProbes,
        long userTimeoutNanos,
        int receiveBufferBytes,
        int sendBufferBytes,
        boolean windowScaling,
        boolean sack,
        boolean timestamps,
        int challengeAckLimitPerSecond,
        int maxTimeWaitEntries,
        SynCookieMode synCookies,
        boolean abortOnOverflow,
        CongestionConfig congestion,
        long rtoSlopNanos,
        TcpProfile profile,
        long receiveMemoryLimitBytes,
        int receiveBufferMaxBytes,
        TimeWaitReuse timeWaitReuse,
        EcnMode ecn,
        int ecnSetupSynRetries,
        int sendBufferMaxBytes,
        int socketBufferMaxBytes,
        boolean bufferAutotuning,
        int notSentLowatBytes,
        int fastOpen,
        int minTsoSegments,
        long invalidRateLimitNanos) {

    /** Linux tcp_tw_reuse: when an active open may take over a TIME-WAIT entry of the same four-tuple. */
    public enum TimeWaitReuse {
        /** Never (tcp_tw_reuse=0; RFC 9293 §3.6.1 lets only the passive side reopen from TIME-WAIT). */
        OFF,
        /** When timestamps make it safe (tcp_tw_reuse=1): see {@code TcpStack}'s tcp_twsk_unique(). */
        ON,
        /** As {@link #ON}, for loopback addresses only (tcp_tw_reuse=2, Linux's default). */
        LOOPBACK
    }

    /** When the listener answers a SYN with a cookie instead of remembering it. */
    public enum SynCookieMode {
        /** Never: SYNs past the SYN queue's capacity are dropped (Linux tcp_syncookies=0). */
        OFF,
        /** Only when the SYN queue is full (Linux tcp_syncookies=1, the default). */
        ON_OVERFLOW,
        /** For every SYN (Linux tcp_syncookies=2), useful for testing cookies. */
        ALWAYS
    }

    /**
     * RFC 3168 ECN negotiation, as Linux's {@code net.ipv4.tcp_ecn} and FreeBSD's
     * {@code net.inet.tcp.ecn.enable} number it (the two agree on 0, 1 and 2).
     */
    public enum EcnMode {
        /** 0: never: an ECN-setup SYN is answered with a plain SYN,ACK, and ours carry neither ECE nor CWR. */
        OFF,
        /** 1: ask for ECN on active opens (an ECN-setup SYN, RFC 3168 §6.1.1) and accept it on passive ones. */
        ON,
        /** 2: accept ECN when the peer's SYN asks for it, never ask (Linux's and FreeBSD's default). */
        PASSIVE;

        /** The sysctl value: 0, 1 or 2. */
        public int sysctlValue() {
            return ordinal();
        }

        /** @throws IllegalArgumentException for a value other than 0, 1 or 2 */
        public static EcnMode ofSysctl(long value) {
            if (value < 0 || value > 2) {
                throw new IllegalArgumentException("ECN mode: " + value + " (expected: 0 off, 1 on, 2 accept only)");
            }
            return values()[(int) value];
        }

        /** Whether an active open sends an ECN-setup SYN. */
        public boolean requests() {
            return this == ON;
        }

        /** Whether a passive open answers an ECN-setup SYN with an ECN-setup SYN,ACK. */
        public boolean accepts() {
            return this != OFF;
        }
    }

    private static final long SECOND = 1_000_000_000L;
    private static final long MILLISECOND = 1_000_000L;

    public TcpConfig {
        positive("timeWaitNanos", timeWaitNanos);
        positive("finWait2TimeoutNanos", finWait2TimeoutNanos);
        positive("rtoMinNanos", rtoMinNanos);
        if (rtoInitialNanos < rtoMinNanos || rtoMaxNanos < rtoInitialNanos) {
            throw new IllegalArgumentException("RTO: min " + rtoMinNanos + ", initial " + rtoInitialNanos + ", max "
                    + rtoMaxNanos + " ns (expected: 0 < min <= initial <= max)");
        }
        positive("delayedAckNanos", delayedAckNanos);
        range("synRetries", synRetries, 0, 127);
        range("synAckRetries", synAckRetries, 0, 127);
        range("dataRetries", dataRetries, 1, 255);
        positive("keepaliveIdleNanos", keepaliveIdleNanos);
        positive("keepaliveIntervalNanos", keepaliveIntervalNanos);
        range("keepaliveProbes", keepaliveProbes, 1, 127);
        if (userTimeoutNanos < 0) {
            throw new IllegalArgumentException("userTimeoutNanos: " + userTimeoutNanos + " (expected: 0 for off, or > 0)");
        }
        range("receiveBufferBytes", receiveBufferBytes, 256, 1 << 30);
        range("sendBufferBytes", sendBufferBytes, 256, 1 << 30);
        range("challengeAckLimitPerSecond", challengeAckLimitPerSecond, 1, Integer.MAX_VALUE);
        range("maxTimeWaitEntries", maxTimeWaitEntries, 0, Integer.MAX_VALUE);
        if (synCookies == null) {
            throw new IllegalArgumentException("synCookies: null (expected: OFF, ON_OVERFLOW or ALWAYS)");
        }
        if (congestion == null) {
            throw new IllegalArgumentException("congestion: null (expected: e.g. CongestionConfig.linux())");
        }
        if (rtoSlopNanos < 0) {
            throw new IllegalArgumentException("rtoSlopNanos: " + rtoSlopNanos + " (expected: >= 0)");
        }
        if (profile == null) {
            throw new IllegalArgumentException("profile: null (expected: e.g. TcpProfile.linux())");
        }
        positive("receiveMemoryLimitBytes", receiveMemoryLimitBytes);
        range("receiveBufferMaxBytes", receiveBufferMaxBytes, 256, 1 << 30);
        if (timeWaitReuse == null) {
            throw new IllegalArgumentException("timeWaitReuse: null (expected: OFF, ON or LOOPBACK)");
        }
        if (ecn == null) {
            throw new IllegalArgumentException("ecn: null (expected: OFF, ON or PASSIVE)");
        }
        range("ecnSetupSynRetries", ecnSetupSynRetries, 0, 255);
        range("sendBufferMaxBytes", sendBufferMaxBytes, 256, 1 << 30);
        range("socketBufferMaxBytes", socketBufferMaxBytes, 256, 1 << 30);
        range("notSentLowatBytes", notSentLowatBytes, 0, Integer.MAX_VALUE);
        range("fastOpen", fastOpen, 0, Integer.MAX_VALUE);
        range("minTsoSegments", minTsoSegments, 1, 127); // Linux: 1..S8_MAX
        if (invalidRateLimitNanos < 0) {
            throw new IllegalArgumentException("invalidRateLimitNanos: " + invalidRateLimitNanos + " (expected: >= 0, 0 for no limit)");
        }
    }

    /** A default Linux 6.x kernel's numbers, with the {@link TcpProfile#linux() linux} profile. */
    public static TcpConfig linux() {
        return new TcpConfig(60 * SECOND, 60 * SECOND, SECOND, 200 * MILLISECOND, 120 * SECOND, 40 * MILLISECOND,
                6, 5, 15, 7200 * SECOND, 75 * SECOND, 9, 0, 131072, 16384, true, true, true,
                Integer.MAX_VALUE, 262144, SynCookieMode.ON_OVERFLOW, false, CongestionConfig.linux(), 0, TcpProfile.linux(),
                256L << 20, 6 << 20, TimeWaitReuse.LOOPBACK, EcnMode.PASSIVE, 0, // tcp_tw_reuse = 2; tcp_ecn = 2, tcp_ecn_fallback = 1
                4 << 20, 212_992, true, Integer.MAX_VALUE, FastOpen.CLIENT_ENABLE, 2, // tcp_fastopen = 1; tcp_min_tso_segs = 2
                500 * MILLISECOND); // tcp_invalid_ratelimit = 500 ms; tcp_rmem = 4096 131072 6291456, tcp_wmem = 4096 16384 4194304, rmem_max = wmem_max = 212992
    }

    /**
     * The RFCs' letter, with the {@link TcpProfile#rfc() rfc} profile: MSL 2 minutes (RFC 9293
     * §3.4.2), RTO min 1 s (RFC 6298 §2.4), delayed ACK 200 ms (RFC 9293 §3.8.6.3 allows up to
     * 500 ms), SYN retransmitted for at least 3 minutes (RFC 9293 §3.8.3, RFC 1122 §4.2.3.5 R2: 7
     * backoffs from 1 s give up after 255 s), NewReno (RFC 5681, RFC 6582), ECN accepted when the
     * peer asks and never asked for (a choice: RFC 3168 §6.1.1 describes the negotiation but leaves
     * to the host whether it initiates; accepting costs nothing a non-ECN peer would see). Where no
     * RFC gives a number, Linux's.
     */
    public static TcpConfig rfc() {
        return linux().toBuilder()
                .timeWaitNanos(240 * SECOND)
                .synRetries(7)
                .rtoMinNanos(SECOND)
                .delayedAckNanos(200 * MILLISECOND)
                .congestion(CongestionConfig.rfc())
                .profile(TcpProfile.rfc())
                .timeWaitReuse(TimeWaitReuse.OFF)
                .ecn(EcnMode.PASSIVE)
                .invalidRateLimitNanos(0) // RFC 9293 §3.10.7.4: every unacceptable segment is answered
                .challengeAckLimitPerSecond(1000) // RFC 5961 §7's ACK throttling, stack-wide
                .sendBufferBytes(262144)
                .socketBufferMaxBytes(1 << 30)
                .bufferAutotuning(false)
                .fastOpen(0) // RFC 7413 is Experimental: off unless configured (a choice)
                .build();
    }

    /**
     * FreeBSD's defaults (tcp(4), tcp_timer.h), with the {@link TcpProfile#freebsd() freebsd}
     * profile: MSL 30 s (TIME-WAIT 60 s), RTO min 30 ms, max 64 s (TCPTV_REXMTMAX), rexmit_slop
     * 200 ms, delayed ACK 100 ms, 12 retransmissions of anything (TCP_MAXRXTSHIFT), keep-alive
     * 7200 s / 75 s / 8 probes, recvspace 64 KiB, sendspace 32 KiB, NewReno, ecn.enable 2 (accept
     * ECN when asked: tcp(4), the default since FreeBSD 11).
     */
    public static TcpConfig freebsd() {
        return linux().toBuilder()
                .timeWaitNanos(60 * SECOND)
                .rtoMinNanos(30 * MILLISECOND)
                .rtoMaxNanos(64 * SECOND)
                .rtoSlopNanos(200 * MILLISECOND)
                .delayedAckNanos(100 * MILLISECOND)
                .synRetries(12)
                .synAckRetries(3)
                .dataRetries(12)
                .keepaliveProbes(8)
                .receiveBufferBytes(65536)
                .sendBufferBytes(32768)
                .congestion(CongestionConfig.rfc())
                .profile(TcpProfile.freebsd())
                .timeWaitReuse(TimeWaitReuse.OFF)
                .ecn(EcnMode.PASSIVE)
                .ecnSetupSynRetries(1)
                .socketBufferMaxBytes(2 << 20) // kern.ipc.maxsockbuf
                .bufferAutotuning(false)
                .fastOpen(0) // FreeBSD's own TFO (net.inet.tcp.fastopen.*) is not modelled: off
                .invalidRateLimitNanos(0) // FreeBSD's ACK limits are not modelled: every unacceptable segment is answered
                .challengeAckLimitPerSecond(1000)
                .build();
    }

    /** The numbers of {@code profile}'s reference ({@link #linux()}, {@link #rfc()} or {@link #freebsd()}), with that profile. */
    public static TcpConfig forProfile(TcpProfile profile) {
        TcpConfig base = switch (profile.reference()) {
            case LINUX -> linux();
            case RFC -> rfc();
            case FREEBSD -> freebsd();
        };
        return base.toBuilder().profile(profile).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    private static void range(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    /** Changes a few settings of an existing configuration. */
    public static final class Builder {
        private long timeWaitNanos;
        private long finWait2TimeoutNanos;
        private long rtoInitialNanos;
        private long rtoMinNanos;
        private long rtoMaxNanos;
        private long delayedAckNanos;
        private int synRetries;
        private int synAckRetries;
        private int dataRetries;
        private long keepaliveIdleNanos;
        private long keepaliveIntervalNanos;
        private int keepaliveProbes;
        private long userTimeoutNanos;
        private int receiveBufferBytes;
        private int sendBufferBytes;
        private boolean windowScaling;
        private boolean sack;
        private boolean timestamps;
        private int challengeAckLimitPerSecond;
        private int maxTimeWaitEntries;
        private SynCookieMode synCookies;
        private boolean abortOnOverflow;
        private CongestionConfig congestion;
        private long rtoSlopNanos;
        private TcpProfile profile;
        private long receiveMemoryLimitBytes;
        private int receiveBufferMaxBytes;
        private TimeWaitReuse timeWaitReuse;
        private EcnMode ecn;
        private int ecnSetupSynRetries;
        private int sendBufferMaxBytes;
        private int socketBufferMaxBytes;
        private boolean bufferAutotuning;
        private int notSentLowatBytes;
        private int fastOpen;
        private int minTsoSegments;
        private long invalidRateLimitNanos;

        private Builder(TcpConfig c) {
            timeWaitNanos = c.timeWaitNanos;
            finWait2TimeoutNanos = c.finWait2TimeoutNanos;
            rtoInitialNanos = c.rtoInitialNanos;
            rtoMinNanos = c.rtoMinNanos;
            rtoMaxNanos = c.rtoMaxNanos;
            delayedAckNanos = c.delayedAckNanos;
            synRetries = c.synRetries;
            synAckRetries = c.synAckRetries;
            dataRetries = c.dataRetries;
            keepaliveIdleNanos = c.keepaliveIdleNanos;
            keepaliveIntervalNanos = c.keepaliveIntervalNanos;
            keepaliveProbes = c.keepaliveProbes;
            userTimeoutNanos = c.userTimeoutNanos;
            receiveBufferBytes = c.receiveBufferBytes;
            sendBufferBytes = c.sendBufferBytes;
            windowScaling = c.windowScaling;
            sack = c.sack;
            timestamps = c.timestamps;
            challengeAckLimitPerSecond = c.challengeAckLimitPerSecond;
            maxTimeWaitEntries = c.maxTimeWaitEntries;
            synCookies = c.synCookies;
            abortOnOverflow = c.abortOnOverflow;
            congestion = c.congestion;
            rtoSlopNanos = c.rtoSlopNanos;
            profile = c.profile;
            receiveMemoryLimitBytes = c.receiveMemoryLimitBytes;
            receiveBufferMaxBytes = c.receiveBufferMaxBytes;
            timeWaitReuse = c.timeWaitReuse;
            ecn = c.ecn;
            ecnSetupSynRetries = c.ecnSetupSynRetries;
            sendBufferMaxBytes = c.sendBufferMaxBytes;
            socketBufferMaxBytes = c.socketBufferMaxBytes;
            bufferAutotuning = c.bufferAutotuning;
            notSentLowatBytes = c.notSentLowatBytes;
            fastOpen = c.fastOpen;
            minTsoSegments = c.minTsoSegments;
            invalidRateLimitNanos = c.invalidRateLimitNanos;
        }

        public Builder timeWaitNanos(long v) { timeWaitNanos = v; return this; }
        public Builder finWait2TimeoutNanos(long v) { finWait2TimeoutNanos = v; return this; }
        public Builder rtoInitialNanos(long v) { rtoInitialNanos = v; return this; }
        public Builder rtoMinNanos(long v) { rtoMinNanos = v; return this; }
        public Builder rtoMaxNanos(long v) { rtoMaxNanos = v; return this; }
        public Builder delayedAckNanos(long v) { delayedAckNanos = v; return this; }
        public Builder synRetries(int v) { synRetries = v; return this; }
        public Builder synAckRetries(int v) { synAckRetries = v; return this; }
        public Builder dataRetries(int v) { dataRetries = v; return this; }
        public Builder keepaliveIdleNanos(long v) { keepaliveIdleNanos = v; return this; }
        public Builder keepaliveIntervalNanos(long v) { keepaliveIntervalNanos = v; return this; }
        public Builder keepaliveProbes(int v) { keepaliveProbes = v; return this; }
        public Builder userTimeoutNanos(long v) { userTimeoutNanos = v; return this; }
        public Builder receiveBufferBytes(int v) { receiveBufferBytes = v; return this; }
        public Builder sendBufferBytes(int v) { sendBufferBytes = v; return this; }
        public Builder windowScaling(boolean v) { windowScaling = v; return this; }
        public Builder sack(boolean v) { sack = v; return this; }
        public Builder timestamps(boolean v) { timestamps = v; return this; }
        public Builder challengeAckLimitPerSecond(int v) { challengeAckLimitPerSecond = v; return this; }
        public Builder maxTimeWaitEntries(int v) { maxTimeWaitEntries = v; return this; }
        public Builder synCookies(SynCookieMode v) { synCookies = v; return this; }
        public Builder abortOnOverflow(boolean v) { abortOnOverflow = v; return this; }
        public Builder congestion(CongestionConfig v) { congestion = v; return this; }
        public Builder rtoSlopNanos(long v) { rtoSlopNanos = v; return this; }
        public Builder profile(TcpProfile v) { profile = v; return this; }
        public Builder receiveMemoryLimitBytes(long v) { receiveMemoryLimitBytes = v; return this; }
        public Builder receiveBufferMaxBytes(int v) { receiveBufferMaxBytes = v; return this; }
        public Builder timeWaitReuse(TimeWaitReuse v) { timeWaitReuse = v; return this; }
        public Builder ecn(EcnMode v) { ecn = v; return this; }
        public Builder ecnSetupSynRetries(int v) { ecnSetupSynRetries = v; return this; }
        public Builder sendBufferMaxBytes(int v) { sendBufferMaxBytes = v; return this; }
        public Builder socketBufferMaxBytes(int v) { socketBufferMaxBytes = v; return this; }
        public Builder bufferAutotuning(boolean v) { bufferAutotuning = v; return this; }
        public Builder notSentLowatBytes(int v) { notSentLowatBytes = v; return this; }
        public Builder fastOpen(int v) { fastOpen = v; return this; }
        public Builder minTsoSegments(int v) { minTsoSegments = v; return this; }
        public Builder invalidRateLimitNanos(long v) { invalidRateLimitNanos = v; return this; }

        public TcpConfig build() {
            return new TcpConfig(timeWaitNanos, finWait2TimeoutNanos, rtoInitialNanos, rtoMinNanos, rtoMaxNanos,
                    delayedAckNanos, synRetries, synAckRetries, dataRetries, keepaliveIdleNanos, keepaliveIntervalNanos,
                    keepaliveProbes, userTimeoutNanos, receiveBufferBytes, sendBufferBytes, windowScaling, sack,
                    timestamps, challengeAckLimitPerSecond, maxTimeWaitEntries, synCookies, abortOnOverflow,
                    congestion, rtoSlopNanos, profile, receiveMemoryLimitBytes, receiveBufferMaxBytes, timeWaitReuse, ecn,
                    ecnSetupSynRetries, sendBufferMaxBytes, socketBufferMaxBytes, bufferAutotuning, notSentLowatBytes, fastOpen,
                    minTsoSegments, invalidRateLimitNanos);
        }
    }
}
