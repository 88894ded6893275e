package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Maps backquoted {@code sysctl} assignments to the {@link TcpConfig} settings they mean, for
 * FreeBSD's {@code net.inet.tcp.*} knobs (the RFC suite) and Linux's {@code net.ipv4.tcp_*}.
 * A knob this stack has no equivalent for is reported as skipped, never silently ignored; a knob
 * whose value is what this stack always does (FreeBSD {@code blackhole=0}: answer with RST) is
 * reported as already in effect.
 *
 * <p>The stack is built when the script first needs it; settings changed afterwards cannot take
 * effect (a {@link TcpConfig} is fixed for a stack's life) and are reported as skipped.
 */
final class StackSettings {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    /** What became of one assignment. */
    record Outcome(Kind kind, String text) {
        enum Kind {
            /** Mapped onto a setting. */
            APPLIED,
            /** The value is what this stack does anyway. */
            IN_EFFECT,
            /** No equivalent, or too late: reported as skipped. */
            SKIPPED
        }
    }

    /** One knob: takes the value and the current configuration, returns the new one or null if unsupported. */
    private interface Knob extends BiFunction<String, TcpConfig, TcpConfig> {}

    private static final Map<String, Knob> KNOBS = Map.ofEntries(
            // FreeBSD (tcp(4)); durations in milliseconds.
            Map.entry("net.inet.tcp.rfc1323", (v, c) -> c.toBuilder().timestamps(on(v)).windowScaling(on(v)).build()),
            Map.entry("net.inet.tcp.sack.enable", (v, c) -> c.toBuilder().sack(on(v)).build()),
            Map.entry("net.inet.tcp.insecure_rst", (v, c) -> switches(c, c.profile().switches().withRstChallengeAck(!on(v)))),
            Map.entry("net.inet.tcp.insecure_syn", (v, c) -> switches(c, c.profile().switches().withSynChallengeAck(!on(v)))),
            Map.entry("net.inet.tcp.drop_synfin", (v, c) -> switches(c, c.profile().switches().withDropSynFin(on(v)))),
            Map.entry("net.inet.tcp.rexmit_drop_options", (v, c) -> switches(c, c.profile().switches().withDropOptionsOnSynRetransmit(on(v)))),
            Map.entry("net.inet.tcp.rexmit_slop", (v, c) -> c.toBuilder().rtoSlopNanos(num(v) * MS).build()),
            Map.entry("net.inet.tcp.msl", (v, c) -> c.toBuilder().timeWaitNanos(2 * num(v) * MS).build()),
            Map.entry("net.inet.tcp.finwait2_timeout", (v, c) -> c.toBuilder().finWait2TimeoutNanos(num(v) * MS).build()),
            Map.entry("net.inet.tcp.keepidle", (v, c) -> c.toBuilder().keepaliveIdleNanos(num(v) * MS).build()),
            Map.entry("net.inet.tcp.keepintvl", (v, c) -> c.toBuilder().keepaliveIntervalNanos(num(v) * MS).build()),
            Map.entry("net.inet.tcp.keepcnt", (v, c) -> c.toBuilder().keepaliveProbes((int) num(v)).build()),
            Map.entry("net.inet.tcp.rexmit_initial", (v, c) -> rtoInitial(c, num(v) * MS)),
            Map.entry("net.inet.tcp.rexmit_min", (v, c) -> rtoMin(c, num(v) * MS)),
            Map.entry("net.inet.tcp.delacktime", (v, c) -> c.toBuilder().delayedAckNanos(num(v) * MS).build()),
            Map.entry("net.inet.tcp.recvspace", (v, c) -> c.toBuilder().receiveBufferBytes((int) num(v)).build()),
            Map.entry("net.inet.tcp.sendspace", (v, c) -> c.toBuilder().sendBufferBytes((int) num(v)).build()),
            Map.entry("net.inet.tcp.ecn.enable", (v, c) -> c.toBuilder().ecn(TcpConfig.EcnMode.ofSysctl(num(v))).build()),
            Map.entry("net.inet.tcp.ecn.maxretries", (v, c) -> c.toBuilder().ecnSetupSynRetries((int) num(v)).build()),
            Map.entry("net.inet.tcp.syncookies", (v, c) -> c.toBuilder().synCookies(on(v)
                    ? (c.synCookies() == TcpConfig.SynCookieMode.ALWAYS ? TcpConfig.SynCookieMode.ALWAYS : TcpConfig.SynCookieMode.ON_OVERFLOW)
                    : TcpConfig.SynCookieMode.OFF).build()),
            Map.entry("net.inet.tcp.syncookies_only", (v, c) -> c.toBuilder().synCookies(on(v)
                    ? TcpConfig.SynCookieMode.ALWAYS
                    : (c.synCookies() == TcpConfig.SynCookieMode.ALWAYS ? TcpConfig.SynCookieMode.ON_OVERFLOW : c.synCookies())).build()),
            // Linux (ip-sysctl.rst); durations in seconds.
            Map.entry("net.ipv4.tcp_timestamps", (v, c) -> c.toBuilder().timestamps(on(v)).build()),
            Map.entry("net.ipv4.tcp_window_scaling", (v, c) -> c.toBuilder().windowScaling(on(v)).build()),
            Map.entry("net.ipv4.tcp_sack", (v, c) -> c.toBuilder().sack(on(v)).build()),
            Map.entry("net.ipv4.tcp_syncookies", (v, c) -> c.toBuilder().synCookies(switch ((int) num(v)) {
                case 0 -> TcpConfig.SynCookieMode.OFF;
                case 2 -> TcpConfig.SynCookieMode.ALWAYS;
                default -> TcpConfig.SynCookieMode.ON_OVERFLOW;
            }).build()),
            Map.entry("net.ipv4.tcp_ecn", (v, c) -> c.toBuilder().ecn(TcpConfig.EcnMode.ofSysctl(num(v))).build()),
            Map.entry("net.ipv4.tcp_fastopen", (v, c) -> c.toBuilder().fastOpen((int) num(v)).build()),
            // tcp_ecn_fallback=0: a retransmitted ECN-setup SYN keeps asking (as many times as a SYN may go).
            Map.entry("net.ipv4.tcp_ecn_fallback", (v, c) -> c.toBuilder().ecnSetupSynRetries(on(v) ? 0 : 255).build()),
            Map.entry("net.ipv4.tcp_fin_timeout", (v, c) -> c.toBuilder().finWait2TimeoutNanos(num(v) * S).build()),
            Map.entry("net.ipv4.tcp_keepalive_time", (v, c) -> c.toBuilder().keepaliveIdleNanos(num(v) * S).build()),
            Map.entry("net.ipv4.tcp_keepalive_intvl", (v, c) -> c.toBuilder().keepaliveIntervalNanos(num(v) * S).build()),
            Map.entry("net.ipv4.tcp_keepalive_probes", (v, c) -> c.toBuilder().keepaliveProbes((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_syn_retries", (v, c) -> c.toBuilder().synRetries((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_synack_retries", (v, c) -> c.toBuilder().synAckRetries((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_retries2", (v, c) -> c.toBuilder().dataRetries((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_rfc1337", (v, c) -> switches(c, c.profile().switches().withRfc1337(on(v)))),
            Map.entry("net.ipv4.tcp_abort_on_overflow", (v, c) -> c.toBuilder().abortOnOverflow(on(v)).build()),
            Map.entry("net.ipv4.tcp_tw_reuse", (v, c) -> c.toBuilder().timeWaitReuse(switch ((int) num(v)) {
                case 0 -> TcpConfig.TimeWaitReuse.OFF;
                case 1 -> TcpConfig.TimeWaitReuse.ON;
                default -> TcpConfig.TimeWaitReuse.LOOPBACK;
            }).build()),
            Map.entry("net.ipv4.tcp_max_tw_buckets", (v, c) -> c.toBuilder().maxTimeWaitEntries((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_challenge_ack_limit", (v, c) -> c.toBuilder().challengeAckLimitPerSecond((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_invalid_ratelimit", (v, c) -> c.toBuilder().invalidRateLimitNanos(num(v) * 1_000_000L).build()),
            Map.entry("net.ipv4.tcp_congestion_control", (v, c) -> c.toBuilder()
                    .congestion(c.congestion().withAlgorithm(io.usertcp.tcp.cc.CongestionAlgorithm.byName(v))).build()),
            Map.entry("net.ipv4.tcp_slow_start_after_idle", (v, c) -> c.toBuilder()
                    .congestion(c.congestion().withSlowStartAfterIdle(on(v))).build()),
            Map.entry("net.ipv4.tcp_rmem", (v, c) -> c.toBuilder().receiveBufferBytes((int) part(v, 1))
                    .receiveBufferMaxBytes((int) part(v, 2)).build()),
            Map.entry("net.ipv4.tcp_wmem", (v, c) -> c.toBuilder().sendBufferBytes((int) part(v, 1))
                    .sendBufferMaxBytes((int) part(v, 2)).build()),
            Map.entry("net.ipv4.tcp_min_tso_segs", (v, c) -> c.toBuilder().minTsoSegments((int) num(v)).build()),
            Map.entry("net.ipv4.tcp_moderate_rcvbuf", (v, c) -> c.toBuilder().bufferAutotuning(on(v)).build()),
            Map.entry("net.ipv4.tcp_notsent_lowat", (v, c) -> c.toBuilder()
                    .notSentLowatBytes((int) Math.min(Integer.MAX_VALUE, num(v))).build()),
            // One limit stands for both: the stack has a single socketBufferMaxBytes.
            Map.entry("net.core.rmem_max", (v, c) -> c.toBuilder().socketBufferMaxBytes((int) num(v)).build()),
            Map.entry("net.core.wmem_max", (v, c) -> c.toBuilder().socketBufferMaxBytes((int) num(v)).build()));

    /** Knobs whose value this stack always has: the assignment changes nothing. */
    private static final Map<String, String> ALWAYS = Map.of(
            "net.inet.tcp.blackhole", "0");         // answer segments for closed ports with RST

    /** Knobs with nothing to change: caches this stack does not have. */
    private static final Map<String, String> NOTHING_TO_DO = Map.of(
            "net.inet.tcp.hostcache.purgenow", "this stack keeps no host cache",
            "net.ipv4.tcp_no_metrics_save", "this stack keeps no per-destination metrics");

    private TcpConfig current;
    private int mtu;
    private boolean frozen;
    /** net.ipv4.tcp_fastopen_key as last set, null if never. */
    private String fastOpenKey;
    /** The running stack, once built: Fast Open's sysctls still act on it (they are run-time knobs in Linux too). */
    private io.usertcp.tcp.TcpStack stack;

    StackSettings(TcpConfig base, int mtu) {
        this.current = base;
        this.mtu = mtu;
    }

    TcpConfig config() {
        return current;
    }

    int mtu() {
        return mtu;
    }

    void setMtu(int mtu) {
        this.mtu = mtu;
    }

    /** The stack was built: from now on changes are reported, not applied. */
    void freeze() {
        frozen = true;
    }

    /**
     * The stack was built: the Fast Open key set so far goes to it, and later assignments of
     * net.ipv4.tcp_fastopen and net.ipv4.tcp_fastopen_key change it, as the sysctls change a
     * running kernel.
     */
    void attach(io.usertcp.tcp.TcpStack running) {
        this.stack = running;
        if (fastOpenKey != null) {
            running.fastOpen().setKey(fastOpenKey);
        }
    }

    /** The running stack, or null before it is built. */
    io.usertcp.tcp.TcpStack stack() {
        return stack;
    }

    /** net.ipv4.tcp_fastopen_key as last set, or null. */
    String fastOpenKey() {
        return fastOpenKey;
    }

    boolean isFrozen() {
        return frozen;
    }

    /** Applies {@code name=value}. */
    Outcome apply(String name, String value) {
        String v = value.strip();
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            v = v.substring(1, v.length() - 1).strip();
        }
        String assignment = name + "=" + v;
        if (NOTHING_TO_DO.containsKey(name)) {
            return new Outcome(Outcome.Kind.IN_EFFECT, assignment + ": nothing to do (" + NOTHING_TO_DO.get(name) + ")");
        }
        if (ALWAYS.containsKey(name)) {
            return ALWAYS.get(name).equals(v)
                    ? new Outcome(Outcome.Kind.IN_EFFECT, assignment + ": this stack always behaves so")
                    : new Outcome(Outcome.Kind.SKIPPED, assignment + ": not supported (this stack always behaves as "
                            + name + "=" + ALWAYS.get(name) + ")");
        }
        if (name.equals("net.ipv4.tcp_fastopen_key")) {
            return fastOpenKey(v, assignment);
        }
        if (name.equals("net.ipv4.tcp_ecn") && frozen && stack != null) {
            try {
                stack.setEcn(TcpConfig.EcnMode.ofSysctl(num(v)));
            } catch (IllegalArgumentException e) {
                return new Outcome(Outcome.Kind.SKIPPED, assignment + ": " + e.getMessage());
            }
            return new Outcome(Outcome.Kind.APPLIED, assignment + " (on the running stack, for the next SYNs)");
        }
        if (name.equals("net.ipv4.tcp_fastopen") && frozen && stack != null) {
            try {
                stack.fastOpen().setMode((int) num(v));
            } catch (IllegalArgumentException e) {
                return new Outcome(Outcome.Kind.SKIPPED, assignment + ": " + e.getMessage());
            }
            return new Outcome(Outcome.Kind.APPLIED, assignment + " (on the running stack)");
        }
        Knob knob = KNOBS.get(name);
        if (knob == null) {
            return new Outcome(Outcome.Kind.SKIPPED, assignment + ": no equivalent setting in this stack");
        }
        TcpConfig changed;
        try {
            changed = knob.apply(v, current);
        } catch (IllegalArgumentException e) {
            return new Outcome(Outcome.Kind.SKIPPED, assignment + ": " + e.getMessage());
        }
        if (changed.equals(current)) {
            return new Outcome(Outcome.Kind.IN_EFFECT, assignment + ": already in effect");
        }
        if (frozen) {
            return new Outcome(Outcome.Kind.SKIPPED, assignment + ": too late, the stack is already running");
        }
        current = changed;
        return new Outcome(Outcome.Kind.APPLIED, assignment);
    }

    private Outcome fastOpenKey(String v, String assignment) {
        try {
            io.usertcp.tcp.FastOpen.parseKey(v); // checks the form
        } catch (IllegalArgumentException e) {
            return new Outcome(Outcome.Kind.SKIPPED, assignment + ": " + e.getMessage());
        }
        fastOpenKey = v;
        if (stack != null) {
            stack.fastOpen().setKey(v);
        }
        return new Outcome(Outcome.Kind.APPLIED, assignment);
    }

    private static TcpConfig switches(TcpConfig c, TcpProfile.Switches switches) {
        return c.toBuilder().profile(c.profile().withSwitches(switches)).build();
    }

    private static TcpConfig rtoInitial(TcpConfig c, long nanos) {
        TcpConfig.Builder b = c.toBuilder().rtoInitialNanos(nanos);
        if (nanos < c.rtoMinNanos()) {
            b.rtoMinNanos(nanos);
        }
        return b.build();
    }

    private static TcpConfig rtoMin(TcpConfig c, long nanos) {
        TcpConfig.Builder b = c.toBuilder().rtoMinNanos(nanos);
        if (nanos > c.rtoInitialNanos()) {
            b.rtoInitialNanos(nanos);
        }
        return b.build();
    }

    private static boolean on(String v) {
        return num(v) != 0;
    }

    private static long num(String v) {
        try {
            // Decimal, or hex as sysctl takes it (tcp_fastopen=0x70403).
            return v.startsWith("0x") || v.startsWith("0X") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value \"" + v + "\" (expected: an integer)");
        }
    }

    /**
     * One of Linux's tcp_rmem / tcp_wmem's three numbers, "min default max": the default (1) is the
     * buffer a socket starts with, the max (2) what it may grow to.
     */
    private static long part(String v, int index) {
        String[] parts = v.strip().split("\\s+");
        if (parts.length != 3) {
            throw new IllegalArgumentException("value \"" + v + "\" (expected: three integers \"min default max\")");
        }
        return num(parts[index]);
    }
}
