package io.usertcp.testkit;

/** Monotonic virtual time for tests: starts at an arbitrary non-zero point and moves only when told. */
public final class VirtualClock {
    /** A start far from zero, so code that confuses "0" with "unset" shows up. */
    public static final long START_NANOS = 1_000_000_000_000L;
    private long nowNanos = START_NANOS;

    public long nowNanos() {
        return nowNanos;
    }

    /** Moves to {@code nanos}; time never goes back. */
    public void setNanos(long nanos) {
        if (nanos < nowNanos) {
            throw new IllegalArgumentException("time: " + nanos + " (expected: >= now " + nowNanos + ")");
        }
        nowNanos = nanos;
    }

    public static long millis(long ms) {
        return ms * 1_000_000L;
    }

    public static long seconds(long s) {
        return s * 1_000_000_000L;
    }
}
