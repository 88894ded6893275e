package io.usertcp.packetdrill;

import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptionKind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Compares a scripted outbound segment with one the stack sent, in script space, the way
 * packetdrill does (with the {@link Comparison}'s relaxations), and formats segments in script
 * notation for messages.
 */
final class PacketMatcher {
    private PacketMatcher() {}

    /** The first difference, in words, or null when the live packet matches. */
    static String mismatch(PacketSpec spec, LivePacket live, Comparison comparison, SequenceMapping map) {
        if (!live.isTcp()) {
            return "expected a TCP segment, the stack sent IP protocol " + live.protocol();
        }
        int flags = live.tcp().flags();
        if (flags != spec.flags()) {
            return "flags: expected " + flags(spec.flags()) + " but got " + flags(flags);
        }
        String ecn = ecnMismatch(spec.ecn(), live.ecn());
        if (ecn != null) {
            return ecn;
        }
        if (spec.tos() >= 0 && (spec.ecn() == null ? live.tos() != spec.tos() : (live.tos() & ~0x3) != (spec.tos() & ~0x3))) {
            return String.format("IP TOS: expected 0x%x but got 0x%x", spec.tos(), live.tos());
        }
        if (spec.seqKnown()) {
            long seq = map.localToScript(live.seq());
            if (seq != spec.seqStart()) {
                return "sequence number: expected " + spec.seqStart() + " but got " + seq;
            }
        }
        if (live.payloadLength() != spec.length()) {
            return "payload: expected " + spec.length() + " bytes but got " + live.payloadLength();
        }
        if (spec.hasAck() && live.ack() != spec.ack()) {
            return "ack: expected " + spec.ack() + " but got " + live.ack();
        }
        if (comparison.comparesWindow() && spec.hasWindow() && live.tcp().window() != spec.window()) {
            return "window: expected " + spec.window() + " but got " + live.tcp().window();
        }
        if (spec.anyOptions()) {
            return null;
        }
        return comparison.comparesOptionBytes() ? optionBytesMismatch(spec, live, map) : optionSetMismatch(spec, live);
    }

    private static String ecnMismatch(String expected, int actual) {
        if (expected == null) {
            return null;
        }
        boolean ok = switch (expected) {
            case "noecn" -> actual == 0;
            case "ect1" -> actual == 1;
            case "ect0" -> actual == 2;
            case "ce" -> actual == 3;
            default -> actual == 1 || actual == 2; // ect01
        };
        return ok ? null : "IP ECN field: expected [" + expected + "] but got " + ecnName(actual);
    }

    private static String ecnName(int ecn) {
        return switch (ecn) {
            case 0 -> "[noecn]";
            case 1 -> "[ect1]";
            case 2 -> "[ect0]";
            default -> "[ce]";
        };
    }

    /** LINUX: the options area byte for byte, the TS value taken from the live packet as packetdrill does. */
    private static String optionBytesMismatch(PacketSpec spec, LivePacket live, SequenceMapping map) {
        List<TcpOptionSpec> expected = spec.options() == null ? List.of() : spec.options();
        long liveTsVal = live.tcp().options().timestamps().map(t -> SeqNum.unsigned(t.tsVal())).orElse(0L);
        List<TcpOption> wire = ScriptOptions.toWire(expected, liveTsVal, false, map);
        byte[] want = encode(wire);
        takeLiveDigest(wire, want, live.optionBytes());
        if (java.util.Arrays.equals(want, live.optionBytes())) {
            return null;
        }
        return "options: expected <" + formatSpec(expected) + "> but got <" + formatLive(live.tcp().options().list(), map) + ">";
    }

    /**
     * An MD5 signature (RFC 2385) the script expects is matched by its place, not its digest: the
     * script cannot know the digest, which covers the live sequence numbers, so the live one is
     * copied into what is expected (that it is the right signature, the stack's tests check).
     */
    private static void takeLiveDigest(List<TcpOption> wire, byte[] want, byte[] live) {
        int at = 0;
        for (TcpOption o : wire) {
            if (o instanceof TcpOption.Md5Signature && at + TcpOptionKind.MD5_SIGNATURE_LENGTH <= live.length
                    && live[at] == TcpOptionKind.MD5_SIGNATURE && live[at + 1] == TcpOptionKind.MD5_SIGNATURE_LENGTH) {
                System.arraycopy(live, at + 2, want, at + 2, TcpOptionKind.MD5_DIGEST_LENGTH);
            }
            at += o.encodedLength();
        }
    }

    /** The options area as they would be sent, padding included. */
    static byte[] encode(List<TcpOption> options) {
        io.usertcp.wire.TcpOptions o = PacketCodec.options(options);
        io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.buffer(o.areaLength());
        try {
            o.writeTo(buf, 0);
            byte[] bytes = new byte[o.areaLength()];
            buf.getBytes(0, bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    /** RFC: each meaningful option once, same values (TS value learned, window-scale shift free). */
    private static String optionSetMismatch(PacketSpec spec, LivePacket live) {
        List<TcpOptionSpec> expected = new ArrayList<>();
        if (spec.options() != null) {
            for (TcpOptionSpec o : spec.options()) {
                if (!(o instanceof TcpOptionSpec.Nop) && !(o instanceof TcpOptionSpec.Eol)) {
                    expected.add(o);
                }
            }
        }
        List<TcpOption> actual = new ArrayList<>(PacketCodec.meaningful(live.tcp().options().list()));
        for (TcpOptionSpec want : expected) {
            TcpOption found = null;
            for (TcpOption got : actual) {
                if (sameKind(want, got)) {
                    found = got;
                    break;
                }
            }
            if (found == null) {
                return "options: expected " + want.format() + " but the segment has none (it has <"
                        + formatLive(live.tcp().options().list(), null) + ">)";
            }
            String diff = valueMismatch(want, found);
            if (diff != null) {
                return "options: " + diff;
            }
            actual.remove(found);
        }
        if (!actual.isEmpty()) {
            return "options: unexpected " + actual.stream().map(o -> formatOption(o, null)).collect(Collectors.joining(","))
                    + " (expected <" + formatSpec(spec.options() == null ? List.of() : spec.options()) + ">)";
        }
        return null;
    }

    private static boolean sameKind(TcpOptionSpec want, TcpOption got) {
        if (want instanceof TcpOptionSpec.Mss) {
            return got instanceof TcpOption.Mss;
        } else if (want instanceof TcpOptionSpec.WindowScale) {
            return got instanceof TcpOption.WindowScale;
        } else if (want instanceof TcpOptionSpec.SackPermitted) {
            return got instanceof TcpOption.SackPermitted;
        } else if (want instanceof TcpOptionSpec.Timestamps) {
            return got instanceof TcpOption.Timestamps;
        } else if (want instanceof TcpOptionSpec.Sack) {
            return got instanceof TcpOption.Sack;
        } else if (want instanceof TcpOptionSpec.Unemulated u && u.isMd5()) {
            return got instanceof TcpOption.Md5Signature; // its digest is not compared (takeLiveDigest)
        }
        return false;
    }

    private static String valueMismatch(TcpOptionSpec want, TcpOption got) {
        if (want instanceof TcpOptionSpec.Mss m && ((TcpOption.Mss) got).mss() != m.mss()) {
            return "expected mss " + m.mss() + " but got mss " + ((TcpOption.Mss) got).mss();
        }
        if (want instanceof TcpOptionSpec.Timestamps t) {
            long ecr = SeqNum.unsigned(((TcpOption.Timestamps) got).tsEcr());
            if (ecr != t.tsEcr()) {
                return "expected TS ecr " + t.tsEcr() + " but got TS ecr " + ecr;
            }
        }
        if (want instanceof TcpOptionSpec.Sack s) {
            List<TcpOption.SackBlock> blocks = ((TcpOption.Sack) got).blocks();
            boolean same = blocks.size() == s.blocks().size();
            for (int i = 0; same && i < blocks.size(); i++) {
                same = SeqNum.unsigned(blocks.get(i).left()) == s.blocks().get(i)[0]
                        && SeqNum.unsigned(blocks.get(i).right()) == s.blocks().get(i)[1];
            }
            if (!same) {
                return "expected " + s.format() + " but got " + formatOption(got, null);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------
    // Formatting in script notation
    // ------------------------------------------------------------------------------------

    /** Flags as scripts write them: {@code S.}, {@code F.}, {@code SEW}, {@code R}. */
    static String flags(int bits) {
        StringBuilder sb = new StringBuilder();
        append(sb, bits, TcpFlags.SYN, 'S');
        append(sb, bits, TcpFlags.FIN, 'F');
        append(sb, bits, TcpFlags.RST, 'R');
        append(sb, bits, TcpFlags.PSH, 'P');
        append(sb, bits, TcpFlags.URG, 'U');
        append(sb, bits, TcpFlags.ECE, 'E');
        append(sb, bits, TcpFlags.CWR, 'W');
        append(sb, bits, TcpFlags.ACK, '.');
        return sb.length() == 0 ? "(none)" : sb.toString();
    }

    private static void append(StringBuilder sb, int bits, int flag, char letter) {
        if ((bits & flag) != 0) {
            sb.append(letter);
        }
    }

    /** A live segment in script space: {@code > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK>}. */
    static String format(LivePacket live, SequenceMapping map) {
        if (!live.isTcp()) {
            return "> (IP protocol " + live.protocol() + ", " + live.payloadLength() + " bytes)";
        }
        long seq = map.localToScript(live.seq());
        StringBuilder sb = new StringBuilder("> ");
        if (live.ecn() != 0) {
            sb.append(ecnName(live.ecn())).append(' ');
        }
        sb.append(flags(live.tcp().flags())).append(' ').append(seq).append(':')
                .append(Math.floorMod(seq + live.payloadLength(), 1L << 32)).append('(').append(live.payloadLength()).append(')');
        if (live.tcp().hasFlag(TcpFlags.ACK)) {
            sb.append(" ack ").append(live.ack());
        }
        sb.append(" win ").append(live.tcp().window());
        List<TcpOption> options = live.tcp().options().list();
        if (!options.isEmpty()) {
            sb.append(" <").append(formatLive(options, map)).append('>');
        }
        return sb.toString();
    }

    private static String formatSpec(List<TcpOptionSpec> options) {
        return options.stream().map(TcpOptionSpec::format).collect(Collectors.joining(","));
    }

    private static String formatLive(List<TcpOption> options, SequenceMapping map) {
        return options.stream().map(o -> formatOption(o, map)).collect(Collectors.joining(","));
    }

    private static String formatOption(TcpOption o, SequenceMapping map) {
        if (o instanceof TcpOption.Timestamps t) {
            long val = SeqNum.unsigned(t.tsVal());
            return "TS val " + (map == null ? val : map.tsValToScript(val)) + " ecr " + SeqNum.unsigned(t.tsEcr());
        }
        if (o instanceof TcpOption.Sack s) {
            return "sack " + s.blocks().stream()
                    .map(b -> SeqNum.unsigned(b.left()) + ":" + SeqNum.unsigned(b.right())).collect(Collectors.joining(" "));
        }
        if (o instanceof TcpOption.Unknown u) {
            byte[] d = u.data();
            if (u.kind() == 34) {
                return d.length == 0 ? "FO" : "FO " + java.util.HexFormat.of().formatHex(d);
            }
            if (u.kind() == 254 && d.length >= 2 && (d[0] & 0xFF) == 0xF9 && (d[1] & 0xFF) == 0x89) {
                return d.length == 2 ? "FOEXP" : "FOEXP " + java.util.HexFormat.of().formatHex(d, 2, d.length);
            }
            return "kind " + u.kind();
        }
        return o.format();
    }
}
