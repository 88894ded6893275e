package io.usertcp.packetdrill;

/** What a script event needs that the runner does not emulate, reported as {@code unsupported: ...}. */
public final class Unemulated {
    private Unemulated() {}

    /** Ends the run as unsupported when the event needs something the runner does not emulate. */
    /** @throws ScriptFailure (unsupported) when the event needs something the runners do not emulate */
    public static void check(Event e) {
        check(e, false);
    }

    /**
     * As {@link #check(Event)}. Both runners send and match the TCP Fast Open options (FO, FOEXP;
     * {@link ScriptOptions}); the stack implements RFC 7413 (io.usertcp.tcp.FastOpen). Inbound ICMP
     * messages are built by both runners ({@link PacketSteps#icmp}); an outbound one would be an
     * ICMP error sent by TCP's host, which neither checks.
     */
    public static void check(Event e, boolean kernelBackend) {
        boolean fastOpenOption = true;
        if (e instanceof Event.Icmp i && !i.inbound()) {
            throw ScriptFailure.unsupported(e, "ICMP out (" + i.type() + (i.code() == null ? "" : " " + i.code())
                    + (i.mtu() < 0 ? "" : " mtu " + i.mtu()) + "): an ICMP error sent to the script's side is not matched");
        }
        if (e instanceof Event.Packet p) {
            if (!p.packet().inbound() && p.packet().ttl() >= 0) {
                throw ScriptFailure.unsupported(e, "checking an outbound packet's TTL (ttl " + p.packet().ttl() + ")");
            }
            // The kernel backend writes an inbound urgent pointer as it is (PacketSteps.inbound); neither runner
            // compares an outbound one.
            if (p.packet().urgentPointer() >= 0 && !(kernelBackend && p.packet().inbound())) {
                throw ScriptFailure.unsupported(e, "urgent pointer (urg, RFC 9293 §3.8.5)");
            }
            if (p.packet().options() != null) {
                for (TcpOptionSpec o : p.packet().options()) {
                    // md5 (RFC 2385): sent as written, and one expected from the stack matched by its place; the
                    // stack signs and checks with the keys setsockopt(TCP_MD5SIG) gave it (io.usertcp.tcp.TcpMd5Key).
                    if (o instanceof TcpOptionSpec.Unemulated u && !(fastOpenOption && u.isFastOpen()) && !u.isMd5()) {
                        throw ScriptFailure.unsupported(e, u.feature());
                    }
                }
            }
        }
    }
}
