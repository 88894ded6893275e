package io.usertcp.testkit;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A Netty leak detector factory that, besides logging, records every leak it reports so a test can
 * fail on it (Netty alone only logs). Installed by {@link LeakRecordingSessionListener} before any
 * {@code ByteBuf} class is loaded, because Netty creates its detector in a static initialiser.
 */
public final class LeakRecorder extends ResourceLeakDetectorFactory {
    private static final List<String> LEAKS = new ArrayList<>();
    private static volatile boolean installed;

    static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new LeakRecorder());
            installed = true;
        }
    }

    static boolean installed() {
        return installed;
    }

    /** Returns and forgets the leaks recorded so far. */
    static List<String> drain() {
        synchronized (LEAKS) {
            List<String> copy = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return copy;
        }
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return new Recording<>(resource, samplingInterval);
    }

    private static final class Recording<T> extends ResourceLeakDetector<T> {
        Recording(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record(resourceType + " leaked:" + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record(resourceType + " leaked (no access records)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
