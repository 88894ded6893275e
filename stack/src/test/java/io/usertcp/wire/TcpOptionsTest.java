package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.TcpOption.Eol;
import io.usertcp.wire.TcpOption.Mss;
import io.usertcp.wire.TcpOption.Nop;
import io.usertcp.wire.TcpOption.Sack;
import io.usertcp.wire.TcpOption.SackBlock;
import io.usertcp.wire.TcpOption.SackPermitted;
import io.usertcp.wire.TcpOption.Timestamps;
import io.usertcp.wire.TcpOption.Unknown;
import io.usertcp.wire.TcpOption.WindowScale;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TCP option syntax (RFC 9293 §3.2 and each option's RFC) through {@link TcpSegmentView#check()},
 * the allocation-free {@link ParsedTcpOptions} and the {@link TcpOptions} value: malformed lengths
 * are {@link DropReason#TCP_BAD_OPTION}, unknown kinds are skipped and kept, parse then emit gives
 * back the same bytes, and {@code format()} reads like tcpdump.
 */
class TcpOptionsTest {
    private static final int MSS = TcpOptionKind.MSS;
    private static final int WS = TcpOptionKind.WINDOW_SCALE;
    private static final int SACK_OK = TcpOptionKind.SACK_PERMITTED;
    private static final int SACK = TcpOptionKind.SACK;
    private static final int TS = TcpOptionKind.TIMESTAMPS;
    private static final int NOP = TcpOptionKind.NOP;
    private static final int EOL = TcpOptionKind.EOL;
    /** A kind no RFC assigns (IANA "reserved"), so every TCP and tcpdump treats it as unknown. */
    private static final int UNASSIGNED = 200;

    /** What checking a segment with a given options area gave. */
    private record Result(DropReason reason, ParsedTcpOptions parsed, TcpOptions value) {}

    // ---- malformed option structure (RFC 9293 MUST-7) ----

    @ParameterizedTest(name = "kind {0}")
    @ValueSource(ints = {MSS, WS, SACK_OK, SACK, TS, TcpOptionKind.MD5_SIGNATURE, UNASSIGNED})
    void option_lengthZero_isBadOption(int kind) {
        assertEquals(DropReason.TCP_BAD_OPTION, check(kind, 0, 0, 0).reason());
    }

    @ParameterizedTest(name = "kind {0}")
    @ValueSource(ints = {MSS, WS, SACK_OK, SACK, TS, UNASSIGNED})
    void option_lengthOne_isBadOption(int kind) {
        assertEquals(DropReason.TCP_BAD_OPTION, check(kind, 1, 0, 0).reason());
    }

    @Test
    void option_lengthRunningPastTheHeader_isBadOption() {
        assertEquals(DropReason.TCP_BAD_OPTION, check(UNASSIGNED, 6, 0, 0).reason());
        assertEquals(DropReason.TCP_BAD_OPTION, check(NOP, NOP, MSS, 4).reason()); // needs 2 more bytes
    }

    @Test
    void option_kindInLastByteWithoutLength_isBadOption() {
        assertEquals(DropReason.TCP_BAD_OPTION, check(NOP, NOP, NOP, UNASSIGNED).reason());
    }

    // ---- EOL and NOP ----

    @Test
    void eol_endsTheList_optionsAfterItAreIgnored() {
        Result result = check(MSS, 4, 0x05, 0xb4, EOL, WS, 3, 7);
        assertNull(result.reason());
        assertEquals(1460, result.parsed().mss());
        assertFalse(result.parsed().hasWindowScale());
        assertEquals(List.of(new Mss(1460), new Eol()), result.value().list());
        assertEquals(8, result.value().areaLength());
    }

    @Test
    void eol_paddingAfterItIsNotRead() {
        // After EOL comes padding (RFC 9293 §3.2); garbage there that would be a length-0 option is not looked at.
        Result result = check(EOL, UNASSIGNED, 0, 0xFF);
        assertNull(result.reason());
        assertEquals(List.of(new Eol()), result.value().list());
        assertEquals(0, result.parsed().unknownCount());
    }

    @Test
    void nopPadding_beforeTimestamps_isSkipped() {
        Result result = check(NOP, NOP, TS, 10, 0, 0, 0, 1, 0, 0, 0, 2);
        assertNull(result.reason());
        assertTrue(result.parsed().hasTimestamps());
        assertEquals(1, result.parsed().tsVal());
        assertEquals(2, result.parsed().tsEcr());
        assertEquals(List.of(new Nop(), new Nop(), new Timestamps(1, 2)), result.value().list());
    }

    @Test
    void fortyBytesOfNop_isValid() {
        int[] area = new int[40];
        Arrays.fill(area, NOP);
        Result result = check(area);
        assertNull(result.reason());
        assertEquals(40, result.value().list().size());
        assertFalse(result.parsed().hasMss());
    }

    // ---- unknown kinds (RFC 9293 MUST-6) ----

    @Test
    void unknownKind_isSkippedByItsLength_andKeptByteForByte() {
        Result result = check(UNASSIGNED, 4, 0xAB, 0xCD, MSS, 4, 0x05, 0xb4);
        assertNull(result.reason());
        assertEquals(1460, result.parsed().mss());
        assertEquals(1, result.parsed().unknownCount());
        assertEquals(List.of(new Unknown(UNASSIGNED, new byte[] {(byte) 0xAB, (byte) 0xCD}), new Mss(1460)),
                result.value().list());
        Unknown unknown = (Unknown) result.value().list().get(0);
        assertArrayEquals(new byte[] {(byte) 0xAB, (byte) 0xCD}, unknown.data());
    }

    @Test
    void unknownKind_withoutData_andWithThirtyEightBytes_areKept() {
        Result empty = check(254, 2, NOP, NOP);
        assertNull(empty.reason());
        assertEquals(new Unknown(254, new byte[0]), empty.value().list().get(0));

        int[] area = new int[40];
        area[0] = UNASSIGNED;
        area[1] = 40;
        for (int i = 2; i < 40; i++) {
            area[i] = i;
        }
        Result full = check(area);
        assertNull(full.reason());
        assertEquals(38, ((Unknown) full.value().list().get(0)).data().length);
    }

    // ---- duplicates: the last one wins ----

    @Test
    void duplicateMss_lastWins() {
        Result result = check(MSS, 4, 0x03, 0xe8, MSS, 4, 0x05, 0xb4);
        assertEquals(1460, result.parsed().mss());
        assertEquals(OptionalInt.of(1460), result.value().mss());
    }

    @Test
    void duplicateWindowScale_lastWins() {
        Result result = check(WS, 3, 2, WS, 3, 7, NOP, NOP);
        assertEquals(7, result.parsed().windowScale());
        assertEquals(OptionalInt.of(7), result.value().windowScale());
    }

    @Test
    void duplicateTimestamps_lastWins() {
        Result result = check(TS, 10, 0, 0, 0, 1, 0, 0, 0, 2, TS, 10, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0);
        assertEquals(3, result.parsed().tsVal());
        assertEquals(4, result.parsed().tsEcr());
        assertEquals(new Timestamps(3, 4), result.value().timestamps().orElseThrow());
    }

    @Test
    void duplicateSack_lastWinsWithItsOwnBlockCount() {
        Result result = check(concat(sackOption(new SackBlock(10, 20), new SackBlock(30, 40)),
                sackOption(new SackBlock(50, 60)), new int[] {NOP, NOP}));
        assertNull(result.reason());
        assertEquals(1, result.parsed().sackBlockCount());
        assertEquals(50, result.parsed().sackLeft(0));
        assertEquals(60, result.parsed().sackRight(0));
        assertEquals(List.of(new SackBlock(50, 60)), result.value().sack().orElseThrow().blocks());
    }

    // ---- known kinds with the wrong length ----

    static Stream<Arguments> wrongLengths() {
        return Stream.of(
                Arguments.of("MSS", MSS, 3), Arguments.of("MSS", MSS, 5),
                Arguments.of("window scale", WS, 2), Arguments.of("window scale", WS, 4),
                Arguments.of("SACK-permitted", SACK_OK, 3),
                Arguments.of("timestamps", TS, 9), Arguments.of("timestamps", TS, 11),
                Arguments.of("SACK, no block", SACK, 2), Arguments.of("SACK, 7 data bytes", SACK, 9),
                Arguments.of("SACK, 17 data bytes", SACK, 19),
                // Five blocks (2 + 5·8 = 42) cannot fit in 40 bytes of option space at all.
                Arguments.of("SACK, five blocks", SACK, 42),
                // RFC 2385 §3.0: an MD5 signature is 18 bytes, kind and length included.
                Arguments.of("MD5 signature", TcpOptionKind.MD5_SIGNATURE, 17),
                Arguments.of("MD5 signature", TcpOptionKind.MD5_SIGNATURE, 19),
                Arguments.of("MD5 signature", TcpOptionKind.MD5_SIGNATURE, 2));
    }

    @ParameterizedTest(name = "{0} with length {2}")
    @MethodSource("wrongLengths")
    void knownKind_withWrongLength_isBadOption(String name, int kind, int length) {
        int[] area = new int[Math.min(TcpOptionKind.MAX_OPTIONS_LENGTH, (length + 3) & ~3)];
        area[0] = kind;
        area[1] = length;
        for (int i = 2; i < Math.min(length, area.length); i++) {
            area[i] = 0x11; // option data; never 0 or 1 so it cannot pass for EOL/NOP
        }
        assertEquals(DropReason.TCP_BAD_OPTION, check(area).reason());
    }

    // ---- SACK (RFC 2018 §3) ----

    @ParameterizedTest(name = "{0} blocks")
    @ValueSource(ints = {1, 2, 3, 4})
    void sack_oneToFourBlocks_areAllRead(int count) {
        List<SackBlock> blocks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Edges straddle the sequence-space wrap so an unsigned read is required.
            int left = 0xFFFF_FF00 + 0x100 * i;
            blocks.add(new SackBlock(left, left + 0x80));
        }
        Result result = check(concat(new int[] {NOP, NOP}, sackOption(blocks.toArray(new SackBlock[0]))));
        assertNull(result.reason());
        assertEquals(count, result.parsed().sackBlockCount());
        for (int i = 0; i < count; i++) {
            assertEquals(blocks.get(i).left(), result.parsed().sackLeft(i));
            assertEquals(blocks.get(i).right(), result.parsed().sackRight(i));
        }
        assertEquals(blocks, result.value().sack().orElseThrow().blocks());
    }

    @Test
    void sackBlock_outOfRange_throwsIndexOutOfBounds() {
        Result result = check(concat(new int[] {NOP, NOP}, sackOption(new SackBlock(1, 2))));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> result.parsed().sackLeft(1));
        assertTrue(e.getMessage().contains("1"), e.getMessage());
    }

    @Test
    void fortyByteArea_timestampsAndThreeSackBlocks_isValid() {
        // What Linux sends with timestamps and three SACK blocks: nop,nop,TS,nop,nop,sack 3 = 40 bytes.
        int[] area = concat(new int[] {NOP, NOP, TS, 10, 0, 0, 0, 5, 0, 0, 0, 6, NOP, NOP},
                sackOption(new SackBlock(100, 200), new SackBlock(300, 400), new SackBlock(500, 600)));
        assertEquals(40, area.length);
        Result result = check(area);
        assertNull(result.reason());
        assertEquals(3, result.parsed().sackBlockCount());
        assertTrue(result.parsed().hasTimestamps());
        assertEquals(40, result.value().areaLength());
    }

    // ---- parse -> emit ----

    static Stream<int[]> realisticAreas() {
        return Stream.of(
                new int[] {MSS, 4, 0x05, 0xb4, SACK_OK, 2, TS, 10, 0, 0, 0, 1, 0, 0, 0, 0, NOP, WS, 3, 7},
                new int[] {NOP, NOP, TS, 10, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0},
                new int[] {MSS, 4, 0x02, 0x18, NOP, NOP, SACK_OK, 2},
                new int[] {UNASSIGNED, 6, 1, 2, 3, 4, NOP, NOP},
                new int[] {MSS, 4, 0x05, 0xb4, WS, 3, 14, EOL},
                concat(new int[] {NOP, NOP, TS, 10, 0, 0, 0, 5, 0, 0, 0, 6, NOP, NOP},
                        sackOption(new SackBlock(100, 200), new SackBlock(300, 400), new SackBlock(500, 600))));
    }

    @ParameterizedTest
    @MethodSource("realisticAreas")
    void parseThenEmit_givesIdenticalBytes(int[] area) {
        Result result = check(area);
        assertNull(result.reason());
        assertArrayEquals(bytes(area), emit(result.value()));
    }

    @Test
    void of_padsWithZerosToAMultipleOfFour() {
        assertEquals(TcpOptions.NONE, TcpOptions.of());
        assertEquals(4, TcpOptions.of(new Mss(1460)).areaLength());
        assertArrayEquals(bytes(WS, 3, 7, 0), emit(TcpOptions.of(new WindowScale(7))));
        assertArrayEquals(bytes(TS, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0), emit(TcpOptions.of(new Timestamps(1, 2))));
        assertEquals(20, TcpOptions.of(new Mss(1460), new SackPermitted(), new Timestamps(1, 0), new Nop(),
                new WindowScale(7)).areaLength());
    }

    @Test
    void zeroPadding_readsBackAsEol_andReEmitsTheSameBytes() {
        byte[] emitted = emit(TcpOptions.of(new Timestamps(1, 2)));
        Result result = check(ints(emitted));
        assertEquals(List.of(new Timestamps(1, 2), new Eol()), result.value().list());
        assertArrayEquals(emitted, emit(result.value()));
    }

    @Test
    void accessors_whenAbsent_areEmpty() {
        TcpOptions none = TcpOptions.NONE;
        assertTrue(none.mss().isEmpty());
        assertTrue(none.windowScale().isEmpty());
        assertFalse(none.sackPermitted());
        assertTrue(none.timestamps().isEmpty());
        assertTrue(none.sack().isEmpty());
        Result result = check(NOP, NOP, NOP, NOP);
        assertFalse(result.parsed().hasMss());
        assertFalse(result.parsed().hasWindowScale());
        assertFalse(result.parsed().sackPermitted());
        assertFalse(result.parsed().hasTimestamps());
        assertEquals(0, result.parsed().sackBlockCount());
    }

    // ---- format (tcpdump's notation) ----

    @Test
    void format_linuxSyn_matchesTcpdump() {
        TcpOptions syn = TcpOptions.of(new Mss(1460), new SackPermitted(), new Timestamps(1, 0), new Nop(), new WindowScale(7));
        assertEquals("[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]", syn.format());
    }

    @Test
    void format_sack_matchesTcpdump() {
        assertEquals("sack 1 {1000:2000}", new Sack(List.of(new SackBlock(1000, 2000))).format());
        assertEquals("sack 2 {146981988:146982064}{146981836:146981912}",
                new Sack(List.of(new SackBlock(146981988, 146982064), new SackBlock(146981836, 146981912))).format());
        assertEquals("sack 1 {4294967280:16}", new Sack(List.of(new SackBlock(0xFFFF_FFF0, 0x10))).format());
    }

    @Test
    void format_unsignedTimestamps_eolAndUnknown() {
        assertEquals("TS val 4294967295 ecr 2147483648", new Timestamps(-1, Integer.MIN_VALUE).format());
        assertEquals("eol", new Eol().format());
        assertEquals("unknown-200 0xabcd", new Unknown(UNASSIGNED, new byte[] {(byte) 0xAB, (byte) 0xCD}).format());
        assertEquals("[]", TcpOptions.NONE.format());
    }

    // ---- API misuse ----

    @Test
    void areaNotMultipleOfFour_throwsNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TcpOptions(List.of(new WindowScale(7)), 5));
        assertTrue(e.getMessage().contains("areaLength: 5"), e.getMessage());
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
    }

    @Test
    void areaTooSmallOrTooLarge_throws() {
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(List.of(new Mss(1460), new WindowScale(7)), 4));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(List.of(), 44));
    }

    @Test
    void optionValuesOutOfRange_throw() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mss(70000)).getMessage().contains("70000"));
        assertThrows(IllegalArgumentException.class, () -> new WindowScale(256));
        assertThrows(IllegalArgumentException.class, () -> new Sack(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Sack(List.of(new SackBlock(1, 2), new SackBlock(3, 4),
                new SackBlock(5, 6), new SackBlock(7, 8), new SackBlock(9, 10))));
        assertThrows(IllegalArgumentException.class, () -> new Unknown(NOP, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Unknown(UNASSIGNED, new byte[39]));
    }

    @Test
    void parse_ofMalformedOptions_throwsAskingForCheckFirst() {
        byte[] segment = segment(UNASSIGNED, 1, 0, 0);
        ByteBuf buf = Unpooled.wrappedBuffer(segment);
        try {
            TcpSegmentView view = new TcpSegmentView().wrap(buf, 0, segment.length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TcpOptions.parse(view));
            assertTrue(e.getMessage().contains("check()"), e.getMessage());
        } finally {
            buf.release();
        }
    }

    @Test
    void unknown_isImmutable() {
        byte[] data = {1, 2};
        Unknown unknown = new Unknown(UNASSIGNED, data);
        data[0] = 9;
        unknown.data()[1] = 9;
        assertArrayEquals(new byte[] {1, 2}, unknown.data());
    }

    // ---- helpers ----

    /** A 20-byte TCP header (ports 40000 > 80) followed by the options area, zero-padded to a multiple of 4. */
    private static byte[] segment(int... area) {
        int areaLength = (area.length + 3) & ~3;
        byte[] segment = new byte[20 + areaLength];
        segment[0] = (byte) (40000 >>> 8);
        segment[1] = (byte) 40000;
        segment[3] = 80;
        segment[12] = (byte) (((20 + areaLength) / 4) << 4);
        segment[13] = TcpFlags.SYN;
        for (int i = 0; i < area.length; i++) {
            segment[20 + i] = (byte) area[i];
        }
        return segment;
    }

    private static Result check(int... area) {
        byte[] segment = segment(area);
        ByteBuf buf = Unpooled.wrappedBuffer(segment);
        try {
            TcpSegmentView view = new TcpSegmentView().wrap(buf, 0, segment.length);
            DropReason reason = view.check();
            return new Result(reason, view.options(), reason == null ? TcpOptions.parse(view) : null);
        } finally {
            buf.release();
        }
    }

    /** The bytes {@code options.writeTo} produces, over a buffer pre-filled with garbage. */
    private static byte[] emit(TcpOptions options) {
        ByteBuf buf = Unpooled.buffer(options.areaLength() + 8);
        try {
            for (int i = 0; i < buf.capacity(); i++) {
                buf.setByte(i, 0xEE);
            }
            assertEquals(options.areaLength(), options.writeTo(buf, 4));
            byte[] out = new byte[options.areaLength()];
            buf.getBytes(4, out);
            return out;
        } finally {
            buf.release();
        }
    }

    private static int[] sackOption(SackBlock... blocks) {
        int[] option = new int[2 + 8 * blocks.length];
        option[0] = SACK;
        option[1] = option.length;
        for (int i = 0; i < blocks.length; i++) {
            putInt(option, 2 + 8 * i, blocks[i].left());
            putInt(option, 6 + 8 * i, blocks[i].right());
        }
        return option;
    }

    private static void putInt(int[] out, int at, int value) {
        out[at] = value >>> 24;
        out[at + 1] = (value >>> 16) & 0xFF;
        out[at + 2] = (value >>> 8) & 0xFF;
        out[at + 3] = value & 0xFF;
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static int[] ints(byte[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] & 0xFF;
        }
        return out;
    }
}
