package io.usertcp.sim;

/**
 * A bottleneck on one direction of a {@link SimulatedNetwork}: a link of {@code bitsPerSecond}
 * with a drop-tail queue in front of it, as a router's interface or a {@code tbf} qdisc has. Each
 * packet that survives the loss model waits until the link has sent every packet queued before
 * it, then takes its own serialization time ({@code 8 * bytes / bitsPerSecond}); only then do the
 * propagation delay and jitter of the {@link FaultProfile} start. A packet that would find more
 * than {@code queueBytes} waiting ahead of it is dropped ({@link PacketFate#QUEUE_FULL}): the
 * congestion signal a sender's congestion control must react to.
 *
 * @param bitsPerSecond the link's rate, {@code > 0}
 * @param queueBytes    bytes that may wait for the link (a full-sized packet always fits when the
 *                      queue is empty), {@code > 0}
 */
public record Bottleneck(long bitsPerSecond, int queueBytes) {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public Bottleneck {
        if (bitsPerSecond <= 0 || bitsPerSecond > 1_000_000_000_000L || queueBytes <= 0) {
            throw new IllegalArgumentException("bottleneck: " + bitsPerSecond + " bit/s, queue " + queueBytes
                    + " bytes (expected: 1..10^12 bit/s, queue > 0)");
        }
    }

    /** A link of {@code megabitsPerSecond} with a queue of {@code queueBytes}. */
    public static Bottleneck megabits(long megabitsPerSecond, int queueBytes) {
        return new Bottleneck(megabitsPerSecond * 1_000_000L, queueBytes);
    }

    /** How long the link takes to send {@code bytes}, rounded up to the nanosecond. */
    long serializationNanos(int bytes) {
        long bitNanos = (long) bytes * 8 * NANOS_PER_SECOND;
        return (bitNanos + bitsPerSecond - 1) / bitsPerSecond;
    }

    /** How long the link takes to drain a full queue: a packet that would wait longer is dropped. */
    long queueNanos() {
        return serializationNanos(queueBytes);
    }
}
