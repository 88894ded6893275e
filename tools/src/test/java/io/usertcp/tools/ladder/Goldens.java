package io.usertcp.tools.ladder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.usertcp.tools.pcap.PcapReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The captures and golden outputs of the ladder tests. The Linux captures come from the stack's
 * test-jar ({@code /io/usertcp/wire/golden/}); ours live next to this class.
 *
 * <p>Run with {@code -Dusertcp.updateGolden=true} to rewrite the golden files under
 * {@code src/test/resources} from the current output (then read the diff before committing).
 */
final class Goldens {
    static final String LINUX = "/io/usertcp/wire/golden/";
    static final String OURS = "/io/usertcp/tools/ladder/";
    static final Path SOURCE_DIR = Path.of("src/test/resources/io/usertcp/tools/ladder");
    static final boolean UPDATE = Boolean.getBoolean("usertcp.updateGolden");

    private Goldens() {}

    static byte[] resource(String path) throws IOException {
        try (InputStream in = Goldens.class.getResourceAsStream(path)) {
            assertNotNull(in, "no resource " + path + " on the test classpath");
            return in.readAllBytes();
        }
    }

    /** The ladders of a capture on the classpath. */
    static List<Ladder> ladders(String path) throws IOException {
        return Ladders.fromCapture(PcapReader.read(resource(path)));
    }

    /** Compares {@code actual} with the golden file {@code name} (or rewrites it in update mode). */
    static void check(String name, String actual) throws IOException {
        if (UPDATE) {
            Files.createDirectories(SOURCE_DIR);
            Files.writeString(SOURCE_DIR.resolve(name), actual, StandardCharsets.UTF_8);
            return;
        }
        String expected = new String(resource(OURS + name), StandardCharsets.UTF_8);
        assertEquals(expected, actual, "golden " + name + " (rerun with -Dusertcp.updateGolden=true to rewrite it)");
    }

    /** Writes a binary golden file in update mode; otherwise compares. */
    static void checkBytes(String name, byte[] actual) throws IOException {
        if (UPDATE) {
            Files.createDirectories(SOURCE_DIR);
            Files.write(SOURCE_DIR.resolve(name), actual);
            return;
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(resource(OURS + name), actual,
                "golden " + name + " (rerun with -Dusertcp.updateGolden=true to rewrite it)");
    }
}
