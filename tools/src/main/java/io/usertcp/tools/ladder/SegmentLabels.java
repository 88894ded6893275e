package io.usertcp.tools.ladder;

import io.usertcp.wire.TcpFlags;

/**
 * Short arrow labels with relative sequence numbers, like tcpdump without {@code -S} (and like
 * Wireshark): each direction counts from its initial sequence number, so a SYN is {@code seq=0}, the
 * first data byte is 1, and an ACK names the peer's next byte.
 *
 * <pre>
 *   SYN seq=0            SYN,ACK seq=0 ack=1      ACK ack=1
 *   PSH,ACK 1:6(5) ack=1 FIN,ACK seq=6 ack=1      RST,ACK seq=0 ack=1
 * </pre>
 *
 * A segment with data shows {@code first:end(length)}; one without data shows {@code seq=} only
 * when it carries SYN, FIN or RST; {@code win=0} is shown when a non-RST segment closes the window.
 */
final class SegmentLabels {
    private static final int[] ORDER = {TcpFlags.FIN, TcpFlags.SYN, TcpFlags.RST, TcpFlags.PSH, TcpFlags.ACK,
            TcpFlags.URG, TcpFlags.ECE, TcpFlags.CWR};
    private static final String[] NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    private final Conversation conversation;
    private final Long initiatorBase;
    private final Long responderBase;

    /** Finds each direction's base: the sequence number of its SYN, else of its first segment. */
    SegmentLabels(Conversation conversation) {
        this.conversation = conversation;
        this.initiatorBase = base(conversation, true);
        this.responderBase = base(conversation, false);
    }

    private static Long base(Conversation c, boolean initiator) {
        Long first = null;
        for (TcpSegment s : c.segments()) {
            if (c.fromInitiator(s) != initiator) {
                continue;
            }
            if (s.has(TcpFlags.SYN)) {
                return Integer.toUnsignedLong(s.seq());
            }
            if (first == null) {
                first = Integer.toUnsignedLong(s.seq());
            }
        }
        return first;
    }

    /** The label of one segment of the conversation. */
    String label(TcpSegment s) {
        boolean fromInitiator = conversation.fromInitiator(s);
        Long own = fromInitiator ? initiatorBase : responderBase;
        Long peer = fromInitiator ? responderBase : initiatorBase;
        StringBuilder sb = new StringBuilder(flags(s.flags()));
        long seq = relative(s.seq(), own);
        if (s.payloadLength() > 0) {
            long first = s.has(TcpFlags.SYN) ? seq + 1 : seq;
            sb.append(' ').append(first).append(':').append(first + s.payloadLength()).append('(').append(s.payloadLength()).append(')');
        } else if (s.has(TcpFlags.SYN) || s.has(TcpFlags.FIN) || s.has(TcpFlags.RST)) {
            sb.append(" seq=").append(seq);
        }
        if (s.has(TcpFlags.ACK)) {
            sb.append(" ack=").append(relative(s.ack(), peer));
        }
        if (s.window() == 0 && !s.has(TcpFlags.RST)) {
            sb.append(" win=0");
        }
        return sb.toString();
    }

    private static long relative(int value, Long base) {
        long v = Integer.toUnsignedLong(value);
        return base == null ? v : (v - base) & 0xFFFF_FFFFL;
    }

    /** {@code SYN,ACK}, {@code PSH,ACK}, {@code FIN,ACK}; {@code none} when no flag is set. */
    static String flags(int bits) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ORDER.length; i++) {
            if ((bits & ORDER[i]) != 0) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(NAMES[i]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
