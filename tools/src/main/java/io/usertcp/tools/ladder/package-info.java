/**
 * Ladder (sequence) diagrams of TCP connections: one vertical line per endpoint, one arrow per
 * segment with a short tcpdump-like label ({@code SYN seq=0}, {@code PSH,ACK 1:6(5) ack=1}), the
 * time at the left and the RFC 9293 state of each side beside every arrow.
 *
 * <p>Input: the TCP segments of a capture ({@link io.usertcp.tools.ladder.Ladders#fromCapture})
 * or of a live stack ({@link io.usertcp.tools.ladder.LadderRecorder}, a
 * {@link io.usertcp.tcp.ConnectionObserver}). Segments are grouped by four-tuple into
 * {@link io.usertcp.tools.ladder.Conversation}s. States come from the stack's state-change events
 * when the recorder saw them, otherwise from {@link io.usertcp.tools.ladder.StateInference}, a
 * passive per-endpoint reading of the segments.
 *
 * <p>Output: {@link io.usertcp.tools.ladder.LadderFormat#TEXT} for a terminal,
 * {@link io.usertcp.tools.ladder.LadderFormat#MERMAID} ({@code sequenceDiagram}) and
 * {@link io.usertcp.tools.ladder.LadderFormat#SVG} (self-contained, opens in a browser).
 *
 * <p>Depends on the stack's {@code wire} and {@code tcp} packages and on
 * {@code io.usertcp.tools.pcap}. Values here are immutable; the recorder is confined to the stack
 * thread and copies what it keeps.
 */
package io.usertcp.tools.ladder;
