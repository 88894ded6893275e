package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpInfo;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.wire.Ipv4Address;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ss -o's timer and ss -i's line, in iproute2's words (misc/ss.c print_ms_timer(), tcp_stats_print()). */
class SsInfoTest {
    private static final ConnectionId ID = new ConnectionId(Ipv4Address.of("198.18.0.2").bits(), 80,
            Ipv4Address.of("198.18.0.1").bits(), 41234);

    @Test
    void msTimer_asIproute2PrintsIt() {
        assertEquals("195ms", SsInfo.msTimer(195));
        assertEquals("020ms", SsInfo.msTimer(20)); // "%03dms", as ss prints timer:(on,020ms,0)
        assertEquals("1.250ms", SsInfo.msTimer(1250)); // sic: 1.25 s
        assertEquals("12sec", SsInfo.msTimer(12_345));
        assertEquals("2min3sec", SsInfo.msTimer(123_000));
        assertEquals("119min", SsInfo.msTimer(119 * 60_000 + 59_000));
        assertEquals("", SsInfo.msTimer(0));
    }

    @Test
    void g_isCsPercentG() {
        assertEquals("204", SsInfo.g(204.0));
        assertEquals("0.031", SsInfo.g(0.031));
        assertEquals("12.3457", SsInfo.g(12.345678));
        assertEquals("0", SsInfo.g(0));
    }

    @Test
    void timer_theOneInetDiagReports() {
        assertEquals("timer:(on,180ms,2)", SsInfo.timer(snapshot(Map.of(TcpTimer.RETRANSMIT, 180_000_000L,
                TcpTimer.KEEPALIVE, 1_900_000_000L, TcpTimer.DELAYED_ACK, 1_000_000L), 2)));
        assertEquals("timer:(on,020ms,0)", SsInfo.timer(snapshot(Map.of(TcpTimer.LOSS_PROBE, 20_000_000L), 0)));
        assertEquals("timer:(persist,400ms,0)", SsInfo.timer(snapshot(Map.of(TcpTimer.PERSIST, 400_000_000L), 0)));
        assertEquals("timer:(keepalive,1.900ms,0)", SsInfo.timer(snapshot(Map.of(TcpTimer.KEEPALIVE, 1_900_000_000L), 0)));
        assertEquals("", SsInfo.timer(snapshot(Map.of(TcpTimer.DELAYED_ACK, 1_000_000L), 0)), "not reported by inet_diag");
    }

    @Test
    void line_inTcpStatsPrintOrder_zerosLeftOut() {
        ConnectionSnapshot s = new ConnectionSnapshot(ID, TcpState.ESTABLISHED, 0, 0, Map.of(), 8_000_000L, 4_000_000L,
                208_000_000L, 1448, 65535, 131072, 0, 0, 7, 7, true, true, "cubic", 14480, Integer.MAX_VALUE, null);
        TcpInfo info = new TcpInfo(TcpInfo.CA_OPEN, 1460, 0, 3, 52, 0, 0, 0, 0, false, 4, 4000, 0, 0,
                new TcpInfo.Traffic(100_000, 0, 100_001, 500, 80, 40, 70, 1, 0, 52, 52, 536, 7900, 0, 0));
        assertEquals("ts sack cubic wscale:7,7 rto:208 rtt:8/4 mss:1448 rcvmss:536 advmss:1460 cwnd:10 bytes_sent:100000"
                + " bytes_acked:100001 bytes_received:500 segs_out:80 segs_in:40 data_segs_out:70 data_segs_in:1"
                + " send 14480000bps lastsnd:52 lastrcv:52 lastack:52 delivered:4 busy:4ms minrtt:7.9 snd_wnd:65535",
                SsInfo.line(s, info));
    }

    private static ConnectionSnapshot snapshot(Map<TcpTimer, Long> timers, int retransmits) {
        return new ConnectionSnapshot(ID, TcpState.ESTABLISHED, 0, 0, timers, 0, 0, 200_000_000L, 1448, 65535, 131072,
                retransmits, 0, 7, 7, true, true, "cubic", 14480, Integer.MAX_VALUE, null);
    }
}
