package io.usertcp.sim;

import io.netty.buffer.ByteBuf;

/**
 * Sees every packet of a {@link SimulatedNetwork}: the ones it loses when they are sent, the ones
 * it delivers just before the receiving stack takes them. For traces and captures (format with
 * {@link io.usertcp.wire.TcpdumpFormatter}).
 */
@FunctionalInterface
public interface PacketTap {
    /** Sees nothing. */
    PacketTap NONE = (nowNanos, direction, fate, packet) -> { };

    /**
     * @param packet borrowed, valid only during the call: copy what you keep, do not release
     */
    void packet(long nowNanos, Direction direction, PacketFate fate, ByteBuf packet);
}
