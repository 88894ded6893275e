package io.usertcp.tools;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.tools.control.ControlDirectory;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.demo.Demo;
import io.usertcp.tools.demo.ConnectionLogSink;
import io.usertcp.tools.demo.EventLogPrinter;
import io.usertcp.tools.demo.LadderLogSink;
import io.usertcp.tools.demo.Narrator;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code usertcp demo}: see {@link Demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Our stack serves echo (port 7) and HTTP (port 80) on a TUN device in a new network namespace; "
            + "curl and a java.net client from the Linux kernel talk to it. Shows both sides' TCP states as they "
            + "change and a ladder diagram of every connection, then deletes the namespace. Takes a few seconds; "
            + "needs root. --profile chooses how our stack behaves."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the demo ran and cleaned up", "1:something went wrong (see the output)",
            "2:bad usage (a bad --hold, --pcap or --profile, say)",
            "3:something it needs is missing (root, /dev/net/tun, ip, libpcap for --pcap)"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--no-segments", description = "Instead of a ladder diagram of each connection, list only its state changes and timers.")
    boolean noSegments;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "0",
            description = "Keep the stack running this long at the end, for usertcp ss / stats (0..3600; default: ${DEFAULT-VALUE}).")
    long holdSeconds;

    @Option(names = "--no-color", description = "Plain text, no colours (also: NO_COLOR=1).")
    boolean noColor;

    @Mixin
    PcapOption pcap;

    @Mixin
    ProfileOption profile;

    /**
     * How each connection is drawn at the end: a ladder diagram (segments as arrows, both sides'
     * states beside them), or without segments a list of state changes and timers. New sinks per
     * run: a ladder sink records the run it is attached to.
     */
    static List<ConnectionLogSink> sinks(boolean segments) {
        return List.of(segments ? new LadderLogSink() : new EventLogPrinter());
    }

    @Override
    public Integer call() throws Exception {
        if (holdSeconds < 0 || holdSeconds > 3600) {
            return CommandSupport.usage("demo", "--hold " + holdSeconds + " (expected: 0..3600)");
        }
        TcpProfile tcpProfile;
        try {
            tcpProfile = profile.profile();
        } catch (IllegalArgumentException e) {
            return CommandSupport.usage("demo", e.getMessage());
        }
        return CommandSupport.runWithStack("demo", pcap, () -> {
            Path controlDir;
            try {
                controlDir = ControlServer.defaultDirectory();
                ControlDirectory.createPrivate(controlDir);
            } catch (ControlDirectory.RefusedException e) {
                System.err.println("usertcp demo: " + e.getMessage());
                return UsertcpMain.EXIT_MISSING;
            }
            Narrator narrator = new Narrator(System.out, !noColor && Narrator.colorByDefault());
            Demo.Result result = Demo.run(new Demo.Options(!noSegments, holdSeconds, controlDir,
                    sinks(!noSegments), pcap.file(), tcpProfile), narrator);
            for (String problem : result.problems()) {
                System.err.println("usertcp demo: " + problem);
            }
            return result.ok() ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
        });
    }
}
