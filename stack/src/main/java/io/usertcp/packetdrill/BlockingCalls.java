package io.usertcp.packetdrill;

/**
 * System calls and their results, with blocking modelled on virtual time: a call that blocks
 * ({@code start...end} in the script) waits while the script goes on, is attempted again after
 * every step of the stack, and must return at its scripted end time; packetdrill has one system
 * call thread, so the next call waits for it. A call written without an end time may block only
 * within the time tolerance.
 */
public final class BlockingCalls {

    /** What the calls need from the interpreter's clock. */
    interface Clock {
        long nowNanos();

        /** Fires the timers due at the next deadline if it is at or before {@code limit}; false if none is. */
        boolean fireNextTimer(long limit);

        /** Hands what the stack has to send to the capture, without polling blocked calls. */
        void transmit();

        /** The time tolerance for something scripted at {@code end} after an event at {@code start}. */
        long tolerance(long start, long end);

        /** Told what a call returned, before it is checked (for the run's trace). */
        default void returned(Event.Syscall s, Syscalls.Outcome o) {}
    }

    /** A blocking call that has not returned yet. */
    private record Pending(Event.Syscall event, Syscalls.Call call, long endNanos, long toleranceNanos) {}

    private final Clock clock;
    private Pending pending;
    private boolean polling;

    BlockingCalls(Clock clock) {
        this.clock = clock;
    }

    /**
     * Makes the call at {@code start}.
     *
     * @param end          when a {@code start...end} call must return, or -1 for a call that must not block
     * @param latestReturn until when a call without an end time may block
     */
    void start(Event.Syscall s, Syscalls.Call call, long start, long end, long latestReturn) {
        Syscalls.Outcome o = call.attempt();
        clock.transmit();
        if (o.result().isBlocked()) {
            if (end >= 0) {
                pending = new Pending(s, call, end, clock.tolerance(start, end));
                return;
            }
            o = awaitReturn(call, latestReturn);
            if (o == null) {
                throw ScriptFailure.at(s, "the call blocked; a blocking call is written start...end in a script",
                        expectedResult(s), "(blocked)");
            }
        } else if (end >= 0) {
            checkReturnTime(s, end, clock.tolerance(start, end));
        }
        clock.returned(s, o);
        checkResult(s, o);
    }

    /** Lets the clock run until the call returns, at most until {@code limit}; null if it does not. */
    private Syscalls.Outcome awaitReturn(Syscalls.Call call, long limit) {
        while (true) {
            Syscalls.Outcome o = call.attempt();
            if (!o.result().isBlocked()) {
                clock.transmit();
                return o;
            }
            if (!clock.fireNextTimer(limit)) {
                return null;
            }
        }
    }

    /** After every step of the stack: a blocked call returns if it can, at this virtual time. */
    void poll() {
        if (pending == null || polling) {
            return;
        }
        polling = true;
        try {
            Syscalls.Outcome o = pending.call().attempt();
            if (o.result().isBlocked()) {
                return;
            }
            Pending p = pending;
            pending = null;
            clock.transmit();
            checkReturnTime(p.event(), p.endNanos(), p.toleranceNanos());
            clock.returned(p.event(), o);
            checkResult(p.event(), o);
        } finally {
            polling = false;
        }
    }

    /** Runs the clock until the blocked call, if any, returns; fails when it has not by its end time. */
    void awaitPending() {
        Pending p = pending;
        while (pending != null) {
            long limit = p.endNanos() + p.toleranceNanos();
            if (!clock.fireNextTimer(limit)) {
                throw ScriptFailure.at(p.event(), "the blocking call had not returned by " + Interpreter.seconds(limit)
                        + " s", expectedResult(p.event()) + " at " + Interpreter.seconds(p.endNanos()) + " s", "(still blocked)");
            }
        }
    }

    private void checkReturnTime(Event.Syscall s, long end, long tol) {
        long now = clock.nowNanos();
        if (now < end - tol || now > end + tol) {
            throw ScriptFailure.at(s, "timing error: the call should return at " + Interpreter.seconds(end) + " s (tolerance "
                    + Interpreter.duration(tol) + " s) but returned at " + Interpreter.seconds(now) + " s", expectedResult(s), null);
        }
    }

    /**
     * Real Linux socket options the runner does not emulate: a script that sets one is unsupported
     * (an option name outside this list that the stack lacks is a failure, as a typo would be).
     */
    static final java.util.Set<String> UNEMULATED_OPTIONS = java.util.Set.of("TCP_FASTOPEN_KEY",
            "TCP_FASTOPEN_NO_COOKIE", "SO_ZEROCOPY", "TCP_MAXSEG", "IP_FREEBIND", "TCP_NOTSENT_LOWAT",
            "TCP_CONGESTION", "TCP_INQ", "SO_TIMESTAMPING", "TCP_MD5SIG", "TCP_MD5SIG_EXT", "TCP_SAVE_SYN", "TCP_SAVED_SYN",
            "TCP_REPAIR", "TCP_CORK", "TCP_QUICKACK", "TCP_WINDOW_CLAMP", "TCP_THIN_LINEAR_TIMEOUTS",
            "TCP_LINGER2", "TCP_DEFER_ACCEPT", "SO_MAX_PACING_RATE", "TCP_TX_DELAY", "TCP_ZEROCOPY_RECEIVE", "IP_TOS",
            "IP_MTU_DISCOVER", "SO_RCVLOWAT", "SO_TXTIME", "TCP_ULP");

    /**
     * The returned value, errno and (getsockopt) output value against the script.
     *
     * @throws ScriptFailure when they differ (unsupported when an option not emulated here was refused)
     */
    public static void checkResult(Event.Syscall s, Syscalls.Outcome o) {
        SyscallResult r = o.result();
        String problem = null;
        if (s.result() instanceof Expr.Int want && r.value() != want.value()) {
            problem = "returned " + r.format() + ", the script expects " + expectedResult(s);
        } else if (!(s.result() instanceof Expr.Int) && !(s.result() instanceof Expr.Ellipsis)) {
            throw ScriptFailure.at(s, "result " + s.result().format() + ": expected a number", null, null);
        } else if (s.errno() != null) {
            Errno want = Errno.byName(s.errno());
            if (want == null) {
                throw ScriptFailure.at(s, "unknown errno " + s.errno(), null, null);
            }
            if (r.errno() != want) {
                problem = "returned " + r.format() + ", the script expects " + expectedResult(s);
            }
        }
        if (problem == null && o.outputProblem() != null) {
            problem = s.name() + ": " + o.outputProblem();
        }
        if (problem != null && r.errno() == Errno.ENOPROTOOPT && !"ENOPROTOOPT".equals(s.errno()) && s.args().size() > 2
                && s.args().get(2) instanceof Expr.Symbol option && UNEMULATED_OPTIONS.contains(option.name())) {
            throw ScriptFailure.unsupported(s, s.name() + " " + r.detail());
        }
        if (problem != null) {
            throw ScriptFailure.at(s, problem, s.call() + " = " + expectedResult(s), s.call() + " = " + r.format());
        }
    }

    /** A call's scripted result as written: {@code -1 EAGAIN}. */
    public static String expectedResult(Event.Syscall s) {
        return s.result().format() + (s.errno() != null ? " " + s.errno() : "");
    }
}
