package io.usertcp.tun;

/**
 * The counters of one {@link TunLink}, as a value.
 *
 * @param rxPackets   datagrams read from the TUN fd and handed out by {@code receive()}
 * @param rxBytes     their bytes
 * @param rxTruncated datagrams dropped because they were longer than the link MTU
 * @param readErrors  reads that failed with an errno other than {@code EAGAIN}/{@code EINTR}
 * @param txPackets   datagrams written whole
 * @param txBytes     their bytes
 * @param txOversize  outgoing datagrams dropped because they were longer than the link MTU
 * @param txDropped   writes the kernel refused with {@code EAGAIN}
 * @param writeErrors writes that failed with another errno, or were short
 * @param pollErrors  {@code ppoll} calls that failed with an errno other than {@code EINTR}
 * @param wakeups     times {@code awaitReadable} consumed a {@code wakeup()}
 * @param rxSuperSegments of {@code rxPackets}, GSO super-segments (offload mode)
 * @param txSuperSegments of {@code txPackets}, super-segments the kernel cut (TSO, offload mode)
 */
public record TunLinkStats(long rxPackets, long rxBytes, long rxTruncated, long readErrors,
                           long txPackets, long txBytes, long txOversize, long txDropped, long writeErrors,
                           long pollErrors, long wakeups, long rxSuperSegments, long txSuperSegments) {
}
