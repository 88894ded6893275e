package io.usertcp.tun;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.SystemRandomSource;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

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
 */
public final class TunStackHost implements AutoCloseable {
    public static final String DEVICE = "utcp0";
    public static final Ipv4Address KERNEL_ADDRESS = Ipv4Address.of("198.18.0.1");
    public static final Ipv4Address STACK_ADDRESS = Ipv4Address.of("198.18.0.2");
    public static final int PREFIX_LENGTH = 24;
    public static final int DEFAULT_MTU = 1500;

    private final NetworkNamespace namespace;
    private final TunDevice device;
    private final TunLink link;
    private final StackRunner runner;

    private TunStackHost(NetworkNamespace namespace, TunDevice device, TunLink link, StackRunner runner) {
        this.namespace = namespace;
        this.device = device;
        this.link = link;
        this.runner = runner;
    }

    /** A host with MTU 1500 and the default (Linux-like) stack configuration. */
    public static TunStackHost start(String prefix) {
        return start(prefix, DEFAULT_MTU, UnaryOperator.identity());
    }

    /**
     * @param prefix    namespace name prefix; must start with {@code usertcp-}
     * @param customize adjusts the stack configuration (addresses and MTU are set here)
     * @throws TunUnavailableException when TUN devices or namespaces cannot be made here
     */
    public static TunStackHost start(String prefix, int mtu, UnaryOperator<StackConfig> customize) {
        String missing = TunSupport.check();
        if (missing != null) {
            throw new TunUnavailableException(missing);
        }
        NetworkNamespace namespace = NetworkNamespace.create(prefix);
        TunDevice device = null;
        TunLink link = null;
        try {
            device = namespace.openTun(DEVICE);
            namespace.addAddress(DEVICE, KERNEL_ADDRESS + "/" + PREFIX_LENGTH);
            namespace.linkUp(DEVICE, mtu);
            link = new TunLink(device, mtu);
            StackConfig config = customize.apply(StackConfig.of(STACK_ADDRESS, new SystemRandomSource()).withMtu(mtu));
            StackRunner runner = new StackRunner(new TcpStack(config), link, "usertcp-stack-" + namespace.name()).start();
            return new TunStackHost(namespace, device, link, runner);
        } catch (RuntimeException | Error e) {
            if (link != null) {
                link.close();
            } else if (device != null) {
                device.close();
            }
            namespace.close();
            throw e;
        }
    }

    public NetworkNamespace namespace() {
        return namespace;
    }

    public StackRunner runner() {
        return runner;
    }

    public TcpStack stack() {
        return runner.stack();
    }

    public TunLink link() {
        return link;
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
            runner.close();
        } finally {
            try {
                link.close();
            } finally {
                namespace.close();
            }
        }
    }
}
