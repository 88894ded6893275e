package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
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
                "0.153/0.076", "204", "1448", ""), row);
    }

    @Test
    void timeWaitEntry_showsTimeLeftOnly() {
        ConnectionSnapshot s = new ConnectionSnapshot(ID, TcpState.TIME_WAIT, 0, 0, Map.of(TcpTimer.TIME_WAIT, 59_000_000_000L),
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, "", 0, 0, CloseReason.NORMAL);
        assertEquals(new SsRow("TIME-WAIT", 0, 0, "198.18.0.2:80", "198.18.0.1:41234", "timewait 59s", "", "", "", ""),
                SsRow.of(s));
    }

    @Test
    void line_roundTrips_evenWithEmptyFields() {
        SsRow row = new SsRow("TIME-WAIT", 0, 0, "198.18.0.2:80", "198.18.0.1:41234", "timewait 59s", "", "", "", "");
        assertEquals(row, SsRow.parse(row.toLine()));
        assertThrows(IllegalArgumentException.class, () -> SsRow.parse("ESTAB\t0"));
    }

    @Test
    void table_alignsColumnsAndLeavesOutEmptyOptionalOnes() {
        String table = SsRow.table(List.of(
                new SsRow("LISTEN", 0, 16, "0.0.0.0:80", "*:*", "", "", "", "", ""),
                new SsRow("ESTAB", 0, 5, "198.18.0.2:80", "198.18.0.1:41234", "rexmit 180ms", "", "", "", "")));
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size(), table);
        assertEquals("State   Recv-Q  Send-Q  Local Address:Port  Peer Address:Port  Timers", lines.get(0));
        assertEquals("LISTEN       0      16  0.0.0.0:80          *:*", lines.get(1));
        assertEquals("ESTAB        0       5  198.18.0.2:80       198.18.0.1:41234   rexmit 180ms", lines.get(2));
        assertTrue(!table.contains("RTT"), "empty columns are left out");
    }
}
