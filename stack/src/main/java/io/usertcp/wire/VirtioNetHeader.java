package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * The virtio-net header ({@code struct virtio_net_hdr}, virtio 1.2 §5.1.6, Linux
 * {@code include/uapi/linux/virtio_net.h}) that a TUN device opened with {@code IFF_VNET_HDR}
 * puts in front of every datagram it hands out and expects in front of every datagram written to
 * it. Ten bytes, little-endian on every host Linux runs TUN on ({@code tun_is_little_endian()}
 * without {@code TUNSETVNETBE}):
 *
 * <pre>
 *  byte 0      flags        NEEDS_CSUM (1): the checksum at csum_start + csum_offset holds only the
 *                           pseudo-header sum, the rest is still to add; DATA_VALID (2): verified
 *  byte 1      gso_type     NONE (0), TCPV4 (1), UDP (3), TCPV6 (4), UDP_L4 (5); | ECN (0x80)
 *  bytes 2-3   hdr_len      the headers' length (a hint: Linux fills skb_headlen, which may be more)
 *  bytes 4-5   gso_size     payload bytes per segment when gso_type is not NONE
 *  bytes 6-7   csum_start   where the checksummed region starts (the TCP header)
 *  bytes 8-9   csum_offset  where in it the checksum field is (16 for TCP)
 * </pre>
 *
 * <p>{@link #check} is the gate for what the device hands us: the kernel is the only writer, but a
 * header it never writes is still bad input, dropped with a reason like any malformed packet. What
 * this stack accepts is what Linux's {@code tun_put_user()} produces for IPv4 TCP and ICMP: plain,
 * DATA_VALID, or NEEDS_CSUM pointing at the TCP checksum; GSO only as TCPV4 (optionally with the
 * ECN bit) with a partial checksum and a segment size. A static codec over borrowed buffers: it
 * never retains, releases or moves their indices.
 */
public final class VirtioNetHeader {
    /** The header's length without {@code num_buffers} (TUN's default {@code TUNSETVNETHDRSZ}). */
    public static final int LENGTH = 10;

    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_ECN = 0x80;
    /** The TCP checksum field's offset in the TCP header (RFC 9293 §3.1). */
    public static final int TCP_CHECKSUM_OFFSET = 16;

    private static final int FLAGS = 0;
    private static final int GSO_TYPE = 1;
    private static final int HDR_LEN = 2;
    private static final int GSO_SIZE = 4;
    private static final int CSUM_START = 6;
    private static final int CSUM_OFFSET = 8;

    private VirtioNetHeader() {
    }

    /**
     * Checks the header at {@code offset} and the datagram that follows it, {@code length} bytes
     * in all (header included). Only the datagram's first byte and protocol are looked at; the
     * datagram itself is judged later, as any other.
     *
     * @param buf borrowed
     * @return {@code null} when the header is one this stack takes, otherwise why it is dropped
     */
    public static DropReason check(ByteBuf buf, int offset, int length) {
        if (length < LENGTH) {
            return DropReason.VIRTIO_TRUNCATED;
        }
        int flags = flags(buf, offset);
        if ((flags & ~(FLAG_NEEDS_CSUM | FLAG_DATA_VALID)) != 0) {
            return DropReason.VIRTIO_BAD_FLAGS;
        }
        int gsoType = gsoType(buf, offset);
        if ((gsoType & ~GSO_ECN) != GSO_NONE && (gsoType & ~GSO_ECN) != GSO_TCPV4) {
            return DropReason.VIRTIO_UNSUPPORTED_GSO;
        }
        int datagram = offset + LENGTH;
        int datagramLength = length - LENGTH;
        if ((flags & FLAG_NEEDS_CSUM) != 0 && !checksumAtTcpField(buf, offset, datagram, datagramLength)) {
            return DropReason.VIRTIO_BAD_CHECKSUM_OFFSET;
        }
        if ((gsoType & ~GSO_ECN) == GSO_TCPV4) {
            // Linux never hands out a GSO packet without a partial checksum or a segment size
            // (virtio_net_hdr_from_skb()); either missing would leave us unable to check or to size it.
            if ((flags & FLAG_NEEDS_CSUM) == 0 || gsoSize(buf, offset) == 0) {
                return DropReason.VIRTIO_BAD_GSO;
            }
        } else if ((gsoType & GSO_ECN) != 0) {
            return DropReason.VIRTIO_BAD_GSO; // the ECN bit qualifies a GSO type; alone it means nothing
        }
        return null;
    }

    /**
     * Whether csum_start and csum_offset name the checksum field of an IPv4 TCP segment (the only
     * partial checksum this stack completes or trusts), inside the datagram.
     */
    private static boolean checksumAtTcpField(ByteBuf buf, int header, int datagram, int datagramLength) {
        if (datagramLength < Ipv4PacketView.MIN_HEADER_LENGTH || (buf.getByte(datagram) & 0xF0) != 0x40
                || buf.getUnsignedByte(datagram + 9) != Ipv4PacketView.PROTOCOL_TCP) {
            return false;
        }
        int ipHeader = (buf.getByte(datagram) & 0x0F) * 4;
        return checksumStart(buf, header) == ipHeader && checksumOffset(buf, header) == TCP_CHECKSUM_OFFSET
                && ipHeader + TCP_CHECKSUM_OFFSET + 2 <= datagramLength;
    }

    public static int flags(ByteBuf buf, int offset) {
        return buf.getUnsignedByte(offset + FLAGS);
    }

    public static int gsoType(ByteBuf buf, int offset) {
        return buf.getUnsignedByte(offset + GSO_TYPE);
    }

    public static int headerLength(ByteBuf buf, int offset) {
        return buf.getUnsignedShortLE(offset + HDR_LEN);
    }

    public static int gsoSize(ByteBuf buf, int offset) {
        return buf.getUnsignedShortLE(offset + GSO_SIZE);
    }

    public static int checksumStart(ByteBuf buf, int offset) {
        return buf.getUnsignedShortLE(offset + CSUM_START);
    }

    public static int checksumOffset(ByteBuf buf, int offset) {
        return buf.getUnsignedShortLE(offset + CSUM_OFFSET);
    }

    /** Whether the datagram after a checked header is a GSO super-segment (then {@link #gsoSize} is its segment size). */
    public static boolean isGso(ByteBuf buf, int offset) {
        return (gsoType(buf, offset) & ~GSO_ECN) != GSO_NONE;
    }

    /**
     * Whether the datagram's checksums need no verifying: the kernel verified them (DATA_VALID), or
     * its own TCP left the payload's sum to the device (NEEDS_CSUM: the field holds only the
     * pseudo-header sum, so verifying it would fail; the data never left this host's memory).
     */
    public static boolean checksumTrusted(ByteBuf buf, int offset) {
        return (flags(buf, offset) & (FLAG_NEEDS_CSUM | FLAG_DATA_VALID)) != 0;
    }

    /**
     * Writes a header at {@code offset}.
     *
     * @param buf borrowed; its indices do not move
     */
    public static void write(ByteBuf buf, int offset, int flags, int gsoType, int headerLength, int gsoSize,
                             int checksumStart, int checksumOffset) {
        buf.setByte(offset + FLAGS, flags);
        buf.setByte(offset + GSO_TYPE, gsoType);
        buf.setShortLE(offset + HDR_LEN, headerLength);
        buf.setShortLE(offset + GSO_SIZE, gsoSize);
        buf.setShortLE(offset + CSUM_START, checksumStart);
        buf.setShortLE(offset + CSUM_OFFSET, checksumOffset);
    }
}
