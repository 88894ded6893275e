package io.usertcp.tcp;

/**
 * Linux's sender chronographs (tcp_chrono_start(), tcp_chrono_stop(), tcp_chrono_set()): how long
 * the connection has had data to send, and how much of that time the peer's receive window or
 * the send buffer held it back. They feed {@code tcpi_busy_time}, {@code tcpi_rwnd_limited} and
 * {@code tcpi_sndbuf_limited} (tcp_get_info_chrono_stats()).
 *
 * <p>One chronograph runs at a time, the highest of the conditions that hold: sndbuf-limited over
 * rwnd-limited over busy. Busy time is the sum of all three. Linux counts in jiffies; this stack
 * in nanoseconds. Pure state on the connection's thread.
 */
final class SendChrono {
    /** The conditions, in rising priority (Linux enum tcp_chrono). */
    enum Type {
        /** Nothing to send (TCP_CHRONO_UNSPEC). */
        NONE,
        /** Data queued or in flight (TCP_CHRONO_BUSY). */
        BUSY,
        /** Data queued that the peer's window holds back (TCP_CHRONO_RWND_LIMITED). */
        RWND_LIMITED,
        /** Everything sent and the application waiting for send-buffer room (TCP_CHRONO_SNDBUF_LIMITED). */
        SNDBUF_LIMITED
    }

    private Type type = Type.NONE;
    private long startNanos;
    private final long[] totalNanos = new long[Type.values().length];

    /** tcp_chrono_start(): {@code t} holds now; it runs if it outranks the running one. */
    void start(Type t, long nowNanos) {
        if (t.ordinal() > type.ordinal()) {
            set(t, nowNanos);
        }
    }

    /**
     * tcp_chrono_stop(): {@code t} no longer holds. With nothing queued or in flight every
     * chronograph stops; otherwise, if {@code t} was the one running, busy takes over.
     */
    void stop(Type t, long nowNanos, boolean queuesEmpty) {
        if (queuesEmpty) {
            set(Type.NONE, nowNanos);
        } else if (t == type) {
            set(Type.BUSY, nowNanos);
        }
    }

    private void set(Type t, long nowNanos) {
        if (type != Type.NONE) {
            totalNanos[type.ordinal()] += nowNanos - startNanos;
        }
        type = t;
        startNanos = nowNanos;
    }

    /** The time counted under {@code t} so far, the running stretch included. */
    long nanos(Type t, long nowNanos) {
        return totalNanos[t.ordinal()] + (t == type && t != Type.NONE ? nowNanos - startNanos : 0);
    }

    /** {@code tcpi_busy_time}: the three together. */
    long busyNanos(long nowNanos) {
        return nanos(Type.BUSY, nowNanos) + nanos(Type.RWND_LIMITED, nowNanos) + nanos(Type.SNDBUF_LIMITED, nowNanos);
    }

    Type running() {
        return type;
    }
}
