/**
 * Small servers on the socket API, for demos, interop tests and benchmarks:
 * {@link io.usertcp.apps.EchoServer} (RFC 862), {@link io.usertcp.apps.DiscardServer} (RFC 863) and
 * {@link io.usertcp.apps.HttpServer} (a minimal HTTP/1.1 server of generated bodies, for curl).
 *
 * <p>Each listens on one port of a {@link io.usertcp.runtime.StackRunner} through a
 * {@link io.usertcp.socket.TcpServerSocket}, serves every connection on a thread of its own, at most
 * {@code maxConnections} at once, closes a connection that sends nothing for its idle timeout, and
 * when full closes the connection idle the longest to serve a new one (only while every connection
 * is busy do new ones wait in the listener's backlog: see {@link io.usertcp.apps.SocketServer}); it is
 * {@link java.lang.AutoCloseable}: closing stops listening, closes the open connections and stops
 * the threads within a bounded time.
 *
 * <p>Depends on {@code socket} and {@code runtime} only; buffers never cross the socket API, so
 * nothing here owns a {@code ByteBuf}.
 */
package io.usertcp.apps;
