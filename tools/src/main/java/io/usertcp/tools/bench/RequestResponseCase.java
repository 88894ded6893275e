package io.usertcp.tools.bench;

import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tools.bench.Parties.Outcome;
import io.usertcp.tools.bench.Setup.Loss;
import io.usertcp.tools.bench.Workloads.RoundTrips;
import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.LoopConnection;
import io.usertcp.socket.LoopHandler;
import io.usertcp.socket.LoopServer;
import io.usertcp.socket.StackLoop;
import io.usertcp.socket.StreamEndpoint;
import io.usertcp.tun.TunLinkStats;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * 1-byte request/response on one connection, TCP_NODELAY on both ends: the kernel client writes a
 * byte and waits for it to come back from the echo server (ours, or the kernel's across veth), as
 * fast as it can for the duration, after a warm-up on the same connection. Round trips per second,
 * and the p50 and p99 of the round-trip times the client saw, every one recorded in an HdrHistogram
 * ({@link Latencies}; the JSON adds p99.9 and the maximum).
 */
final class RequestResponseCase {
    private static final int PORT = 5003;
    private static final long SLACK_NANOS = 30_000_000_000L;
    /** The busy poll of the third server (StackRunner.setBusyPollNanos): 50 µs. */
    static final long BUSY_POLL_NANOS = 50_000L;

    private RequestResponseCase() {}

    /**
     * The request/response case: three rows with our echo server on the event loop ({@link StackLoop}:
     * the echo written from the stack's thread as the byte arrives), three with it on blocking
     * sockets (a thread of its own, woken per byte), and three with those blocking sockets and the
     * stack's thread busy polling 50 µs before it sleeps, against the same kernel measurement.
     */
    static List<Measurement> run(BenchOptions o, Progress p) {
        Figure loop = Figure.attempt(p, "rr usertcp, event loop", "round trips/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE)) {
                return measureOnLoop(s, o);
            }
        });
        Figure blocking = Figure.attempt(p, "rr usertcp, blocking sockets", "round trips/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE)) {
                return measure(s, o);
            }
        });
        Figure busy = Figure.attempt(p, "rr usertcp, blocking sockets, busy poll", "round trips/s", () -> {
            try (TunSetup s = TunSetup.start(o.profile(), BulkCase.MTUS[0], Loss.NONE)) {
                s.runner().setBusyPollNanos(BUSY_POLL_NANOS);
                return measure(s, o);
            }
        });
        Figure kernel = Figure.attempt(p, "rr kernel", "round trips/s", () -> {
            try (VethSetup s = VethSetup.start(BulkCase.MTUS[0], Loss.NONE)) {
                return measure(s, o);
            }
        });
        BenchCase c = BenchCase.RR;
        List<Measurement> rows = new ArrayList<>();
        for (var side : List.of(Map.entry("", loop), Map.entry(", blocking sockets", blocking),
                Map.entry(", blocking sockets, busy poll 50 us", busy))) {
            Figure ours = side.getValue();
            rows.add(Figure.row(c, "1-byte round trips" + side.getKey(), "1/s", Better.HIGHER, ours, kernel));
            rows.add(Figure.row(c, "round-trip latency p50" + side.getKey(), "us", Better.LOWER, part(ours, "p50Micros"),
                    part(kernel, "p50Micros")));
            rows.add(Figure.row(c, "round-trip latency p99" + side.getKey(), "us", Better.LOWER, part(ours, "p99Micros"),
                    part(kernel, "p99Micros")));
        }
        return rows;
    }

    /** Echoes every byte from the stack's thread, as it arrives; closes after the client's FIN. */
    static final class LoopEcho implements LoopHandler {
        @Override
        public void onOpen(LoopConnection c) {
            c.setNoDelay(true);
        }

        @Override
        public void onData(LoopConnection c, ByteBuf data) throws IOException {
            c.write(data); // 1 byte into a send buffer that has room: taken whole
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            c.close();
        }
    }

    /** The echo server on our stack's event loop, the kernel client measuring. */
    static Figure measureOnLoop(TunSetup s, BenchOptions o) throws Exception {
        Latencies samples = new Latencies();
        long limit = o.warmupNanos() + o.durationNanos() + SLACK_NANOS;
        TunLinkStats before = s.linkStats();
        RoundTrips trips;
        try (LoopServer server = new StackLoop(s.runner()).listen(PORT, 16, LoopEcho::new)) {
            Future<RoundTrips> client = s.clientNamespace().submitInside(() -> {
                try (StreamEndpoint e = Workloads.connectKernel(s.serverAddress(), PORT, o.socketTimeoutMillis())) {
                    return Workloads.requestResponse(e, o.warmupNanos(), o.durationNanos(), samples);
                }
            });
            trips = Parties.await(client, System.nanoTime() + limit, "the kernel client");
        }
        return figure(trips, samples, before, s.linkStats());
    }

    /** Echo server on {@code s}, the kernel client measuring. */
    static Figure measure(Setup s, BenchOptions o) throws Exception {
        Latencies samples = new Latencies();
        long limit = o.warmupNanos() + o.durationNanos() + SLACK_NANOS;
        TunLinkStats before = s instanceof TunSetup t ? t.linkStats() : null;
        Outcome<Long, RoundTrips> r = Parties.run(s, PORT, o.socketTimeoutMillis(), limit, Workloads::echo,
                e -> Workloads.requestResponse(e, o.warmupNanos(), o.durationNanos(), samples));
        return figure(r.client(), samples, before, s instanceof TunSetup t ? t.linkStats() : null);
    }

    private static Figure figure(RoundTrips trips, Latencies samples, TunLinkStats before, TunLinkStats after) {
        if (trips.count() == 0 || trips.nanos() <= 0) {
            throw new IllegalStateException("no round trip completed in the measured time");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("roundTrips", trips.count());
        details.put("seconds", trips.nanos() / 1e9);
        details.put("samples", samples.count());
        details.put("p50Micros", samples.percentile(50) / 1e3);
        details.put("p99Micros", samples.percentile(99) / 1e3);
        details.put("p999Micros", samples.percentile(99.9) / 1e3);
        details.put("maxMicros", samples.max() / 1e3);
        if (before != null) {
            // how often a user thread had to wake the stack's thread: the handoffs behind the latency
            details.put("stackWakeupsPerRoundTrip", (double) (after.wakeups() - before.wakeups()) / trips.total());
            details.put("tunPacketsPerRoundTrip",
                    (double) (after.rxPackets() + after.txPackets() - before.rxPackets() - before.txPackets()) / trips.total());
        }
        return Figure.of(trips.count() * 1e9 / trips.nanos(), details);
    }

    /** A figure taken from another's details (the same measurement, another statistic). */
    private static Figure part(Figure whole, String key) {
        if (whole.error() != null) {
            return Figure.failed(whole.error());
        }
        return Figure.of(((Number) whole.details().get(key)).doubleValue(), Map.of());
    }
}
