package io.usertcp.tools;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import picocli.CommandLine.Option;

/**
 * {@code --profile linux|rfc|freebsd}, shared by every command that runs a stack (a picocli mixin):
 * the behaviour profile our stack runs and the reference numbers that come with it
 * ({@link TcpConfig#forProfile}). What a command shortens or changes on top (a scenario's timers,
 * the bench's TIME-WAIT) is applied to that profile's configuration. The value is checked in the
 * command's {@code call()}, so that a bad one is one line and exit code 2, like the other usage
 * errors.
 */
public final class ProfileOption {
    /** The values {@code --profile} takes, for help texts and messages. */
    static final String VALUES = "linux, rfc or freebsd";

    @Option(names = "--profile", paramLabel = "linux|rfc|freebsd", defaultValue = "linux",
            description = "Our stack's behaviour and reference numbers: linux (a Linux 6.x kernel), rfc (the RFCs' letter:"
                    + " MSL 2 min, RTO min 1 s) or freebsd (default: ${DEFAULT-VALUE}).")
    String name = "linux";

    /**
     * The profile named.
     *
     * @throws IllegalArgumentException with the one line to show when the name is not linux, rfc or freebsd
     */
    TcpProfile profile() {
        return parse(name);
    }

    /** {@code name} as a built-in profile; the message names the option and what it takes. */
    static TcpProfile parse(String name) {
        try {
            return TcpProfile.of(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--profile " + name + ": expected " + VALUES);
        }
    }
}
