package io.usertcp.tools.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Latencies in a long[] of bounded size (no histogram library). Until it is full every sample is
 * kept; after that each new sample replaces a random kept one with probability capacity / seen
 * (reservoir sampling, Vitter's algorithm R), so the kept ones stay a uniform sample of all of
 * them and the percentiles stay unbiased. The random source is seeded: the same input gives the
 * same percentiles.
 *
 * <p>Not thread-safe: one recording thread.
 */
public final class LatencySamples {
    /** Enough for any percentile we print (p99 needs a few hundred); 8 MB at most. */
    public static final int DEFAULT_CAPACITY = 1 << 20;

    private final long[] kept;
    private final SplittableRandom random;
    private int size;
    private long seen;

    /**
     * @param capacity how many samples are kept at most (1..{@value #DEFAULT_CAPACITY} × 16)
     * @param seed     seed of the replacement choice
     */
    public LatencySamples(int capacity, long seed) {
        if (capacity < 1 || capacity > DEFAULT_CAPACITY * 16) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1.." + DEFAULT_CAPACITY * 16 + ")");
        }
        this.kept = new long[capacity];
        this.random = new SplittableRandom(seed);
    }

    /** Records one latency in nanoseconds (negative values are refused: a clock error). */
    public void add(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("latency: " + nanos + " ns (expected: >= 0)");
        }
        seen++;
        if (size < kept.length) {
            kept[size++] = nanos;
            return;
        }
        long slot = random.nextLong(seen);
        if (slot < kept.length) {
            kept[(int) slot] = nanos;
        }
    }

    /** How many latencies were recorded (kept or not). */
    public long count() {
        return seen;
    }

    /** How many are kept. */
    public int keptCount() {
        return size;
    }

    /** The kept samples, sorted, for several percentile look-ups. */
    public Sorted sorted() {
        long[] copy = Arrays.copyOf(kept, size);
        Arrays.sort(copy);
        return new Sorted(copy);
    }

    /** Sorted samples. */
    public static final class Sorted {
        private final long[] values;

        Sorted(long[] values) {
            this.values = values;
        }

        /**
         * The nearest-rank percentile: the smallest sample with at least {@code p} % of the samples
         * at or below it.
         *
         * @param p in (0, 100]
         * @throws IllegalStateException when there are no samples
         */
        public long percentile(double p) {
            if (!(p > 0 && p <= 100)) {
                throw new IllegalArgumentException("percentile: " + p + " (expected: 0 < p <= 100)");
            }
            if (values.length == 0) {
                throw new IllegalStateException("no samples: nothing was measured");
            }
            int rank = (int) Math.ceil(p / 100.0 * values.length);
            return values[Math.max(0, rank - 1)];
        }

        public int size() {
            return values.length;
        }
    }
}
