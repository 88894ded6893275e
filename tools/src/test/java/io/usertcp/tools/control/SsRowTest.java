package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.wire.Ipv4Address;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rows of usertcp ss: from a snapshot, over the control socket's line format, into a table. */
class SsRowTest {
    private static final ConnectionId ID = new ConnectionId(Ipv4Address.of("198.18.0.2").bits(), 80,
            Ipv4Address.of("198.18.0.1").bits(), 41234);

    @Test
    void establishedSnapshot_showsQueuesTimersRttRtoMss() {
        ConnectionSnapshot s = new ConnectionSnapshot(ID, TcpState.ESTABLISHED, 10, 2000,
                Map.of(TcpTimer.RETRANSMIT, 180_000_000L, TcpTimer.KEEPALIVE, 1_900_000_000L),
                153_000L, 76_000L, 204_000_000L, 1448, 65535, 131072, 0, 2000, 7, 7, true, true, "cubic", 14480, Integer.MAX_VALUE, null);
        SsRow row = SsRow.of(s);
        assertEquals(new SsRow("ESTAB", 10, 2000, "198.18.0.2:80", "198.18.0.1:41234", "rexmit 180ms, keepalive 1.9s",
                "0.153/0.076", "204", "1448", "cubic cwnd:10", "", "timer:(on,180ms,0)", "", 0), row);
    }

    @Test
    void congestion_unsetSsthresh_isLeftOutAsSsDoes() {
        // the initial window, RFC 6928: min(10·MSS, max(2·MSS, 14600)) = 14480 for MSS 1448; ssthresh still "arbitrarily high"
        assertEquals("cubic cwnd:10", SsRow.congestion(established("cubic", 14_480, CongestionControl.MAX_WINDOW_BYTES)));
    }

    @Test
    void congestion_afterALoss_showsCwndAndSsthreshInSegmentsOfMss() {
        // after a loss NewReno sets ssthresh = max(FlightSize/2, 2·SMSS) and cwnd = ssthresh + 3·SMSS (RFC 5681 §3.2)
        assertEquals("newreno cwnd:8 ssthresh:5", SsRow.congestion(established("newreno", 8 * 1448, 5 * 1448)));
        // a window that is not a whole number of segments is shown rounded down, as Linux counts whole packets
        assertEquals("cubic cwnd:7 ssthresh:7", SsRow.congestion(established("cubic", 7 * 1448 + 1000, 7 * 1448 + 1)));
        SsRow row = SsRow.of(established("cubic", 8 * 1448, 5 * 1448));
        assertEquals("cubic cwnd:8 ssthresh:5", row.cwnd());
        assertEquals(row, SsRow.parse(row.toLine()), "the column crosses the control socket unchanged");
    }

    @Test
    void congestion_inTheTable_hasItsOwnColumn() {
        String table = SsRow.table(List.of(SsRow.of(established("cubic", 14_480, 7 * 1448))));
        List<String> lines = table.lines().toList();
        assertTrue(lines.get(0).endsWith("MSS   Congestion"), table);
        assertTrue(lines.get(1).endsWith("1448  cubic cwnd:10 ssthresh:7"), table);
    }

    @Test
    void congestion_noAlgorithmOrNoMss_isEmpty() {
        assertEquals("", SsRow.congestion(established("", 14_480, CongestionControl.MAX_WINDOW_BYTES)));
        ConnectionSnapshot noMss = new ConnectionSnapshot(ID, TcpState.SYN_SENT, 0, 0, Map.of(), 0, 0, 1_000_000_000L, 0,
                0, 0, 0, 1, 0, 0, false, false, "cubic", 14_480, CongestionControl.MAX_WINDOW_BYTES, null);
        assertEquals("", SsRow.congestion(noMss));
    }

    private static ConnectionSnapshot established(String algorithm, long cwndBytes, long ssthreshBytes) {
        return new ConnectionSnapshot(ID, TcpState.ESTABLISHED, 0, 0, Map.of(), 153_000L, 76_000L, 204_000_000L, 1448,
                65535, 131072, 0, 0, 7, 7, true, true, algorithm, cwndBytes, ssthreshBytes, null);
    }

    @Test
    void buffers_asSsMemNamesThem_andTheyCrossTheControlSocket() {
        ConnectionSnapshot s = new ConnectionSnapshot(ID, TcpState.ESTABLISHED, 0, 0, Map.of(), 153_000L, 76_000L, 204_000_000L,
                1448, 65535, 131072, 0, 0, 7, 7, true, true, "cubic", 14_480, CongestionControl.MAX_WINDOW_BYTES, null, false,
                false, 1_048_576, 87_040);
        SsRow row = SsRow.of(s);
        assertEquals("rb1048576 tb87040", row.buffers());
        assertEquals(row, SsRow.parse(row.toLine()));
        assertEquals("", SsRow.of(established("cubic", 14_480, 7 * 1448)).buffers(), "a snapshot without buffer sizes");
    }

    @Test
    void timeWaitEntry_showsTimeLeftOnly() {
        ConnectionSnapshot s = new ConnectionSnapshot(ID, TcpState.TIME_WAIT, 0, 0, Map.of(TcpTimer.TIME_WAIT, 59_000_000_000L),
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, "", 0, 0, CloseReason.NORMAL);
        assertEquals(new SsRow("TIME-WAIT", 0, 0, "198.18.0.2:80", "198.18.0.1:41234", "timewait 59s", "", "", "", "", "",
                "timer:(timewait,59sec,0)", "", 0), SsRow.of(s));
    }

    @Test
    void line_roundTrips_evenWithEmptyFields() {
        SsRow row = new SsRow("TIME-WAIT", 0, 0, "198.18.0.2:80", "198.18.0.1:41234", "timewait 59s", "", "", "", "", "");
        assertEquals(row, SsRow.parse(row.toLine()));
        assertThrows(IllegalArgumentException.class, () -> SsRow.parse("ESTAB\t0"));
    }

    @Test
    void table_alignsColumnsAndLeavesOutEmptyOptionalOnes() {
        String table = SsRow.table(List.of(
                new SsRow("LISTEN", 0, 16, "0.0.0.0:80", "*:*", "", "", "", "", "", ""),
                new SsRow("ESTAB", 0, 5, "198.18.0.2:80", "198.18.0.1:41234", "rexmit 180ms", "", "", "", "", "")));
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size(), table);
        assertEquals("State   Recv-Q  Send-Q  Local Address:Port  Peer Address:Port  Timers", lines.get(0));
        assertEquals("LISTEN       0      16  0.0.0.0:80          *:*", lines.get(1));
        assertEquals("ESTAB        0       5  198.18.0.2:80       198.18.0.1:41234   rexmit 180ms", lines.get(2));
        assertTrue(!table.contains("RTT"), "empty columns are left out");
    }

    @Test
    void shard_crossesTheControlSocket_isAJsonField_andAColumnOnlyForAStackOfSeveral() {
        SsRow listener = new SsRow("LISTEN", 0, 16, "0.0.0.0:80", "*:*", "", "", "", "", "", "").onShard(1);
        SsRow row = SsRow.of(established("cubic", 14_480, 7 * 1448)).onShard(1);
        assertEquals(1, SsRow.parse(row.toLine()).shard());
        assertEquals(row, SsRow.parse(row.toLine()));
        assertTrue(row.toJson().startsWith("{\"shard\":1,\"state\":\"ESTAB\","), row.toJson());
        assertTrue(SsRow.of(established("cubic", 14_480, 7 * 1448)).toJson().startsWith("{\"shard\":0,"), "shard 0 of one");

        List<String> one = SsRow.table(List.of(listener, row)).lines().toList();
        assertTrue(!one.get(0).contains("Shard"), "no column for a stack of one: " + one);
        List<String> several = SsRow.table(List.of(listener, row), true).lines().toList();
        assertTrue(several.get(0).endsWith("  Shard"), several.toString());
        assertTrue(several.get(1).startsWith("LISTEN") && several.get(1).endsWith("  1"), several.toString());
        assertTrue(several.get(2).endsWith("cubic cwnd:10 ssthresh:7  1"), several.toString());
    }
}
