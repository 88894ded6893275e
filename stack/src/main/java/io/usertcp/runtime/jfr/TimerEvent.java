package io.usertcp.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A connection's timer fired: retransmission, delayed ACK, persist, keepalive, 2MSL ... */
@Name("usertcp.TimerFired")
@Label("TCP Timer Fired")
@Category({"usertcp", "TCP"})
@StackTrace(false)
public final class TimerEvent extends jdk.jfr.Event {
    @Label("Connection")
    String connection;

    @Label("Timer")
    String timer;
}
