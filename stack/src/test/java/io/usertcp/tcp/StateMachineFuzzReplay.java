package io.usertcp.tcp;

import com.code_intelligence.jazzer.driver.FuzzedDataProviderImpl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replays inputs of {@link StateMachineFuzzTest} outside JUnit, printing every step (the profile,
 * the fixture, each segment, call and advance, what the stack sent and its state after), to explain
 * a finding. Not a test. From the {@code stack} directory:
 *
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * unzip -p ~/.m2/repository/com/code-intelligence/jazzer/0.30.0/jazzer-0.30.0.jar \
 *     com/code_intelligence/jazzer/runtime/jazzer_bootstrap.jar > target/jazzer_bootstrap.jar
 * java -ea -Dusertcp.fuzz.trace=true -cp target/test-classes:target/classes:$(cat target/cp.txt):target/jazzer_bootstrap.jar \
 *     io.usertcp.tcp.StateMachineFuzzReplay src/test/resources/io/usertcp/tcp/StateMachineFuzzTestInputs/stateMachine/crash-...
 * </pre>
 *
 * (The bootstrap jar holds what Jazzer's FuzzedDataProvider needs outside Jazzer's agent.) Exits
 * 1 if any input fails.
 */
public final class StateMachineFuzzReplay {
    private StateMachineFuzzReplay() {
    }

    public static void main(String[] args) throws IOException {
        int failed = 0;
        for (String file : args) {
            System.err.println("== " + file);
            try (FuzzedDataProviderImpl data = FuzzedDataProviderImpl.withJavaData(Files.readAllBytes(Path.of(file)))) {
                new StateMachineFuzzTest().stateMachine(data);
                System.err.println("== passed");
            } catch (Throwable t) {
                failed++;
                t.printStackTrace();
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
