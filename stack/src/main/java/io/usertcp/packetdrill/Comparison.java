package io.usertcp.packetdrill;

/**
 * How strictly outbound segments (and a few system-call results) are compared: {@code --compare}
 * on the command line. Which stack behaviour runs is a separate choice, the
 * {@link io.usertcp.tcp.TcpProfile} ({@code --profile}).
 *
 * <ul>
 *   <li>{@link #RFC}: what the RFCs fix. The window field, the window-scale shift and socket
 *       buffer sizes are local choices (FreeBSD's {@code win 65535}, {@code wscale 6} and
 *       SO_RCVBUF rounding are not the RFC's), so they are not compared; options are compared as
 *       a set of values, without NOP/EOL padding or order. Flags, sequence and acknowledgment
 *       numbers, lengths, MSS, SACK-permitted, SACK blocks and timestamp echoes are exact.</li>
 *   <li>{@link #EXACT}: everything a script writes is exact, options byte for byte (packetdrill's
 *       own behaviour), for scripts written against this stack or Linux.</li>
 * </ul>
 */
public enum Comparison {
    RFC,
    EXACT;

    public boolean comparesWindow() {
        return this == EXACT;
    }

    public boolean comparesOptionBytes() {
        return this == EXACT;
    }

    public boolean comparesBufferSizes() {
        return this == EXACT;
    }

    /** The comparison called {@code name} ({@code rfc} or {@code exact}, any case). */
    public static Comparison of(String name) {
        for (Comparison c : values()) {
            if (c.name().equalsIgnoreCase(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("compare: " + name + " (expected: exact or rfc)");
    }

    /**
     * What a profile's scripts are compared with by default: exact for linux (scripts written
     * against Linux or this stack); rfc for the rfc and freebsd profiles, whose scripts (the FreeBSD
     * suite) hard-code FreeBSD's window values and option order.
     */
    public static Comparison defaultFor(io.usertcp.tcp.TcpProfile profile) {
        return profile.reference() == io.usertcp.tcp.TcpProfile.Reference.LINUX ? EXACT : RFC;
    }
}
