package io.usertcp.tools.bench;

import io.usertcp.tools.bench.BulkCase.Direction;
import java.util.ArrayList;
import java.util.List;

/**
 * Goodput with loss: the bulk transfer each way at MTU 1500 with each of {@link BenchOptions#lossRates}
 * of the data segments dropped at the receiver's ingress, on both sides alike. netem is not in this
 * kernel (DESIGN.md §10), so the kernel receiver's ingress drops with an nftables rule in its
 * namespace (before routing: the sender's stack saw the segment leave), and our receiver's
 * ingress with a seeded {@link LossyLink}, the same share of the same kind of datagram.
 */
final class LossCase {
    static final int MTU = 1500;

    private LossCase() {}

    /** The loss case: two rows per rate. */
    static List<Measurement> run(BenchOptions o, Progress p) {
        List<Measurement> rows = new ArrayList<>();
        for (LossRate rate : o.lossRates()) {
            for (Direction d : Direction.values()) {
                rows.add(BulkCase.measure(BenchCase.LOSS, o, p, d, MTU, rate));
            }
        }
        return rows;
    }
}
