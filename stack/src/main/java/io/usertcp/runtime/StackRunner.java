package io.usertcp.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.VirtioNetHeader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link TcpStack} in real time on its own thread. Each turn of the loop: run queued tasks,
 * feed every waiting packet to the stack (sending what each segment calls for before the next,
 * as Linux and the simulator do: {@link TcpStack#transmitOwed}), fire due timers (the stack's,
 * then the {@linkplain #addScheduledWork scheduled work} of event loops built on this thread),
 * deliver events and transmit, then wait on the link until the next deadline (or a packet, or a
 * task). Tasks from other threads wake the wait.
 *
 * <p><b>Failures.</b> An unexpected exception while the stack handles one packet, one timer
 * round or one task is contained ({@link Faults}): it is logged at ERROR, counted
 * ({@code UsertcpStackFaults}), the connection it concerns is aborted when the runner can tell
 * which one it is, and the stack goes on serving. A {@link VirtualMachineError} other than running
 * out of direct memory is not contained: the thread ends. Whenever the thread ends (closed, or
 * dead), every pending and future call fails at once with a {@link StackStoppedException} that
 * carries the cause, and every {@linkplain #onTermination termination listener} runs, so blocked
 * callers wake up.
 */
public final class StackRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StackRunner.class);
    /** Packets read per turn before timers and tasks get a look in, so a flood cannot starve them. */
    private static final int RECEIVE_BUDGET = 256;
    /** The longest single wait: bounds how late a lost wakeup could be noticed. */
    private static final long MAX_WAIT_NANOS = 100_000_000L;
    /** The longest busy poll {@link #setBusyPollNanos} takes: 1 ms. */
    public static final long MAX_BUSY_POLL_NANOS = 1_000_000L;

    private final TcpStack stack;
    private final WaitableLink link;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final Faults faults;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Set<Runnable> terminationListeners = ConcurrentHashMap.newKeySet();
    /** Connections the socket layer holds, by tuple, so a fault on a packet can be pinned on one (stack thread only). */
    private final Map<ConnectionId, Watched> watched = new HashMap<>();
    private volatile boolean running = true;
    /** How long an idle turn polls before it sleeps (0: it sleeps at once, the default). */
    private volatile long busyPollNanos;
    /** Set once the thread stops serving: the exception every call fails with from then on. */
    private volatile StackStoppedException stopped;
    /** Event loops' timed tasks, run beside the stack's timers (one per loop on this thread). */
    private volatile ScheduledWork[] scheduledWorks = new ScheduledWork[0];

    /** Work asked for this turn, to run at the end of the next one ({@link #atEndOfNextTurn}); stack thread only. */
    private ArrayList<Runnable> nextTurnWork = new ArrayList<>();
    /** Work asked for in the previous turn, run at the end of this one; stack thread only. */
    private ArrayList<Runnable> thisTurnWork = new ArrayList<>();

    private record Watched(TcpConnection connection, Consumer<Throwable> onFault) {}

    /**
     * @param name the thread's name, e.g. {@code usertcp-stack}
     */
    public StackRunner(TcpStack stack, WaitableLink link, String name) {
        this.stack = stack;
        this.link = link;
        this.faults = new Faults(stack.stats());
        // A FastThreadLocalThread gets Netty's per-thread buffer cache and object recycling; on a
        // plain Thread (Netty 4.2 default useCacheForAllThreads=false) every packet goes through
        // the shared arena's lock and allocates its ByteBuf object (benchmarks/README.md).
        this.thread = new FastThreadLocalThread(this::loop, name);
        this.thread.setDaemon(true);
    }

    /**
     * Busy polling: with nothing to do, the stack's thread polls the link and its task queue for up
     * to {@code nanos} before it sleeps in the link's wait (as Linux's {@code net.core.busy_poll}
     * and SO_BUSY_POLL do, off by default there too). A packet or a call that comes within that
     * time then costs no wakeup of a sleeping thread, which is most of a round trip's latency on a
     * virtual machine; the price is up to that much CPU after every burst, and a whole core under
     * steady traffic. Any thread, any time.
     *
     * @param nanos 0 (off) .. {@link #MAX_BUSY_POLL_NANOS}
     * @return this runner
     */
    public StackRunner setBusyPollNanos(long nanos) {
        if (nanos < 0 || nanos > MAX_BUSY_POLL_NANOS) {
            throw new IllegalArgumentException("busy poll: " + nanos + " ns (expected: 0.." + MAX_BUSY_POLL_NANOS + ")");
        }
        busyPollNanos = nanos;
        return this;
    }

    /** The busy-poll time ({@link #setBusyPollNanos}). */
    public long busyPollNanos() {
        return busyPollNanos;
    }

    public StackRunner start() {
        thread.start();
        return this;
    }

    /** The stack's monotonic clock, in nanoseconds. */
    public static long nowNanos() {
        return System.nanoTime();
    }

    public TcpStack stack() {
        return stack;
    }

    /** Whether the caller is the runner's thread (where the stack may be touched directly). */
    public boolean inStackThread() {
        return Thread.currentThread() == thread;
    }

    /** Whether {@code t} is the runner's thread (an event loop's {@code inEventLoop(Thread)}). */
    public boolean isStackThread(Thread t) {
        return t == thread;
    }

    /**
     * Gives the runner timed work to run on its thread beside the stack's own timers (an event
     * loop's scheduled tasks: {@link ScheduledWork}). Each turn the runner runs what is due of each,
     * and it never waits past the earliest of their deadlines. Several event loops may share the
     * thread (a Netty server's parent and child groups on one stack), each with its own work.
     * Adding work that is already there changes nothing. Any thread; the runner wakes up to take the
     * new deadline into account.
     */
    public void addScheduledWork(ScheduledWork work) {
        if (work == null) {
            throw new IllegalArgumentException("scheduled work: null (expected: the work to run; removeScheduledWork takes it back)");
        }
        synchronized (this) {
            if (!List.of(scheduledWorks).contains(work)) {
                ScheduledWork[] more = java.util.Arrays.copyOf(scheduledWorks, scheduledWorks.length + 1);
                more[scheduledWorks.length] = work;
                scheduledWorks = more; // copy on write: the loop reads the array without a lock or an iterator
            }
        }
        link.wakeup();
    }

    /** Takes back work given by {@link #addScheduledWork}; no turn runs it afterwards. Any thread. */
    public void removeScheduledWork(ScheduledWork work) {
        synchronized (this) {
            scheduledWorks = java.util.Arrays.stream(scheduledWorks).filter(w -> w != work).toArray(ScheduledWork[]::new);
        }
    }

    /** The runner's scheduled work ({@link #addScheduledWork}), in the order given. */
    public List<ScheduledWork> scheduledWorks() {
        return List.of(scheduledWorks);
    }

    // =====================================================================================
    // Health
    // =====================================================================================

    /** Whether the stack thread still serves (started, not closed, not dead). */
    public boolean isAlive() {
        return stopped == null && running;
    }

    /** What killed the stack thread, or null while it runs or when it was closed in order. */
    public Throwable deathCause() {
        StackStoppedException s = stopped;
        return s == null ? null : s.getCause();
    }

    /**
     * What calls fail with now that the runner stopped serving (a fresh copy), or null while it
     * serves: also between {@link #close()} and the thread's last act, when calls already fail.
     */
    public StackStoppedException stoppedFailure() {
        StackStoppedException s = stop();
        return s == null ? null : copy(s);
    }

    /** What calls fail with (not a copy), or null while the runner serves. */
    private StackStoppedException stop() {
        return stopped != null ? stopped : running ? null : stoppedException(null);
    }

    /** One line for people: {@code alive}, {@code stopped}, or {@code dead: java.lang.Error: boom}. */
    public String health() {
        StackStoppedException s = stopped;
        if (s == null) {
            return running ? "alive" : "stopping";
        }
        return s.died() ? "dead: " + s.getCause() : "stopped";
    }

    /**
     * Waits until the stack thread has stopped serving (closed or dead) and every pending call has
     * been failed.
     *
     * @return whether it stopped within the timeout
     */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /**
     * Runs {@code listener} once when the stack thread stops serving, on that thread (or at once on
     * the caller's, if it already has). Keep it quick: wake someone up. Remove it with
     * {@link #removeTerminationListener} when it no longer matters, or it is kept until then.
     */
    public void onTermination(Runnable listener) {
        terminationListeners.add(listener);
        if (terminated.getCount() == 0 && terminationListeners.remove(listener)) {
            listener.run();
        }
    }

    public void removeTerminationListener(Runnable listener) {
        terminationListeners.remove(listener);
    }

    /**
     * Lets a fault on a packet of {@code connection}'s four-tuple be pinned on it: the runner then
     * aborts it and tells {@code onFault} why. Stack thread only; {@link #unwatch} when done.
     */
    public void watch(TcpConnection connection, Consumer<Throwable> onFault) {
        watched.put(connection.id(), new Watched(connection, onFault));
    }

    /** Stack thread only. */
    public void unwatch(TcpConnection connection) {
        Watched w = watched.get(connection.id());
        if (w != null && w.connection() == connection) {
            watched.remove(connection.id());
        }
    }

    // =====================================================================================
    // Calls from other threads
    // =====================================================================================

    /**
     * Queues {@code task} to run on the stack's thread.
     *
     * @throws StackStoppedException when the runner is closed or its thread died
     */
    public void execute(Runnable task) {
        checkServing();
        tasks.add(task);
        if (stopped != null) {
            failPending(); // the thread may have drained the queue just before our add
        }
        link.wakeup();
    }

    /**
     * Runs {@code task} on the stack's thread with the current time and returns its result as a
     * future; once the thread has stopped, the future fails with a {@link StackStoppedException}.
     */
    public <T> CompletableFuture<T> submit(LongFunction<T> task) {
        Call<T> call = new Call<>(task);
        if (inStackThread()) {
            call.run();
            return call.result;
        }
        StackStoppedException s = stop();
        if (s != null) {
            call.result.completeExceptionally(copy(s));
            return call.result;
        }
        tasks.add(call);
        if (stopped != null) {
            failPending();
        }
        link.wakeup();
        return call.result;
    }

    /**
     * Runs {@code task} on the stack's thread and waits for its result. Exceptions the task throws
     * are rethrown here unchanged when unchecked.
     *
     * @throws StackStoppedException at once when the runner is closed or its thread died (the
     *                               cause says why), including while this call waits
     */
    public <T> T call(LongFunction<T> task) {
        CompletableFuture<T> f = submit(task);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StackStoppedException s) {
                throw copy(s); // with this caller's stack trace
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the stack thread", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the stack thread did not answer within 30 s (" + health() + ")", e);
        }
    }

    /** A task whose caller waits for its result: failed, not dropped, when the thread stops. */
    private static final class Call<T> implements Runnable {
        final LongFunction<T> task;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Call(LongFunction<T> task) {
            this.task = task;
        }

        @Override
        public void run() {
            try {
                result.complete(task.apply(nowNanos()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
                if (t instanceof VirtualMachineError vme && !Faults.isDirectMemoryExhausted(vme)) {
                    throw vme; // the caller hears of it, and the thread cannot go on
                }
            }
        }
    }

    private void checkServing() {
        StackStoppedException s = stopped;
        if (s != null) {
            throw copy(s);
        }
        if (!running) {
            throw stoppedException(null);
        }
    }

    private StackStoppedException stoppedException(Throwable death) {
        return new StackStoppedException(thread.getName(), death);
    }

    private StackStoppedException copy(StackStoppedException s) {
        return stoppedException(s.getCause());
    }

    // =====================================================================================
    // The loop
    // =====================================================================================

    private void loop() {
        Throwable death = null;
        try {
            while (running) {
                turn();
            }
        } catch (Throwable t) {
            death = t;
            // Fail callers before anything else that could go wrong in a stack in an unknown state.
            stopped = stoppedException(t);
            log.error("stack thread {} died; the stack stops and every call fails from now on", thread.getName(), t);
        } finally {
            terminate(death);
        }
    }

    private void terminate(Throwable death) {
        try {
            stack.close(nowNanos()); // handlers hear STACK_CLOSED: blocked readers wake
        } catch (Throwable t) {
            log.error("closing the stack after it stopped failed", t);
        }
        if (death == null) {
            // An orderly close: tasks queued before it see the stack closed rather than hang.
            Runnable r;
            while ((r = tasks.poll()) != null) {
                try {
                    r.run();
                } catch (RuntimeException | Error e) {
                    log.warn("a task queued before the stack closed failed", e);
                }
            }
            stopped = stoppedException(null);
        }
        failPending();
        terminated.countDown();
        for (Runnable listener : terminationListeners.toArray(Runnable[]::new)) {
            if (terminationListeners.remove(listener)) {
                try {
                    listener.run();
                } catch (RuntimeException | Error e) {
                    log.warn("a termination listener failed", e);
                }
            }
        }
    }

    /** Fails every queued call with the stop's cause; other tasks are dropped (any thread). */
    private void failPending() {
        StackStoppedException s = stopped;
        Runnable r;
        while ((r = tasks.poll()) != null) {
            if (r instanceof Call<?> call) {
                call.result.completeExceptionally(copy(s));
            }
        }
    }

    /**
     * Polls the link and the task queue without sleeping for up to {@code nanos} (Linux's
     * SO_BUSY_POLL, DPDK's polling mode): whether something came.
     */
    private boolean busyPoll(long nanos) {
        if (nanos <= 0) {
            return false;
        }
        long end = System.nanoTime() + nanos;
        do {
            if (link.awaitReadable(0) || !tasks.isEmpty()) {
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < end);
        return false;
    }

    private void turn() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                faults.contain(e, "a task queued by the application");
            }
            // What a user call queued leaves before the next call runs, as a Linux system call sends
            // before it returns: otherwise a write followed at once by a close that resets (unread
            // data, linger 0) could run in the same turn, and the RST would discard the written data.
            transmit();
        }
        int received = receiveBatch();
        long now = nowNanos();
        if (stack.nextDeadlineNanos() <= now) {
            try {
                stack.onTimeout(now);
            } catch (RuntimeException | Error e) {
                faults.contain(e, "timers");
            }
        }
        long turnNow = nowNanos();
        for (ScheduledWork work : scheduledWorks) {
            runScheduledWork(work, turnNow);
        }
        transmit();
        runTurnEndWork();
        if (received == 0 && tasks.isEmpty() && thisTurnWork.isEmpty()) {
            long workDeadline = Long.MAX_VALUE; // after transmit: the events it delivered may have scheduled work
            for (ScheduledWork work : scheduledWorks) {
                workDeadline = Math.min(workDeadline, nextDeadline(work));
            }
            long wait = Math.min(MAX_WAIT_NANOS, Math.min(stack.nextDeadlineNanos(), workDeadline) - nowNanos());
            if (wait > 0 && !busyPoll(Math.min(wait, busyPollNanos))) {
                link.awaitReadable(wait);
            }
        }
    }

    /**
     * On the stack thread: runs {@code work} at the end of the next turn, after that turn's segments
     * were processed and its output sent, and before the runner considers sleeping: one receive
     * batch later, or at once when nothing more came. The socket layer answers a waiting blocking
     * read this way when the data that arrived does not fill it, so that a reader of a busy stream
     * gets the next batch too, while a lone request is answered before the thread sleeps.
     *
     * @throws IllegalStateException off the stack thread
     */
    public void atEndOfNextTurn(Runnable work) {
        if (!inStackThread()) {
            throw new IllegalStateException("atEndOfNextTurn: call it on the stack thread (from a task or a handler)");
        }
        nextTurnWork.add(work);
    }

    /** The end of a turn: runs the work asked for in the previous turn, and makes this turn's next. */
    private void runTurnEndWork() {
        ArrayList<Runnable> due = thisTurnWork;
        thisTurnWork = nextTurnWork;
        nextTurnWork = due;
        if (due.isEmpty()) {
            return;
        }
        for (int i = 0; i < due.size(); i++) {
            try {
                due.get(i).run();
            } catch (RuntimeException | Error e) {
                faults.contain(e, "work at the end of a turn");
            }
        }
        due.clear();
        transmit(); // what the work opened (a read's window update) goes now
    }

    /** Runs what of the scheduled work is due; a fault in it is contained as a task's is. */
    private void runScheduledWork(ScheduledWork work, long now) {
        try {
            if (work.nextDeadlineNanos() <= now) {
                work.runDue(now);
            }
        } catch (RuntimeException | Error e) {
            faults.contain(e, "scheduled work");
        }
    }

    private long nextDeadline(ScheduledWork work) {
        try {
            return work.nextDeadlineNanos();
        } catch (RuntimeException e) {
            faults.contain(e, "scheduled work's deadline");
            return Long.MAX_VALUE;
        }
    }

    private void transmit() {
        try {
            stack.pollTransmit(nowNanos(), link);
        } catch (RuntimeException | Error e) {
            faults.contain(e, "transmit");
        }
    }

    /** What the last segment calls for, before the next ({@link TcpStack#transmitOwed}). */
    private void transmitOwed() {
        try {
            stack.transmitOwed(nowNanos(), link);
        } catch (RuntimeException | Error e) {
            faults.contain(e, "transmit");
        }
    }

    /** Feeds up to {@link #RECEIVE_BUDGET} packets to the stack; each fault stays with its packet. */
    private int receiveBatch() {
        int received = 0;
        boolean frames = link.offloads().virtioHeader(); // a link's framing does not change: asked once a batch
        while (received < RECEIVE_BUDGET) {
            ByteBuf packet;
            try {
                packet = link.receive();
            } catch (OutOfMemoryError e) {
                faults.noMemory(e, "the link could not allocate a receive buffer");
                break; // let memory come back before the next try
            }
            if (packet == null) {
                break;
            }
            received++;
            faults.remember(packet, frames ? VirtioNetHeader.LENGTH : 0); // before the stack releases the packet
            try {
                if (frames) {
                    stack.receiveFrame(nowNanos(), packet);
                } else {
                    stack.receive(nowNanos(), packet);
                }
            } catch (RuntimeException | Error e) {
                ConnectionId id = faults.rememberedTuple();
                faults.contain(e, id == null ? "a packet" : "a packet for " + id);
                abortWatched(id, e);
            }
            if (stack.owesOutput()) {
                transmitOwed(); // the segment's answer goes before the next segment is processed; events wait for the batch's end
            }
        }
        return received;
    }

    /** Aborts the connection a faulty packet was for, when the socket layer holds it. */
    private void abortWatched(ConnectionId id, Throwable fault) {
        Watched w = id == null ? null : watched.remove(id);
        if (w == null) {
            return;
        }
        stack.stats().increment(Counter.UsertcpFaultAborts);
        log.error("connection {} aborted after the fault above", id);
        try {
            w.onFault().accept(fault);
            w.connection().abort(nowNanos());
        } catch (RuntimeException | Error e) {
            faults.contain(e, "aborting " + id);
        }
    }

    /** {@code StackRunner[usertcp-stack-..., alive]}: its thread's name and its health. */
    @Override
    public String toString() {
        return "StackRunner[" + thread.getName() + ", " + health() + "]";
    }

    /** Stops the loop, closes the stack (dropping every connection) and waits for the thread. */
    @Override
    public void close() {
        running = false;
        link.wakeup();
        if (!inStackThread()) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
