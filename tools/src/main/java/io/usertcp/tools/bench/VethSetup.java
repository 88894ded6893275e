package io.usertcp.tools.bench;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tools.demo.Programs;
import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel baseline of DESIGN.md §11: two namespaces of ours joined by a veth pair, the client
 * at 198.18.1.1 in {@code left}, the server at 198.18.1.2 in {@code right}. The pair is created
 * inside the left namespace with its peer moved straight into the right one, so it never exists in
 * the root namespace; deleting the namespaces deletes it. With loss, segmentation offloads are off on
 * both ends, so that the loss rule sees one datagram per segment, as on our TUN path.
 */
final class VethSetup implements Setup {
    static final String PREFIX = "usertcp-bench-veth";
    static final String LEFT_DEVICE = "utcpb0";
    static final String RIGHT_DEVICE = "utcpb1";
    static final String LEFT_ADDRESS = "198.18.1.1";
    static final String RIGHT_ADDRESS = "198.18.1.2";

    private final NetworkNamespace left;
    private final NetworkNamespace right;
    private final Loss loss;

    private VethSetup(NetworkNamespace left, NetworkNamespace right, Loss loss) {
        this.left = left;
        this.right = right;
        this.loss = loss;
    }

    /** Both namespaces and the pair with {@code mtu}, and the loss rule if any; torn down if a step fails. */
    static VethSetup start(int mtu, Loss loss) {
        NetworkNamespace left = NetworkNamespace.create(PREFIX + "l");
        NetworkNamespace right = null;
        try {
            right = NetworkNamespace.create(PREFIX + "r");
            ExecResult add = left.exec("ip", "link", "add", LEFT_DEVICE, "type", "veth", "peer", "name", RIGHT_DEVICE,
                    "netns", right.name());
            if (!add.succeeded()) {
                throw new IllegalStateException("could not create the veth pair: " + add.describe());
            }
            left.addAddress(LEFT_DEVICE, LEFT_ADDRESS + "/24");
            right.addAddress(RIGHT_DEVICE, RIGHT_ADDRESS + "/24");
            left.linkUp(LEFT_DEVICE, mtu);
            right.linkUp(RIGHT_DEVICE, mtu);
            Sysctl.pinCongestionControl(left);
            Sysctl.pinCongestionControl(right);
            if (loss.at() != LossAt.NONE) {
                // one datagram per segment on the wire, as on TUN: a dropped GSO super-packet would
                // lose dozens of segments at once, a different loss from ours
                noSegmentationOffload(left, LEFT_DEVICE);
                noSegmentationOffload(right, RIGHT_DEVICE);
            }
            switch (loss.at()) {
                case NONE -> { }
                case SERVER_INGRESS -> NftLoss.add(right, RIGHT_DEVICE, loss.rate());
                case CLIENT_INGRESS -> NftLoss.add(left, LEFT_DEVICE, loss.rate());
            }
            return new VethSetup(left, right, loss);
        } catch (RuntimeException | Error e) {
            if (right != null) {
                right.close();
            }
            left.close();
            throw e;
        }
    }

    /**
     * Segmentation offloads off ({@code ethtool -K DEV tso off gso off gro off}): the stack then
     * hands the device one segment per packet, and the receiver's ingress sees them one by one.
     * (Limiting {@code gso_max_segs} to 1 instead slows the kernel's sender several times over, so
     * it would not be the kernel as it runs without offloads.)
     */
    private static void noSegmentationOffload(NetworkNamespace ns, String device) {
        String why = ethtoolMissing();
        if (why != null) {
            throw new MissingProgramException(why);
        }
        ExecResult r = ns.exec("ethtool", "-K", device, "tso", "off", "gso", "off", "gro", "off");
        if (!r.succeeded()) {
            throw new IllegalStateException("could not turn segmentation offload off on " + device + ": " + r.describe());
        }
    }

    /** One line saying how to get ethtool (the loss case needs it here), or null when it is installed. */
    static String ethtoolMissing() {
        return Programs.missing("ethtool", "ethtool", "the loss case");
    }

    @Override
    public String side() {
        return "kernel";
    }

    @Override
    public NetworkNamespace clientNamespace() {
        return left;
    }

    /** The server's namespace. */
    NetworkNamespace serverNamespace() {
        return right;
    }

    @Override
    public String serverAddress() {
        return RIGHT_ADDRESS;
    }

    @Override
    public Acceptor listen(int port, int backlog, int timeoutMillis) throws Exception {
        ServerSocket server = right.runInside(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(RIGHT_ADDRESS, port), backlog);
            return s;
        });
        return Acceptor.of(server, timeoutMillis);
    }

    @Override
    public long lossDropped() {
        return switch (loss.at()) {
            case NONE -> 0;
            case SERVER_INGRESS -> NftLoss.dropped(right);
            case CLIENT_INGRESS -> NftLoss.dropped(left);
        };
    }

    /** The kernel's counters in the server's namespace. */
    @Override
    public Map<String, Long> serverCounters() {
        return Setup.kernelCounters(right);
    }

    @Override
    public void close() {
        try {
            left.close();
        } finally {
            right.close();
        }
    }
}
