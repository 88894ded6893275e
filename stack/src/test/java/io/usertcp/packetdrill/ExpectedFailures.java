package io.usertcp.packetdrill;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The committed lists of conformance scripts expected to fail, one per behaviour profile
 * ({@code expected-failures-rfc.txt}, {@code expected-failures-freebsd.txt}), each entry with why:
 * lines of {@code path  reason} (the path relative to the corpus root, then whitespace, then the
 * reason); {@code #} starts a comment line.
 */
final class ExpectedFailures {
    private static final String RESOURCE = "/io/usertcp/packetdrill/expected-failures-%s.txt";

    private ExpectedFailures() {}

    /** The resource that lists the failures of {@code profile} ({@code rfc}, {@code freebsd}). */
    static String resource(String profile) {
        return RESOURCE.formatted(profile);
    }

    /** Path to reason, in file order, for {@code profile}. */
    static Map<String, String> load(String profile) {
        String resource = resource(profile);
        try (InputStream in = ExpectedFailures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Path to reason ({@link ExpectedResults}: every entry of a FreeBSD list is a FAIL). */
    static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        ExpectedResults.parse(text).forEach((path, entry) -> {
            if (entry.status() != RunResult.Status.FAIL) {
                throw new IllegalStateException(path + ": the FreeBSD lists hold failures only, not " + entry.status());
            }
            out.put(path, entry.reason());
        });
        return out;
    }
}
