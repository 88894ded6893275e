package io.usertcp.packetdrill;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;
import java.util.Random;

/**
 * The runner is pure like the core (DESIGN.md §2): it takes script text, runs on virtual time and
 * returns a result. File reading lives in the command and the tests.
 */
@AnalyzeClasses(packages = "io.usertcp.packetdrill", importOptions = ImportOption.DoNotIncludeTests.class)
class PacketdrillPurityTest {

    @ArchTest
    static final ArchRule readsNoClock = noClasses().should().callMethod(System.class, "nanoTime")
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(Instant.class, "now")
            .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
            .because("scripts run on virtual time");

    @ArchTest
    static final ArchRule startsNoThreads = noClasses().should().dependOnClassesThat().areAssignableTo(Thread.class)
            .orShould().dependOnClassesThat().resideInAPackage("java.util.concurrent..")
            .because("blocking calls are modelled on virtual time, not run on threads");

    @ArchTest
    static final ArchRule drawsNoRandomness = noClasses().should().dependOnClassesThat().areAssignableTo(Random.class)
            .because("a run repeats exactly: the stack's randomness is seeded from RunOptions");

    @ArchTest
    static final ArchRule doesNoIo = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("java.io..", "java.nio.file..", "java.nio.channels..", "java.net..")
            .because("the runner takes script text; reading files is the caller's job");
}
