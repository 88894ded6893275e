/**
 * JMH benchmarks of the stack's hot path (DESIGN.md §11): Internet checksum and inbound packet
 * parsing. Run them with {@code scripts/bench-jmh.sh}, which adds {@code -prof gc}; the goal is
 * 0 B/op ({@code gc.alloc.rate.norm}) on every benchmark here.
 *
 * <p>Conventions: inputs are built once per trial in {@code @Setup} and released in
 * {@code @TearDown}; benchmark methods allocate nothing themselves and hand every result to JMH
 * (returned or passed to a {@link org.openjdk.jmh.infra.Blackhole}) so the JIT cannot drop the work.
 * No TUN device, no network: these run anywhere.
 */
package io.usertcp.bench;
