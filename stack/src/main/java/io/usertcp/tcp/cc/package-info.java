/**
 * Congestion control behind one interface, {@link io.usertcp.tcp.cc.CongestionControl}, chosen per
 * connection through a {@link io.usertcp.tcp.cc.CongestionControlFactory}: NewReno (RFC 5681,
 * RFC 6582, RFC 3465 byte counting) and CUBIC (RFC 9438), both with the RFC 6928 initial window and
 * slow start after idle (RFC 5681 §4.1). {@link io.usertcp.tcp.cc.CongestionAlgorithm} names the
 * built-in algorithms; anyone can plug in another by implementing the two interfaces.
 *
 * <p>What lives here is only the window arithmetic: when to grow, by how much, and what to do on a
 * congestion signal. Loss detection, the fast-recovery state machine (RFC 6582 recover point, the
 * RFC 6675 scoreboard and pipe), RTT estimation and idle detection belong to the TCP sender, which
 * reports events here and reads {@code cwndBytes()} back.
 *
 * <p>Pure (DESIGN.md §2): no clock (time comes in as {@code nowNanos}, and only differences of it
 * are used), no threads, no randomness, no I/O, no buffers. Depends on nothing but {@code java.lang}.
 * Threads: a controller belongs to one connection on the stack's thread; nothing here is
 * thread-safe, and nothing here is shared between connections (factories and configs are immutable).
 */
package io.usertcp.tcp.cc;
