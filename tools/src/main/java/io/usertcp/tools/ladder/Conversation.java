package io.usertcp.tools.ladder;

import io.usertcp.wire.TcpFlags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The segments of one TCP connection, in the order they were seen.
 *
 * @param initiator the endpoint drawn on the left: the sender of the first SYN, or of the first
 *                  segment when the capture starts after the handshake
 * @param responder the other endpoint, drawn on the right
 */
public record Conversation(Endpoint initiator, Endpoint responder, List<TcpSegment> segments) {
    public Conversation {
        Objects.requireNonNull(initiator, "initiator");
        Objects.requireNonNull(responder, "responder");
        segments = List.copyOf(segments);
    }

    /** Whether {@code s} goes from left to right. */
    public boolean fromInitiator(TcpSegment s) {
        return s.source().equals(initiator);
    }

    /**
     * Groups segments by four-tuple, one conversation per connection, in the order of each
     * connection's first segment. A SYN on a tuple whose connection already ended (a RST, or a FIN
     * each way) with a new sequence number starts a new connection (a new incarnation, RFC 9293 §3.6.1).
     */
    public static List<Conversation> split(List<TcpSegment> segments) {
        List<Builder> all = new ArrayList<>();
        Map<List<Endpoint>, Builder> current = new HashMap<>();
        for (TcpSegment s : segments) {
            List<Endpoint> key = key(s);
            Builder b = current.get(key);
            if (b == null || b.startsNewIncarnation(s)) {
                b = new Builder(s);
                current.put(key, b);
                all.add(b);
            }
            b.add(s);
        }
        return all.stream().map(Builder::build).toList();
    }

    /** The tuple in an order that does not depend on the direction. */
    private static List<Endpoint> key(TcpSegment s) {
        Endpoint a = s.source();
        Endpoint b = s.destination();
        boolean aFirst = a.address() != b.address() ? Integer.compareUnsigned(a.address(), b.address()) < 0 : a.port() <= b.port();
        return aFirst ? List.of(a, b) : List.of(b, a);
    }

    private static final class Builder {
        final Endpoint initiator;
        final Endpoint responder;
        final List<TcpSegment> segments = new ArrayList<>();
        boolean reset;
        boolean finFromInitiator;
        boolean finFromResponder;
        Integer initiatorIsn;

        Builder(TcpSegment first) {
            boolean synAck = first.has(TcpFlags.SYN) && first.has(TcpFlags.ACK);
            this.initiator = synAck ? first.destination() : first.source();
            this.responder = synAck ? first.source() : first.destination();
        }

        boolean startsNewIncarnation(TcpSegment s) {
            boolean over = reset || (finFromInitiator && finFromResponder);
            boolean newSyn = s.has(TcpFlags.SYN) && !s.has(TcpFlags.ACK);
            boolean sameSyn = initiatorIsn != null && s.source().equals(initiator) && initiatorIsn == s.seq();
            return over && newSyn && !sameSyn;
        }

        void add(TcpSegment s) {
            segments.add(s);
            boolean fromInitiator = s.source().equals(initiator);
            if (s.has(TcpFlags.RST)) {
                reset = true;
            }
            if (s.has(TcpFlags.FIN)) {
                if (fromInitiator) {
                    finFromInitiator = true;
                } else {
                    finFromResponder = true;
                }
            }
            if (fromInitiator && s.has(TcpFlags.SYN) && !s.has(TcpFlags.ACK) && initiatorIsn == null) {
                initiatorIsn = s.seq();
            }
        }

        Conversation build() {
            return new Conversation(initiator, responder, segments);
        }
    }
}
