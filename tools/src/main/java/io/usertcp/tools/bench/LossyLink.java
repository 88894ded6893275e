package io.usertcp.tools.bench;

import io.netty.buffer.ByteBuf;
import io.usertcp.runtime.ForwardingLink;
import io.usertcp.runtime.WaitableLink;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Our side's ingress loss for the loss case: drops a fixed share of the received datagrams that
 * carry data (longer than {@link #DATA_THRESHOLD_BYTES}), chosen by a seeded random source, and
 * passes everything else through. It plays the part that an nftables rule at the kernel's ingress
 * plays for the kernel receiver: loss between the sender and the receiver, after the sender's
 * stack has sent the segment (a drop at the sender's own output would be reported back to it as
 * local congestion, which is not what a lossy path does).
 *
 * <p>Threads: {@link #receive}, {@link #transmit} and {@link #awaitReadable} run on the stack's
 * thread only, like the wrapped link's; {@link #wakeup} from any thread. Ownership: a dropped
 * datagram is released here; the others move to the caller as the wrapped link hands them over.
 */
final class LossyLink extends ForwardingLink {
    /** IPv4 + TCP headers with options stay below this; only segments with data are dropped. */
    static final int DATA_THRESHOLD_BYTES = 120;

    private final int perMille;
    private final SplittableRandom random;
    private final AtomicLong dropped = new AtomicLong();

    /**
     * @param perMille share of data-carrying datagrams to drop, in tenths of a percent, 0..1000
     * @param seed    seed of the drop choice
     */
    LossyLink(WaitableLink inner, int perMille, long seed) {
        super(inner);
        if (perMille < 0 || perMille > 1000) {
            throw new IllegalArgumentException("per mille: " + perMille + " (expected: 0..1000)");
        }
        this.perMille = perMille;
        this.random = new SplittableRandom(seed);
    }

    /**
     * The next datagram that survives the loss, or {@code null}.
     *
     * @return a buffer the caller owns
     */
    @Override
    public ByteBuf receive() {
        while (true) {
            ByteBuf packet = inner.receive();
            if (packet == null) {
                return null;
            }
            if (packet.readableBytes() > DATA_THRESHOLD_BYTES && random.nextInt(1000) < perMille) {
                packet.release();
                dropped.incrementAndGet();
                continue;
            }
            return packet;
        }
    }

    /** How many datagrams were dropped so far. Thread-safe. */
    long dropped() {
        return dropped.get();
    }
}
