/**
 * The test kit, published as the stack's test-jar so that {@code tun}, {@code tools} and
 * {@code benchmarks} tests reuse it: Netty leak detection that fails tests, packet builders, pcap
 * reading, and (with the TCP core) the virtual clock and connection harnesses.
 */
package io.usertcp.testkit;
