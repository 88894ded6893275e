package io.usertcp.apps;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;

/**
 * A client stack and a server stack, each on its own {@link StackRunner}, joined by a thread-safe
 * in-memory wire (as in {@code SocketApiTest}). Real threads and real time; every wait is bounded.
 */
final class TwoRunners implements AutoCloseable {
    static final Ipv4Address CLIENT = Ipv4Address.of("198.18.0.1");
    static final Ipv4Address SERVER = Ipv4Address.of("198.18.0.2");
    static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    final ConcurrentLinkPair wire = new ConcurrentLinkPair(1500);
    final StackRunner client = runner(CLIENT, wire.a(), 1);
    final StackRunner server = runner(SERVER, wire.b(), 2);

    private static StackRunner runner(Ipv4Address address, WaitableLink link, long seed) {
        TcpConfig tcp = TcpConfig.linux().toBuilder().timeWaitNanos(100_000_000L).synRetries(1)
                .rtoInitialNanos(200_000_000L).build();
        StackConfig config = StackConfig.of(address, RandomSource.seeded(seed)).withTcp(tcp)
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        return new StackRunner(new TcpStack(config), link, "usertcp-apps-" + address).start();
    }

    /** A client connection to {@code port} of the server stack, with a read timeout so no test hangs. */
    TcpSocket connect(int port) throws IOException {
        TcpSocket socket = TcpSocket.connect(client, SERVER, port, CONNECT_TIMEOUT_MILLIS);
        socket.setSoTimeout(5_000);
        return socket;
    }

    @Override
    public void close() {
        client.close();
        server.close();
        wire.clear();
    }
}
