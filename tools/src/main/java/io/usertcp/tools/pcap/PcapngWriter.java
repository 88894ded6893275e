package io.usertcp.tools.pcap;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a pcapng file (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
 * Description Block (link type RAW, IPv4 datagrams; nanosecond timestamps, if_tsresol = 9), then one
 * Enhanced Packet Block per datagram, with an {@code opt_comment} when there is one (Wireshark shows
 * it as the packet's comment). libpcap 1.10 writes pcap only, so this small writer is our own.
 *
 * <p>Each block goes to the file in one write as it is made: a process killed outright leaves
 * every whole block before it, which Wireshark reads. Not thread-safe: the stack's thread writes.
 */
public final class PcapngWriter implements CaptureWriter {
    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 0x00000001;
    static final int EPB = 0x00000006;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final short OPT_END = 0;
    private static final short OPT_COMMENT = 1;
    private static final short SHB_USERAPPL = 4;
    private static final short IF_TSRESOL = 9;

    private final Path file;
    private final FileChannel channel;
    private ByteBuffer block = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    private long packets;

    private PcapngWriter(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Creates (or truncates) {@code file} and writes the section and interface headers. */
    public static PcapngWriter open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        PcapngWriter w = new PcapngWriter(file, channel);
        try {
            w.header();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return w;
    }

    private void header() throws IOException {
        start(SHB);
        block.putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L); // version 1.0, length unknown
        option(SHB_USERAPPL, "usertcp".getBytes(StandardCharsets.UTF_8));
        block.putShort(OPT_END).putShort((short) 0);
        finish();
        start(IDB);
        block.putShort((short) PcapWriter.LINKTYPE_RAW).putShort((short) 0).putInt(PcapWriter.SNAPLEN);
        option(IF_TSRESOL, new byte[] {9}); // 10^-9 s
        block.putShort(OPT_END).putShort((short) 0);
        finish();
    }

    /** One Enhanced Packet Block, with the comment as its opt_comment. @param buf borrowed: the bytes are copied */
    @Override
    public void write(long epochNanos, ByteBuf buf, int offset, int length, String comment) {
        int captured = Math.min(length, PcapWriter.SNAPLEN);
        byte[] text = comment == null || comment.isEmpty() ? null : comment.getBytes(StandardCharsets.UTF_8);
        ensure(32 + captured + 3 + (text == null ? 0 : 8 + text.length + 3) + 8);
        start(EPB);
        block.putInt(0).putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos).putInt(captured).putInt(length);
        buf.getBytes(offset, block.array(), block.position(), captured);
        block.position(block.position() + captured);
        pad();
        if (text != null) {
            option(OPT_COMMENT, text);
            block.putShort(OPT_END).putShort((short) 0);
        }
        try {
            finish();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("pcapng: writing " + file + ": " + e.getMessage(), e);
        }
        packets++;
    }

    /** Room for {@code bytes} in the block, what it holds so far kept. */
    private void ensure(int bytes) {
        if (block.capacity() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Integer.highestOneBit(bytes) * 2).order(ByteOrder.LITTLE_ENDIAN);
            block.flip();
            block = bigger.put(block);
        }
    }

    private void start(int type) {
        block.clear();
        block.putInt(type).putInt(0); // the length is set by finish()
    }

    private void option(short code, byte[] value) {
        ensure(block.position() + 4 + value.length + 3 + 16);
        block.putShort(code).putShort((short) value.length).put(value);
        pad();
    }

    private void pad() {
        while ((block.position() & 3) != 0) {
            block.put((byte) 0);
        }
    }

    /** Writes the block's total length at both ends and the block to the file. */
    private void finish() throws IOException {
        int total = block.position() + 4;
        block.putInt(total);
        block.putInt(4, total);
        block.flip();
        while (block.hasRemaining()) {
            channel.write(block);
        }
    }

    @Override
    public boolean keepsComments() {
        return true;
    }

    @Override
    public long packetCount() {
        return packets;
    }

    @Override
    public Path file() {
        return file;
    }

    /** Every block is written as it is made: nothing is buffered here. */
    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.close();
        }
    }
}
