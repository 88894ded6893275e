package io.usertcp.wire;

import io.netty.buffer.ByteBuf;

/**
 * The options of one segment as the stack uses them: mutable, reused, allocation-free. Filled by
 * {@link TcpSegmentView#check()} and valid until the view is wrapped again. When an option
 * appears twice the last one wins (as in Linux's {@code tcp_parse_options}).
 */
public final class ParsedTcpOptions implements TcpOptionSink {
    private static final int ABSENT = -1;

    private int mss = ABSENT;
    private int windowScale = ABSENT;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private int sackBlockCount;
    private final int[] sackEdges = new int[2 * TcpOptionKind.MAX_SACK_BLOCKS];
    private int unknownCount;

    /** Forgets everything, ready for the next segment. */
    public void clear() {
        mss = ABSENT;
        windowScale = ABSENT;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlockCount = 0;
        unknownCount = 0;
    }

    public boolean hasMss() {
        return mss != ABSENT;
    }

    /** The MSS option's value; only meaningful when {@link #hasMss()}. */
    public int mss() {
        return mss;
    }

    public boolean hasWindowScale() {
        return windowScale != ABSENT;
    }

    /** The shift count as sent (RFC 7323 §2.3 caps its use at 14; that is the TCB's business). */
    public int windowScale() {
        return windowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean hasTimestamps() {
        return timestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    public int sackBlockCount() {
        return sackBlockCount;
    }

    public int sackLeft(int block) {
        return sackEdges[2 * checkBlock(block)];
    }

    public int sackRight(int block) {
        return sackEdges[2 * checkBlock(block) + 1];
    }

    /** How many options of kinds this stack does not interpret were skipped. */
    public int unknownCount() {
        return unknownCount;
    }

    private int checkBlock(int block) {
        if (block < 0 || block >= sackBlockCount) {
            throw new IndexOutOfBoundsException("SACK block: " + block + " (expected: 0.." + (sackBlockCount - 1) + ")");
        }
        return block;
    }

    @Override
    public void onEol(int offset) {}

    @Override
    public void onNop() {}

    @Override
    public void onMss(int value) {
        mss = value;
    }

    @Override
    public void onWindowScale(int shift) {
        windowScale = shift;
    }

    @Override
    public void onSackPermitted() {
        sackPermitted = true;
    }

    @Override
    public void onSackBlock(int index, int left, int right) {
        if (index == 0) {
            sackBlockCount = 0; // a second SACK option replaces the first
        }
        sackEdges[2 * index] = left;
        sackEdges[2 * index + 1] = right;
        sackBlockCount = index + 1;
    }

    @Override
    public void onTimestamps(int value, int echo) {
        timestamps = true;
        tsVal = value;
        tsEcr = echo;
    }

    @Override
    public void onUnknown(int kind, ByteBuf buf, int dataOffset, int dataLength) {
        unknownCount++;
    }
}
