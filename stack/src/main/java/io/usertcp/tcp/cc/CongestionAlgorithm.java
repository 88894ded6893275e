package io.usertcp.tcp.cc;

import java.util.Locale;

/** The built-in congestion control algorithms, selectable per connection by value or by name. */
public enum CongestionAlgorithm implements CongestionControlFactory {
    /** RFC 5681 with RFC 6582 fast recovery and RFC 3465 byte counting. */
    NEW_RENO("newreno") {
        @Override
        public CongestionControl create(int smssBytes, CongestionConfig config) {
            return new NewReno(smssBytes, config);
        }
    },
    /** RFC 9438 CUBIC, the Linux default. */
    CUBIC("cubic") {
        @Override
        public CongestionControl create(int smssBytes, CongestionConfig config) {
            return new Cubic(smssBytes, config);
        }
    };

    private final String algorithmName;

    CongestionAlgorithm(String algorithmName) {
        this.algorithmName = algorithmName;
    }

    /** The name {@link CongestionControl#name()} reports and {@link #byName} accepts. */
    public String algorithmName() {
        return algorithmName;
    }

    /**
     * The algorithm called {@code name}, ignoring case; "reno" is accepted for NewReno, as Linux's
     * {@code tcp_congestion_control} calls it.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static CongestionAlgorithm byName(String name) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT);
        for (CongestionAlgorithm a : values()) {
            if (a.algorithmName.equals(n)) {
                return a;
            }
        }
        if (n.equals("reno")) {
            return NEW_RENO;
        }
        throw new IllegalArgumentException("congestion control: '" + name + "' (expected: newreno, reno or cubic)");
    }
}
