package io.usertcp.wire;

/**
 * An IPv4 address as a value. The hot path carries addresses as plain {@code int}s (network byte
 * order read as a big-endian int); this record is for values, configuration and printing.
 */
public record Ipv4Address(int bits) implements Comparable<Ipv4Address> {

    /** Parses dotted-quad text such as {@code "198.18.0.1"}. */
    public static Ipv4Address of(String dotted) {
        return new Ipv4Address(parse(dotted));
    }

    /**
     * Parses dotted-quad text into the {@code int} form.
     *
     * @throws IllegalArgumentException when the text is not four decimal numbers 0..255
     */
    public static int parse(String dotted) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("IPv4 address: '" + dotted + "' (expected: a.b.c.d)");
        }
        int bits = 0;
        for (String part : parts) {
            int octet = parseOctet(part);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("IPv4 address: '" + dotted + "' (expected: four numbers 0..255)");
            }
            bits = (bits << 8) | octet;
        }
        return bits;
    }

    /** One to three ASCII digits as a number, else -1 (Integer.parseInt would also take "+1" and non-ASCII digits). */
    private static int parseOctet(String part) {
        if (part.isEmpty() || part.length() > 3) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** Dotted-quad text of the {@code int} form. */
    /** Whether {@code bits} lies in 127.0.0.0/8 (RFC 1122 §3.2.1.3: loopback). */
    public static boolean isLoopback(int bits) {
        return (bits >>> 24) == 127;
    }

    public static String format(int bits) {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xFF) + "." + ((bits >>> 8) & 0xFF) + "." + (bits & 0xFF);
    }

    /**
     * Whether the address may be the source of a datagram we accept (RFC 1122 §3.2.1.3): not
     * 0.0.0.0/8 ("this network"), not 127/8 from the wire, not multicast (224/4), not class E
     * (240/4, which includes the limited broadcast 255.255.255.255).
     */
    public static boolean isUnicastHost(int bits) {
        int first = bits >>> 24;
        return first != 0 && first != 127 && first < 224;
    }

    /** Whether {@code bits} lies in {@code prefix/length}. */
    public static boolean inPrefix(int bits, int prefix, int length) {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("prefix length: " + length + " (expected: 0..32)");
        }
        int mask = length == 0 ? 0 : -1 << (32 - length);
        return (bits & mask) == (prefix & mask);
    }

    @Override
    public int compareTo(Ipv4Address other) {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString() {
        return format(bits);
    }
}
