/**
 * The real-time driver: {@link io.usertcp.runtime.StackRunner} runs one {@link io.usertcp.tcp.TcpStack}
 * on one thread (DESIGN.md §6), like a Netty event loop. It is the only place that reads the real
 * clock ({@code System.nanoTime}); it waits on its {@link io.usertcp.runtime.WaitableLink} until the
 * next timer deadline or a packet, and runs tasks that other threads queue with
 * {@link io.usertcp.runtime.StackRunner#execute} and {@link io.usertcp.runtime.StackRunner#call}.
 *
 * <p>Threads: the runner's thread owns the stack; every other thread crosses into it through the
 * task queue. Buffers follow the stack's rules: packets read from the link are handed to the stack,
 * which releases them.
 */
package io.usertcp.runtime;
