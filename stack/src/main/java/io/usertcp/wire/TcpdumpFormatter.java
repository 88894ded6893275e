package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * One line per packet in the notation of {@code tcpdump -n -S} (absolute sequence numbers), so that
 * our traces read like the captures people already know:
 * <pre>
 * 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 100, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
 * 198.18.0.1 > 198.18.0.2: ICMP echo request, id 7, seq 1, length 64
 * </pre>
 * tcpdump prefixes "IP "; this formatter leaves that to the caller. Malformed packets give a line
 * that says what is wrong instead of throwing. Allocates: for logs and tools, not the hot path.
 */
public final class TcpdumpFormatter {
    private TcpdumpFormatter() {}

    /**
     * Formats the IPv4 datagram in {@code length} bytes of {@code buf} at {@code offset}.
     *
     * @param buf borrowed; not modified
     */
    public static String format(ByteBuf buf, int offset, int length) {
        Ipv4PacketView ip = new Ipv4PacketView().wrap(buf, offset, length);
        DropReason reason = ip.check();
        if (reason != null) {
            return "malformed IPv4 (" + reason + "), " + length + " bytes";
        }
        String source = Ipv4Address.format(ip.sourceAddress());
        String destination = Ipv4Address.format(ip.destinationAddress());
        if (ip.fragmentOffset() != 0) {
            return source + " > " + destination + ": ip-proto-" + ip.protocol();
        }
        return switch (ip.protocol()) {
            case Ipv4PacketView.PROTOCOL_TCP -> formatTcp(ip, source, destination);
            case Ipv4PacketView.PROTOCOL_ICMP -> formatIcmp(ip, source, destination);
            default -> source + " > " + destination + ": ip-proto-" + ip.protocol() + " " + ip.payloadLength();
        };
    }

    /** Formats the readable bytes of {@code buf}. @param buf borrowed */
    public static String format(ByteBuf buf) {
        return format(buf, buf.readerIndex(), buf.readableBytes());
    }

    private static String formatTcp(Ipv4PacketView ip, String source, String destination) {
        TcpSegmentView tcp = new TcpSegmentView().wrap(ip);
        DropReason reason = tcp.check();
        if (reason != null) {
            return source + " > " + destination + ": malformed TCP (" + reason + "), length " + ip.payloadLength();
        }
        StringBuilder sb = new StringBuilder(128)
                .append(source).append('.').append(tcp.sourcePort()).append(" > ")
                .append(destination).append('.').append(tcp.destinationPort()).append(": Flags [")
                .append(TcpFlags.format(tcp.flags())).append(']');
        int flags = tcp.flags();
        int payload = tcp.payloadLength();
        if (payload > 0 || (flags & (TcpFlags.SYN | TcpFlags.FIN | TcpFlags.RST)) != 0) {
            sb.append(", seq ").append(SeqNum.unsigned(tcp.seq()));
            if (payload > 0) {
                sb.append(':').append(SeqNum.unsigned(tcp.seq() + payload));
            }
        }
        if ((flags & TcpFlags.ACK) != 0) {
            sb.append(", ack ").append(SeqNum.unsigned(tcp.ack()));
        }
        sb.append(", win ").append(tcp.window());
        if ((flags & TcpFlags.URG) != 0) {
            sb.append(", urg ").append(tcp.urgentPointer());
        }
        if (tcp.optionsLength() > 0) {
            sb.append(", options ").append(TcpOptions.parse(tcp).format());
        }
        return sb.append(", length ").append(payload).toString();
    }

    private static String formatIcmp(Ipv4PacketView ip, String source, String destination) {
        Icmpv4MessageView icmp = new Icmpv4MessageView().wrap(ip);
        String head = source + " > " + destination + ": ICMP ";
        if (icmp.check() != null) {
            return head + "truncated, length " + ip.payloadLength();
        }
        String body = switch (icmp.type()) {
            case Icmpv4MessageView.TYPE_ECHO_REQUEST -> "echo request, id " + icmp.identifier() + ", seq " + icmp.sequenceNumber();
            case Icmpv4MessageView.TYPE_ECHO_REPLY -> "echo reply, id " + icmp.identifier() + ", seq " + icmp.sequenceNumber();
            case Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE -> unreachable(icmp);
            case Icmpv4MessageView.TYPE_TIME_EXCEEDED -> "time exceeded in-transit";
            default -> "type-#" + icmp.type();
        };
        return head + body + ", length " + icmp.length();
    }

    /** tcpdump's wording for the common unreachable codes; port unreachable names the quoted port. */
    private static String unreachable(Icmpv4MessageView icmp) {
        Ipv4PacketView quoted = new Ipv4PacketView().wrap(icmp.buffer(), icmp.bodyOffset(), icmp.bodyLength());
        boolean quoteOk = icmp.bodyLength() >= Icmpv4MessageView.MIN_QUOTE_LENGTH && quoted.version() == 4
                && quoted.headerLength() >= Ipv4PacketView.MIN_HEADER_LENGTH
                && quoted.headerLength() + 4 <= icmp.bodyLength();
        String dst = quoteOk ? Ipv4Address.format(quoted.destinationAddress()) : "?";
        return switch (icmp.code()) {
            case 0 -> "net " + dst + " unreachable";
            case 1 -> "host " + dst + " unreachable";
            case 2 -> dst + " protocol " + (quoteOk ? quoted.protocol() : "?") + " unreachable";
            case Icmpv4MessageView.CODE_PORT_UNREACHABLE -> {
                if (!quoteOk) {
                    yield "port unreachable";
                }
                int port = icmp.buffer().getUnsignedShort(quoted.payloadOffset() + 2);
                String proto = quoted.protocol() == Ipv4PacketView.PROTOCOL_UDP ? "udp"
                        : quoted.protocol() == Ipv4PacketView.PROTOCOL_TCP ? "tcp" : "ip-proto-" + quoted.protocol();
                yield dst + " " + proto + " port " + port + " unreachable";
            }
            case Icmpv4MessageView.CODE_FRAGMENTATION_NEEDED -> dst + " unreachable - need to frag (mtu " + icmp.nextHopMtu() + ")";
            default -> dst + " unreachable - code " + icmp.code();
        };
    }
}
