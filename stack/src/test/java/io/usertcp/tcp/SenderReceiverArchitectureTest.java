package io.usertcp.tcp;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * DESIGN.md §4, enforced: a connection is a sender and a receiver whose state is their own. The
 * sender ({@code tcp.send}) and the receiver ({@code tcp.receive}) import neither the connection,
 * nor segment arrival, nor the transmitter, nor each other: those call them. What is theirs is
 * reached only through {@code Sender} and {@code Receiver}: the buffers, the RTT estimator, loss
 * recovery and reassembly are package-private to them.
 */
@AnalyzeClasses(packages = "io.usertcp", importOptions = ImportOption.DoNotIncludeTests.class)
class SenderReceiverArchitectureTest {
    private static final String[] COORDINATORS = {
        "io.usertcp.tcp.TcpConnection", "io.usertcp.tcp.SegmentArrival", "io.usertcp.tcp.TcpOutput",
        "io.usertcp.tcp.TcpTimers", "io.usertcp.tcp.TcpStack", "io.usertcp.tcp.PassiveOpen",
        "io.usertcp.tcp.ConnectionHost"
    };

    @ArchTest
    static final ArchRule senderImportsNoCoordinator = noClasses().that().resideInAPackage("io.usertcp.tcp.send..")
            .should().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[0])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[1])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[2])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[3])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[4])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[5])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[6])
            .orShould().dependOnClassesThat().resideInAPackage("io.usertcp.tcp.receive..")
            .because("the connection coordinates the sender; the sender never reaches back (DESIGN.md §4)");

    @ArchTest
    static final ArchRule receiverImportsNoCoordinator = noClasses().that().resideInAPackage("io.usertcp.tcp.receive..")
            .should().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[0])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[1])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[2])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[3])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[4])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[5])
            .orShould().dependOnClassesThat().haveFullyQualifiedName(COORDINATORS[6])
            .orShould().dependOnClassesThat().resideInAPackage("io.usertcp.tcp.send..")
            .because("the connection coordinates the receiver; the receiver never reaches back (DESIGN.md §4)");

    @ArchTest
    static final ArchRule onlySenderAndReceiverArePublic = classes().that().resideInAnyPackage("io.usertcp.tcp.send..", "io.usertcp.tcp.receive..")
            .and().arePublic().and().areTopLevelClasses()
            .should().haveSimpleNameEndingWith("Sender").orShould().haveSimpleNameEndingWith("Receiver")
            .orShould().haveSimpleName("RecoveryPhase")
            .because("buffers, RTT estimation, loss recovery and reassembly are the halves' own state");
}
