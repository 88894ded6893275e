package io.usertcp.packetdrill;

import java.util.List;
import java.util.Map;

/**
 * The script header options ({@code --name=value} lines and command-line flags) every runner reads
 * the same way: the time tolerance, the ports, the address family.
 *
 * @param toleranceNanos   {@code --tolerance_usecs}, in nanoseconds (default 4 ms)
 * @param tolerancePercent {@code --tolerance_percent} of the gap since the previous event (default 12.5)
 * @param bindPort         {@code --bind_port}: where the system under test listens (default 8080)
 * @param connectPort      {@code --connect_port}: where it connects to (default 8080)
 */
public record ScriptHeader(long toleranceNanos, double tolerancePercent, int bindPort, int connectPort) {
    /** packetdrill's defaults: the system under test listens on (or connects to) port 8080. */
    public static final int DEFAULT_PORT = 8080;
    static final long DEFAULT_TOLERANCE_USECS = 4000;
    static final double DEFAULT_TOLERANCE_PERCENT = 12.5;
    /** The header of a script without options. */
    public static final ScriptHeader DEFAULTS = new ScriptHeader(DEFAULT_TOLERANCE_USECS * 1000, DEFAULT_TOLERANCE_PERCENT,
            DEFAULT_PORT, DEFAULT_PORT);

    /** What a runner does with an option this record does not hold. */
    public interface Other {
        /** Applies {@code --key=value}; false when the runner does not know it (it is then reported skipped). */
        boolean apply(String key, String value);
    }

    /**
     * Reads the options in order; others go to {@code other}, and what it does not know to
     * {@code skipped} ({@code --key=value: option not supported}).
     *
     * @throws ScriptFailure (unsupported) for an IPv6 script; (failed, line 0) for a value that is not a number
     */
    public static ScriptHeader parse(Map<String, String> options, Other other, List<String> skipped) {
        long[] tolerance = {DEFAULT_TOLERANCE_USECS * 1000};
        double[] percent = {DEFAULT_TOLERANCE_PERCENT};
        int[] ports = {DEFAULT_PORT, DEFAULT_PORT};
        options.forEach((key, value) -> {
            try {
                switch (key) {
                    case "ip_version" -> {
                        if (!value.equals("ipv4")) {
                            throw ScriptFailure.unsupported(null, "--ip_version=" + value + ": only IPv4 scripts are supported");
                        }
                    }
                    case "tolerance_usecs" -> tolerance[0] = Long.parseLong(value) * 1000;
                    case "tolerance_percent" -> percent[0] = Double.parseDouble(value);
                    case "bind_port" -> ports[0] = Integer.parseInt(value);
                    case "connect_port" -> ports[1] = Integer.parseInt(value);
                    default -> {
                        if (!other.apply(key, value)) {
                            skipped.add("--" + key + "=" + value + ": option not supported");
                        }
                    }
                }
            } catch (NumberFormatException e) {
                throw new ScriptFailure(new RunResult.Failure(0, null, "--" + key + "=" + value + ": not a number", null, null));
            }
        });
        return new ScriptHeader(tolerance[0], percent[0], ports[0], ports[1]);
    }

    /** packetdrill's tolerance for something scripted at {@code expected} after an event at {@code lastEvent}. */
    public long tolerance(long lastEvent, long expected) {
        return Math.max(toleranceNanos, (long) (Math.max(0, expected - lastEvent) * tolerancePercent / 100.0));
    }
}
