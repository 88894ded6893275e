/**
 * The demo and the field scenarios of DESIGN.md §13, run against the real Linux kernel: a
 * {@link io.usertcp.tools.demo.StackSession} (our stack on a TUN device in a namespace of its own),
 * an {@link io.usertcp.tools.demo.EventRecorder} behind an {@link io.usertcp.tools.demo.ObserverFanOut}
 * (where pcap taps and ladder printers plug in), a {@link io.usertcp.tools.demo.KernelWatcher} that
 * polls the kernel's socket table, a {@link io.usertcp.tools.demo.Narrator} for people, and
 * {@link io.usertcp.tools.demo.ConnectionLogSink}s that draw each connection (a ladder diagram
 * through the ladder package's recorder and renderer, or a short log of state changes). A session
 * may also write every segment to a pcap file (the pcap package's tap), closed after the stack's
 * last segment on every way out.
 *
 * <p>Safety (DESIGN.md §10): every TUN device and kernel peer lives in a namespace created here,
 * addresses are 198.18.0.1 and 198.18.0.2 (or others of 198.18.0.0/15 that {@code TunStackHost.Layout}
 * accepts), every wait and poll loop is bounded in time, and the
 * namespace is deleted on close, on failure and by a shutdown hook on Ctrl-C.
 *
 * <p>Threads: recorder listeners run on the stack thread, watcher listeners on the watcher's
 * thread inside the namespace; the narrator serializes their lines. No {@code ByteBuf} outlives a
 * call: observed segments are copied into {@link io.usertcp.wire.TcpHeader} values.
 */
package io.usertcp.tools.demo;
