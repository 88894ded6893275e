package io.usertcp.tools.bench;

import org.HdrHistogram.Histogram;

/**
 * Round-trip latencies in an HdrHistogram: every sample is recorded (none is sampled away), in
 * nanoseconds from 1 ns to one hour, with three significant digits, so a percentile is within
 * 0.1 % of the exact one whatever the run's length, in a fixed amount of memory (about 200 KB).
 *
 * <p>Not thread-safe: one recording thread.
 */
public final class Latencies {
    /** One hour: any round trip longer than that is a stuck run, refused. */
    static final long MAX_NANOS = 3_600_000_000_000L;

    private final Histogram histogram = new Histogram(1, MAX_NANOS, 3);

    /** Records one latency in nanoseconds (negative values are a clock error and refused; 0 counts as 1 ns). */
    public void add(long nanos) {
        if (nanos < 0 || nanos > MAX_NANOS) {
            throw new IllegalArgumentException("latency: " + nanos + " ns (expected: 0.." + MAX_NANOS + ")");
        }
        histogram.recordValue(Math.max(1, nanos));
    }

    /** How many latencies were recorded. */
    public long count() {
        return histogram.getTotalCount();
    }

    /**
     * The latency at or below which {@code p} % of the samples lie (HdrHistogram's
     * getValueAtPercentile(): the highest value equivalent, within 0.1 %, to the nearest-rank one).
     *
     * @param p in (0, 100]
     * @throws IllegalStateException when nothing was recorded
     */
    public long percentile(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: " + p + " (expected: 0 < p <= 100)");
        }
        if (count() == 0) {
            throw new IllegalStateException("no samples: nothing was measured");
        }
        return histogram.getValueAtPercentile(p);
    }

    public long max() {
        return histogram.getMaxValue();
    }
}
