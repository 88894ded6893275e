package io.usertcp.wire.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Guards the committed seed corpus, so that the fuzz tests cannot quietly shrink to the empty
 * input in {@code mvn test}: every fuzz test has its seeds where Jazzer looks for them
 * ({@code <TestClass>Inputs/<method>} beside the class), a sensible number of small ones, and the
 * generated ones are exactly what {@link SeedCorpus} builds today.
 */
class SeedCorpusTest {
    /** Surefire runs in the module directory. */
    private static final Path SOURCE_ROOT = Path.of("src/test/resources/io/usertcp/wire/fuzz");
    private static final String REGENERATE = "regenerate the seeds as the README in src/test/resources/io/usertcp/wire/fuzz says";

    @Test
    void everyFuzzTestMethod_isASeededTarget() {
        for (Class<?> test : SeedCorpus.TARGETS.keySet()) {
            List<String> fuzzMethods = Arrays.stream(test.getDeclaredMethods())
                    .filter(m -> m.isAnnotationPresent(FuzzTest.class)).map(Method::getName).toList();
            assertEquals(List.of(SeedCorpus.TARGETS.get(test)), fuzzMethods, test.getSimpleName());
        }
    }

    @Test
    void everyTarget_hasBetween20And60SmallSeedsWhereJazzerLooks() throws IOException {
        for (Class<?> test : SeedCorpus.TARGETS.keySet()) {
            Map<String, byte[]> seeds = seedsIn(classpathDir(test));
            assertTrue(seeds.size() >= 20 && seeds.size() <= 60, test.getSimpleName() + ": " + seeds.size() + " seeds");
            seeds.forEach((name, bytes) -> assertTrue(bytes.length > 0 && bytes.length <= SeedCorpus.MAX_SEED_BYTES,
                    name + ": " + bytes.length + " bytes"));
        }
    }

    @Test
    void committedSeeds_areWhatSeedCorpusBuilds() throws IOException {
        Map<String, Map<String, byte[]>> built = SeedCorpus.build();
        for (Class<?> test : SeedCorpus.TARGETS.keySet()) {
            Map<String, byte[]> expected = new TreeMap<>(built.get(SeedCorpus.dir(test)));
            assertTrue(Files.isDirectory(SOURCE_ROOT), "run from the stack module: " + SOURCE_ROOT.toAbsolutePath());
            // The source tree, not target/: a stale copy of a renamed seed must not matter.
            Map<String, byte[]> committed = seedsIn(SOURCE_ROOT.resolve(SeedCorpus.dir(test)));
            assertEquals(expected.keySet(), committed.keySet(), test.getSimpleName() + ": " + REGENERATE);
            expected.forEach((name, bytes) -> assertArrayEquals(bytes, committed.get(name), name + ": " + REGENERATE));
        }
    }

    /** The seed directory of a target, found the way Jazzer finds it: as a resource beside the class. */
    private static Path classpathDir(Class<?> test) throws IOException {
        URL url = test.getResource(SeedCorpus.dir(test));
        assertNotNull(url, "no seed directory " + SeedCorpus.dir(test) + " beside " + test.getName());
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** The {@code seed-*} files of a directory, by name without the prefix. */
    private static Map<String, byte[]> seedsIn(Path dir) throws IOException {
        Map<String, byte[]> seeds = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith("seed-")) {
                    seeds.put(name.substring("seed-".length()), Files.readAllBytes(file));
                }
            }
        }
        return seeds;
    }
}
