package io.usertcp.netty;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.LoopConnection;
import java.util.Map;

/**
 * The options of a {@link UsertcpChannel}, as {@code DefaultSocketChannelConfig} has them for NIO,
 * applied to the usertcp connection on its thread (set before the connection exists, they are
 * applied when it opens):
 * <ul>
 *   <li>{@code TCP_NODELAY}: Nagle off; on by default, as Netty's NIO and epoll channels have it;</li>
 *   <li>{@code SO_SNDBUF}, {@code SO_RCVBUF}: the connection's buffer sizes as the stack's profile
 *       makes of them (Linux doubles the request); 0, the default, leaves the stack's autotuning on.
 *       SO_RCVBUF set before a connect takes effect at the handshake's end, after the window scale
 *       was chosen for the stack's default;</li>
 *   <li>{@code SO_KEEPALIVE}: the stack's keep-alive idle, interval and count;</li>
 *   <li>{@code SO_LINGER}: 0 makes {@code close()} an abort (a RST, no TIME-WAIT), as in java.net;
 *       -1, the default, and other values a normal close;</li>
 *   <li>{@code ALLOW_HALF_CLOSURE}, {@code AUTO_READ}, {@code WRITE_BUFFER_WATER_MARK} and the other
 *       {@link DefaultChannelConfig} options: as Netty defines them.</li>
 * </ul>
 * {@code SO_REUSEADDR} is kept and reported but means nothing for an outgoing connection here.
 * {@code IP_TOS} is not supported (the stack sends DSCP 0): {@link #setTrafficClass} throws and
 * {@code setOption(IP_TOS, ...)} answers false, which Bootstrap logs as an unknown option.
 * {@link #getAllocator()} allocates what handlers allocate; received data comes in the stack's own
 * pooled buffers, at most 64 KB each (the {@link RecvByteBufAllocator} is not consulted).
 */
public final class UsertcpChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final UsertcpChannel channel;
    private volatile boolean tcpNoDelay = true;
    private volatile int soLinger = -1;
    private volatile int sendBufferSize;
    private volatile int receiveBufferSize;
    private volatile boolean keepAlive;
    private volatile boolean reuseAddress;
    private volatile boolean allowHalfClosure;

    UsertcpChannelConfig(UsertcpChannel channel) {
        super(channel);
        this.channel = channel;
    }

    /** Applies the options to a connection that just opened (on its thread). */
    void applyTo(LoopConnection c) {
        c.setNoDelay(tcpNoDelay);
        long now = StackRunner.nowNanos();
        if (sendBufferSize > 0) {
            c.tcp().setSendBufferSize(now, sendBufferSize);
        }
        if (receiveBufferSize > 0) {
            c.tcp().setReceiveBufferSize(now, receiveBufferSize);
        }
        if (keepAlive) {
            c.tcp().setKeepAlive(now, true);
        }
        if (soLinger >= 0) {
            c.tcp().setLinger(true, soLinger);
        }
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER,
                ALLOW_HALF_CLOSURE);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        } else if (option == SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        } else if (option == TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        } else if (option == SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        } else if (option == SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        } else if (option == SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        } else if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    @Override
    public boolean isTcpNoDelay() {
        return tcpNoDelay;
    }

    @Override
    public UsertcpChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        this.tcpNoDelay = tcpNoDelay;
        channel.withConnection(c -> c.setNoDelay(tcpNoDelay));
        return this;
    }

    @Override
    public int getSoLinger() {
        return soLinger;
    }

    /** @param soLinger seconds; -1 for off (the default), 0 for an abortive close */
    @Override
    public UsertcpChannelConfig setSoLinger(int soLinger) {
        if (soLinger < -1) {
            throw new IllegalArgumentException("SO_LINGER: " + soLinger + " (expected: -1 for off, or seconds >= 0)");
        }
        this.soLinger = soLinger;
        channel.withConnection(c -> c.tcp().setLinger(soLinger >= 0, Math.max(0, soLinger)));
        return this;
    }

    /** The size asked for with SO_SNDBUF, or 0 when the stack's autotuning decides. */
    @Override
    public int getSendBufferSize() {
        return sendBufferSize;
    }

    @Override
    public UsertcpChannelConfig setSendBufferSize(int sendBufferSize) {
        this.sendBufferSize = requireNonNegative("SO_SNDBUF", sendBufferSize);
        channel.withConnection(c -> c.tcp().setSendBufferSize(StackRunner.nowNanos(), sendBufferSize));
        return this;
    }

    /** The size asked for with SO_RCVBUF, or 0 when the stack's autotuning decides. */
    @Override
    public int getReceiveBufferSize() {
        return receiveBufferSize;
    }

    @Override
    public UsertcpChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        this.receiveBufferSize = requireNonNegative("SO_RCVBUF", receiveBufferSize);
        channel.withConnection(c -> c.tcp().setReceiveBufferSize(StackRunner.nowNanos(), receiveBufferSize));
        return this;
    }

    private static int requireNonNegative(String option, int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException(option + ": " + bytes + " bytes (expected: >= 0)");
        }
        return bytes;
    }

    @Override
    public boolean isKeepAlive() {
        return keepAlive;
    }

    @Override
    public UsertcpChannelConfig setKeepAlive(boolean keepAlive) {
        this.keepAlive = keepAlive;
        channel.withConnection(c -> c.tcp().setKeepAlive(StackRunner.nowNanos(), keepAlive));
        return this;
    }

    /** Always 0: the stack sends DSCP 0. */
    @Override
    public int getTrafficClass() {
        return 0;
    }

    /** @throws UnsupportedOperationException always: the stack has no IP_TOS */
    @Override
    public UsertcpChannelConfig setTrafficClass(int trafficClass) {
        throw new UnsupportedOperationException("IP_TOS " + trafficClass + ": not supported by usertcp (its segments carry"
                + " DSCP 0; only the ECN bits are set, by the stack)");
    }

    @Override
    public boolean isReuseAddress() {
        return reuseAddress;
    }

    @Override
    public UsertcpChannelConfig setReuseAddress(boolean reuseAddress) {
        this.reuseAddress = reuseAddress;
        return this;
    }

    /** Ignored, as NIO ignores it (java.net's socket ignores it too). */
    @Override
    public UsertcpChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public UsertcpChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    /** {@code setAutoRead(false)}: reading stops now, as NIO's {@code clearReadPending()} has it. */
    @Override
    protected void autoReadCleared() {
        channel.clearReadPending();
    }

    // ---------------------------------------------------------------- covariant returns of DefaultChannelConfig's setters

    @Override
    public UsertcpChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    /** @deprecated as in Netty: use {@link #setRecvByteBufAllocator}. */
    @Deprecated
    @Override
    public UsertcpChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UsertcpChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UsertcpChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UsertcpChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UsertcpChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UsertcpChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public UsertcpChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    public UsertcpChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    /** @deprecated as in Netty: use {@link #setWriteBufferWaterMark}. */
    @Deprecated
    @Override
    public UsertcpChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    /** @deprecated as in Netty: use {@link #setWriteBufferWaterMark}. */
    @Deprecated
    @Override
    public UsertcpChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }
}
