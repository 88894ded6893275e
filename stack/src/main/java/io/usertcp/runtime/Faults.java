package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.ConnectionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the runner does with an exception the stack did not expect (a bug in the stack, in an
 * observer or in an application's handler): it decides whether the thread may go on, logs it at
 * ERROR and counts it. Stack thread only.
 *
 * <p>Contained: every {@link RuntimeException}, every {@link Error} but a
 * {@link VirtualMachineError}, and an {@link OutOfMemoryError} for <em>direct</em> memory (Netty's
 * pool or {@code ByteBuffer.allocateDirect} ran out: the packet being handled is dropped, counted
 * as {@code UsertcpNoMemDrops}, and the next may well find memory again). Not contained: other
 * virtual-machine errors (heap exhausted, stack overflow, internal errors), after which nothing
 * the thread does can be trusted; the runner's thread ends and every caller hears why.
 */
final class Faults {
    private static final Logger log = LoggerFactory.getLogger(StackRunner.class);

    private final StackStats stats;

    Faults(StackStats stats) {
        this.stats = stats;
    }

    /**
     * Contains {@code e}, or rethrows it when the thread must end.
     *
     * @param where what the stack was doing, for the log line ("a packet for 198.18.0.1:80 ...")
     */
    void contain(Throwable e, String where) {
        if (e instanceof OutOfMemoryError oom && isDirectMemoryExhausted(oom)) {
            noMemory(oom, "handling " + where);
            return;
        }
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
        stats.increment(Counter.UsertcpStackFaults);
        log.error("unexpected failure while handling {}; contained, the stack goes on serving", where, e);
    }

    /** A direct allocation failed: what was being handled is dropped and counted; heap exhaustion is rethrown. */
    void noMemory(OutOfMemoryError e, String what) {
        if (!isDirectMemoryExhausted(e)) {
            throw e;
        }
        stats.increment(Counter.UsertcpNoMemDrops);
        log.error("out of direct memory: {}; the packet is dropped ({})", what, e.toString());
    }

    /**
     * Whether {@code e} says direct memory ran out: Netty's {@code OutOfDirectMemoryError}, or the
     * JDK's "Direct buffer memory" from {@code ByteBuffer.allocateDirect}.
     */
    static boolean isDirectMemoryExhausted(Throwable e) {
        if (!(e instanceof OutOfMemoryError)) {
            return false;
        }
        String message = String.valueOf(e.getMessage());
        return e.getClass().getName().endsWith("OutOfDirectMemoryError")
                || message.contains("Direct buffer memory") || message.contains("direct memory");
    }

    // The four-tuple of the packet being handled, read before the stack takes (and releases) it:
    // primitives, so the hot path allocates nothing (DESIGN.md §11).
    private boolean tupleKnown;
    private int tupleLocal;
    private int tupleRemote;
    private int tuplePorts;

    /**
     * Remembers the four-tuple of an IPv4 TCP packet, from our side (its destination is local), or
     * that there is none (not TCP, too short). Reads absolute bytes; indices do not move.
     *
     * @param skip bytes in front of the datagram (a virtio-net header)
     */
    void remember(ByteBuf packet, int skip) {
        int at = packet.readerIndex() + skip;
        int tcp = RawDatagram.tcpHeader(packet, at, packet.readableBytes() - skip);
        tupleKnown = tcp >= 0;
        if (tupleKnown) {
            tupleRemote = RawDatagram.source(packet, at);
            tupleLocal = RawDatagram.destination(packet, at);
            tuplePorts = packet.getInt(tcp); // source port (theirs), destination port (ours)
        }
    }

    /** The tuple {@link #remember} read, or null. */
    ConnectionId rememberedTuple() {
        return tupleKnown ? new ConnectionId(tupleLocal, tuplePorts & 0xFFFF, tupleRemote, tuplePorts >>> 16) : null;
    }
}
