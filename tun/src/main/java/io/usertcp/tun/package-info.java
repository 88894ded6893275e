/**
 * The Linux TUN device and network namespaces: where the stack meets the real kernel.
 *
 * <ul>
 *   <li>{@link io.usertcp.tun.NetworkNamespace}: a namespace this JVM creates and deletes, code on
 *       threads inside it ({@code setns}), processes inside it, and address/route set-up restricted
 *       to 198.18.0.0/15 ({@link io.usertcp.tun.BenchmarkRange});
 *   <li>{@link io.usertcp.tun.TunDevice}: {@code /dev/net/tun} attached with {@code TUNSETIFF}
 *       ({@code IFF_TUN | IFF_NO_PI}; room for {@code IFF_VNET_HDR} and {@code IFF_MULTI_QUEUE}),
 *       non-blocking;
 *   <li>{@link io.usertcp.tun.TunLink}: the {@link io.usertcp.link.Link} over it, with
 *       {@code awaitReadable}/{@code wakeup} for an event loop;
 *   <li>{@link io.usertcp.tun.TunSupport} and {@link io.usertcp.tun.TunUnavailableException}: one
 *       line saying what is missing when this cannot run here.
 * </ul>
 *
 * <p><b>Safety</b> (DESIGN.md §10): a TUN device opens only on a thread inside a live namespace
 * created by {@code NetworkNamespace} ({@code TunDevice.open} checks before any system call);
 * addresses and routes outside 198.18.0.0/15 are refused; namespaces are deleted by
 * {@code close()}, by a JVM shutdown hook as a last resort, and (when a JVM was killed) by the next
 * {@code create}.
 *
 * <p><b>Native calls</b> go through {@code LibC}, a JNA direct mapping ({@code Native.register}) with
 * primitive arguments and raw addresses: the hot path ({@code read}, {@code write}, {@code ppoll})
 * reads and writes Netty direct memory in place and allocates nothing but the packet buffer.
 * Failures are errno values ({@code Native.getLastError()}), never exceptions, on the data path.
 *
 * <p><b>Threads</b> (DESIGN.md §6): a {@code TunLink} belongs to one loop thread, which calls
 * {@code receive}, {@code transmit}, {@code awaitReadable} and, once it stopped waiting,
 * {@code close}; {@code wakeup()} and {@code stats()} are safe from any thread. Setting the
 * namespace is per thread in Linux, so {@code NetworkNamespace} keeps its own daemon threads that
 * entered it; a socket or TUN fd opened on one of them belongs to the namespace and may then be
 * used from any thread. {@code NetworkNamespace}, {@code TunDevice.close} and {@code TunSupport} are
 * thread-safe.
 *
 * <p><b>Ownership</b> (DESIGN.md §5): {@code TunLink.receive()} returns a pooled direct
 * {@code ByteBuf} the caller owns and must release; {@code TunLink.transmit(buf)} takes ownership
 * and releases it on every path. A {@code TunLink} owns its {@code TunDevice}; whoever opened a
 * device or created a namespace closes it (try-with-resources), devices before their namespace.
 *
 * <p>Depends on the stack ({@code io.usertcp.link}, {@code io.usertcp.wire}), JNA, Netty buffers
 * and SLF4J; requires Linux on x86-64 or AArch64.
 */
package io.usertcp.tun;
