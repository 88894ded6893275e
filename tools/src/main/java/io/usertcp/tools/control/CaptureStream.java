package io.usertcp.tools.control;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.wire.Ipv4PacketView;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code usertcp capture} client of a control socket, in two halves that meet at a bounded queue.
 *
 * <p>The stack's half is a {@link ConnectionObserver}: on the stack thread (each shard's, when the
 * stack has several: one stream observes them all) it copies each segment into the queue and
 * returns; it never waits. When the queue holds {@link #MAX_QUEUED_PACKETS}
 * segments or {@link #MAX_QUEUED_BYTES} bytes, a segment is dropped and counted instead, so a
 * slow reader costs the stack a counter increment, never a stall.
 *
 * <p>The writer's half, {@link #run(SocketChannel)}, runs on the control request's thread: it
 * takes segments from the queue and writes them as {@link CaptureFrames}, with the drop count
 * whenever it grew and every {@link #IDLE_FRAME_MILLIS} when nothing happens (so that a reader that
 * vanished is noticed by a failed write even on an idle stack). It is this thread that blocks when
 * the reader does not read. It returns when the reader is gone, or after {@link #end()} once the
 * end frame is written; either way the stream stops queueing.
 *
 * <p>Buffers: the observer's views are borrowed; the stream copies the bytes it keeps.
 */
public final class CaptureStream implements ConnectionObserver {
    /** Segments queued for the writer at most. */
    public static final int MAX_QUEUED_PACKETS = 8192;
    /** Bytes queued for the writer at most (about 5 600 full-size segments at MTU 1500). */
    public static final long MAX_QUEUED_BYTES = 8L << 20;
    /** A drop-count frame goes out after this long without a segment: the heartbeat. */
    public static final long IDLE_FRAME_MILLIS = 1000;
    /** Bytes written at once; holds at least one frame of the largest datagram. */
    private static final int BATCH_BYTES = 256 * 1024;

    private record Queued(long epochNanos, boolean outbound, byte[] ipv4) {}

    /** Put in the queue by {@link #end()}: the writer sends the end frame when it reaches it. */
    private static final Queued END_MARK = new Queued(0, false, new byte[0]);

    private final long epochOffsetNanos;
    private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedPackets = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final CountDownLatch stoppedLatch = new CountDownLatch(1);
    private volatile boolean stopped;
    private volatile SocketChannel channel;

    /**
     * @param epochOffsetNanos added to the stack clock's {@code nowNanos} to give the time since the
     *                         epoch (see {@link io.usertcp.tools.pcap.PcapTap#wallClockOffset(long)})
     */
    public CaptureStream(long epochOffsetNanos) {
        this.epochOffsetNanos = epochOffsetNanos;
    }

    @Override
    public void segmentIn(long nowNanos, Ipv4PacketView packet) {
        offer(nowNanos, packet, false);
    }

    @Override
    public void segmentOut(long nowNanos, Ipv4PacketView packet) {
        offer(nowNanos, packet, true);
    }

    /**
     * On a stack thread. The room is reserved before the segment is added (and given back when it
     * is not there), so the bounds hold with the threads of several shards adding at once.
     */
    private void offer(long nowNanos, Ipv4PacketView packet, boolean outbound) {
        if (stopped) {
            return;
        }
        // The view may cover link padding past the datagram: keep exactly the datagram.
        int length = Math.min(packet.length(), packet.totalLength());
        if (length > CaptureFrames.MAX_DATAGRAM_BYTES) {
            dropped.incrementAndGet();
            return;
        }
        if (queuedPackets.incrementAndGet() > MAX_QUEUED_PACKETS) {
            queuedPackets.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        if (queuedBytes.addAndGet(length) > MAX_QUEUED_BYTES) {
            queuedBytes.addAndGet(-length);
            queuedPackets.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        byte[] copy = new byte[length];
        packet.buffer().getBytes(packet.offset(), copy);
        queue.add(new Queued(epochOffsetNanos + nowNanos, outbound, copy));
    }

    /**
     * Writes frames to {@code client} until the reader goes away (the write fails), the thread is
     * interrupted, or {@link #end()} was called and the end frame is out. Stops queueing on return.
     *
     * @throws IOException when a write fails: the reader is gone
     */
    public void run(SocketChannel client) throws IOException {
        channel = client;
        ByteBuffer out = ByteBuffer.allocate(BATCH_BYTES);
        long sentDropped = -1;
        try {
            while (true) {
                Queued next = queue.poll(IDLE_FRAME_MILLIS, TimeUnit.MILLISECONDS);
                out.clear();
                if (next == END_MARK) {
                    CaptureFrames.putCount(out, CaptureFrames.END, dropped.get());
                    write(client, out);
                    return;
                }
                if (next != null) {
                    next = batch(out, next);
                }
                long d = dropped.get();
                if (d != sentDropped || out.position() == 0) {
                    CaptureFrames.putCount(out, CaptureFrames.DROPPED, d);
                    sentDropped = d;
                }
                write(client, out);
                if (next == END_MARK) {
                    queue.add(END_MARK); // reached while batching: handled at the top, after what came before it
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stop();
        }
    }

    /**
     * Puts {@code first} and what follows it in the queue into {@code out}, while a largest frame
     * still fits, stopping before the end mark.
     *
     * @return the end mark when it was taken from the queue, else null
     */
    private Queued batch(ByteBuffer out, Queued first) {
        Queued q = first;
        while (q != null) {
            if (q == END_MARK) {
                return q;
            }
            CaptureFrames.putPacket(out, q.epochNanos(), q.outbound(), q.ipv4());
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-q.ipv4().length);
            written.incrementAndGet();
            boolean room = out.remaining() >= CaptureFrames.PACKET_HEADER_BYTES + CaptureFrames.MAX_DATAGRAM_BYTES
                    + CaptureFrames.COUNT_FRAME_BYTES;
            q = room ? queue.poll() : null;
        }
        return null;
    }

    private static void write(SocketChannel client, ByteBuffer out) throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            client.write(out);
        }
    }

    /** The stack is stopping: the writer sends what is queued, then the end frame, then returns. */
    public void end() {
        queue.add(END_MARK);
    }

    /** Stops queueing and forgets what is queued; a writer blocked on a reader that does not read is freed by closing the channel. */
    public void abort() {
        stop();
        SocketChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    private void stop() {
        stopped = true;
        queue.clear();
        queuedPackets.set(0);
        queuedBytes.set(0);
        stoppedLatch.countDown();
    }

    /** Waits at most {@code timeoutNanos} for the stream to stop; whether it did. */
    public boolean awaitStopped(long timeoutNanos) throws InterruptedException {
        return stoppedLatch.await(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Segments dropped because the reader was slow. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Segments written to the reader so far. */
    public long writtenCount() {
        return written.get();
    }

    /** Whether the stream has stopped (the reader is gone, or it ended). */
    public boolean isStopped() {
        return stopped;
    }
}
