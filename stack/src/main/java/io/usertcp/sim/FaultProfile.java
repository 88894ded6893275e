package io.usertcp.sim;

/**
 * How one direction of a {@link SimulatedNetwork} mistreats packets. Each packet is judged on its
 * own, with the network's seeded randomness, in this order: lost (with {@code lossProbability},
 * or only if it is a control segment when {@code lossControlOnly}); duplicated (with
 * {@code duplicateProbability}: one extra copy); then each copy is corrupted (one random bit
 * flipped, with {@code corruptProbability}) and delayed by {@code delayNanos} plus a uniform
 * {@code [0, jitterNanos]}, so copies sent close together can arrive out of order.
 *
 * <p>A control segment is one a receiver cannot tell apart from an ACK-clock or handshake event:
 * SYN, FIN or RST set, or no payload (a pure ACK). Losing only those exercises the handshake,
 * close and TIME-WAIT paths while data still flows.
 *
 * @param lossProbability      chance that a packet (or control segment) is lost, in {@code [0, 1]}
 * @param lossControlOnly      lose only control segments (SYN, FIN, RST, pure ACK)
 * @param delayNanos           base one-way delay, {@code >= 0}
 * @param jitterNanos          extra delay drawn uniformly from {@code [0, jitterNanos]}, {@code >= 0}
 * @param duplicateProbability chance that a delivered packet arrives twice, in {@code [0, 1]}
 * @param corruptProbability   chance that a copy arrives with one bit flipped, in {@code [0, 1]}
 */
public record FaultProfile(double lossProbability, boolean lossControlOnly, long delayNanos, long jitterNanos,
                           double duplicateProbability, double corruptProbability) {

    public FaultProfile {
        probability("lossProbability", lossProbability);
        probability("duplicateProbability", duplicateProbability);
        probability("corruptProbability", corruptProbability);
        if (delayNanos < 0 || jitterNanos < 0 || delayNanos + jitterNanos < 0) {
            throw new IllegalArgumentException("delay: " + delayNanos + " ns, jitter " + jitterNanos
                    + " ns (expected: both >= 0, sum without overflow)");
        }
    }

    /** A perfect wire with a fixed one-way delay: nothing lost, reordered, duplicated or damaged. */
    public static FaultProfile ideal(long delayNanos) {
        return new FaultProfile(0, false, delayNanos, 0, 0, 0);
    }

    /** Loses any packet with probability {@code p}. */
    public FaultProfile withLoss(double p) {
        return new FaultProfile(p, false, delayNanos, jitterNanos, duplicateProbability, corruptProbability);
    }

    /** Loses control segments (SYN, FIN, RST, pure ACK) with probability {@code p}; data always passes. */
    public FaultProfile withControlLoss(double p) {
        return new FaultProfile(p, true, delayNanos, jitterNanos, duplicateProbability, corruptProbability);
    }

    public FaultProfile withDelay(long nanos) {
        return new FaultProfile(lossProbability, lossControlOnly, nanos, jitterNanos, duplicateProbability, corruptProbability);
    }

    /** Adds up to {@code nanos} of uniformly drawn delay per packet, which reorders packets sent close together. */
    public FaultProfile withJitter(long nanos) {
        return new FaultProfile(lossProbability, lossControlOnly, delayNanos, nanos, duplicateProbability, corruptProbability);
    }

    public FaultProfile withDuplication(double p) {
        return new FaultProfile(lossProbability, lossControlOnly, delayNanos, jitterNanos, p, corruptProbability);
    }

    /** Flips one random bit of a copy with probability {@code p}; the receiver must drop it by checksum. */
    public FaultProfile withCorruption(double p) {
        return new FaultProfile(lossProbability, lossControlOnly, delayNanos, jitterNanos, duplicateProbability, p);
    }

    private static void probability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + ": " + p + " (expected: 0..1)");
        }
    }
}
