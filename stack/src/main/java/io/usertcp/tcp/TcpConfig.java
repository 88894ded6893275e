package io.usertcp.tcp;

import io.usertcp.tcp.cc.CongestionConfig;

/**
 * How the TCP machine behaves where the RFCs leave room (DESIGN.md §4). {@link #linux()} matches a
 * default Linux kernel; {@link #rfc()} follows the RFCs' letter (MSL 2 minutes, RTO min 1 s). All
 * durations are nanoseconds; names carry their units.
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
 * @param receiveBufferBytes     receive buffer, which bounds the advertised window
 * @param sendBufferBytes        send buffer: queued plus unacknowledged bytes
 * @param windowScaling          offer RFC 7323 window scaling
 * @param sack                   offer RFC 2018 SACK-permitted
 * @param timestamps             offer RFC 7323 timestamps
 * @param rstChallengeAck        RFC 5961 §3: an in-window RST that is not exact gets a challenge ACK
 *                               (false: RFC 793 behaviour, any in-window RST resets; FreeBSD insecure_rst=1)
 * @param synChallengeAck        RFC 5961 §4: a SYN in a synchronized state gets a challenge ACK
 *                               (false: RFC 793, an in-window SYN resets the connection)
 * @param challengeAckLimitPerSecond RFC 5961 §7: stack-wide cap on challenge ACKs per second
 * @param maxTimeWaitEntries     cap on TIME-WAIT entries (Linux tcp_max_tw_buckets); past it a
 *                               closing connection skips TIME-WAIT
 * @param rfc1337                RFC 1337: ignore RST in TIME-WAIT (Linux tcp_rfc1337, off by default)
 * @param synCookies             when to answer SYNs with RFC 4987 cookies
 * @param abortOnOverflow        answer the final ACK with RST when the accept queue is full
 *                               (Linux tcp_abort_on_overflow); otherwise drop it so the client retries
 * @param congestion             congestion control for new connections (algorithm, initial window,
 *                               slow start after idle); a connection may switch algorithm before it sends data
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
        boolean rstChallengeAck,
        boolean synChallengeAck,
        int challengeAckLimitPerSecond,
        int maxTimeWaitEntries,
        boolean rfc1337,
        SynCookieMode synCookies,
        boolean abortOnOverflow,
        CongestionConfig congestion) {

    /** When the listener answers a SYN with a cookie instead of remembering it. */
    public enum SynCookieMode {
        /** Never: SYNs past the SYN queue's capacity are dropped (Linux tcp_syncookies=0). */
        OFF,
        /** Only when the SYN queue is full (Linux tcp_syncookies=1, the default). */
        ON_OVERFLOW,
        /** For every SYN (Linux tcp_syncookies=2), useful for testing cookies. */
        ALWAYS
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
    }

    /** A default Linux 6.x kernel's behaviour. */
    public static TcpConfig linux() {
        return new TcpConfig(60 * SECOND, 60 * SECOND, SECOND, 200 * MILLISECOND, 120 * SECOND, 40 * MILLISECOND,
                6, 5, 15, 7200 * SECOND, 75 * SECOND, 9, 0, 131072, 262144, true, true, true,
                true, true, 1000, 262144, false, SynCookieMode.ON_OVERFLOW, false, CongestionConfig.linux());
    }

    /**
     * The RFCs' letter: MSL 2 minutes (RFC 9293 §3.4.2), RTO min 1 s (RFC 6298 §2.4), delayed ACK
     * 200 ms, NewReno (RFC 5681, RFC 6582).
     */
    public static TcpConfig rfc() {
        return linux().toBuilder()
                .timeWaitNanos(240 * SECOND)
                .rtoMinNanos(SECOND)
                .delayedAckNanos(200 * MILLISECOND)
                .congestion(CongestionConfig.rfc())
                .build();
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
        private boolean rstChallengeAck;
        private boolean synChallengeAck;
        private int challengeAckLimitPerSecond;
        private int maxTimeWaitEntries;
        private boolean rfc1337;
        private SynCookieMode synCookies;
        private boolean abortOnOverflow;
        private CongestionConfig congestion;

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
            rstChallengeAck = c.rstChallengeAck;
            synChallengeAck = c.synChallengeAck;
            challengeAckLimitPerSecond = c.challengeAckLimitPerSecond;
            maxTimeWaitEntries = c.maxTimeWaitEntries;
            rfc1337 = c.rfc1337;
            synCookies = c.synCookies;
            abortOnOverflow = c.abortOnOverflow;
            congestion = c.congestion;
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
        public Builder rstChallengeAck(boolean v) { rstChallengeAck = v; return this; }
        public Builder synChallengeAck(boolean v) { synChallengeAck = v; return this; }
        public Builder challengeAckLimitPerSecond(int v) { challengeAckLimitPerSecond = v; return this; }
        public Builder maxTimeWaitEntries(int v) { maxTimeWaitEntries = v; return this; }
        public Builder rfc1337(boolean v) { rfc1337 = v; return this; }
        public Builder synCookies(SynCookieMode v) { synCookies = v; return this; }
        public Builder abortOnOverflow(boolean v) { abortOnOverflow = v; return this; }
        public Builder congestion(CongestionConfig v) { congestion = v; return this; }

        public TcpConfig build() {
            return new TcpConfig(timeWaitNanos, finWait2TimeoutNanos, rtoInitialNanos, rtoMinNanos, rtoMaxNanos,
                    delayedAckNanos, synRetries, synAckRetries, dataRetries, keepaliveIdleNanos, keepaliveIntervalNanos,
                    keepaliveProbes, userTimeoutNanos, receiveBufferBytes, sendBufferBytes, windowScaling, sack,
                    timestamps, rstChallengeAck, synChallengeAck, challengeAckLimitPerSecond, maxTimeWaitEntries,
                    rfc1337, synCookies, abortOnOverflow, congestion);
        }
    }
}
