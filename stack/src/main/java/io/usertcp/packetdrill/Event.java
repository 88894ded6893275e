package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/** One line of a script: a time and what happens then. */
public sealed interface Event {

    EventTime time();

    /** 1-based line of the event in its script. */
    int line();

    /** 1-based column where the event starts. */
    int column();

    /** The event as written (for messages). */
    String text();

    /** What kind of event it is, for messages: {@code inbound packet}, {@code system call}... */
    default String kind() {
        if (this instanceof Packet p) {
            return p.packet().inbound() ? "inbound packet" : "outbound packet";
        }
        return this instanceof Syscall ? "system call" : this instanceof Command ? "command"
                : this instanceof Icmp ? "ICMP packet" : "code block";
    }

    /** {@code < ...} or {@code > ...}. */
    record Packet(EventTime time, int line, int column, String text, PacketSpec packet) implements Event {}

    /**
     * {@code connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)}.
     *
     * @param result the expected return value
     * @param errno  the expected errno name, or null
     */
    record Syscall(EventTime time, int line, int column, String text, String name, List<Expr> args, Expr result,
                   String errno) implements Event {
        public Syscall {
            args = List.copyOf(args);
        }

        public String call() {
            return name + args.stream().map(Expr::format).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /**
     * An ICMP message in ({@code <}) or out ({@code >}):
     * {@code < icmp unreachable frag_needed mtu 800 [0:10(10)]}.
     *
     * @param type    the ICMP type as written ({@code unreachable}, {@code time_exceeded}...)
     * @param code    the code as written ({@code host_unreachable}, {@code frag_needed}), or null
     * @param mtu     the next-hop MTU of frag_needed, or -1
     * @param quoted  the quoted TCP segment's range as written ({@code 0:10(10)}), or null
     */
    record Icmp(EventTime time, int line, int column, String text, boolean inbound, String type, String code, int mtu,
                String quoted) implements Event {}

    /** A backquoted shell command: {@code `sysctl -w net.inet.tcp.insecure_rst=1`}. */
    record Command(EventTime time, int line, int column, String text, String command) implements Event {}

    /** A {@code %{ ... }%} block (packetdrill runs it as Python on TCP_INFO). */
    record Code(EventTime time, int line, int column, String text, String code) implements Event {}
}
