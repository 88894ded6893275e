package io.usertcp.tools.control;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The binary frames a capture stream carries after its {@code OK} line (see {@link ControlProtocol#CAPTURE}).
 * Every number is big-endian.
 *
 * <pre>
 *   'P' direction:u8 epochNanos:u64 length:u32 datagram[length]   a segment our stack received (0) or sent (1)
 *   'D' dropped:u64                                              segments dropped so far because the reader
 *                                                                was slow; also sent every second when idle
 *   'E' dropped:u64                                              the stack is stopping: nothing follows
 * </pre>
 *
 * A datagram is a whole IPv4 packet, at most {@link #MAX_DATAGRAM_BYTES}.
 */
public final class CaptureFrames {
    public static final byte PACKET = 'P';
    public static final byte DROPPED = 'D';
    public static final byte END = 'E';
    /** The largest IPv4 datagram. */
    public static final int MAX_DATAGRAM_BYTES = 65_535;
    /** Header bytes of a packet frame before its datagram. */
    public static final int PACKET_HEADER_BYTES = 1 + 1 + 8 + 4;
    /** Bytes of a dropped or end frame. */
    public static final int COUNT_FRAME_BYTES = 1 + 8;

    /** What a reader of a capture stream is told, frame by frame. */
    public interface Receiver {
        /** One segment; {@code ipv4} is the receiver's to keep. */
        void packet(long epochNanos, boolean outbound, byte[] ipv4) throws IOException;

        /** How many segments the stack has dropped for this reader so far (it only grows). */
        void dropped(long total);

        /** The stack is stopping; {@code dropped} is the final count. */
        void ended(long dropped);
    }

    private CaptureFrames() {}

    /** Appends a packet frame; {@code out} must have {@link #PACKET_HEADER_BYTES} + length bytes left. */
    static void putPacket(ByteBuffer out, long epochNanos, boolean outbound, byte[] ipv4) {
        out.put(PACKET).put((byte) (outbound ? 1 : 0)).putLong(epochNanos).putInt(ipv4.length).put(ipv4);
    }

    /** Appends a dropped or end frame. */
    static void putCount(ByteBuffer out, byte type, long dropped) {
        out.put(type).putLong(dropped);
    }

    /**
     * Reads the complete frames in {@code in} (flipped for reading), hands them to {@code receiver}
     * and leaves a trailing partial frame in place.
     *
     * @return whether an end frame was read (nothing after it is read)
     * @throws IOException when a frame is malformed: an unknown type, a length out of range
     */
    static boolean drain(ByteBuffer in, Receiver receiver) throws IOException {
        while (in.hasRemaining()) {
            int start = in.position();
            byte type = in.get(start);
            switch (type) {
                case PACKET -> {
                    if (in.remaining() < PACKET_HEADER_BYTES) {
                        return false;
                    }
                    int direction = in.get(start + 1);
                    long nanos = in.getLong(start + 2);
                    int length = in.getInt(start + 10);
                    if (length < 20 || length > MAX_DATAGRAM_BYTES || (direction != 0 && direction != 1)) {
                        throw new IOException("capture stream: bad packet frame (direction " + direction + ", length " + length + ")");
                    }
                    if (in.remaining() < PACKET_HEADER_BYTES + length) {
                        return false;
                    }
                    byte[] ipv4 = new byte[length];
                    in.get(start + PACKET_HEADER_BYTES, ipv4);
                    in.position(start + PACKET_HEADER_BYTES + length);
                    receiver.packet(nanos, direction == 1, ipv4);
                }
                case DROPPED, END -> {
                    if (in.remaining() < COUNT_FRAME_BYTES) {
                        return false;
                    }
                    long dropped = in.getLong(start + 1);
                    in.position(start + COUNT_FRAME_BYTES);
                    if (type == END) {
                        receiver.ended(dropped);
                        return true;
                    }
                    receiver.dropped(dropped);
                }
                default -> throw new IOException("capture stream: unknown frame type 0x" + Integer.toHexString(type & 0xFF));
            }
        }
        return false;
    }
}
