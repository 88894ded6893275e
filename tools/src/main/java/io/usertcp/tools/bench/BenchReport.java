package io.usertcp.tools.bench;

import java.time.Instant;
import java.util.List;

/**
 * A finished run: where and when, with which options, each row, and how long it took.
 *
 * @param loadAfter the 1-minute load average at the end
 */
public record BenchReport(MachineInfo machine, BenchOptions options, Instant started, long elapsedNanos,
                          double loadAfter, List<Measurement> rows) {

    public BenchReport {
        rows = List.copyOf(rows);
    }

    /** Whether every row was measured on both sides. */
    public boolean allComplete() {
        return !rows.isEmpty() && rows.stream().allMatch(Measurement::complete);
    }

    /** The rows that failed. */
    public List<Measurement> failures() {
        return rows.stream().filter(r -> !r.complete()).toList();
    }
}
