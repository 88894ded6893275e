package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * Receives the options of one TCP header in wire order from {@link TcpOptionParser#parse}. The
 * zero-allocation {@link ParsedTcpOptions} and the value builder behind {@link TcpOptions#parse}
 * both implement it, so the option syntax is decided in one place.
 */
public interface TcpOptionSink {
    void onEol(int offset);

    void onNop();

    void onMss(int mss);

    void onWindowScale(int shift);

    void onSackPermitted();

    /** One SACK block; {@code index} counts from 0 within the option. */
    void onSackBlock(int index, int left, int right);

    void onTimestamps(int tsVal, int tsEcr);

    /**
     * A TCP MD5 signature option (RFC 2385 §3.0, length 18).
     *
     * @param buf borrowed; the 16-byte digest is at {@code digestOffset}
     */
    void onMd5Signature(ByteBuf buf, int digestOffset);

    /**
     * An option this stack does not interpret, skipped by its length (RFC 9293 §3.2, MUST-6:
     * "MUST be prepared to handle ... unknown options").
     *
     * @param buf borrowed; the data is {@code dataLength} bytes at {@code dataOffset}
     */
    void onUnknown(int kind, ByteBuf buf, int dataOffset, int dataLength);
}
