/**
 * The sending half of a TCP connection (DESIGN.md §4): {@link io.usertcp.tcp.send.Sender} owns the
 * send buffer, the send sequence space (SND.UNA, SND.NXT, SND.WND, SND.WL1/2, ISS, our FIN), RTT
 * estimation with Karn's rule ({@code RttEstimator}, RFC 6298), loss recovery ({@code LossRecovery}
 * with the {@code SendScoreboard}: RFC 5681, 6582, 6675, 3042; and, chosen by the profile, the
 * {@code TransmitLog} of every segment's send time that {@code Rack} (RFC 8985 §6),
 * {@code LossProbe} (RFC 8985 §7), {@code Prr} (RFC 6937) and {@code RecoveryUndo} (RFC 2883,
 * RFC 5682, RFC 3522) work on, driven by {@code RackRecovery} as Linux tcp_fastretrans_alert()),
 * ECN's reduction ({@code CwrState}, RFC 3168), the congestion controller and the persist state.
 *
 * <p>May depend on {@code io.usertcp.tcp} values ({@code TcpConfig}, {@code TcpProfile}),
 * {@code io.usertcp.tcp.cc}, {@code wire}, {@code core} and netty-buffer; never on the connection,
 * segment arrival, the transmitter or the receiver ({@code SenderReceiverArchitectureTest}). Only
 * {@code Sender}, its loss-recovery face {@code RecoverySender} (timers, TCP_INFO counts) and
 * {@code RecoveryPhase} are public, for the connection in the parent package: they are not an
 * application API.
 *
 * <p>Threads: the stack's thread only. Buffers: the send buffer holds retained slices of what the
 * application passed to SEND and releases them as the peer acknowledges.
 */
package io.usertcp.tcp.send;
