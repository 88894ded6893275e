package io.usertcp.tcp;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.core.Shard;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.wire.Ipv4Address;
import java.util.List;

/**
 * Everything a {@link TcpStack} is made of: its addresses and link MTU, TCP behaviour, and the
 * injected allocator, randomness, ISN generator and observer (DESIGN.md §2).
 *
 * @param isn                ISN generator; {@code null} means RFC 6528 keyed from {@code random}
 * @param ephemeralPortLow   first port of the ephemeral range (Linux ip_local_port_range: 32768)
 * @param ephemeralPortHigh  last port of the ephemeral range (Linux: 60999)
 * @param shard              which of several stacks sharing the address this is ({@link Shard#ONLY}
 *                           alone): its active opens take only ephemeral ports whose flow it owns
 */
public record StackConfig(List<Ipv4Address> localAddresses, int mtu, ChecksumPolicy checksumPolicy, TcpConfig tcp,
                          ByteBufAllocator allocator, RandomSource random, IsnGenerator isn,
                          ConnectionObserver observer, int ephemeralPortLow, int ephemeralPortHigh, Shard shard) {

    /** IPv4 minimum reassembly size (RFC 791) is 576; TCP needs at least 40 header bytes plus data. */
    public static final int MIN_MTU = 68;

    public StackConfig {
        localAddresses = List.copyOf(localAddresses);
        if (localAddresses.isEmpty()) {
            throw new IllegalArgumentException("localAddresses: empty (expected: at least one address)");
        }
        if (mtu < MIN_MTU || mtu > 65535) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: " + MIN_MTU + "..65535)");
        }
        if (checksumPolicy == null || tcp == null || allocator == null || random == null || observer == null || shard == null) {
            throw new IllegalArgumentException("checksumPolicy, tcp, allocator, random, observer and shard must not be null");
        }
        if (ephemeralPortLow < 1024 || ephemeralPortHigh > 65535 || ephemeralPortLow > ephemeralPortHigh) {
            throw new IllegalArgumentException("ephemeral ports: " + ephemeralPortLow + ".." + ephemeralPortHigh
                    + " (expected: 1024 <= low <= high <= 65535)");
        }
    }

    /** One address, MTU 1500, Linux behaviour, checksums verified, pooled buffers, RFC 6528 ISNs. */
    public static StackConfig of(Ipv4Address localAddress, RandomSource random) {
        return new StackConfig(List.of(localAddress), 1500, ChecksumPolicy.VERIFY, TcpConfig.linux(),
                PooledByteBufAllocator.DEFAULT, random, null, ConnectionObserver.NONE, 32768, 60999, Shard.ONLY);
    }

    public StackConfig withTcp(TcpConfig tcp) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withMtu(int mtu) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withIsn(IsnGenerator isn) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withObserver(ConnectionObserver observer) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withAllocator(ByteBufAllocator allocator) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withChecksumPolicy(ChecksumPolicy checksumPolicy) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    public StackConfig withEphemeralPorts(int low, int high) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, low, high, shard);
    }

    public StackConfig withRandom(RandomSource random) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }

    /** One of several stacks sharing the address, one per TUN queue ({@link Shard}). */
    public StackConfig withShard(Shard shard) {
        return new StackConfig(localAddresses, mtu, checksumPolicy, tcp, allocator, random, isn, observer, ephemeralPortLow, ephemeralPortHigh, shard);
    }
}
