package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.usertcp.testkit.PacketMutator;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpSegmentView;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link TcpSegmentView} over a bare TCP segment (header, options, payload): a
 * {@link DropReason} or an accepted segment whose accessors, {@link TcpHeader} and options agree
 * and round-trip; no exception; the buffer untouched. A view reused across inputs must give the
 * same verdict and options as a fresh one (its {@code ParsedTcpOptions} is cleared on wrap).
 */
class TcpSegmentViewFuzzTest {
    private static final TcpSegmentView REUSED = new TcpSegmentView();

    @FuzzTest(maxDuration = "30s")
    void tcpView(byte[] data) {
        try (FuzzRegion region = FuzzRegion.of(data)) {
            TcpSegmentView tcp = new TcpSegmentView().wrap(region.buf(), region.offset(), region.length());
            DropReason reason = tcp.check();
            assertEquals(reason, REUSED.wrap(region.buf(), region.offset(), region.length()).check());
            if (reason == null) {
                assertNull(tcp.check(), "check() is not repeatable");
                WireProperties.assertTcpAccepted(tcp, data, PacketMutator.CLIENT, PacketMutator.SERVER);
                assertEquals(TcpHeader.parse(tcp), TcpHeader.parse(REUSED));
                WireProperties.assertOptionsAgree(TcpHeader.parse(tcp).options(), REUSED.options());
            } else {
                assertTrue(reason.name().startsWith("TCP_"), reason::name);
            }
            region.assertUntouched();
        }
    }

    /**
     * A view must be able to check the same segment twice (the decoder checks, a later stage may
     * check again) and still report each option once: RFC 9293 MUST-6 unknown options included.
     */
    @Test
    void check_calledTwiceOnOneWrap_reportsEachOptionOnce() {
        // 20-byte header with data offset 6: one unknown option (kind 30, length 4) in the 4 option bytes.
        byte[] segment = {0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 0x10, 0, 1, 0, 0, 0, 0, 30, 4, 0, 0};
        try (FuzzRegion region = FuzzRegion.of(segment)) {
            TcpSegmentView tcp = new TcpSegmentView().wrap(region.buf(), region.offset(), region.length());
            assertNull(tcp.check());
            assertNull(tcp.check());
            assertEquals(1, tcp.options().unknownCount());
        }
    }
}
