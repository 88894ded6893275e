package io.usertcp.tun;

import io.usertcp.wire.Ipv4Address;

/**
 * The only IPv4 addresses this module ever configures: 198.18.0.0/15, set aside for benchmarking
 * (RFC 2544 §C.2.2, RFC 6890). Every address, prefix and route handed to {@link NetworkNamespace}
 * goes through here and anything outside the range is refused (DESIGN.md §10).
 */
public final class BenchmarkRange {
    /** 198.18.0.0 as an {@code int}. */
    public static final int NETWORK = 0xC6120000;
    /** The range's prefix length. */
    public static final int PREFIX_LENGTH = 15;
    private static final int MASK = -1 << (32 - PREFIX_LENGTH);

    private BenchmarkRange() {}

    /** Whether the address (the {@code int} form of {@link Ipv4Address}) lies in 198.18.0.0/15. */
    public static boolean contains(int address) {
        return (address & MASK) == NETWORK;
    }

    /**
     * Checks a host address such as {@code "198.18.0.1"}.
     *
     * @return the address as an {@code int}
     * @throws IllegalArgumentException when it is malformed or outside 198.18.0.0/15
     */
    public static int requireAddress(String address) {
        if (address == null) {
            throw new IllegalArgumentException("address: null (expected: an address in 198.18.0.0/15)");
        }
        int bits = Ipv4Address.parse(address);
        if (!contains(bits)) {
            throw new IllegalArgumentException("address: " + address + " (expected: an address in 198.18.0.0/15)");
        }
        return bits;
    }

    /**
     * Checks an address with prefix length such as {@code "198.18.0.1/24"}: the address must lie in
     * 198.18.0.0/15 and the prefix must be no wider than /15, so that the whole network it names
     * does too.
     *
     * @return the text, unchanged
     * @throws IllegalArgumentException otherwise
     */
    public static String requirePrefix(String cidr) {
        if (cidr == null) {
            throw new IllegalArgumentException("prefix: null (expected: a.b.c.d/nn inside 198.18.0.0/15)");
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("prefix: " + cidr + " (expected: a.b.c.d/nn inside 198.18.0.0/15)");
        }
        String lengthText = cidr.substring(slash + 1);
        if (!lengthText.matches("[0-9]{1,2}")) {
            throw new IllegalArgumentException("prefix length: '" + lengthText + "' in " + cidr + " (expected: 15..32)");
        }
        int length = Integer.parseInt(lengthText);
        if (length < PREFIX_LENGTH || length > 32) {
            throw new IllegalArgumentException("prefix length: " + length + " in " + cidr
                    + " (expected: 15..32, so that the network stays inside 198.18.0.0/15)");
        }
        int bits = Ipv4Address.parse(cidr.substring(0, slash));
        if (!contains(bits)) {
            throw new IllegalArgumentException("prefix: " + cidr + " (expected: inside 198.18.0.0/15)");
        }
        return cidr;
    }
}
