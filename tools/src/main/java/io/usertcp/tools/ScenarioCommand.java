package io.usertcp.tools;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.tools.demo.Narrator;
import io.usertcp.tools.demo.Scenario;
import io.usertcp.tools.demo.ScenarioResult;
import io.usertcp.tools.demo.Scenarios;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code usertcp scenario NAME | --list}: the field scenarios of DESIGN.md §13 against the real kernel. */
@Command(name = "scenario", mixinStandardHelpOptions = true,
        description = {"Plays a classic TCP story against the Linux kernel in a new namespace, narrating what happens "
            + "and why, with both sides' states. Timers are shortened so each takes seconds, on top of the "
            + "numbers of the --profile our stack runs. Needs root. usertcp scenario --list shows them all."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every promised state was seen", "1:a promise did not hold (see the output)",
            "2:unknown scenario or bad usage (a bad --profile, say)", "3:something it needs is missing (root, TUN, nft, libpcap for --pcap)"})
public final class ScenarioCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The scenario to play (see --list).")
    String name;

    @Option(names = {"-l", "--list"}, description = "List the scenarios.")
    boolean list;

    @Option(names = "--no-segments", description = "Instead of a ladder diagram of each connection, list only its state changes and timers.")
    boolean noSegments;

    @Option(names = "--no-color", description = "Plain text, no colours (also: NO_COLOR=1).")
    boolean noColor;

    @Mixin
    PcapOption pcap;

    @Mixin
    ProfileOption profile;

    @Override
    public Integer call() {
        TcpProfile tcpProfile;
        try {
            tcpProfile = profile.profile();
        } catch (IllegalArgumentException e) {
            return CommandSupport.usage("scenario", e.getMessage());
        }
        if (list || name == null) {
            System.out.println("Scenarios (usertcp scenario NAME):");
            for (Scenario s : Scenarios.all()) {
                System.out.printf("  %-22s %s%n", s.name(), s.summary());
            }
            return name == null && !list ? UsertcpMain.EXIT_USAGE : UsertcpMain.EXIT_OK;
        }
        Scenario scenario = Scenarios.find(name);
        if (scenario == null) {
            System.err.println("usertcp scenario: no scenario '" + name + "' (usertcp scenario --list shows them)");
            return UsertcpMain.EXIT_USAGE;
        }
        return CommandSupport.runWithStack("scenario", pcap, () -> {
            Narrator narrator = new Narrator(System.out, !noColor && Narrator.colorByDefault());
            ScenarioResult result = Scenarios.run(scenario, narrator, DemoCommand.sinks(!noSegments), pcap.file(), tcpProfile);
            return result.passed() ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
        });
    }
}
