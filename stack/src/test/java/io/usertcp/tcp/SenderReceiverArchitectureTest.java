package io.usertcp.tcp;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
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
    /** The classes that coordinate the two halves: the halves call none of them. */
    private static final String[] COORDINATORS = {
        "io.usertcp.tcp.TcpConnection", "io.usertcp.tcp.SegmentArrival", "io.usertcp.tcp.TcpOutput",
        "io.usertcp.tcp.TcpTimers", "io.usertcp.tcp.TcpStack", "io.usertcp.tcp.PassiveOpen",
        "io.usertcp.tcp.ConnectionHost"
    };

    @ArchTest
    static final ArchRule senderImportsNoCoordinator = importsNoCoordinator("io.usertcp.tcp.send..", "io.usertcp.tcp.receive..");

    @ArchTest
    static final ArchRule receiverImportsNoCoordinator = importsNoCoordinator("io.usertcp.tcp.receive..", "io.usertcp.tcp.send..");

    /** Classes in {@code half} depend on no coordinator and nothing in {@code otherHalf}. */
    private static ArchRule importsNoCoordinator(String half, String otherHalf) {
        return noClasses().that().resideInAPackage(half)
                .should().dependOnClassesThat(JavaClass.Predicates.belongToAnyOf(coordinators()))
                .orShould().dependOnClassesThat().resideInAPackage(otherHalf)
                .because("the connection coordinates the sender and the receiver; they never reach back (DESIGN.md §4)");
    }

    private static Class<?>[] coordinators() {
        Class<?>[] classes = new Class<?>[COORDINATORS.length];
        for (int i = 0; i < COORDINATORS.length; i++) {
            try {
                classes[i] = Class.forName(COORDINATORS[i]);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("coordinator class " + COORDINATORS[i] + " is gone: update this test", e);
            }
        }
        return classes;
    }

    @ArchTest
    static final ArchRule onlySenderAndReceiverArePublic = classes().that().resideInAnyPackage("io.usertcp.tcp.send..", "io.usertcp.tcp.receive..")
            .and().arePublic().and().areTopLevelClasses()
            .should().haveSimpleNameEndingWith("Sender").orShould().haveSimpleNameEndingWith("Receiver")
            .orShould().haveSimpleName("RecoveryPhase")
            .because("buffers, RTT estimation, loss recovery and reassembly are the halves' own state");
}
