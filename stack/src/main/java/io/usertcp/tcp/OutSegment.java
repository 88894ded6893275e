package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.usertcp.tcp.send.Sender;
import io.usertcp.wire.TcpOptionKind;

/**
 * What one outbound segment should carry: a reusable, mutable description filled by the
 * transmitter and turned into bytes by {@link SegmentWriter}. Not a value: reset with
 * {@link #clear()} before each use.
 */
final class OutSegment {
    static final int NONE = -1;

    int sourceAddress;
    int destinationAddress;
    int sourcePort;
    int destinationPort;
    int seq;
    int ack;
    int flags;
    int window;
    /** The ECN field of the IP header (RFC 3168 §5): 0 Not-ECT, or ECT(0) on new data of an ECN connection. */
    int ecn;
    /** MSS option value, or {@link #NONE}. */
    int mss = NONE;
    /** Window-scale option shift, or {@link #NONE}. */
    int windowScale = NONE;
    boolean sackPermitted;
    boolean timestamps;
    int tsVal;
    int tsEcr;
    /** SACK blocks to report (RFC 2018 §4), 0 for none. */
    int sackBlocks;
    final int[] sackLeft = new int[4];
    final int[] sackRight = new int[4];
    /**
     * TCP Fast Open option (RFC 7413 §4.1.1): null for none, empty for a cookie request, else the
     * cookie; {@link #fastOpenExperimental} sends it as option 254 with magic 0xF989.
     */
    byte[] fastOpenCookie;
    boolean fastOpenExperimental;
    /**
     * TCP MD5 signature (RFC 2385): the key to sign the segment with, or null for none; borrowed,
     * never modified. {@link SegmentWriter} sets {@link #md5DigestAt} to where the digest goes.
     */
    byte[] md5Key;
    int md5DigestAt;
    /** Payload source and range; {@code payload == null} for none. The buffer is borrowed. */
    Sender payload;
    int payloadOffset;
    int payloadLength;
    /** How the options are ordered and padded (the profile's choice). */
    TcpProfile.OptionLayout layout = TcpProfile.OptionLayout.LINUX;
    /** Or a raw payload region (ICMP echo data, test builders); borrowed. */
    ByteBuf rawPayload;
    int rawPayloadIndex;

    OutSegment clear() {
        sourceAddress = destinationAddress = sourcePort = destinationPort = 0;
        seq = ack = flags = window = ecn = 0;
        mss = NONE;
        windowScale = NONE;
        sackPermitted = false;
        timestamps = false;
        tsVal = tsEcr = 0;
        sackBlocks = 0;
        fastOpenCookie = null;
        fastOpenExperimental = false;
        md5Key = null;
        md5DigestAt = 0;
        payload = null;
        payloadOffset = payloadLength = 0;
        rawPayload = null;
        rawPayloadIndex = 0;
        layout = TcpProfile.OptionLayout.LINUX;
        return this;
    }

    /** Addresses and ports from a connection's point of view. */
    OutSegment from(ConnectionId id) {
        sourceAddress = id.localAddress();
        destinationAddress = id.remoteAddress();
        sourcePort = id.localPort();
        destinationPort = id.remotePort();
        return this;
    }

    /** Addresses and ports swapped from an inbound segment's, for replies to it. */
    OutSegment replyTo(int inSourceAddress, int inSourcePort, int inDestinationAddress, int inDestinationPort) {
        sourceAddress = inDestinationAddress;
        destinationAddress = inSourceAddress;
        sourcePort = inDestinationPort;
        destinationPort = inSourcePort;
        return this;
    }

    /** Bytes the options take, padded as the layout pads them. */
    int optionsLength() {
        if (layout == TcpProfile.OptionLayout.FREEBSD) {
            return SegmentWriter.freeBsdOptions(null, 0, this);
        }
        int n = md5Key != null ? TcpOptionKind.MD5_SIGNATURE_ALIGNED_LENGTH : 0; // nop,nop,md5 first
        if (mss != NONE) {
            n += 4;
        }
        if (timestamps) {
            n += 12; // sackOK+TS or nop,nop,TS
        } else if (sackPermitted) {
            n += 4; // nop,nop,sackOK
        }
        if (windowScale != NONE) {
            n += 4; // nop,wscale
        }
        if (sackBlocks > 0) {
            n += 4 + 8 * sackBlocks; // nop,nop,SACK kind,length, blocks
        }
        return n + fastOpenOptionLength();
    }

    /** The Fast Open option with its NOP padding to 4 bytes (Linux tcp_options_write()), 0 for none. */
    int fastOpenOptionLength() {
        if (fastOpenCookie == null) {
            return 0;
        }
        int length = (fastOpenExperimental ? 4 : 2) + fastOpenCookie.length;
        return (length + 3) & ~3;
    }
}
