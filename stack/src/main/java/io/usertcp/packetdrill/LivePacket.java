package io.usertcp.packetdrill;

import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpHeader;

/**
 * A packet the stack sent, decoded at once into values (its buffer is released on capture).
 *
 * @param timeNanos   virtual time it was handed to the link
 * @param protocol    the IPv4 protocol; {@code tcp} is null unless it is 6
 * @param tos         the IPv4 TOS byte (ECN in its low two bits)
 * @param source      IPv4 source address
 * @param destination IPv4 destination address
 * @param tcp         the TCP header, options included
 * @param optionBytes the options area as sent, padding included
 * @param payloadLength TCP payload bytes
 */
public record LivePacket(long timeNanos, int protocol, int tos, int source, int destination, TcpHeader tcp,
                         byte[] optionBytes, int payloadLength) {

    public boolean isTcp() {
        return tcp != null;
    }

    public long seq() {
        return SeqNum.unsigned(tcp.seq());
    }

    public long ack() {
        return SeqNum.unsigned(tcp.ack());
    }

    public int ecn() {
        return tos & 0x3;
    }
}
