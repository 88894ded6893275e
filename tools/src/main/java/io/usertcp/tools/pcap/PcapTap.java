package io.usertcp.tools.pcap;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.wire.Ipv4PacketView;
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
 */
public final class PcapTap implements ConnectionObserver, AutoCloseable {
    private final PcapWriter writer;
    private final long epochOffsetNanos;
    private Thread owner;
    private RuntimeException failure;
    private boolean closed;

    /**
     * @param writer           ownership moves to the tap, which closes it
     * @param epochOffsetNanos added to the stack's {@code nowNanos} to give nanoseconds since the epoch
     */
    public PcapTap(PcapWriter writer, long epochOffsetNanos) {
        this.writer = writer;
        this.epochOffsetNanos = epochOffsetNanos;
    }

    /** Opens {@code file} for writing and taps into it. */
    public static PcapTap open(Path file, PcapWriter.Precision precision, long epochOffsetNanos) throws IOException {
        return new PcapTap(PcapWriter.open(file, precision), epochOffsetNanos);
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
        copy(nowNanos, packet);
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        copy(nowNanos, packet);
    }

    private void copy(long nowNanos, Ipv4PacketView packet) {
        assert confined() : "PcapTap used from " + Thread.currentThread() + ", owned by " + owner;
        if (closed || failure != null) {
            return;
        }
        try {
            // The view may cover link padding past the datagram: keep exactly the datagram.
            int length = Math.min(packet.length(), packet.totalLength());
            writer.write(epochOffsetNanos + nowNanos, packet.buffer(), packet.offset(), length);
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
        closed = true;
        writer.close();
        if (failure != null) {
            throw new IOException(writer.file() + ": pcap tap stopped after " + writer.packetCount()
                    + " segments: " + failure.getMessage(), failure);
        }
    }
}
