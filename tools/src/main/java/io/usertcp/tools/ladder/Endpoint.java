package io.usertcp.tools.ladder;

import io.usertcp.wire.Ipv4Address;

/**
 * One end of a TCP connection: an IPv4 address (the {@code int} form of {@link Ipv4Address}) and a port.
 */
public record Endpoint(int address, int port) {
    public Endpoint {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    /** {@code 198.18.0.1:40001} */
    @Override
    public String toString() {
        return Ipv4Address.format(address) + ":" + port;
    }
}
