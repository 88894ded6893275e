/**
 * A packetdrill runner: plays packetdrill scripts against a {@link io.usertcp.tcp.TcpStack}
 * in-process, on virtual time (DESIGN.md §9.3).
 *
 * <p>Pieces: {@link io.usertcp.packetdrill.ScriptParser} turns script text into a
 * {@link io.usertcp.packetdrill.Script} (with {@code #ifdef} defines applied);
 * {@link io.usertcp.packetdrill.ScriptRunner} plays it: inbound lines become IPv4 packets handed
 * to the stack, outbound lines are compared with what the stack sends the way packetdrill compares
 * them (sequence numbers relative to the learned ISN, timestamp echoes mapped, a time tolerance),
 * system calls go through {@link io.usertcp.packetdrill.SocketLayer}, a file-descriptor and errno
 * layer over the stack, and backquoted FreeBSD/Linux {@code sysctl} lines become
 * {@link io.usertcp.tcp.TcpConfig} settings ({@link io.usertcp.packetdrill.StackSettings}).
 * {@link io.usertcp.packetdrill.Comparison} says how strictly outbound segments are compared.
 *
 * <p>Two dialects: the FreeBSD RFC suite's, and google/packetdrill's as Linux's own corpus writes
 * it (multi-line and untimed shell commands with {@code defaults.sh} and {@code set_sysctls.py}
 * mapped onto settings, {@code %{ }%} blocks run by {@link io.usertcp.packetdrill.PythonAssertions}
 * after the other events as packetdrill runs them, msghdr/iovec/pollfd structs, script fd numbers,
 * ICMP lines, IP header fields, FO/FOEXP/md5 options, {@code -D NAME=VALUE}). A script ends
 * {@link io.usertcp.packetdrill.RunResult.Status PASS}, FAIL (a mismatch) or UNSUPPORTED: it needs
 * something not emulated here (MSG_ZEROCOPY, outbound ICMP errors, a qdisc, a TCP_INFO field
 * the stack does not fill), which says nothing about the stack. TCP Fast Open is emulated: FO and
 * FOEXP options, TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, MSG_FASTOPEN, the tcp_fastopen sysctls, and the
 * server cookie mapped between the script's addresses and the run's. TCP-MD5 (RFC 2385) is
 * emulated: setsockopt(TCP_MD5SIG / TCP_MD5SIG_EXT) with a struct tcp_md5sig keys the socket, md5
 * options go as written and one expected from the stack matches whatever its digest. With
 * {@link io.usertcp.packetdrill.RunOptions#isnRelative()} sequence numbers, the sockets under test
 * and the remote ports follow google/packetdrill. Nothing is ever run on the host.
 *
 * <p>Pure like the core (DESIGN.md §2): no clock, no threads, no randomness of its own, no I/O.
 * The runner takes script text and returns a {@link io.usertcp.packetdrill.RunResult}; reading
 * files is the caller's job (the {@code usertcp packetdrill} command, the conformance tests).
 * Blocking system calls are modelled, not run on threads: a call that would block waits in the
 * runner until the stack's state lets it finish, at the virtual time the stack makes it finish.
 *
 * <p>The runner against the real kernel ({@code io.usertcp.tun.packetdrill}, {@code --target kernel})
 * reuses the pieces that do not depend on the stack, public for it: {@link io.usertcp.packetdrill.PacketSteps}
 * (inbound packets, ICMP errors, outbound matching), {@link io.usertcp.packetdrill.Syscalls} over a
 * {@link io.usertcp.packetdrill.SocketApi}, {@link io.usertcp.packetdrill.BlockingCalls#checkResult},
 * {@link io.usertcp.packetdrill.CodeBlocks}, {@link io.usertcp.packetdrill.ScriptHeader} and
 * {@link io.usertcp.packetdrill.Trace}, whose per-event traces show where two runs of a script diverge.
 *
 * <p>Buffers: every packet handed to the stack is a new buffer the stack owns; every packet the
 * stack sends is decoded into a {@link io.usertcp.packetdrill.LivePacket} value and released at
 * once. Depends on {@code tcp}, {@code wire}, {@code core}, {@code ip}, {@code link}.
 */
package io.usertcp.packetdrill;
