package io.usertcp.core;

import java.util.Arrays;

/**
 * A binary min-heap of nodes keyed by their next deadline, with each node remembering its place so
 * that re-arming is O(log n) and allocation-free. The stack keeps one entry per connection keyed by
 * that connection's earliest timer, so {@code nextDeadlineNanos()} is O(1) at any scale.
 *
 * @param <T> the node type
 */
public final class DeadlineHeap<T extends DeadlineHeap.Node> {

    /** What the heap orders. A node is in at most one heap. */
    public abstract static class Node {
        long heapDeadlineNanos = Long.MAX_VALUE;
        int heapIndex = -1;

        /** The deadline this node is filed under, {@code Long.MAX_VALUE} when not in the heap. */
        public final long heapDeadlineNanos() {
            return heapDeadlineNanos;
        }
    }

    private Node[] nodes = new Node[16];
    private int size;

    public int size() {
        return size;
    }

    /** The earliest deadline, or {@code Long.MAX_VALUE} when empty. */
    public long peekDeadlineNanos() {
        return size == 0 ? Long.MAX_VALUE : nodes[0].heapDeadlineNanos;
    }

    /**
     * Files {@code node} under {@code deadlineNanos}: inserts, moves, or, for
     * {@code Long.MAX_VALUE}, removes it.
     */
    public void update(T node, long deadlineNanos) {
        if (deadlineNanos == Long.MAX_VALUE) {
            remove(node);
            return;
        }
        if (node.heapIndex < 0) {
            if (size == nodes.length) {
                nodes = Arrays.copyOf(nodes, size * 2);
            }
            node.heapDeadlineNanos = deadlineNanos;
            node.heapIndex = size;
            nodes[size++] = node;
            siftUp(node.heapIndex);
            return;
        }
        long old = node.heapDeadlineNanos;
        node.heapDeadlineNanos = deadlineNanos;
        if (deadlineNanos < old) {
            siftUp(node.heapIndex);
        } else if (deadlineNanos > old) {
            siftDown(node.heapIndex);
        }
    }

    public void remove(T node) {
        int i = node.heapIndex;
        if (i < 0) {
            return;
        }
        Node last = nodes[--size];
        nodes[size] = null;
        node.heapIndex = -1;
        node.heapDeadlineNanos = Long.MAX_VALUE;
        if (i < size) {
            nodes[i] = last;
            last.heapIndex = i;
            siftDown(i);
            siftUp(last.heapIndex);
        }
    }

    /** The node with the earliest deadline if that deadline is at or before {@code nowNanos}, else null. */
    @SuppressWarnings("unchecked")
    public T peekExpired(long nowNanos) {
        return size > 0 && nodes[0].heapDeadlineNanos <= nowNanos ? (T) nodes[0] : null;
    }

    private void siftUp(int i) {
        Node node = nodes[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Node p = nodes[parent];
            if (p.heapDeadlineNanos <= node.heapDeadlineNanos) {
                break;
            }
            nodes[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        nodes[i] = node;
        node.heapIndex = i;
    }

    private void siftDown(int i) {
        Node node = nodes[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && nodes[right].heapDeadlineNanos < nodes[child].heapDeadlineNanos) {
                child = right;
            }
            if (node.heapDeadlineNanos <= nodes[child].heapDeadlineNanos) {
                break;
            }
            nodes[i] = nodes[child];
            nodes[i].heapIndex = i;
            i = child;
        }
        nodes[i] = node;
        node.heapIndex = i;
    }
}
