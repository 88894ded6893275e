package io.usertcp;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * DESIGN.md §2, enforced: the pure core never reads a clock, sleeps, starts a thread, draws its own
 * randomness or does I/O. Time and randomness are passed in; only {@code runtime} and
 * {@code socket} touch the real world. And only the Netty transport ({@code io.usertcp.netty})
 * uses Netty's channels.
 */
@AnalyzeClasses(packages = "io.usertcp", importOptions = ImportOption.DoNotIncludeTests.class)
class PureCoreArchitectureTest {
    private static final String[] PURE = {
        "io.usertcp.wire..", "io.usertcp.ip..", "io.usertcp.tcp..", "io.usertcp.core..",
        "io.usertcp.link..", "io.usertcp.sim.."
    };

    @ArchTest
    static final ArchRule pureCoreReadsNoClock = noClasses().that().resideInAnyPackage(PURE)
            .should().callMethod(System.class, "nanoTime")
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(Instant.class, "now")
            .orShould().callMethod(LocalDateTime.class, "now")
            .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
            .because("time is passed in as nowNanos (DESIGN.md §2)");

    @ArchTest
    static final ArchRule pureCoreHasNoThreadsOrSleeps = noClasses().that().resideInAnyPackage(PURE)
            .should().dependOnClassesThat().areAssignableTo(Thread.class)
            .orShould().dependOnClassesThat().resideInAPackage("java.util.concurrent..")
            .because("one stack, one thread: the driver owns threads and timers (DESIGN.md §2, §6)");

    @ArchTest
    static final ArchRule pureCoreDrawsNoRandomness = noClasses().that().resideInAnyPackage(PURE)
            .should().dependOnClassesThat().areAssignableTo(Random.class)
            .orShould().dependOnClassesThat().areAssignableTo(ThreadLocalRandom.class)
            .because("randomness is injected through RandomSource and IsnGenerator (DESIGN.md §2)");

    @ArchTest
    static final ArchRule onlyTheNettyTransportUsesNettyChannels = noClasses().that().resideOutsideOfPackage("io.usertcp.netty..")
            .should().dependOnClassesThat().resideInAnyPackage("io.netty.channel..", "io.netty.bootstrap..")
            .because("netty-transport is the Netty transport's (io.usertcp.netty); the stack itself uses netty-buffer alone"
                    + " (DESIGN.md §1, §5)");

    @ArchTest
    static final ArchRule pureCoreDoesNoIo = noClasses().that().resideInAnyPackage(PURE)
            .should().dependOnClassesThat().resideInAnyPackage("java.io..", "java.nio.file..", "java.nio.channels..", "java.net..")
            .because("I/O happens at the edges: runtime, socket, tun (DESIGN.md §1)");
}
