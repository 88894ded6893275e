/**
 * TCP (RFC 9293) as a pure, clock-injected state machine, and the {@link io.usertcp.tcp.TcpStack}
 * that owns connections, listeners, TIME-WAIT entries and ephemeral ports.
 *
 * <p>Shape (DESIGN.md §4): {@link io.usertcp.tcp.TcpConnection} holds the TCB, buffers, timer table
 * and the user calls; {@code SegmentArrival} follows RFC 9293 §3.10.7 check by check;
 * {@code TcpOutput} decides what to send from the flags input and timers raised (input never
 * writes to the link); {@code TcpTimers} says what each timer does; {@code PassiveOpen} and
 * {@link io.usertcp.tcp.TcpListener} are the LISTEN side with SYN cookies; {@code TimeWaitTable}
 * keeps TIME-WAIT as compact entries. Behaviour is a {@link io.usertcp.tcp.TcpConfig}.
 *
 * <p>Reliable transfer: {@code SendBuffer}, {@code ReceiveBuffer} and {@code ReassemblyQueue} hold
 * the bytes; {@code RttEstimator} is RFC 6298; {@code LossRecovery} (with the {@code SendScoreboard}
 * of SACKed ranges) detects loss by duplicate ACKs and SACK and decides what to retransmit and how
 * much may be in flight (RFC 5681, 6582, 6675, 3042); the window arithmetic itself is a
 * {@link io.usertcp.tcp.cc.CongestionControl} per connection.
 *
 * <p>Pure (DESIGN.md §2): time comes in as {@code nowNanos}, randomness through
 * {@link io.usertcp.core.RandomSource} and {@link io.usertcp.tcp.IsnGenerator}. Depends on
 * {@code wire}, {@code ip}, {@code core}, {@code link}, netty-buffer and slf4j-api.
 *
 * <p>Threads: everything here runs on the stack's one thread; no locks. Buffers: the stack takes
 * ownership of received packets and releases them; data kept past a call is a retained slice; sent
 * packets are new buffers handed to the link, which owns them.
 */
package io.usertcp.tcp;
