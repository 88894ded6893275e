/**
 * The test kit, published as the stack's test-jar so that {@code tun}, {@code tools} and
 * {@code benchmarks} tests reuse it: Netty leak detection that fails tests, packet builders, pcap
 * reading, and (with the TCP core) the virtual clock and connection harnesses. Every stack the
 * harnesses build checks an invariant: no connection's timers expire more than a bounded number of
 * times per second of virtual time ({@link io.usertcp.testkit.TimerExpiryCheck}).
 */
package io.usertcp.testkit;
