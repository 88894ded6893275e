package io.usertcp.tcp;

import io.usertcp.wire.Icmpv4MessageView;

/**
 * What an ICMP error (RFC 792) about one of our segments means to TCP: the error an application
 * sees (Linux icmp_err_convert[] and tcp_v4_err()), whether RFC 1122 §4.2.3.9 calls it hard, and
 * the classes that Linux and FreeBSD treat apart. Which of them aborts a connection is the
 * profile's choice ({@link TcpProfile#icmpError}).
 */
final class IcmpErrors {
    /** ICMP "destination unreachable" codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
    static final int NET_UNREACHABLE = 0;
    static final int HOST_UNREACHABLE = 1;
    static final int PROTOCOL_UNREACHABLE = 2;
    static final int PORT_UNREACHABLE = 3;
    static final int FRAGMENTATION_NEEDED = Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED;
    static final int SOURCE_ROUTE_FAILED = 5;
    static final int NET_UNKNOWN = 6;
    static final int HOST_UNKNOWN = 7;
    static final int HOST_ISOLATED = 8;
    static final int NET_PROHIBITED = 9;
    static final int HOST_PROHIBITED = 10;
    static final int NET_UNREACHABLE_TOS = 11;
    static final int HOST_UNREACHABLE_TOS = 12;
    static final int ADMIN_PROHIBITED = 13;
    static final int PRECEDENCE_VIOLATION = 14;
    static final int PRECEDENCE_CUTOFF = 15;

    /**
     * Linux never lets the path MTU fall below net.ipv4.route.min_pmtu (552), whatever a
     * "fragmentation needed" message says (__ip_rt_update_pmtu()).
     */
    static final int MIN_PATH_MTU = 552;

    private IcmpErrors() {}

    /** "Destination unreachable, fragmentation needed and DF set": a path MTU message (RFC 1191), not an error. */
    static boolean isFragmentationNeeded(int type, int code) {
        return type == Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE && code == FRAGMENTATION_NEEDED;
    }

    /**
     * The failure an application sees for this error, as Linux reports it: icmp_err_convert[] for
     * "destination unreachable" (ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EOPNOTSUPP,
     * EHOSTDOWN, ENONET), EHOSTUNREACH for "time exceeded", EPROTO for "parameter problem"
     * (tcp_v4_err()). Null for anything else (source quench is ignored: RFC 6633).
     */
    static CloseReason reason(int type, int code) {
        return switch (type) {
            case Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE -> switch (code) {
                case NET_UNREACHABLE, NET_UNKNOWN, NET_PROHIBITED, NET_UNREACHABLE_TOS -> CloseReason.NETWORK_UNREACHABLE;
                case HOST_UNREACHABLE, HOST_PROHIBITED, HOST_UNREACHABLE_TOS, ADMIN_PROHIBITED, PRECEDENCE_VIOLATION,
                     PRECEDENCE_CUTOFF -> CloseReason.HOST_UNREACHABLE;
                case PROTOCOL_UNREACHABLE -> CloseReason.PROTOCOL_UNAVAILABLE;
                case PORT_UNREACHABLE -> CloseReason.REFUSED;
                case SOURCE_ROUTE_FAILED -> CloseReason.SOURCE_ROUTE_FAILED;
                case HOST_UNKNOWN -> CloseReason.HOST_DOWN;
                case HOST_ISOLATED -> CloseReason.NOT_ON_NETWORK;
                default -> null; // fragmentation needed is not an error; codes above 15 are unknown (Linux ignores them)
            };
            case Icmpv4MessageView.TYPE_TIME_EXCEEDED -> CloseReason.HOST_UNREACHABLE;
            case Icmpv4MessageView.TYPE_PARAMETER_PROBLEM -> CloseReason.PROTOCOL_ERROR;
            default -> null;
        };
    }

    /**
     * RFC 1122 §4.2.3.9: "Destination Unreachable -- codes 2-4" are hard errors ("TCP SHOULD abort
     * the connection"); codes 0, 1 and 5 are soft ("MUST NOT abort"). Code 4 is a path MTU
     * message here (RFC 1191), so the hard ones are protocol and port unreachable.
     */
    static boolean isHard(int type, int code) {
        return type == Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE && (code == PROTOCOL_UNREACHABLE || code == PORT_UNREACHABLE);
    }

    /**
     * The errors for which Linux drops a half-open request (tcp_v4_err(): tcp_req_err() with abort
     * for parameter problem, time exceeded, and network or host unreachable).
     */
    static boolean abortsRequest(int type, int code) {
        return type == Icmpv4MessageView.TYPE_PARAMETER_PROBLEM || type == Icmpv4MessageView.TYPE_TIME_EXCEEDED
                || (type == Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE && (code == NET_UNREACHABLE || code == HOST_UNREACHABLE));
    }

    /**
     * The reachability errors that FreeBSD's tcp_notify() ignores on an established connection
     * (EHOSTUNREACH, ENETUNREACH, EHOSTDOWN): routes come and go while data still gets through.
     */
    static boolean isReachability(CloseReason reason) {
        return reason == CloseReason.HOST_UNREACHABLE || reason == CloseReason.NETWORK_UNREACHABLE || reason == CloseReason.HOST_DOWN;
    }
}
