package io.usertcp.socket;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * An application's part of a connection on the stack's own thread ({@link StackLoop}): no handoff
 * to another thread per read or write. Each call comes after the stack finished processing the
 * segment, timer or call that caused it, never in the middle (DESIGN.md §4), in the order opened,
 * data, end of stream, writable, closed; a handler may write, close or abort from any of them, and
 * what it writes goes out in the same turn of the loop.
 *
 * <p>A handler must not block or run long: every connection of the stack waits for it. An
 * {@link IOException} it throws (a {@link LoopConnection#write} on a connection that was reset,
 * say) aborts its connection with a RST and comes back in {@link #onClose}; a
 * {@link RuntimeException} does the same and is logged and counted as a fault of that connection
 * (the stack's containment), and the stack goes on.
 */
public interface LoopHandler {

    /** The connection is established (an accepted one: as soon as it is accepted). */
    default void onOpen(LoopConnection connection) throws IOException {}

    /**
     * Bytes arrived in order.
     *
     * @param data borrowed: valid during the call only (retain a slice, or copy, to keep bytes);
     *             what the handler leaves unread is not given again
     */
    default void onData(LoopConnection connection, ByteBuf data) throws IOException {}

    /** The peer's FIN: no more data comes (the connection may still write: a half close). */
    default void onEndOfStream(LoopConnection connection) throws IOException {}

    /** A {@link LoopConnection#write} that did not take everything now has room again. */
    default void onWritable(LoopConnection connection) throws IOException {}

    /**
     * The connection is over, for good. After this call the stack frees the connection: bytes
     * still held back by {@link LoopConnection#setAutoRead setAutoRead(false)} are discarded.
     *
     * @param error null after an orderly close, else what java.net would have thrown
     *              ({@code SocketException: Connection reset}, {@code ConnectException}, ...)
     */
    default void onClose(LoopConnection connection, IOException error) {}
}
