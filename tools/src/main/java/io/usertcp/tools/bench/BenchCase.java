package io.usertcp.tools.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The cases of {@code usertcp bench}, in the order they run, by the names {@code --cases} takes. */
public enum BenchCase {
    /** The link ceiling: UDP datagrams through our plain TUN link with no TCP, each way: Gbit/s. */
    LINK("link"),
    /** Bulk transfer each way: MTU 1500 with and without the TUN offloads, and MTU 65520: Gbit/s. */
    BULK("bulk"),
    /** 1-byte request/response on one connection: round trips per second, p50 and p99 latency. */
    RR("rr"),
    /** Open, one 1-byte request, close (the server, our side, closing first): connections per second. */
    CONNRATE("connrate"),
    /** Bytes per idle established connection and per TIME-WAIT entry, at two counts. */
    MEMORY("memory"),
    /** Bulk goodput each way with 1 % of the data segments lost at the receiver's ingress. */
    LOSS("loss");

    private final String cliName;

    BenchCase(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in the output. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code --cases}: names separated by commas, or {@code all}.
     *
     * @throws IllegalArgumentException naming the unknown case and the known ones
     */
    public static Set<BenchCase> parseList(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("cases: empty (expected: all, or some of " + names() + ")");
        }
        Set<BenchCase> chosen = EnumSet.noneOf(BenchCase.class);
        for (String part : text.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                chosen.addAll(EnumSet.allOf(BenchCase.class));
                continue;
            }
            chosen.add(byName(name));
        }
        return chosen;
    }

    private static BenchCase byName(String name) {
        for (BenchCase c : values()) {
            if (c.cliName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("case: '" + name + "' (expected: all, or some of " + names() + ")");
    }

    /** The known names, comma separated. */
    public static String names() {
        List<String> names = new ArrayList<>();
        for (BenchCase c : values()) {
            names.add(c.cliName);
        }
        return String.join(",", names);
    }
}
