package io.usertcp.tools.ladder;

import io.netty.buffer.ByteBuf;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Records what one or more stacks do, for ladder diagrams drawn live: every TCP segment in and out,
 * and every state change with its cause. Sides whose stack was observed get their states from the
 * stack's own events; a peer that was not observed (the Linux kernel over TUN) gets inferred states
 * ({@link StateInference}).
 *
 * <p>One recorder may observe both stacks of an in-memory pair: a segment seen leaving one stack
 * and then arriving at the other (the same bytes) is one arrow. Its arrival still counts: the
 * receiver's state changes that follow it are shown from the next row on, so crossing segments
 * are drawn as they happened.
 *
 * <p>State changes caused by a segment ({@code "rcv ..."}) update the row they follow; the others (a
 * user CLOSE, the 2MSL timer, an abort) become note rows of their own, labelled with the cause. An
 * abort's note goes before the RST it sent (the stack sends the RST, then reports the change).
 *
 * <p>Confined to the stack thread, like every observer; {@link #ladders()} must run there too, or
 * after the stacks stopped. Views are borrowed: the recorder copies the bytes it keeps.
 */
public final class LadderRecorder implements ConnectionObserver {
    /** How many sent segments may wait to be matched with their arrival at another observed stack. */
    private static final int MAX_UNMATCHED = 4096;

    private record Seen(int row) {}

    private record Delivered(int row) {}

    private record Change(long nanos, Endpoint local, Endpoint remote, TcpState from, TcpState to, String cause) {
        boolean caused() {
            return cause.startsWith("rcv");
        }
    }

    private record Unmatched(byte[] bytes, int row) {}

    /** A row of one conversation: its segment and the segment's index there. */
    private record Arrow(TcpSegment segment, int index) {}

    private final List<TcpSegment> rows = new ArrayList<>();
    private final List<Object> stream = new ArrayList<>();
    private final ArrayDeque<Unmatched> unmatched = new ArrayDeque<>();

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        byte[] bytes = copy(packet);
        int row = newRow(nowNanos, bytes);
        if (row >= 0) {
            if (unmatched.size() == MAX_UNMATCHED) {
                unmatched.poll();
            }
            unmatched.add(new Unmatched(bytes, row));
        }
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        byte[] bytes = copy(packet);
        for (Iterator<Unmatched> it = unmatched.iterator(); it.hasNext(); ) {
            Unmatched u = it.next();
            if (Arrays.equals(u.bytes(), bytes)) {
                it.remove();
                stream.add(new Delivered(u.row()));
                return;
            }
        }
        newRow(nowNanos, bytes);
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        if (id.remotePort() == 0) {
            return; // a listener, not a connection
        }
        stream.add(new Change(nowNanos, new Endpoint(id.localAddress(), id.localPort()),
                new Endpoint(id.remoteAddress(), id.remotePort()), from, to, cause));
    }

    private int newRow(long nowNanos, byte[] bytes) {
        TcpSegment s = TcpSegment.decode(nowNanos, bytes, bytes.length);
        if (s == null) {
            return -1;
        }
        rows.add(s);
        stream.add(new Seen(rows.size() - 1));
        return rows.size() - 1;
    }

    private static byte[] copy(Ipv4PacketView packet) {
        ByteBuf buf = packet.buffer();
        byte[] bytes = new byte[Math.min(packet.length(), packet.totalLength())];
        buf.getBytes(packet.offset(), bytes);
        return bytes;
    }

    /** The segments recorded so far, deduplicated, in the order they were first seen. */
    public List<TcpSegment> segments() {
        return List.copyOf(rows);
    }

    /** One ladder per connection, in order of first segment; times relative to the first event. */
    public List<Ladder> ladders() {
        List<Conversation> conversations = Conversation.split(rows);
        Map<TcpSegment, int[]> where = new IdentityHashMap<>();
        for (int c = 0; c < conversations.size(); c++) {
            List<TcpSegment> segs = conversations.get(c).segments();
            for (int i = 0; i < segs.size(); i++) {
                where.put(segs.get(i), new int[] {c, i});
            }
        }
        long origin = Long.MAX_VALUE;
        for (Object item : stream) {
            if (item instanceof Change ch) {
                origin = Math.min(origin, ch.nanos());
            } else if (item instanceof Seen seen) {
                origin = Math.min(origin, rows.get(seen.row()).timeNanos());
            }
        }
        List<List<Object>> perConversation = new ArrayList<>();
        for (int c = 0; c < conversations.size(); c++) {
            perConversation.add(new ArrayList<>());
        }
        for (int pos = 0; pos < stream.size(); pos++) {
            Object item = stream.get(pos);
            if (item instanceof Seen seen) {
                TcpSegment s = rows.get(seen.row());
                int[] at = where.get(s);
                perConversation.get(at[0]).add(new Arrow(s, at[1]));
            } else if (item instanceof Change ch) {
                int c = conversationOf(ch, pos, conversations);
                if (c >= 0) {
                    perConversation.get(c).add(item);
                }
            }
            // Delivered items matter only through the order of the changes they cause.
        }
        List<Ladder> out = new ArrayList<>();
        for (int c = 0; c < conversations.size(); c++) {
            out.add(build(conversations.get(c), perConversation.get(c), origin));
        }
        return out;
    }

    /** Which conversation a state change belongs to: by tuple, and by position when a tuple was reused. */
    private int conversationOf(Change ch, int pos, List<Conversation> conversations) {
        List<Integer> candidates = new ArrayList<>();
        for (int c = 0; c < conversations.size(); c++) {
            Conversation conv = conversations.get(c);
            boolean left = conv.initiator().equals(ch.local()) && conv.responder().equals(ch.remote());
            boolean right = conv.responder().equals(ch.local()) && conv.initiator().equals(ch.remote());
            if (left || right) {
                candidates.add(c);
            }
        }
        if (candidates.size() <= 1) {
            return candidates.isEmpty() ? -1 : candidates.get(0);
        }
        int chosen = candidates.get(0);
        for (int c : candidates) {
            int first = firstPosition(conversations.get(c));
            // A change out of CLOSED opens the next incarnation; any other belongs to the latest one begun.
            if (first <= pos || (ch.from() == TcpState.CLOSED && first > pos)) {
                chosen = c;
                if (first > pos) {
                    break;
                }
            }
        }
        return chosen;
    }

    private int firstPosition(Conversation conv) {
        TcpSegment first = conv.segments().get(0);
        for (int pos = 0; pos < stream.size(); pos++) {
            if (stream.get(pos) instanceof Seen seen && rows.get(seen.row()) == first) {
                return pos;
            }
        }
        return Integer.MAX_VALUE;
    }

    private static Ladder build(Conversation conv, List<Object> items, long origin) {
        Drawing d = new Drawing(conv, items);
        for (Object item : items) {
            if (item instanceof Arrow arrow) {
                d.arrow(arrow);
            } else if (item instanceof Change ch) {
                d.change(ch);
            }
        }
        return d.ladder(origin);
    }

    /** Builds one conversation's rows: the observed sides from their changes, the others inferred. */
    private static final class Drawing {
        final Conversation conv;
        final StateInference.Result inferred;
        final SegmentLabels labels;
        final List<MutableRow> built = new ArrayList<>();
        TcpState leftInitial;
        TcpState rightInitial;
        boolean leftObserved;
        boolean rightObserved;
        TcpState left;
        TcpState right;

        Drawing(Conversation conv, List<Object> items) {
            this.conv = conv;
            this.inferred = StateInference.infer(conv);
            this.labels = new SegmentLabels(conv);
            this.leftInitial = inferred.initiatorInitial();
            this.rightInitial = inferred.responderInitial();
            for (Object item : items) {
                if (item instanceof Change ch) {
                    boolean isLeft = ch.local().equals(conv.initiator());
                    if (isLeft && !leftObserved) {
                        leftObserved = true;
                        leftInitial = ch.from(); // the state before its first change
                    } else if (!isLeft && !rightObserved) {
                        rightObserved = true;
                        rightInitial = ch.from();
                    }
                }
            }
            this.left = leftInitial;
            this.right = rightInitial;
        }

        void arrow(Arrow arrow) {
            TcpSegment s = arrow.segment();
            if (!leftObserved) {
                left = inferred.initiatorAfter().get(arrow.index());
            }
            if (!rightObserved) {
                right = inferred.responderAfter().get(arrow.index());
            }
            built.add(new MutableRow(s.timeNanos(), conv.fromInitiator(s) ? Ladder.Kind.ARROW_RIGHT : Ladder.Kind.ARROW_LEFT,
                    labels.label(s), left, right, s));
        }

        void change(Change ch) {
            boolean isLeft = ch.local().equals(conv.initiator());
            if (isLeft) {
                left = ch.to();
            } else {
                right = ch.to();
            }
            MutableRow last = built.isEmpty() ? null : built.get(built.size() - 1);
            Ladder.Kind note = isLeft ? Ladder.Kind.NOTE_LEFT : Ladder.Kind.NOTE_RIGHT;
            if (ch.caused() && last != null) {
                last.left = left;
                last.right = right;
            } else if (last != null && isResetJustSentBy(last, ch)) {
                // An abort sends its RST, then reports the change: draw the cause first, then the RST.
                MutableRow before = built.size() > 1 ? built.get(built.size() - 2) : null;
                TcpState otherBefore = isLeft ? (before == null ? rightInitial : before.right) : (before == null ? leftInitial : before.left);
                built.add(built.size() - 1, new MutableRow(ch.nanos(), note, ch.cause(), isLeft ? left : otherBefore,
                        isLeft ? otherBefore : right, null));
                last.left = left;
                last.right = right;
            } else {
                built.add(new MutableRow(ch.nanos(), note, ch.cause(), left, right, null));
            }
        }

        Ladder ladder(long origin) {
            TcpState leftFinal = leftObserved ? left : inferred.initiatorFinal();
            TcpState rightFinal = rightObserved ? right : inferred.responderFinal();
            return new Ladder(conv.initiator(), conv.responder(), origin, leftInitial, rightInitial,
                    built.stream().map(MutableRow::freeze).toList(), leftFinal, rightFinal, source(conv, leftObserved, rightObserved));
        }
    }

    /** Whether {@code row} is a RST that the side changing state in {@code ch} sent at that same instant. */
    private static boolean isResetJustSentBy(MutableRow row, Change ch) {
        return row.segment != null && row.segment.has(TcpFlags.RST) && row.nanos == ch.nanos()
                && row.segment.source().equals(ch.local());
    }

    private static String source(Conversation conv, boolean leftObserved, boolean rightObserved) {
        if (leftObserved && rightObserved) {
            return "observed";
        }
        if (!leftObserved && !rightObserved) {
            return "inferred";
        }
        Endpoint observed = leftObserved ? conv.initiator() : conv.responder();
        Endpoint other = leftObserved ? conv.responder() : conv.initiator();
        return "of " + observed + " from its stack, of " + other + " inferred";
    }

    private static final class MutableRow {
        final long nanos;
        final Ladder.Kind kind;
        final String label;
        TcpState left;
        TcpState right;
        final TcpSegment segment;

        MutableRow(long nanos, Ladder.Kind kind, String label, TcpState left, TcpState right, TcpSegment segment) {
            this.nanos = nanos;
            this.kind = kind;
            this.label = label;
            this.left = left;
            this.right = right;
            this.segment = segment;
        }

        Ladder.Row freeze() {
            return new Ladder.Row(nanos, kind, label, left, right, segment);
        }
    }
}
