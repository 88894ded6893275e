package io.usertcp.tcp;

/**
 * Why a connection ended, as the application learns it. The socket layer maps each to the
 * {@code IOException} Java users know (DESIGN.md §7).
 */
public enum CloseReason {
    /** Both FINs were exchanged and acknowledged: the orderly end. */
    NORMAL(false, "closed"),
    /** Our SYN was answered with RST (RFC 9293 §3.10.7.3): nobody listens there. */
    REFUSED(true, "Connection refused"),
    /** The peer reset the connection (RFC 9293 §3.10.7.4, second check). */
    RESET(true, "Connection reset"),
    /** The SYN was retransmitted the configured number of times without an answer. */
    CONNECT_TIMEOUT(true, "Connection timed out"),
    /** Data or FIN was retransmitted the configured number of times without an acknowledgment. */
    RETRANSMIT_TIMEOUT(true, "Connection timed out"),
    /** Keep-alive probes went unanswered (RFC 1122 §4.2.3.6). */
    KEEPALIVE_TIMEOUT(true, "Connection timed out (keepalive)"),
    /** Data stayed unacknowledged longer than the user timeout (RFC 5482). */
    USER_TIMEOUT(true, "Connection timed out (user timeout)"),
    /** The application aborted: ABORT, or CLOSE with SO_LINGER {on, 0}; an RST was sent. */
    ABORTED(false, "Connection aborted"),
    /** The application closed with data it had not read; an RST was sent (RFC 2525 §2.17). */
    ABORTED_UNREAD_DATA(false, "Connection aborted (unread data)"),
    /** Data arrived after the application closed; an RST was sent (as Linux does). */
    ABORTED_DATA_AFTER_CLOSE(false, "Connection aborted (data after close)"),
    /** An orphaned FIN-WAIT-2 connection outlived its timeout and was reclaimed. */
    FIN_WAIT_2_TIMEOUT(false, "FIN-WAIT-2 timeout"),
    /** The listener closed before this connection was accepted; an RST was sent. */
    LISTENER_CLOSED(false, "Listener closed"),
    /** The whole stack was shut down. */
    STACK_CLOSED(false, "Stack closed"),
    /** An ICMP error said the network is unreachable (ENETUNREACH); see {@link TcpProfile#icmpError}. */
    NETWORK_UNREACHABLE(true, "Network is unreachable"),
    /** An ICMP error said the host is unreachable, or a time exceeded arrived (EHOSTUNREACH). */
    HOST_UNREACHABLE(true, "No route to host"),
    /** ICMP protocol unreachable: the peer does not speak TCP (ENOPROTOOPT, as Linux reports it). */
    PROTOCOL_UNAVAILABLE(true, "Protocol not available"),
    /** ICMP source route failed (EOPNOTSUPP, as Linux reports it). */
    SOURCE_ROUTE_FAILED(true, "Operation not supported"),
    /** ICMP destination host unknown (EHOSTDOWN). */
    HOST_DOWN(true, "Host is down"),
    /** ICMP source host isolated (ENONET). */
    NOT_ON_NETWORK(true, "Machine is not on the network"),
    /** ICMP parameter problem (EPROTO). */
    PROTOCOL_ERROR(true, "Protocol error"),
    /**
     * Processing a segment, a timer or an event of this connection failed unexpectedly (a bug): the
     * connection was aborted with a RST and the stack kept serving the others.
     */
    INTERNAL_ERROR(true, "Connection aborted (internal error)");

    private final boolean error;
    private final String message;

    CloseReason(boolean error, String message) {
        this.error = error;
        this.message = message;
    }

    /** Whether the application should see this as a failure. */
    public boolean isError() {
        return error;
    }

    /** The message a Java socket would carry, e.g. "Connection reset". */
    public String message() {
        return message;
    }
}
