package io.usertcp.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.ConnectionObserver;
import io.usertcp.wire.Ipv4Address;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StackRunner#atEndOfNextTurn}: work asked for on the stack's thread runs there, after the
 * turn it was asked in has ended, and before an idle runner sleeps (a runner that slept first would
 * hold it up to its 100 ms maximum wait); work it asks for in turn runs a turn later again; a fault
 * in it is contained; and other threads are told to use a task. Real time on an idle stack, every
 * wait bounded, none a sleep.
 */
class StackRunnerTurnEndTest {
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

    @Test
    void workRunsAfterTheTurnItWasAskedIn_onTheStackThread_beforeTheIdleRunnerSleeps() throws Exception {
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
    void workAskedForByTurnEndWork_runsAtTheEndOfTheTurnAfter() throws Exception {
        CompletableFuture<Integer> second = new CompletableFuture<>();
        runner.execute(() -> runner.atEndOfNextTurn(() -> runner.atEndOfNextTurn(() -> second.complete(2))));
        assertEquals(2, second.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aFaultInTheWork_isContained_andTheRunnerGoesOn() throws Exception {
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
    void fromAnotherThread_itIsRefusedWithAMessageThatSaysWhatToDo() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> runner.atEndOfNextTurn(() -> { }));
        assertTrue(e.getMessage().contains("stack thread"), e.getMessage());
    }
}
