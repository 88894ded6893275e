package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConfig;

/**
 * How to run a script.
 *
 * @param profile    how strictly outbound segments are compared
 * @param baseConfig the stack's behaviour before the script's {@code sysctl} lines change it
 * @param seed       seeds the stack's randomness (ISNs, ephemeral ports, timestamp offsets), so a
 *                   run repeats exactly
 */
public record RunOptions(Profile profile, TcpConfig baseConfig, long seed) {
    public RunOptions {
        if (profile == null || baseConfig == null) {
            throw new IllegalArgumentException("profile and baseConfig must not be null");
        }
    }

    /** The profile, Linux's default behaviour, a fixed seed. */
    public static RunOptions of(Profile profile) {
        return new RunOptions(profile, TcpConfig.linux(), 0x5eed_7c9L);
    }
}
