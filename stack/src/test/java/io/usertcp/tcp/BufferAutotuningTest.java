package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.sim.FaultProfile;
import io.usertcp.sim.SimulatedNetwork;
import org.junit.jupiter.api.Test;

/**
 * Linux's buffer sizing in the linux profile, between two stacks on virtual time with a 10 ms
 * round trip: the receive buffer follows what the application reads per round trip
 * (tcp_rcv_space_adjust()), the send buffer follows cwnd (tcp_sndbuf_expand()), both within
 * tcp_rmem[2] / tcp_wmem[2], and neither moves once the application has set SO_RCVBUF / SO_SNDBUF.
 */
class BufferAutotuningTest {
    private static final long MILLI = 1_000_000L;
    private static final int PORT = 5001;
    private static final int TOTAL = 8 << 20;

    /** A bulk transfer from A to B; B reads everything as it arrives. Returns {sender, receiver}. */
    private static TcpConnection[] transfer(SimulatedNetwork net, boolean lockBuffers) {
        TcpListener listener = net.b().listen(net.nowNanos(), PORT, 8);
        TcpConnection sender = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
        TcpConnection[] receiver = new TcpConnection[1];
        assertTrue(net.runUntil(() -> (receiver[0] = listener.accept()) != null, 1000 * MILLI));
        if (lockBuffers) {
            sender.setSendBufferSize(net.nowNanos(), 65536);
            receiver[0].setReceiveBufferSize(net.nowNanos(), 65536);
        }
        ByteBuf chunk = Unpooled.buffer(16384).writeZero(16384);
        ByteBuf sink = Unpooled.buffer(65536);
        long sent = 0;
        long read = 0;
        try {
            for (int step = 0; step < 200_000 && read < TOTAL; step++) {
                while (sent < TOTAL && sender.sendSpace() > 0) {
                    chunk.setIndex(0, (int) Math.min(chunk.capacity(), TOTAL - sent));
                    sent += sender.send(net.nowNanos(), chunk);
                }
                int n;
                while ((n = receiver[0].read(net.nowNanos(), sink.clear())) > 0) {
                    read += n;
                }
                net.runFor(MILLI / 4);
            }
        } finally {
            chunk.release();
            sink.release();
        }
        assertEquals(TOTAL, read, "the transfer completed");
        return new TcpConnection[] {sender, receiver[0]};
    }

    @Test
    void linux_buffersGrowWithTheTransfer_withinTcpRmem2AndTcpWmem2() {
        TcpConfig tcp = TcpConfig.linux();
        try (SimulatedNetwork net = SimulatedNetwork.between(tcp, FaultProfile.ideal(5 * MILLI), 1)) {
            TcpConnection[] c = transfer(net, false);
            int rcvbuf = c[1].receiveBufferSize();
            int sndbuf = c[0].sendBufferSize();
            // 10 ms at the simulated link's rate needs far more than the initial 64 KiB window.
            assertTrue(rcvbuf > tcp.receiveBufferBytes(), "the receive buffer grew: " + rcvbuf);
            assertTrue(rcvbuf <= tcp.receiveBufferMaxBytes(), "within tcp_rmem[2]: " + rcvbuf);
            assertTrue(sndbuf > 87040, "the send buffer grew past its size at the handshake: " + sndbuf);
            assertTrue(sndbuf <= tcp.sendBufferMaxBytes(), "within tcp_wmem[2]: " + sndbuf);
        }
    }

    @Test
    void linux_sendBufferAtTheHandshake_isTwoInitialWindowsOfWorstCaseSkbs() {
        // tcp_sndbuf_expand() at tcp_init_buffer_space(): 2 · max(10, cwnd) · (roundup_pow_of_two(1460 + 320 + 320) + 256).
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(5 * MILLI), 1)) {
            net.b().listen(net.nowNanos(), PORT, 8);
            TcpConnection c = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), PORT);
            assertEquals(16384, c.sendBufferSize(), "tcp_wmem[1] before the handshake");
            assertTrue(net.runUntil(() -> c.state() == TcpState.ESTABLISHED, 1000 * MILLI));
            // The MSS is 1448 (timestamps), and 1448 + 640 rounds up to 4096 as 1460 + 640 does.
            assertEquals(2 * 10 * (4096 + 256), c.sendBufferSize());
        }
    }

    @Test
    void linux_setBuffersStayAsSet_autotuningLeavesThemAlone() {
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), FaultProfile.ideal(5 * MILLI), 1)) {
            TcpConnection[] c = transfer(net, true);
            assertEquals(2 * 65536, c[0].sendBufferSize(), "SO_SNDBUF, doubled, and locked (SOCK_SNDBUF_LOCK)");
            assertEquals(2 * 65536, c[1].receiveBufferSize(), "SO_RCVBUF, doubled, and locked (SOCK_RCVBUF_LOCK)");
        }
    }

    @Test
    void rfc_noAutotuning_buffersKeepTheirConfiguredSize() {
        TcpConfig tcp = TcpConfig.rfc();
        try (SimulatedNetwork net = SimulatedNetwork.between(tcp, FaultProfile.ideal(5 * MILLI), 1)) {
            TcpConnection[] c = transfer(net, false);
            assertEquals(tcp.sendBufferBytes(), c[0].sendBufferSize());
            assertEquals(tcp.receiveBufferBytes(), c[1].receiveBufferSize());
        }
    }
}
