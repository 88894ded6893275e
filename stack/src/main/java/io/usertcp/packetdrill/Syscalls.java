package io.usertcp.packetdrill;

import java.util.List;
import java.util.Map;

/**
 * Turns a scripted system call into a call on a {@link SocketApi} (the stack's {@link SocketLayer},
 * or the kernel backend's real sockets): evaluates the arguments
 * (symbols such as {@code SOL_SOCKET}, {@code [1]}, {@code {onoff=1, linger=0}}), and for
 * {@code getsockopt} compares the value returned through the pointer with the scripted one.
 */
public final class Syscalls {
    private static final Map<String, Long> SYMBOLS = Map.ofEntries(
            Map.entry("AF_INET", 2L), Map.entry("PF_INET", 2L), Map.entry("SOCK_STREAM", 1L),
            Map.entry("IPPROTO_TCP", 6L), Map.entry("SOL_TCP", 6L), Map.entry("SOL_SOCKET", 1L), Map.entry("IPPROTO_IP", 0L),
            Map.entry("SHUT_RD", (long) SocketLayer.SHUT_RD), Map.entry("SHUT_WR", (long) SocketLayer.SHUT_WR),
            Map.entry("SHUT_RDWR", (long) SocketLayer.SHUT_RDWR), Map.entry("O_RDWR", (long) SocketLayer.O_RDWR),
            Map.entry("O_RDONLY", 0L), Map.entry("O_NONBLOCK", (long) SocketLayer.O_NONBLOCK),
            Map.entry("F_GETFL", 3L), Map.entry("F_SETFL", 4L), Map.entry("MSG_DONTWAIT", 0x40L), Map.entry("NULL", 0L),
            // SO_TIMESTAMPING's flags (include/uapi/linux/net_tstamp.h)
            Map.entry("SOF_TIMESTAMPING_TX_HARDWARE", 1L), Map.entry("SOF_TIMESTAMPING_TX_SOFTWARE", 1L << 1),
            Map.entry("SOF_TIMESTAMPING_RX_HARDWARE", 1L << 2), Map.entry("SOF_TIMESTAMPING_RX_SOFTWARE", 1L << 3),
            Map.entry("SOF_TIMESTAMPING_SOFTWARE", 1L << 4), Map.entry("SOF_TIMESTAMPING_SYS_HARDWARE", 1L << 5),
            Map.entry("SOF_TIMESTAMPING_RAW_HARDWARE", 1L << 6), Map.entry("SOF_TIMESTAMPING_OPT_ID", 1L << 7),
            Map.entry("SOF_TIMESTAMPING_TX_SCHED", 1L << 8), Map.entry("SOF_TIMESTAMPING_TX_ACK", 1L << 9),
            Map.entry("SOF_TIMESTAMPING_OPT_CMSG", 1L << 10), Map.entry("SOF_TIMESTAMPING_OPT_TSONLY", 1L << 11),
            Map.entry("SOF_TIMESTAMPING_OPT_STATS", 1L << 12));

    /** A call's result plus, for getsockopt, a disagreement about the value returned through the pointer. */
    public record Outcome(SyscallResult result, String outputProblem) {
        /** A result without an output value to check. */
        public static Outcome of(SyscallResult r) {
            return new Outcome(r, null);
        }
    }

    /** One attempt of a call; a blocked call is attempted again until it returns. */
    public interface Call {
        Outcome attempt();
    }

    /** Hooks the interpreter uses to follow the socket under test. */
    public interface Host {
        void socketCreated(int fd);

        void bound(int fd, int port);

        void listening(int fd);

        void connecting(int fd);

        void accepted(int fd);

        /** The script's header options (its ports among them). */
        ScriptHeader header();

        /** Where {@code bind(fd, ..., ...)} binds: {@code --bind_port}. */
        default int bindPort() {
            return header().bindPort();
        }

        int remoteAddress();

        /** The remote address as the script names it (packetdrill's 192.0.2.1, or --remote_ip); live, it is {@link #remoteAddress()}. */
        default int scriptRemoteAddress() {
            return remoteAddress();
        }

        /** Where {@code connect(fd, ..., ...)} connects: {@code --connect_port}. */
        default int connectPort() {
            return header().connectPort();
        }
    }

    /** A scripted call this runner cannot make. */
    public static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    private final SocketApi sockets;
    private final Comparison comparison;
    private final Host host;
    private final List<String> notes;
    private final List<String> skipped;

    /**
     * @param notes   where remarks go (buffer sizes not compared)
     * @param skipped where options accepted without effect are reported
     */
    public Syscalls(SocketApi sockets, Comparison comparison, Host host, List<String> notes, List<String> skipped) {
        this.sockets = sockets;
        this.comparison = comparison;
        this.host = host;
        this.notes = notes;
        this.skipped = skipped;
    }

    /** A call that makes a descriptor gets the number the script expects (packetdrill maps script fds to live ones). */
    private void preferScriptFd(Event.Syscall s) {
        if (s.result() instanceof Expr.Int want && want.value() >= 3 && want.value() < 65536) {
            sockets.preferFd((int) want.value());
        }
    }

    /**
     * Evaluates the arguments and returns the call, ready to attempt.
     *
     * @throws Unsupported when the call, an argument or a flag is not supported
     */
    public Call prepare(Event.Syscall s) {
        List<Expr> a = s.args();
        return switch (s.name()) {
            case "socket" -> () -> {
                preferScriptFd(s);
                SyscallResult r = sockets.socket();
                host.socketCreated((int) r.value());
                return Outcome.of(r);
            };
            case "bind" -> bind(a);
            case "listen" -> {
                int fd = fd(a, 0);
                int backlog = a.size() > 1 ? (int) integer(a.get(1)) : 0;
                yield () -> {
                    SyscallResult r = sockets.listen(fd, backlog, host.bindPort());
                    if (r.errno() == null) {
                        host.listening(fd);
                    }
                    return Outcome.of(r);
                };
            }
            case "accept", "accept4" -> {
                int fd = fd(a, 0);
                yield () -> {
                    preferScriptFd(s);
                    SyscallResult r = sockets.accept(fd);
                    if (!r.isBlocked() && r.errno() == null) {
                        host.accepted((int) r.value());
                    }
                    return Outcome.of(r);
                };
            }
            case "connect" -> {
                int fd = fd(a, 0);
                yield () -> {
                    SyscallResult r = sockets.connect(fd, host.remoteAddress(), host.connectPort());
                    host.connecting(fd);
                    return Outcome.of(r);
                };
            }
            case "read", "recv", "recvfrom" -> {
                int fd = fd(a, 0);
                int count = (int) integer(arg(a, 2, s));
                noFlags(s, a, 3);
                yield nullBuffer(a) ? () -> Outcome.of(SyscallResult.error(Errno.EFAULT, "a NULL buffer"))
                        : () -> Outcome.of(sockets.read(fd, count));
            }
            case "write", "send", "sendto" -> {
                int fd = fd(a, 0);
                int count = (int) integer(arg(a, 2, s));
                long flags = sendFlags(s, a, 3);
                boolean unspecified = s.name().equals("sendto") && a.size() > 4 && a.get(4) instanceof Expr.Symbol af
                        && af.name().equals("AF_UNSPEC");
                yield nullBuffer(a) ? () -> Outcome.of(SyscallResult.error(Errno.EFAULT, "a NULL buffer"))
                        : unspecified ? () -> Outcome.of(sockets.sendUnspecified(fd, count, flags, host.remoteAddress(),
                                host.connectPort()))
                        : () -> Outcome.of(sendOrConnect(fd, count, flags));
            }
            case "ioctl" -> ioctl(s, a);
            case "sendmsg" -> {
                int fd = fd(a, 0);
                int count = iovBytes(arg(a, 1, s));
                int[] iov = iovLengths(arg(a, 1, s));
                long flags = sendFlags(s, a, 2);
                // Several iovecs: the layout is kept (with MSG_ZEROCOPY Linux makes each one a page fragment).
                yield () -> Outcome.of(count == 0 && flags == 0 ? SyscallResult.ok(0)
                        : iov.length > 1 && (flags & SEND_FLAGS.get("MSG_FASTOPEN")) == 0 ? sockets.sendmsg(fd, iov, flags)
                        : sendOrConnect(fd, count, flags));
            }
            case "poll" -> poll(s, a);
            case "recvmsg" -> recvmsg(s, a);
            case "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait" -> epoll(s, a);
            case "open", "sendfile" -> file(s, a);
            case "pipe", "splice" -> pipe(s, a);
            case "close" -> {
                int fd = fd(a, 0);
                yield () -> Outcome.of(sockets.close(fd));
            }
            case "shutdown" -> {
                int fd = fd(a, 0);
                int how = (int) integer(arg(a, 1, s));
                yield () -> Outcome.of(sockets.shutdown(fd, how));
            }
            case "fcntl" -> fcntl(a, s);
            case "setsockopt" -> setsockopt(a, s);
            case "getsockopt" -> getsockopt(a, s);
            default -> throw new Unsupported("system call " + s.name() + "() is not supported");
        };
    }

    private Call bind(List<Expr> a) {
        int fd = fd(a, 0);
        int port = host.bindPort();
        if (a.size() > 1 && a.get(1) instanceof Expr.Struct st) {
            Expr p = st.field("sin_port");
            if (p != null) {
                port = (int) integer(p);
            }
        }
        int chosen = port;
        return () -> {
            SyscallResult r = sockets.bind(fd, chosen);
            if (r.errno() == null) {
                host.bound(fd, chosen);
            }
            return Outcome.of(r);
        };
    }

    private Call fcntl(List<Expr> a, Event.Syscall s) {
        int fd = fd(a, 0);
        long cmd = integer(arg(a, 1, s));
        if (cmd == 3) {
            return () -> Outcome.of(sockets.getFlags(fd));
        }
        if (cmd == 4) {
            long flags = integer(arg(a, 2, s));
            return () -> Outcome.of(sockets.setFlags(fd, flags));
        }
        throw new Unsupported("fcntl command " + a.get(1).format() + " is not supported");
    }

    private Call setsockopt(List<Expr> a, Event.Syscall s) {
        int fd = fd(a, 0);
        String name = optionName(arg(a, 2, s));
        Expr value = arg(a, 3, s);
        if (name.equals("SO_LINGER")) {
            int[] linger = linger(value);
            return () -> Outcome.of(sockets.setLinger(fd, linger[0] != 0, linger[1]));
        }
        if ((name.equals("TCP_MD5SIG") || name.equals("TCP_MD5SIG_EXT")) && value instanceof Expr.Struct md5sig) {
            io.usertcp.tcp.TcpMd5Key key = md5Key(md5sig, name.equals("TCP_MD5SIG_EXT"));
            return () -> Outcome.of(key == null ? SyscallResult.error(Errno.EINVAL, "TCP_MD5SIG: tcpm_keylen above 80 or "
                    + "tcpm_prefixlen above 32") : sockets.setMd5Key(fd, key));
        }
        long v = integer(value);
        return () -> {
            SyscallResult r = sockets.setOption(fd, name, v);
            if (r.errno() == null && r.detail() != null) {
                skipped.add("line " + s.line() + ": setsockopt " + r.detail());
                return Outcome.of(SyscallResult.ok(r.value()));
            }
            return Outcome.of(r);
        };
    }

    private Call getsockopt(List<Expr> a, Event.Syscall s) {
        int fd = fd(a, 0);
        String name = optionName(arg(a, 2, s));
        Expr expected = arg(a, 3, s);
        if (name.equals("SO_LINGER")) {
            return () -> {
                int[] got = sockets.getLinger(fd);
                if (got == null) {
                    return Outcome.of(SyscallResult.error(Errno.EBADF));
                }
                if (expected instanceof Expr.Ellipsis) {
                    return Outcome.of(SyscallResult.ok(0));
                }
                int[] want = linger(expected);
                String problem = want[0] == got[0] && want[1] == got[1] ? null
                        : "SO_LINGER is {onoff=" + got[0] + ", linger=" + got[1] + "}, the script expects " + expected.format();
                return new Outcome(SyscallResult.ok(0), problem);
            };
        }
        return () -> {
            SyscallResult r = sockets.getOption(fd, name);
            if (r.errno() != null) {
                return Outcome.of(r);
            }
            return new Outcome(SyscallResult.ok(0), optionValueProblem(name, expected, r.value()));
        };
    }

    private String optionValueProblem(String name, Expr expected, long actual) {
        if (expected instanceof Expr.Ellipsis) {
            return null;
        }
        Expr inner = expected instanceof Expr.Array arr && arr.elements().size() == 1 ? arr.elements().get(0) : expected;
        if (inner instanceof Expr.Ellipsis) {
            return null;
        }
        long want;
        if (inner instanceof Expr.Symbol sym && Errno.byName(sym.name()) != null) {
            want = Errno.byName(sym.name()).number();
        } else {
            want = integer(inner);
        }
        if (want == actual) {
            return null;
        }
        if (!comparison.comparesBufferSizes() && (name.equals("SO_RCVBUF") || name.equals("SO_SNDBUF"))) {
            notes.add(name + " is " + actual + " (the script expects " + want + "; buffer sizes are not compared in the "
                    + comparison.name().toLowerCase(java.util.Locale.ROOT) + " comparison)");
            return null;
        }
        String shown = name.equals("SO_ERROR") && Errno.byNumber(actual) != null ? Errno.byNumber(actual).name()
                : Long.toString(actual);
        return name + " is [" + shown + "], the script expects " + expected.format();
    }

    // ------------------------------------------------------------------------------------
    // Argument evaluation
    // ------------------------------------------------------------------------------------

    private static Expr arg(List<Expr> a, int i, Event.Syscall s) {
        if (i >= a.size()) {
            throw new Unsupported(s.name() + "() needs at least " + (i + 1) + " arguments");
        }
        return a.get(i);
    }

    private static int fd(List<Expr> a, int i) {
        if (a.isEmpty()) {
            throw new Unsupported("a file descriptor argument is missing");
        }
        return (int) integer(a.get(i));
    }

    private static String optionName(Expr e) {
        if (e instanceof Expr.Symbol s) {
            return s.name();
        }
        throw new Unsupported("socket option " + e.format() + ": expected a name like SO_LINGER");
    }

    /**
     * A {@code struct tcp_md5sig} (Linux include/uapi/linux/tcp.h) as a script writes it:
     * {@code {tcpm_addr={sin_addr=inet_addr("192.0.2.1")}, tcpm_keylen=5, tcpm_key="hello"}}, and
     * with TCP_MD5SIG_EXT {@code tcpm_flags=TCP_MD5SIG_FLAG_PREFIX} (1) and {@code tcpm_prefixlen};
     * {@code tcpm_addr} may also be {@code inet_addr(...)} alone, or {@code ...} for the script's
     * remote address. The key is {@code tcpm_keylen} bytes of {@code tcpm_key} (Linux
     * tcp_v4_parse_md5_keys(): a prefix only with the flag, at most 32; a key of at most 80 bytes).
     *
     * @return null for what Linux refuses with EINVAL
     */
    private io.usertcp.tcp.TcpMd5Key md5Key(Expr.Struct st, boolean ext) {
        Expr addr = st.field("tcpm_addr");
        if (addr instanceof Expr.Struct sa) {
            addr = sa.field("sin_addr");
        }
        int address;
        if (addr == null || addr instanceof Expr.Ellipsis) {
            address = host.remoteAddress();
        } else if (addr instanceof Expr.Call call && call.function().equals("inet_addr") && call.args().size() == 1
                && call.args().get(0) instanceof Expr.Str dotted) {
            address = io.usertcp.wire.Ipv4Address.parse(dotted.value());
        } else {
            throw new Unsupported("tcpm_addr " + addr.format() + ": expected {sin_addr=inet_addr(\"a.b.c.d\")}");
        }
        Expr flags = st.field("tcpm_flags");
        Expr prefix = st.field("tcpm_prefixlen");
        boolean prefixFlag = ext && flags != null && (integer(flags) & 1) != 0; // TCP_MD5SIG_FLAG_PREFIX
        int prefixLength = prefixFlag && prefix != null ? (int) integer(prefix) : 32;
        if (addr instanceof Expr.Call && prefixLength >= 0 && prefixLength <= 32
                && io.usertcp.wire.Ipv4Address.inPrefix(host.scriptRemoteAddress(), address, prefixLength)) {
            address = host.remoteAddress(); // a key that covers the script's remote side is for the live peer
        }
        Expr keyExpr = st.field("tcpm_key");
        byte[] secret = keyExpr instanceof Expr.Str str ? str.value().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)
                : new byte[0];
        Expr keylen = st.field("tcpm_keylen");
        int length = keylen != null ? (int) integer(keylen) : secret.length;
        if (length < 0 || length > io.usertcp.tcp.TcpMd5Key.MAX_KEY_LENGTH || prefixLength < 0 || prefixLength > 32) {
            return null; // Linux tcp_v4_parse_md5_keys(): EINVAL
        }
        return new io.usertcp.tcp.TcpMd5Key(address, prefixLength, java.util.Arrays.copyOf(secret, length));
    }

    /** {@code {onoff=1, linger=0}} or {@code {l_onoff=1, l_linger=0}} or {@code [1, 0]}. */
    private static int[] linger(Expr e) {
        if (e instanceof Expr.Struct st) {
            Expr on = st.field("onoff") != null ? st.field("onoff") : st.field("l_onoff");
            Expr secs = st.field("linger") != null ? st.field("linger") : st.field("l_linger");
            if (on == null && st.fields().size() == 2) {
                on = st.fields().get(0).value();
                secs = st.fields().get(1).value();
            }
            if (on != null && secs != null) {
                return new int[] {(int) integer(on), (int) integer(secs)};
            }
        }
        throw new Unsupported("SO_LINGER value " + e.format() + ": expected {onoff=N, linger=N}");
    }

    /** {@code ioctl(fd, SIOCINQ|FIONREAD, [N])}: the bytes ready to read; other requests are not emulated. */
    private Call ioctl(Event.Syscall s, List<Expr> a) {
        int fd = fd(a, 0);
        Expr request = arg(a, 1, s);
        if (!(request instanceof Expr.Symbol r) || !(r.name().equals("SIOCINQ") || r.name().equals("FIONREAD"))) {
            throw new Unsupported("ioctl " + request.format());
        }
        Expr expected = arg(a, 2, s);
        return () -> {
            if (!sockets.isOpen(fd)) {
                return Outcome.of(SyscallResult.error(Errno.EBADF));
            }
            long inQueue = sockets.readableBytes(fd);
            return new Outcome(SyscallResult.ok(0), optionValueProblem(r.name(), expected, inQueue));
        };
    }

    /** {@code write(4, NULL, 1000)}: the kernel answers EFAULT before looking at the socket. */
    private static boolean nullBuffer(List<Expr> a) {
        return a.size() > 1 && a.get(1) instanceof Expr.Symbol sym && sym.name().equals("NULL");
    }

    /** The names recvmsg scripts use (Linux's values): flags, control message levels and types, error origins. */
    private static final Map<String, Long> MESSAGE_SYMBOLS = Map.ofEntries(Map.entry("MSG_ERRQUEUE", 0x2000L),
            Map.entry("MSG_PEEK", 0x2L), Map.entry("MSG_DONTWAIT", 0x40L), Map.entry("MSG_TRUNC", 0x20L),
            Map.entry("CMSG_LEVEL_IP", 0L), Map.entry("SOL_IP", 0L), Map.entry("SOL_SOCKET", 1L), Map.entry("SOL_TCP", 6L),
            Map.entry("CMSG_TYPE_RECVERR", 11L), Map.entry("TCP_CM_INQ", 36L), Map.entry("SCM_TIMESTAMPING", 37L),
            Map.entry("SO_EE_ORIGIN_TIMESTAMPING", 4L), Map.entry("SO_EE_ORIGIN_ZEROCOPY", 5L),
            Map.entry("SO_EE_CODE_ZEROCOPY_COPIED", 1L), Map.entry("SCM_TSTAMP_SND", 0L), Map.entry("SCM_TSTAMP_SCHED", 1L),
            Map.entry("SCM_TSTAMP_ACK", 2L));
    /** struct sock_extended_err's fields: offset and size. */
    private static final Map<String, int[]> EXTENDED_ERROR = Map.of("ee_errno", new int[] {0, 4}, "ee_origin", new int[] {4, 1},
            "ee_type", new int[] {5, 1}, "ee_code", new int[] {6, 1}, "ee_pad", new int[] {7, 1}, "ee_info", new int[] {8, 4},
            "ee_data", new int[] {12, 4});

    /**
     * {@code recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[{cmsg_level=...,
     * cmsg_type=..., cmsg_data=...}]}, MSG_ERRQUEUE) = 0}: the returned msg_flags and control messages
     * against the script's, when the socket layer {@link SocketApi#receivesMessages() receives messages}.
     */
    private Call recvmsg(Event.Syscall s, List<Expr> a) {
        if (!sockets.receivesMessages()) {
            throw new Unsupported("system call recvmsg() is not supported");
        }
        int fd = fd(a, 0);
        if (!(arg(a, 1, s) instanceof Expr.Struct m)) {
            throw new Unsupported("msghdr " + a.get(1).format() + ": expected {msg_name(...)=..., msg_iov(N)=[...], ...}");
        }
        long count = 0;
        Long wantFlags = null;
        List<Expr> wantControl = null;
        for (Expr.Field f : m.fields()) {
            if (f.name().startsWith("msg_iov") && f.value() instanceof Expr.Array iov) {
                for (Expr e : iov.elements()) {
                    if (!(e instanceof Expr.Struct v) || v.fields().size() != 2) {
                        throw new Unsupported("iovec " + e.format() + ": expected {..., LEN}");
                    }
                    count += integer(v.field("iov_len") != null ? v.field("iov_len") : v.fields().get(1).value());
                }
            } else if (f.name().equals("msg_flags")) {
                wantFlags = messageValue(f.value());
            } else if (f.name().startsWith("msg_control") && f.value() instanceof Expr.Array control) {
                wantControl = control.elements();
            }
        }
        long flags = a.size() > 2 ? messageValue(a.get(2)) : 0;
        int bytes = (int) Math.min(count, Integer.MAX_VALUE);
        Long expectedFlags = wantFlags;
        List<Expr> expectedControl = wantControl;
        return () -> {
            List<SocketApi.ControlMessage> got = new java.util.ArrayList<>();
            int[] msgFlags = new int[1];
            SyscallResult r = sockets.recvmsg(fd, bytes, flags, got, msgFlags);
            if (r.errno() != null || r.isBlocked()) {
                return Outcome.of(r);
            }
            String problem = expectedFlags != null && expectedFlags != msgFlags[0]
                    ? "msg_flags is " + msgFlags[0] + ", the script expects " + expectedFlags
                    : expectedControl == null ? null : controlProblem(expectedControl, got);
            return new Outcome(r, problem);
        };
    }

    /** The first difference between the scripted control messages and the received ones, or null. */
    private String controlProblem(List<Expr> expected, List<SocketApi.ControlMessage> got) {
        if (expected.size() != got.size()) {
            return got.size() + " control message(s) received, the script expects " + expected.size();
        }
        for (int i = 0; i < expected.size(); i++) {
            if (!(expected.get(i) instanceof Expr.Struct c) || c.field("cmsg_level") == null || c.field("cmsg_type") == null) {
                throw new Unsupported("control message " + expected.get(i).format() + ": expected {cmsg_level=..., cmsg_type=..., cmsg_data=...}");
            }
            SocketApi.ControlMessage g = got.get(i);
            java.nio.ByteBuffer data = java.nio.ByteBuffer.wrap(g.data()).order(java.nio.ByteOrder.nativeOrder());
            if (messageValue(c.field("cmsg_level")) != g.level() || messageValue(c.field("cmsg_type")) != g.type()) {
                return "control message " + i + " is level " + g.level() + " type " + g.type() + ", the script expects "
                        + c.format();
            }
            Expr want = c.field("cmsg_data");
            if (want instanceof Expr.Struct fields && fields.field("scm_sec") != null) {
                // struct scm_timestamping's first timespec, in the script's time, within its tolerance
                long gotNanos = data.getLong(0) * 1_000_000_000L + data.getLong(8);
                long wantNanos = messageValue(fields.field("scm_sec")) * 1_000_000_000L
                        + (fields.field("scm_nsec") != null ? messageValue(fields.field("scm_nsec")) : 0);
                long tolerance = host.header().tolerance(wantNanos, wantNanos);
                if (data.capacity() < 16 || Math.abs(gotNanos - wantNanos) > tolerance) {
                    return "control message " + i + ": the timestamp is " + Interpreter.duration(gotNanos) + " s, the script"
                            + " expects " + Interpreter.duration(wantNanos) + " s (tolerance " + Interpreter.duration(tolerance) + " s)";
                }
            } else if (want instanceof Expr.Struct fields) {
                for (Expr.Field f : fields.fields()) {
                    int[] at = EXTENDED_ERROR.get(f.name());
                    if (at == null) {
                        throw new Unsupported("cmsg_data field " + f.name() + " (only struct sock_extended_err's ee_* are read)");
                    }
                    long value = at[1] == 4 ? data.getInt(at[0]) & 0xFFFF_FFFFL : data.get(at[0]) & 0xFF;
                    if (data.capacity() < at[0] + at[1] || value != messageValue(f.value())) {
                        return "control message " + i + ": " + f.name() + " is " + value + ", the script expects " + f.value().format();
                    }
                }
            } else if (want != null && (data.capacity() < 4 || (data.getInt(0) & 0xFFFF_FFFFL) != messageValue(want))) {
                return "control message " + i + ": cmsg_data is " + (data.capacity() < 4 ? "empty" : data.getInt(0) & 0xFFFF_FFFFL)
                        + ", the script expects " + want.format();
            }
        }
        return null;
    }

    /** A number, an OR of names ({@link #MESSAGE_SYMBOLS} among them) or numbers. */
    private static long messageValue(Expr e) {
        return symbolic(e, MESSAGE_SYMBOLS);
    }

    /** epoll's operations and event bits (Linux). */
    private static final Map<String, Long> EPOLL_SYMBOLS = Map.ofEntries(Map.entry("EPOLL_CTL_ADD", 1L),
            Map.entry("EPOLL_CTL_DEL", 2L), Map.entry("EPOLL_CTL_MOD", 3L), Map.entry("EPOLLIN", 0x1L), Map.entry("EPOLLPRI", 0x2L),
            Map.entry("EPOLLOUT", 0x4L), Map.entry("EPOLLERR", 0x8L), Map.entry("EPOLLHUP", 0x10L), Map.entry("EPOLLRDHUP", 0x2000L),
            Map.entry("EPOLLEXCLUSIVE", 1L << 28), Map.entry("EPOLLONESHOT", 1L << 30), Map.entry("EPOLLET", 1L << 31));

    /** splice(2)'s flags (include/linux/splice.h). */
    private static final Map<String, Long> SPLICE_FLAGS = Map.of("SPLICE_F_MOVE", 1L, "SPLICE_F_NONBLOCK", 2L,
            "SPLICE_F_MORE", 4L, "SPLICE_F_GIFT", 8L);

    /**
     * {@code pipe([5, 6])} (the two descriptors the script names, read end first) and
     * {@code splice(in, NULL, out, NULL, count, flags)}, where the socket layer has pipes.
     * google/packetdrill passes splice's offsets to the kernel as pointers (run_system_call.c
     * syscall_splice()): only NULL means something, so only NULL is taken.
     */
    private Call pipe(Event.Syscall s, List<Expr> a) {
        if (!sockets.pipes()) {
            throw new Unsupported("system call " + s.name() + "() is not supported");
        }
        if (s.name().equals("pipe")) {
            if (!(arg(a, 0, s) instanceof Expr.Array fds) || fds.elements().size() != 2) {
                throw new Unsupported("pipe() of something other than [READ_FD, WRITE_FD]");
            }
            int readFd = (int) integer(fds.elements().get(0));
            int writeFd = (int) integer(fds.elements().get(1));
            return () -> Outcome.of(sockets.pipe(readFd, writeFd));
        }
        int in = fd(a, 0);
        int out = fd(a, 2);
        if (integer(arg(a, 1, s)) != 0 || integer(arg(a, 3, s)) != 0) {
            throw new Unsupported("splice() with an offset other than NULL");
        }
        int count = (int) integer(arg(a, 4, s));
        int flags = (int) symbolic(arg(a, 5, s), SPLICE_FLAGS);
        return () -> Outcome.of(sockets.splice(in, out, count, flags));
    }

    /** {@code open(path, O_RDONLY)} and {@code sendfile(out, in, [offset] or NULL, count)}, where the socket layer has files. */
    private Call file(Event.Syscall s, List<Expr> a) {
        if (!sockets.files()) {
            throw new Unsupported("system call " + s.name() + "() is not supported");
        }
        if (s.name().equals("open")) {
            if (!(arg(a, 0, s) instanceof Expr.Str path)) {
                throw new Unsupported("open() of something other than a quoted path");
            }
            int flags = (int) symbolic(arg(a, 1, s), SYMBOLS);
            if (!sockets.emulatesFile(path.value())) {
                throw new Unsupported("open() of " + path.value() + ": here only the files the script's shell lines make"
                        + " (dd ... of=PATH) exist");
            }
            return () -> {
                preferScriptFd(s);
                return Outcome.of(sockets.open(path.value(), flags));
            };
        }
        int out = fd(a, 0);
        int in = fd(a, 1);
        Expr offset = arg(a, 2, s);
        long start = offset instanceof Expr.Array array && array.elements().size() == 1 ? integer(array.elements().get(0))
                : offset instanceof Expr.Array ? -2 : integer(offset) == 0 ? -1 : -2;
        if (start == -2) {
            throw new Unsupported("sendfile() with an offset other than [N] or NULL");
        }
        int count = (int) integer(arg(a, 3, s));
        return () -> Outcome.of(sockets.sendfile(out, in, start, count));
    }

    /**
     * {@code epoll_create(1) = 5}, {@code epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT|EPOLLET, fd=4})},
     * {@code epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1} (the first event checked), when the
     * socket layer {@link SocketApi#epolls() has epoll}.
     */
    private Call epoll(Event.Syscall s, List<Expr> a) {
        if (!sockets.epolls()) {
            throw new Unsupported("system call " + s.name() + "() is not supported");
        }
        if (s.name().startsWith("epoll_create")) {
            return () -> {
                preferScriptFd(s);
                return Outcome.of(sockets.epollCreate());
            };
        }
        int epfd = fd(a, 0);
        if (s.name().equals("epoll_ctl")) {
            int op = (int) symbolic(arg(a, 1, s), EPOLL_SYMBOLS);
            int fd = (int) integer(arg(a, 2, s));
            int events = a.size() > 3 && a.get(3) instanceof Expr.Struct ev && ev.field("events") != null
                    ? (int) symbolic(ev.field("events"), EPOLL_SYMBOLS) : 0;
            return () -> Outcome.of(sockets.epollCtl(epfd, op, fd, events));
        }
        Expr expected = arg(a, 1, s);
        int maxEvents = (int) integer(arg(a, 2, s));
        int timeout = (int) integer(arg(a, 3, s));
        return () -> {
            int[] first = new int[2];
            SyscallResult r = sockets.epollWait(epfd, maxEvents, timeout, first);
            String problem = null;
            if (r.errno() == null && r.value() > 0 && expected instanceof Expr.Struct ev) {
                Expr events = ev.field("events");
                Expr fd = ev.field("fd");
                if (events != null && symbolic(events, EPOLL_SYMBOLS) != (first[0] & 0xFFFF_FFFFL)) {
                    problem = "the first event's events are " + first[0] + ", the script expects " + events.format();
                } else if (fd != null && integer(fd) != first[1]) {
                    problem = "the first event is for fd " + first[1] + ", the script expects " + fd.format();
                }
            }
            return new Outcome(r, problem);
        };
    }

    /** A number, or an OR of names from {@code names} and numbers. */
    private static long symbolic(Expr e, Map<String, Long> names) {
        List<Expr> terms = e instanceof Expr.Or or ? or.terms() : List.of(e);
        long v = 0;
        for (Expr t : terms) {
            v |= t instanceof Expr.Symbol sym && names.containsKey(sym.name()) ? names.get(sym.name()) : integer(t);
        }
        return v;
    }

    /** poll(2)'s event bits (Linux). */
    private static final Map<String, Long> POLL_EVENTS = Map.of("POLLIN", 0x1L, "POLLPRI", 0x2L, "POLLOUT", 0x4L,
            "POLLERR", 0x8L, "POLLHUP", 0x10L, "POLLNVAL", 0x20L, "POLLRDNORM", 0x40L, "POLLWRNORM", 0x100L, "POLLRDHUP", 0x2000L);

    /**
     * {@code poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 1000) = 1}: the ready count, and each
     * descriptor's revents against the script's, when the socket layer {@link SocketApi#polls() polls}.
     */
    private Call poll(Event.Syscall s, List<Expr> a) {
        if (!sockets.polls()) {
            throw new Unsupported("system call poll() is not supported");
        }
        if (!(arg(a, 0, s) instanceof Expr.Array array)) {
            throw new Unsupported("poll() " + a.get(0).format() + ": expected [{fd=N, events=..., revents=...}, ...]");
        }
        int n = array.elements().size();
        int[] fds = new int[n];
        int[] events = new int[n];
        long[] expected = new long[n];
        for (int i = 0; i < n; i++) {
            if (!(array.elements().get(i) instanceof Expr.Struct p) || p.field("fd") == null || p.field("events") == null) {
                throw new Unsupported("pollfd " + array.elements().get(i).format() + ": expected {fd=N, events=..., revents=...}");
            }
            fds[i] = (int) integer(p.field("fd"));
            events[i] = (int) pollBits(p.field("events"));
            expected[i] = p.field("revents") == null ? -1 : pollBits(p.field("revents"));
        }
        int timeout = (int) integer(arg(a, 2, s));
        return () -> {
            int[] revents = new int[n];
            SyscallResult r = sockets.poll(fds, events, revents, timeout);
            String problem = null;
            for (int i = 0; i < n && r.errno() == null && problem == null; i++) {
                if (expected[i] >= 0 && revents[i] != expected[i]) {
                    problem = "revents of fd " + fds[i] + " is " + revents[i] + ", the script expects " + expected[i];
                }
            }
            return new Outcome(r, problem);
        };
    }

    private static long pollBits(Expr e) {
        return symbolic(e, POLL_EVENTS);
    }

    /** The MSG_* send flags scripts name (Linux's values), for a socket layer that {@link SocketApi#takesFlags() takes flags}. */
    private static final Map<String, Long> SEND_FLAGS = Map.of("MSG_DONTWAIT", 0x40L, "MSG_EOR", 0x80L,
            "MSG_NOSIGNAL", 0x4000L, "MSG_MORE", 0x8000L, "MSG_ZEROCOPY", 0x4000000L, "MSG_FASTOPEN", 0x20000000L);

    /** A send call's flags: evaluated when the socket layer takes them, otherwise only 0 is accepted. */
    private long sendFlags(Event.Syscall s, List<Expr> a, int i) {
        if (!sockets.takesFlags()) {
            noFlags(s, a, i);
            return 0;
        }
        if (a.size() <= i || a.get(i) instanceof Expr.Ellipsis) {
            return 0;
        }
        long flags = symbolic(a.get(i), SEND_FLAGS);
        if ((flags & ~sockets.emulatedSendFlags()) != 0) {
            throw new Unsupported(s.name() + "() flags " + a.get(i).format() + ": only "
                    + SEND_FLAGS.entrySet().stream().filter(f -> (f.getValue() & sockets.emulatedSendFlags()) != 0)
                            .map(Map.Entry::getKey).sorted().toList() + " are emulated");
        }
        return flags;
    }

    /** A send; with MSG_FASTOPEN it connects too, so the packets that follow are the new connection's. */
    private SyscallResult sendOrConnect(int fd, int count, long flags) {
        SyscallResult r = send(fd, count, flags);
        if ((flags & SEND_FLAGS.get("MSG_FASTOPEN")) != 0) {
            host.connecting(fd);
        }
        return r;
    }

    private SyscallResult send(int fd, int count, long flags) {
        return flags == 0 ? sockets.write(fd, count) : sockets.send(fd, count, flags, host.remoteAddress(), host.connectPort());
    }

    /** send/recv flags (MSG_FASTOPEN, MSG_ZEROCOPY, MSG_MORE...) change what the kernel does; only 0 is emulated. */
    private static void noFlags(Event.Syscall s, List<Expr> a, int i) {
        if (a.size() > i && !(a.get(i) instanceof Expr.Ellipsis) && !(a.get(i) instanceof Expr.Int n && n.value() == 0)) {
            throw new Unsupported(s.name() + "() flags " + a.get(i).format());
        }
    }

    /**
     * The bytes a msghdr carries: {@code {msg_name(...)=..., msg_iov(N)=[{..., LEN}, ...], msg_flags=0}}.
     * Control messages are not emulated.
     */
    /** The length of each iovec of a msghdr that {@link #iovBytes} accepted. */
    private static int[] iovLengths(Expr msghdr) {
        for (Expr.Field f : ((Expr.Struct) msghdr).fields()) {
            if (f.name().startsWith("msg_iov") && f.value() instanceof Expr.Array iov) {
                int[] lengths = new int[iov.elements().size()];
                for (int i = 0; i < lengths.length; i++) {
                    Expr.Struct v = (Expr.Struct) iov.elements().get(i);
                    lengths[i] = (int) integer(v.field("iov_len") != null ? v.field("iov_len") : v.fields().get(1).value());
                }
                return lengths;
            }
        }
        return new int[0];
    }

    private static int iovBytes(Expr msghdr) {
        if (!(msghdr instanceof Expr.Struct m)) {
            throw new Unsupported("msghdr " + msghdr.format() + ": expected {msg_name(...)=..., msg_iov(N)=[...], msg_flags=0}");
        }
        long total = 0;
        for (Expr.Field f : m.fields()) {
            if (f.name().startsWith("msg_iov")) {
                if (!(f.value() instanceof Expr.Array iov)) {
                    throw new Unsupported("msg_iov " + f.value().format() + ": expected [{..., LEN}, ...]");
                }
                for (Expr e : iov.elements()) {
                    if (!(e instanceof Expr.Struct v) || v.fields().size() != 2) {
                        throw new Unsupported("iovec " + e.format() + ": expected {..., LEN}");
                    }
                    Expr len = v.field("iov_len") != null ? v.field("iov_len") : v.fields().get(1).value();
                    total += integer(len);
                }
            } else if (f.name().startsWith("msg_control") && !(f.value() instanceof Expr.Array c && c.elements().isEmpty())) {
                throw new Unsupported("msghdr control messages (msg_control)");
            } else if (f.name().equals("msg_flags") && integer(f.value()) != 0) {
                throw new Unsupported("msg_flags " + f.value().format());
            }
        }
        if (total > Integer.MAX_VALUE) {
            throw new Unsupported("an iovec of " + total + " bytes");
        }
        return (int) total;
    }

    /** An integer argument: a number, a known symbol, [x], or an OR of those. */
    static long integer(Expr e) {
        if (e instanceof Expr.Int i) {
            return i.value();
        }
        if (e instanceof Expr.Symbol s) {
            Long v = SYMBOLS.get(s.name());
            if (v == null) {
                Errno errno = Errno.byName(s.name());
                if (errno != null) {
                    return errno.number();
                }
                throw new Unsupported("unknown symbol " + s.name());
            }
            return v;
        }
        if (e instanceof Expr.Array arr && arr.elements().size() == 1) {
            return integer(arr.elements().get(0));
        }
        if (e instanceof Expr.Or or) {
            long v = 0;
            for (Expr t : or.terms()) {
                v |= integer(t);
            }
            return v;
        }
        if (e instanceof Expr.Call c && (c.function().equals("htons") || c.function().equals("htonl")) && c.args().size() == 1) {
            return integer(c.args().get(0));
        }
        throw new Unsupported("expected an integer, found " + e.format());
    }
}
