/**
 * {@code usertcp bench}: end-to-end measurements of our stack against the Linux kernel, each
 * printed next to a kernel baseline measured the same way in the same run, and as their ratio
 * (DESIGN.md §11).
 *
 * <p>What is here: the engine ({@link io.usertcp.tools.bench.Bench}) that runs the selected cases
 * in order, each bounded in time, with progress lines on stderr; the cases (bulk transfer,
 * 1-byte request/response, connection rate, memory per connection and per TIME-WAIT entry,
 * goodput under loss); the "same programs on both ends" ({@link io.usertcp.tools.bench.Workloads}
 * over an {@link io.usertcp.socket.StreamEndpoint} that is either our socket or a
 * {@code java.net} one); the two topologies (our stack on a TUN device beside the kernel of its
 * namespace, and kernel to kernel over a veth pair between two namespaces); and the output (a text
 * table and JSON, with ratio = ours / kernel). Our stack runs the behaviour profile of
 * {@link io.usertcp.tools.bench.BenchOptions#profile()} with that profile's numbers; the kernel
 * baseline keeps the kernel's own settings.
 *
 * <p>Safety (DESIGN.md §10): every namespace, TUN device, veth pair and nftables rule is made here
 * and deleted on the way out, failure included; every address is in 198.18.0.0/15; every load loop
 * is bounded by a count and a deadline, and every blocking call has a timeout. Child processes
 * (the kernel connection holders of the memory case) run inside our namespaces and are killed
 * before the namespace goes.
 *
 * <p>Threads: the engine runs cases one after another on the caller's thread; each case uses
 * threads inside its namespaces for the kernel's programs and plain threads for ours. Buffers: our
 * side uses the socket API, which copies, so no {@code ByteBuf} is held here, except by
 * {@link io.usertcp.tools.bench.LossyLink}, which releases every packet it drops.
 */
package io.usertcp.tools.bench;
