package io.usertcp.tun.interop;

import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;

/**
 * The kernel-to-kernel baseline of DESIGN.md §11: two namespaces of ours joined by a veth pair,
 * 198.18.1.1/24 in {@link #left}, 198.18.1.2/24 in {@link #right}. The pair is created inside the
 * left namespace with its peer end moved straight into the right one, so it never exists in the
 * root namespace; deleting the namespaces deletes it.
 */
final class VethPair implements AutoCloseable {
    static final String DEVICE_PREFIX = "utcpv";
    static final String LEFT_ADDRESS = "198.18.1.1";
    static final String RIGHT_ADDRESS = "198.18.1.2";

    final NetworkNamespace left;
    final NetworkNamespace right;

    private VethPair(NetworkNamespace left, NetworkNamespace right) {
        this.left = left;
        this.right = right;
    }

    /** Two namespaces and the veth pair between them, with {@code mtu}; torn down again if any step fails. */
    static VethPair create(int mtu) {
        NetworkNamespace left = NetworkNamespace.create("usertcp-interop-vethl");
        NetworkNamespace right = null;
        try {
            right = NetworkNamespace.create("usertcp-interop-vethr");
            ExecResult add = left.exec("ip", "link", "add", DEVICE_PREFIX + "0", "type", "veth",
                    "peer", "name", DEVICE_PREFIX + "1", "netns", right.name());
            if (!add.succeeded()) {
                throw new IllegalStateException(add.describe());
            }
            left.addAddress(DEVICE_PREFIX + "0", LEFT_ADDRESS + "/24");
            right.addAddress(DEVICE_PREFIX + "1", RIGHT_ADDRESS + "/24");
            left.linkUp(DEVICE_PREFIX + "0", mtu);
            right.linkUp(DEVICE_PREFIX + "1", mtu);
            return new VethPair(left, right);
        } catch (RuntimeException | Error e) {
            if (right != null) {
                right.close();
            }
            left.close();
            throw e;
        }
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
