/**
 * Infrastructure shared by the protocol packages, with no knowledge of TCP itself: the injected
 * {@link io.usertcp.core.RandomSource}, the nstat-named {@link io.usertcp.core.StackStats}, the
 * {@link io.usertcp.core.DeadlineHeap} that orders connections by their next timer, and the
 * allocation-free {@link io.usertcp.core.TupleMap} for connection lookup.
 *
 * <p>Pure (DESIGN.md §2): no clock, threads, randomness of its own or I/O. Depends only on
 * {@code io.usertcp.wire} (for {@code DropReason}). Not thread-safe: everything here belongs to one stack thread.
 */
package io.usertcp.core;
