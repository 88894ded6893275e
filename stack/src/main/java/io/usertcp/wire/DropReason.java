package io.usertcp.wire;

/**
 * Why an inbound packet was not accepted. Every way a packet can be malformed or unwanted has its
 * own constant, so that a counter per reason (see {@code StackStats}) tells exactly what the
 * network sent. Nothing that parses network input throws: it returns one of these.
 *
 * <p>The layer prefix says which header was at fault.
 */
public enum DropReason {
    // ---- IPv4 (RFC 791, RFC 1122 §3.2.1) ----
    /** Fewer bytes than the 20-byte minimum IPv4 header. */
    IPV4_TRUNCATED("shorter than an IPv4 header"),
    /** The version field is not 4. */
    IPV4_BAD_VERSION("IP version is not 4"),
    /** IHL below 5 words, the minimum header (RFC 791 §3.1). */
    IPV4_BAD_HEADER_LENGTH("IHL below 5"),
    /** IHL says the header is longer than the bytes received (a header longer than the total length is {@link #IPV4_BAD_TOTAL_LENGTH}). */
    IPV4_HEADER_OVERRUN("header longer than the packet"),
    /** Total length smaller than the header, or larger than the bytes received. */
    IPV4_BAD_TOTAL_LENGTH("total length disagrees with the bytes received"),
    /** The header checksum does not verify (RFC 1122 §3.2.1.2: MUST silently discard). */
    IPV4_BAD_CHECKSUM("header checksum does not verify"),
    /** An IPv4 option whose length is below 2 or runs past the header (RFC 791 §3.1). */
    IPV4_BAD_OPTION("malformed IPv4 option"),
    /** A fragment (MF set or non-zero offset): reassembly is not supported, so it is dropped. */
    IPV4_FRAGMENT("fragments are not reassembled"),
    /** The destination is not an address of this stack (RFC 1122 §3.2.1.3). */
    IPV4_NOT_FOR_US("destination is not ours"),
    /** The source is not a valid unicast host address: 0.0.0.0, broadcast, multicast, class E, or loopback (RFC 1122 §3.2.1.3). */
    IPV4_BAD_SOURCE("source is not a unicast host address"),
    /** An upper-layer protocol this stack does not speak (neither TCP nor ICMP). */
    IPV4_UNSUPPORTED_PROTOCOL("protocol is neither TCP nor ICMP"),

    // ---- ICMPv4 (RFC 792) ----
    /** Fewer than the 8 bytes of an ICMP header. */
    ICMP_TRUNCATED("shorter than an ICMP header"),
    /** The ICMP checksum does not verify. */
    ICMP_BAD_CHECKSUM("ICMP checksum does not verify"),
    /** An ICMP type this stack does not act on. */
    ICMP_UNSUPPORTED_TYPE("ICMP type not handled"),
    /** An ICMP error whose quoted datagram is too short to name a connection (RFC 792 asks for the IP header + 64 bits). */
    ICMP_BAD_QUOTE("ICMP error quotes too little of the original datagram"),
    /** An ICMP error quoting a datagram that is not a TCP segment from one of our addresses. */
    ICMP_QUOTE_NOT_OURS("ICMP error quotes no TCP segment of ours"),
    /** An ICMP error quoting a TCP segment of no connection we have (Linux counts it in IcmpInErrors). */
    ICMP_NO_CONNECTION("ICMP error for no connection"),

    // ---- TCP (RFC 9293 §3.1) ----
    /** Fewer bytes than the 20-byte minimum TCP header. */
    TCP_TRUNCATED("shorter than a TCP header"),
    /** Data offset below 5 words. */
    TCP_BAD_DATA_OFFSET("data offset below 5"),
    /** Data offset says the header is longer than the segment. */
    TCP_HEADER_OVERRUN("data offset past the end of the segment"),
    /** The TCP checksum over the pseudo-header and segment does not verify (RFC 9293 MUST-3). */
    TCP_BAD_CHECKSUM("TCP checksum does not verify"),
    /**
     * A TCP option whose length byte is below 2 or runs past the header, or a known option whose
     * length is not the one its RFC defines (RFC 9293 MUST-7: an illegal option length must not
     * crash the stack; we discard the segment).
     */
    TCP_BAD_OPTION("malformed TCP option"),
    /**
     * SYN and FIN together, dropped before any state is looked at because the behaviour profile says
     * so (FreeBSD's net.inet.tcp.drop_synfin): no legitimate segment carries both.
     */
    TCP_SYN_FIN("SYN and FIN together (drop_synfin)"),
    /** A SYN+FIN to a listening socket, which Linux discards (tcp_rcv_state_process, drop reason TCP_FLAGS). */
    TCP_LISTEN_SYN_FIN("SYN and FIN together to a listener"),
    /** Source or destination port 0, which no connection can use. */
    TCP_ZERO_PORT("port 0"),
    /**
     * RFC 2385 §2.0: a segment without an MD5 signature to a socket that has a key for its source
     * (Linux tcp_inbound_hash(), SKB_DROP_REASON_TCP_MD5NOTFOUND; TcpExtTCPMD5NotFound).
     */
    TCP_MD5_NOT_FOUND("no MD5 signature where a key is configured"),
    /**
     * An MD5 signature on a segment to a socket that has no key for its source (Linux
     * tcp_inbound_md5_hash(), SKB_DROP_REASON_TCP_MD5UNEXPECTED; TcpExtTCPMD5Unexpected).
     */
    TCP_MD5_UNEXPECTED("MD5 signature where no key is configured"),
    /**
     * RFC 2385 §2.0: an MD5 signature that does not verify under the key for the segment's source
     * (Linux tcp_inbound_md5_hash(), SKB_DROP_REASON_TCP_MD5FAILURE; TcpExtTCPMD5Failure).
     */
    TCP_MD5_FAILURE("MD5 signature does not verify"),
    /** Two MD5 signature options in one segment (Linux tcp_parse_auth_options(), SKB_DROP_REASON_TCP_AUTH_HDR). */
    TCP_AUTH_HDR("more than one MD5 signature option"),

    // ---- virtio-net header (a TUN device with IFF_VNET_HDR: VirtioNetHeader) ----
    /** Fewer bytes than the 10-byte virtio-net header in front of the datagram. */
    VIRTIO_TRUNCATED("shorter than a virtio-net header"),
    /** Flag bits other than NEEDS_CSUM and DATA_VALID. */
    VIRTIO_BAD_FLAGS("unknown virtio-net header flags"),
    /** A GSO type other than TCPV4 (UDP, TCPV6, UDP_L4, unknown): nothing this IPv4 TCP stack can take. */
    VIRTIO_UNSUPPORTED_GSO("GSO type other than TCPv4"),
    /** TCPV4 GSO without a partial checksum or without a segment size, or the ECN bit without a GSO type. */
    VIRTIO_BAD_GSO("GSO without a partial checksum or segment size"),
    /** NEEDS_CSUM naming anything but the checksum field of an IPv4 TCP segment. */
    VIRTIO_BAD_CHECKSUM_OFFSET("partial checksum not at the TCP checksum field");

    private final String description;

    DropReason(String description) {
        this.description = description;
    }

    /** A short human explanation, for logs and tables. */
    public String description() {
        return description;
    }
}
