package io.usertcp.socket;

import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.CloseReason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;

/** Maps a {@link CloseReason} to the exception {@code java.net} would throw (DESIGN.md §7). */
final class SocketErrors {
    private SocketErrors() {}

    /** For a failed connect. */
    static IOException connectFailure(CloseReason reason) {
        return switch (reason) {
            case REFUSED -> new ConnectException("Connection refused");
            case CONNECT_TIMEOUT -> new ConnectException("Connection timed out");
            case RESET -> new ConnectException("Connection reset");
            case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> new NoRouteToHostException(reason.message());
            default -> new ConnectException(reason.message());
        };
    }

    /** For a read or write on a connection that ended with an error. */
    static IOException ioFailure(CloseReason reason) {
        return switch (reason) {
            case RESET -> new SocketException("Connection reset");
            case RETRANSMIT_TIMEOUT, KEEPALIVE_TIMEOUT, USER_TIMEOUT, CONNECT_TIMEOUT -> new SocketException("Connection timed out");
            case REFUSED -> new ConnectException("Connection refused");
            case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> new NoRouteToHostException(reason.message());
            case PROTOCOL_UNAVAILABLE, SOURCE_ROUTE_FAILED, HOST_DOWN, NOT_ON_NETWORK, PROTOCOL_ERROR -> new SocketException(reason.message());
            default -> new SocketException("Socket closed (" + reason.message() + ")");
        };
    }

    /** For a call that found the stack's thread stopped: "the stack thread ... died (cause)". */
    static SocketException stackStopped(IllegalStateException e) {
        SocketException io = new SocketException(e.getMessage());
        io.initCause(e);
        return io;
    }
}
