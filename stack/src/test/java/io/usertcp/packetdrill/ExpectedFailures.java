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

    static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts.length < 2 || parts[1].strip().length() < 10) {
                throw new IllegalStateException("line " + (i + 1) + ": an entry needs a path and a reason: " + line);
            }
            if (out.put(parts[0], parts[1].strip()) != null) {
                throw new IllegalStateException("line " + (i + 1) + ": " + parts[0] + " is listed twice");
            }
        }
        return out;
    }
}
