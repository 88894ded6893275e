package io.usertcp.tools.bench;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tun.TunUnavailableException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * One side's figure for one measurement, with the facts behind it, or why it could not be
 * measured.
 */
record Figure(double value, Map<String, Object> details, String error) {

    Figure {
        details = new LinkedHashMap<>(details == null ? Map.of() : details);
    }

    static Figure of(double value, Map<String, Object> details) {
        return new Figure(value, details, null);
    }

    static Figure failed(String why) {
        return new Figure(Double.NaN, Map.of(), why);
    }

    /** Measures one side. */
    @FunctionalInterface
    interface Source {
        Figure measure() throws Exception;
    }

    /**
     * Runs {@code source}, saying what it measures and what came out. A failure becomes a failed
     * figure, so the other rows still run; what is missing on this machine (root, TUN, a program)
     * is rethrown, since no row could be measured without it.
     */
    static Figure attempt(Progress progress, String what, String unit, Source source) {
        progress.say(what + " ...");
        try {
            Figure f = source.measure();
            progress.say(what + ": " + ResultTable.number(f.value()) + " " + unit);
            return f;
        } catch (TunUnavailableException | MissingProgramException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Figure.failed("interrupted");
        } catch (Exception | AssertionError e) {
            String why = describe(e);
            progress.say(what + ": FAILED: " + why);
            return Figure.failed(why);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        String kind = e instanceof TimeoutException ? "timed out" : e.getClass().getSimpleName();
        return message == null ? kind : kind + ": " + message;
    }

    /** The row of both figures; details are prefixed {@code ours.} and {@code kernel.}. */
    static Measurement row(BenchCase c, String name, String unit, Measurement.Better better, Figure ours, Figure kernel) {
        Map<String, Object> details = new LinkedHashMap<>();
        ours.details().forEach((k, v) -> details.put("ours." + k, v));
        kernel.details().forEach((k, v) -> details.put("kernel." + k, v));
        String error = null;
        if (ours.error() != null || kernel.error() != null) {
            error = (ours.error() == null ? "" : "usertcp: " + ours.error())
                    + (ours.error() != null && kernel.error() != null ? "; " : "")
                    + (kernel.error() == null ? "" : "kernel: " + kernel.error());
        }
        return new Measurement(c.cliName(), name, unit, better, ours.value(), kernel.value(), details, error);
    }
}
