package io.usertcp.packetdrill;

import java.util.List;

/**
 * Per-event traces of runs ({@link RunResult#trace()}) and where two runs of one script first
 * differ: the real kernel's and the stack's for {@code usertcp packetdrill --target both}.
 */
public final class Trace {
    private Trace() {}

    /** An outbound line and the packet that met it, in script notation. */
    public static RunResult.Observation of(Event e, String observed) {
        return new RunResult.Observation(e.line(), e.text(), observed);
    }

    /**
     * A system call and what it returned: {@code = 0}, {@code = -1 EAGAIN}, plus a getsockopt value
     * problem. A known errno's detail is left out: it is one backend's commentary (the stack says
     * which key was absent, the kernel says nothing), not what the call did.
     */
    public static RunResult.Observation of(Event.Syscall s, Syscalls.Outcome o) {
        SyscallResult r = o.result();
        String result = r.errno() != null ? r.value() + " " + r.errno().name() : r.format();
        return of(s, "= " + result + (o.outputProblem() == null ? "" : " (" + o.outputProblem() + ")"));
    }

    /** How a run ended at its failing line: {@code FAIL: message; actual: ...}. */
    public static RunResult.Observation of(RunResult.Failure f, RunResult.Status status) {
        return new RunResult.Observation(f.line(), f.event(), status + ": " + f.message()
                + (f.actual() == null ? "" : "; actual: " + f.actual()));
    }

    /**
     * The result of a run that ended with {@code failure} (null: passed), its trace ending with
     * how it failed.
     *
     * @param unsupported whether the failure is something the runner does not emulate
     */
    public static RunResult result(String script, RunResult.Failure failure, boolean unsupported, List<String> skipped,
                                   List<String> notes, List<RunResult.Observation> trace) {
        RunResult.Status status = failure == null ? RunResult.Status.PASS
                : unsupported ? RunResult.Status.UNSUPPORTED : RunResult.Status.FAIL;
        List<RunResult.Observation> all = new java.util.ArrayList<>(trace);
        if (failure != null) {
            all.add(of(failure, status));
        }
        return new RunResult(script, failure, skipped, notes, status, all);
    }

    /**
     * Where two runs of one script first differ.
     *
     * @param line   the script line (0 when the runs differ only in how they ended)
     * @param event  that line as written, or null
     * @param first  what the first run observed there, or {@code (the run had ended: STATUS)}
     * @param second what the second run observed there, likewise
     */
    public record Divergence(int line, String event, String first, String second) {}

    /**
     * The first event whose observations differ (or that only one run reached); null when the
     * traces and the statuses agree.
     */
    public static Divergence firstDivergence(RunResult first, RunResult second) {
        List<RunResult.Observation> a = first.trace();
        List<RunResult.Observation> b = second.trace();
        int n = Math.max(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            RunResult.Observation x = i < a.size() ? a.get(i) : null;
            RunResult.Observation y = i < b.size() ? b.get(i) : null;
            if (x != null && y != null && x.line() == y.line() && comparable(x.observed()).equals(comparable(y.observed()))) {
                continue;
            }
            RunResult.Observation at = x == null ? y : y == null ? x : x.line() <= y.line() ? x : y;
            return new Divergence(at.line(), at.event(), observedAt(x, at.line(), first), observedAt(y, at.line(), second));
        }
        if (first.status() != second.status()) {
            return new Divergence(0, null, "(ended " + first.status() + ")", "(ended " + second.status() + ")");
        }
        return null;
    }

    /**
     * An observation as compared between runs: a TS value that was not scripted cannot be mapped
     * to script space, so it is each side's own clock and not compared; nor is an MD5 signature
     * (RFC 2385), which covers each run's own addresses and sequence numbers.
     */
    private static String comparable(String observed) {
        return MD5_DIGEST.matcher(TS_VAL.matcher(observed).replaceAll("TS val *")).replaceAll("md5 *");
    }

    private static final java.util.regex.Pattern TS_VAL = java.util.regex.Pattern.compile("TS val [0-9]+");
    private static final java.util.regex.Pattern MD5_DIGEST = java.util.regex.Pattern.compile("md5 [0-9a-f]{32}");

    private static String observedAt(RunResult.Observation o, int line, RunResult run) {
        if (o == null) {
            return "(the run had ended: " + run.status() + ")";
        }
        return o.line() == line ? o.observed() : "(nothing at this line; next, line " + o.line() + ": " + o.observed() + ")";
    }
}
