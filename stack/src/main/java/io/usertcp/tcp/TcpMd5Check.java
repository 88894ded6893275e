package io.usertcp.tcp;

import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.TcpMd5Digest;
import io.usertcp.wire.TcpSegmentView;

/**
 * The inbound half of TCP MD5 signatures (RFC 2385 §2.0), as Linux 6.x checks a segment for the
 * socket it reached, before anything else looks at it (tcp_v4_rcv() calls tcp_inbound_hash() for a
 * listener, a request and a full socket alike, TIME-WAIT excepted): with a key for the segment's
 * source, the segment must carry a signature made with it; without one, it must carry none. A
 * segment that fails is dropped without an answer and without touching any state (RFC 2385 §2.0:
 * "MUST ... silently discard"; Linux discards it before tcp_rcv_state_process()), and counted
 * under its nstat name and its {@link DropReason}.
 */
final class TcpMd5Check {
    private final TcpMd5Digest digest = new TcpMd5Digest();
    private final StackStats stats;

    TcpMd5Check(StackStats stats) {
        this.stats = stats;
    }

    /**
     * Linux tcp_inbound_hash() and tcp_inbound_md5_hash() for one segment.
     *
     * @param key the socket's key for the segment's source, or null
     * @return null when the segment may go on, else why it is dropped (already counted as nstat counts it)
     */
    DropReason check(TcpMd5Key key, Ipv4PacketView ip, TcpSegmentView seg) {
        ParsedTcpOptions o = seg.options();
        if (key == null && !o.hasMd5Signature()) {
            return null; // the fast path: no key, no signature
        }
        if (o.md5SignatureCount() > 1) {
            return DropReason.TCP_AUTH_HDR; // tcp_parse_auth_options(): "two times meet any of auth options"
        }
        if (!o.hasMd5Signature()) {
            stats.increment(Counter.TcpExtTCPMD5NotFound); // "No MD5 hash and one expected"
            return DropReason.TCP_MD5_NOT_FOUND;
        }
        if (key == null) {
            stats.increment(Counter.TcpExtTCPMD5Unexpected); // "MD5 hash and we're not expecting one"
            return DropReason.TCP_MD5_UNEXPECTED;
        }
        if (!verifies(key, ip, seg)) {
            stats.increment(Counter.TcpExtTCPMD5Failure); // "MD5 hash and its wrong"
            return DropReason.TCP_MD5_FAILURE;
        }
        return null;
    }

    /** Whether the segment's signature is the one {@code key} makes (RFC 2385 §2.0); it must carry one. */
    boolean verifies(TcpMd5Key key, Ipv4PacketView ip, TcpSegmentView seg) {
        return digest.verify(seg.buffer(), seg.offset(), seg.length(), ip.sourceAddress(), ip.destinationAddress(),
                key.keyBytes(), seg.options().md5DigestOffset());
    }
}
