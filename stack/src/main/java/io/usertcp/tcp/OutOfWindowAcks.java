package io.usertcp.tcp;

import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;

/**
 * Linux's per-socket throttle on the ACKs that answer segments it cannot accept
 * (tcp_oow_rate_limited(), sysctl tcp_invalid_ratelimit): a connection, or a TIME-WAIT entry
 * (tw_last_oow_ack_time), sends at most one such ACK per period. Two stacks that each find the
 * other's segments unacceptable would otherwise ACK each other forever, and a blind flood of bare
 * segments would get one answer each. RFC 9293 §3.10.7.4 answers every one: a period of 0.
 *
 * <p>The state is one {@code long} in its owner, the time of the last answer or {@link #NEVER}.
 */
final class OutOfWindowAcks {
    /** No answer sent yet (Linux: last_oow_ack_time = 0). */
    static final long NEVER = Long.MIN_VALUE;

    private OutOfWindowAcks() {
    }

    /**
     * A segment with text or a FIN and no SYN is always answered: "data packets without SYNs are
     * not likely part of an ACK loop" (tcp_oow_rate_limited()).
     */
    static boolean exempt(TcpSegmentView seg) {
        return seg.segmentLength() > 0 && (seg.flags() & TcpFlags.SYN) == 0;
    }

    /** __tcp_oow_rate_limited(): whether an answer now would come within {@code periodNanos} of the last. */
    static boolean limited(long lastAnswerNanos, long nowNanos, long periodNanos) {
        return lastAnswerNanos != NEVER && nowNanos - lastAnswerNanos < periodNanos;
    }
}
