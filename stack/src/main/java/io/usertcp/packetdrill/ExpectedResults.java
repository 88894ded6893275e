package io.usertcp.packetdrill;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A list of scripts expected not to pass, each with its status and why: what
 * {@code usertcp packetdrill --expected} reads and what the conformance tests keep beside them.
 * One entry a line, {@code path  [FAIL|UNSUPPORTED]  reason} (no status means FAIL, the FreeBSD
 * lists' form); {@code #} starts a comment line. Paths are relative to a directory above the
 * scripts, with {@code /} separators.
 */
public final class ExpectedResults {
    /** A listed script: how it ends, and why. */
    public record Entry(RunResult.Status status, String reason) {}

    /** A reason shorter than this explains nothing. */
    private static final int MIN_REASON_CHARS = 10;

    private ExpectedResults() {}

    /**
     * Path to entry, in file order.
     *
     * @throws IllegalArgumentException naming the line of an entry without a path ending in .pkt or a
     *                                  reason, or of a script listed twice
     */
    public static Map<String, Entry> parse(String text) {
        Map<String, Entry> out = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String rest = parts.length > 1 ? parts[1].strip() : "";
            RunResult.Status status = RunResult.Status.FAIL;
            for (RunResult.Status s : new RunResult.Status[] {RunResult.Status.FAIL, RunResult.Status.UNSUPPORTED}) {
                if (rest.startsWith(s.name() + " ") || rest.startsWith(s.name() + "\t")) {
                    status = s;
                    rest = rest.substring(s.name().length()).strip();
                }
            }
            if (!parts[0].endsWith(".pkt") || rest.length() < MIN_REASON_CHARS) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected \"path.pkt  [FAIL|UNSUPPORTED]  reason\", found \""
                        + line + "\"");
            }
            if (out.put(parts[0], new Entry(status, rest)) != null) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + parts[0] + " is listed twice");
            }
        }
        return out;
    }

    /**
     * How {@code scriptPath} is expected to end: the entry whose path it ends with (the list's paths
     * may also start above the directory the scripts were named from, as {@code gtests/net/tcp/...}
     * does), PASS when none.
     */
    public static RunResult.Status statusOf(Map<String, Entry> list, String scriptPath) {
        String path = scriptPath.replace('\\', '/');
        for (Map.Entry<String, Entry> e : list.entrySet()) {
            if (path.equals(e.getKey()) || path.endsWith("/" + e.getKey())) {
                return e.getValue().status();
            }
        }
        for (Map.Entry<String, Entry> e : list.entrySet()) {
            String listed = e.getKey();
            for (int slash = listed.indexOf('/'); slash >= 0; slash = listed.indexOf('/', slash + 1)) {
                String tail = listed.substring(slash + 1);
                if (tail.contains("/") && (path.equals(tail) || path.endsWith("/" + tail))) {
                    return e.getValue().status();
                }
            }
        }
        return RunResult.Status.PASS;
    }
}
