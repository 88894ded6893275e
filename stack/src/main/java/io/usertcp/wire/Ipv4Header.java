package io.usertcp.wire;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What an IPv4 header says (RFC 791 §3.1), as an immutable value.
 *
 * @param tos            the type-of-service byte (DSCP and ECN)
 * @param totalLength    header plus payload, in bytes
 * @param identification the datagram id
 * @param flags          3-bit flags field ({@link Ipv4PacketView#FLAG_DONT_FRAGMENT} etc.)
 * @param fragmentOffset in units of 8 bytes
 * @param ttl            time to live
 * @param protocol       upper-layer protocol number
 * @param headerChecksum the checksum as received; {@link #emit} computes a fresh one
 * @param source         source address
 * @param destination    destination address
 * @param options        the option bytes including padding (length a multiple of 4, at most 40); copied
 */
public record Ipv4Header(int tos, int totalLength, int identification, int flags, int fragmentOffset,
                         int ttl, int protocol, int headerChecksum, Ipv4Address source,
                         Ipv4Address destination, byte[] options) {

    private static final byte[] NO_OPTIONS = new byte[0];

    public Ipv4Header {
        Fields.checkUnsigned("tos", tos, 8);
        Fields.checkUnsigned("totalLength", totalLength, 16);
        Fields.checkUnsigned("identification", identification, 16);
        Fields.checkUnsigned("flags", flags, 3);
        Fields.checkUnsigned("fragmentOffset", fragmentOffset, 13);
        Fields.checkUnsigned("ttl", ttl, 8);
        Fields.checkUnsigned("protocol", protocol, 8);
        Fields.checkUnsigned("headerChecksum", headerChecksum, 16);
        options = options == null || options.length == 0 ? NO_OPTIONS : options.clone();
        if (options.length % 4 != 0 || options.length > 40) {
            throw new IllegalArgumentException("options: " + options.length + " bytes (expected: a multiple of 4, at most 40)");
        }
        if (totalLength < headerLengthFor(options)) {
            throw new IllegalArgumentException("totalLength: " + totalLength + " (expected: at least the header length " + headerLengthFor(options) + ")");
        }
    }

    /** A header with no options, DF set, and the checksum to be computed on emit. */
    public static Ipv4Header of(Ipv4Address source, Ipv4Address destination, int protocol, int payloadLength, int ttl, int identification) {
        return new Ipv4Header(0, Ipv4PacketView.MIN_HEADER_LENGTH + payloadLength, identification,
                Ipv4PacketView.FLAG_DONT_FRAGMENT, 0, ttl, protocol, 0, source, destination, NO_OPTIONS);
    }

    /** Reads a header from a view that passed {@link Ipv4PacketView#check()}. */
    public static Ipv4Header parse(Ipv4PacketView view) {
        byte[] options = new byte[view.optionsLength()];
        view.buffer().getBytes(view.optionsOffset(), options);
        return new Ipv4Header(view.tos(), view.totalLength(), view.identification(), view.flags(),
                view.fragmentOffset(), view.ttl(), view.protocol(), view.headerChecksum(),
                new Ipv4Address(view.sourceAddress()), new Ipv4Address(view.destinationAddress()), options);
    }

    /**
     * Writes this header at the view's offset, computing a fresh header checksum. The view must be
     * wrapped over a writable region of at least {@link #headerLength()} bytes.
     *
     * @return the header length written
     */
    public int emit(Ipv4PacketView view) {
        int headerLength = headerLength();
        if (view.length() < headerLength) {
            throw new IllegalArgumentException("view: " + view.length() + " bytes (expected: at least " + headerLength + ")");
        }
        view.setVersionAndHeaderLength(headerLength);
        view.setTos(tos);
        view.setTotalLength(totalLength);
        view.setIdentification(identification);
        view.setFlagsAndFragmentOffset(flags, fragmentOffset);
        view.setTtl(ttl);
        view.setProtocol(protocol);
        view.setSourceAddress(source.bits());
        view.setDestinationAddress(destination.bits());
        view.buffer().setBytes(view.optionsOffset(), options);
        view.fillHeaderChecksum();
        return headerLength;
    }

    public int headerLength() {
        return headerLengthFor(options);
    }

    public int payloadLength() {
        return totalLength - headerLength();
    }

    public boolean dontFragment() {
        return (flags & Ipv4PacketView.FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments() {
        return (flags & Ipv4PacketView.FLAG_MORE_FRAGMENTS) != 0;
    }

    /** The options bytes (a copy). */
    @Override
    public byte[] options() {
        return options.clone();
    }

    private static int headerLengthFor(byte[] options) {
        return Ipv4PacketView.MIN_HEADER_LENGTH + options.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ipv4Header h && tos == h.tos && totalLength == h.totalLength
                && identification == h.identification && flags == h.flags && fragmentOffset == h.fragmentOffset
                && ttl == h.ttl && protocol == h.protocol && headerChecksum == h.headerChecksum
                && source.equals(h.source) && destination.equals(h.destination) && Arrays.equals(options, h.options);
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(tos, totalLength, identification, flags, fragmentOffset, ttl, protocol,
                headerChecksum, source, destination);
        return 31 * h + Arrays.hashCode(options);
    }

    @Override
    public String toString() {
        return "Ipv4Header[" + source + " > " + destination + ", proto " + protocol + ", len " + totalLength
                + ", id " + identification + ", flags " + flags + ", frag " + fragmentOffset + ", ttl " + ttl
                + ", tos 0x" + Integer.toHexString(tos) + ", cksum 0x" + Integer.toHexString(headerChecksum)
                + (options.length == 0 ? "" : ", options " + HexFormat.of().formatHex(options)) + "]";
    }
}
