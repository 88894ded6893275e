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
 *
 * <p>Failures: an unexpected exception while the stack handles one packet, one timer round or one
 * task is contained (logged at ERROR, counted as {@code UsertcpStackFaults}; the connection a
 * faulty packet was for is aborted when the socket layer holds it), and the stack goes on serving.
 * If the thread ends all the same (a {@link java.lang.VirtualMachineError}, or a close), every
 * pending and later call fails at once with a {@link io.usertcp.runtime.StackStoppedException}
 * carrying the cause, and {@link io.usertcp.runtime.StackRunner#health()} says so.
 */
package io.usertcp.runtime;
