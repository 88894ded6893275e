package io.usertcp.tools.bench;

import io.usertcp.tools.Json;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The report as JSON, written by hand (the tools carry no JSON library). NaN figures become
 * {@code null}, since JSON has no NaN. Shape:
 * <pre>
 * {"tool": "usertcp bench", "started": "...", "elapsedSeconds": 212.4,
 *  "machine": {"cpu": ..., "cores": 2, "memoryMegabytes": ..., "kernel": ..., "jvm": ..., "loadBefore": ..., "loadAfter": ...},
 *  "settings": {"cases": [...], "durationSeconds": 5, "warmupSeconds": 1, "memoryCounts": [...], "lossPercents": [0.1, 1, 5], "quick": false,
 *               "profile": "linux", "kernelCongestionControl": "cubic", "machineCongestionControl": "bbr"},
 *  "results": [{"case": "bulk", "name": "...", "unit": "Gbit/s", "better": "higher",
 *               "ours": 1.2, "kernel": 25.1, "ratio": 0.048, "details": {...}, "error": null}, ...],
 *  "complete": true}
 * </pre>
 */
public final class JsonReport {
    private JsonReport() {}

    /** The whole report as one JSON object, indented. */
    public static String write(BenchReport report) {
        StringBuilder out = new StringBuilder();
        out.append("{\n");
        field(out, 1, "tool", "usertcp bench").append(",\n");
        field(out, 1, "started", report.started().toString()).append(",\n");
        field(out, 1, "elapsedSeconds", report.elapsedNanos() / 1e9).append(",\n");
        machine(out, report);
        settings(out, report.options());
        indent(out, 1).append("\"results\": [");
        for (int i = 0; i < report.rows().size(); i++) {
            out.append(i == 0 ? "\n" : ",\n");
            row(out, report.rows().get(i));
        }
        out.append(report.rows().isEmpty() ? "],\n" : "\n" + "  ],\n");
        field(out, 1, "complete", report.allComplete()).append('\n');
        return out.append("}\n").toString();
    }

    private static void machine(StringBuilder out, BenchReport report) {
        MachineInfo m = report.machine();
        indent(out, 1).append("\"machine\": {");
        out.append(string("cpu")).append(": ").append(string(m.cpu())).append(", ");
        out.append(string("cores")).append(": ").append(m.cores()).append(", ");
        out.append(string("memoryMegabytes")).append(": ").append(m.memoryMegabytes()).append(", ");
        out.append(string("kernel")).append(": ").append(string(m.kernel())).append(", ");
        out.append(string("jvm")).append(": ").append(string(m.jvm())).append(", ");
        out.append(string("loadBefore")).append(": ").append(number(m.loadBefore())).append(", ");
        out.append(string("loadAfter")).append(": ").append(number(report.loadAfter())).append("},\n");
    }

    private static void settings(StringBuilder out, BenchOptions o) {
        indent(out, 1).append("\"settings\": {\"cases\": [");
        Iterator<BenchCase> cases = o.cases().iterator();
        while (cases.hasNext()) {
            out.append(string(cases.next().cliName())).append(cases.hasNext() ? ", " : "");
        }
        out.append("], \"durationSeconds\": ").append(number(o.durationNanos() / 1e9));
        out.append(", \"warmupSeconds\": ").append(number(o.warmupNanos() / 1e9));
        out.append(", \"memoryCounts\": ").append(o.memoryCounts().toString());
        out.append(", \"lossPercents\": [");
        for (int i = 0; i < o.lossRates().size(); i++) {
            out.append(i == 0 ? "" : ", ").append(number(o.lossRates().get(i).percent()));
        }
        out.append(']');
        out.append(", \"quick\": ").append(o.quick());
        // the behaviour profile our stack ran; every kernel has its own defaults, but the congestion control
        out.append(", \"profile\": ").append(string(o.profile().name()));
        out.append(", \"kernelCongestionControl\": ").append(string(Sysctl.CONGESTION_CONTROL));
        out.append(", \"machineCongestionControl\": ").append(string(Sysctl.machineCongestionControl())).append("},\n");
    }

    private static void row(StringBuilder out, Measurement m) {
        indent(out, 2).append("{\"case\": ").append(string(m.caseName()));
        out.append(", \"name\": ").append(string(m.name()));
        out.append(", \"unit\": ").append(string(m.unit()));
        out.append(", \"better\": ").append(string(m.better().word()));
        out.append(", \"ours\": ").append(number(m.ours()));
        out.append(", \"kernel\": ").append(number(m.kernel()));
        out.append(", \"ratio\": ").append(number(m.ratio()));
        out.append(", \"details\": {");
        Iterator<Map.Entry<String, Object>> it = m.details().entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Object> e = it.next();
            out.append(string(e.getKey())).append(": ").append(value(e.getValue())).append(it.hasNext() ? ", " : "");
        }
        out.append("}, \"error\": ").append(m.error() == null ? "null" : string(m.error())).append('}');
    }

    private static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean b) {
            return b.toString();
        }
        if (v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        if (v instanceof Number n) {
            return number(n.doubleValue());
        }
        return string(v.toString());
    }

    private static StringBuilder field(StringBuilder out, int depth, String name, Object v) {
        return indent(out, depth).append(string(name)).append(": ").append(value(v));
    }

    private static StringBuilder indent(StringBuilder out, int depth) {
        return out.append("  ".repeat(depth));
    }

    /** A JSON number; {@code null} for NaN and infinities. Up to 6 significant digits after the point. */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e")) {
            return s; // %g's exponent form is valid JSON (e.g. 1.23457e-07)
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** A JSON string with the required escapes (RFC 8259 §7). */
    static String string(String s) {
        return Json.string(s);
    }
}
