/**
 * TCP (RFC 9293) as a pure, clock-injected state machine, and the {@link io.usertcp.tcp.TcpStack}
 * that owns connections, listeners, TIME-WAIT entries and ephemeral ports.
 *
 * <p>Shape (DESIGN.md §4): {@link io.usertcp.tcp.TcpConnection} coordinates a
 * {@link io.usertcp.tcp.send.Sender} (send buffer, SND.*, RTT with Karn, loss recovery, congestion
 * control, persist) and a {@link io.usertcp.tcp.receive.Receiver} (RCV.*, receive buffer,
 * reassembly, TS.Recent and PAWS, the ACK policy), holds the timer table and the user calls, and
 * queues the application's events for delivery after processing. {@code SegmentArrival} follows
 * RFC 9293 §3.10.7 check by check, handing the segment to the two halves as a value;
 * {@code SynchronizedChecks} are the acceptability, RST and SYN checks shared with
 * {@code TimeWaitTable}, which keeps TIME-WAIT as compact entries; {@code TcpOutput} decides what
 * to send from the flags input and timers raised (input never writes to the link);
 * {@code TcpTimers} says what each timer does; {@code PassiveOpen} and
 * {@link io.usertcp.tcp.TcpListener} are the LISTEN side with SYN cookies; {@link io.usertcp.tcp.FastOpen}
 * is TCP Fast Open's stack-wide state (RFC 7413: mode, server key, client cookie cache).
 *
 * <p>Numbers are a {@link io.usertcp.tcp.TcpConfig}; every choice where Linux, the RFCs and FreeBSD
 * differ is a method of the {@link io.usertcp.tcp.TcpProfile} it carries (PROFILES.md beside these
 * sources has the table). Congestion control is a {@link io.usertcp.tcp.cc.CongestionControl} per
 * connection.
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
