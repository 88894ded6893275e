package io.usertcp.tun;

/**
 * Something the TUN layer needs is missing on this machine: root or {@code CAP_NET_ADMIN}, the
 * {@code /dev/net/tun} device, the {@code ip} command, or JNA's native library. The message is one
 * line that says what is missing and how to get it (DESIGN.md §7).
 */
public final class TunUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TunUnavailableException(String message) {
        super(message);
    }

    public TunUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
