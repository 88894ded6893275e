package io.usertcp.tools;

import io.usertcp.packetdrill.RunResult;
import io.usertcp.packetdrill.Trace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of one {@code usertcp packetdrill} run, for machines: {@code --json} and
 * {@code --junit}. Both are written by hand, as {@code bench}'s {@code JsonReport} writes its JSON
 * (the tools carry no JSON or XML library): every string escaped, JSON by RFC 8259 §7, XML 1.0 with
 * the characters it cannot hold at all (control characters, unpaired surrogates) written as a
 * visible {@code \}{@code uXXXX}.
 *
 * <p>A script's expected status is the one {@code --expected} lists, PASS when it is not listed (or
 * there is no list); a script is <em>unexpected</em> when its status is not that one, which is what
 * the exit status counts.
 *
 * <p>JSON shape:
 * <pre>
 * {"tool": "usertcp packetdrill",
 *  "settings": {"target": "stack" | "kernel" | "both", "profile": "linux", "comparison": "exact",
 *               "defines": {"CODE": "host_unreachable"},
 *               "flags": {"tolerance_usecs": "5000"}, "paths": ["gtests/net/tcp/"], "expected": "list.txt" | null},
 *  "counts": {"scripts": 4, "passed": 1, "failed": 2, "unsupported": 1, "expectedFailures": 2, "unexpected": 1},
 *  "exitCode": 1,
 *  "scripts": [{"path": "...", "status": "FAIL", "expectedStatus": "FAIL" | null (no --expected), "asExpected": true,
 *               "failure": null | {"line": 10, "message": "...", "unsupported": false, "script": "..." | null,
 *                                  "expected": "..." | null, "actual": "..." | null, "formatted": "line 10: ...\n  script: ..."},
 *               "notes": [...], "skipped": [...],
 *               with --target both also "kernel": {"status": "PASS", "failure": null | "line 10: ..."},
 *               "divergence": null | {"line": 12, "script": "...", "kernel": "...", "stack": "..."}}, ...]}
 * </pre>
 *
 * <p>With {@code --target both} a script's status is the stack's (what {@code --expected} lists);
 * the kernel's run and the first divergence come beside it, and JUnit's {@code <system-out>} shows them.
 *
 * <p>JUnit XML: {@code <testsuites>} with one {@code <testsuite>} per directory (in the order first
 * met) and a {@code <testcase>} per script, named by its file name, its {@code classname} the
 * directory with dots. FAIL is a {@code <failure>} (message: its first line; body: the formatted
 * failure); UNSUPPORTED a {@code <skipped>}; a script with the status {@code --expected} lists for it
 * passes (an expected FAIL with a {@code <system-out>} saying so and why it fails), and with
 * {@code --expected} a script whose status is not the listed one is a {@code <failure>}, whatever
 * that status is, as it fails the run. Notes and skipped items go to {@code <system-out>}.
 */
final class PacketdrillReport {

    /** What the run was asked to do. */
    record Settings(String target, String profile, String comparison, Map<String, String> defines,
                    Map<String, String> flags, List<String> paths, String expectedFile) {
        Settings {
            defines = new LinkedHashMap<>(defines);
            flags = new LinkedHashMap<>(flags);
            paths = List.copyOf(paths);
        }
    }

    /**
     * One script's result, the status {@code --expected} lists for it (PASS when unlisted) and its
     * wall time; with {@code --target both} also the kernel's result and where the two first differ
     * (null otherwise, and the divergence null when they agree).
     */
    record Entry(Path script, RunResult result, RunResult.Status expected, long nanos, RunResult kernel,
                 Trace.Divergence divergence) {
        Entry(Path script, RunResult result, RunResult.Status expected, long nanos) {
            this(script, result, expected, nanos, null, null);
        }

        boolean asExpected() {
            return result.status() == expected;
        }
    }

    private final Settings settings;
    private final List<Entry> entries = new ArrayList<>();

    PacketdrillReport(Settings settings) {
        this.settings = settings;
    }

    void add(Entry e) {
        entries.add(e);
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    int passed() {
        return count(RunResult.Status.PASS);
    }

    int failed() {
        return count(RunResult.Status.FAIL);
    }

    int unsupported() {
        return count(RunResult.Status.UNSUPPORTED);
    }

    /** Scripts that did not pass with the status {@code --expected} lists for them. */
    int expectedFailures() {
        return (int) entries.stream().filter(e -> !e.result().passed() && e.asExpected()).count();
    }

    /** Scripts whose status is not the listed one (PASS when unlisted). */
    int unexpected() {
        return (int) entries.stream().filter(e -> !e.asExpected()).count();
    }

    private int count(RunResult.Status s) {
        return (int) entries.stream().filter(e -> e.result().status() == s).count();
    }

    // ---------------------------------------------------------------- JSON

    /** The whole run as one JSON object, indented, ending with a newline. */
    String json(int exitCode) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "usertcp packetdrill");
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("target", settings.target());
        s.put("profile", settings.profile());
        s.put("comparison", settings.comparison());
        s.put("defines", settings.defines());
        s.put("flags", settings.flags());
        s.put("paths", settings.paths());
        s.put("expected", settings.expectedFile());
        root.put("settings", s);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("scripts", entries.size());
        counts.put("passed", passed());
        counts.put("failed", failed());
        counts.put("unsupported", unsupported());
        counts.put("expectedFailures", expectedFailures());
        counts.put("unexpected", unexpected());
        root.put("counts", counts);
        root.put("exitCode", exitCode);
        List<Object> scripts = new ArrayList<>();
        for (Entry e : entries) {
            RunResult r = e.result();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", e.script().toString());
            m.put("status", r.status().name());
            m.put("expectedStatus", settings.expectedFile() == null ? null : e.expected().name());
            m.put("asExpected", e.asExpected());
            RunResult.Failure f = r.failure();
            if (f == null) {
                m.put("failure", null);
            } else {
                Map<String, Object> fm = new LinkedHashMap<>();
                fm.put("line", f.line());
                fm.put("message", f.message());
                fm.put("unsupported", f.unsupported());
                fm.put("script", f.event() == null || f.event().isEmpty() ? null : f.event());
                fm.put("expected", f.expected());
                fm.put("actual", f.actual());
                fm.put("formatted", f.format());
                m.put("failure", fm);
            }
            m.put("notes", r.notes());
            m.put("skipped", r.skipped());
            if (e.kernel() != null) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("status", e.kernel().status().name());
                k.put("failure", e.kernel().failure() == null ? null : e.kernel().failure().format());
                m.put("kernel", k);
                Trace.Divergence d = e.divergence();
                Map<String, Object> dm = null;
                if (d != null) {
                    dm = new LinkedHashMap<>();
                    dm.put("line", d.line());
                    dm.put("script", d.event());
                    dm.put("kernel", d.first());
                    dm.put("stack", d.second());
                }
                m.put("divergence", dm);
            }
            scripts.add(m);
        }
        root.put("scripts", scripts);
        StringBuilder out = new StringBuilder();
        jsonValue(out, root, 0);
        return out.append('\n').toString();
    }

    private static void jsonValue(StringBuilder out, Object v, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof String str) {
            out.append(Json.string(str));
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            out.append(v);
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                out.append('\n').append("  ".repeat(depth + 1)).append(Json.string(e.getKey().toString())).append(": ");
                jsonValue(out, e.getValue(), depth + 1);
                out.append(it.hasNext() ? "," : "");
            }
            out.append('\n').append("  ".repeat(depth)).append('}');
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append('\n').append("  ".repeat(depth + 1));
                jsonValue(out, list.get(i), depth + 1);
                out.append(i + 1 < list.size() ? "," : "");
            }
            out.append('\n').append("  ".repeat(depth)).append(']');
        } else {
            throw new IllegalArgumentException("no JSON form for " + v.getClass());
        }
    }

    // ---------------------------------------------------------------- JUnit XML

    /** The run as JUnit XML: a {@code <testsuites>} of one {@code <testsuite>} per directory. */
    String junit() {
        Map<String, List<Entry>> byDirectory = new LinkedHashMap<>();
        for (Entry e : entries) {
            byDirectory.computeIfAbsent(directory(e.script()), d -> new ArrayList<>()).add(e);
        }
        StringBuilder out = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.append("<testsuites name=\"usertcp packetdrill\"");
        counts(out, entries);
        out.append(">\n");
        for (Map.Entry<String, List<Entry>> suite : byDirectory.entrySet()) {
            out.append("  <testsuite name=").append(attr(suite.getKey()));
            counts(out, suite.getValue());
            out.append(">\n    <properties>\n");
            property(out, "profile", settings.profile());
            property(out, "comparison", settings.comparison());
            settings.defines().forEach((k, v) -> property(out, "define." + k, v));
            settings.flags().forEach((k, v) -> property(out, "flag." + k, v));
            if (settings.expectedFile() != null) {
                property(out, "expected", settings.expectedFile());
            }
            out.append("    </properties>\n");
            for (Entry e : suite.getValue()) {
                testcase(out, suite.getKey(), e);
            }
            out.append("  </testsuite>\n");
        }
        return out.append("</testsuites>\n").toString();
    }

    private enum Outcome { PASSED, FAILURE, SKIPPED }

    private Outcome outcome(Entry e) {
        if (settings.expectedFile() != null && !e.asExpected()) {
            return Outcome.FAILURE; // a changed status fails the run
        }
        return switch (e.result().status()) {
            case PASS -> Outcome.PASSED;
            case FAIL -> e.asExpected() && e.expected() == RunResult.Status.FAIL ? Outcome.PASSED : Outcome.FAILURE;
            case UNSUPPORTED -> Outcome.SKIPPED;
        };
    }

    private void counts(StringBuilder out, List<Entry> list) {
        long nanos = 0;
        int failures = 0;
        int skipped = 0;
        for (Entry e : list) {
            nanos += e.nanos();
            Outcome o = outcome(e);
            failures += o == Outcome.FAILURE ? 1 : 0;
            skipped += o == Outcome.SKIPPED ? 1 : 0;
        }
        out.append(" tests=\"").append(list.size()).append("\" failures=\"").append(failures)
                .append("\" errors=\"0\" skipped=\"").append(skipped).append("\" time=\"").append(seconds(nanos)).append('"');
    }

    private void testcase(StringBuilder out, String directory, Entry e) {
        RunResult r = e.result();
        RunResult.Failure f = r.failure();
        Path name = e.script().getFileName();
        out.append("    <testcase name=").append(attr(name == null ? e.script().toString() : name.toString()))
                .append(" classname=").append(attr(className(directory)))
                .append(" file=").append(attr(e.script().toString()))
                .append(" time=\"").append(seconds(e.nanos())).append('"');
        Outcome o = outcome(e);
        List<String> systemOut = new ArrayList<>();
        String listed = "listed in " + settings.expectedFile() + " as " + e.expected();
        if (o == Outcome.FAILURE) {
            String message = f == null ? "" : firstLine(f.format());
            if (settings.expectedFile() != null && e.expected() != RunResult.Status.PASS || r.unsupported()) {
                message = r.status() + ", " + listed + (message.isEmpty() ? "" : ": " + message);
            }
            out.append(">\n      <failure message=").append(attr(message)).append(" type=").append(attr(r.status().name()))
                    .append('>').append(text(f == null ? message : f.format())).append("</failure>\n");
        } else if (o == Outcome.SKIPPED) {
            out.append(">\n      <skipped message=").append(attr(firstLine(f.format()))).append("/>\n");
            systemOut.add(f.format());
            if (settings.expectedFile() != null) {
                systemOut.add("UNSUPPORTED as expected: " + listed);
            }
        } else {
            out.append(">\n");
            if (f != null) {
                systemOut.add("expected failure: " + listed + "\n" + f.format());
            }
        }
        r.notes().forEach(n -> systemOut.add("note: " + n));
        r.skipped().forEach(s -> systemOut.add("skipped: " + s));
        if (e.kernel() != null) {
            systemOut.add("kernel: " + e.kernel().status());
            systemOut.add(PacketdrillCommand.divergence(e.divergence()));
        }
        if (!systemOut.isEmpty()) {
            out.append("      <system-out>").append(text(String.join("\n", systemOut))).append("</system-out>\n");
        }
        out.append("    </testcase>\n");
    }

    private static void property(StringBuilder out, String name, String value) {
        out.append("      <property name=").append(attr(name)).append(" value=").append(attr(value)).append("/>\n");
    }

    /** The script's directory as given on the command line ({@code .} for a bare file name). */
    private static String directory(Path script) {
        Path parent = script.getParent();
        return parent == null ? "." : parent.toString().replace('\\', '/');
    }

    /** The directory as a dotted class name, without leading {@code ./} and {@code ../}: {@code gtests.net.tcp.sack}. */
    static String className(String directory) {
        List<String> parts = new ArrayList<>();
        for (String part : directory.split("/")) {
            if (!part.isEmpty() && !(parts.isEmpty() && (part.equals(".") || part.equals("..")))) {
                parts.add(part);
            }
        }
        return parts.isEmpty() ? "packetdrill" : String.join(".", parts);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
    }

    /** An XML attribute value, quoted; line breaks and tabs as character references so parsers keep them. */
    static String attr(String s) {
        return '"' + xml(s, true) + '"';
    }

    /** XML character data. */
    static String text(String s) {
        return xml(s, false);
    }

    private static String xml(String s, boolean attribute) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append(attribute ? "&quot;" : "\"");
                case '\'' -> out.append(attribute ? "&apos;" : "'");
                case '\n' -> out.append(attribute ? "&#10;" : "\n");
                case '\r' -> out.append("&#13;");
                case '\t' -> out.append(attribute ? "&#9;" : "\t");
                default -> {
                    // XML 1.0 §2.2: no other C0 control, no U+FFFE/U+FFFF, no lone surrogate, not even as a reference
                    if (c < 0x20 || c == 0xFFFE || c == 0xFFFF || Character.isSurrogate(c) && !Json.pairedSurrogate(s, i)) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
