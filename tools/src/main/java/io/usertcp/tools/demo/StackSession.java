package io.usertcp.tools.demo;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.jfr.JfrObserver;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.pcap.CaptureWriter;
import io.usertcp.tools.pcap.PcapTap;
import io.usertcp.tools.pcap.PcapngWriter;
import io.usertcp.tools.pcap.PcapWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunStackHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * One run of our stack for a command: a {@link TunStackHost} (namespace, TUN device, stack on its
 * thread) with an {@link ObserverFanOut} in front of an {@link EventRecorder}, optionally a
 * {@link KernelWatcher}, a {@link LiveView} and a {@link ControlServer}.
 *
 * <p>Shards ({@link Options#withShards}): one stack and thread per queue of a multi-queue TUN
 * device; each shard has an {@link ObserverFanOut} of its own (with its own JFR observer, which
 * keeps per-connection state on its thread), all in front of the one, thread-safe, recorder. The
 * control socket serves every shard. A pcap file (one writer, written on one thread) needs one shard.
 *
 * <p>{@link #close()} stops everything and deletes the namespace; a shutdown hook does the same
 * when the JVM is stopped (Ctrl-C) before that, so nothing is left behind (DESIGN.md §10).
 */
public final class StackSession implements AutoCloseable {
    private final TunStackHost host;
    /** One per shard, shard {@code i} at index {@code i}. */
    private final List<ObserverFanOut> fanOuts;
    private final EventRecorder recorder;
    private final ConnectionLabels labels = new ConnectionLabels();
    private final Narrator narrator;
    private final LiveView live;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;
    private KernelWatcher kernel;
    private ControlServer control;
    private PcapTap pcap;

    /**
     * What to start besides the stack.
     *
     * @param profile the behaviour profile the stack runs; its reference numbers
     *                ({@link TcpConfig#forProfile}) are what {@code tcp} adjusts
     * @param tcp     changes on top of the profile's configuration (a scenario's short timers)
     * @param stack   changes to the rest of the stack's configuration (a scenario's ephemeral ports); its
     *                observer is always the session's
     * @param layout  the TUN device's name and the addresses of both ends
     * @param pcap    where a {@link PcapTap} writes every segment; null for none (and with several shards)
     * @param shards  how many stacks share the TUN device, one per queue and thread (1..{@link TunStackHost#MAX_SHARDS})
     */
    public record Options(String prefix, TcpProfile profile, UnaryOperator<TcpConfig> tcp, UnaryOperator<StackConfig> stack,
                          boolean recordSegments, long kernelPollMillis, long maxDurationMillis, Path controlDirectory,
                          Map<String, String> info, boolean live, TunStackHost.Layout layout, Path pcap, int shards) {
        public Options {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(tcp, "tcp");
            Objects.requireNonNull(stack, "stack");
            Objects.requireNonNull(layout, "layout");
            if (shards < 1 || shards > TunStackHost.MAX_SHARDS) {
                throw new IllegalArgumentException("shards: " + shards + " (expected: 1.." + TunStackHost.MAX_SHARDS + ")");
            }
            if (pcap != null && shards > 1) {
                throw new IllegalArgumentException("a pcap file with " + shards + " shards (expected: one shard; "
                        + "`usertcp capture` records every shard)");
            }
        }

        /**
         * The linux profile, stack, recorder of states and segments, kernel watcher every 1 ms, live view;
         * no control socket, no pcap.
         */
        public static Options of(String prefix, long maxDurationMillis) {
            return new Options(prefix, TcpProfile.linux(), UnaryOperator.identity(), UnaryOperator.identity(), true, 1,
                    maxDurationMillis, null, Map.of(), true, TunStackHost.Layout.defaults(), null, 1);
        }

        /** The stack runs {@code profile}, with its reference's numbers under whatever {@link #tcp()} changes. */
        public Options withProfile(TcpProfile profile) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        public Options withTcp(UnaryOperator<TcpConfig> tcp) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        /** Changes to the stack's configuration besides TCP (a scenario's narrow ephemeral port range, say). */
        public Options withStack(UnaryOperator<StackConfig> stack) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        /** 0 turns the kernel watcher off. */
        public Options withKernelPollMillis(long millis) {
            return new Options(prefix, profile, tcp, stack, recordSegments, millis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        public Options withControl(Path directory, Map<String, String> info) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, directory, info, live, layout, pcap, shards);
        }

        public Options withLive(boolean live) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        public Options withRecordSegments(boolean record) {
            return new Options(prefix, profile, tcp, stack, record, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        public Options withLayout(TunStackHost.Layout layout) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        /** Writes every segment to {@code file} (null: none). */
        public Options withPcap(Path file) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, file, shards);
        }

        /** {@code shards} stacks, one per queue of a multi-queue TUN device and each on its own thread. */
        public Options withShards(int shards) {
            return new Options(prefix, profile, tcp, stack, recordSegments, kernelPollMillis, maxDurationMillis, controlDirectory, info, live, layout, pcap, shards);
        }

        /** The stack's TCP configuration: the profile's reference numbers, then {@link #tcp()}'s changes. */
        public TcpConfig tcpConfig() {
            return tcp.apply(TcpConfig.forProfile(profile));
        }
    }

    private StackSession(TunStackHost host, List<ObserverFanOut> fanOuts, EventRecorder recorder, Narrator narrator) {
        this.host = host;
        this.fanOuts = fanOuts;
        this.recorder = recorder;
        this.narrator = narrator;
        this.live = new LiveView(narrator, labels);
        this.shutdownHook = new Thread(this::closeFromHook, "usertcp-session-cleanup");
    }

    /**
     * Starts the stack in a new namespace.
     *
     * @throws io.usertcp.tun.TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static StackSession start(Options options, Narrator narrator) {
        // The pcap file first: a path that cannot be written fails before any namespace is made.
        CaptureWriter writer = options.pcap() == null ? null : openPcap(options.pcap());
        EventRecorder recorder = new EventRecorder(options.recordSegments());
        List<ObserverFanOut> fanOuts = new ArrayList<>();
        for (int i = 0; i < options.shards(); i++) {
            fanOuts.add(new ObserverFanOut(recorder, new JfrObserver())); // JFR events, when a recording asks
        }
        TunStackHost host;
        try {
            host = TunStackHost.start(options.prefix(), TunStackHost.DEFAULT_MTU, options.layout(),
                    config -> options.stack().apply(config.withTcp(options.tcpConfig())), UnaryOperator.identity(),
                    TunStackHost.offloadsByDefault(), options.shards(),
                    (shard, config) -> config.withObserver(fanOuts.get(shard.index())));
        } catch (RuntimeException | Error e) {
            closeQuietly(writer);
            throw e;
        }
        StackSession session = new StackSession(host, List.copyOf(fanOuts), recorder, narrator);
        try {
            Runtime.getRuntime().addShutdownHook(session.shutdownHook);
            if (writer != null) {
                session.pcap = session.tap(writer);
                writer = null;
            }
            session.startExtras(options);
            return session;
        } catch (RuntimeException | Error e) {
            closeQuietly(writer);
            session.close();
            throw e;
        }
    }

    /** A pcap file, or pcapng (each packet commented with our side's state) when the name ends in .pcapng. */
    private static CaptureWriter openPcap(Path file) {
        try {
            return file.getFileName().toString().endsWith(".pcapng") ? PcapngWriter.open(file)
                    : PcapWriter.open(file, PcapWriter.Precision.MICRO);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static void closeQuietly(CaptureWriter writer) {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException ignored) {
                // already failing: the first error is the one to report
            }
        }
    }

    /**
     * Plugs a tap into the stack on its thread, with the stack clock read there and then: every
     * segment from now on is written with its time on the stack clock, mapped to the wall clock.
     */
    private PcapTap tap(CaptureWriter writer) {
        return host.runner().call(now -> {
            PcapTap tap = new PcapTap(writer, PcapTap.wallClockOffset(now));
            fanOuts.get(0).add(tap); // the only shard: Options allows a pcap file with one
            return tap;
        });
    }

    private void startExtras(Options options) {
        if (options.live()) {
            recorder.addListener(live::onStackEvent);
        }
        if (options.kernelPollMillis() > 0) {
            kernel = KernelWatcher.start(host.namespace(), options.kernelPollMillis(), options.maxDurationMillis());
            if (options.live()) {
                kernel.addListener(live::onKernelChange);
            }
        }
        if (options.controlDirectory() != null) {
            Map<String, String> info = new LinkedHashMap<>(options.info());
            info.put("namespace", host.namespace().name());
            info.put("device", host.layout().device());
            info.put("stack", host.stackAddress().toString());
            info.put("kernel", host.kernelAddress().toString());
            control = ControlServer.start(options.controlDirectory(), host.namespace().name(), host.runners(), info, fanOuts);
        }
    }

    public TunStackHost host() {
        return host;
    }

    /** The stack's runner (the first shard's when there are several). */
    public StackRunner runner() {
        return host.runner();
    }

    /** Every shard's runner, shard {@code i} at index {@code i}. */
    public List<StackRunner> runners() {
        return host.runners();
    }

    public TcpStack stack() {
        return host.stack();
    }

    public NetworkNamespace namespace() {
        return host.namespace();
    }

    /** Where pcap taps and ladder printers plug in (the first shard's, when there are several). */
    public ObserverFanOut observers() {
        return fanOuts.get(0);
    }

    public EventRecorder recorder() {
        return recorder;
    }

    /** The kernel watcher, or {@code null} when it was turned off. */
    public KernelWatcher kernel() {
        return kernel;
    }

    public ConnectionLabels labels() {
        return labels;
    }

    public LiveView live() {
        return live;
    }

    public Narrator narrator() {
        return narrator;
    }

    /** The control socket, or {@code null} when none was asked for. */
    public ControlServer control() {
        return control;
    }

    /** Both sides' record of one connection. */
    public ConnectionLog log(ConnectionId id) {
        return new ConnectionLog(id, labels.label(id), labels.description(id), recorder.eventsFor(id),
                kernel == null ? List.of() : kernel.changesOf(id));
    }

    /** Whether {@link #close()} has run (or the JVM is stopping). */
    public boolean isClosed() {
        return closed.get();
    }

    /** Stops the watcher, the control socket and the stack, and deletes the namespace. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already stopping: the hook is running or has run
        }
        String pcapReport = teardown();
        if (pcapReport != null) {
            narrator.say(pcapReport);
        }
    }

    private void closeFromHook() {
        if (closed.compareAndSet(false, true)) {
            System.err.println("usertcp: stopping; deleting namespace " + host.namespace().name());
            String pcapReport = teardown();
            if (pcapReport != null) {
                System.err.println("usertcp: " + pcapReport);
            }
        }
    }

    /**
     * Stops everything; the pcap file is closed last, after the stack's last segment, whatever
     * failed before.
     *
     * @return what became of the pcap file, or null when there is none
     */
    private String teardown() {
        String pcapReport = null;
        try {
            try {
                if (kernel != null) {
                    kernel.close();
                }
                if (control != null) {
                    control.close();
                }
            } finally {
                host.close();
            }
        } finally {
            pcapReport = closePcap();
        }
        return pcapReport;
    }

    private String closePcap() {
        if (pcap == null) {
            return null;
        }
        // The stack thread has stopped (host.close joined it), so the tap may be closed here.
        try {
            pcap.close();
            return "pcap: " + pcap.packetCount() + " segments written to " + pcap.file();
        } catch (IOException e) {
            return "pcap: " + e.getMessage();
        }
    }

    /** The pcap tap, or {@code null} when none was asked for. */
    public PcapTap pcap() {
        return pcap;
    }
}
