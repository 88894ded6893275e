package io.usertcp.tools.bench;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * Our side of the memory case: the Java heap in use after full collections, and direct memory
 * (Netty's own counter when it allocates without a cleaner, plus the JDK's direct buffer pool).
 */
final class HeapMeter {
    private static final int COLLECTIONS = 4;

    private HeapMeter() {}

    /** Heap and direct bytes in use. */
    record Sample(long heapBytes, long directBytes) {
        long total() {
            return heapBytes + directBytes;
        }
    }

    /**
     * Collects until the heap in use stops shrinking (at most {@value #COLLECTIONS} times), then
     * reads it. What is left is what something still refers to.
     */
    static Sample measure() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (now >= used) {
                used = now;
                break;
            }
            used = now;
        }
        return new Sample(used, direct());
    }

    private static long direct() {
        long netty = Math.max(0, PlatformDependent.usedDirectMemory());
        long jdk = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                jdk = pool.getMemoryUsed();
            }
        }
        return netty + jdk;
    }
}
