package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A script's {@code %{ }%} blocks, as packetdrill runs them: each records TCP_INFO (here the
 * connection's {@link io.usertcp.tcp.ConnectionSnapshot}, a value) at its time, and the Python of all of them runs
 * once every other event has passed, in order, in one interpreter whose variables the blocks share.
 * A packet mismatch after a failing block is therefore what the run reports, as packetdrill does.
 */
public final class CodeBlocks {
    /** A block and TCP_INFO as it was at the block's time. */
    private record Pending(Event.Code event, TcpState state, CodeAssertions.Fields fields) {}

    private final List<Pending> pending = new ArrayList<>();

    /** Records the block with the socket's state and its connection's snapshot (null: no connection). */
    void record(Event.Code c, TcpState state, TcpConnection connection, long nowNanos) {
        pending.add(new Pending(c, state, CodeAssertions.fields(connection == null ? null : connection.snapshot(nowNanos),
                connection == null ? null : connection.tcpInfo(nowNanos))));
    }

    /**
     * Records the block with TCP_INFO read elsewhere (the kernel's): the socket's state then, and
     * its {@code tcpi_*} fields by name ({@code fields} answers null for a field it does not have).
     *
     * @param source whose TCP_INFO it is, for messages ({@code "the kernel's"})
     */
    public void record(Event.Code c, TcpState state, Function<String, Long> fields, String source) {
        pending.add(new Pending(c, state, new CodeAssertions.Fields(fields, true, source)));
    }

    /**
     * Runs the blocks in order.
     *
     * @param skipped  where statements without effect here ({@code print}) are reported
     * @param current  told which block is running (for messages about unexpected errors)
     * @throws ScriptFailure at the first block whose assertion fails, or that needs something not emulated
     */
    public void run(List<String> skipped, Consumer<Event> current) {
        Map<String, Object> locals = new HashMap<>();
        for (Pending p : pending) {
            Event.Code c = p.event();
            current.accept(c);
            CodeAssertions.Outcome o = CodeAssertions.check(c.code(), p.state(), p.fields(), locals,
                    msg -> skipped.add("line " + c.line() + ": " + msg));
            if (o == null) {
                continue;
            }
            if (o.unsupported()) {
                throw ScriptFailure.unsupported(c, o.message());
            }
            throw ScriptFailure.at(c, o.message(), o.expected(), o.actual());
        }
    }
}
