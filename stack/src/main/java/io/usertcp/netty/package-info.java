/**
 * A Netty transport over usertcp: {@link io.usertcp.netty.UsertcpEventLoopGroup},
 * {@link io.usertcp.netty.UsertcpServerChannel} and {@link io.usertcp.netty.UsertcpChannel}, so that
 * an ordinary {@code ServerBootstrap} or {@code Bootstrap} runs over the stack with only those
 * three classes named. Built on the event-loop API ({@link io.usertcp.socket.StackLoop}): each
 * channel is the {@link io.usertcp.socket.LoopHandler} of its connection.
 *
 * <p>Threads: a channel's event loop ({@link io.usertcp.netty.UsertcpEventLoop}) is the thread of
 * the {@link io.usertcp.runtime.StackRunner} that owns its connection, one per shard; Netty's
 * scheduled tasks run there too, through {@link io.usertcp.runtime.ScheduledWork}. Handlers must
 * not block. The loops do not own the runners: shutting a group down closes its channels and leaves
 * the stacks running.
 *
 * <p>Buffers: each {@code channelRead} passes one reference of a {@code ByteBuf} from the stack's
 * allocator to the pipeline; each buffer written is released by Netty's outbound buffer once the
 * stack took its bytes, and the stack keeps its own reference (a retained slice) until the peer
 * acknowledges them; a close releases what was still queued. This package is the only one in the
 * stack module that depends on {@code netty-transport}; the pure core does not.
 */
package io.usertcp.netty;
