package io.usertcp.packetdrill;

/**
 * How strictly outbound segments (and a few system-call results) are compared.
 *
 * <ul>
 *   <li>{@link #RFC}: what the RFCs fix. The window field, the window-scale shift and socket
 *       buffer sizes are local choices (FreeBSD's {@code win 65535}, {@code wscale 6} and
 *       SO_RCVBUF rounding are not the RFC's), so they are not compared; options are compared as
 *       a set of values, without NOP/EOL padding or order. Flags, sequence and acknowledgment
 *       numbers, lengths, MSS, SACK-permitted, SACK blocks and timestamp echoes are exact.</li>
 *   <li>{@link #LINUX}: everything a script writes is exact, options byte for byte (packetdrill's
 *       own behaviour), for scripts written against this stack or Linux.</li>
 * </ul>
 */
public enum Profile {
    RFC,
    LINUX;

    public boolean comparesWindow() {
        return this == LINUX;
    }

    public boolean comparesOptionBytes() {
        return this == LINUX;
    }

    public boolean comparesBufferSizes() {
        return this == LINUX;
    }

    /** The profile called {@code name} ({@code rfc} or {@code linux}, any case). */
    public static Profile of(String name) {
        for (Profile p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("profile: " + name + " (expected: rfc or linux)");
    }
}
