package io.usertcp.packetdrill;

import io.usertcp.wire.TcpFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The packet lines of a script, for {@link ScriptParser}: a TCP segment in or out with its IP
 * header fields ({@code [ect0]}, {@code (tos 0x2)}, {@code [ttl 64]}), flags, sequence range, ack,
 * window, urgent pointer and options (FO, FOEXP and md5 included), or an ICMP message.
 */
final class PacketParser {
    private static final long MAX_SEQ = 0xFFFF_FFFFL;

    /** The ICMPv4 types packetdrill names (RFC 792 and later). */
    static final Set<String> ICMP_TYPES = new java.util.TreeSet<>(Set.of("echo_reply", "unreachable", "source_quench",
            "redirect", "echo_request", "time_exceeded", "parameter_problem", "timestamp_request", "timestamp_reply",
            "information_request", "information_reply"));
    /** Destination-unreachable codes 0..15 (RFC 792, RFC 1812 §5.2.7.1), as packetdrill names them. */
    static final Set<String> UNREACHABLE_CODES = new java.util.TreeSet<>(Set.of("net_unreachable", "host_unreachable",
            "protocol_unreachable", "port_unreachable", "frag_needed", "source_route_failed", "net_unknown", "host_unknown",
            "source_host_isolated", "net_prohibited", "host_prohibited", "net_unreachable_for_tos",
            "host_unreachable_for_tos", "packet_filtered", "precedence_violation", "precedence_cutoff"));

    private final TokenCursor in;

    PacketParser(TokenCursor in) {
        this.in = in;
    }

    // ------------------------------------------------------------------------------------
    // Packets
    // ------------------------------------------------------------------------------------

    PacketSpec packet() {
        boolean inbound = in.next().isPunct('<');
        String ecn = null;
        int tos = -1;
        int ttl = -1;
        if (in.peek().isPunct('[') || in.peek().isPunct('(')) {
            // google/packetdrill's ip_info: [ect0], (tos 0x2), [ttl 64], [ect0,tos 0x..]
            char close = in.next().isPunct('[') ? ']' : ')';
            do {
                Token w = in.expect(Token.Kind.WORD, "IP header fields like [noecn], [ect0], [ect1], [ce], (tos 0x2) or (ttl 64)");
                switch (w.text()) {
                    case "tos" -> tos = (int) in.bounded("a TOS byte after \"tos\", like 0x2", 255);
                    case "ttl" -> ttl = (int) in.bounded("a TTL after \"ttl\"", 255);
                    case "flowlabel" -> throw in.error(w, "flowlabel is an IPv6 field (this runner is IPv4 only)");
                    default -> {
                        if (!Set.of("noecn", "ect0", "ect1", "ce", "ect01").contains(w.text())) {
                            throw in.error(w, "unknown IP field [" + w.text() + "] (expected: noecn, ect0, ect1, ect01, ce, tos, ttl)");
                        }
                        ecn = w.text();
                    }
                }
            } while (in.acceptPunct(','));
            in.expectPunct(close);
        }
        Token flagsStart = in.peek();
        StringBuilder flagsText = new StringBuilder();
        int flags = 0;
        if (in.peek().isPunct('-')) {
            flagsText.append(in.next().text()); // "-": no flags at all
        }
        while (!flagsText.toString().equals("-") && (in.peek().kind() == Token.Kind.WORD || in.peek().isPunct('.'))) {
            Token f = in.next();
            flagsText.append(f.text());
            flags |= flagBits(f);
        }
        if (flagsText.length() == 0) {
            throw in.error(flagsStart, "expected TCP flags like S, S., ., F., R or P. , found " + flagsStart.describe());
        }
        boolean seqKnown = true;
        long seqStart = 0;
        long seqEnd = 0;
        if (in.peek().kind() == Token.Kind.ELLIPSIS) {
            in.skip();
            seqKnown = false;
        } else {
            seqStart = in.unsigned32("a sequence number like 1:1(0)");
            in.expectPunct(':');
            seqEnd = in.unsigned32("the end sequence number, as in 1:1(0)");
        }
        in.expectPunct('(');
        Token lengthToken = in.peek();
        long length = in.unsigned32("the payload length, as in 1:1(0)");
        in.expectPunct(')');
        if (seqKnown && ((seqEnd - seqStart) & MAX_SEQ) != length) {
            throw in.error(lengthToken, "the payload length " + length + " does not match " + seqStart + ":" + seqEnd);
        }
        if (length > 65535) {
            throw in.error(lengthToken, "payload length " + length + " (expected: at most 65535)");
        }
        long ack = -1;
        long urgent = -1;
        int window = -1;
        List<TcpOptionSpec> options = null;
        boolean anyOptions = false;
        while (true) {
            Token t = in.peek();
            if (t.is(Token.Kind.WORD, "ack")) {
                in.skip();
                ack = in.unsigned32("an acknowledgment number after \"ack\"");
            } else if (t.is(Token.Kind.WORD, "win")) {
                in.skip();
                window = (int) in.bounded("a window after \"win\"", 65535);
            } else if (t.is(Token.Kind.WORD, "urg")) {
                in.skip();
                urgent = in.bounded("an urgent pointer after \"urg\"", 65535);
            } else if (t.isPunct('<')) {
                in.skip();
                if (in.peek().kind() == Token.Kind.ELLIPSIS) {
                    in.skip();
                    anyOptions = true;
                } else {
                    options = options();
                }
                in.expectPunct('>');
            } else {
                break;
            }
        }
        if (inbound && window < 0) {
            throw in.error(in.peek(), "an inbound packet needs a window (win N)");
        }
        if (inbound && anyOptions) {
            throw in.error(in.peek(), "<...> only makes sense for outbound packets");
        }
        if (inbound && !seqKnown) {
            throw in.error(flagsStart, "an inbound packet needs a sequence number");
        }
        return new PacketSpec(inbound, ecn, flags, flagsText.toString(), seqKnown, seqStart, seqEnd, (int) length,
                ack, window, options, anyOptions, urgent, tos, ttl);
    }

    private int flagBits(Token t) {
        if (t.isPunct('.')) {
            return TcpFlags.ACK;
        }
        int bits = 0;
        for (char c : t.text().toCharArray()) {
            bits |= switch (c) {
                case 'F' -> TcpFlags.FIN;
                case 'S' -> TcpFlags.SYN;
                case 'R' -> TcpFlags.RST;
                case 'P' -> TcpFlags.PSH;
                case 'U' -> TcpFlags.URG;
                case 'E' -> TcpFlags.ECE;
                case 'W' -> TcpFlags.CWR;
                default -> throw in.error(t, "unknown TCP flag '" + c + "' in \"" + t.text()
                        + "\" (expected: F S R P U E W and . for ACK)");
            };
        }
        return bits;
    }

    private List<TcpOptionSpec> options() {
        List<TcpOptionSpec> list = new ArrayList<>();
        do {
            list.add(tcpOption());
        } while (in.acceptPunct(','));
        return list;
    }

    private TcpOptionSpec tcpOption() {
        Token t = in.expect(Token.Kind.WORD, "a TCP option (mss, wscale, sackOK, sack, TS, nop, eol)");
        return switch (t.text()) {
            case "nop" -> new TcpOptionSpec.Nop();
            case "eol" -> new TcpOptionSpec.Eol();
            case "mss" -> new TcpOptionSpec.Mss((int) in.bounded("an MSS value after \"mss\"", 65535));
            case "wscale" -> new TcpOptionSpec.WindowScale((int) in.bounded("a shift after \"wscale\"", 255));
            case "sackOK" -> new TcpOptionSpec.SackPermitted();
            case "TS" -> {
                in.expectWord("val");
                long val = in.unsigned32("the TS value after \"TS val\"");
                in.expectWord("ecr");
                long ecr = in.unsigned32("the TS echo after \"ecr\"");
                yield new TcpOptionSpec.Timestamps(val, ecr);
            }
            case "sack" -> {
                List<long[]> blocks = new ArrayList<>();
                do {
                    long left = in.unsigned32("a SACK block like 1:100");
                    in.expectPunct(':');
                    long right = in.unsigned32("the right edge of the SACK block");
                    blocks.add(new long[] {left, right});
                } while (in.peek().kind() == Token.Kind.NUMBER);
                if (blocks.size() > 4) {
                    throw in.error(t, blocks.size() + " SACK blocks (expected: at most 4)");
                }
                yield new TcpOptionSpec.Sack(blocks);
            }
            case "FO", "FOEXP", "md5" -> new TcpOptionSpec.Unemulated(t.text(), hexValue());
            default -> throw in.error(t, "unknown TCP option \"" + t.text()
                    + "\" (expected: mss, wscale, sackOK, sack, TS, nop, eol, FO, FOEXP, md5)");
        };
    }

    /** The hex cookie or digest after FO, FOEXP or md5 (the lexer splits "3021b9d8" into 3021 and b9d8). */
    private String hexValue() {
        StringBuilder sb = new StringBuilder();
        while (in.peek().kind() == Token.Kind.NUMBER || in.peek().kind() == Token.Kind.WORD) {
            sb.append(in.next().text());
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------
    // ICMP
    // ------------------------------------------------------------------------------------

    /** {@code < icmp TYPE [CODE] [mtu N] [SEQ:END(LEN)]}. */
    Event.Icmp icmp(EventTime time, Token first, String text) {
        boolean inbound = in.next().isPunct('<');
        in.expectWord("icmp");
        Token typeToken = in.expect(Token.Kind.WORD, "an ICMP type like unreachable");
        String type = typeToken.text();
        if (!ICMP_TYPES.contains(type)) {
            throw in.error(typeToken, "unknown ICMP type \"" + type + "\" (expected one of " + ICMP_TYPES + ")");
        }
        String code = null;
        if (in.peek().kind() == Token.Kind.WORD && !in.peek().text().equals("mtu") && !in.peek().text().equals("id")) {
            Token codeToken = in.next();
            code = codeToken.text();
            if (type.equals("unreachable") && !UNREACHABLE_CODES.contains(code)) {
                throw in.error(codeToken, "unknown ICMP unreachable code \"" + code + "\" (expected one of " + UNREACHABLE_CODES + ")");
            }
        }
        int mtu = -1;
        if (in.peek().is(Token.Kind.WORD, "mtu")) {
            in.skip();
            mtu = (int) in.bounded("the next-hop MTU after \"mtu\"", 65535);
        }
        if (in.peek().is(Token.Kind.WORD, "id")) {
            in.skip();
            in.unsigned32("an echo id after \"id\"");
        }
        String quoted = null;
        if (in.peek().isPunct('[') && in.peekAt(1).kind() == Token.Kind.WORD) {
            in.skip();
            Token kind = in.expect(Token.Kind.WORD, "udp or raw");
            if (!kind.text().equals("udp") && !kind.text().equals("raw")) {
                throw in.error(kind, "expected udp (N), raw (N) or SEQ:END(LEN) in the quoted packet, found " + kind.describe());
            }
            in.expectPunct('(');
            long length = in.unsigned32("the quoted length");
            in.expectPunct(')');
            in.expectPunct(']');
            quoted = kind.text() + " (" + length + ")";
        } else if (in.acceptPunct('[')) {
            long start = in.unsigned32("the quoted segment's sequence range, as in [0:10(10)]");
            in.expectPunct(':');
            long end = in.unsigned32("the end of the quoted range");
            in.expectPunct('(');
            long length = in.unsigned32("the quoted length");
            in.expectPunct(')');
            in.expectPunct(']');
            quoted = start + ":" + end + "(" + length + ")";
        }
        return new Event.Icmp(time, first.line(), first.column(), text, inbound, type, code, mtu, quoted);
    }
}
