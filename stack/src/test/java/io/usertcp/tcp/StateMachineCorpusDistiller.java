package io.usertcp.tcp;

import com.code_intelligence.jazzer.driver.FuzzedDataProviderImpl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Distils a {@link StateMachineFuzzTest} campaign's corpus (stack/.cifuzz-corpus/..., thousands of
 * inputs) into a few to commit as regression inputs: it replays each, records what it made the
 * stack do (the profile, each state change with its cause, each timer that fired, each drop reason,
 * each counter that moved: {@code StateMachineFuzzTest.behaviourSink}) and keeps a smallest set of
 * inputs that together do all of it, by greedy set cover (the input that adds the most not yet
 * covered first; ties to the shorter input). libFuzzer's {@code -merge} distils by code coverage,
 * which Jazzer's JUnit integration does not expose; this distils by behaviour. Not a test; run as
 * {@link StateMachineFuzzReplay} is, with {@code CORPUS_DIR OUT_DIR}. Writes {@code distilled-N}
 * files into OUT_DIR and prints what they cover.
 */
public final class StateMachineCorpusDistiller {
    private StateMachineCorpusDistiller() {
    }

    private record Input(Path file, int length, Set<String> behaviour) {
    }

    public static void main(String[] args) throws IOException {
        Path corpus = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<Input> inputs = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(corpus)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            Set<String> seen = new TreeSet<>();
            StateMachineFuzzTest.behaviourSink = seen::addAll;
            try (FuzzedDataProviderImpl data = FuzzedDataProviderImpl.withJavaData(bytes)) {
                new StateMachineFuzzTest().stateMachine(data);
            } catch (Throwable t) {
                System.err.println(f + " fails: " + t + " (a finding: replay it with StateMachineFuzzReplay)");
                continue;
            }
            inputs.add(new Input(f, bytes.length, seen));
        }
        StateMachineFuzzTest.behaviourSink = null;
        Set<String> all = new TreeSet<>();
        inputs.forEach(i -> all.addAll(i.behaviour()));
        Set<String> covered = new HashSet<>();
        List<Input> kept = new ArrayList<>();
        while (covered.size() < all.size()) {
            Input best = inputs.stream().max(Comparator.<Input>comparingLong(i -> gain(i, covered))
                    .thenComparing(Comparator.comparingInt(Input::length).reversed())).orElseThrow();
            kept.add(best);
            covered.addAll(best.behaviour());
        }
        Files.createDirectories(out);
        for (int i = 0; i < kept.size(); i++) {
            Files.copy(kept.get(i).file(), out.resolve(String.format("distilled-%03d", i + 1)));
        }
        System.out.printf("%d inputs replayed, %d behaviours; %d inputs kept cover them all:%n", inputs.size(), all.size(), kept.size());
        all.forEach(b -> System.out.println("  " + b));
    }

    private static long gain(Input input, Set<String> covered) {
        return input.behaviour().stream().filter(b -> !covered.contains(b)).count();
    }
}
