package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import org.junit.jupiter.api.Test;

/**
 * TCP_INFO's sender chronographs as Linux keeps them (tcp_chrono_start(), tcp_chrono_stop():
 * tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited). The rwnd-limited case is the corpus's
 * tcp_info/tcp-info-rwnd-limited.pkt (LinuxCorpusTest); this one is the send buffer's.
 */
class SenderChronographsTest {

    /**
     * SO_SNDBUF 5000 (10000 after Linux doubles it), MSS 1000: a non-blocking write of 200000 takes
     * 42000 (as the kernel here does), 10 segments go, then 20 on the first ACK, then the last 12 on
     * the second, which empties the unsent queue while the writer still waits for room: the
     * sndbuf-limited chronograph runs from there (tcp_cwnd_validate()) until the last ACK lets the
     * writer go (tcp_check_space()), 50 ms. The kernel here, played the same script with its 4 ms
     * jiffies, reports 52 ms of 80 ms busy (its busy time also counts the backend's real-time delays).
     */
    @Test
    void writerWaitingWithEverythingSent_countsAsSendBufferLimited() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = h.synSent();
            c.setSendBufferSize(h.now(), 5000);
            h.advance(millis(10));
            h.receive(h.segment().flags(TcpFlags.SYN | TcpFlags.ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                    .options(new TcpOption.Mss(1000), new TcpOption.WindowScale(7)));
            h.drain();
            ByteBuf data = Unpooled.buffer(200_000).writeZero(200_000);
            try {
                assertEquals(42_000, c.send(h.now(), data));
            } finally {
                data.release();
            }
            assertEquals(10, h.drain().size(), "the initial window");
            h.advance(millis(10));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + 10_000).window(2000));
            assertEquals(20, h.drain().size());
            h.advance(millis(10));
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + 30_000).window(2000));
            assertEquals(12, h.drain().size(), "the rest: nothing unsent, the writer still waiting");
            assertEquals(0, c.tcpInfo(h.now()).sndbufLimitedMicros());
            h.advance(millis(50));
            assertEquals(50_000, c.tcpInfo(h.now()).sndbufLimitedMicros(), "running");
            h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + 42_000).window(2000));
            h.advance(millis(100)); // idle now: no chronograph runs
            TcpInfo info = c.tcpInfo(h.now());
            assertEquals(50_000, info.sndbufLimitedMicros());
            assertEquals(70_000, info.busyMicros(), "from the write to the last ACK");
            assertEquals(0, info.rwndLimitedMicros());
        }
    }
}
