package io.usertcp.socket;

import io.usertcp.runtime.StackRunner;
import io.usertcp.runtime.StackStoppedException;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpListener;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.function.Function;

/**
 * The exceptions {@code java.net} would throw (DESIGN.md §7): a {@link CloseReason} mapped to one,
 * and LISTEN that binds as java.net does.
 */
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

    /**
     * LISTEN on the stack's thread, as java.net binds: a port that already has a listener is
     * "Address already in use" ({@link BindException}) rather than the core's IllegalStateException.
     *
     * @param onAcceptable the listener's callback (on the stack's thread)
     * @return the listener, which the caller closes
     */
    static TcpListener listen(StackRunner runner, int port, int backlog, Function<TcpListener, Runnable> onAcceptable)
            throws BindException {
        TcpListener listener = runner.call(now -> {
            if (runner.stack().listeners().stream().anyMatch(l -> l.id().localPort() == port)) {
                return null;
            }
            TcpListener l = runner.stack().listen(now, port, backlog);
            l.setOnAcceptable(onAcceptable.apply(l));
            return l;
        });
        if (listener == null) {
            throw new BindException("Address already in use: port " + port + " already has a listener");
        }
        return listener;
    }

    /** For a call that found the stack's thread stopped: "the stack thread ... died (cause)". */
    static SocketException stackStopped(IllegalStateException e) {
        SocketException io = new SocketException(e.getMessage());
        io.initCause(e);
        return io;
    }
}
