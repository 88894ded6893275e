package io.usertcp.tools.demo;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpState;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a scenario showed, as data: the checks it made (each promise and whether it held), the
 * states each side went through per connection, how our connections ended, our counters at the
 * end, and the TCP configuration our stack ran (its behaviour profile with that profile's numbers,
 * as the scenario changed them).
 */
public record ScenarioResult(String name, List<Check> checks, Map<ConnectionId, List<TcpState>> ourStates,
                             Map<ConnectionId, List<String>> kernelStates, Map<ConnectionId, CloseReason> closeReasons,
                             Map<String, Long> counters, boolean namespaceDeleted, TcpConfig tcp) {

    /** One promise and whether it held. */
    public record Check(String what, boolean passed, String detail) {}

    public ScenarioResult {
        checks = List.copyOf(checks);
        ourStates = Map.copyOf(ourStates);
        kernelStates = Map.copyOf(kernelStates);
        closeReasons = Map.copyOf(closeReasons);
        counters = Map.copyOf(counters);
    }

    /** Every promise held and nothing was left behind. */
    public boolean passed() {
        return namespaceDeleted && !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    /** Every state our stack went through, over all connections. */
    public Set<TcpState> oursSeen() {
        Set<TcpState> all = new LinkedHashSet<>();
        ourStates.values().forEach(all::addAll);
        return all;
    }

    /** Every state the kernel's sockets were seen in, over all connections. */
    public Set<String> kernelSeen() {
        Set<String> all = new LinkedHashSet<>();
        kernelStates.values().forEach(all::addAll);
        return all;
    }

    /** How our connections ended, over all connections. */
    public Set<CloseReason> reasons() {
        return new LinkedHashSet<>(closeReasons.values());
    }

    public long counter(String name) {
        return counters.getOrDefault(name, 0L);
    }
}
