package io.usertcp.tcp;

/**
 * The application's side of a connection: what changed, told on the stack's thread. Events are
 * queued while a segment, a timer or a user call is processed and delivered after it, in the
 * order established, readable, writable, closed, each with the time of the call that delivers it
 * (DESIGN.md §4, as quinn's {@code poll_event}): a handler never runs in the middle of segment
 * processing, so it may call back into the connection (read, send, close); what it sends goes out
 * on the next {@code pollTransmit}. The socket layer implements it to wake blocked readers and writers.
 */
public interface ConnectionHandler {
    ConnectionHandler NONE = new ConnectionHandler() {};

    /** The three-way handshake completed (RFC 9293: "connection established"). */
    default void onEstablished(TcpConnection connection, long nowNanos) {}

    /** New bytes can be read, or the peer's FIN arrived ({@link TcpConnection#isEndOfStream()}). */
    default void onReadable(TcpConnection connection, long nowNanos) {}

    /** Send buffer space was freed by acknowledgments, or the buffer grew. */
    default void onWritable(TcpConnection connection, long nowNanos) {}

    /** The connection is over; {@link TcpConnection#closeReason()} says why. */
    default void onClosed(TcpConnection connection, CloseReason reason, long nowNanos) {}
}
