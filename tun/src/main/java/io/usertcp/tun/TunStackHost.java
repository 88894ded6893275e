package io.usertcp.tun;

import io.usertcp.core.RandomSource;
import io.usertcp.core.Shard;
import io.usertcp.runtime.ShardedLink;
import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.SystemRandomSource;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * A userspace stack on a TUN device inside a network namespace of its own, with the Linux kernel
 * of that namespace as its neighbour (DESIGN.md §10):
 * <pre>
 *   namespace usertcp-&lt;prefix&gt;-...:
 *     kernel: 198.18.0.1/24 on utcp0  &lt;--TUN fd--&gt;  our stack: 198.18.0.2, on a StackRunner
 * </pre>
 * Kernel peers (java.net sockets through {@link #kernel}, or programs through
 * {@code namespace().exec(...)}) reach the stack at {@link #STACK_ADDRESS}. {@link #close()} stops
 * the stack and deletes the namespace, device included; if creation fails half-way, whatever was
 * made is torn down before the exception leaves.
 *
 * <p>{@link Layout} names another device or other addresses, still inside 198.18.0.0/15 and still in
 * a namespace of our own.
 *
 * <p>Offloads: the device is opened with the virtio-net header and checksum and TCP segmentation
 * offload ({@link TunLink}), so the kernel and our stack exchange super-segments of up to 64 KB,
 * unless {@link #OFFLOADS_PROPERTY} is {@code false}, or a link layer of the caller's sits between
 * (it would see the header) and does not ask for them.
 */
public final class TunStackHost implements AutoCloseable {
    public static final String DEVICE = "utcp0";
    public static final Ipv4Address KERNEL_ADDRESS = Ipv4Address.of("198.18.0.1");
    public static final Ipv4Address STACK_ADDRESS = Ipv4Address.of("198.18.0.2");
    public static final int PREFIX_LENGTH = 24;
    public static final int DEFAULT_MTU = 1500;
    /** The most shards (TUN queues) a host runs. */
    public static final int MAX_SHARDS = 16;
    /**
     * The system property that turns the offloads off for hosts started without an explicit choice
     * ({@code -Dusertcp.tun.offloads=false}): the plain mode, one datagram per read and write, for
     * comparison.
     */
    public static final String OFFLOADS_PROPERTY = "usertcp.tun.offloads";

    /** Whether hosts started without an explicit choice use the offloads ({@link #OFFLOADS_PROPERTY}, default true). */
    public static boolean offloadsByDefault() {
        return !"false".equalsIgnoreCase(System.getProperty(OFFLOADS_PROPERTY, "true"));
    }

    /**
     * Where the TUN device and both ends sit: the device's name, the kernel's address (configured on
     * the device with {@code prefixLength}) and our stack's, both in one subnet of 198.18.0.0/15
     * (DESIGN.md §10).
     */
    public record Layout(String device, Ipv4Address kernelAddress, Ipv4Address stackAddress, int prefixLength) {
        /** A fixed interface name: fewer than IFNAMSIZ (16) characters, no {@code %d} pattern. */
        private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}");

        /**
         * @throws IllegalArgumentException when the name is not a valid fixed interface name, an
         *         address lies outside 198.18.0.0/15, the two are equal, or they are not hosts of
         *         one subnet of length {@code prefixLength} (15..30)
         */
        public Layout {
            if (device == null || !DEVICE_NAME.matcher(device).matches() || device.equals("lo")) {
                throw new IllegalArgumentException("device name: '" + device + "' (expected: 1..15 of A-Z a-z 0-9 _ . -,"
                        + " not starting with . or -, and not lo)");
            }
            if (prefixLength < BenchmarkRange.PREFIX_LENGTH || prefixLength > 30) {
                throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected: 15..30)");
            }
            requireHost("kernel address", kernelAddress, prefixLength);
            requireHost("stack address", stackAddress, prefixLength);
            int mask = -1 << (32 - prefixLength);
            if (kernelAddress.equals(stackAddress) || (kernelAddress.bits() & mask) != (stackAddress.bits() & mask)) {
                throw new IllegalArgumentException("addresses: kernel " + kernelAddress + ", stack " + stackAddress
                        + " (expected: two different hosts of one /" + prefixLength + " subnet)");
            }
        }

        /** utcp0, kernel 198.18.0.1/24, stack 198.18.0.2. */
        public static Layout defaults() {
            return new Layout(DEVICE, KERNEL_ADDRESS, STACK_ADDRESS, PREFIX_LENGTH);
        }

        private static void requireHost(String what, Ipv4Address address, int prefixLength) {
            if (address == null || !BenchmarkRange.contains(address.bits())) {
                throw new IllegalArgumentException(what + ": " + address + " (expected: an address in 198.18.0.0/15)");
            }
            int host = address.bits() & ~(-1 << (32 - prefixLength));
            if (host == 0 || host == ~(-1 << (32 - prefixLength))) {
                throw new IllegalArgumentException(what + ": " + address + " is the network or broadcast address of its /"
                        + prefixLength + " (expected: a host address)");
            }
        }
    }

    private final NetworkNamespace namespace;
    /** One per shard: the TUN queues, the links over them, the stacks' runners. */
    private final List<TunLink> links;
    private final List<ShardedLink> shardLinks;
    private final List<StackRunner> runners;
    private final Layout layout;

    private TunStackHost(NetworkNamespace namespace, List<TunLink> links, List<ShardedLink> shardLinks,
                         List<StackRunner> runners, Layout layout) {
        this.layout = layout;
        this.namespace = namespace;
        this.links = List.copyOf(links);
        this.shardLinks = List.copyOf(shardLinks);
        this.runners = List.copyOf(runners);
    }

    /** A host with MTU 1500 and the default (Linux-like) stack configuration. */
    public static TunStackHost start(String prefix) {
        return start(prefix, DEFAULT_MTU, UnaryOperator.identity());
    }

    /**
     * A host with MTU 1500, the default configuration, the virtio-net offloads and {@code shards}
     * stacks on a multi-queue device (see {@link #start(String, int, Layout, UnaryOperator,
     * UnaryOperator, boolean, int)}).
     *
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost startSharded(String prefix, int shards) {
        return start(prefix, DEFAULT_MTU, Layout.defaults(), UnaryOperator.identity(), UnaryOperator.identity(), true, shards);
    }

    /**
     * @param prefix    namespace name prefix; must start with {@code usertcp-}
     * @param customize adjusts the stack configuration (addresses and MTU are set here)
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, UnaryOperator<StackConfig> customize) {
        return start(prefix, mtu, Layout.defaults(), customize);
    }

    /**
     * Like {@link #start(String, int, UnaryOperator)}, with the device and addresses of {@code layout}.
     *
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, Layout layout, UnaryOperator<StackConfig> customize) {
        return start(prefix, mtu, layout, customize, UnaryOperator.identity(), offloadsByDefault());
    }

    /**
     * Like {@link #start(String, int, Layout, UnaryOperator)}, with a link layer of the caller's
     * between the TUN device and the stack ({@code linkLayer} wraps the {@link TunLink}): DESIGN.md
     * §10's own seeded link layer, which may delay, reorder, duplicate, corrupt or ECN-mark what
     * passes. {@link #link()} stays the TUN link itself. The device is plain (no offloads): the
     * layer sees datagrams as they are.
     *
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, Layout layout, UnaryOperator<StackConfig> customize,
                                     UnaryOperator<WaitableLink> linkLayer) {
        return start(prefix, mtu, layout, customize, linkLayer, false);
    }

    /**
     * Like {@link #start(String, int, Layout, UnaryOperator, UnaryOperator)}, with the offloads on
     * or off: with them, what the link layer receives starts with the virtio-net header.
     *
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, Layout layout, UnaryOperator<StackConfig> customize,
                                     UnaryOperator<WaitableLink> linkLayer, boolean offloads) {
        return start(prefix, mtu, layout, customize, linkLayer, offloads, 1);
    }

    /**
     * Like {@link #start(String, int, Layout, UnaryOperator, UnaryOperator, boolean)}, with
     * {@code shards} stacks: a multi-queue device (IFF_MULTI_QUEUE) with one queue, one stack and
     * one thread per shard, all at the stack address. Each flow belongs to one shard
     * ({@link Shard#of}): its packets are handed to that shard whichever queue they come in on
     * ({@link ShardedLink}), and a shard's active opens take only ports it owns. Listeners go on
     * every shard ({@link io.usertcp.socket.StackLoop} over {@link #runners()} does it); a link
     * layer goes on each shard's link.
     *
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, Layout layout, UnaryOperator<StackConfig> customize,
                                     UnaryOperator<WaitableLink> linkLayer, boolean offloads, int shards) {
        return start(prefix, mtu, layout, customize, linkLayer, offloads, shards, (shard, config) -> config);
    }

    /**
     * Like {@link #start(String, int, Layout, UnaryOperator, UnaryOperator, boolean, int)}, with
     * {@code perShard} adjusting each shard's configuration last: what must not be shared between
     * the shards' threads, such as an observer that is not thread-safe, goes in here, one per shard.
     *
     * @param perShard given the shard ({@link Shard#ONLY} when there is one) and its configuration
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, Layout layout, UnaryOperator<StackConfig> customize,
                                     UnaryOperator<WaitableLink> linkLayer, boolean offloads, int shards,
                                     BiFunction<Shard, StackConfig, StackConfig> perShard) {
        java.util.Objects.requireNonNull(layout, "layout");
        java.util.Objects.requireNonNull(linkLayer, "linkLayer");
        java.util.Objects.requireNonNull(perShard, "perShard");
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("shards: " + shards + " (expected: 1.." + MAX_SHARDS + ")");
        }
        String missing = TunSupport.check();
        if (missing != null) {
            throw new TunUnavailableException(missing);
        }
        NetworkNamespace namespace = NetworkNamespace.create(prefix);
        List<TunDevice> devices = new ArrayList<>();
        List<TunLink> links = new ArrayList<>();
        List<StackRunner> runners = new ArrayList<>();
        try {
            int flags = TunDevice.DEFAULT_FLAGS | (offloads ? TunDevice.IFF_VNET_HDR : 0) | (shards > 1 ? TunDevice.IFF_MULTI_QUEUE : 0);
            for (int i = 0; i < shards; i++) {
                devices.add(namespace.openTun(layout.device(), flags)); // the same name again adds a queue
            }
            namespace.addAddress(layout.device(), layout.kernelAddress() + "/" + layout.prefixLength());
            namespace.linkUp(layout.device(), mtu);
            StackConfig config = customize.apply(StackConfig.of(layout.stackAddress(), new SystemRandomSource()).withMtu(mtu));
            for (int i = 0; i < shards; i++) {
                // Received packets come from the stack's allocator too: one place holds all of the host's packet memory.
                links.add(new TunLink(devices.get(i), mtu, config.allocator()));
            }
            List<ShardedLink> shardLinks = shards > 1 ? ShardedLink.group(links) : List.of();
            for (int i = 0; i < shards; i++) {
                WaitableLink link = shards > 1 ? shardLinks.get(i) : links.get(i);
                // Each shard its own randomness (a stack uses its own from its thread only): a SecureRandom of its
                // own, or, from a seeded source, a seeded one drawn from it (runs stay reproducible).
                RandomSource random = config.random() instanceof SystemRandomSource ? new SystemRandomSource()
                        : RandomSource.seeded(config.random().nextLong());
                StackConfig shardConfig = shards > 1 ? perShard.apply(new Shard(i, shards), config.withShard(new Shard(i, shards))
                        .withRandom(random)) : perShard.apply(Shard.ONLY, config);
                String name = "usertcp-stack-" + namespace.name() + (shards > 1 ? "-shard" + i : "");
                runners.add(new StackRunner(new TcpStack(shardConfig), linkLayer.apply(link), name).start());
            }
            return new TunStackHost(namespace, links, shardLinks, runners, layout);
        } catch (RuntimeException | Error e) {
            for (StackRunner r : runners) {
                r.close();
            }
            for (int i = 0; i < devices.size(); i++) {
                if (i < links.size()) {
                    links.get(i).close();
                } else {
                    devices.get(i).close();
                }
            }
            namespace.close();
            throw e;
        }
    }

    public NetworkNamespace namespace() {
        return namespace;
    }

    /** The device and addresses this host was started with. */
    public Layout layout() {
        return layout;
    }

    /** Where the namespace's kernel is ({@link #KERNEL_ADDRESS} unless a {@link Layout} said otherwise). */
    public Ipv4Address kernelAddress() {
        return layout.kernelAddress();
    }

    /** Where our stack is ({@link #STACK_ADDRESS} unless a {@link Layout} said otherwise). */
    public Ipv4Address stackAddress() {
        return layout.stackAddress();
    }

    /** The stack's runner (the first shard's when there are several). */
    public StackRunner runner() {
        return runners.get(0);
    }

    /** Every shard's runner, shard {@code i} at index {@code i}. */
    public List<StackRunner> runners() {
        return runners;
    }

    /** The stack (the first shard's when there are several). */
    public TcpStack stack() {
        return runners.get(0).stack();
    }

    /** The TUN link (the first queue's when there are several). */
    public TunLink link() {
        return links.get(0);
    }

    /** Every shard's TUN link, one per queue. */
    public List<TunLink> links() {
        return links;
    }

    /** The shards' links, with their hand-over counts; empty with one shard. */
    public List<ShardedLink> shardLinks() {
        return shardLinks;
    }

    /** Runs {@code task} on a thread inside the namespace: java.net sockets it opens are the kernel's peers. */
    public <T> T kernel(Callable<T> task) throws Exception {
        return namespace.runInside(task);
    }

    /** The kernel's view of its TCP sockets in the namespace: {@code ss -tan}. */
    public String kernelSockets() {
        return namespace.exec("ss", "-tan").output();
    }

    /** Stops the stack, closes the TUN device and deletes the namespace. Idempotent. */
    @Override
    public void close() {
        try {
            for (StackRunner r : runners) {
                r.close();
            }
        } finally {
            try {
                shardLinks.forEach(ShardedLink::clear);
                for (TunLink l : links) {
                    l.close();
                }
            } finally {
                namespace.close();
            }
        }
    }
}
