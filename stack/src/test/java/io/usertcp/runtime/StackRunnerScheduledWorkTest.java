package io.usertcp.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.wire.Ipv4Address;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runner's hook for an event loop's scheduled tasks ({@link StackRunner#addScheduledWork}):
 * due work runs on the stack's thread, never early, the runner wakes up for its deadline (an idle
 * runner would otherwise sleep up to 100 ms a turn), work that keeps itself due does not starve
 * the runner's tasks, a fault in it is contained, and a runner has one piece of work at a time.
 * And its hook for work at the end of the next turn ({@link StackRunner#atEndOfNextTurn}): it runs
 * on the stack's thread after the turn that asked for it, before an idle runner sleeps, work it
 * asks for runs a turn later, a fault in it is contained, other threads are told to use a task.
 * Real time on an idle stack; every wait bounded, none a sleep.
 */
class StackRunnerScheduledWorkTest {
    ConcurrentLinkPair wire = new ConcurrentLinkPair(1500);
    StackRunner runner;

    @BeforeEach
    void start() {
        runner = StackRunnerFaultTest.runner(Ipv4Address.of("198.18.0.1"), wire.a(), 1, ConnectionObserver.NONE);
    }

    @AfterEach
    void stop() {
        runner.close();
        wire.clear();
    }

    /** Runs {@code remaining} times, each {@code periodNanos} after the last run, and records where and when. */
    static final class Periodic implements ScheduledWork {
        final StackRunner runner;
        final long periodNanos;
        final AtomicInteger remaining;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile long deadline;
        volatile boolean onStackThread = true;
        volatile boolean early;

        Periodic(StackRunner runner, long periodNanos, int times) {
            this.runner = runner;
            this.periodNanos = periodNanos;
            this.remaining = new AtomicInteger(times);
            this.deadline = StackRunner.nowNanos() + periodNanos;
        }

        @Override
        public long nextDeadlineNanos() {
            return done.isDone() ? Long.MAX_VALUE : deadline;
        }

        @Override
        public void runDue(long nowNanos) {
            onStackThread &= runner.inStackThread();
            early |= nowNanos < deadline || StackRunner.nowNanos() < deadline;
            if (remaining.decrementAndGet() == 0) {
                done.complete(null);
            } else {
                deadline = nowNanos + periodNanos;
            }
        }
    }

    @Test
    void dueWork_runsOnTheStackThread_neverEarly_andTheRunnerWakesForItsDeadline() throws Exception {
        // 50 runs 1 ms apart: ~50 ms when the runner waits for each deadline; 5 s if it only woke at its
        // 100 ms maximum wait. The bound (2.5 s) tells the two apart with room for a loaded machine.
        Periodic work = new Periodic(runner, 1_000_000L, 50);
        runner.addScheduledWork(work);
        assertDoesNotThrow(() -> work.done.get(2_500, TimeUnit.MILLISECONDS),
                "50 runs 1 ms apart did not end within 2.5 s: the runner does not wake up for the work's deadline");
        assertTrue(work.onStackThread, "runDue on the runner's thread");
        assertTrue(!work.early, "never before the deadline");
        assertEquals(java.util.List.of(work), runner.scheduledWorks());
    }

    @Test
    void workThatIsAlwaysDue_doesNotStarveTheRunnersTasks() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        runner.addScheduledWork(new ScheduledWork() {
            @Override
            public long nextDeadlineNanos() {
                return 0; // always due: a task that reschedules itself with no delay
            }

            @Override
            public void runDue(long nowNanos) {
                runs.incrementAndGet();
            }
        });
        for (int i = 0; i < 20; i++) {
            int n = i;
            assertEquals(n, runner.submit(now -> n).get(5, TimeUnit.SECONDS), "a task still runs while the work is always due");
        }
        assertTrue(runs.get() > 0, "the work ran too");
    }

    @Test
    void aFaultInTheWork_isContained_andTheRunnerGoesOn() throws Exception {
        CompletableFuture<Void> ranAfterFault = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        long due = StackRunner.nowNanos();
        runner.addScheduledWork(new ScheduledWork() {
            @Override
            public long nextDeadlineNanos() {
                return ranAfterFault.isDone() ? Long.MAX_VALUE : due;
            }

            @Override
            public void runDue(long nowNanos) {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("injected fault: scheduled work with a bug");
                }
                ranAfterFault.complete(null);
            }
        });
        ranAfterFault.get(5, TimeUnit.SECONDS);
        assertTrue(runner.isAlive(), runner.health());
        assertEquals(1L, (long) runner.call(now -> runner.stack().stats().get(Counter.UsertcpStackFaults)));
    }

    @Test
    void severalWorks_eachRunAtItsOwnDeadlines_andRemovedWorkNoLongerRuns() throws Exception {
        // two event loops on one thread (a Netty server's parent and child groups): each runs, 1 and 3 ms apart
        Periodic first = new Periodic(runner, 1_000_000L, 1_000_000);
        Periodic second = new Periodic(runner, 3_000_000L, 20);
        runner.addScheduledWork(first);
        runner.addScheduledWork(second);
        runner.addScheduledWork(first); // the same work again is no change
        assertEquals(java.util.List.of(first, second), runner.scheduledWorks());
        assertDoesNotThrow(() -> second.done.get(2_500, TimeUnit.MILLISECONDS),
                "20 runs 3 ms apart beside another work did not end within 2.5 s");
        assertTrue(second.onStackThread && !second.early, "on the stack thread, never early");
        assertTrue(first.remaining.get() < 1_000_000, "the first work ran too");
        runner.removeScheduledWork(first);
        assertEquals(java.util.List.of(second), runner.scheduledWorks());
        int left = runner.call(now -> first.remaining.get()); // a task after the removal: no turn runs it from now on
        runner.call(now -> null);
        runner.call(now -> null);
        assertEquals(left, first.remaining.get(), "removed work is not run");
        assertThrows(IllegalArgumentException.class, () -> runner.addScheduledWork(null));
    }

    // ---- atEndOfNextTurn ----

    @Test
    void turnEndWork_runsAfterTheTurnItWasAskedIn_onTheStackThread_beforeTheIdleRunnerSleeps() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Boolean> ran = new CompletableFuture<>();
        runner.execute(() -> {
            runner.atEndOfNextTurn(() -> {
                order.add("turn-end work");
                ran.complete(runner.inStackThread());
            });
            order.add("the task that asked");
        });
        assertTrue(ran.get(5, TimeUnit.SECONDS), "ran on the stack thread");
        assertEquals(List.of("the task that asked", "turn-end work"), order);
        // Twenty rounds on an idle runner: at least 2 s if each waited out an idle sleep (100 ms at most, the
        // runner's longest wait), a few ms if the runner runs the work before it sleeps. 1 s tells them apart.
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            CompletableFuture<Void> round = new CompletableFuture<>();
            runner.execute(() -> runner.atEndOfNextTurn(() -> round.complete(null)));
            round.get(5, TimeUnit.SECONDS);
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMillis < 1000, "20 rounds took " + tookMillis + " ms");
    }

    @Test
    void turnEndWork_askedForByTurnEndWork_runsAtTheEndOfTheTurnAfter() throws Exception {
        CompletableFuture<Integer> second = new CompletableFuture<>();
        runner.execute(() -> runner.atEndOfNextTurn(() -> runner.atEndOfNextTurn(() -> second.complete(2))));
        assertEquals(2, second.get(5, TimeUnit.SECONDS));
    }

    @Test
    void turnEndWork_aFaultInIt_isContained_andTheRunnerGoesOn() throws Exception {
        CompletableFuture<String> after = new CompletableFuture<>();
        runner.execute(() -> {
            runner.atEndOfNextTurn(() -> {
                throw new IllegalStateException("a faulty piece of work, on purpose");
            });
            runner.atEndOfNextTurn(() -> after.complete("the next piece ran"));
        });
        assertEquals("the next piece ran", after.get(5, TimeUnit.SECONDS));
        assertTrue(runner.isAlive());
        assertEquals(42, (int) runner.call(now -> 42));
    }

    @Test
    void turnEndWork_fromAnotherThread_isRefusedWithAMessageThatSaysWhatToDo() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> runner.atEndOfNextTurn(() -> { }));
        assertTrue(e.getMessage().contains("stack thread"), e.getMessage());
    }
}
