package io.usertcp.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** The stack dropped a datagram, with the reason it also counts in {@code usertcp stats}. */
@Name("usertcp.Drop")
@Label("Datagram Dropped")
@Category({"usertcp", "IP"})
@Description("A datagram the stack dropped, and why")
@StackTrace(false)
public final class DropEvent extends jdk.jfr.Event {
    @Label("Reason")
    String reason;
}
