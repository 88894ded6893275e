package io.usertcp.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A connection changed state (RFC 9293 §3.3.2), with the stack's cause. */
@Name("usertcp.StateChange")
@Label("TCP State Change")
@Category({"usertcp", "TCP"})
@Description("A connection moved from one RFC 9293 state to another")
@StackTrace(false)
public final class StateChangeEvent extends jdk.jfr.Event {
    @Label("Connection")
    @Description("Local address:port and peer address:port")
    String connection;

    @Label("From")
    String from;

    @Label("To")
    String to;

    @Label("Cause")
    @Description("What made it change: rcv SYN,ACK, user CLOSE, 2MSL timeout ...")
    String cause;
}
