/**
 * The seeded network simulator (DESIGN.md §9.4): two {@link io.usertcp.tcp.TcpStack}s joined by a
 * {@link io.usertcp.sim.SimulatedNetwork} whose two directions each follow a
 * {@link io.usertcp.sim.FaultProfile} (loss, delay with jitter and hence reordering, duplication,
 * corruption) and optionally a {@link io.usertcp.sim.Bottleneck} (a rate limit with a drop-tail
 * queue), driven in virtual time by an event queue.
 *
 * <pre>
 *   try (SimulatedNetwork net = SimulatedNetwork.between(TcpConfig.linux(),
 *           FaultProfile.ideal(millis(5)).withJitter(millis(3)).withLoss(0.02), 42)) {
 *       TcpListener l = net.b().listen(net.nowNanos(), 80, 128);
 *       TcpConnection c = net.a().connect(net.nowNanos(), SimulatedNetwork.ADDRESS_B.bits(), 80);
 *       net.runFor(seconds(1));
 *       ...
 *   }
 * </pre>
 *
 * <p>Pure (DESIGN.md §2): no clock (time is the queue's), no threads, no randomness but the
 * injected {@link io.usertcp.core.RandomSource}, no I/O; the same seed gives the same run, packet
 * for packet, which {@link io.usertcp.sim.SimulatedNetwork#traceHash()} summarises. Depends on
 * {@code tcp}, {@code link}, {@code wire}, {@code core} and netty-buffer.
 *
 * <p>Ownership: every packet a stack hands to the network is either delivered (the receiving
 * stack's {@code receive} takes it) or released by the network (lost, too big, or still in flight
 * at {@link io.usertcp.sim.SimulatedNetwork#close()}). A {@link io.usertcp.sim.PacketTap} borrows
 * the packets it sees. Not thread-safe: one thread drives the network and both stacks.
 */
package io.usertcp.sim;
