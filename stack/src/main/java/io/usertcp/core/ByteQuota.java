package io.usertcp.core;

/**
 * A byte count against a capacity that may change: what a socket buffer (SO_SNDBUF, SO_RCVBUF)
 * holds and how much more it takes. A smaller capacity never drops what is held; it only leaves no
 * space until the count falls below it.
 */
public final class ByteQuota {
    private int capacity;
    private int size;

    public ByteQuota(int capacity) {
        this.capacity = capacity;
    }

    public void setCapacity(int capacity) {
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes held. */
    public int size() {
        return size;
    }

    /** Room left: capacity less what is held, never negative. */
    public int space() {
        return Math.max(0, capacity - size);
    }

    public void add(int bytes) {
        size += bytes;
    }

    public void remove(int bytes) {
        size -= bytes;
    }

    public void clear() {
        size = 0;
    }
}
