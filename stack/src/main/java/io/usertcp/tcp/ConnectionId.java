package io.usertcp.tcp;

import io.usertcp.wire.Ipv4Address;

/**
 * A connection's four-tuple as seen from this stack. Addresses are the {@code int} form of
 * {@link Ipv4Address}.
 */
public record ConnectionId(int localAddress, int localPort, int remoteAddress, int remotePort) {

    public ConnectionId {
        if (localPort < 0 || localPort > 0xFFFF || remotePort < 0 || remotePort > 0xFFFF) {
            throw new IllegalArgumentException("ports: " + localPort + ", " + remotePort + " (expected: 0..65535)");
        }
    }

    public Ipv4Address local() {
        return new Ipv4Address(localAddress);
    }

    public Ipv4Address remote() {
        return new Ipv4Address(remoteAddress);
    }

    /** {@code 198.18.0.1:40000 > 198.18.0.2:80} */
    @Override
    public String toString() {
        return Ipv4Address.format(localAddress) + ":" + localPort + " > " + Ipv4Address.format(remoteAddress) + ":" + remotePort;
    }
}
