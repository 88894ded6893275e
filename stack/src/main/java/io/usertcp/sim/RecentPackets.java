package io.usertcp.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.TcpdumpFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The last few packets sent into the network with what became of them, kept as byte copies in a
 * fixed ring (no allocation per packet once warm) and formatted only when someone asks: a livelock
 * report or an assertion message. The copy doubles as a cheap, untracked buffer the network reads
 * instead of the pooled original.
 */
final class RecentPackets {
    private final ByteBuf[] copies;
    private final long[] times;
    private final Direction[] directions;
    private final String[] labels;
    private int next;
    private int count;

    RecentPackets(int capacity) {
        copies = new ByteBuf[capacity];
        times = new long[capacity];
        directions = new Direction[capacity];
        labels = new String[capacity];
    }

    /**
     * Copies {@code packet}'s readable bytes into the next slot; valid until the next call.
     *
     * @param packet borrowed
     * @return an unpooled heap buffer over the copy (never released: it is only a byte array)
     */
    ByteBuf copyOf(ByteBuf packet) {
        int length = packet.readableBytes();
        ByteBuf slot = copies[next];
        if (slot == null || slot.capacity() < length) {
            slot = Unpooled.wrappedBuffer(new byte[Math.max(length, 128)]);
            copies[next] = slot;
        }
        slot.clear();
        packet.getBytes(packet.readerIndex(), slot, 0, length);
        slot.writerIndex(length);
        return slot;
    }

    /** Files the slot last filled by {@link #copyOf}, with a few words saying its fate ("" when delivered as sent). */
    void commit(long elapsedNanos, Direction direction, String label) {
        times[next] = elapsedNanos;
        directions[next] = direction;
        labels[next] = label;
        next = (next + 1) % copies.length;
        count = Math.min(count + 1, copies.length);
    }

    /** One line per packet, oldest first: {@code   12.345678 A>B LOST 198.18.0.1.40000 > ...}. */
    String format() {
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int k = Math.floorMod(next - count + i, copies.length);
            lines.add(String.format(Locale.ROOT, "%12.6f %s%s %s", times[k] / 1e9, directions[k].arrow(), labels[k],
                    TcpdumpFormatter.format(copies[k])));
        }
        return String.join("\n", lines);
    }
}
