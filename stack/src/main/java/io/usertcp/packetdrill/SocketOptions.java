package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;

/**
 * Socket options: what {@code setsockopt} stores on a {@link OpenSocket}, what
 * {@code getsockopt} reports, and how the options reach the connection (keep-alive, linger, user
 * timeout), as Linux's socket(7) and tcp(7) describe them.
 */
final class SocketOptions {
    private static final long SECOND_NANOS = 1_000_000_000L;

    private SocketOptions() {}

    /** Stores an integer option; a detail without errno means "accepted, no effect". */
    static SyscallResult set(OpenSocket s, String name, long value, TcpProfile profile) {
        return set(s, name, value, profile, 0);
    }

    /** @param fastOpenMode the stack's net.ipv4.tcp_fastopen now (TCP_FASTOPEN_CONNECT needs its client bit) */
    static SyscallResult set(OpenSocket s, String name, long value, TcpProfile profile, int fastOpenMode) {
        switch (name) {
            case "SO_REUSEADDR" -> s.reuseAddress = value != 0;
            case "SO_KEEPALIVE" -> s.keepAlive = value != 0;
            case "TCP_NODELAY" -> s.noDelay = value != 0;
            case "TCP_CORK" -> s.cork = value != 0;
            case "TCP_NOTSENT_LOWAT" -> s.notSentLowat = value & 0xFFFF_FFFFL; // an unsigned int
            case "TCP_MAXSEG" -> {
                // Linux do_tcp_setsockopt(): 0 clears it; else TCP_MIN_MSS (88) .. MAX_TCP_WINDOW (32767), before the SYN.
                if (value != 0 && (value < 88 || value > 32767)) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_MAXSEG " + value + " (expected: 88..32767)");
                }
                if (s.connection != null && s.connection.state() != TcpState.SYN_SENT) {
                    return new SyscallResult(0, null, "TCP_MAXSEG after the SYN exchange: Linux keeps it for nothing more here");
                }
                s.maxSegment = (int) value;
                if (s.listener != null && value != 0) {
                    s.listener.setMaxSegment((int) value); // on a listening socket: for the children still to come
                }
            }
            case "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT" -> {
                if (value < 1 || value > 32767) {
                    return SyscallResult.error(Errno.EINVAL, name + " " + value + " (expected: 1..32767)");
                }
                switch (name) {
                    case "TCP_KEEPIDLE" -> s.keepIdleSeconds = value;
                    case "TCP_KEEPINTVL" -> s.keepIntervalSeconds = value;
                    default -> s.keepCount = (int) value;
                }
            }
            case "TCP_USER_TIMEOUT" -> {
                if (value < 0) {
                    return SyscallResult.error(Errno.EINVAL);
                }
                s.userTimeoutMillis = value;
            }
            case "SO_RCVBUF", "SO_SNDBUF" -> {
                // An int as the kernel reads it: a negative value is a huge unsigned one, clamped to the maximum.
                long bytes = value < 0 ? Integer.MAX_VALUE : Math.min(value, Integer.MAX_VALUE);
                if (name.equals("SO_RCVBUF")) {
                    s.receiveBufferRequest = bytes;
                    s.receiveBufferApplied = false;
                    if (s.listener != null) {
                        s.listener.setReceiveBufferSize((int) bytes); // on a listening socket: for the children still to come
                    }
                } else {
                    s.sendBufferRequest = bytes;
                    s.sendBufferApplied = false;
                }
            }
            // Linux sock_setsockopt(): SO_ZEROCOPY on a TCP socket; tcp_setsockopt(): TCP_INQ (recvmsg_inq).
            case "SO_ZEROCOPY" -> s.zeroCopy = value != 0;
            case "SO_MARK" -> s.mark = value;
            case "TCP_INQ" -> s.inq = value != 0;
            case "TCP_KEEPINIT" -> {
                if (!profile.hasKeepInit()) {
                    return SyscallResult.error(Errno.ENOPROTOOPT, "TCP_KEEPINIT is FreeBSD's; the " + profile.name()
                            + " profile has no such option (an active open is bounded by SYN retransmissions)");
                }
                if (value < 0) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_KEEPINIT " + value + " (expected: >= 0 seconds)");
                }
                s.keepInitSeconds = value;
            }
            case "TCP_NOOPT" -> {
                if (!profile.hasNoOptions()) {
                    return SyscallResult.error(Errno.ENOPROTOOPT, "TCP_NOOPT is FreeBSD's; the " + profile.name()
                            + " profile has no such option");
                }
                s.noOptions = value != 0;
            }
            case "TCP_FASTOPEN" -> {
                // Linux do_tcp_setsockopt(): on a closed or listening socket, the Fast Open queue's length.
                if (!profile.hasFastOpen()) {
                    return SyscallResult.error(Errno.ENOPROTOOPT, "TCP_FASTOPEN: the " + profile.name()
                            + " profile does not model Fast Open");
                }
                if (value < 0 || s.connection != null) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_FASTOPEN " + value + " (expected: >= 0, before connect)");
                }
                s.fastOpenQueue = (int) Math.min(value, Integer.MAX_VALUE);
                if (s.listener != null) {
                    s.listener.setFastOpenQueueLimit(s.fastOpenQueue);
                }
            }
            case "TCP_FASTOPEN_CONNECT" -> {
                // Linux do_tcp_setsockopt(): 0 or 1; EOPNOTSUPP without the client bit of net.ipv4.tcp_fastopen.
                if (value < 0 || value > 1) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_FASTOPEN_CONNECT " + value + " (expected: 0 or 1)");
                }
                if (!profile.hasFastOpen() || (fastOpenMode & io.usertcp.tcp.FastOpen.CLIENT_ENABLE) == 0) {
                    return SyscallResult.error(Errno.EOPNOTSUPP, "net.ipv4.tcp_fastopen has no client bit (0x1)");
                }
                if (s.connection != null || s.listener != null) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_FASTOPEN_CONNECT on a connected socket");
                }
                s.fastOpenConnect = value != 0;
            }
            case "TCP_SYNCNT" -> {
                if (value < 1 || value > 127) {
                    return SyscallResult.error(Errno.EINVAL, "TCP_SYNCNT " + value + " (expected: 1..127)");
                }
                s.synCount = (int) value;
            }
            default -> {
                return SyscallResult.error(Errno.ENOPROTOOPT, name + " is not supported by this stack");
            }
        }
        return SyscallResult.ok(0);
    }

    /** The value of an integer option (not SO_ERROR, which the socket layer answers). */
    static SyscallResult get(OpenSocket s, String name, TcpConfig cfg) {
        return switch (name) {
            case "SO_REUSEADDR" -> SyscallResult.ok(s.reuseAddress ? 1 : 0);
            case "SO_KEEPALIVE" -> SyscallResult.ok(s.keepAlive ? 1 : 0);
            // A connection's own size once it has one (the freebsd profile rounds it to the MSS).
            case "SO_RCVBUF" -> SyscallResult.ok(s.connection != null ? s.connection.receiveBufferSize()
                    : bufferSize(s.receiveBufferRequest, cfg.receiveBufferBytes(), cfg, false));
            case "SO_SNDBUF" -> SyscallResult.ok(s.connection != null ? s.connection.sendBufferSize()
                    : bufferSize(s.sendBufferRequest, cfg.sendBufferBytes(), cfg, true));
            case "TCP_NODELAY" -> SyscallResult.ok(s.noDelay ? 1 : 0);
            case "TCP_KEEPIDLE" -> SyscallResult.ok(keepIdle(s, cfg));
            case "TCP_KEEPINTVL" -> SyscallResult.ok(keepInterval(s, cfg));
            case "TCP_KEEPCNT" -> SyscallResult.ok(keepCount(s, cfg));
            case "TCP_USER_TIMEOUT" -> SyscallResult.ok(s.userTimeoutMillis);
            case "TCP_MAXSEG" -> SyscallResult.ok(s.connection != null ? s.connection.mss() : s.maxSegment > 0 ? s.maxSegment : 536);
            case "TCP_CORK" -> SyscallResult.ok(s.cork ? 1 : 0);
            // Linux reports tp->notsent_lowat as set: 0 until then (the sysctl's value applies).
            case "TCP_NOTSENT_LOWAT" -> SyscallResult.ok(s.notSentLowat);
            case "TCP_KEEPINIT" -> SyscallResult.ok(s.keepInitSeconds);
            case "SO_ZEROCOPY" -> SyscallResult.ok(s.zeroCopy ? 1 : 0);
            case "SO_TIMESTAMPING" -> SyscallResult.ok(s.timestamping);
            case "SO_MARK" -> SyscallResult.ok(s.mark);
            case "TCP_INQ" -> SyscallResult.ok(s.inq ? 1 : 0);
            case "TCP_NOOPT" -> SyscallResult.ok(s.noOptions ? 1 : 0);
            case "TCP_FASTOPEN" -> SyscallResult.ok(s.listener != null ? s.listener.fastOpenQueueLimit() : Math.max(0, s.fastOpenQueue));
            case "TCP_FASTOPEN_CONNECT" -> SyscallResult.ok(s.fastOpenConnect ? 1 : 0);
            case "TCP_SYNCNT" -> SyscallResult.ok(s.synCount > 0 ? s.synCount : cfg.synRetries());
            default -> SyscallResult.error(Errno.ENOPROTOOPT, name + " is not supported by this stack");
        };
    }

    /** A socket buffer before there is a connection: as the profile makes the request, else the stack's default. */
    private static int bufferSize(long request, int byDefault, TcpConfig cfg, boolean send) {
        return request < 0 ? byDefault : cfg.profile().socketBufferSize(request, cfg.socketBufferMaxBytes(), send);
    }

    /** Pushes the socket's options down to its connection, if it has one that is open. */
    static void apply(OpenSocket s, SocketLayer.Environment env) {
        TcpConnection c = s.connection;
        if (c == null || c.isClosed()) {
            return;
        }
        TcpConfig cfg = env.config();
        c.setLinger(s.lingerOn, s.lingerSeconds);
        c.setKeepAlive(env.nowNanos(), s.keepAlive, keepIdle(s, cfg) * SECOND_NANOS, keepInterval(s, cfg) * SECOND_NANOS,
                keepCount(s, cfg));
        c.setUserTimeout(s.userTimeoutMillis * 1_000_000L);
        c.setNoDelay(env.nowNanos(), s.noDelay);
        if (s.sendBufferRequest >= 0 && !s.sendBufferApplied) {
            c.setSendBufferSize(env.nowNanos(), (int) s.sendBufferRequest);
            s.sendBufferApplied = true;
        }
        if (s.receiveBufferRequest >= 0 && !s.receiveBufferApplied) {
            c.setReceiveBufferSize(env.nowNanos(), (int) s.receiveBufferRequest);
            s.receiveBufferApplied = true;
        }
        if (c.corked() != s.cork) {
            c.setCork(env.nowNanos(), s.cork);
        }
        // Unset (0): the stack's default, net.ipv4.tcp_notsent_lowat.
        int lowat = s.notSentLowat == 0 ? cfg.notSentLowatBytes() : (int) Math.min(Integer.MAX_VALUE, s.notSentLowat);
        if (c.notSentLowat() != lowat) {
            c.setNotSentLowat(env.nowNanos(), lowat);
        }
        TcpState state = c.state();
        if (s.maxSegment > 0 && c.maxSegmentSettable()) {
            c.setMaxSegment(s.maxSegment);
        }
        boolean handshaking = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        if (s.noOptions && !state.isSynchronized() && !c.noOptions()) {
            c.setNoOptions(true);
        }
        if (s.synCount > 0) {
            c.setSynRetries(s.synCount);
        }
        if (s.md5Keys != null) {
            c.setMd5Key(s.md5Keys.lookup(c.id().remoteAddress())); // the key for the peer, or none (RFC 2385)
        }
        if (s.keepInitSeconds > 0 && handshaking && c.connectTimeoutNanos() == 0) {
            c.setConnectTimeout(env.nowNanos(), s.keepInitSeconds * SECOND_NANOS);
        }
    }

    /** TCP_KEEPIDLE in seconds: the socket's, else the stack's (Linux tcp_keepalive_time). */
    static long keepIdle(OpenSocket s, TcpConfig cfg) {
        return s.keepIdleSeconds > 0 ? s.keepIdleSeconds : cfg.keepaliveIdleNanos() / SECOND_NANOS;
    }

    static long keepInterval(OpenSocket s, TcpConfig cfg) {
        return s.keepIntervalSeconds > 0 ? s.keepIntervalSeconds : cfg.keepaliveIntervalNanos() / SECOND_NANOS;
    }

    static int keepCount(OpenSocket s, TcpConfig cfg) {
        return s.keepCount > 0 ? s.keepCount : cfg.keepaliveProbes();
    }
}
