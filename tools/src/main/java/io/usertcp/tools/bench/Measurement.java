package io.usertcp.tools.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the result: our figure, the kernel's figure measured the same way in the same run,
 * and their ratio (ours / kernel). A row whose measurement failed carries the error and NaN for
 * the side that could not be measured.
 *
 * @param caseName which {@link BenchCase} it belongs to (its CLI name)
 * @param name     what was measured, e.g. {@code "kernel -> usertcp, MTU 1500"}
 * @param unit     e.g. {@code "Gbit/s"}, {@code "us"}, {@code "B/conn"}
 * @param better   whether a higher or a lower figure is better (for reading the ratio)
 * @param details  extra facts for the JSON (counts, bytes, seconds), in insertion order
 * @param error    why the row is incomplete, or {@code null}
 */
public record Measurement(String caseName, String name, String unit, Better better, double ours, double kernel,
                          Map<String, Object> details, String error) {

    /** Which direction of the figure is the good one. */
    public enum Better {
        HIGHER, LOWER;

        /** {@code "higher"} or {@code "lower"}. */
        public String word() {
            return this == HIGHER ? "higher" : "lower";
        }
    }

    public Measurement {
        if (caseName == null || name == null || unit == null || better == null) {
            throw new IllegalArgumentException("caseName, name, unit and better must not be null");
        }
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details == null ? Map.of() : details));
    }

    /** A complete row. */
    public static Measurement of(String caseName, String name, String unit, Better better, double ours, double kernel,
                                 Map<String, Object> details) {
        return new Measurement(caseName, name, unit, better, ours, kernel, details, null);
    }

    /** ours / kernel; NaN when either is missing or the kernel's figure is not positive. */
    public double ratio() {
        return ratio(ours, kernel);
    }

    /**
     * ours / kernel. For rates above 1 means we are faster; for latency and memory, above 1 means we
     * take more.
     *
     * @return NaN when either figure is NaN, infinite or negative, or the kernel's is zero
     */
    public static double ratio(double ours, double kernel) {
        if (!Double.isFinite(ours) || !Double.isFinite(kernel) || ours < 0 || kernel <= 0) {
            return Double.NaN;
        }
        return ours / kernel;
    }

    /** Whether both figures were measured and are positive. */
    public boolean complete() {
        return error == null && Double.isFinite(ours) && Double.isFinite(kernel) && ours > 0 && kernel > 0;
    }

    /** The same row with an error attached (the figures measured so far stay). */
    public Measurement withError(String why) {
        return new Measurement(caseName, name, unit, better, ours, kernel, details, why);
    }
}
