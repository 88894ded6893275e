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
 */
public record NetworkCounters(long transmitted, long lost, long tooBig, long duplicated, long corrupted,
                              long delivered, long inFlight, long steps) {
}
