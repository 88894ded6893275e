package io.usertcp.core;

/**
 * The stack's only source of randomness (DESIGN.md §2): ephemeral ports, IP identification, and
 * the secret keys of ISNs and SYN cookies. Production passes a {@code SecureRandom}-backed source;
 * tests and simulations pass a seeded one so runs repeat exactly.
 */
@FunctionalInterface
public interface RandomSource {
    /** 64 random bits. */
    long nextLong();

    /** A uniformly distributed int in {@code [0, bound)}. */
    default int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound: " + bound + " (expected: > 0)");
        }
        return (int) Long.remainderUnsigned(nextLong(), bound);
    }

    /** A deterministic source (SplitMix64), for tests and simulations. */
    static RandomSource seeded(long seed) {
        long[] state = {seed};
        return () -> {
            long z = (state[0] += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        };
    }
}
