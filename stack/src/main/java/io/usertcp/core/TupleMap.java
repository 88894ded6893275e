package io.usertcp.core;

import java.util.ArrayList;
import java.util.List;

/**
 * A hash map from a TCP four-tuple (local address, local port, remote address, remote port) to a
 * value, with open addressing and linear probing over primitive arrays: lookups allocate nothing,
 * which matters because every inbound segment does one.
 *
 * @param <V> the value type
 */
public final class TupleMap<V> {
    private static final int MIN_CAPACITY = 16;

    private long[] addresses;
    private int[] ports;
    private Object[] values;
    private int size;
    private int mask;

    public TupleMap() {
        allocate(MIN_CAPACITY);
    }

    public int size() {
        return size;
    }

    public V get(int localAddress, int localPort, int remoteAddress, int remotePort) {
        long a = addressKey(localAddress, remoteAddress);
        int p = portKey(localPort, remotePort);
        for (int i = slot(a, p); values[i] != null; i = (i + 1) & mask) {
            if (addresses[i] == a && ports[i] == p) {
                @SuppressWarnings("unchecked")
                V v = (V) values[i];
                return v;
            }
        }
        return null;
    }

    /** Maps the tuple to {@code value}; returns the previous value or null. */
    public V put(int localAddress, int localPort, int remoteAddress, int remotePort, V value) {
        if (value == null) {
            throw new IllegalArgumentException("value: null (expected: non-null; use remove)");
        }
        long a = addressKey(localAddress, remoteAddress);
        int p = portKey(localPort, remotePort);
        int i = slot(a, p);
        for (; values[i] != null; i = (i + 1) & mask) {
            if (addresses[i] == a && ports[i] == p) {
                @SuppressWarnings("unchecked")
                V old = (V) values[i];
                values[i] = value;
                return old;
            }
        }
        addresses[i] = a;
        ports[i] = p;
        values[i] = value;
        if (++size * 2 > values.length) {
            rehash(values.length * 2);
        }
        return null;
    }

    /** Removes the tuple; returns the value it had or null. */
    public V remove(int localAddress, int localPort, int remoteAddress, int remotePort) {
        long a = addressKey(localAddress, remoteAddress);
        int p = portKey(localPort, remotePort);
        for (int i = slot(a, p); values[i] != null; i = (i + 1) & mask) {
            if (addresses[i] == a && ports[i] == p) {
                @SuppressWarnings("unchecked")
                V old = (V) values[i];
                deleteAt(i);
                size--;
                return old;
            }
        }
        return null;
    }

    /** The values, in no particular order (a copy). */
    public List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (Object v : values) {
            if (v != null) {
                @SuppressWarnings("unchecked")
                V value = (V) v;
                out.add(value);
            }
        }
        return out;
    }

    /** Backward-shift deletion: keeps every probe chain unbroken without tombstones. */
    private void deleteAt(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (values[i] == null) {
                break;
            }
            int home = slot(addresses[i], ports[i]);
            // move entry i into the hole if its home is not cyclically in (hole, i]
            boolean homeBetween = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
            if (!homeBetween) {
                addresses[hole] = addresses[i];
                ports[hole] = ports[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = null;
    }

    private void rehash(int capacity) {
        long[] oldAddresses = addresses;
        int[] oldPorts = ports;
        Object[] oldValues = values;
        allocate(capacity);
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != null) {
                int j = slot(oldAddresses[i], oldPorts[i]);
                while (values[j] != null) {
                    j = (j + 1) & mask;
                }
                addresses[j] = oldAddresses[i];
                ports[j] = oldPorts[i];
                values[j] = oldValues[i];
            }
        }
    }

    private void allocate(int capacity) {
        addresses = new long[capacity];
        ports = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    private int slot(long a, int p) {
        long h = (a ^ ((long) p * 0x9E3779B97F4A7C15L)) * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private static long addressKey(int localAddress, int remoteAddress) {
        return ((long) localAddress << 32) | Integer.toUnsignedLong(remoteAddress);
    }

    private static int portKey(int localPort, int remotePort) {
        return (localPort << 16) | (remotePort & 0xFFFF);
    }
}
