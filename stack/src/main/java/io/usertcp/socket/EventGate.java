package io.usertcp.socket;

import java.io.InterruptedIOException;

/**
 * Turns events on the stack thread into wake-ups for blocked user threads: the socket's handler
 * ({@code TcpSocket.Events}) or a listener's callback calls {@link #signal()}. A user thread reads
 * {@link #version()} before asking the stack for progress and, if there was none, waits until the
 * version moves, so an event between the two steps is never lost.
 */
final class EventGate {
    private long version;

    synchronized long version() {
        return version;
    }

    synchronized void signal() {
        version++;
        notifyAll();
    }

    /**
     * Waits until the version differs from {@code seen} or the deadline passes.
     *
     * @param deadlineNanos on the {@code System.nanoTime} clock; {@code Long.MAX_VALUE} for none
     * @return false when the deadline passed first
     */
    synchronized boolean awaitChange(long seen, long deadlineNanos) throws InterruptedIOException {
        while (version == seen) {
            long left = deadlineNanos == Long.MAX_VALUE ? 0 : deadlineNanos - System.nanoTime();
            if (deadlineNanos != Long.MAX_VALUE && left <= 0) {
                return false;
            }
            try {
                if (deadlineNanos == Long.MAX_VALUE) {
                    wait();
                } else {
                    wait(Math.max(1, (left + 999_999) / 1_000_000L));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while blocked on a socket");
            }
        }
        return true;
    }
}
