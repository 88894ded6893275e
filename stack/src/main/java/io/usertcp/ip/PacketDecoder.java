package io.usertcp.ip;

import io.netty.buffer.ByteBuf;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import io.usertcp.wire.VirtioNetHeader;
import java.util.function.IntPredicate;

/**
 * Decides whether an inbound IPv4 datagram is for this stack and well formed, and leaves it decoded
 * in reusable views. One pass, no allocation.
 *
 * <p>Order, cheapest and most fundamental first: IPv4 structure; header checksum; fragments;
 * destination; source; protocol; then the TCP or ICMP header and its checksum; for ICMP, the
 * type and, for an error, the quoted datagram.
 */
public final class PacketDecoder {
    private final IntPredicate isLocalAddress;
    private final ChecksumPolicy checksumPolicy;
    private final Ipv4PacketView ip = new Ipv4PacketView();
    private final TcpSegmentView tcp = new TcpSegmentView();
    private final Icmpv4MessageView icmp = new Icmpv4MessageView();
    /** Whether the packet being decoded has its checksums verified here (the policy, or its virtio header, may vouch for them). */
    private boolean verify;
    /** The GSO segment size of the frame being decoded, 0 for a plain datagram. */
    private int segmentSize;

    /**
     * @param isLocalAddress which destination addresses are ours (the {@code int} form of
     *                       {@link Ipv4Address})
     */
    public PacketDecoder(IntPredicate isLocalAddress, ChecksumPolicy checksumPolicy) {
        if (isLocalAddress == null || checksumPolicy == null) {
            throw new IllegalArgumentException("isLocalAddress and checksumPolicy: null (expected: non-null)");
        }
        this.isLocalAddress = isLocalAddress;
        this.checksumPolicy = checksumPolicy;
    }

    /**
     * Decodes the readable bytes of {@code packet}. On {@code null}, {@link #ip()} and, by
     * {@link #protocol()}, {@link #tcp()} or {@link #icmp()} are valid until the next call.
     *
     * @param packet borrowed: the caller keeps ownership and releases it
     * @return {@code null} when the packet is accepted, otherwise why it is dropped
     */
    public DropReason decode(ByteBuf packet) {
        return decode(packet, packet.readerIndex(), packet.readableBytes());
    }

    /** {@link #decode(ByteBuf)} for an explicit region. @param packet borrowed */
    public DropReason decode(ByteBuf packet, int offset, int length) {
        verify = checksumPolicy == ChecksumPolicy.VERIFY;
        segmentSize = 0;
        return decodeDatagram(packet, offset, length);
    }

    /**
     * Decodes a frame from a link with a virtio-net header ({@link VirtioNetHeader}): the header
     * first, then the datagram after it, whose checksums are verified unless the header vouches for
     * them (DATA_VALID, or NEEDS_CSUM from the kernel's own TCP). A GSO super-segment decodes as one
     * TCP segment; {@link #segmentSize()} gives its segment size.
     *
     * @param frame borrowed: the caller keeps ownership and releases it
     * @return {@code null} when the frame is accepted, otherwise why it is dropped
     */
    public DropReason decodeFrame(ByteBuf frame) {
        int offset = frame.readerIndex();
        int length = frame.readableBytes();
        DropReason reason = VirtioNetHeader.check(frame, offset, length);
        if (reason != null) {
            return reason;
        }
        verify = checksumPolicy == ChecksumPolicy.VERIFY && !VirtioNetHeader.checksumTrusted(frame, offset);
        segmentSize = VirtioNetHeader.isGso(frame, offset) ? VirtioNetHeader.gsoSize(frame, offset) : 0;
        // A GSO frame is TCP: check() accepted it only with a partial checksum at an IPv4 TCP segment's field.
        return decodeDatagram(frame, offset + VirtioNetHeader.LENGTH, length - VirtioNetHeader.LENGTH);
    }

    private DropReason decodeDatagram(ByteBuf packet, int offset, int length) {
        DropReason reason = checkIp(ip.wrap(packet, offset, length));
        if (reason != null) {
            return reason;
        }
        return switch (ip.protocol()) {
            case Ipv4PacketView.PROTOCOL_TCP -> checkTcp();
            case Ipv4PacketView.PROTOCOL_ICMP -> checkIcmp();
            default -> DropReason.IPV4_UNSUPPORTED_PROTOCOL;
        };
    }

    private DropReason checkIp(Ipv4PacketView ip) {
        DropReason reason = ip.check();
        if (reason != null) {
            return reason;
        }
        // RFC 1122 §3.2.1.2: a host MUST verify the header checksum and silently discard on failure.
        if (verify && !ip.headerChecksumValid()) {
            return DropReason.IPV4_BAD_CHECKSUM;
        }
        // RFC 1122 §3.3.2 asks hosts to reassemble; this stack does not yet, and drops fragments
        // (TCP with DF and path MTU discovery never needs them).
        if (ip.isFragment()) {
            return DropReason.IPV4_FRAGMENT;
        }
        // RFC 1122 §3.2.1.3: silently discard a datagram not addressed to one of our addresses.
        if (!isLocalAddress.test(ip.destinationAddress())) {
            return DropReason.IPV4_NOT_FOR_US;
        }
        // RFC 1122 §3.2.1.3: a source that is not a valid host address MUST be discarded.
        if (!Ipv4Address.isUnicastHost(ip.sourceAddress())) {
            return DropReason.IPV4_BAD_SOURCE;
        }
        // TTL is deliberately not judged: RFC 1122 §3.2.1.7, a host MUST NOT discard a datagram
        // just because it was received with TTL less than 2.
        return null;
    }

    private DropReason checkTcp() {
        DropReason reason = tcp.wrap(ip).check();
        if (reason != null) {
            return reason;
        }
        // RFC 9293 §3.1 (MUST-3): the checksum covers pseudo-header, header and data.
        if (verify && !tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress())) {
            return DropReason.TCP_BAD_CHECKSUM;
        }
        return null;
    }

    private DropReason checkIcmp() {
        DropReason reason = icmp.wrap(ip).check();
        if (reason != null) {
            return reason;
        }
        if (verify && !icmp.checksumValid()) {
            return DropReason.ICMP_BAD_CHECKSUM;
        }
        // RFC 1122 §3.2.2: an ICMP message of unknown type MUST be silently discarded. Source quench
        // (type 4) is among them: RFC 6633 §3, hosts MUST silently discard it.
        if (!isHandledIcmpType(icmp.type())) {
            return DropReason.ICMP_UNSUPPORTED_TYPE;
        }
        // An error is only of use if its quote names the connection (RFC 792: IP header + 64 bits).
        return icmp.isError() ? icmp.checkQuote() : null;
    }

    /** The ICMP types the stack acts on: echo, and the errors a TCP must hear about (RFC 1122 §4.2.3.9). */
    private static boolean isHandledIcmpType(int type) {
        return switch (type) {
            case Icmpv4MessageView.TYPE_ECHO_REPLY, Icmpv4MessageView.TYPE_ECHO_REQUEST,
                 Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE, Icmpv4MessageView.TYPE_TIME_EXCEEDED,
                 Icmpv4MessageView.TYPE_PARAMETER_PROBLEM -> true;
            default -> false;
        };
    }

    /** The GSO segment size of the last accepted frame (payload bytes per segment), 0 for a plain datagram. */
    public int segmentSize() {
        return segmentSize;
    }

    /** The protocol of the last accepted datagram ({@link Ipv4PacketView#PROTOCOL_TCP} or {@code _ICMP}). */
    public int protocol() {
        return ip.protocol();
    }

    public Ipv4PacketView ip() {
        return ip;
    }

    public TcpSegmentView tcp() {
        return tcp;
    }

    public Icmpv4MessageView icmp() {
        return icmp;
    }
}
