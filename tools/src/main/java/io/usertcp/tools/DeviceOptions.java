package io.usertcp.tools;

import io.usertcp.tun.BenchmarkRange;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * The TUN device and addresses of {@code serve} and {@code connect} (a picocli mixin): the device
 * is still made in a new namespace of ours, and the addresses must lie in 198.18.0.0/15, the range
 * set aside for benchmarking (DESIGN.md §10); anything else is refused with one line.
 */
public final class DeviceOptions {
    /** Interface names: fewer than IFNAMSIZ (16) bytes, of the characters ip(8) and udev accept without quoting. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    static final int MAX_NAME_LENGTH = 15;

    @Option(names = "--dev", paramLabel = "NAME", defaultValue = TunStackHost.DEVICE,
            description = "The TUN device's name in the new namespace (at most 15 of A-Z a-z 0-9 _ . -; default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--kernel-addr", paramLabel = "ADDR", defaultValue = "198.18.0.1",
            description = "The namespace kernel's address on the device, in 198.18.0.0/15 (default: ${DEFAULT-VALUE}).")
    String kernelAddress;

    @Option(names = "--stack-addr", paramLabel = "ADDR", defaultValue = "198.18.0.2",
            description = "Our stack's address, in 198.18.0.0/15 and the kernel's subnet (default: ${DEFAULT-VALUE}).")
    String stackAddress;

    @Option(names = "--prefix-length", paramLabel = "N", defaultValue = "24",
            description = "The subnet's prefix length, 15..30 (default: ${DEFAULT-VALUE}).")
    int prefixLength;

    /**
     * The layout the options describe.
     *
     * @throws IllegalArgumentException with the one line to show: a bad name, an address outside
     *         198.18.0.0/15, or addresses that do not share a subnet
     */
    TunStackHost.Layout layout() {
        if (device.isEmpty() || device.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("--dev '" + device + "': " + device.length()
                    + " characters (expected: 1.." + MAX_NAME_LENGTH + ", the kernel's IFNAMSIZ less its NUL)");
        }
        if (!NAME.matcher(device).matches()) {
            throw new IllegalArgumentException("--dev '" + device + "': expected only A-Z a-z 0-9 _ . - and not starting with . or -");
        }
        if (device.equals("lo")) {
            throw new IllegalArgumentException("--dev lo: that is the namespace's loopback device (expected: a new name)");
        }
        Ipv4Address kernel = address("--kernel-addr", kernelAddress);
        Ipv4Address stack = address("--stack-addr", stackAddress);
        return new TunStackHost.Layout(device, kernel, stack, prefixLength);
    }

    private static Ipv4Address address(String option, String text) {
        try {
            return new Ipv4Address(BenchmarkRange.requireAddress(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + text + ": expected an address in 198.18.0.0/15, the range"
                    + " set aside for benchmarking; usertcp configures no other");
        }
    }
}
