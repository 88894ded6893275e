package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A scripted TCP segment: {@code < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK>}.
 *
 * @param inbound     {@code <} (from the script's remote to the stack) or {@code >} (from the stack)
 * @param ecn         {@code [noecn]}, {@code [ect0]}, {@code [ect1]}, {@code [ce]}, or null when not given
 * @param flags       {@link io.usertcp.wire.TcpFlags} bits ({@code .} is ACK, {@code E} ECE, {@code W} CWR)
 * @param flagsText   the flags as written
 * @param seqKnown    false for {@code ...(len)}: the sequence number is not checked (for the stack's SYN or
 *                    SYN-ACK, its live ISN then becomes script sequence number 0)
 * @param seqStart    first sequence number (script space), unsigned 32-bit
 * @param seqEnd      one past the last
 * @param length      payload bytes
 * @param ack         the ACK field, or -1 when not given
 * @param window      the window field, or -1 when not given (then not compared)
 * @param options     options in order, or null when none were written
 * @param anyOptions  {@code <...>}: options not compared
 */
public record PacketSpec(boolean inbound, String ecn, int flags, String flagsText, boolean seqKnown, long seqStart,
                         long seqEnd, int length, long ack, int window, List<TcpOptionSpec> options,
                         boolean anyOptions, long urgentPointer, int tos, int ttl) {

    public PacketSpec {
        options = options == null ? null : List.copyOf(options);
    }

    public boolean hasAck() {
        return ack >= 0;
    }

    public boolean hasWindow() {
        return window >= 0;
    }

    /** The segment as a script writes it. */
    public String format() {
        StringBuilder sb = new StringBuilder(inbound ? "< " : "> ");
        if (ecn != null || tos >= 0 || ttl >= 0) {
            List<String> ip = new java.util.ArrayList<>();
            if (ecn != null) {
                ip.add(ecn);
            }
            if (tos >= 0) {
                ip.add(String.format("tos 0x%x", tos));
            }
            if (ttl >= 0) {
                ip.add("ttl " + ttl);
            }
            sb.append('[').append(String.join(",", ip)).append("] ");
        }
        sb.append(flagsText).append(' ');
        sb.append(seqKnown ? seqStart + ":" + seqEnd : "...").append('(').append(length).append(')');
        if (hasAck()) {
            sb.append(" ack ").append(ack);
        }
        if (hasWindow()) {
            sb.append(" win ").append(window);
        }
        if (urgentPointer >= 0) {
            sb.append(" urg ").append(urgentPointer);
        }
        if (anyOptions) {
            sb.append(" <...>");
        } else if (options != null) {
            sb.append(options.stream().map(TcpOptionSpec::format).collect(Collectors.joining(",", " <", ">")));
        }
        return sb.toString();
    }
}
