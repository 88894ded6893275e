package io.usertcp.tools.pcap;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.Path;

/** Where a {@link PcapTap} writes: a pcap file ({@link PcapWriter}) or a pcapng file with comments ({@link PcapngWriter}). */
public interface CaptureWriter extends AutoCloseable {
    /**
     * Writes one IPv4 datagram captured at {@code epochNanos}.
     *
     * @param comment a text to attach to the packet, or null (formats without comments drop it)
     * @param buf     borrowed: the bytes are copied
     */
    void write(long epochNanos, ByteBuf buf, int offset, int length, String comment);

    /** Whether written comments are kept. */
    boolean keepsComments();

    long packetCount();

    Path file();

    /** Pushes what is buffered to the file. */
    void flush() throws IOException;

    @Override
    void close() throws IOException;
}
