package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaked a {@code ByteBuf}. Registered for every test through JUnit's extension
 * auto-detection (see {@code junit-platform.properties}).
 *
 * <p>Netty notices a leak when the garbage collector has cleared an unreleased buffer and the next
 * tracked buffer is allocated (a direct one: Netty 4.2 does not track unpooled heap buffers, which
 * the collector frees anyway). After each test we collect and allocate a few times; a leak is then
 * reported to {@link LeakRecorder} and fails the test that made it. Collection is not instantaneous,
 * so a leak may occasionally be pinned on the next test of the same JVM: the build fails either way.
 */
public final class LeakCheckExtension implements AfterEachCallback {
    private static final int COLLECTIONS = 3;

    @Override
    public void afterEach(ExtensionContext context) {
        check(context.getDisplayName());
    }

    /**
     * Runs a collection and blocks until the JVM's Reference Handler has enqueued the references it
     * cleared (Netty's leak detector learns of leaks from such a queue). A sentinel that is
     * unreachable before {@code System.gc()} is cleared by that same collection; once it comes off
     * our queue, the references cleared with it have been handed on too. Bounded: at most 1 s.
     */
    private static void collectAndAwaitReferenceProcessing() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            queue.remove(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Reference.reachabilityFence(sentinel);
    }

    /**
     * Collects garbage, lets Netty report what it found, and throws when anything leaked.
     *
     * @param testName named in the failure message
     */
    public static void check(String testName) {
        if (!LeakRecorder.installed() || ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
            return;
        }
        for (int i = 0; i < COLLECTIONS; i++) {
            collectAndAwaitReferenceProcessing();
            ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.directBuffer(1);
            probe.release();
        }
        List<String> leaks = LeakRecorder.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) detected during or before "
                    + testName + ":\n" + String.join("\n", leaks));
        }
    }
}
