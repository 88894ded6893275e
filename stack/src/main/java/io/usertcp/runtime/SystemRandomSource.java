package io.usertcp.runtime;

import io.usertcp.core.RandomSource;
import java.security.SecureRandom;

/**
 * Production randomness for a stack: ISN and SYN-cookie secrets, ephemeral ports and IP ids must be
 * unpredictable to off-path attackers (RFC 6528 §3, RFC 6056). Lives in {@code runtime} because the
 * pure core draws no randomness of its own.
 */
public final class SystemRandomSource implements RandomSource {
    private final SecureRandom random = new SecureRandom();

    @Override
    public long nextLong() {
        return random.nextLong();
    }
}
