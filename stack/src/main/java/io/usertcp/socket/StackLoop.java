package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The event-loop face of a stack: the application's {@link LoopHandler}s run on the stack's own
 * thread, the {@link StackRunner}'s, so that a request read and its response written cost no
 * handoff between threads and no wakeup (the blocking {@link TcpSocket} costs two of each per
 * round trip). This is what event-loop frameworks build on: Netty's transports, gVisor's gonet.
 *
 * <pre>
 *   StackLoop loop = new StackLoop(host.runner());
 *   loop.listen(7, 128, () -&gt; new LoopHandler() {
 *       public void onData(LoopConnection c, ByteBuf data) throws ... { c.write(data); } // echo
 *   });
 * </pre>
 *
 * <p>Threads: {@link #listen}, {@link #connect} and {@link #execute} may be called from any thread;
 * everything on a {@link LoopConnection} only on the loop (its callbacks, or tasks given to
 * {@link LoopConnection#execute}).
 *
 * <p>Shards: a loop over several stacks ({@code new StackLoop(host.runners())}, a TUN host with
 * one queue, stack and thread per shard) listens on every shard, and each connection is served on
 * the thread of the shard that owns its flow; {@link #connect} takes the shards in turn.
 */
public final class StackLoop implements Executor {
    /** The most bytes one {@link LoopHandler#onData} call is given. */
    static final int READ_CHUNK = 64 * 1024;

    private final List<StackRunner> shards;
    private final AtomicInteger nextShard = new AtomicInteger();
    /** Connections being opened, with the future their handshake completes (each on its shard's thread). */
    private final Map<LoopConnection, CompletableFuture<LoopConnection>> connecting = new ConcurrentHashMap<>();

    /** A loop on one stack. */
    public StackLoop(StackRunner runner) {
        this(java.util.Collections.singletonList(runner));
    }

    /** A loop on the shards of one stack, shard {@code i} at index {@code i}. */
    public StackLoop(List<StackRunner> shards) {
        if (shards == null || shards.isEmpty() || shards.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("runners: " + shards + " (expected: the stack, or its shards, to run on)");
        }
        this.shards = List.copyOf(shards);
    }

    /** Whether the calling thread is the loop's (a shard's stack thread). */
    public boolean inLoop() {
        for (StackRunner r : shards) {
            if (r.inStackThread()) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code task} on the loop (the first shard's thread), after what is queued before it. From any thread. */
    @Override
    public void execute(Runnable task) {
        shards.get(0).execute(task);
    }

    /** The stack this loop runs (the first shard's). */
    public StackRunner runner() {
        return shards.get(0);
    }

    /** The shards' runners. */
    public List<StackRunner> shards() {
        return shards;
    }

    /**
     * Listens on {@code port} of every local address; each established connection gets a handler
     * from {@code handlers}, on the loop, and {@link LoopHandler#onOpen} at once.
     *
     * @throws BindException when the port already has a listener ("Address already in use")
     */
    public LoopServer listen(int port, int backlog, Supplier<? extends LoopHandler> handlers) throws BindException {
        if (handlers == null) {
            throw new IllegalArgumentException("handlers: null (expected: a supplier of a handler per connection)");
        }
        List<TcpListener> listeners = new ArrayList<>();
        for (StackRunner runner : shards) {
            try {
                listeners.add(SocketErrors.listen(runner, port, backlog, l -> () -> {
                    TcpConnection c;
                    while ((c = l.accept()) != null) {
                        new LoopConnection(this, runner, c, handlers.get()).accepted();
                    }
                }));
            } catch (BindException e) {
                new LoopServer(shards, listeners).close(); // the shards that did listen stop again
                throw e;
            }
        }
        return new LoopServer(shards, listeners);
    }

    /**
     * Opens a connection served by {@code handler}. The future completes on the loop when the
     * handshake does (after {@link LoopHandler#onOpen}), or exceptionally with java.net's exception
     * ({@code ConnectException: Connection refused}, ...), in which case no callback comes.
     */
    public CompletableFuture<LoopConnection> connect(Ipv4Address address, int port, LoopHandler handler) {
        if (address == null || handler == null) {
            throw new IllegalArgumentException("address and handler: null (expected: non-null)");
        }
        CompletableFuture<LoopConnection> done = new CompletableFuture<>();
        StackRunner runner = shards.get(Math.floorMod(nextShard.getAndIncrement(), shards.size()));
        try {
            runner.execute(() -> {
                try {
                    TcpConnection c = runner.stack().connect(StackRunner.nowNanos(), address.bits(), port);
                    LoopConnection lc = new LoopConnection(this, runner, c, handler);
                    connecting.put(lc, done);
                    c.setHandler(lc);
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (IllegalStateException e) {
            done.completeExceptionally(SocketErrors.stackStopped(e));
        }
        return done;
    }

    void connected(LoopConnection c) {
        CompletableFuture<LoopConnection> f = connecting.remove(c);
        if (f != null) {
            f.complete(c);
        }
    }

    void connectFailed(LoopConnection c, IOException e) {
        CompletableFuture<LoopConnection> f = connecting.remove(c);
        if (f != null) {
            f.completeExceptionally(e);
        }
    }

    static long now() {
        return StackRunner.nowNanos();
    }
}
