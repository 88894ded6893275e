package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.wire.TcpFlags;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The packetdrill language as the FreeBSD RFC suite and Linux scripts write it. */
class ScriptParserTest {

    private static Script parse(String text) {
        return ScriptParser.parse("t.pkt", text, Set.of());
    }

    private static Event only(String line) {
        List<Event> events = parse(line).events();
        assertEquals(1, events.size(), "events of " + line);
        return events.get(0);
    }

    private static PacketSpec packet(String line) {
        return assertInstanceOf(Event.Packet.class, only(line)).packet();
    }

    private static PacketdrillSyntaxException syntaxError(String text) {
        return assertThrows(PacketdrillSyntaxException.class, () -> parse(text));
    }

    // ---- header and times ----

    @Test
    void headerOptions_keptInOrderWithValues() {
        Script s = parse("--ip_version=ipv4\n--tolerance_usecs=50000 // comment\n--mtu=72\n 0.00 close(3) = 0\n");
        assertEquals(List.of("ip_version", "tolerance_usecs", "mtu"), List.copyOf(s.options().keySet()));
        assertEquals("50000", s.option("tolerance_usecs", "4000"));
        assertEquals("72", s.option("mtu", "1500"));
        assertEquals("1500", s.option("missing", "1500"));
    }

    @Test
    void times_absoluteRelativeAnyAndWithSpaceAfterPlus() {
        List<Event> e = parse(" 0.00 close(3) = 0\n+0.10 close(3) = 0\n+ 2.20 close(3) = 0\n* close(3) = 0\n1.5 close(3) = 0\n").events();
        assertEquals(EventTime.absolute(0), e.get(0).time());
        assertEquals(EventTime.relative(100_000), e.get(1).time());
        assertEquals(EventTime.relative(2_200_000), e.get(2).time());
        assertEquals(EventTime.Kind.ANY, e.get(3).time().kind());
        assertEquals(EventTime.absolute(1_500_000), e.get(4).time());
    }

    @Test
    void times_withoutALeadingZero_asLinuxScriptsWriteThem() {
        List<Event> e = parse(".5 close(3) = 0\n+.1 < . 1:1(0) ack 1 win 257\n").events();
        assertEquals(EventTime.absolute(500_000), e.get(0).time());
        assertEquals(EventTime.relative(100_000), e.get(1).time());
        assertEquals(TcpFlags.ACK, assertInstanceOf(Event.Packet.class, e.get(1)).packet().flags());
    }

    @Test
    void times_rangeAndBlockingCall() {
        EventTime range = only("0.1~0.3 > . 1:1(0) ack 1").time();
        assertEquals(100_000, range.startMicros());
        assertEquals(300_000, range.rangeEndMicros());
        EventTime blocking = only(" 1.00...6.00 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)").time();
        assertEquals(EventTime.Kind.ABSOLUTE, blocking.kind());
        assertEquals(1_000_000, blocking.startMicros());
        assertEquals(6_000_000, blocking.blockingEndMicros());
        assertFalse(blocking.blockingEndRelative());
        EventTime relativeBlocking = only("+0...+0.5 accept(3, ..., ...) = 4").time();
        assertEquals(EventTime.Kind.RELATIVE, relativeBlocking.kind());
        assertEquals(500_000, relativeBlocking.blockingEndMicros());
        assertTrue(relativeBlocking.blockingEndRelative());
    }

    // ---- packets ----

    @Test
    void outboundSyn_withFullOptionList() {
        PacketSpec p = packet("+0.00 > S  0:0(0)       win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>");
        assertFalse(p.inbound());
        assertEquals(TcpFlags.SYN, p.flags());
        assertTrue(p.seqKnown());
        assertEquals(0, p.seqStart());
        assertEquals(0, p.length());
        assertFalse(p.hasAck());
        assertEquals(65535, p.window());
        assertEquals(List.of(new TcpOptionSpec.Mss(1460), new TcpOptionSpec.Nop(), new TcpOptionSpec.WindowScale(6),
                new TcpOptionSpec.SackPermitted(), new TcpOptionSpec.Timestamps(100, 0)), p.options());
    }

    @Test
    void inboundSynAck_dotIsAck_eolOptions() {
        PacketSpec p = packet("+0.10 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>");
        assertTrue(p.inbound());
        assertEquals(TcpFlags.SYN | TcpFlags.ACK, p.flags());
        assertEquals(1, p.ack());
        assertEquals(32767, p.window());
        assertEquals(List.of(new TcpOptionSpec.Mss(1460), new TcpOptionSpec.SackPermitted(), new TcpOptionSpec.Eol(),
                new TcpOptionSpec.Eol()), p.options());
    }

    @Test
    void flagLetters_includingEcnAndFinWithoutAck() {
        assertEquals(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, packet("0 > SEW 0:0(0) win 65535 <...>").flags());
        assertEquals(TcpFlags.SYN | TcpFlags.FIN, packet("0 < SF 0:3(3) win 32767").flags());
        assertEquals(TcpFlags.RST | TcpFlags.ACK, packet("0 < R. 65535:65535(0) ack 4294967295 win 32767").flags());
        assertEquals(TcpFlags.PSH | TcpFlags.ACK, packet("0 > P. 1:11(10) ack 1").flags());
        PacketSpec finWithAckField = packet("0 < F  17:20(3) ack 34 win 32767");
        assertEquals(TcpFlags.FIN, finWithAckField.flags());
        assertEquals(34, finWithAckField.ack(), "the ack field is written even without the ACK flag");
        assertEquals(3, finWithAckField.length());
    }

    @Test
    void unknownSequenceNumber_anyOptions_andNoWindow() {
        PacketSpec p = packet("+0.00 > S.     ...(0)     ack 65537 win 65535 <...>");
        assertFalse(p.seqKnown());
        assertTrue(p.anyOptions());
        assertNull(p.options());
        PacketSpec noWindow = packet("0 > S 0:0(0) <mss 32,nop,wscale 6,sackOK,TS val 100 ecr 0>");
        assertFalse(noWindow.hasWindow());
    }

    @Test
    void ecnMarkings_withAndWithoutSpace() {
        assertEquals("noecn", packet("+0.01 < [noecn] . 1:1(0) ack 1 win 65535").ecn());
        assertEquals("ect0", packet("+0.00 >[ect0] P. 1:11(10) ack 1").ecn());
    }

    @Test
    void sackBlocksAndSpacesInOptionList() {
        PacketSpec p = packet("0 < . 1:1(0) ack 1 win 100 <nop,nop,sack 10:20 30:40>");
        TcpOptionSpec.Sack sack = assertInstanceOf(TcpOptionSpec.Sack.class, p.options().get(2));
        assertEquals(2, sack.blocks().size());
        assertEquals(30, sack.blocks().get(1)[0]);
        PacketSpec spaced = packet("0 < S 0:0(0) win 65535 <mss 1000,wscale 6,TS val 100 ecr 0,sackOK, eol>");
        assertEquals(5, spaced.options().size());
    }

    // ---- system calls ----

    @Test
    void syscall_errnoAndNoteIgnored() {
        Event.Syscall s = assertInstanceOf(Event.Syscall.class,
                only("+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)"));
        assertEquals("connect", s.name());
        assertEquals(List.of(new Expr.Int(3), new Expr.Ellipsis(), new Expr.Ellipsis()), s.args());
        assertEquals(new Expr.Int(-1), s.result());
        assertEquals("EINPROGRESS", s.errno());
    }

    @Test
    void syscall_hexResultOrExpressionsArraysAndStructs() {
        Event.Syscall getfl = assertInstanceOf(Event.Syscall.class, only("+0.00 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)"));
        assertEquals(new Expr.Int(2), getfl.result());
        assertNull(getfl.errno());
        Event.Syscall setfl = assertInstanceOf(Event.Syscall.class, only("+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0"));
        assertEquals(new Expr.Or(List.of(new Expr.Symbol("O_RDWR"), new Expr.Symbol("O_NONBLOCK"))), setfl.args().get(2));
        Event.Syscall get = assertInstanceOf(Event.Syscall.class,
                only("+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0"));
        assertEquals(new Expr.Array(List.of(new Expr.Symbol("ECONNRESET"))), get.args().get(3));
        Event.Syscall linger = assertInstanceOf(Event.Syscall.class,
                only("+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0"));
        Expr.Struct struct = assertInstanceOf(Expr.Struct.class, linger.args().get(3));
        assertEquals(new Expr.Int(0), struct.field("linger"));
        Event.Syscall spaced = assertInstanceOf(Event.Syscall.class, only("+0.00 write (3, ..., 10) = 10"));
        assertEquals("write", spaced.name());
    }

    @Test
    void commandsAndCodeBlocks() {
        Event.Command c = assertInstanceOf(Event.Command.class,
                only("+0.10 `sockstat -4 -P tcp -s | grep packetdril | grep -c TIME_WAIT | grep 1`"));
        assertEquals("sockstat -4 -P tcp -s | grep packetdril | grep -c TIME_WAIT | grep 1", c.command());
        Event.Code code = assertInstanceOf(Event.Code.class, only("+0.00 %{ assert tcpi_state == TCPI_CLOSE_WAIT }%"));
        assertEquals("assert tcpi_state == TCPI_CLOSE_WAIT", code.code());
        Event.Code multiLine = assertInstanceOf(Event.Code.class, only("0 %{\nassert tcpi_state == TCPI_LISTEN\n}%"));
        assertEquals("assert tcpi_state == TCPI_LISTEN", multiLine.code());
    }

    @Test
    void commentsOfBothKindsAreIgnored_lineNumbersKept() {
        Script s = parse("// header\n/* a\n block */ 0 close(3) = 0 // trailing\n+0 close(4) = 0 /* inline */\n");
        assertEquals(2, s.events().size());
        assertEquals(3, s.events().get(0).line());
        assertEquals(4, s.events().get(1).line());
        assertEquals("+0 close(4) = 0 /* inline */", s.events().get(1).text());
    }

    // ---- #ifdef ----

    @Test
    void ifdef_keepsOnlyTheDefinedBranch() {
        String text = "0 close(1) = 0\n#ifdef STANDARD\n+0 close(2) = 0\n#endif\n#ifdef FreeBSD\n+0 close(3) = 0\n#endif\n";
        List<Event> standard = ScriptParser.parse("t.pkt", text, Set.of("STANDARD")).events();
        assertEquals(List.of(1, 3), standard.stream().map(Event::line).toList());
        List<Event> freebsd = ScriptParser.parse("t.pkt", text, Set.of("FreeBSD")).events();
        assertEquals(List.of(1, 6), freebsd.stream().map(Event::line).toList());
    }

    @Test
    void ifdefElseAndNesting() {
        String text = "#ifdef A\n#ifdef B\n0 close(1) = 0\n#else\n0 close(2) = 0\n#endif\n#else\n0 close(3) = 0\n#endif\n";
        assertEquals(List.of(3), lines(text, Set.of("A", "B")));
        assertEquals(List.of(5), lines(text, Set.of("A")));
        assertEquals(List.of(8), lines(text, Set.of("B")));
        assertEquals(List.of(3), lines("#ifndef X\n#else\n0 close(1) = 0\n#endif\n#ifndef X\n0 close(2) = 0\n#endif\n", Set.of("X")));
    }

    private static List<Integer> lines(String text, Set<String> defines) {
        return ScriptParser.parse("t.pkt", text, defines).events().stream().map(Event::line).toList();
    }

    // ---- errors name file, line and column ----

    @Test
    void error_unknownFlag_namesLineAndColumn() {
        PacketdrillSyntaxException e = syntaxError("0 close(3) = 0\n+0.1 > SX 0:0(0) win 1\n");
        assertEquals("t.pkt", e.file());
        assertEquals(2, e.line());
        assertEquals(8, e.column());
        assertTrue(e.getMessage().startsWith("t.pkt:2:8: unknown TCP flag 'X'"), e.getMessage());
    }

    @Test
    void error_lengthDisagreesWithSequenceRange() {
        PacketdrillSyntaxException e = syntaxError("0 < . 1:5(3) ack 1 win 10\n");
        assertEquals(1, e.line());
        assertEquals(11, e.column());
        assertTrue(e.detail().contains("does not match 1:5"), e.detail());
    }

    @Test
    void error_inboundWithoutWindow() {
        assertTrue(syntaxError("0 < . 1:1(0) ack 1\n").detail().contains("needs a window"));
    }

    @Test
    void error_missingResultAndTrailingGarbage() {
        PacketdrillSyntaxException noResult = syntaxError("0 close(3)\n");
        assertEquals(1, noResult.line());
        assertEquals(11, noResult.column());
        PacketdrillSyntaxException trailing = syntaxError("0 close(3) = 0 ENOENT more\n");
        assertEquals(23, trailing.column());
        assertTrue(syntaxError("0 close(3) = 0 junk\n").detail().startsWith("expected an errno name"));
    }

    @Test
    void error_unbalancedIfdef_andUnknownDirective() {
        PacketdrillSyntaxException open = syntaxError("\n#ifdef STANDARD\n0 close(3) = 0\n");
        assertEquals(2, open.line());
        assertTrue(open.detail().contains("without #endif"));
        assertEquals(1, syntaxError("#endif\n").line());
        assertTrue(syntaxError("#include <x>\n").detail().contains("unknown directive #include"));
    }

    @Test
    void error_badTimeAndUnterminatedBlocks() {
        assertTrue(syntaxError("close(3) = 0\n").detail().startsWith("expected an event time"));
        assertEquals(3, syntaxError("0 close(3) = 0\n\n+0 %{ assert x == 1\n").line());
        assertTrue(syntaxError("0 `sysctl -w x=1\n").detail().contains("closing `"));
        assertTrue(syntaxError("0.5~0.1 close(3) = 0\n").detail().contains("ends before it starts"));
        assertTrue(syntaxError("1...2 > S 0:0(0)\n").detail().contains("only system calls can block"));
    }

    // ---- google/packetdrill's language as the Linux corpus writes it ----

    @Test
    void commands_untimedAndOverSeveralLines_withShellCommentsInside() {
        List<Event> e = parse("`../common/defaults.sh\n# not a directive: a shell comment\nsysctl -q net.ipv4.tcp_ecn=1`\n"
                + "0 close(3) = 0\n").events();
        Event.Command c = assertInstanceOf(Event.Command.class, e.get(0));
        assertEquals(EventTime.Kind.ANY, c.time().kind());
        assertTrue(c.command().startsWith("../common/defaults.sh\n# not a directive"), c.command());
        assertEquals(4, e.get(1).line());
        assertInstanceOf(Event.Code.class, only("%{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%"));
    }

    @Test
    void defines_withValues_replaceWordsAndDefineNames() {
        Script s = ScriptParser.parse("t.pkt", "#ifdef CODE\n0 < icmp unreachable CODE\n#endif\n",
                java.util.Map.of("CODE", "host_unreachable"));
        Event.Icmp i = assertInstanceOf(Event.Icmp.class, s.events().get(0));
        assertEquals("host_unreachable", i.code());
    }

    @Test
    void icmp_typeCodeMtuAndQuotedSegment() {
        Event.Icmp frag = assertInstanceOf(Event.Icmp.class, only("+.01 < icmp unreachable frag_needed mtu 800"));
        assertEquals("unreachable", frag.type());
        assertEquals("frag_needed", frag.code());
        assertEquals(800, frag.mtu());
        assertTrue(frag.inbound());
        assertEquals("udp (40)", assertInstanceOf(Event.Icmp.class, only("+0 > icmp echo_reply id 7 [udp (40)]")).quoted());
        Event.Icmp quoted = assertInstanceOf(Event.Icmp.class, only("+0 < icmp unreachable [5000:6000(1000)]"));
        assertNull(quoted.code());
        assertEquals("5000:6000(1000)", quoted.quoted());
    }

    @Test
    void packets_noFlagsUrgentEcnAndFastOpenMd5Options() {
        PacketSpec none = packet("+.01 < - 1:1001(1000) win 20000");
        assertEquals(0, none.flags());
        assertEquals("-", none.flagsText());
        assertEquals(100, packet("+0 < U. 1:101(100) ack 1 win 257 urg 100").urgentPointer());
        assertEquals("ect0", packet("+0 > [ect0] P. 1:1001(1000) ack 1").ecn());
        PacketSpec ip = packet("+0 < (tos 0x2,ttl 64) . 1:1(0) ack 1 win 257");
        assertEquals(2, ip.tos());
        assertEquals(64, ip.ttl());
        assertEquals("< [tos 0x2,ttl 64] . 1:1(0) ack 1 win 257", ip.format());
        assertEquals("ce", packet("+0 < [ce,tos 0x4] . 1:1(0) ack 1 win 257").ecn());
        assertTrue(syntaxError("+0 < [flowlabel 0x1] . 1:1(0) ack 1 win 257\n").detail().contains("IPv6"));
        PacketSpec fo = packet("+0 < S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop,FO 3021b9d889017eeb,nop,nop>");
        assertEquals(new TcpOptionSpec.Unemulated("FO", "3021b9d889017eeb"), fo.options().get(4));
        assertEquals(new TcpOptionSpec.Unemulated("FOEXP", ""), packet("+0 > S 0:0(0) <mss 1460,FOEXP,nop,nop>").options().get(1));
        assertEquals(new TcpOptionSpec.Unemulated("md5", "000102030405060708090a0b0c0d0e0f"),
                packet("+0 < S 0:0(0) win 32792 <md5 000102030405060708090a0b0c0d0e0f>").options().get(0));
    }

    @Test
    void structs_sizedFieldsNestedArraysAndFdNumbers() {
        Event.Syscall s = assertInstanceOf(Event.Syscall.class, only("+0 sendmsg(4, {msg_name(...)=...,\n"
                + "   msg_iov(2)=[{..., 0}, {..., 40}],\n   msg_flags=0}, 0) = 40"));
        Expr.Struct msg = assertInstanceOf(Expr.Struct.class, s.args().get(1));
        assertEquals(List.of("msg_name(...)", "msg_iov(2)", "msg_flags"), msg.fields().stream().map(Expr.Field::name).toList());
        assertEquals(2, assertInstanceOf(Expr.Array.class, msg.field("msg_iov(2)")).elements().size());
        Event.Syscall poll = assertInstanceOf(Event.Syscall.class, only("+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1"));
        assertInstanceOf(Expr.Array.class, poll.args().get(0));
        assertEquals(new Expr.Int(4), assertInstanceOf(Event.Syscall.class, only("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4")).result());
    }

    @Test
    void error_malformedLinuxConstructs_giveLineAndColumn() {
        PacketdrillSyntaxException icmp = syntaxError("0 close(3) = 0\n+0 < icmp unreachable mtu x\n");
        assertEquals(2, icmp.line());
        assertEquals(27, icmp.column());
        PacketdrillSyntaxException struct = syntaxError("0 sendmsg(4, {msg_iov(1)=[{..., 1}], 0) = 1\n");
        assertEquals(1, struct.line());
        assertEquals(1, syntaxError("`unterminated\n0 close(3) = 0\n").line());
        PacketdrillSyntaxException code = syntaxError("+0 < icmp unreachable host_unreachabel\n");
        assertEquals(23, code.column());
        assertTrue(code.detail().contains("unknown ICMP unreachable code \"host_unreachabel\""), code.detail());
        assertTrue(syntaxError("+0 < icmp unrechable\n").detail().contains("unknown ICMP type"));
    }
}
