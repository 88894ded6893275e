package io.usertcp.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parser for the output of {@code ss -tanoi} (iproute2's layout): a header, then per socket a
 * line of state, queues, local and peer address and an optional {@code timer:(...)}, and, indented
 * by a tab, a line of TCP_INFO tokens: {@code key:value} pairs, bare flags ({@code ts sack cubic
 * app_limited}) and the three two-word ones ({@code send 1234bps}, {@code pacing_rate ...},
 * {@code delivery_rate ...}). Used on real ss output and on {@code usertcp ss -tanoi} alike.
 */
final class SsOutput {
    record Socket(String state, long recvQ, long sendQ, String local, String peer, String timer,
                  Map<String, String> info, Set<String> flags) {
    }

    private static final Set<String> TWO_WORD = Set.of("send", "pacing_rate", "delivery_rate");

    private SsOutput() {
    }

    /** @throws IllegalArgumentException on a line of neither shape */
    static List<Socket> parse(String text) {
        List<Socket> out = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || line.startsWith("State ") || line.startsWith("#")) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0))) {
                throw new IllegalArgumentException("an info line with no socket line before it: " + line);
            }
            String[] f = line.trim().split("\\s+");
            if (f.length < 5) {
                throw new IllegalArgumentException("a socket line of " + f.length + " fields: " + line);
            }
            String timer = "";
            for (int k = 5; k < f.length; k++) {
                if (f[k].startsWith("timer:(") && f[k].endsWith(")")) {
                    timer = f[k];
                } else if (!f[k].startsWith("users:(") && !f[k].startsWith("ino:") && !f[k].startsWith("sk:")
                        && !f[k].startsWith("uid:") && !f[k].startsWith("cgroup:") && !f[k].startsWith("<->")) {
                    throw new IllegalArgumentException("an unknown field '" + f[k] + "' in " + line);
                }
            }
            Map<String, String> info = new LinkedHashMap<>();
            Set<String> flags = new LinkedHashSet<>();
            if (i + 1 < lines.length && !lines[i + 1].isEmpty() && Character.isWhitespace(lines[i + 1].charAt(0))) {
                String[] tokens = lines[++i].trim().split("\\s+");
                for (int k = 0; k < tokens.length; k++) {
                    String t = tokens[k];
                    if (TWO_WORD.contains(t)) {
                        if (k + 1 == tokens.length) {
                            throw new IllegalArgumentException("'" + t + "' without its value: " + lines[i]);
                        }
                        info.put(t, tokens[++k]);
                    } else if (t.indexOf(':') > 0) {
                        info.put(t.substring(0, t.indexOf(':')), t.substring(t.indexOf(':') + 1));
                    } else {
                        flags.add(t);
                    }
                }
            }
            out.add(new Socket(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), f[3], f[4], timer, info, flags));
        }
        return out;
    }

    /** A number as ss prints it in a value: {@code 204}, {@code 0.031}, {@code 100000}, the first of {@code 0.031/0.015}. */
    static double number(String value) {
        String v = value.contains("/") ? value.substring(0, value.indexOf('/')) : value;
        if (v.endsWith("bps")) {
            v = v.substring(0, v.length() - 3);
        }
        int paren = v.indexOf('(');
        if (paren > 0) {
            v = v.substring(0, paren);
        }
        if (v.endsWith("ms")) {
            v = v.substring(0, v.length() - 2);
        }
        return Double.parseDouble(v);
    }
}
