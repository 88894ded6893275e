package io.usertcp.tools.bench;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.SystemRandomSource;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunLink;
import io.usertcp.tun.TunLinkStats;
import io.usertcp.tun.TunStackHost;
import java.net.BindException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Our side: our stack at 198.18.0.2 on a TUN device, the kernel of the same namespace at
 * 198.18.0.1 as the client ({@link TunStackHost}'s layout). With loss at our ingress the stack is
 * assembled here the same way, with a {@link LossyLink} between it and the TUN link.
 */
final class TunSetup implements Setup {
    static final String PREFIX = "usertcp-bench-tun";
    /** Fixed seed of our ingress loss: runs drop the same segments. */
    static final long LOSS_SEED = 0x6c6f7373L;

    private final NetworkNamespace namespace;
    private final StackRunner runner;
    /** Every shard's runner (one unless {@link #sharded}). */
    private final List<StackRunner> runners;
    private final AutoCloseable resources;
    private final TunLink link;
    private final LossyLink lossyLink;
    private final boolean nftLoss;

    private TunSetup(NetworkNamespace namespace, StackRunner runner, AutoCloseable resources, TunLink link,
                     LossyLink lossyLink, boolean nftLoss) {
        this(namespace, List.of(runner), resources, link, lossyLink, nftLoss);
    }

    /**
     * Every way of assembling our side ends here, so the namespace's kernel (the client) is given
     * cubic here once ({@link Sysctl#pinCongestionControl}); the callers close {@code resources} if it
     * throws.
     */
    private TunSetup(NetworkNamespace namespace, List<StackRunner> runners, AutoCloseable resources, TunLink link,
                     LossyLink lossyLink, boolean nftLoss) {
        Sysctl.pinCongestionControl(namespace);
        this.namespace = namespace;
        this.runner = runners.get(0);
        this.runners = List.copyOf(runners);
        this.resources = resources;
        this.link = link;
        this.lossyLink = lossyLink;
        this.nftLoss = nftLoss;
    }

    /** Our stack in {@code profile}, with that profile's reference numbers ({@link TcpConfig#forProfile}). */
    static TunSetup start(TcpProfile profile, int mtu, Loss loss) {
        return start(profile, mtu, loss, UnaryOperator.identity(), TunStackHost.offloadsByDefault());
    }

    /** @param offloads the TUN link with the virtio-net offloads (never with loss at the kernel's ingress) */
    static TunSetup start(TcpProfile profile, int mtu, Loss loss, boolean offloads) {
        return start(profile, mtu, loss, UnaryOperator.identity(), offloads);
    }

    /** Our stack in {@code shards} shards on a multi-queue TUN device, without loss. */
    static TunSetup sharded(TcpProfile profile, int mtu, boolean offloads, int shards) {
        TcpConfig config = TcpConfig.forProfile(profile);
        TunStackHost host = TunStackHost.start(PREFIX, mtu, TunStackHost.Layout.defaults(), c -> c.withTcp(config),
                UnaryOperator.identity(), offloads, shards);
        try {
            return new TunSetup(host.namespace(), host.runners(), host, host.link(), null, false);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }

    /**
     * @param profile the behaviour profile our stack runs; its reference numbers are what {@code tcp} adjusts
     * @param tcp     adjusts the profile's TCP configuration (the memory case lengthens TIME-WAIT so
     *                that no entry expires while it counts them)
     */
    static TunSetup start(TcpProfile profile, int mtu, Loss loss, UnaryOperator<TcpConfig> tcp, boolean offloads) {
        TcpConfig config = tcp.apply(TcpConfig.forProfile(profile));
        if (loss.at() == LossAt.SERVER_INGRESS) {
            return startLossy(mtu, loss.rate(), config);
        }
        // With loss at the kernel's ingress the TUN link is plain, as the veth's offloads are off in that case: each
        // drop then takes one segment on both sides, not a 64 KB super-segment.
        TunStackHost host = TunStackHost.start(PREFIX, mtu, TunStackHost.Layout.defaults(), c -> c.withTcp(config),
                UnaryOperator.identity(), offloads && loss.at() == LossAt.NONE);
        try {
            if (loss.at() == LossAt.CLIENT_INGRESS) {
                NftLoss.add(host.namespace(), TunStackHost.DEVICE, loss.rate());
            }
            return new TunSetup(host.namespace(), host.runner(), host, host.link(), null, loss.at() == LossAt.CLIENT_INGRESS);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }

    /** {@link TunStackHost#start}'s steps, with the loss between the TUN link and the stack. */
    private static TunSetup startLossy(int mtu, LossRate rate, TcpConfig tcp) {
        PlainTun tun = PlainTun.start(PREFIX, mtu);
        StackRunner runner = null;
        try {
            LossyLink lossy = new LossyLink(tun.link(), rate.perMille(), LOSS_SEED);
            StackConfig config = StackConfig.of(TunStackHost.STACK_ADDRESS, new SystemRandomSource()).withMtu(mtu);
            config = config.withTcp(tcp);
            StackRunner started = new StackRunner(new TcpStack(config), lossy, "usertcp-bench-stack-" + tun.ns().name()).start();
            runner = started;
            AutoCloseable resources = () -> {
                try {
                    started.close();
                } finally {
                    tun.close();
                }
            };
            return new TunSetup(tun.ns(), started, resources, tun.link(), lossy, false);
        } catch (RuntimeException | Error e) {
            try {
                if (runner != null) {
                    runner.close();
                }
            } finally {
                tun.close();
            }
            throw e;
        }
    }

    @Override
    public String side() {
        return "usertcp";
    }

    @Override
    public NetworkNamespace clientNamespace() {
        return namespace;
    }

    @Override
    public String serverAddress() {
        return TunStackHost.STACK_ADDRESS.toString();
    }

    /** Every shard's runner. */
    List<StackRunner> runners() {
        return runners;
    }

    StackRunner runner() {
        return runner;
    }

    @Override
    public Acceptor listen(int port, int backlog, int timeoutMillis) throws BindException {
        return Acceptor.of(new TcpServerSocket(runner, port, backlog), timeoutMillis);
    }

    @Override
    public long lossDropped() {
        if (lossyLink != null) {
            return lossyLink.dropped();
        }
        return nftLoss ? NftLoss.dropped(namespace) : 0;
    }

    /** The TUN link's counters (read on the stack's thread, which owns them). */
    /** Whether the TUN link runs with the virtio-net offloads. */
    boolean offloads() {
        return link.offloads().virtioHeader();
    }

    TunLinkStats linkStats() {
        return runner.call(now -> link.stats());
    }

    @Override
    public Map<String, Long> serverCounters() {
        Map<String, Long> all = runner.call(now -> runner.stack().stats().snapshot());
        Map<String, Long> chosen = new LinkedHashMap<>();
        for (String name : RECOVERY_COUNTERS) {
            chosen.put(name, all.getOrDefault(name, 0L)); // the snapshot leaves zeros out
        }
        return chosen;
    }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
