/**
 * pcap files: {@link io.usertcp.tools.pcap.PcapWriter} writes classic pcap through pcap4j and
 * libpcap (link type RAW, so every record is a bare IPv4 datagram), {@link io.usertcp.tools.pcap.PcapTap}
 * is a {@link io.usertcp.tcp.ConnectionObserver} that copies every TCP segment a stack sends or
 * receives into one, with timestamps from the stack clock, and {@link io.usertcp.tools.pcap.PcapReader}
 * reads classic pcap and pcapng files in plain Java (no libpcap) for the ladder diagrams.
 *
 * <p>Depends on the stack's {@code wire} and {@code tcp} packages, pcap4j and JNA. libpcap is a
 * system library (Debian/Ubuntu package {@code libpcap0.8}); when it is missing,
 * {@link io.usertcp.tools.pcap.Libpcap#require()} fails with one line that says so.
 *
 * <p>Threads: a writer and a tap belong to one thread (the stack's); nothing here locks.
 * Buffers: the tap is handed borrowed views and copies the bytes it keeps.
 */
package io.usertcp.tools.pcap;
