package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;

/**
 * How to run a script.
 *
 * @param comparison how strictly outbound segments are compared
 * @param baseConfig the stack's numbers and behaviour profile before the script's {@code sysctl}
 *                   lines change them
 * @param seed       seeds the stack's randomness (ISNs, ephemeral ports, timestamp offsets), so a
 *                   run repeats exactly
 * @param isnRelative google/packetdrill's sequence numbers (the Linux corpus): a SYN's as written,
 *                   every other segment's counted from its sender's ISN ({@code < S. 123:123(0) ack 1}
 *                   then {@code > . 1:1(0) ack 1}); otherwise the virtual runner's way, the remote
 *                   side's values as written (the FreeBSD suite's scripts)
 */
public record RunOptions(Comparison comparison, TcpConfig baseConfig, long seed, boolean isnRelative) {
    /** The seed every run uses unless told otherwise. */
    public static final long DEFAULT_SEED = 0x5eed_7c9L;

    public RunOptions {
        if (comparison == null || baseConfig == null) {
            throw new IllegalArgumentException("comparison and baseConfig must not be null");
        }
    }

    /** The virtual runner's sequence numbers ({@code isnRelative} off). */
    public RunOptions(Comparison comparison, TcpConfig baseConfig, long seed) {
        this(comparison, baseConfig, seed, false);
    }

    /** These options with google/packetdrill's sequence numbers on or off. */
    public RunOptions withIsnRelative(boolean on) {
        return new RunOptions(comparison, baseConfig, seed, on);
    }

    /** The stack behaviour the script runs against. */
    public TcpProfile profile() {
        return baseConfig.profile();
    }

    /** The profile with its reference's numbers and default comparison, a fixed seed. */
    public static RunOptions of(TcpProfile profile) {
        return new RunOptions(Comparison.defaultFor(profile), TcpConfig.forProfile(profile), DEFAULT_SEED);
    }

    /** The profile with its reference's numbers, the given comparison, a fixed seed. */
    public static RunOptions of(TcpProfile profile, Comparison comparison) {
        return new RunOptions(comparison, TcpConfig.forProfile(profile), DEFAULT_SEED);
    }
}
