package io.usertcp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.LoopConnection;
import io.usertcp.tcp.TcpConnection;
import java.io.IOException;

/**
 * The read side of a {@link UsertcpChannel}: Netty's {@code read()} and {@code AUTO_READ} over a
 * {@link LoopConnection} that pushes what arrives. As NIO selects OP_READ only while a read is
 * pending, the connection delivers only while one is: it is paused ({@code setAutoRead(false)})
 * when a read completes with none pending, so the bytes stay in its receive buffer and the
 * window closes on the peer, and resumed by a task when a read is asked for, never inside the
 * {@code read()} call (which may come from a handler in the middle of {@code channelRead}).
 *
 * <p>A connection may end (a reset, or TIME-WAIT after our half close) while reading is paused;
 * the kernel would keep what it had received for the application to read, and so does this: the
 * bytes are copied out before the stack frees the connection and are read, then the end, as if
 * they had stayed in the socket.
 *
 * <p>Loop thread only, except {@link #inputShutdown()}.
 */
final class ChannelReader {
    private final UsertcpChannel channel;
    private LoopConnection connection;
    private boolean readPending;
    private boolean paused;
    private boolean taskQueued;
    private boolean finSeen;
    private volatile boolean inputShutdown;
    /** The connection ended while paused: what is left to read (owned here), then its end. */
    private boolean ended;
    private ByteBuf leftover;
    private boolean leftoverFin;
    private IOException endError;

    ChannelReader(UsertcpChannel channel) {
        this.channel = channel;
    }

    boolean inputShutdown() {
        return inputShutdown;
    }

    /** The connection opened: nothing is delivered until the channel is registered and a read asked for. */
    void opened(LoopConnection c) {
        connection = c;
        paused = true;
        c.setAutoRead(false);
    }

    /** {@code doBeginRead}. */
    void beginRead() {
        readPending = true;
        if ((ended || paused && connection != null) && !taskQueued && channel.isOpen()) {
            taskQueued = true;
            channel.eventLoop().execute(this::readTask);
        }
    }

    private void readTask() {
        taskQueued = false;
        if (!readPending || !channel.isOpen()) {
            return;
        }
        if (ended) {
            drainLeftover();
        } else if (paused && !connection.isClosed()) {
            paused = false;
            connection.setAutoRead(true); // delivers what waits, now
        }
    }

    /** {@code setAutoRead(false)}, or deregistration: no read pending, the connection holds its data. */
    void clearReadPending() {
        readPending = false;
        pause();
    }

    private void pause() {
        if (!paused && connection != null && !connection.isClosed()) {
            paused = true;
            connection.setAutoRead(false);
        }
    }

    /** SHUT_RD: nothing more is read; what arrives is discarded (as FreeBSD's soshutdown does), not left to fill the window. */
    void shutdownInput() {
        inputShutdown = true;
        releaseLeftover();
        if (paused && connection != null && !connection.isClosed()) {
            paused = false;
            connection.setAutoRead(true);
        }
    }

    /** Bytes from the connection, borrowed: one reference passes to the pipeline. */
    void onData(ByteBuf data) {
        if (!channel.isOpen() || inputShutdown) {
            return; // dropped after SHUT_RD or close
        }
        readPending = false;
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.fireChannelRead(data.retain());
        pipeline.fireChannelReadComplete();
        if (!readPending && !channel.config().isAutoRead()) {
            pause(); // as NIO's removeReadOp() at the end of a read with none pending
        }
    }

    /** The peer's FIN, as NIO's {@code closeOnRead}: with half closure, the input shuts and the events fire; else the channel closes. */
    void onEndOfStream() {
        finSeen = true;
        if (!channel.isOpen()) {
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        if (inputShutdown) {
            if (channel.config().isAllowHalfClosure()) {
                pipeline.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
        } else if (channel.config().isAllowHalfClosure()) {
            inputShutdown = true;
            pipeline.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            if (channel.isOpen()) {
                pipeline.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
        } else {
            channel.unsafe().close(channel.unsafe().voidPromise());
        }
    }

    /**
     * The connection ended (in its {@code onClose}, before the stack frees it). While reading is
     * paused, what the application has not read yet is kept for it, with the FIN after it.
     *
     * @return whether something was kept: the channel then hears the end once it has been read
     */
    boolean keepUnread(IOException error) {
        if (!paused || inputShutdown || connection == null) {
            return false;
        }
        TcpConnection tcp = connection.tcp();
        int unread = tcp.readableBytes();
        boolean fin = error == null && tcp.peerFinReceived() && !finSeen;
        if (unread == 0 && !fin) {
            return false;
        }
        if (unread > 0) {
            leftover = channel.alloc().buffer(unread);
            tcp.read(StackRunner.nowNanos(), leftover);
        }
        ended = true;
        leftoverFin = fin;
        endError = error;
        if (readPending && channel.isRegistered()) {
            beginRead();
        }
        return true;
    }

    /** What was kept, then the FIN, then the end (one read's worth at a time, as a socket's reads would give it). */
    private void drainLeftover() {
        if (leftover != null) {
            ByteBuf data = leftover;
            leftover = null;
            readPending = false;
            channel.pipeline().fireChannelRead(data); // ownership passes to the pipeline
            channel.pipeline().fireChannelReadComplete();
            if (!readPending && !channel.config().isAutoRead()) {
                return; // the end is for the next read
            }
        }
        if (leftoverFin) {
            leftoverFin = false;
            onEndOfStream();
        }
        ended = false;
        channel.connectionEnded(endError);
    }

    /** The channel closed: what was kept for it goes. */
    void releaseLeftover() {
        if (leftover != null) {
            leftover.release();
            leftover = null;
        }
        ended = false;
    }
}
