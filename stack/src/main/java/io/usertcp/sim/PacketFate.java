package io.usertcp.sim;

/** What the simulated network did with one packet, as a {@link PacketTap} sees it. */
public enum PacketFate {
    /** Dropped by the loss model; never delivered. */
    LOST,
    /** Larger than the network's MTU; dropped like an oversized frame. */
    TOO_BIG,
    /** Delivered as sent. */
    DELIVERED,
    /** An extra copy made by the duplication model, delivered as sent. */
    DELIVERED_DUPLICATE,
    /** Delivered with one bit flipped; the receiving stack must drop it by its checksums. */
    DELIVERED_CORRUPTED,
    /** Dropped at a full {@link Bottleneck} queue (drop-tail); never delivered. */
    QUEUE_FULL
}
