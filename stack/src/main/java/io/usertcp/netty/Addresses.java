package io.usertcp.netty;

import io.usertcp.wire.Ipv4Address;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Between java.net's addresses, which Netty speaks, and the stack's {@link Ipv4Address}. */
final class Addresses {
    private Addresses() {}

    static InetAddress inet(Ipv4Address address) {
        int bits = address.bits();
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits});
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    /** @throws IllegalArgumentException for an IPv6 address: the stack speaks IPv4 only */
    static Ipv4Address ipv4(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("address: " + address + " (expected: an IPv4 address; usertcp speaks IPv4 only)");
        }
        byte[] b = address.getAddress();
        return new Ipv4Address((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff));
    }
}
