package io.usertcp.tools.pcap;

import static io.usertcp.testkit.VirtualClock.millis;
import static io.usertcp.testkit.VirtualClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpState;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.testkit.VirtualClock;
import io.usertcp.wire.Ipv4PacketView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Scripted exchanges between the two stacks of {@link TwoStacks} (A = 198.18.0.1 the client, B =
 * 198.18.0.2 the server on port 5000), with an observer at each stack, for pcap and ladder tests.
 * Everything runs on the virtual clock with fixed seeds: the same script gives the same bytes.
 */
public final class TwoStackCaptures {
    /** Maps the virtual clock's start to 2023-11-14T22:13:20Z, so captures have plausible dates. */
    public static final long EPOCH_OFFSET_NANOS = 1_700_000_000L * 1_000_000_000L - VirtualClock.START_NANOS;
    public static final int SERVER_PORT = 5000;

    /** A raw copy of one segment an observer saw. */
    public record Copied(long nanos, boolean outbound, byte[] ipv4) {}

    /** Copies every segment in and out, bytes and time, to compare files against. */
    public static final class Copier implements ConnectionObserver {
        public final List<Copied> copies = new ArrayList<>();

        @Override
        public void segmentIn(long nowNanos, Ipv4PacketView packet) {
            copies.add(new Copied(nowNanos, false, bytes(packet)));
        }

        @Override
        public void segmentOut(long nowNanos, Ipv4PacketView packet) {
            copies.add(new Copied(nowNanos, true, bytes(packet)));
        }

        private static byte[] bytes(Ipv4PacketView packet) {
            byte[] b = new byte[packet.totalLength()];
            packet.buffer().getBytes(packet.offset(), b);
            return b;
        }
    }

    private TwoStackCaptures() {}

    /** Two Linux-profile stacks with {@code atA} observing A and {@code atB} observing B. */
    public static TwoStacks twoStacks(ConnectionObserver atA, ConnectionObserver atB) {
        return new TwoStacks(TcpConfig.linux(), 7, c -> c.withObserver(
                c.localAddresses().get(0).equals(TwoStacks.A) ? atA : atB), true);
    }

    /** Client on A connects to B:5000; both established, the server's side accepted. */
    public static TcpConnection[] open(TwoStacks net) {
        TcpListener listener = net.b.listen(net.now(), SERVER_PORT, 16);
        TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), SERVER_PORT);
        net.advance(millis(1));
        TcpConnection server = listener.accept();
        assertNotNull(server, net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, client.state(), net.lastTrace(10));
        assertEquals(TcpState.ESTABLISHED, server.state(), net.lastTrace(10));
        return new TcpConnection[] {client, server};
    }

    /** Queues {@code text} on {@code c}. */
    public static void write(TwoStacks net, TcpConnection c, String text) {
        ByteBuf src = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(net.now(), src));
        } finally {
            src.release();
        }
    }

    /** Everything readable on {@code c}. */
    public static String read(TwoStacks net, TcpConnection c) {
        ByteBuf dst = Unpooled.buffer(1 << 16);
        try {
            c.read(net.now(), dst);
            return dst.toString(StandardCharsets.US_ASCII);
        } finally {
            dst.release();
        }
    }

    /**
     * Handshake, {@code hello} and {@code world!} each way (1 ms apart), then the client closes
     * first, the server closes after reading end of stream, and the client's TIME-WAIT runs out.
     */
    public static void handshakeDataClose(TwoStacks net) {
        TcpConnection[] cs = open(net);
        TcpConnection client = cs[0];
        TcpConnection server = cs[1];
        write(net, client, "hello");
        net.advance(millis(1));
        assertEquals("hello", read(net, server));
        write(net, server, "world!");
        net.advance(millis(1));
        assertEquals("world!", read(net, client));
        client.close(net.now());
        // The server's ACK of the FIN is delayed (Linux tcp_fin(): ping-pong mode after the exchange), 40 ms
        net.advance(millis(41));
        assertEquals(TcpState.FIN_WAIT_2, client.state(), net.lastTrace(10));
        assertEquals(TcpState.CLOSE_WAIT, server.state(), net.lastTrace(10));
        server.close(net.now());
        net.advance(millis(1));
        assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(10));
        assertEquals(TcpState.CLOSED, server.state(), net.lastTrace(10));
        net.advance(seconds(61));
        assertEquals(0, net.a.timeWaitCount(), net.lastTrace(10));
    }

    /**
     * RFC 9293 Figure 13, simultaneous close: handshake, {@code ping} / {@code pong}, then both
     * sides CLOSE at the same instant, so the two FINs cross: each side goes FIN-WAIT-1 → CLOSING
     * → TIME-WAIT. Ends with both in TIME-WAIT (the 2MSL timers are not run).
     */
    public static void simultaneousClose(TwoStacks net) {
        TcpConnection[] cs = open(net);
        TcpConnection client = cs[0];
        TcpConnection server = cs[1];
        write(net, client, "ping");
        net.advance(millis(1));
        assertEquals("ping", read(net, server));
        write(net, server, "pong");
        net.advance(millis(1));
        assertEquals("pong", read(net, client));
        net.advance(millis(100)); // every delayed ACK is out: the close starts from a quiet connection
        client.close(net.now());
        server.close(net.now());
        net.settle();
        assertEquals(TcpState.TIME_WAIT, client.state(), net.lastTrace(10));
        assertEquals(TcpState.TIME_WAIT, server.state(), net.lastTrace(10));
    }
}
