package io.usertcp.tools.pcap;

/**
 * One IPv4 datagram from a capture file.
 *
 * @param index          the record's position among all records of the file (0-based), non-IPv4 records included
 * @param epochNanos     the capture time, nanoseconds since the Unix epoch
 * @param ipv4           the captured bytes, starting at the IPv4 header; shorter than
 *                       {@code originalLength} when the capture was cut at a snap length
 * @param originalLength how long the datagram was on the wire (link header excluded)
 */
public record CapturedPacket(int index, long epochNanos, byte[] ipv4, int originalLength) {
    public CapturedPacket {
        ipv4 = ipv4.clone();
        if (originalLength < ipv4.length) {
            throw new IllegalArgumentException("originalLength: " + originalLength + " (expected: >= captured " + ipv4.length + ")");
        }
    }

    @Override
    public byte[] ipv4() {
        return ipv4.clone();
    }

    /** Whether the capture kept fewer bytes than the datagram had. */
    public boolean truncated() {
        return ipv4.length < originalLength;
    }
}
