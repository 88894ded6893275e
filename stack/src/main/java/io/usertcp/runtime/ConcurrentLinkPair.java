package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Two ends of a thread-safe in-memory wire, for running two stacks on two {@link StackRunner}s
 * without a TUN device (socket tests, demos without root). Lossless and unbounded in time, bounded
 * in packets: past {@link #CAPACITY} queued packets a transmit is dropped and released.
 */
public final class ConcurrentLinkPair {
    public static final int CAPACITY = 65_536;

    private final End a;
    private final End b;

    public ConcurrentLinkPair(int mtu) {
        this.a = new End(mtu);
        this.b = new End(mtu);
        a.peer = b;
        b.peer = a;
    }

    public WaitableLink a() {
        return a;
    }

    public WaitableLink b() {
        return b;
    }

    /** Releases whatever is still queued at both ends. */
    public void clear() {
        a.clear();
        b.clear();
    }

    private static final class End implements WaitableLink {
        private final ConcurrentLinkedQueue<ByteBuf> inbound = new ConcurrentLinkedQueue<>();
        private final Semaphore signal = new Semaphore(0);
        private final int mtu;
        private End peer;

        End(int mtu) {
            this.mtu = mtu;
        }

        @Override
        public ByteBuf receive() {
            return inbound.poll();
        }

        @Override
        public void transmit(ByteBuf packet) {
            if (packet.readableBytes() > mtu || peer.inbound.size() >= CAPACITY) {
                packet.release();
                return;
            }
            peer.inbound.add(packet);
            peer.wakeup();
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public boolean awaitReadable(long timeoutNanos) {
            if (!inbound.isEmpty()) {
                return true;
            }
            try {
                signal.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
                signal.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return !inbound.isEmpty();
        }

        @Override
        public void wakeup() {
            signal.release();
        }

        void clear() {
            ByteBuf p;
            while ((p = inbound.poll()) != null) {
                p.release();
            }
        }
    }
}
