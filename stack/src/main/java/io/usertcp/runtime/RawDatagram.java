package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;

/**
 * The few bytes of an IPv4 datagram the runtime reads before the stack decodes it (which flow a
 * packet is for: the fault it may cause, the shard it goes to), without the decoder's views or
 * checks. Nothing here trusts a length beyond what it was given; every answer about a malformed
 * datagram is "none" (-1), and the stack's decoder then says why. Reads absolute bytes of a
 * borrowed buffer; indices do not move.
 */
final class RawDatagram {
    static final int IPV4_MIN_HEADER = 20;
    static final int PROTOCOL_ICMP = 1;
    static final int PROTOCOL_TCP = 6;

    private RawDatagram() {
    }

    /** The IPv4 header's length of the datagram at {@code at}, or -1 when it is not IPv4 or is cut short. */
    static int ipv4HeaderLength(ByteBuf p, int at, int length) {
        if (length < IPV4_MIN_HEADER || (p.getByte(at) & 0xF0) != 0x40) {
            return -1;
        }
        int ihl = (p.getByte(at) & 0x0F) * 4;
        return ihl < IPV4_MIN_HEADER || ihl > length ? -1 : ihl;
    }

    /**
     * Where the TCP header of the IPv4 TCP datagram at {@code at} starts (its ports at least within
     * {@code length}), or -1 when it is not one.
     */
    static int tcpHeader(ByteBuf p, int at, int length) {
        int ihl = ipv4HeaderLength(p, at, length);
        if (ihl < 0 || p.getUnsignedByte(at + 9) != PROTOCOL_TCP || length < ihl + 4) {
            return -1;
        }
        return at + ihl;
    }

    /** The datagram's source address (the peer's, for what we receive). */
    static int source(ByteBuf p, int at) {
        return p.getInt(at + 12);
    }

    /** The datagram's destination address (ours, for what we receive). */
    static int destination(ByteBuf p, int at) {
        return p.getInt(at + 16);
    }
}
