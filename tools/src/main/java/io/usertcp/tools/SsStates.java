package io.usertcp.tools;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ss's state filter ({@code state NAME}, and {@code -l}), over the state names ss prints (ESTAB,
 * LISTEN, TIME-WAIT, ...). The names and the groups are iproute2's (misc/ss.c sstate_namel,
 * SS_CONN = every state but LISTEN and CLOSE, "synchronized" = connected but SYN-SENT).
 */
record SsStates(Set<State> kept) {
    /** The states as ss names them in a filter, and as it prints them. */
    enum State {
        ESTABLISHED("established", "ESTAB"), SYN_SENT("syn-sent", "SYN-SENT"), SYN_RECV("syn-recv", "SYN-RECV"),
        FIN_WAIT_1("fin-wait-1", "FIN-WAIT-1"), FIN_WAIT_2("fin-wait-2", "FIN-WAIT-2"), TIME_WAIT("time-wait", "TIME-WAIT"),
        CLOSE("closed", "UNCONN"), CLOSE_WAIT("close-wait", "CLOSE-WAIT"), LAST_ACK("last-ack", "LAST-ACK"),
        LISTEN("listening", "LISTEN"), CLOSING("closing", "CLOSING");

        final String filterName;
        final String printed;

        State(String filterName, String printed) {
            this.filterName = filterName;
            this.printed = printed;
        }
    }

    /** Every state: ss -a, and usertcp ss's default. */
    static SsStates all() {
        return new SsStates(EnumSet.allOf(State.class));
    }

    /**
     * The filter given by {@code state NAME ...} words, or -l; none: every state.
     *
     * @throws IllegalArgumentException for a word that is not {@code state} followed by a known name
     */
    static SsStates parse(List<String> words, boolean listeningOnly) {
        if (words.isEmpty()) {
            return listeningOnly ? new SsStates(EnumSet.of(State.LISTEN)) : all();
        }
        Set<State> kept = EnumSet.noneOf(State.class);
        for (int i = 0; i < words.size(); i += 2) {
            if (!words.get(i).equals("state") || i + 1 == words.size()) {
                throw new IllegalArgumentException("expected a filter as 'state NAME', got '" + String.join(" ", words) + "'");
            }
            kept.addAll(group(words.get(i + 1).toLowerCase(Locale.ROOT)));
        }
        if (listeningOnly) {
            kept.retainAll(EnumSet.of(State.LISTEN));
        }
        return new SsStates(kept);
    }

    private static Set<State> group(String name) {
        switch (name) {
            case "all":
                return EnumSet.allOf(State.class);
            case "connected":
                return EnumSet.complementOf(EnumSet.of(State.LISTEN, State.CLOSE));
            case "synchronized":
                return EnumSet.complementOf(EnumSet.of(State.LISTEN, State.CLOSE, State.SYN_SENT));
            default:
                for (State s : State.values()) {
                    if (s.filterName.equals(name)) {
                        return EnumSet.of(s);
                    }
                }
                throw new IllegalArgumentException("unknown state '" + name + "' (expected one of: established, syn-sent,"
                        + " syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing,"
                        + " all, connected, synchronized)");
        }
    }

    /** Whether a row whose state ss prints as {@code printed} passes. */
    boolean keeps(String printed) {
        for (State s : kept) {
            if (s.printed.equals(printed)) {
                return true;
            }
        }
        return false;
    }
}
