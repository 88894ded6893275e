/**
 * The receiving half of a TCP connection (DESIGN.md §4): {@link io.usertcp.tcp.receive.Receiver}
 * owns the receive sequence space (IRS, RCV.NXT, the advertised right edge), the receive buffer,
 * reassembly of out-of-order data with the SACK blocks it reports ({@code ReassemblyQueue}, RFC
 * 2018), TS.Recent and PAWS (RFC 7323) and the ACK policy (RFC 9293 §3.8.6.3, Linux quick ACK and
 * interactive modes where the profile has them).
 *
 * <p>May depend on {@code io.usertcp.tcp} values ({@code TcpConfig}, {@code TcpProfile}),
 * {@code wire} and netty-buffer; never on the connection, segment arrival, the transmitter or the
 * sender ({@code SenderReceiverArchitectureTest}). Only {@code Receiver} is public, for the
 * connection in the parent package: it is not an application API.
 *
 * <p>Threads: the stack's thread only. Buffers: what outlives a call is a retained slice of the
 * inbound packet, released when read or when the connection is freed.
 */
package io.usertcp.tcp.receive;
