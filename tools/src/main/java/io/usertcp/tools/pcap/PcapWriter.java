package io.usertcp.tools.pcap;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.function.LongSupplier;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Writes a classic pcap file (what tcpdump and Wireshark read) through pcap4j and libpcap: a dead
 * handle with link type RAW ({@code DLT_RAW}, stored in the file as {@code LINKTYPE_RAW} = 101, so
 * every record is a bare IPv4 datagram) and a {@link PcapDumper}.
 *
 * <p>Timestamps are given in nanoseconds since the Unix epoch and stored with the precision chosen
 * at open: microseconds (magic {@code a1b2c3d4}, what every reader knows) or nanoseconds (magic
 * {@code a1b23c4d}; {@code tcpdump --nano}). Use {@link PcapTap} to turn a stack's monotonic clock
 * into epoch time.
 *
 * <p>Not thread-safe: one thread writes (the stack's). libpcap buffers records; {@link #flush()}
 * pushes them to the file and {@link #close()} flushes and closes. The writer also flushes on its
 * own, after the first record and every {@value #FLUSH_EVERY_RECORDS}th, and at the first record
 * {@value #FLUSH_EVERY_MILLIS} ms or more after the last flush: a process killed outright (kill -9,
 * which runs no shutdown hook) leaves a file that readers open, missing at most its last moments.
 */
public final class PcapWriter implements CaptureWriter {
    /** The pcap link type written in the file header: raw IP, the datagram starts with its IPv4 header. */
    public static final int LINKTYPE_RAW = 101;
    /** Large enough for any IPv4 datagram: nothing is truncated. */
    public static final int SNAPLEN = 65_535;
    /** Records between two flushes of the writer's own, at most. */
    static final int FLUSH_EVERY_RECORDS = 128;
    /** Time after which the next record flushes, at most. */
    static final long FLUSH_EVERY_MILLIS = 50;

    /** How finely the file stores timestamps. */
    public enum Precision {
        MICRO(PcapHandle.TimestampPrecision.MICRO),
        NANO(PcapHandle.TimestampPrecision.NANO);

        final PcapHandle.TimestampPrecision pcap4j;

        Precision(PcapHandle.TimestampPrecision pcap4j) {
            this.pcap4j = pcap4j;
        }
    }

    private final Path file;
    private final PcapHandle handle;
    private final PcapDumper dumper;
    private final LongSupplier nanoClock;
    private long packets;
    private long lastFlushNanos;
    private boolean flushedOnce;
    private boolean closed;

    private PcapWriter(Path file, PcapHandle handle, PcapDumper dumper, LongSupplier nanoClock) {
        this.file = file;
        this.handle = handle;
        this.dumper = dumper;
        this.nanoClock = nanoClock;
    }

    /**
     * Creates (or truncates) {@code file} and writes the pcap global header.
     *
     * @throws Libpcap.MissingException when libpcap is not installed
     * @throws IOException              when libpcap cannot create the file
     */
    public static PcapWriter open(Path file, Precision precision) throws IOException {
        return open(file, precision, System::nanoTime);
    }

    /** {@link #open(Path, Precision)} with the clock that times the writer's own flushes (tests). */
    static PcapWriter open(Path file, Precision precision, LongSupplier nanoClock) throws IOException {
        Libpcap.require();
        PcapHandle handle;
        try {
            handle = Pcaps.openDead(DataLinkType.RAW, SNAPLEN, precision.pcap4j);
        } catch (PcapNativeException e) {
            throw new IOException("pcap: cannot open a dead handle: " + e.getMessage(), e);
        }
        try {
            return new PcapWriter(file, handle, handle.dumpOpen(file.toString()), nanoClock);
        } catch (PcapNativeException | NotOpenException e) {
            handle.close();
            throw new IOException(file + ": cannot create the pcap file: " + e.getMessage(), e);
        }
    }

    /**
     * Appends one record.
     *
     * @param epochNanos the capture time, nanoseconds since 1970-01-01T00:00:00Z (not negative)
     * @param ipv4       the whole IPv4 datagram; copied by libpcap before this returns
     * @throws UncheckedIOException when a flush of the writer's own fails (a full disk)
     */
    public void write(long epochNanos, byte[] ipv4) {
        if (epochNanos < 0) {
            throw new IllegalArgumentException("epochNanos: " + epochNanos + " (expected: >= 0)");
        }
        if (ipv4.length > SNAPLEN) {
            throw new IllegalArgumentException("datagram: " + ipv4.length + " bytes (expected: <= " + SNAPLEN + ")");
        }
        if (closed) {
            throw new IllegalStateException(file + ": pcap writer already closed");
        }
        try {
            dumper.dumpRaw(ipv4, timestamp(epochNanos));
        } catch (NotOpenException e) {
            throw new IllegalStateException(file + ": pcap dumper not open", e);
        }
        packets++;
        long now = nanoClock.getAsLong();
        if (!flushedOnce || packets % FLUSH_EVERY_RECORDS == 0 || now - lastFlushNanos >= FLUSH_EVERY_MILLIS * 1_000_000L) {
            try {
                flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Appends one record copied from {@code length} bytes of {@code buf} at absolute {@code offset}.
     *
     * @param buf borrowed: not released, indices untouched
     */
    public void write(long epochNanos, ByteBuf buf, int offset, int length) {
        byte[] copy = new byte[length];
        buf.getBytes(offset, copy);
        write(epochNanos, copy);
    }

    /** {@code epochNanos} as the {@link Timestamp} pcap4j takes: whole seconds plus nanoseconds. */
    static Timestamp timestamp(long epochNanos) {
        Timestamp ts = new Timestamp(Math.floorDiv(epochNanos, 1_000_000_000L) * 1000L);
        ts.setNanos((int) Math.floorMod(epochNanos, 1_000_000_000L));
        return ts;
    }

    /** Records written so far. */
    /** As {@link #write(long, ByteBuf, int, int)}: pcap has no place for the comment, which is dropped. */
    @Override
    public void write(long epochNanos, ByteBuf buf, int offset, int length, String comment) {
        write(epochNanos, buf, offset, length);
    }

    @Override
    public boolean keepsComments() {
        return false;
    }

    public long packetCount() {
        return packets;
    }

    public Path file() {
        return file;
    }

    /** Pushes buffered records to the file. */
    public void flush() throws IOException {
        if (closed) {
            return;
        }
        try {
            dumper.flush();
        } catch (PcapNativeException | NotOpenException e) {
            throw new IOException(file + ": cannot write the pcap file: " + e.getMessage(), e);
        }
        flushedOnce = true;
        lastFlushNanos = nanoClock.getAsLong();
    }

    /** Flushes and closes the file; idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            dumper.close();
            handle.close();
        }
    }
}
