package io.usertcp.tcp.cc;

/**
 * How a connection's congestion control behaves. A value; one config serves many connections.
 *
 * @param algorithm             makes the controller of each new connection
 * @param initialWindowSegments N of the initial window min(N·SMSS, max(2·SMSS, N·1460))
 *                              (RFC 6928: 10; Linux initcwnd), 1..1024
 * @param slowStartAfterIdle    restart from min(IW, cwnd) after an idle period longer than the RTO
 *                              (RFC 5681 §4.1; Linux tcp_slow_start_after_idle, on by default)
 * @param cubicFastConvergence  CUBIC fast convergence (RFC 9438 §4.7: SHOULD be implemented; Linux
 *                              fast_convergence=1). Ignored by other algorithms
 * @param linuxSlowStart        slow start as Linux tcp_slow_start() and tcp_is_cwnd_limited() run it:
 *                              cwnd grows by everything an ACK acknowledges (up to ssthresh), and
 *                              while the window's largest flight (max_packets_out, which the sender
 *                              passes as the flight) is more than half of cwnd it counts as cwnd-limited.
 *                              Otherwise RFC 3465 §2.2 (growth per ACK at most L = 2·SMSS) and RFC
 *                              7661 (grow only while cwnd-limited), as FreeBSD's abc_l_var = 2
 */
public record CongestionConfig(CongestionControlFactory algorithm, int initialWindowSegments,
                               boolean slowStartAfterIdle, boolean cubicFastConvergence, boolean linuxSlowStart) {

    /** RFC 6928 §2. */
    public static final int DEFAULT_INITIAL_WINDOW_SEGMENTS = 10;

    public CongestionConfig {
        if (algorithm == null) {
            throw new IllegalArgumentException("algorithm: null (expected: a CongestionControlFactory, e.g. CongestionAlgorithm.CUBIC)");
        }
        if (initialWindowSegments < 1 || initialWindowSegments > 1024) {
            throw new IllegalArgumentException("initialWindowSegments: " + initialWindowSegments + " (expected: 1..1024)");
        }
    }

    /** A default Linux kernel: CUBIC, IW10, slow start after idle, fast convergence. */
    public static CongestionConfig linux() {
        return new CongestionConfig(CongestionAlgorithm.CUBIC, DEFAULT_INITIAL_WINDOW_SEGMENTS, true, true, true);
    }

    /** The RFC 5681 baseline: NewReno, IW10 (RFC 6928), slow start after idle. */
    public static CongestionConfig rfc() {
        return new CongestionConfig(CongestionAlgorithm.NEW_RENO, DEFAULT_INITIAL_WINDOW_SEGMENTS, true, true, false);
    }

    public CongestionConfig withAlgorithm(CongestionControlFactory a) {
        return new CongestionConfig(a, initialWindowSegments, slowStartAfterIdle, cubicFastConvergence, linuxSlowStart);
    }

    public CongestionConfig withInitialWindowSegments(int segments) {
        return new CongestionConfig(algorithm, segments, slowStartAfterIdle, cubicFastConvergence, linuxSlowStart);
    }

    public CongestionConfig withSlowStartAfterIdle(boolean on) {
        return new CongestionConfig(algorithm, initialWindowSegments, on, cubicFastConvergence, linuxSlowStart);
    }

    public CongestionConfig withCubicFastConvergence(boolean on) {
        return new CongestionConfig(algorithm, initialWindowSegments, slowStartAfterIdle, on, linuxSlowStart);
    }

    public CongestionConfig withLinuxSlowStart(boolean on) {
        return new CongestionConfig(algorithm, initialWindowSegments, slowStartAfterIdle, cubicFastConvergence, on);
    }

    /** A new controller of {@link #algorithm()} for a connection starting with {@code smssBytes}. */
    public CongestionControl newController(int smssBytes) {
        return algorithm.create(smssBytes, this);
    }
}
