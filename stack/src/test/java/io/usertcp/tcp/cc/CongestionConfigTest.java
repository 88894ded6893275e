package io.usertcp.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Initial window, selection of an algorithm per connection, plug-ins, and argument checks. */
class CongestionConfigTest {
    private static final long T0 = 1_000_000_000_000L;

    static Stream<Arguments> initialWindows() {
        return Stream.of(
                // RFC 6928 §2: IW = min(10·SMSS, max(2·SMSS, 14600))
                Arguments.of(10, 1460, 14_600L),
                Arguments.of(10, 536, 5_360L),
                Arguments.of(10, 1000, 10_000L),
                Arguments.of(10, 4000, 14_600L),   // the 14600-byte cap
                Arguments.of(10, 9000, 18_000L),   // jumbo frames: never below 2 segments
                Arguments.of(10, 65_535, 131_070L),
                // other N: min(N·SMSS, max(2·SMSS, N·1460))
                Arguments.of(1, 1460, 1_460L),
                Arguments.of(4, 1460, 5_840L),
                Arguments.of(3, 1460, 4_380L),     // RFC 3390's 4380 bytes for 1460-byte segments
                Arguments.of(1024, 1460, 1_495_040L));
    }

    @ParameterizedTest(name = "IW{0} with SMSS {1} = {2}")
    @MethodSource("initialWindows")
    void initialWindow_rfc6928Formula(int segments, int smss, long expectedBytes) {
        assertEquals(expectedBytes, CongestionControl.initialWindowBytes(segments, smss));
        for (CongestionAlgorithm a : CongestionAlgorithm.values()) {
            CongestionControl cc = CongestionConfig.rfc().withAlgorithm(a).withInitialWindowSegments(segments).newController(smss);
            assertEquals(expectedBytes, cc.cwndBytes(), a.algorithmName());
            assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.ssthreshBytes(), "RFC 5681 §3.1: arbitrarily high");
        }
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void setMss_beforeAnyAck_recomputesInitialWindow(CongestionAlgorithm a) {
        // The connection may create its controller before the MSS is final: IW follows the SMSS in use
        CongestionControl cc = CongestionConfig.rfc().withAlgorithm(a).newController(536);
        assertEquals(5_360, cc.cwndBytes());
        cc.setMss(1460);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(1460, cc.smssBytes());
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void setMss_afterData_keepsBytesButAtLeastOneSegment(CongestionAlgorithm a) {
        CongestionControl cc = CongestionConfig.rfc().withAlgorithm(a).newController(536);
        cc.onAck(T0, 536, 5_360, 0);
        assertEquals(5_896, cc.cwndBytes());
        cc.setMss(1460);
        assertEquals(5_896, cc.cwndBytes(), "bytes are kept once the window has moved");
        cc.onRetransmitTimeout(T0, 5_896);
        assertEquals(1460, cc.cwndBytes());
        cc.setMss(9000);
        assertEquals(9000, cc.cwndBytes(), "never less than one segment");
        assertEquals(18_000, cc.ssthreshBytes(), "never less than two segments");
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void handshakeRetransmitted_initialWindowIsOneSegment(CongestionAlgorithm a) {
        // RFC 5681 §3.1 / RFC 6928 §2: after a lost SYN or SYN-ACK the initial window MUST be one segment
        CongestionControl cc = CongestionConfig.rfc().withAlgorithm(a).newController(1460);
        cc.onHandshakeRetransmitted();
        assertEquals(1460, cc.cwndBytes());
        cc.setMss(1200);
        assertEquals(1200, cc.cwndBytes());
    }

    @Test
    void handshakeRetransmitted_afterData_changesNothing() {
        CongestionControl cc = CongestionConfig.rfc().newController(1460);
        cc.onAck(T0, 1460, 14_600, 0);
        cc.onHandshakeRetransmitted();
        assertEquals(16_060, cc.cwndBytes());
    }

    @Test
    void profiles_linuxIsCubic_rfcIsNewReno_bothIw10() {
        assertSame(CongestionAlgorithm.CUBIC, CongestionConfig.linux().algorithm());
        assertSame(CongestionAlgorithm.NEW_RENO, CongestionConfig.rfc().algorithm());
        assertEquals(10, CongestionConfig.linux().initialWindowSegments());
        assertTrue(CongestionConfig.linux().slowStartAfterIdle());
        assertTrue(CongestionConfig.linux().cubicFastConvergence());
        assertEquals("cubic", CongestionConfig.linux().newController(1460).name());
        assertEquals("newreno", CongestionConfig.rfc().newController(1460).name());
    }

    @Test
    void byName_knownNamesAnyCase_renoMeansNewReno() {
        assertSame(CongestionAlgorithm.CUBIC, CongestionAlgorithm.byName("cubic"));
        assertSame(CongestionAlgorithm.CUBIC, CongestionAlgorithm.byName("CUBIC"));
        assertSame(CongestionAlgorithm.NEW_RENO, CongestionAlgorithm.byName("newreno"));
        assertSame(CongestionAlgorithm.NEW_RENO, CongestionAlgorithm.byName("reno"));
        CongestionControl cc = CongestionControl.create("cubic", 536, CongestionConfig.rfc());
        assertEquals("cubic", cc.name());
        assertEquals(5_360, cc.cwndBytes());
    }

    @Test
    void byName_unknown_throwsSayingWhatIsKnown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CongestionAlgorithm.byName("bbr"));
        assertEquals("congestion control: 'bbr' (expected: newreno, reno or cubic)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CongestionAlgorithm.byName(null));
    }

    /** A plug-in from outside the built-ins: a constant window of IW segments, whatever happens. */
    private static final class FixedWindow implements CongestionControl {
        private int smss;
        private final long windowBytes;

        FixedWindow(int smss, CongestionConfig config) {
            this.smss = smss;
            this.windowBytes = (long) config.initialWindowSegments() * smss;
        }

        @Override public long cwndBytes() { return windowBytes; }
        @Override public long ssthreshBytes() { return windowBytes; }
        @Override public int smssBytes() { return smss; }
        @Override public boolean inRecovery() { return false; }
        @Override public void onAck(long nowNanos, long ackedBytes, long flightSizeBytes, long srttNanos) { }
        @Override public void onLossDetected(long nowNanos, long flightSizeBytes) { }
        @Override public void onRecoveryEnd(long nowNanos) { }
        @Override public void onRetransmitTimeout(long nowNanos, long flightSizeBytes) { }
        @Override public void onIdle(long nowNanos, long idleNanos, long rtoNanos) { }
        @Override public void restartIfIdle(long nowNanos, long idleNanos, long rtoNanos) { }
        @Override public void onHandshakeRetransmitted() { }
        @Override public void setMss(int smssBytes) { smss = smssBytes; }
        @Override public String name() { return "fixed"; }
    }

    @Test
    void pluggedInFactory_makesEachConnectionsController() {
        // Others plug in the same way as the built-ins: a factory in the config
        CongestionConfig config = CongestionConfig.rfc().withAlgorithm(FixedWindow::new).withInitialWindowSegments(4);
        CongestionControl a = config.newController(1460);
        CongestionControl b = config.newController(1000);
        assertEquals("fixed", a.name());
        assertEquals(5_840, a.cwndBytes());
        assertEquals(4_000, b.cwndBytes(), "one controller per connection");
        a.onLossDetected(T0, 5_840);
        assertEquals(5_840, a.cwndBytes());
        assertEquals(false, a.inSlowStart(), "the interface's default: cwnd < ssthresh");
    }

    @Test
    void config_outOfRange_throwsWithGivenAndExpected() {
        IllegalArgumentException iw = assertThrows(IllegalArgumentException.class,
                () -> CongestionConfig.rfc().withInitialWindowSegments(0));
        assertEquals("initialWindowSegments: 0 (expected: 1..1024)", iw.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CongestionConfig.rfc().withInitialWindowSegments(1025));
        assertThrows(IllegalArgumentException.class, () -> CongestionConfig.rfc().withAlgorithm(null));
        IllegalArgumentException mss = assertThrows(IllegalArgumentException.class,
                () -> CongestionConfig.rfc().newController(0));
        assertEquals("smssBytes: 0 (expected: 1..65535)", mss.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CongestionConfig.linux().newController(65_536));
        CongestionControl cc = CongestionConfig.linux().newController(1460);
        assertThrows(IllegalArgumentException.class, () -> cc.setMss(-1));
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void negativeArguments_throwAndLeaveWindowAlone(CongestionAlgorithm a) {
        CongestionControl cc = CongestionConfig.rfc().withAlgorithm(a).newController(1460);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cc.onAck(T0, -1, 14_600, 0));
        assertEquals("ackedBytes: -1 (expected: >= 0)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cc.onAck(T0, 1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> cc.onAck(T0, 1, 14_600, -1));
        assertThrows(IllegalArgumentException.class, () -> cc.onLossDetected(T0, -1));
        assertThrows(IllegalArgumentException.class, () -> cc.onRetransmitTimeout(T0, -1));
        assertThrows(IllegalArgumentException.class, () -> cc.onIdle(T0, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> cc.onIdle(T0, 0, -1));
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(CongestionControl.MAX_WINDOW_BYTES, cc.ssthreshBytes());
    }
}
