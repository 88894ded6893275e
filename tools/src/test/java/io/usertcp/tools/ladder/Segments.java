package io.usertcp.tools.ladder;

import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds segment sequences by hand for inference tests: a client C = 198.18.0.1:40000 and a server
 * S = 198.18.0.2:80, with the client's ISN 1000 and the server's 5000 unless a test says otherwise.
 * Each segment is 1 ms after the previous one.
 */
final class Segments {
    static final Endpoint C = new Endpoint(Ipv4Address.parse("198.18.0.1"), 40000);
    static final Endpoint S = new Endpoint(Ipv4Address.parse("198.18.0.2"), 80);
    static final int SYN = TcpFlags.SYN;
    static final int ACK = TcpFlags.ACK;
    static final int FIN = TcpFlags.FIN;
    static final int RST = TcpFlags.RST;
    static final int PSH = TcpFlags.PSH;

    private final List<TcpSegment> list = new ArrayList<>();

    /** A segment from {@code from} to the other endpoint. */
    Segments add(Endpoint from, int flags, int seq, int ack, int length) {
        return add(from, flags, seq, ack, length, 65535);
    }

    Segments add(Endpoint from, int flags, int seq, int ack, int length, int window) {
        Endpoint to = from.equals(C) ? S : C;
        list.add(new TcpSegment(1_000_000L * list.size(), from, to, seq, ack, flags, length, window));
        return this;
    }

    /** The three-way handshake: ISNs 1000 (C) and 5000 (S). */
    Segments handshake() {
        return add(C, SYN, 1000, 0, 0).add(S, SYN | ACK, 5000, 1001, 0).add(C, ACK, 1001, 5001, 0);
    }

    List<TcpSegment> list() {
        return List.copyOf(list);
    }

    /** The one conversation of these segments, as a ladder with inferred states. */
    Ladder ladder() {
        List<Conversation> cs = Conversation.split(list);
        if (cs.size() != 1) {
            throw new AssertionError("expected one conversation, got " + cs.size());
        }
        return Ladder.inferred(cs.get(0), 0);
    }
}
