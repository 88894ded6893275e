package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ss output parser on text that iproute2 6.1's ss printed in a namespace (ss -tanoi, loopback, bbr). */
class SsOutputTest {
    private static final String REAL = """
            State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
            LISTEN 0      128        127.0.0.1:5001       0.0.0.0:*
            \t bbr cwnd:10
            ESTAB  0      0          127.0.0.1:58964    127.0.0.1:5001  timer:(keepalive,119min,0)
            \t ts sack bbr wscale:10,10 rto:204 rtt:0.031/0.015 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:13 \
            bytes_sent:100000 bytes_acked:100001 segs_out:5 segs_in:3 data_segs_out:3 \
            bbr:(bw:31743992424bps,mrtt:0.009,pacing_gain:2.88672,cwnd_gain:2.88672) send 159744000000bps lastsnd:52 \
            lastrcv:56 lastack:52 pacing_rate 220162146888bps delivery_rate 31744000000bps delivered:4 rcv_space:65495 \
            rcv_ssthresh:65495 minrtt:0.009 snd_wnd:28672
            """;

    @Test
    void realSsOutput_parsed() {
        List<SsOutput.Socket> sockets = SsOutput.parse(REAL);
        assertEquals(2, sockets.size());
        SsOutput.Socket listen = sockets.get(0);
        assertEquals("LISTEN", listen.state());
        assertEquals(128, listen.sendQ());
        assertEquals("10", listen.info().get("cwnd"));
        SsOutput.Socket estab = sockets.get(1);
        assertEquals("127.0.0.1:5001", estab.peer());
        assertEquals("timer:(keepalive,119min,0)", estab.timer());
        assertEquals(Set.of("ts", "sack", "bbr"), estab.flags());
        assertEquals(204.0, SsOutput.number(estab.info().get("rto")));
        assertEquals(0.031, SsOutput.number(estab.info().get("rtt")));
        assertEquals(159744000000.0, SsOutput.number(estab.info().get("send")));
        assertEquals("100001", estab.info().get("bytes_acked"));
        assertTrue(estab.info().containsKey("bbr"));
    }

    @Test
    void malformed_rejected() {
        assertThrows(IllegalArgumentException.class, () -> SsOutput.parse("\t ts sack\n"));
        assertThrows(IllegalArgumentException.class, () -> SsOutput.parse("ESTAB 0 0 1.2.3.4:5\n"));
        assertThrows(IllegalArgumentException.class, () -> SsOutput.parse("ESTAB 0 0 1.2.3.4:5 6.7.8.9:10 bogus\n\t rto:1\n"));
    }
}
