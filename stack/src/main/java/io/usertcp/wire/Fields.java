package io.usertcp.wire;

/** Range checks for values written into fixed-width header fields. */
final class Fields {
    private Fields() {}

    /**
     * Returns {@code value} when it fits in {@code bits} unsigned bits.
     *
     * @throws IllegalArgumentException naming the field, the value and the range expected
     */
    static int checkUnsigned(String name, int value, int bits) {
        long max = (1L << bits) - 1;
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0.." + max + ")");
        }
        return value;
    }
}
