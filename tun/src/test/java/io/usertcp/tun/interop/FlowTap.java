package io.usertcp.tun.interop;

import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.ForwardingLink;
import io.usertcp.runtime.WaitableLink;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A link layer that watches, and changes nothing: for each connection of the kernel with our stack
 * (keyed by the kernel's port) the sequence numbers each side has used, as an on-path observer sees
 * them. Datagrams an attacker injected (TTL {@link #INJECTED_TTL}) are not taken as the kernel's.
 * Runs on the stack's thread; read from any thread.
 */
final class FlowTap extends ForwardingLink {
    /** The TTL the adversarial tests give their injected datagrams, so that the tap can tell them apart. */
    static final int INJECTED_TTL = 17;

    /** What was seen of one connection. Fields are written by the stack's thread only. */
    static final class Flow {
        volatile int kernelIsn;
        volatile int kernelNext;
        volatile int stackIsn;
        volatile int stackNext;
        volatile boolean kernelSynSeen;
        volatile boolean stackSynSeen;
    }

    private final Map<Integer, Flow> flows = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong injectedSeen = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong injectedBrokenSeen = new java.util.concurrent.atomic.AtomicLong();
    private final Ipv4PacketView ip = new Ipv4PacketView();
    private final TcpSegmentView tcp = new TcpSegmentView();
    private final Ipv4PacketView outIp = new Ipv4PacketView();
    private final TcpSegmentView outTcp = new TcpSegmentView();

    FlowTap(WaitableLink inner) {
        super(inner);
    }

    /** Injected datagrams that reached the stack. */
    long injectedSeen() {
        return injectedSeen.get();
    }

    /** Injected datagrams that reached the stack with a TCP header or checksum that does not check. */
    long injectedBrokenSeen() {
        return injectedBrokenSeen.get();
    }

    /** The flow of the kernel's port {@code kernelPort}, or null if none was seen. */
    Flow flow(int kernelPort) {
        return flows.get(kernelPort);
    }

    @Override
    public ByteBuf receive() {
        ByteBuf packet = inner.receive();
        if (packet != null && injected(packet)) {
            return packet;
        }
        if (packet != null && tcpOf(packet, ip, tcp)) {
            Flow f = flows.computeIfAbsent(tcp.sourcePort(), p -> new Flow());
            int end = tcp.seq() + tcp.payloadLength() + ((tcp.flags() & (TcpFlags.SYN | TcpFlags.FIN)) != 0 ? 1 : 0);
            if ((tcp.flags() & TcpFlags.SYN) != 0 && (tcp.flags() & TcpFlags.ACK) == 0) {
                f.kernelIsn = tcp.seq();
                f.kernelSynSeen = true;
                f.kernelNext = end;
            } else if (f.kernelSynSeen && end - f.kernelNext > 0) {
                f.kernelNext = end;
            }
        }
        return packet;
    }

    @Override
    public void transmit(ByteBuf packet) {
        if (tcpOf(packet, outIp, outTcp)) {
            Flow f = flows.computeIfAbsent(outTcp.destinationPort(), p -> new Flow());
            int flags = outTcp.flags();
            int end = outTcp.seq() + outTcp.payloadLength() + ((flags & (TcpFlags.SYN | TcpFlags.FIN)) != 0 ? 1 : 0);
            if ((flags & TcpFlags.SYN) != 0) {
                f.stackIsn = outTcp.seq();
                f.stackSynSeen = true;
                f.stackNext = end;
            } else if (f.stackSynSeen && end - f.stackNext > 0) {
                f.stackNext = end;
            }
        }
        inner.transmit(packet);
    }

    private boolean injected(ByteBuf packet) {
        ip.wrap(packet, packet.readerIndex(), packet.readableBytes());
        if (ip.check() != null || ip.ttl() != INJECTED_TTL) {
            return false;
        }
        injectedSeen.incrementAndGet();
        if (ip.protocol() == Ipv4PacketView.PROTOCOL_TCP
                && (tcp.wrap(ip).check() != null || !tcp.checksumValid(ip.sourceAddress(), ip.destinationAddress()))) {
            injectedBrokenSeen.incrementAndGet();
        }
        return true;
    }

    private static boolean tcpOf(ByteBuf packet, Ipv4PacketView ip, TcpSegmentView tcp) {
        ip.wrap(packet, packet.readerIndex(), packet.readableBytes());
        return ip.check() == null && ip.protocol() == Ipv4PacketView.PROTOCOL_TCP && tcp.wrap(ip).check() == null;
    }
}
