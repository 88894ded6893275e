package io.usertcp.tools.bench;

import io.usertcp.tun.NetworkNamespace;
import io.usertcp.tun.TunDevice;
import io.usertcp.tun.TunLink;
import io.usertcp.tun.TunStackHost;

/**
 * A namespace of our own with a plain TUN device (no virtio header, no offloads) in
 * {@link TunStackHost}'s layout, the kernel at 198.18.0.1/24, and a {@link TunLink} on it, for a
 * case that puts its own layer between the link and the stack (the loss case) or no stack at all
 * (the link case). {@link #close()} closes the link and deletes the namespace, device included.
 */
record PlainTun(NetworkNamespace ns, TunLink link) implements AutoCloseable {

    /** @throws RuntimeException after deleting whatever it made, when a step fails */
    static PlainTun start(String prefix, int mtu) {
        NetworkNamespace ns = NetworkNamespace.create(prefix);
        TunDevice device = null;
        try {
            device = ns.openTun(TunStackHost.DEVICE);
            ns.addAddress(TunStackHost.DEVICE, TunStackHost.KERNEL_ADDRESS + "/" + TunStackHost.PREFIX_LENGTH);
            ns.linkUp(TunStackHost.DEVICE, mtu);
            return new PlainTun(ns, new TunLink(device, mtu));
        } catch (RuntimeException | Error e) {
            if (device != null) {
                device.close();
            }
            ns.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            link.close();
        } finally {
            ns.close();
        }
    }
}
