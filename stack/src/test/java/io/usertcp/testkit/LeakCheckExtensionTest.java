package io.usertcp.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** The leak check itself: paranoid level is on, and an unreleased buffer fails the check. */
class LeakCheckExtensionTest {

    @Test
    void paranoidLevelIsOnAndRecorderInstalled() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
        assertTrue(LeakRecorder.installed());
    }

    @Test
    void unreleasedBufferIsReportedAsALeak() {
        leakOne();
        AssertionError error = assertThrows(AssertionError.class, () -> LeakCheckExtension.check("leakOne"));
        assertTrue(error.getMessage().contains("leak"), error.getMessage());
        assertFalse(error.getMessage().isEmpty());
    }

    private static void leakOne() {
        ByteBuf leaked = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeInt(42); // touched, never released; the reference dies with this frame
    }
}
