package io.usertcp.sim;

/**
 * What a {@link SimulatedNetwork} did so far, over both directions.
 *
 * @param transmitted packets the stacks handed to the network
 * @param lost        packets dropped by the loss model
 * @param tooBig      packets dropped for exceeding the MTU
 * @param duplicated  extra copies made by the duplication model
 * @param corrupted   copies delivered with a flipped bit
 * @param delivered   copies handed to a stack, corrupted and duplicate ones included
 * @param inFlight    copies scheduled and not yet delivered
 * @param steps       events processed (deliveries and timer firings)
 * @param queueDrops  packets dropped at a full {@link Bottleneck} queue
 */
public record NetworkCounters(long transmitted, long lost, long tooBig, long duplicated, long corrupted,
                              long delivered, long inFlight, long steps, long queueDrops) {

    /** Counters of a network without a bottleneck (no queue drops). */
    public NetworkCounters(long transmitted, long lost, long tooBig, long duplicated, long corrupted,
                           long delivered, long inFlight, long steps) {
        this(transmitted, lost, tooBig, duplicated, corrupted, delivered, inFlight, steps, 0);
    }
}
