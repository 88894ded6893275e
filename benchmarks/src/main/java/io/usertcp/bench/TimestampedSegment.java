package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;

/**
 * Builds the packet the parse benchmarks decode: an IPv4 + TCP segment as Linux sends it on an
 * established connection, with the timestamps option laid out {@code nop,nop,TS} (a 52-byte
 * header block: 20 IPv4 + 20 TCP + 12 options), optionally followed by payload.
 *
 * <p>The header bytes are packet 3 of the golden capture {@code tcp-handshake-data-close.pcap}
 * (198.18.0.1.40001 &gt; 198.18.0.2.5000, ACK, win 63, TS val 1681668256 ecr 343929498), copied
 * byte for byte. With payload, the total length, PSH flag and both checksums are rewritten through
 * the views, so the packet stays one the stack would accept.
 */
final class TimestampedSegment {
    /** Source of the golden segment: 198.18.0.1. */
    static final int CLIENT_ADDRESS = 0xC6120001;
    /** Destination of the golden segment, the address the decoder treats as local: 198.18.0.2. */
    static final int SERVER_ADDRESS = 0xC6120002;
    /** IPv4 header (20) + TCP header (20) + {@code nop,nop,TS} (12). */
    static final int HEADERS_LENGTH = 52;

    private static final String GOLDEN_ACK_HEX =
            "45000034387a400040067622c6120001c6120002"   // IPv4: len 52, id 14458, DF, TTL 64, TCP
            + "9c411388c29647af8855a6e38010003f5d170000" // TCP: 40001 > 5000, doff 8, ACK, win 63
            + "0101080a643c38a0147ff29a";                // nop, nop, TS val/ecr

    private TimestampedSegment() {}

    /**
     * The golden ACK, with {@code payloadLength} bytes of payload appended when positive.
     *
     * @return a new buffer, owned by the caller, readable bytes = the packet
     */
    static ByteBuf build(BufferKind kind, int payloadLength) {
        ByteBuf packet = kind.allocate(HEADERS_LENGTH + payloadLength);
        packet.writeBytes(hexToBytes(GOLDEN_ACK_HEX));
        if (payloadLength == 0) {
            return packet;
        }
        for (int i = 0; i < payloadLength; i++) {
            packet.writeByte('a' + i % 26);
        }
        Ipv4PacketView ip = new Ipv4PacketView().wrap(packet, 0, packet.readableBytes());
        ip.setTotalLength(packet.readableBytes());
        ip.fillHeaderChecksum();
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        tcp.setFlags(TcpFlags.ACK | TcpFlags.PSH);
        tcp.fillChecksum(ip.sourceAddress(), ip.destinationAddress());
        return packet;
    }

    private static byte[] hexToBytes(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return bytes;
    }
}
