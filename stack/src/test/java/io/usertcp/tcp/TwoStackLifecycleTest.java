package io.usertcp.tcp;

import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.TwoStacks;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Two stacks over an in-memory wire: open, a little data, and the close orders of DESIGN.md §13. */
class TwoStackLifecycleTest {

    static String readAll(TwoStacks net, TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(1 << 16);
        try {
            c.read(net.now(), dst);
            return dst.toString(StandardCharsets.US_ASCII);
        } finally {
            dst.release();
        }
    }

    static void write(TwoStacks net, TcpConnection c, String text) {
        ByteBuf src = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(net.now(), src));
        } finally {
            src.release();
        }
    }

    /** Client on A, server on B, established and accepted. */
    static TcpConnection[] open(TwoStacks net) {
        TcpListener listener = net.b.listen(net.now(), 80, 16);
        TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
        net.settle();
        TcpConnection server = listener.accept();
        assertNotNull(server, net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, client.state(), net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, server.state());
        return new TcpConnection[] {client, server};
    }

    @Test
    void activeClose_clientTimeWaitThenClosedAfter2Msl() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            TcpConnection client = cs[0];
            TcpConnection server = cs[1];
            write(net, client, "hello");
            net.settle();
            assertEquals("hello", readAll(net, server));
            write(net, server, "world");
            net.settle();
            assertEquals("world", readAll(net, client));

            client.close(net.now());
            net.settle();
            // Linux tcp_fin(): the server's ACK of the FIN is delayed (ping-pong mode after the exchange above)
            assertEquals(TcpState.FIN_WAIT_1, client.state(), net.lastTrace(10));
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            net.advance(TcpConfig.linux().delayedAckNanos());
            assertEquals(TcpState.FIN_WAIT_2, client.state(), net.lastTrace(10));
            assertEquals(-1, server.read(net.now(), Unpooled.buffer(1)));
            server.close(net.now());
            net.settle();
            assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(10));
            assertEquals(TcpState.CLOSED, server.state());
            assertEquals(CloseReason.NORMAL, server.closeReason());
            assertEquals(1, net.a.timeWaitCount());
            assertEquals(0, net.a.connectionCount());
            assertEquals(0, net.b.connectionCount());

            net.advance(seconds(59));
            assertEquals(1, net.a.timeWaitCount());
            net.advance(seconds(1) + millis(1));
            assertEquals(0, net.a.timeWaitCount());
        }
    }

    @Test
    void serverClosesFirst_serverTimeWait() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] cs = open(net);
            cs[1].close(net.now());
            net.settle();
            assertEquals(TcpState.CLOSE_WAIT, cs[0].state());
            assertEquals(TcpState.FIN_WAIT_2, cs[1].state());
            cs[0].close(net.now());
            net.settle();
            assertEquals(TcpState.CLOSED, cs[0].state());
            assertEquals(1, net.b.timeWaitCount());
            assertEquals(1, net.b.stats().get(io.usertcp.core.StackStats.Counter.TcpPassiveOpens));
            assertEquals(1, net.a.stats().get(io.usertcp.core.StackStats.Counter.TcpActiveOpens));
        }
    }
}
