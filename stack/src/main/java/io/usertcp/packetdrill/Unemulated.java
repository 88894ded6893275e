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
     * As {@link #check(Event)}; with {@code kernelBackend} the TCP Fast Open options (FO, FOEXP)
     * and inbound ICMP messages are allowed: the kernel backend sends and matches them
     * ({@link ScriptOptions}, {@link PacketSteps#icmp}).
     */
    public static void check(Event e, boolean kernelBackend) {
        boolean fastOpenOption = kernelBackend;
        if (e instanceof Event.Icmp i && !(kernelBackend && i.inbound())) {
            throw ScriptFailure.unsupported(e, "ICMP " + (i.inbound() ? "in" : "out") + " (" + i.type()
                    + (i.code() == null ? "" : " " + i.code()) + (i.mtu() < 0 ? "" : " mtu " + i.mtu())
                    + "): the stack does not act on ICMP errors for TCP (RFC 5927) nor send them");
        }
        if (e instanceof Event.Packet p) {
            if (!p.packet().inbound() && p.packet().ttl() >= 0) {
                throw ScriptFailure.unsupported(e, "checking an outbound packet's TTL (ttl " + p.packet().ttl() + ")");
            }
            if (p.packet().urgentPointer() >= 0) {
                throw ScriptFailure.unsupported(e, "urgent pointer (urg, RFC 9293 §3.8.5)");
            }
            if (p.packet().options() != null) {
                for (TcpOptionSpec o : p.packet().options()) {
                    if (o instanceof TcpOptionSpec.Unemulated u && !(fastOpenOption && u.isFastOpen())) {
                        throw ScriptFailure.unsupported(e, u.feature());
                    }
                }
            }
        }
    }
}
