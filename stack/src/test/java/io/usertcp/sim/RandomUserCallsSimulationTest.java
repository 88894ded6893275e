package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;
import io.usertcp.testkit.TimerExpiryCheck;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Applications that do whatever they like, at random, over a lossy network: send, read, half-close,
 * close (with unread data, too), abort, linger-0 close, keep-alive, connect to a port nobody
 * listens on, close a listener with connections waiting. Whatever happens, every connection must
 * end, both stacks must empty, and every buffer must be released.
 */
class RandomUserCallsSimulationTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final int FIRST_PORT = 8000;
    /** Ports 8000..8002 listen; 8003 does not, so connections to it are refused. */
    private static final int PORTS = 4;
    private static final int CONNECTS_PER_SEED = 600;

    @Test
    void randomUserCalls_overALossyNetwork_everyConnectionEndsAndNothingLeaks() {
        Map<CloseReason, Integer> reasons = new EnumMap<>(CloseReason.class);
        int[] resetByListenerClose = {0};
        for (long seed = 500; seed < 505; seed++) {
            run(seed, reasons, resetByListenerClose);
        }
        // The random calls reached the interesting endings.
        for (CloseReason r : new CloseReason[] {CloseReason.NORMAL, CloseReason.REFUSED, CloseReason.RESET, CloseReason.ABORTED,
                CloseReason.ABORTED_UNREAD_DATA, CloseReason.ABORTED_DATA_AFTER_CLOSE}) {
            assertTrue(reasons.getOrDefault(r, 0) > 0, r + " never happened: " + reasons);
        }
        assertTrue(resetByListenerClose[0] > 0, "no listener was closed with connections waiting");
    }

    private static void run(long seed, Map<CloseReason, Integer> reasons, int[] resetByListenerClose) {
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(false, true);
        RandomSource r = RandomSource.seeded(seed);
        FaultProfile faults = FaultProfile.ideal(5 * MS).withJitter(4 * MS).withLoss(0.05).withDuplication(0.02).withCorruption(0.01);
        try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(), faults, seed, c -> TimerExpiryCheck.install(c.withAllocator(counted)))) {
            List<TcpListener> listeners = new ArrayList<>();
            for (int p = 0; p < PORTS - 1; p++) {
                listeners.add(net.b().listen(net.nowNanos(), FIRST_PORT + p, 8));
            }
            List<TcpConnection> all = new ArrayList<>();
            List<TcpConnection> live = new ArrayList<>();
            ByteBuf readBuffer = counted.heapBuffer(1 << 16);
            for (int step = 0; step < 8000; step++) {
                long now = net.nowNanos();
                if (all.size() < CONNECTS_PER_SEED && r.nextInt(4) == 0) {
                    for (int k = r.nextInt(5); k >= 0; k--) {
                        TcpConnection c = net.a().connect(now, SimulatedNetwork.ADDRESS_B.bits(), FIRST_PORT + r.nextInt(PORTS));
                        if (r.nextInt(5) == 0) {
                            c.setKeepAlive(now, true, 2 * SECOND, SECOND, 3);
                        }
                        all.add(c);
                        live.add(c);
                    }
                }
                resetByListenerClose[0] += acceptOrCloseListeners(net, r, listeners, all, live);
                for (int i = live.size() - 1; i >= 0; i--) {
                    TcpConnection c = live.get(i);
                    if (c.isClosed()) {
                        c.close(now); // frees its buffers
                        live.remove(i);
                    } else {
                        randomCall(net, r, c, readBuffer, counted);
                    }
                }
                net.runFor(MS * (1 + r.nextInt(20)));
            }
            // The applications end: read what is left, close everything, take what listeners still hold.
            for (TcpConnection c : live) {
                readBuffer.clear();
                c.read(net.nowNanos(), readBuffer);
                c.close(net.nowNanos());
            }
            for (int round = 0; round < 200; round++) {
                net.runFor(SECOND);
                for (TcpListener l : listeners) {
                    TcpConnection c;
                    while ((c = l.accept()) != null) {
                        all.add(c);
                        c.close(net.nowNanos());
                    }
                }
            }
            assertTrue(net.runUntilIdle(3000 * SECOND), "seed " + seed + " not idle: " + net.a().snapshot(net.nowNanos())
                    + "\n" + net.b().snapshot(net.nowNanos()));
            for (TcpConnection c : all) {
                assertTrue(c.isClosed(), "seed " + seed + ": " + c + " never ended");
                reasons.merge(c.closeReason(), 1, Integer::sum);
                c.close(net.nowNanos());
            }
            assertEquals(0, net.a().connectionCount() + net.b().connectionCount(), "seed " + seed);
            assertEquals(0, net.a().timeWaitCount() + net.b().timeWaitCount(), "seed " + seed);
            assertEquals(0, net.a().stats().currentEstablished() + net.b().stats().currentEstablished(), "seed " + seed);
            for (TcpListener l : listeners) {
                assertEquals(0, l.pendingConnections().size());
                l.close(net.nowNanos());
            }
            readBuffer.release();
        }
        assertEquals(0, counted.metric().usedHeapMemory(), "seed " + seed + ": bytes held by buffers nobody released");
    }

    /**
     * Sometimes accepts what waits; rarely closes a listener (resetting its queue) and listens again.
     *
     * @return connections reset because their listener closed before accepting them
     */
    private static int acceptOrCloseListeners(SimulatedNetwork net, RandomSource r, List<TcpListener> listeners,
                                              List<TcpConnection> all, List<TcpConnection> live) {
        int reset = 0;
        for (int i = 0; i < listeners.size(); i++) {
            TcpListener l = listeners.get(i);
            if (r.nextInt(1000) == 0) {
                List<TcpConnection> waiting = l.pendingConnections();
                l.close(net.nowNanos()); // Linux inet_csk_listen_stop: children not yet accepted are reset
                for (TcpConnection child : waiting) {
                    assertEquals(CloseReason.LISTENER_CLOSED, child.closeReason(), child.toString());
                    reset++;
                }
                listeners.set(i, net.b().listen(net.nowNanos(), l.port(), 8));
            } else if (r.nextInt(3) != 0) {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    all.add(c);
                    live.add(c);
                }
            }
        }
        return reset;
    }

    private static void randomCall(SimulatedNetwork net, RandomSource r, TcpConnection c, ByteBuf readBuffer,
                                   UnpooledByteBufAllocator allocator) {
        long now = net.nowNanos();
        int call = r.nextInt(200);
        if (call < 20 && c.state().canSend()) {
            ByteBuf data = allocator.heapBuffer(3000).writeZero(1 + r.nextInt(3000));
            try {
                c.send(now, data);
            } catch (IllegalStateException shutDown) {
                // SEND after shutdownOutput is API misuse and says so
            } finally {
                data.release();
            }
        } else if (call < 60) {
            readBuffer.clear();
            c.read(now, readBuffer);
        } else if (call == 60) {
            c.close(now); // with unread data this aborts (RFC 2525 §2.17)
        } else if (call == 61) {
            c.abort(now);
        } else if (call == 62) {
            c.setLinger(true, 0);
            c.close(now);
        } else if (call == 63 && c.state().isSynchronized()) {
            c.shutdownOutput(now);
        } else if (call < 70 && c.isEndOfStream()) {
            c.close(now);
        }
    }
}
