package io.usertcp.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.wire.InternetChecksum;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpSegmentView;

/**
 * One prebuilt datagram from the scripted peer, reused for every invocation of a benchmark: its
 * sequence number, acknowledgment number and timestamps are rewritten in place, with the TCP
 * checksum patched by RFC 1624 (eqn. 3) instead of recomputed, so that rewriting costs a few ns
 * and allocates nothing. The stack still verifies the whole checksum on receipt.
 *
 * <p>Ownership: this object owns one reference to the packet. {@link #lend()} adds a reference
 * for {@code TcpStack.receive}, which takes it and releases it; what the stack keeps beyond the call
 * (a retained slice in the receive buffer or the reassembly queue) holds the memory until the
 * application reads it, so a caller must not rewrite the packet while {@link #inUseByStack()} is
 * true. {@link #close()} releases this object's reference.
 */
final class PeerSegment implements AutoCloseable {
    private static final int SOURCE_PORT = 0;
    private static final int SEQ = 4;
    private static final int ACK = 8;
    private static final int CHECKSUM = 16;
    /** {@code nop,nop,TS}: the timestamp option starts 2 bytes into the option area. */
    private static final int TS_KIND = TcpSegmentView.MIN_HEADER_LENGTH + 2;
    private static final int TS_VAL = TS_KIND + 2;
    private static final int TS_ECR = TS_KIND + 6;

    private static final int IP_CHECKSUM = 10;
    private static final int IP_SOURCE = 12;

    private final ByteBuf packet;
    private final int ip;
    private final int tcp;
    private final boolean timestamps;

    /**
     * @param packet a checked IPv4 + TCP datagram; ownership moves here
     */
    PeerSegment(ByteBuf packet) {
        this.packet = packet;
        Ipv4PacketView view = new Ipv4PacketView().wrap(packet, packet.readerIndex(), packet.readableBytes());
        this.ip = packet.readerIndex();
        this.tcp = ip + view.headerLength();
        this.timestamps = new TcpSegmentView().wrap(view).optionsLength() >= 12
                && packet.getUnsignedByte(tcp + TS_KIND) == TcpOptionKind.TIMESTAMPS;
    }

    int seq() {
        return packet.getInt(tcp + SEQ);
    }

    void setSeq(int seq) {
        rewrite(SEQ, seq);
    }

    void setAck(int ack) {
        rewrite(ACK, ack);
    }

    /**
     * Makes the datagram come from another peer: the IPv4 source address (header checksum patched)
     * and the TCP source port (TCP checksum patched for both, as the pseudo-header holds the address).
     */
    void setSource(int address, int port) {
        int oldAddress = packet.getInt(ip + IP_SOURCE);
        packet.setInt(ip + IP_SOURCE, address);
        int ipChecksum = packet.getUnsignedShort(ip + IP_CHECKSUM);
        packet.setShort(ip + IP_CHECKSUM, InternetChecksum.update32(ipChecksum, oldAddress, address));
        int oldPort = packet.getUnsignedShort(tcp + SOURCE_PORT);
        packet.setShort(tcp + SOURCE_PORT, port);
        int checksum = packet.getUnsignedShort(tcp + CHECKSUM);
        checksum = InternetChecksum.update32(checksum, oldAddress, address);
        packet.setShort(tcp + CHECKSUM, InternetChecksum.update16(checksum, oldPort, port));
    }

    /** Requires the {@code nop,nop,TS} layout {@link ScriptedPeer} builds. */
    void setTsVal(int tsVal) {
        requireTimestamps();
        rewrite(TS_VAL, tsVal);
    }

    void setTsEcr(int tsEcr) {
        requireTimestamps();
        rewrite(TS_ECR, tsEcr);
    }

    /**
     * One more reference to the packet, for {@code TcpStack.receive} to take.
     *
     * @return the packet with its reference count raised by one; ownership of that reference moves to the caller
     */
    ByteBuf lend() {
        return packet.retain();
    }

    /** Whether the stack still holds part of the packet (unread data or reassembly). */
    boolean inUseByStack() {
        return packet.refCnt() > 1;
    }

    private void rewrite(int field, int value) {
        int old = packet.getInt(tcp + field);
        packet.setInt(tcp + field, value);
        int checksum = packet.getUnsignedShort(tcp + CHECKSUM);
        packet.setShort(tcp + CHECKSUM, InternetChecksum.update32(checksum, old, value));
    }

    private void requireTimestamps() {
        if (!timestamps) {
            throw new IllegalStateException("segment has no nop,nop,TS option (expected: built with timestamps)");
        }
    }

    @Override
    public void close() {
        packet.release();
    }
}
