package io.usertcp.tcp;

/**
 * The application's side of a connection: callbacks from the stack thread when something changes.
 * The socket layer implements it to wake blocked readers and writers. Callbacks run inside stack
 * calls: they must not call back into the stack beyond reading the connection's state and buffers.
 */
public interface ConnectionHandler {
    ConnectionHandler NONE = new ConnectionHandler() {};

    /** The three-way handshake completed (RFC 9293: "connection established"). */
    default void onEstablished(TcpConnection connection) {}

    /** New bytes can be read, or the peer's FIN arrived ({@link TcpConnection#isEndOfStream()}). */
    default void onReadable(TcpConnection connection) {}

    /** Send buffer space was freed by acknowledgments. */
    default void onWritable(TcpConnection connection) {}

    /** The connection is over; {@link TcpConnection#closeReason()} says why. */
    default void onClosed(TcpConnection connection, CloseReason reason) {}
}
