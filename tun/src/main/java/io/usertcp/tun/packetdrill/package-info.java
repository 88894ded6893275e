/**
 * The packetdrill runner's kernel backend: scripts played against the real Linux kernel
 * ({@code usertcp packetdrill --target kernel|both}), the oracle the stack's runs are compared with.
 *
 * <p>{@link io.usertcp.tun.packetdrill.KernelScriptRunner} creates a network namespace per script
 * with a TUN device in it (addresses in 198.18.0.0/15 only; deleted afterwards, even on failure),
 * and an interpreter that runs the events in real time: inbound packets written into the TUN
 * device, the kernel's packets sniffed on it (a packet socket, as packetdrill's) and matched by
 * the stack module's packetdrill pieces ({@code PacketSteps}, {@code Syscalls}, {@code CodeBlocks}),
 * system calls made on real sockets (JNA direct mapping) on threads inside the namespace, shell
 * lines run inside the namespace with sysctls limited to per-namespace ones.
 *
 * <p>Threads: the interpreter's thread owns the TUN link; system calls run on the namespace's
 * threads, one at a time as packetdrill's system-call thread makes them. Buffers: every packet
 * read is decoded to a value and released at once; every packet written is handed to the link,
 * which releases it.
 */
package io.usertcp.tun.packetdrill;
