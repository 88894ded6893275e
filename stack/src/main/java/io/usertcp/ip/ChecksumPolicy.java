package io.usertcp.ip;

/** Whether inbound checksums are verified in software or trusted to the link. */
public enum ChecksumPolicy {
    /** Verify the IPv4 header, TCP and ICMP checksums on every packet (RFC 1122 §3.2.1.2, RFC 9293 MUST-3). */
    VERIFY,
    /**
     * Trust the link to have verified them, as with a TUN device opened with {@code IFF_VNET_HDR}
     * when the kernel marks a packet {@code VIRTIO_NET_HDR_F_DATA_VALID}. Only for links that
     * guarantee it: a wrong choice lets corrupted data through.
     */
    TRUST_LINK
}
