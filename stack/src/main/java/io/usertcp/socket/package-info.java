/**
 * Sockets as Java users know them, over a {@link io.usertcp.runtime.StackRunner}:
 * {@link io.usertcp.socket.TcpSocket} with blocking streams and {@link io.usertcp.socket.TcpServerSocket}.
 * Connection failures arrive as the {@code IOException}s of {@code java.net}
 * ({@code ConnectException} "Connection refused", {@code SocketException} "Connection reset",
 * {@code SocketTimeoutException}); reads return -1 at the peer's FIN.
 *
 * <p>Threads: every method is thread-safe and may block; the stack is only ever touched on the
 * runner's thread, through {@link io.usertcp.runtime.StackRunner#call}. Buffers: data is copied from
 * the caller's arrays into stack buffers on write and out of them on read; no buffer crosses the API.
 */
package io.usertcp.socket;
