/**
 * JMH benchmarks of the stack's hot path (DESIGN.md §11): Internet checksum and inbound packet
 * parsing, and the stack-level paths driven through a real {@code TcpStack} by a scripted peer
 * ({@link io.usertcp.bench.ScriptedPeer}): an in-order segment with its ACK, ACK processing with
 * 64 KB in flight, an out-of-order segment into reassembly, and connection lookup among 100 000
 * connections. Run them all with {@code scripts/bench-jmh-all.sh} (one table) or a selection with
 * {@code scripts/bench-jmh.sh}; both add {@code -prof gc}, and the goal is 0 B/op
 * ({@code gc.alloc.rate.norm}) on every benchmark here.
 *
 * <p>Conventions: inputs are built once per trial in {@code @Setup} and released in
 * {@code @TearDown}; benchmark methods allocate nothing themselves and return their result to JMH
 * so the JIT cannot drop the work. Stack-level setups reach their state by real segments and check
 * every answer; their teardowns check, from the stack's counters, that every op took the path the
 * benchmark names (never a drop). Virtual time, no TUN device, no network: these run anywhere, and
 * {@code BenchmarkSmokeTest} runs each setup, op and teardown once in the build.
 */
package io.usertcp.bench;
