package io.usertcp.core;

/**
 * A stack-wide budget for the memory that received data holds (Linux tcp_mem, for the receive
 * side): every receive buffer and out-of-order queue charges what its buffers really hold. Below
 * three quarters of the limit all is normal; from there on the stack is under pressure and no
 * window grows; at the limit new data is refused, after the connection's own out-of-order queue
 * has been pruned (Linux tcp_prune_queue), and the peer sends it again. So a flood cannot grow
 * memory until an allocation fails.
 *
 * <p>Pure and single-threaded, like the rest of the core.
 */
public final class MemoryBudget {
    /** How full the budget is. */
    public enum Level { NORMAL, PRESSURE, EXCEEDED }

    private final long limitBytes;
    private final long pressureBytes;
    private long chargedBytes;

    /** @param limitBytes the most received data may hold, stack-wide (Linux tcp_mem[2]) */
    public MemoryBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("memory limit: " + limitBytes + " bytes (expected: > 0)");
        }
        this.limitBytes = limitBytes;
        this.pressureBytes = limitBytes / 4 * 3;
    }

    /** A budget nothing exhausts, for a buffer tested alone. */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    /** Memory taken ({@code bytes > 0}) or given back ({@code bytes < 0}). */
    public void charge(long bytes) {
        chargedBytes += bytes;
    }

    public long chargedBytes() {
        return chargedBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public Level level() {
        if (chargedBytes >= limitBytes) {
            return Level.EXCEEDED;
        }
        return chargedBytes >= pressureBytes ? Level.PRESSURE : Level.NORMAL;
    }
}
