/**
 * Wire formats: IPv4, ICMPv4 and TCP as they are on the wire.
 *
 * <p>Two kinds of types live here (DESIGN.md §3):
 * <ul>
 *   <li><b>views</b> ({@link io.usertcp.wire.Ipv4PacketView}, {@link io.usertcp.wire.TcpSegmentView},
 *       {@link io.usertcp.wire.Icmpv4MessageView}): reusable flyweights over a region of a
 *       {@link io.netty.buffer.ByteBuf}. {@code wrap(buf, offset, length)}, then {@code check()}
 *       which returns a {@link io.usertcp.wire.DropReason} or {@code null}; after a {@code null}
 *       every accessor is safe. Views use absolute {@code get}/{@code set} only and never move the
 *       buffer's reader or writer index. A view borrows its buffer: it never retains or releases it.</li>
 *   <li><b>values</b> ({@link io.usertcp.wire.Ipv4Header}, {@link io.usertcp.wire.TcpHeader},
 *       {@link io.usertcp.wire.TcpOptions}, {@link io.usertcp.wire.TcpFlags}): immutable records that
 *       say what a header means, with {@code parse(view)} and {@code emit(view)}. They hold no
 *       {@code ByteBuf}, so they are safe to log, compare and keep.</li>
 * </ul>
 *
 * <p>Nothing in this package throws on network input: malformed bytes are a {@code DropReason}.
 * Misuse of the API (a negative length, a value that does not fit its field) throws
 * {@link java.lang.IllegalArgumentException} with the value given and the range expected.
 *
 * <p>Pure (DESIGN.md §2): no clock, no threads, no randomness, no I/O. May depend on netty-buffer
 * only. Not thread-safe: a view belongs to the thread that uses it.
 */
package io.usertcp.wire;
