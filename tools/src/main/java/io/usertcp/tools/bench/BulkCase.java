package io.usertcp.tools.bench;

import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tools.bench.Parties.Outcome;
import io.usertcp.tools.bench.Setup.Loss;
import io.usertcp.tools.bench.Setup.LossAt;
import io.usertcp.tools.bench.Workloads.Received;
import io.usertcp.tools.bench.Workloads.Sent;
import io.usertcp.tun.TunLinkStats;
import io.usertcp.socket.LoopConnection;
import io.usertcp.socket.LoopHandler;
import io.usertcp.socket.LoopServer;
import io.usertcp.socket.StackLoop;
import io.usertcp.tun.TunStackHost;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bulk transfer through one connection, each way, at MTU 1500 and 65520: the kernel client (the
 * same {@code java.net} program on both sides) sends to or receives from the server, which is our
 * stack on TUN or the kernel across veth. Goodput = bytes the receiver got × 8 / (receiver's end of
 * stream − sender's first write), after an untimed warm-up transfer. With loss (the loss case) a
 * share of the data segments is dropped at the receiver's ingress on both sides.
 */
final class BulkCase {
    static final int[] MTUS = {1500, 65520};
    private static final int PORT = 5001;
    /** Slack on top of the duration before a transfer counts as stalled (the receiver drains its buffers). */
    private static final long SLACK_NANOS = 30_000_000_000L;

    /** Which way the bytes go. */
    enum Direction {
        KERNEL_TO_US("kernel -> usertcp"), US_TO_KERNEL("usertcp -> kernel");

        final String label;

        Direction(String label) {
            this.label = label;
        }
    }

    private BulkCase() {}

    /** The bulk case: six rows, MTU 1500 with the TUN offloads and without, and MTU 65520 (with them). */
    static List<Measurement> run(BenchOptions o, Progress p) {
        List<Measurement> rows = new ArrayList<>();
        for (int mtu : MTUS) {
            for (Direction d : Direction.values()) {
                rows.add(measure(BenchCase.BULK, o, p, d, mtu, null, TunStackHost.offloadsByDefault()));
            }
            if (mtu == 1500) {
                rows.add(measureOnLoop(o, p, mtu));
                for (Direction d : Direction.values()) {
                    rows.add(measure(BenchCase.BULK, o, p, d, mtu, null, false));
                }
            }
        }
        return rows;
    }

    /**
     * One row: our figure and the kernel's, each in namespaces of its own, torn down before the next.
     *
     * @param lossRate null, or the share of data segments dropped at the receiver's ingress
     */
    static Measurement measure(BenchCase c, BenchOptions o, Progress p, Direction d, int mtu, LossRate lossRate) {
        return measure(c, o, p, d, mtu, lossRate, false);
    }

    /**
     * @param offloads our TUN link with the virtio-net offloads (only without loss: with loss both
     *                 sides run without offloads, so that a drop takes one segment)
     */
    static Measurement measure(BenchCase c, BenchOptions o, Progress p, Direction d, int mtu, LossRate lossRate,
                               boolean offloads) {
        String name = d.label + ", MTU " + mtu + (lossRate != null ? ", " + lossRate.label() + " loss" : "")
                + (lossRate == null && !offloads ? ", TUN without offloads" : "");
        Loss loss = lossRate == null ? Loss.NONE
                : new Loss(d == Direction.KERNEL_TO_US ? LossAt.SERVER_INGRESS : LossAt.CLIENT_INGRESS, lossRate);
        Figure ours = Figure.attempt(p, c.cliName() + " usertcp " + name, "Gbit/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), mtu, loss, offloads)) {
                return transfer(s, d, o);
            }
        });
        Figure kernel = Figure.attempt(p, c.cliName() + " kernel " + name, "Gbit/s", () -> {
            try (VethSetup s = VethSetup.start(mtu, loss)) {
                return transfer(s, d, o);
            }
        });
        return Figure.row(c, name, "Gbit/s", Better.HIGHER, ours, kernel);
    }

    /**
     * kernel -> usertcp with our receiver on the event loop (the bytes counted from the stack's
     * thread as they arrive, no handoff to a reading thread), beside the same kernel figure's
     * measurement: where the blocking socket's handoffs go.
     */
    static Measurement measureOnLoop(BenchOptions o, Progress p, int mtu) {
        String name = Direction.KERNEL_TO_US.label + ", MTU " + mtu + ", event loop";
        Figure ours = Figure.attempt(p, "bulk usertcp " + name, "Gbit/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), mtu, Loss.NONE, TunStackHost.offloadsByDefault())) {
                if (o.warmupNanos() > 0) {
                    onLoop(s, o.warmupNanos(), o, PORT + 2);
                }
                Transfer t = onLoop(s, o.durationNanos(), o, PORT + 3);
                return Figure.of(t.bytes() * 8.0 / t.nanos(), Map.of("bytes", t.bytes(), "seconds", t.nanos() / 1e9));
            }
        });
        Figure kernel = Figure.attempt(p, "bulk kernel " + name, "Gbit/s", () -> {
            try (VethSetup s = VethSetup.start(mtu, Loss.NONE)) {
                return transfer(s, Direction.KERNEL_TO_US, o);
            }
        });
        return Figure.row(BenchCase.BULK, name, "Gbit/s", Better.HIGHER, ours, kernel);
    }

    /** Counts what arrives, notes the end of the stream, closes: on the stack's thread. */
    private static final class LoopSink implements LoopHandler {
        final java.util.concurrent.CompletableFuture<Workloads.Received> done = new java.util.concurrent.CompletableFuture<>();
        private long bytes;

        @Override
        public void onData(LoopConnection c, io.netty.buffer.ByteBuf data) {
            bytes += data.readableBytes();
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            done.complete(new Workloads.Received(bytes, System.nanoTime()));
            c.close();
        }

        @Override
        public void onClose(LoopConnection c, java.io.IOException error) {
            if (error != null) {
                done.completeExceptionally(error);
            }
        }
    }

    private static Transfer onLoop(TunSetup s, long durationNanos, BenchOptions o, int port) throws Exception {
        LoopSink sink = new LoopSink();
        try (LoopServer server = new StackLoop(s.runners()).listen(port, 16, () -> sink)) {
            java.util.concurrent.Future<Sent> client = s.clientNamespace().submitInside(() -> {
                try (io.usertcp.socket.StreamEndpoint e = Workloads.connectKernel(s.serverAddress(), port, o.socketTimeoutMillis())) {
                    return Workloads.sendFor(e, durationNanos);
                }
            });
            long limit = System.nanoTime() + durationNanos + SLACK_NANOS;
            Sent sent = Parties.await(client, limit, "the kernel client");
            Workloads.Received received = sink.done.get(Math.max(1, limit - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            return check(sent, received);
        }
    }

    /** An untimed warm-up transfer, then the timed one. */
    static Figure transfer(Setup s, Direction d, BenchOptions o) throws Exception {
        if (o.warmupNanos() > 0) {
            once(s, d, o.warmupNanos(), o, PORT);
        }
        long droppedBefore = s.lossDropped();
        Map<String, Long> serverBefore = s.serverCounters();
        Map<String, Long> clientBefore = s.clientCounters();
        TunLinkStats linkBefore = s instanceof TunSetup tun ? tun.linkStats() : null;
        Transfer t = once(s, d, o.durationNanos(), o, PORT + 1);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("bytes", t.bytes());
        details.put("seconds", t.nanos() / 1e9);
        if (linkBefore != null) {
            // what crossed the TUN device: with offloads, datagrams of up to 64 KB
            TunLinkStats after = ((TunSetup) s).linkStats();
            details.put("link.offloads", ((TunSetup) s).offloads());
            details.put("link.rxPackets", after.rxPackets() - linkBefore.rxPackets());
            details.put("link.rxSuperSegments", after.rxSuperSegments() - linkBefore.rxSuperSegments());
            details.put("link.rxBytes", after.rxBytes() - linkBefore.rxBytes());
            details.put("link.txPackets", after.txPackets() - linkBefore.txPackets());
            details.put("link.txSuperSegments", after.txSuperSegments() - linkBefore.txSuperSegments());
            details.put("link.txBytes", after.txBytes() - linkBefore.txBytes());
        }
        if (droppedBefore != 0 || s.lossDropped() != 0) {
            details.put("segmentsDropped", s.lossDropped() - droppedBefore);
        }
        // each end's loss recovery during the timed transfer: the server sends usertcp -> kernel,
        // the (kernel) client kernel -> usertcp
        s.serverCounters().forEach((name, after) -> details.put("server." + name, after - serverBefore.getOrDefault(name, 0L)));
        s.clientCounters().forEach((name, after) -> details.put("client." + name, after - clientBefore.getOrDefault(name, 0L)));
        return Figure.of(t.bytes() * 8.0 / t.nanos(), details);
    }

    /** Bytes the receiver got, and from the sender's start to the receiver's end of stream. */
    record Transfer(long bytes, long nanos) {}

    private static Transfer once(Setup s, Direction d, long durationNanos, BenchOptions o, int port) throws Exception {
        long limit = durationNanos + SLACK_NANOS;
        int timeout = o.socketTimeoutMillis();
        if (d == Direction.KERNEL_TO_US) {
            Outcome<Received, Sent> r = Parties.run(s, port, timeout, limit, Workloads::receiveAll,
                    e -> Workloads.sendFor(e, durationNanos));
            return check(r.client(), r.server());
        }
        Outcome<Sent, Received> r = Parties.run(s, port, timeout, limit, e -> Workloads.sendFor(e, durationNanos),
                Workloads::receiveAll);
        return check(r.server(), r.client());
    }

    private static Transfer check(Sent sent, Received received) {
        if (sent.bytes() != received.bytes()) {
            throw new IllegalStateException("sent " + sent.bytes() + " bytes but " + received.bytes() + " arrived");
        }
        long nanos = received.endNanos() - sent.startNanos();
        if (nanos <= 0 || received.bytes() == 0) {
            throw new IllegalStateException("nothing measurable: " + received.bytes() + " bytes in " + nanos + " ns");
        }
        return new Transfer(received.bytes(), nanos);
    }
}
