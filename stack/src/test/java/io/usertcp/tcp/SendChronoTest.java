package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.tcp.SendChrono.Type;
import org.junit.jupiter.api.Test;

/** Linux's tcp_chrono_start()/tcp_chrono_stop() rules: one chronograph at a time, the highest that holds. */
class SendChronoTest {
    private static final long MS = 1_000_000L;

    @Test
    void highestConditionRuns_busyTimeIsTheirSum() {
        SendChrono c = new SendChrono();
        c.start(Type.BUSY, 0);
        c.start(Type.RWND_LIMITED, 10 * MS);
        c.start(Type.BUSY, 20 * MS); // lower than the running one: nothing changes
        assertEquals(Type.RWND_LIMITED, c.running());
        c.stop(Type.RWND_LIMITED, 30 * MS, false); // data still queued: busy takes over
        assertEquals(Type.BUSY, c.running());
        assertEquals(20 * MS, c.nanos(Type.RWND_LIMITED, 40 * MS));
        assertEquals(20 * MS, c.nanos(Type.BUSY, 40 * MS), "10 ms before and 10 ms after, the running stretch included");
        assertEquals(40 * MS, c.busyNanos(40 * MS));
    }

    @Test
    void stopOfAConditionNotRunning_changesNothing_unlessTheQueuesAreEmpty() {
        SendChrono c = new SendChrono();
        c.start(Type.SNDBUF_LIMITED, 0);
        c.stop(Type.RWND_LIMITED, 5 * MS, false);
        assertEquals(Type.SNDBUF_LIMITED, c.running());
        c.stop(Type.RWND_LIMITED, 7 * MS, true); // nothing queued or in flight: every chronograph stops
        assertEquals(Type.NONE, c.running());
        assertEquals(7 * MS, c.nanos(Type.SNDBUF_LIMITED, 100 * MS));
        assertEquals(7 * MS, c.busyNanos(100 * MS), "idle time is not busy");
    }
}
