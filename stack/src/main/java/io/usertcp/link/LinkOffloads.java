package io.usertcp.link;

/**
 * What a link does for the stack beyond carrying datagrams, as a TUN device opened with
 * {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD} does (Linux's virtio-net offloads).
 *
 * @param virtioHeader  every buffer {@link Link#receive()} returns starts with a 10-byte
 *                      virtio-net header ({@link io.usertcp.wire.VirtioNetHeader}) in front of the
 *                      datagram: the stack checks it, trusts checksums it vouches for, and takes
 *                      GSO super-segments as one segment
 * @param checksum      {@link Link#transmit(io.netty.buffer.ByteBuf, int)} takes TCP segments whose
 *                      checksum field holds only the pseudo-header sum; the link completes it
 *                      ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}, TUN_F_CSUM)
 * @param maxSegmentationBytes the largest datagram {@link Link#transmit(io.netty.buffer.ByteBuf, int)}
 *                      cuts into segments (TSO, TUN_F_TSO4), 0 when it does not; requires
 *                      {@code checksum}
 */
public record LinkOffloads(boolean virtioHeader, boolean checksum, int maxSegmentationBytes) {
    /** A link that carries datagrams and nothing more. */
    public static final LinkOffloads NONE = new LinkOffloads(false, false, 0);
    /** A TUN device with IFF_VNET_HDR and TUN_F_CSUM | TUN_F_TSO4: the largest IPv4 datagram. */
    public static final LinkOffloads TUN_VNET = new LinkOffloads(true, true, 65535);

    public LinkOffloads {
        if (maxSegmentationBytes < 0 || maxSegmentationBytes > 65535 || (maxSegmentationBytes > 0 && !checksum)) {
            throw new IllegalArgumentException("maxSegmentationBytes: " + maxSegmentationBytes
                    + " (expected: 0, or up to 65535 with checksum offload, which segmentation needs)");
        }
    }

    /** Whether the link segments large datagrams (TSO). */
    public boolean segmentation() {
        return maxSegmentationBytes > 0;
    }
}
