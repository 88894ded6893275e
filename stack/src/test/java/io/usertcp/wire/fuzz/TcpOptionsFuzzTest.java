package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpOptionParser;
import io.usertcp.wire.TcpOptionSink;
import io.usertcp.wire.TcpOptions;
import io.usertcp.wire.TcpSegmentView;
import java.util.Arrays;

/**
 * Fuzzes the TCP options parser three ways over one input, the bytes of an options area:
 * <ol>
 *   <li>{@link TcpOptionParser#parse} over all the bytes, with a sink that checks every callback
 *       stays inside the area and follows the option rules (RFC 9293 §3.2, RFC 2018, RFC 7323);</li>
 *   <li>the same through {@link TcpSegmentView#check()} and {@link ParsedTcpOptions}, with the
 *       first 40 bytes zero-padded to a multiple of 4 as a real header would hold them;</li>
 *   <li>when accepted, {@link TcpOptions#parse} → {@link TcpOptions#writeTo} → parse again gives
 *       the same value and the same bytes, up to the padding after the last option.</li>
 * </ol>
 * Malformed options are {@link DropReason#TCP_BAD_OPTION}, never an exception (MUST-7).
 */
class TcpOptionsFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void tcpOptions(byte[] data) {
        parseWholeInput(data);
        parseAsHeaderOptions(Arrays.copyOf(data, Math.min(data.length, TcpOptionKind.MAX_OPTIONS_LENGTH)));
    }

    private static void parseWholeInput(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            int from = region.offset();
            int to = from + region.length();
            CheckingSink sink = new CheckingSink(from, to);
            DropReason reason = TcpOptionParser.parse(region.buf(), from, to, sink);
            assertTrue(reason == null || reason == DropReason.TCP_BAD_OPTION, () -> String.valueOf(reason));
            region.assertUntouched();
        }
    }

    private static void parseAsHeaderOptions(byte[] options) {
        byte[] area = Arrays.copyOf(options, (options.length + 3) & ~3); // zero padding is EOL
        byte[] segment = new byte[TcpSegmentView.MIN_HEADER_LENGTH + area.length];
        segment[1] = 1; // source port 1
        segment[3] = 2; // destination port 2
        segment[12] = (byte) ((segment.length / 4) << 4);
        System.arraycopy(area, 0, segment, TcpSegmentView.MIN_HEADER_LENGTH, area.length);
        try (FuzzRegion region = FuzzRegion.of(segment)) {
            TcpSegmentView tcp = new TcpSegmentView().wrap(region.buf(), region.offset(), region.length());
            DropReason reason = tcp.check();
            int from = tcp.optionsOffset();
            DropReason direct = TcpOptionParser.parse(region.buf(), from, from + area.length, new CheckingSink(from, from + area.length));
            assertEquals(direct, reason, "the view and the parser disagree");
            if (reason == null) {
                TcpOptions value = TcpOptions.parse(tcp);
                WireProperties.assertOptionsAgree(value, tcp.options());
                assertRoundTrip(value, area);
                assertTrue(value.format().startsWith("[") && value.format().endsWith("]"));
            }
            region.assertUntouched();
        }
    }

    /** writeTo reproduces the area up to the end of the last option, zeros after; reparsing gives the same value. */
    private static void assertRoundTrip(TcpOptions value, byte[] area) {
        ByteBuf written = Unpooled.buffer(TcpSegmentView.MIN_HEADER_LENGTH + area.length);
        try {
            written.writerIndex(written.capacity());
            written.setShort(0, 1);
            written.setShort(2, 2);
            written.setByte(12, (written.capacity() / 4) << 4);
            assertEquals(area.length, value.writeTo(written, TcpSegmentView.MIN_HEADER_LENGTH));
            TcpSegmentView reread = new TcpSegmentView().wrap(written, 0, written.capacity());
            assertNull(reread.check());
            assertEquals(value, TcpOptions.parse(reread));
            int end = value.list().stream().mapToInt(TcpOption::encodedLength).sum();
            byte[] expected = area.clone();
            Arrays.fill(expected, end, expected.length, (byte) 0);
            assertArrayEquals(expected, ByteBufUtil.getBytes(written, TcpSegmentView.MIN_HEADER_LENGTH, area.length));
        } finally {
            written.release();
        }
    }

    /** Checks each callback against the option rules and the bounds of the area. */
    private static final class CheckingSink implements TcpOptionSink {
        private final int from;
        private final int to;
        private int nextSackIndex;
        private boolean ended;

        CheckingSink(int from, int to) {
            this.from = from;
            this.to = to;
        }

        private void option() {
            assertTrue(!ended, "an option was reported after EOL");
            nextSackIndex = 0;
        }

        @Override
        public void onEol(int offset) {
            option();
            assertTrue(offset >= from && offset < to, "EOL outside the area");
            ended = true;
        }

        @Override
        public void onNop() {
            option();
        }

        @Override
        public void onMss(int mss) {
            option();
            assertTrue(mss >= 0 && mss <= 0xFFFF);
        }

        @Override
        public void onWindowScale(int shift) {
            option();
            assertTrue(shift >= 0 && shift <= 0xFF);
        }

        @Override
        public void onSackPermitted() {
            option();
        }

        @Override
        public void onSackBlock(int index, int left, int right) {
            assertTrue(!ended, "a SACK block was reported after EOL");
            // RFC 2018 §3: one to four blocks, reported in order within one option.
            int expected = index == 0 ? 0 : nextSackIndex;
            assertEquals(expected, index);
            assertTrue(index < TcpOptionKind.MAX_SACK_BLOCKS);
            nextSackIndex = index + 1;
        }

        @Override
        public void onTimestamps(int tsVal, int tsEcr) {
            option();
        }

        @Override
        public void onMd5Signature(ByteBuf buf, int digestOffset) {
            option();
            // RFC 2385 §3.0: kind 19, length 18; the 16-byte digest lies inside the area, after kind and length.
            assertTrue(digestOffset >= from + 2 && digestOffset + TcpOptionKind.MD5_DIGEST_LENGTH <= to, "MD5 digest outside the area");
            assertEquals(TcpOptionKind.MD5_SIGNATURE, buf.getUnsignedByte(digestOffset - 2));
            assertEquals(TcpOptionKind.MD5_SIGNATURE_LENGTH, buf.getUnsignedByte(digestOffset - 1));
        }

        @Override
        public void onUnknown(int kind, ByteBuf buf, int dataOffset, int dataLength) {
            option();
            assertTrue(kind > TcpOptionKind.NOP && kind <= 0xFF
                    && kind != TcpOptionKind.MSS && kind != TcpOptionKind.WINDOW_SCALE && kind != TcpOptionKind.SACK_PERMITTED
                    && kind != TcpOptionKind.SACK && kind != TcpOptionKind.TIMESTAMPS
                    && kind != TcpOptionKind.MD5_SIGNATURE, () -> "kind " + kind);
            assertTrue(dataOffset >= from + 2 && dataLength >= 0 && dataOffset + dataLength <= to, "unknown option data outside the area");
        }
    }
}
