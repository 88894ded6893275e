package io.usertcp.core;

/**
 * Which of several stacks (shards, one per TUN queue and thread) owns a flow: the one place that
 * decides it. A flow is its four-tuple seen from our side; {@link #of} hashes it, so every
 * packet of a connection, in either direction and on whichever queue the kernel put it, belongs to
 * the same shard, and a shard that opens a connection picks an ephemeral port whose tuple it owns
 * ({@link #owns}). One shard of one ({@link #ONLY}) owns everything.
 *
 * <p>Linux's TUN spreads flows over queues by their hash and then by the queue we last wrote each
 * flow on (tun_automq_select_queue()); since every shard writes only its own flows on its own
 * queue, packets mostly arrive where they belong, and the rest are handed over
 * ({@link io.usertcp.runtime.ShardedLink}).
 *
 * @param index this shard, 0 .. count - 1
 * @param count how many shards share the address
 */
public record Shard(int index, int count) {
    /** The only shard: an unsharded stack. */
    public static final Shard ONLY = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("shard " + index + " of " + count + " (expected: 0 <= index < count, count >= 1)");
        }
    }

    /** Whether this shard owns the flow. */
    public boolean owns(int localAddress, int localPort, int remoteAddress, int remotePort) {
        return count == 1 || of(localAddress, localPort, remoteAddress, remotePort, count) == index;
    }

    /**
     * The shard of a flow among {@code count}: a 64-bit mix (SplitMix64's finaliser) of the
     * four-tuple, reduced modulo the count. Deterministic and the same in every JVM.
     */
    public static int of(int localAddress, int localPort, int remoteAddress, int remotePort, int count) {
        if (count == 1) {
            return 0;
        }
        long h = ((long) localAddress << 32) ^ (remoteAddress & 0xFFFF_FFFFL);
        h ^= ((long) (localPort & 0xFFFF) << 48) ^ ((long) (remotePort & 0xFFFF) << 16);
        h ^= h >>> 30;
        h *= 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 27;
        h *= 0x94D0_49BB_1331_11EBL;
        h ^= h >>> 31;
        return (int) Long.remainderUnsigned(h, count);
    }
}
