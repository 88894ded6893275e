package io.usertcp.tools.pcap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpSegmentView;
import java.util.HashMap;
import java.util.Map;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A {@link ConnectionObserver} that copies every TCP segment a stack receives or sends into a
 * {@link PcapWriter}: a capture taken at the stack itself, in the order the stack saw them.
 *
 * <p>Timestamps come from the stack clock: {@code epochNanos = epochOffsetNanos + nowNanos}, where
 * {@code nowNanos} is the monotonic time the stack passes to the observer. A stack on the real
 * clock uses {@link #offsetFor(long, long)} once at start; a stack on a virtual clock may use any
 * fixed offset, which makes the file reproducible to the byte.
 *
 * <p>Thread-confined: the stack calls the observer on its own thread, and {@link #close()} must be
 * called on that thread too (or after the stack stopped). The observer never throws into the stack:
 * the first write failure stops the tap and is thrown by {@link #close()}. Segments observed after
 * close are ignored. Buffers: the views are borrowed; the tap copies their bytes.
 *
 * <p>With a writer that keeps comments (pcapng), each packet carries our side's state: {@code ours:
 * ESTABLISHED}, or the change it caused or came with, {@code ours: ESTABLISHED → FIN-WAIT-1 (user
 * CLOSE)}. A received segment is held until the stack has processed it (its changes come after
 * it), then written with them; a change that no received segment caused (a user call, a timer) goes
 * with the next segment the connection sends.
 */
public final class PcapTap implements ConnectionObserver, AutoCloseable {
    private final CaptureWriter writer;
    private final long epochOffsetNanos;
    /** With comments: each connection's state as we last saw it, and changes waiting for a packet to go with. */
    private final Map<ConnectionId, TcpState> states = new HashMap<>();
    private final Map<ConnectionId, StringBuilder> changes = new HashMap<>();
    private final TcpSegmentView segment = new TcpSegmentView();
    /** A received segment held until the stack has processed it, with its connection; null when none. */
    private ByteBuf held;
    private long heldNanos;
    private ConnectionId heldId;
    private Thread owner;
    private RuntimeException failure;
    private boolean closed;

    /**
     * @param writer           ownership moves to the tap, which closes it
     * @param epochOffsetNanos added to the stack's {@code nowNanos} to give nanoseconds since the epoch
     */
    public PcapTap(CaptureWriter writer, long epochOffsetNanos) {
        this.writer = writer;
        this.epochOffsetNanos = epochOffsetNanos;
    }

    /** Opens {@code file} for writing and taps into it. */
    public static PcapTap open(Path file, PcapWriter.Precision precision, long epochOffsetNanos) throws IOException {
        return new PcapTap(PcapWriter.open(file, precision), epochOffsetNanos);
    }

    /** Opens a pcapng {@code file}, whose packets carry our side's state as comments, and taps into it. */
    public static PcapTap openPcapng(Path file, long epochOffsetNanos) throws IOException {
        return new PcapTap(PcapngWriter.open(file), epochOffsetNanos);
    }

    /**
     * The offset that maps the stack clock to wall-clock time, from one reading of each taken
     * together: {@code epochNowNanos - stackNowNanos}.
     */
    public static long offsetFor(long stackNowNanos, long epochNowNanos) {
        return epochNowNanos - stackNowNanos;
    }

    /**
     * The offset for a stack on the real clock: reads the wall clock now and pairs it with the stack's
     * {@code stackNowNanos}, read just before. Call once, on the stack thread, when the tap starts.
     */
    public static long wallClockOffset(long stackNowNanos) {
        Instant now = Instant.now();
        return offsetFor(stackNowNanos, now.getEpochSecond() * 1_000_000_000L + now.getNano());
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        if (!writer.keepsComments()) {
            copy(nowNanos, packet.buffer(), packet.offset(), datagramLength(packet), null);
            return;
        }
        writeHeld();
        if (closed || failure != null) {
            return;
        }
        // Held until the stack has processed it: the changes it causes come after this call.
        int length = datagramLength(packet);
        held = Unpooled.buffer(length, length).writeBytes(packet.buffer(), packet.offset(), length);
        heldNanos = nowNanos;
        TcpSegmentView seg = segment.wrap(packet);
        heldId = new ConnectionId(packet.destinationAddress(), seg.destinationPort(), packet.sourceAddress(), seg.sourcePort());
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        String comment = null;
        if (writer.keepsComments()) {
            writeHeld();
            TcpSegmentView seg = segment.wrap(packet);
            comment = comment(new ConnectionId(packet.sourceAddress(), seg.sourcePort(), packet.destinationAddress(),
                    seg.destinationPort()));
        }
        copy(nowNanos, packet.buffer(), packet.offset(), datagramLength(packet), comment);
    }

    @Override
    public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
        if (!writer.keepsComments()) {
            return;
        }
        if (cause.startsWith("user")) {
            writeHeld(); // a call of the application's, not the held segment's doing
        }
        StringBuilder c = changes.computeIfAbsent(id, k -> new StringBuilder());
        c.append(c.length() == 0 ? from.rfcName() : "").append(" → ").append(to.rfcName()).append(" (").append(cause).append(')');
        if (to == TcpState.CLOSED) {
            states.remove(id);
        } else {
            states.put(id, to);
        }
        if (held == null && (to == TcpState.CLOSED || to == TcpState.TIME_WAIT)) {
            changes.remove(id); // nothing of ours will be sent on it any more to carry the change
        }
    }

    @Override
    public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
        writeHeld();
    }

    @Override
    public void dropped(DropReason reason) {
        writeHeld();
    }

    /** {@code ours: STATE}, or the changes since our last packet on the connection; null when we know nothing of it. */
    private String comment(ConnectionId id) {
        StringBuilder c = changes.remove(id);
        if (c != null) {
            return "ours: " + c;
        }
        TcpState s = states.get(id);
        return s == null ? null : "ours: " + s.rfcName();
    }

    private void writeHeld() {
        if (held == null) {
            return;
        }
        ByteBuf packet = held;
        held = null;
        try {
            copy(heldNanos, packet, 0, packet.readableBytes(), comment(heldId));
        } finally {
            packet.release();
        }
    }

    /** The view may cover link padding past the datagram: keep exactly the datagram. */
    private static int datagramLength(Ipv4PacketView packet) {
        return Math.min(packet.length(), packet.totalLength());
    }

    /** Writes {@code length} bytes of {@code buf} (borrowed: the writer copies them) at {@code offset}. */
    private void copy(long nowNanos, ByteBuf buf, int offset, int length, String comment) {
        assert confined() : "PcapTap used from " + Thread.currentThread() + ", owned by " + owner;
        if (closed || failure != null) {
            return;
        }
        try {
            writer.write(epochOffsetNanos + nowNanos, buf, offset, length, comment);
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private boolean confined() {
        if (owner == null) {
            owner = Thread.currentThread();
        }
        return owner == Thread.currentThread();
    }

    /** Segments written so far. */
    public long packetCount() {
        return writer.packetCount();
    }

    public Path file() {
        return writer.file();
    }

    /** Pushes what libpcap buffered to the file, so that a reader sees every segment so far. */
    public void flush() throws IOException {
        if (!closed) {
            writeHeld();
            writer.flush();
        }
    }

    /**
     * Flushes and closes the file; idempotent.
     *
     * @throws IOException when a segment could not be written, or the file not flushed
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        writeHeld();
        closed = true;
        writer.close();
        if (failure != null) {
            throw new IOException(writer.file() + ": pcap tap stopped after " + writer.packetCount()
                    + " segments: " + failure.getMessage(), failure);
        }
    }
}
