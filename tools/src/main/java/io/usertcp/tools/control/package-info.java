/**
 * The local control socket of a running stack: {@link io.usertcp.tools.control.ControlServer}
 * answers {@code ss}, {@code stats}, {@code info} and {@code capture} over a UNIX-domain socket in
 * a private directory ({@link io.usertcp.tools.control.ControlDirectory}: {@code $USERTCP_CONTROL_DIR},
 * {@code /run/usertcp} as root, else {@code $XDG_RUNTIME_DIR/usertcp}; created 0700, refused when
 * it is a symlink, someone else's or writable by others; never a shared temp dir), with a read
 * timeout, a time limit per request and a cap on clients at once; {@link io.usertcp.tools.control.ControlClient}
 * is what {@code usertcp ss} and {@code usertcp stats} use, {@link io.usertcp.tools.control.CaptureClient}
 * what {@code usertcp capture} uses. The stack is read on its own thread through {@code StackRunner.call};
 * nothing here touches the network.
 *
 * <p>Capture: a {@link io.usertcp.tools.control.CaptureStream} is an observer of the stack that copies
 * each segment into a bounded queue on the stack thread and never waits; the request's own thread
 * writes the queue to the reader as {@link io.usertcp.tools.control.CaptureFrames}. A slow reader
 * loses segments (counted and reported to it), a vanished one ends its stream; neither can stall
 * the stack.
 */
package io.usertcp.tools.control;
