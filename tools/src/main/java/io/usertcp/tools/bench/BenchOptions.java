package io.usertcp.tools.bench;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What one run of {@code usertcp bench} measures and for how long.
 *
 * @param cases           the cases to run (in {@link BenchCase} order)
 * @param durationNanos   how long each timed measurement runs (each side, each variant)
 * @param warmupNanos     untimed run before each timed one, so that both sides are compiled and warm
 * @param memoryCounts    how many connections (and TIME-WAIT entries) the memory case holds
 * @param lossRates       the shares of data segments the loss case drops at the receiver's ingress, a pair of
 *                        rows each
 * @param clientThreads   concurrent clients of the connection-rate case
 * @param quick           the fast variant the tests run: short durations, small counts
 * @param profile         the behaviour profile our stack runs, with its reference's numbers
 *                        ({@link TcpConfig#forProfile}); the kernel baseline keeps its own defaults
 */
public record BenchOptions(Set<BenchCase> cases, long durationNanos, long warmupNanos, List<Integer> memoryCounts,
                           List<LossRate> lossRates, int clientThreads, boolean quick, TcpProfile profile) {
    /** The longest {@code --duration}, in seconds: keeps a run bounded. */
    public static final int MAX_DURATION_SECONDS = 600;
    /** The largest memory count: 7 holder processes of 15 000 connections each, and some room. */
    public static final int MAX_MEMORY_COUNT = 200_000;

    private static final long SECOND = 1_000_000_000L;

    public BenchOptions {
        cases = cases.isEmpty() ? EnumSet.noneOf(BenchCase.class) : EnumSet.copyOf(cases);
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("cases: none (expected: at least one of " + BenchCase.names() + ")");
        }
        if (durationNanos <= 0 || durationNanos > MAX_DURATION_SECONDS * SECOND) {
            throw new IllegalArgumentException("duration: " + durationNanos + " ns (expected: 1 ns.."
                    + MAX_DURATION_SECONDS + " s)");
        }
        if (warmupNanos < 0) {
            throw new IllegalArgumentException("warmup: " + warmupNanos + " ns (expected: >= 0)");
        }
        memoryCounts = List.copyOf(memoryCounts);
        for (int count : memoryCounts) {
            if (count < 1 || count > MAX_MEMORY_COUNT) {
                throw new IllegalArgumentException("memory count: " + count + " (expected: 1.." + MAX_MEMORY_COUNT + ")");
            }
        }
        lossRates = List.copyOf(lossRates);
        if (lossRates.isEmpty()) {
            throw new IllegalArgumentException("loss: no rate (expected: at least one, such as 1)");
        }
        if (clientThreads < 1 || clientThreads > 16) {
            throw new IllegalArgumentException("client threads: " + clientThreads + " (expected: 1..16)");
        }
        if (profile == null) {
            throw new IllegalArgumentException("profile: null (expected: e.g. TcpProfile.linux())");
        }
    }

    /** The loss case's rates in a full run: 0.1, 1 and 5 %, as the loss recovery issue measures. */
    public static final List<LossRate> FULL_LOSS_RATES = List.of(new LossRate(1), new LossRate(10), new LossRate(50));

    /**
     * The full run: {@code durationSeconds} per measurement, 1 s warm-up, 10 000 and 100 000
     * connections, our stack in the linux profile.
     */
    public static BenchOptions full(Set<BenchCase> cases, double durationSeconds) {
        return new BenchOptions(cases, seconds(durationSeconds), SECOND, List.of(10_000, 100_000), FULL_LOSS_RATES, 4, false,
                TcpProfile.linux());
    }

    /** The fast variant for tests: 0.4 s per measurement, 0.2 s warm-up, 300 and 600 connections, the linux profile. */
    public static BenchOptions quick(Set<BenchCase> cases) {
        return new BenchOptions(cases, 400_000_000L, 200_000_000L, List.of(300, 600), List.of(new LossRate(10)), 2, true,
                TcpProfile.linux());
    }

    /** The same options with another duration per measurement. */
    public BenchOptions withDuration(double durationSeconds) {
        return new BenchOptions(cases, seconds(durationSeconds), warmupNanos, memoryCounts, lossRates, clientThreads, quick,
                profile);
    }

    /** The same options with other memory counts. */
    public BenchOptions withMemoryCounts(List<Integer> counts) {
        return new BenchOptions(cases, durationNanos, warmupNanos, counts, lossRates, clientThreads, quick, profile);
    }

    /** The same options with other loss rates. */
    public BenchOptions withLossRates(List<LossRate> rates) {
        return new BenchOptions(cases, durationNanos, warmupNanos, memoryCounts, rates, clientThreads, quick, profile);
    }

    /** The same options with our stack in another behaviour profile. */
    public BenchOptions withProfile(TcpProfile profile) {
        return new BenchOptions(cases, durationNanos, warmupNanos, memoryCounts, lossRates, clientThreads, quick, profile);
    }

    private static long seconds(double s) {
        if (!(s > 0) || s > MAX_DURATION_SECONDS) {
            throw new IllegalArgumentException("duration: " + s + " s (expected: > 0 and <= " + MAX_DURATION_SECONDS + ")");
        }
        return Math.round(s * SECOND);
    }

    /** Socket read and connect timeout: long enough for a slow side, short enough to end a stall. */
    int socketTimeoutMillis() {
        return quick ? 10_000 : 20_000;
    }
}
