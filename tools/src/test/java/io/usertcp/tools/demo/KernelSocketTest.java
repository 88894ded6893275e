package io.usertcp.tools.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.wire.Ipv4Address;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Parsing /proc/net/tcp and tcp6 as a little-endian Linux prints them (include/net/tcp_states.h numbers). */
class KernelSocketTest {
    private static final String HEADER =
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    @BeforeEach
    void littleEndian() {
        Assumptions.assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "lines below are as x86/arm64 print them");
    }

    @Test
    void timeWaitLine_givesStateTupleAndTimerLeft() {
        // 198.18.0.1:56518 -> 198.18.0.2:80, TIME_WAIT (06), timer 3 (timewait) with 0x1700 ticks (58.88 s) left
        String text = HEADER + "   0: 010012C6:DCC6 020012C6:0050 06 00000000:00000000 03:00001700 00000000     0        0 0 3 0000000000000000\n";
        List<KernelSocket> sockets = KernelSocket.parseProcNetTcp(text);
        assertEquals(1, sockets.size());
        KernelSocket s = sockets.get(0);
        assertEquals("TIME-WAIT", s.state());
        assertEquals(Ipv4Address.of("198.18.0.1").bits(), s.localAddress());
        assertEquals(56518, s.localPort());
        assertEquals(Ipv4Address.of("198.18.0.2").bits(), s.remoteAddress());
        assertEquals(80, s.remotePort());
        assertEquals("timewait", s.timer());
        assertEquals(58_880, s.timerLeftMillis());
        assertEquals(new ConnectionId(Ipv4Address.of("198.18.0.2").bits(), 80, Ipv4Address.of("198.18.0.1").bits(), 56518),
                s.asSeenByPeer());
    }

    @Test
    void queuesAndListener_areRead() {
        String text = HEADER
                + "   0: 00000000:0007 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n"
                + "   1: 010012C6:9C40 020012C6:0007 08 0000002A:00000010 01:00000014 00000002     0        0 2 1 0000000000000000 20 4 30 10 -1\n";
        List<KernelSocket> sockets = KernelSocket.parseProcNetTcp(text);
        assertEquals(2, sockets.size());
        assertTrue(sockets.get(0).isListener());
        KernelSocket closeWait = sockets.get(1);
        assertEquals("CLOSE-WAIT", closeWait.state());
        assertEquals(42, closeWait.sendQueueBytes());
        assertEquals(16, closeWait.recvQueueBytes());
        assertEquals("on", closeWait.timer());
        assertEquals(200, closeWait.timerLeftMillis());
        assertEquals(2, closeWait.retransmits());
        assertEquals("timer:(on,200ms,2)", closeWait.timerText());
    }

    @Test
    void tcp6_v4MappedConnection_isRead_realIpv6IsSkipped() {
        // java.net sockets are dual-stack: their IPv4 connections show up in tcp6 as ::ffff:a.b.c.d
        String text = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 0000000000000000FFFF0000010012C6:B5D6 0000000000000000FFFF0000020012C6:0007 01 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 20 4 30 10 -1\n"
                + "   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0000000000000000 100 0 0 10 0\n";
        List<KernelSocket> sockets = KernelSocket.parseProcNetTcp(text);
        assertEquals(1, sockets.size());
        assertEquals("ESTAB", sockets.get(0).state());
        assertEquals("198.18.0.1:46550", sockets.get(0).local());
        assertEquals("198.18.0.2:7", sockets.get(0).peer());
    }

    @Test
    void everyStateNumber_hasSsName() {
        String[] expected = {"ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT",
            "LAST-ACK", "LISTEN", "CLOSING"};
        for (int st = 1; st <= expected.length; st++) {
            String line = String.format("   0: 010012C6:1000 020012C6:0050 %02X 00000000:00000000 00:00000000 00000000     0        0 0 1", st);
            assertEquals(expected[st - 1], KernelSocket.parseLine(line).state(), "state " + st);
        }
    }

    @Test
    void malformedLines_areSkipped() {
        assertEquals(List.of(), KernelSocket.parseProcNetTcp(HEADER + "garbage\n   0: zz:zz\n"));
    }
}
