package io.usertcp.wire;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** One TCP option as a value, in the order it appears on the wire. */
public sealed interface TcpOption {

    /** Bytes this option occupies on the wire. */
    int encodedLength();

    /** Writes the option at {@code at}; returns the bytes written. @param buf borrowed, written */
    int writeTo(ByteBuf buf, int at);

    /** tcpdump's notation, e.g. {@code mss 1460}. */
    String format();

    record Eol() implements TcpOption {
        public int encodedLength() {
            return 1;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.EOL);
            return 1;
        }

        public String format() {
            return "eol";
        }
    }

    record Nop() implements TcpOption {
        public int encodedLength() {
            return 1;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.NOP);
            return 1;
        }

        public String format() {
            return "nop";
        }
    }

    record Mss(int mss) implements TcpOption {
        public Mss {
            Fields.checkUnsigned("mss", mss, 16);
        }

        public int encodedLength() {
            return TcpOptionKind.MSS_LENGTH;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.MSS);
            buf.setByte(at + 1, TcpOptionKind.MSS_LENGTH);
            buf.setShort(at + 2, mss);
            return TcpOptionKind.MSS_LENGTH;
        }

        public String format() {
            return "mss " + mss;
        }
    }

    record WindowScale(int shift) implements TcpOption {
        public WindowScale {
            Fields.checkUnsigned("shift", shift, 8);
        }

        public int encodedLength() {
            return TcpOptionKind.WINDOW_SCALE_LENGTH;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.WINDOW_SCALE);
            buf.setByte(at + 1, TcpOptionKind.WINDOW_SCALE_LENGTH);
            buf.setByte(at + 2, shift);
            return TcpOptionKind.WINDOW_SCALE_LENGTH;
        }

        public String format() {
            return "wscale " + shift;
        }
    }

    record SackPermitted() implements TcpOption {
        public int encodedLength() {
            return TcpOptionKind.SACK_PERMITTED_LENGTH;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.SACK_PERMITTED);
            buf.setByte(at + 1, TcpOptionKind.SACK_PERMITTED_LENGTH);
            return TcpOptionKind.SACK_PERMITTED_LENGTH;
        }

        public String format() {
            return "sackOK";
        }
    }

    /** A SACK block: the left edge and the right edge (one past the last byte) of received data. */
    record SackBlock(int left, int right) {
        @Override
        public String toString() {
            return "{" + SeqNum.unsigned(left) + ":" + SeqNum.unsigned(right) + "}";
        }
    }

    record Sack(List<SackBlock> blocks) implements TcpOption {
        public Sack {
            blocks = List.copyOf(blocks);
            if (blocks.isEmpty() || blocks.size() > TcpOptionKind.MAX_SACK_BLOCKS) {
                throw new IllegalArgumentException("SACK blocks: " + blocks.size() + " (expected: 1.." + TcpOptionKind.MAX_SACK_BLOCKS + ")");
            }
        }

        public int encodedLength() {
            return 2 + TcpOptionKind.SACK_BLOCK_LENGTH * blocks.size();
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.SACK);
            buf.setByte(at + 1, encodedLength());
            int p = at + 2;
            for (SackBlock block : blocks) {
                buf.setInt(p, block.left());
                buf.setInt(p + 4, block.right());
                p += TcpOptionKind.SACK_BLOCK_LENGTH;
            }
            return encodedLength();
        }

        public String format() {
            StringBuilder sb = new StringBuilder("sack ").append(blocks.size()).append(' ');
            blocks.forEach(sb::append);
            return sb.toString();
        }
    }

    record Timestamps(int tsVal, int tsEcr) implements TcpOption {
        public int encodedLength() {
            return TcpOptionKind.TIMESTAMPS_LENGTH;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.TIMESTAMPS);
            buf.setByte(at + 1, TcpOptionKind.TIMESTAMPS_LENGTH);
            buf.setInt(at + 2, tsVal);
            buf.setInt(at + 6, tsEcr);
            return TcpOptionKind.TIMESTAMPS_LENGTH;
        }

        public String format() {
            return "TS val " + SeqNum.unsigned(tsVal) + " ecr " + SeqNum.unsigned(tsEcr);
        }
    }

    /**
     * A TCP MD5 signature (RFC 2385 §3.0): kind 19, length 18, the 16-byte digest. Shown as
     * packetdrill writes it ({@code md5 <hex>}); tcpdump prints the same digest after "md5".
     */
    record Md5Signature(byte[] digest) implements TcpOption {
        public Md5Signature {
            if (digest.length != TcpOptionKind.MD5_DIGEST_LENGTH) {
                throw new IllegalArgumentException("digest: " + digest.length + " bytes (expected: "
                        + TcpOptionKind.MD5_DIGEST_LENGTH + ")");
            }
            digest = digest.clone();
        }

        @Override
        public byte[] digest() {
            return digest.clone();
        }

        public int encodedLength() {
            return TcpOptionKind.MD5_SIGNATURE_LENGTH;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, TcpOptionKind.MD5_SIGNATURE);
            buf.setByte(at + 1, TcpOptionKind.MD5_SIGNATURE_LENGTH);
            buf.setBytes(at + 2, digest);
            return TcpOptionKind.MD5_SIGNATURE_LENGTH;
        }

        public String format() {
            return "md5 " + HexFormat.of().formatHex(digest);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Md5Signature m && Arrays.equals(m.digest, digest);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(digest);
        }

        @Override
        public String toString() {
            return "Md5Signature[" + format() + "]";
        }
    }

    /** An option this stack does not interpret, kept byte for byte. */
    record Unknown(int kind, byte[] data) implements TcpOption {
        public Unknown {
            Fields.checkUnsigned("kind", kind, 8);
            if (kind <= TcpOptionKind.NOP) {
                throw new IllegalArgumentException("kind: " + kind + " (expected: a kind with a length byte, 2..255)");
            }
            data = data.clone();
            if (data.length > TcpOptionKind.MAX_OPTIONS_LENGTH - 2) {
                throw new IllegalArgumentException("data: " + data.length + " bytes (expected: at most 38)");
            }
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        public int encodedLength() {
            return 2 + data.length;
        }

        public int writeTo(ByteBuf buf, int at) {
            buf.setByte(at, kind);
            buf.setByte(at + 1, encodedLength());
            buf.setBytes(at + 2, data);
            return encodedLength();
        }

        public String format() {
            return "unknown-" + kind + (data.length == 0 ? "" : " 0x" + HexFormat.of().formatHex(data));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.kind == kind && Arrays.equals(u.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * kind + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Unknown[" + format() + "]";
        }
    }
}
