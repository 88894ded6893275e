package io.usertcp.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A segment that carries sequence space sent before: a retransmission (RTO, fast or RACK recovery, loss probe). */
@Name("usertcp.Retransmission")
@Label("TCP Retransmission")
@Category({"usertcp", "TCP"})
@Description("A segment went out again with sequence numbers sent before")
@StackTrace(false)
public final class RetransmissionEvent extends jdk.jfr.Event {
    @Label("Connection")
    String connection;

    @Label("Sequence")
    @Description("SEG.SEQ, as an unsigned 32-bit number")
    long sequence;

    @Label("Length")
    @Description("SEG.LEN: data bytes, plus one each for SYN and FIN")
    @DataAmount
    int length;

    @Label("Flags")
    String flags;
}
