package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * Walks the TCP options area once, in wire order, and reports each option to a
 * {@link TcpOptionSink}. The single source of truth for option syntax.
 *
 * <p>Rules (RFC 9293 §3.2 and the RFCs of each option):
 * <ul>
 *   <li>EOL ends the list; the bytes after it are padding and are not read.</li>
 *   <li>NOP is one byte.</li>
 *   <li>Every other kind has a length byte counting kind and length; a length below 2, or one that
 *       runs past the header, is malformed (MUST-7: handle it without crashing; we drop).</li>
 *   <li>A known kind with a length other than its RFC's (MSS 4, WS 3, SACK-permitted 2,
 *       timestamps 10, SACK 2 + 8n with 1 ≤ n ≤ 4, MD5 signature 18) is malformed. (Linux
 *       tcp_parse_md5sig_option() takes an MD5 option of another length as no option, which a
 *       connection with a key then drops as TcpExtTCPMD5NotFound; here it is dropped as malformed
 *       whatever the connection, as every other known option of a wrong length is.)</li>
 *   <li>Unknown kinds are skipped by their length (MUST-6).</li>
 *   <li>A duplicated option is reported each time; sinks keep the last, as Linux does.</li>
 * </ul>
 * Allocates nothing.
 */
public final class TcpOptionParser {
    private TcpOptionParser() {}

    /**
     * Parses the options in {@code [from, to)} of {@code buf}.
     *
     * @param buf borrowed; not modified
     * @return {@code null} when well formed, otherwise {@link DropReason#TCP_BAD_OPTION}
     */
    public static DropReason parse(ByteBuf buf, int from, int to, TcpOptionSink sink) {
        int i = from;
        while (i < to) {
            int kind = buf.getUnsignedByte(i);
            if (kind == TcpOptionKind.EOL) {
                sink.onEol(i);
                return null;
            }
            if (kind == TcpOptionKind.NOP) {
                sink.onNop();
                i++;
                continue;
            }
            if (i + 1 >= to) {
                return DropReason.TCP_BAD_OPTION;
            }
            int length = buf.getUnsignedByte(i + 1);
            if (length < 2 || i + length > to) {
                return DropReason.TCP_BAD_OPTION;
            }
            if (!deliver(buf, i, kind, length, sink)) {
                return DropReason.TCP_BAD_OPTION;
            }
            i += length;
        }
        return null;
    }

    /** Reports one option of a well-formed outer structure; false when its length is wrong for its kind. */
    private static boolean deliver(ByteBuf buf, int at, int kind, int length, TcpOptionSink sink) {
        switch (kind) {
            case TcpOptionKind.MSS -> {
                if (length != TcpOptionKind.MSS_LENGTH) {
                    return false;
                }
                sink.onMss(buf.getUnsignedShort(at + 2));
            }
            case TcpOptionKind.WINDOW_SCALE -> {
                if (length != TcpOptionKind.WINDOW_SCALE_LENGTH) {
                    return false;
                }
                sink.onWindowScale(buf.getUnsignedByte(at + 2));
            }
            case TcpOptionKind.SACK_PERMITTED -> {
                if (length != TcpOptionKind.SACK_PERMITTED_LENGTH) {
                    return false;
                }
                sink.onSackPermitted();
            }
            case TcpOptionKind.SACK -> {
                int data = length - 2;
                int blocks = data / TcpOptionKind.SACK_BLOCK_LENGTH;
                if (data % TcpOptionKind.SACK_BLOCK_LENGTH != 0 || blocks < 1 || blocks > TcpOptionKind.MAX_SACK_BLOCKS) {
                    return false;
                }
                for (int b = 0; b < blocks; b++) {
                    int p = at + 2 + b * TcpOptionKind.SACK_BLOCK_LENGTH;
                    sink.onSackBlock(b, buf.getInt(p), buf.getInt(p + 4));
                }
            }
            case TcpOptionKind.TIMESTAMPS -> {
                if (length != TcpOptionKind.TIMESTAMPS_LENGTH) {
                    return false;
                }
                sink.onTimestamps(buf.getInt(at + 2), buf.getInt(at + 6));
            }
            case TcpOptionKind.MD5_SIGNATURE -> {
                if (length != TcpOptionKind.MD5_SIGNATURE_LENGTH) {
                    return false;
                }
                sink.onMd5Signature(buf, at + 2);
            }
            default -> sink.onUnknown(kind, buf, at + 2, length - 2);
        }
        return true;
    }
}
