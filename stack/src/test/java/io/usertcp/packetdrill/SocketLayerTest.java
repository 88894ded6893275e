package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.tcp.IsnGenerator;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tcp.TcpState;
import io.usertcp.wire.Ipv4Address;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** File descriptors and errno values, as Linux returns them (socket(7), tcp(7), connect(2), accept(2)). */
class SocketLayerTest {
    private static final int REMOTE = Ipv4Address.parse("198.18.0.2");
    private final TcpConfig config = TcpConfig.linux();
    private final TcpStack stack = new TcpStack(new StackConfig(List.of(Ipv4Address.of("198.18.0.1")), 1500,
            ChecksumPolicy.VERIFY, config, PooledByteBufAllocator.DEFAULT, RandomSource.seeded(7), IsnGenerator.fixed(1000),
            ConnectionObserver.NONE, 32768, 60999, io.usertcp.core.Shard.ONLY));
    private final long now = 1_000_000_000_000L;
    private final SocketLayer sockets = new SocketLayer(new SocketLayer.Environment() {
        @Override
        public TcpStack stack() {
            return stack;
        }

        @Override
        public long nowNanos() {
            return now;
        }

        @Override
        public TcpConfig config() {
            return config;
        }
    });

    @AfterEach
    void closeStack() {
        sockets.closeAll();
        stack.close(now);
    }

    private static void assertError(Errno expected, SyscallResult r) {
        assertEquals(-1, r.value(), r.format());
        assertEquals(expected, r.errno(), r.format());
    }

    @Test
    void socket_takesTheLowestFreeDescriptorFromThree() {
        assertEquals(3, sockets.socket().value());
        assertEquals(4, sockets.socket().value());
        assertEquals(5, sockets.socket().value());
        assertEquals(0, sockets.close(4).value());
        assertEquals(4, sockets.socket().value());
        assertError(Errno.EBADF, sockets.close(9));
    }

    @Test
    void fcntl_setsAndReportsNonBlocking() {
        int fd = (int) sockets.socket().value();
        assertEquals(SocketLayer.O_RDWR, sockets.getFlags(fd).value());
        assertEquals(0, sockets.setFlags(fd, SocketLayer.O_RDWR | SocketLayer.O_NONBLOCK).value());
        assertEquals(SocketLayer.O_RDWR | SocketLayer.O_NONBLOCK, sockets.getFlags(fd).value());
    }

    // connect(2): EINPROGRESS for a non-blocking socket, EALREADY while the attempt runs.
    @Test
    void nonBlockingConnect_einprogressThenEalready_inSynSent() {
        int fd = (int) sockets.socket().value();
        sockets.setFlags(fd, SocketLayer.O_NONBLOCK);
        assertError(Errno.EINPROGRESS, sockets.connect(fd, REMOTE, 8080));
        assertError(Errno.EALREADY, sockets.connect(fd, REMOTE, 8080));
        assertEquals(TcpState.SYN_SENT, sockets.state(fd));
        // tcp(7): reading or writing before the handshake completes would block.
        assertError(Errno.EAGAIN, sockets.read(fd, 10));
        assertError(Errno.EAGAIN, sockets.write(fd, 10));
        assertEquals(0, sockets.getOption(fd, "SO_ERROR").value());
    }

    @Test
    void blockingConnectAndAccept_reportBlocked() {
        int client = (int) sockets.socket().value();
        assertEquals(SyscallResult.BLOCKED, sockets.connect(client, REMOTE, 8080));
        assertEquals(SyscallResult.BLOCKED, sockets.connect(client, REMOTE, 8080), "asking again does not connect again");
        int server = (int) sockets.socket().value();
        assertEquals(0, sockets.bind(server, 8080).value());
        assertEquals(0, sockets.listen(server, 5, 8080).value());
        assertEquals(SyscallResult.BLOCKED, sockets.accept(server));
        sockets.setFlags(server, SocketLayer.O_NONBLOCK);
        assertError(Errno.EAGAIN, sockets.accept(server));
        assertEquals(TcpState.LISTEN, sockets.state(server));
    }

    @Test
    void callsOnTheWrongKindOfSocket_failAsLinuxDoes() {
        int fresh = (int) sockets.socket().value();
        assertError(Errno.ENOTCONN, sockets.read(fresh, 10));
        assertError(Errno.EPIPE, sockets.write(fresh, 10));
        assertError(Errno.ENOTCONN, sockets.shutdown(fresh, SocketLayer.SHUT_WR));
        assertError(Errno.EINVAL, sockets.accept(fresh));
        assertEquals(TcpState.CLOSED, sockets.state(fresh));
        assertNull(sockets.state(42));
    }

    @Test
    void bind_portHeldByAListener_isInUse() {
        int a = (int) sockets.socket().value();
        sockets.bind(a, 8080);
        sockets.listen(a, 1, 8080);
        int b = (int) sockets.socket().value();
        assertError(Errno.EADDRINUSE, sockets.bind(b, 8080));
        assertEquals(0, sockets.bind(b, 8081).value());
        assertError(Errno.EINVAL, sockets.bind(b, 8082));
    }

    @Test
    void socketOptions_roundTripAndRejectBadValues() {
        int fd = (int) sockets.socket().value();
        assertEquals(7200, sockets.getOption(fd, "TCP_KEEPIDLE").value(), "Linux default tcp_keepalive_time");
        assertEquals(0, sockets.setOption(fd, "TCP_KEEPIDLE", 30).value());
        assertEquals(30, sockets.getOption(fd, "TCP_KEEPIDLE").value());
        assertError(Errno.EINVAL, sockets.setOption(fd, "TCP_KEEPCNT", 0));
        assertEquals(0, sockets.setOption(fd, "SO_REUSEADDR", 1).value());
        assertEquals(1, sockets.getOption(fd, "SO_REUSEADDR").value());
        assertEquals(0, sockets.setLinger(fd, true, 0).value());
        assertEquals(List.of(1, 0), java.util.Arrays.stream(sockets.getLinger(fd)).boxed().toList());
        assertEquals(config.receiveBufferBytes(), sockets.getOption(fd, "SO_RCVBUF").value());
        // TCP_NOOPT is FreeBSD's: the linux profile refuses it as Linux does (the freebsd profile's scripts use it).
        assertError(Errno.ENOPROTOOPT, sockets.setOption(fd, "TCP_NOOPT", 1));
        assertEquals(0, sockets.getOption(fd, "TCP_NOOPT").value());
        assertError(Errno.ENOPROTOOPT, sockets.setOption(fd, "SO_PEERCRED", 1));
        assertError(Errno.ENOPROTOOPT, sockets.getOption(fd, "SO_PEERCRED"));
    }

    @Test
    void errnoForCloseReasons_matchLinux() {
        assertEquals(Errno.ECONNREFUSED, Errno.of(io.usertcp.tcp.CloseReason.REFUSED));
        assertEquals(Errno.ECONNRESET, Errno.of(io.usertcp.tcp.CloseReason.RESET));
        assertEquals(Errno.ETIMEDOUT, Errno.of(io.usertcp.tcp.CloseReason.KEEPALIVE_TIMEOUT));
        assertEquals(Errno.ETIMEDOUT, Errno.of(io.usertcp.tcp.CloseReason.CONNECT_TIMEOUT));
        assertNull(Errno.of(io.usertcp.tcp.CloseReason.NORMAL));
        assertEquals(Errno.EAGAIN, Errno.byName("EWOULDBLOCK"));
        assertEquals(Errno.ECONNRESET, Errno.byNumber(104));
    }
}
