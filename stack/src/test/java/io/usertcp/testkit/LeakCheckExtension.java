package io.usertcp.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
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
     * Collects garbage, lets Netty report what it found, and throws when anything leaked.
     *
     * @param testName named in the failure message
     */
    public static void check(String testName) {
        if (!LeakRecorder.installed() || ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
            return;
        }
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
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
