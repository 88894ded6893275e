package io.usertcp.packetdrill;

import io.usertcp.tcp.CloseReason;
import java.util.Locale;

/**
 * The errno values the socket layer reports, with Linux's numbers. Scripts name them
 * ({@code EINPROGRESS}); {@code EWOULDBLOCK} is another name of {@link #EAGAIN}, as on Linux and
 * FreeBSD.
 */
public enum Errno {
    ENOENT(2),
    EBADF(9),
    EAGAIN(11),
    EFAULT(14),
    EEXIST(17),
    EINVAL(22),
    EPIPE(32),
    ENOSYS(38),
    ENOMSG(42),
    ENONET(64),
    EPROTO(71),
    ENOTSOCK(88),
    ENOPROTOOPT(92),
    EOPNOTSUPP(95),
    EADDRINUSE(98),
    EADDRNOTAVAIL(99),
    ENETUNREACH(101),
    ECONNABORTED(103),
    ECONNRESET(104),
    EISCONN(106),
    ENOTCONN(107),
    ETIMEDOUT(110),
    ECONNREFUSED(111),
    EHOSTDOWN(112),
    EHOSTUNREACH(113),
    EALREADY(114),
    EINPROGRESS(115);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The errno called {@code name} in a script, or null when the name is not known. */
    public static Errno byName(String name) {
        if (name.equals("EWOULDBLOCK")) {
            return EAGAIN;
        }
        for (Errno e : values()) {
            if (e.name().equals(name.toUpperCase(Locale.ROOT))) {
                return e;
            }
        }
        return null;
    }

    /** How a connection failure reaches the application (Linux tcp_reset, tcp_write_err); null when it is none. */
    public static Errno of(CloseReason reason) {
        return switch (reason) {
            case REFUSED -> ECONNREFUSED;
            case RESET -> ECONNRESET;
            case CONNECT_TIMEOUT, RETRANSMIT_TIMEOUT, KEEPALIVE_TIMEOUT, USER_TIMEOUT -> ETIMEDOUT;
            case INTERNAL_ERROR -> ECONNABORTED;
            case NETWORK_UNREACHABLE -> ENETUNREACH;
            case HOST_UNREACHABLE -> EHOSTUNREACH;
            case PROTOCOL_UNAVAILABLE -> ENOPROTOOPT;
            case SOURCE_ROUTE_FAILED -> EOPNOTSUPP;
            case HOST_DOWN -> EHOSTDOWN;
            case NOT_ON_NETWORK -> ENONET;
            case PROTOCOL_ERROR -> EPROTO;
            case NORMAL, ABORTED, ABORTED_UNREAD_DATA, ABORTED_DATA_AFTER_CLOSE, FIN_WAIT_2_TIMEOUT, LISTENER_CLOSED,
                 STACK_CLOSED -> null;
        };
    }

    /** The errno with this number, or null. */
    public static Errno byNumber(long number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
