/**
 * IPv4 input policy: which datagrams this host accepts and for which upper layer (RFC 791,
 * RFC 1122 §3.2.1), on top of the structural checks of {@link io.usertcp.wire}.
 *
 * <p>Pure (DESIGN.md §2): no clock, threads, randomness or I/O. Depends on {@code wire} and
 * netty-buffer. Not thread-safe: one decoder per stack thread. Buffers are borrowed.
 */
package io.usertcp.ip;
