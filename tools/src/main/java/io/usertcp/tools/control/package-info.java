/**
 * The local control socket of a running stack: {@link io.usertcp.tools.control.ControlServer}
 * answers {@code ss}, {@code stats} and {@code info} over a UNIX-domain socket in
 * {@code /run/usertcp} (mode 0700, or {@code $USERTCP_CONTROL_DIR}); {@link io.usertcp.tools.control.ControlClient}
 * is what {@code usertcp ss} and {@code usertcp stats} use. The stack is read on its own thread
 * through {@code StackRunner.call}; nothing here touches the network.
 */
package io.usertcp.tools.control;
