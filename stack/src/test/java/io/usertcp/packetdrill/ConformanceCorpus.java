package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the FreeBSD RFC test suite lives: {@code ../shared/conformance/freebsd-tcp-testsuite}
 * beside the repository (from the {@code stack} module: {@code ../../shared/...}), or wherever the
 * system property {@code usertcp.conformance.dir} says. Missing is a failure, not a skip: the
 * conformance check is part of the normal test run.
 */
final class ConformanceCorpus {
    static final String PROPERTY = "usertcp.conformance.dir";
    private static final String DEFAULT = "../../shared/conformance/freebsd-tcp-testsuite";

    private ConformanceCorpus() {}

    /** The corpus root; fails the test with what to do when it is not there. */
    static Path locate() {
        String configured = System.getProperty(PROPERTY);
        Path moduleDir = Paths.get(System.getProperty("basedir", "."));
        Path dir = configured != null ? Paths.get(configured) : moduleDir.resolve(DEFAULT);
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("ORIGIN.md"))) {
            fail("the FreeBSD TCP test suite is missing: expected it at " + dir + " (the repository's sibling "
                    + "shared/conformance/freebsd-tcp-testsuite with its ORIGIN.md); clone shared/ beside the "
                    + "repository or pass -D" + PROPERTY + "=/path/to/freebsd-tcp-testsuite");
        }
        return dir;
    }

    /** Every IPv4 script under {@code root}, in path order, as paths relative to {@code root} with '/'. */
    static List<String> ipv4Scripts(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".pkt"))
                    .filter(ConformanceCorpus::isIpv4)
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isIpv4(Path p) {
        try {
            String text = Files.readString(p);
            return !p.getFileName().toString().contains("ipv6") && !text.contains("--ip_version=ipv6");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path root, String script) {
        try {
            return Files.readString(root.resolve(script));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
